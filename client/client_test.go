package client_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tagrpc/tagrpc/client"
	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/data/datatest"
	"github.com/tagrpc/tagrpc/handlers"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
	"github.com/tagrpc/tagrpc/server"
)

func newClient(t testing.TB, db *data.DB) *client.Client {
	t.Helper()
	srv, err := handlers.NewServer(db, nil, server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return client.New(ts.URL, client.WithUserAgent("tagrpc-test"))
}

// must(call(...))(t) is call's result, or the end of the test.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestInmantaV1RoundTrip(t *testing.T) {
	datatest.Each(t, func(t *testing.T, db *data.DB) {
		c := newClient(t, db)
		ctx := t.Context()

		p := must(c.CreateProject(ctx, methods.CreateProject{Name: "p"}))(t)
		chosen := uuid.New()
		q := must(c.CreateProject(ctx, methods.CreateProject{Name: "q", ProjectID: &chosen}))(t)
		if p.Name != "p" || q.ID != chosen {
			t.Errorf("created %+v and %+v", p, q)
		}
		if ps := must(c.ListProjects(ctx, methods.ListProjects{}))(t); len(ps) != 2 || ps[0].ID != p.ID {
			t.Errorf("ListProjects = %+v", ps)
		}
		if got := must(c.ModifyProject(ctx, methods.ModifyProject{ID: p.ID, Name: "p2"}))(t); got.Name != "p2" {
			t.Errorf("ModifyProject = %+v", got)
		}
		e := must(c.CreateEnvironment(ctx, methods.CreateEnvironment{ProjectID: p.ID, Name: "dev", Branch: "main"}))(t)
		if e.Project != p.ID || e.RepoBranch != "main" {
			t.Errorf("CreateEnvironment = %+v", e)
		}
		if got := must(c.GetProject(ctx, methods.GetProject{ID: p.ID}))(t); len(got.Environments) != 1 || got.Environments[0] != e.ID {
			t.Errorf("GetProject = %+v", got)
		}
		repo := "https://git/x"
		if got := must(c.ModifyEnvironment(ctx, methods.ModifyEnvironment{ID: e.ID, Name: "prod", Repository: &repo}))(t); got.Name != "prod" || got.RepoURL != repo || got.RepoBranch != "main" {
			t.Errorf("ModifyEnvironment = %+v", got)
		}
		if es := must(c.ListEnvironments(ctx, methods.ListEnvironments{}))(t); len(es) != 1 {
			t.Errorf("ListEnvironments = %+v", es)
		}

		// Settings go by the X-Inmanta-tid header.
		if _, err := c.SetSetting(ctx, methods.SetSetting{Tid: e.ID, ID: "auto_deploy", Value: json.RawMessage(`false`)}); err != nil {
			t.Fatal(err)
		}
		if s := must(c.GetSetting(ctx, methods.GetSetting{Tid: e.ID, ID: "auto_deploy"}))(t); s.Value != false {
			t.Errorf("GetSetting = %+v", s.Value)
		}
		if s := must(c.ListSettings(ctx, methods.ListSettings{Tid: e.ID}))(t); s.Settings["auto_deploy"] != false || len(s.Metadata) != len(methods.EnvironmentSettings) {
			t.Errorf("ListSettings = %+v", s.Settings)
		}
		if _, err := c.DeleteSetting(ctx, methods.DeleteSetting{Tid: e.ID, ID: "auto_deploy"}); err != nil {
			t.Fatal(err)
		}
		if got := must(c.GetEnvironment(ctx, methods.GetEnvironment{ID: e.ID}))(t); len(got.Settings) != 0 {
			t.Errorf("settings after delete: %+v", got.Settings)
		}

		// Errors come back typed.
		_, err := c.GetProject(ctx, methods.GetProject{ID: uuid.New()})
		if !errors.Is(err, protocol.ErrNotFound) || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("GetProject of a missing id: %v, want ErrNotFound", err)
		}
		_, err = c.CreateProject(ctx, methods.CreateProject{Name: "q"})
		if !errors.Is(err, protocol.ErrConflict) {
			t.Errorf("duplicate project: %v, want ErrConflict", err)
		}
		err = c.DeleteProject(ctx, methods.DeleteProject{ID: p.ID})
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Status != 409 || !strings.Contains(pe.Message, "prod") {
			t.Errorf("deleting a project with environments: %v", err)
		}
		_, err = c.GetSetting(ctx, methods.GetSetting{Tid: uuid.New(), ID: "auto_deploy"})
		if !errors.Is(err, protocol.ErrNotFound) || !strings.Contains(err.Error(), "The given environment id does not exist!") {
			t.Errorf("unknown environment: %v", err)
		}
		_, err = c.SetSetting(ctx, methods.SetSetting{Tid: e.ID, ID: "auto_deploy", Value: json.RawMessage(`"often"`)})
		if !errors.Is(err, protocol.ErrBadRequest) {
			t.Errorf("bad setting value: %v", err)
		}

		// Validation details survive the trip.
		_, err = c.CreateProject(ctx, methods.CreateProject{})
		if !errors.As(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Location != "body.name" || pe.Fields[0].Message != "required" {
			t.Errorf("missing name: %#v", err)
		}

		if err := c.DeleteEnvironment(ctx, methods.DeleteEnvironment{ID: e.ID}); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteProject(ctx, methods.DeleteProject{ID: p.ID}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestInmantaV2RoundTrip(t *testing.T) {
	c := newClient(t, datatest.SQLite(t))
	ctx := t.Context()
	p := must(c.ProjectCreate(ctx, methods.ProjectCreate{Name: "p"}))(t)
	e := must(c.EnvironmentCreate(ctx, methods.EnvironmentCreate{ProjectID: p.ID, Name: "e", Description: "d"}))(t)
	if e.Description != "d" {
		t.Errorf("EnvironmentCreate = %+v", e)
	}
	got := must(c.ProjectGet(ctx, methods.ProjectGet{ID: p.ID, EnvironmentDetails: true}))(t)
	if len(got.Environments) != 1 || got.Environments[0].Description != "d" {
		t.Errorf("ProjectGet = %+v", got)
	}
	if l := must(c.ProjectList(ctx, methods.ProjectList{}))(t).Data; len(l) != 1 || l[0].Environments[0].Description != "" {
		t.Errorf("ProjectList without details = %+v", l)
	}
	desc := "new"
	if m := must(c.EnvironmentModify(ctx, methods.EnvironmentModify{ID: e.ID, Name: "e2", Description: &desc}))(t); m.Name != "e2" || m.Description != "new" {
		t.Errorf("EnvironmentModify = %+v", m)
	}
	if l := must(c.EnvironmentList(ctx, methods.EnvironmentList{Details: true}))(t).Data; len(l) != 1 {
		t.Errorf("EnvironmentList = %+v", l)
	}
	if g := must(c.EnvironmentGet(ctx, methods.EnvironmentGet{ID: e.ID}))(t); g.Name != "e2" {
		t.Errorf("EnvironmentGet = %+v", g)
	}
	if _, err := c.ProjectModify(ctx, methods.ProjectModify{ID: uuid.New(), Name: "x"}); !errors.Is(err, protocol.ErrNotFound) {
		t.Errorf("ProjectModify of a missing id: %v", err)
	}
	long := strings.Repeat("x", 300)
	var pe *protocol.Error
	if _, err := c.EnvironmentCreate(ctx, methods.EnvironmentCreate{ProjectID: p.ID, Name: "f", Description: long}); !errors.As(err, &pe) || pe.Fields[0].Location != "body.description" {
		t.Errorf("long description: %v", err)
	}
	if err := c.EnvironmentDelete(ctx, methods.EnvironmentDelete{ID: e.ID}); err != nil {
		t.Fatal(err)
	}
	if err := c.ProjectDelete(ctx, methods.ProjectDelete{ID: p.ID}); err != nil {
		t.Fatal(err)
	}
}

func TestUnreachableServer(t *testing.T) {
	c := client.New("http://127.0.0.1:1")
	_, err := c.ListProjects(t.Context(), methods.ListProjects{})
	if err == nil || !strings.Contains(err.Error(), "ListProjects") {
		t.Errorf("error %v does not name the method", err)
	}
}
