package data_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
)

func mustProject(t *testing.T, db *data.DB, name string) data.Project {
	t.Helper()
	p := data.Project{ID: uuid.New(), Name: name}
	if err := db.CreateProject(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustEnvironment(t *testing.T, db *data.DB, projectID uuid.UUID, name string) data.Environment {
	t.Helper()
	e := data.Environment{ID: uuid.New(), ProjectID: projectID, Name: name, RepoURL: "https://git/" + name}
	if err := db.CreateEnvironment(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestProjects(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		ctx := t.Context()
		b := mustProject(t, db, "b")
		a := mustProject(t, db, "a")

		got, err := db.GetProject(ctx, b.ID)
		if err != nil || got != b {
			t.Fatalf("GetProject = %v, %v; want %v", got, err, b)
		}
		list, err := db.ListProjects(ctx)
		if err != nil || len(list) != 2 || list[0] != a || list[1] != b {
			t.Fatalf("ListProjects = %v, %v; want [a b]", list, err)
		}
		renamed, err := db.RenameProject(ctx, b.ID, "c")
		if err != nil || renamed.Name != "c" {
			t.Fatalf("RenameProject = %v, %v", renamed, err)
		}
		if _, err := db.RenameProject(ctx, b.ID, "c"); err != nil {
			t.Errorf("renaming a project to its own name: %v", err)
		}
		if err := db.DeleteProject(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetProject(ctx, a.ID); !errors.Is(err, data.ErrNotFound) {
			t.Errorf("GetProject after delete: %v, want ErrNotFound", err)
		}
	})
}

func TestEnvironmentsAndSettings(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		ctx := t.Context()
		p := mustProject(t, db, "p")
		q := mustProject(t, db, "q")
		e := mustEnvironment(t, db, p.ID, "dev")
		mustEnvironment(t, db, q.ID, "dev")
		mustEnvironment(t, db, p.ID, "acc")

		got, err := db.GetEnvironment(ctx, e.ID)
		if err != nil || got != e {
			t.Fatalf("GetEnvironment = %v, %v; want %v", got, err, e)
		}
		of, err := db.ListEnvironments(ctx, &p.ID)
		if err != nil || len(of) != 2 || of[0].Name != "acc" {
			t.Fatalf("ListEnvironments(p) = %v, %v", of, err)
		}
		byProject, err := db.EnvironmentsByProject(ctx)
		if err != nil || len(byProject[p.ID]) != 2 || len(byProject[q.ID]) != 1 {
			t.Fatalf("EnvironmentsByProject = %v, %v", byProject, err)
		}
		up, err := db.UpdateEnvironment(ctx, e.ID, func(e *data.Environment) error {
			e.Name, e.Halted, e.Description = "prod", true, "the real thing"
			return nil
		})
		if err != nil || up.Name != "prod" || !up.Halted {
			t.Fatalf("UpdateEnvironment = %v, %v", up, err)
		}
		if got, _ := db.GetEnvironment(ctx, e.ID); got != up {
			t.Errorf("stored %v, want %v", got, up)
		}

		if err := db.SetSetting(ctx, e.ID, "auto_deploy", json.RawMessage(`false`)); err != nil {
			t.Fatal(err)
		}
		if err := db.SetSetting(ctx, e.ID, "auto_deploy", json.RawMessage(`true`)); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := db.Setting(ctx, e.ID, "auto_deploy"); err != nil || !ok || string(v) != "true" {
			t.Errorf("Setting = %s, %v, %v; want the last value", v, ok, err)
		}
		if _, ok, err := db.Setting(ctx, e.ID, "never_set"); err != nil || ok {
			t.Errorf("Setting of an unset name = %v, %v", ok, err)
		}
		if err := db.SetSetting(ctx, uuid.New(), "auto_deploy", json.RawMessage(`true`)); !errors.Is(err, data.ErrNotFound) {
			t.Errorf("SetSetting on a missing environment: %v, want ErrNotFound", err)
		}
		all, err := db.SettingsByEnvironment(ctx)
		if err != nil || len(all) != 1 || string(all[e.ID]["auto_deploy"]) != "true" {
			t.Errorf("SettingsByEnvironment = %v, %v", all, err)
		}
		if err := db.DeleteSetting(ctx, e.ID, "auto_deploy"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteSetting(ctx, e.ID, "auto_deploy"); err != nil {
			t.Errorf("deleting an unset setting: %v", err)
		}

		// Deleting an environment takes its settings with it.
		if err := db.SetSetting(ctx, e.ID, "server_compile", json.RawMessage(`false`)); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteEnvironment(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if s, err := db.Settings(ctx, e.ID); err != nil || len(s) != 0 {
			t.Errorf("settings left after the environment was deleted: %v, %v", s, err)
		}
	})
}

func TestErrors(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		ctx := t.Context()
		p := mustProject(t, db, "p")
		other := mustProject(t, db, "other")
		e := mustEnvironment(t, db, p.ID, "dev")
		mustEnvironment(t, db, p.ID, "acc")
		missing := uuid.New()
		tests := []struct {
			name string
			err  error
			is   error
			says string
		}{
			{"project name taken", db.CreateProject(ctx, data.Project{ID: uuid.New(), Name: "p"}), data.ErrConflict, `"p"`},
			{"project id taken", db.CreateProject(ctx, data.Project{ID: p.ID, Name: "new"}), data.ErrConflict, p.ID.String()},
			{"get missing project", second(db.GetProject(ctx, missing)), data.ErrNotFound, missing.String()},
			{"rename missing project", second(db.RenameProject(ctx, missing, "x")), data.ErrNotFound, missing.String()},
			{"rename to a taken name", second(db.RenameProject(ctx, other.ID, "p")), data.ErrConflict, `"p"`},
			{"delete missing project", db.DeleteProject(ctx, missing), data.ErrNotFound, missing.String()},
			{"delete project with environments", db.DeleteProject(ctx, p.ID), data.ErrConflict, "acc, dev"},
			{"environment in missing project", db.CreateEnvironment(ctx, data.Environment{ID: uuid.New(), ProjectID: missing, Name: "x"}), data.ErrNotFound, missing.String()},
			{"environment name taken in project", db.CreateEnvironment(ctx, data.Environment{ID: uuid.New(), ProjectID: p.ID, Name: "dev"}), data.ErrConflict, `"dev"`},
			{"environment id taken", db.CreateEnvironment(ctx, data.Environment{ID: e.ID, ProjectID: other.ID, Name: "new"}), data.ErrConflict, e.ID.String()},
			{"get missing environment", second(db.GetEnvironment(ctx, missing)), data.ErrNotFound, missing.String()},
			{"update missing environment", second(db.UpdateEnvironment(ctx, missing, func(*data.Environment) error { return nil })), data.ErrNotFound, missing.String()},
			{"rename environment to a taken name", second(db.UpdateEnvironment(ctx, e.ID, func(e *data.Environment) error { e.Name = "acc"; return nil })), data.ErrConflict, `"acc"`},
			{"move environment to missing project", second(db.UpdateEnvironment(ctx, e.ID, func(e *data.Environment) error { e.ProjectID = missing; return nil })), data.ErrNotFound, missing.String()},
			{"delete missing environment", db.DeleteEnvironment(ctx, missing), data.ErrNotFound, missing.String()},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if !errors.Is(tt.err, tt.is) {
					t.Fatalf("error %v, want %v", tt.err, tt.is)
				}
				if !strings.Contains(tt.err.Error(), tt.says) {
					t.Errorf("error %q does not say %q", tt.err, tt.says)
				}
			})
		}
		// A failed update changes nothing.
		if got, _ := db.GetEnvironment(ctx, e.ID); got != e {
			t.Errorf("environment after failed updates: %v, want %v", got, e)
		}
	})
}

func second[T any](_ T, err error) error { return err }

func TestMigrationsAreIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tagrpc.db")
	ctx := context.Background()
	db, err := data.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	p := data.Project{ID: uuid.New(), Name: "kept"}
	if err := db.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = data.Open(ctx, path)
	if err != nil {
		t.Fatalf("opening a migrated database again: %v", err)
	}
	defer db.Close()
	if got, err := db.GetProject(ctx, p.ID); err != nil || got != p {
		t.Errorf("after reopening: %v, %v", got, err)
	}
}

// Writers on one SQLite file queue for the lock instead of failing with
// SQLITE_BUSY.
func TestConcurrentWriters(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		const writers, each = 4, 50
		p := mustProject(t, db, "p")
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					e := data.Environment{ID: uuid.New(), ProjectID: p.ID, Name: fmt.Sprintf("w%d-%d", w, i)}
					if err := db.CreateEnvironment(t.Context(), e); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if envs, err := db.ListEnvironments(t.Context(), &p.ID); err != nil || len(envs) != writers*each {
			t.Errorf("%d environments stored, want %d (%v)", len(envs), writers*each, err)
		}
	})
}

func TestOpenFailsClearly(t *testing.T) {
	_, err := data.Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"))
	if err == nil || !strings.Contains(err.Error(), "sqlite") {
		t.Errorf("Open in a missing directory: %v, want an error naming sqlite", err)
	}
}

func TestTokens(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		ctx := t.Context()
		p := mustProject(t, db, "p")
		e := mustEnvironment(t, db, p.ID, "e")
		now := time.Now().UTC().Truncate(time.Second)
		tok := data.Token{ID: "jti-1", EnvironmentID: e.ID, ClientTypes: []string{"api", "agent"}, Subject: "s", IssuedAt: now}
		if err := db.RecordToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordToken(ctx, tok); err != nil {
			t.Errorf("recording an idempotent token again: %v", err)
		}
		if err := db.RecordToken(ctx, data.Token{ID: "jti-x", EnvironmentID: uuid.New(), ClientTypes: []string{"api"}, IssuedAt: now}); !errors.Is(err, data.ErrNotFound) {
			t.Errorf("token for a missing environment: %v", err)
		}
		got, err := db.Token(ctx, "jti-1")
		if err != nil || got.Subject != "s" || len(got.ClientTypes) != 2 || !got.IssuedAt.Equal(now) || !got.RevokedAt.IsZero() {
			t.Fatalf("Token = %+v, %v", got, err)
		}
		if revoked, err := db.TokenRevoked(ctx, "jti-1"); err != nil || revoked {
			t.Errorf("TokenRevoked before revoking = %v, %v", revoked, err)
		}
		if err := db.RevokeToken(ctx, "jti-1", now); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeToken(ctx, "jti-1", now.Add(time.Hour)); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		if revoked, err := db.TokenRevoked(ctx, "jti-1"); err != nil || !revoked {
			t.Errorf("TokenRevoked after revoking = %v, %v", revoked, err)
		}
		if got, _ := db.Token(ctx, "jti-1"); !got.RevokedAt.Equal(now) {
			t.Errorf("revoked at %v, want the first revocation %v", got.RevokedAt, now)
		}
		if err := db.RevokeToken(ctx, "nope", now); !errors.Is(err, data.ErrNotFound) {
			t.Errorf("revoking an unknown token: %v", err)
		}
		if revoked, err := db.TokenRevoked(ctx, "offline"); err != nil || revoked {
			t.Errorf("an unrecorded token is revoked: %v, %v", revoked, err)
		}
		if list, err := db.Tokens(ctx, e.ID); err != nil || len(list) != 1 {
			t.Errorf("Tokens = %v, %v", list, err)
		}
		if err := db.DeleteEnvironment(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Token(ctx, "jti-1"); !errors.Is(err, data.ErrNotFound) {
			t.Errorf("token left after its environment was deleted: %v", err)
		}
	})
}
