package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/tagrpc/tagrpc/data"
	"github.com/tagrpc/tagrpc/methods"
	"github.com/tagrpc/tagrpc/protocol"
)

// BuildBackend turns the repository of a build into a template. phase
// reports progress (data.PhaseFetching, data.PhaseBuilding). A failure's
// message is the build's reason.
type BuildBackend interface {
	Build(ctx context.Context, b data.Build, phase func(string)) (data.Template, error)
}

// DeployBackend starts an application of a template and says where it
// answers.
type DeployBackend interface {
	Deploy(ctx context.Context, t data.Template, app data.App) (location string, err error)
}

// BinderConfig configures the Binder group.
type BinderConfig struct {
	// APIKey is the key privileged methods require as the Authorization
	// header; empty refuses them all.
	APIKey  string
	Builds  BuildBackend  // nil: GitBuilder
	Deploys DeployBackend // nil: LocalDeployer
}

func (c BinderConfig) auth() protocol.Auth {
	return protocol.Auth{Authenticator: protocol.APIKey{
		Key: c.APIKey, Status: 403, Caller: protocol.Caller{Subject: "binder", ClientTypes: []string{"api"}},
	}}
}

// Binder serves the Binder group: builds and deployments are recorded here
// and advanced by a BinderWorker.
type Binder struct {
	db   *data.DB
	wake chan struct{} // tells an in-process worker there is work
}

// NewBinder returns the handles of the Binder group and a worker that
// shares their wake-up channel.
func NewBinder(db *data.DB, cfg BinderConfig, log *slog.Logger) (*Binder, *BinderWorker) {
	if cfg.Builds == nil {
		cfg.Builds = GitBuilder{}
	}
	if cfg.Deploys == nil {
		cfg.Deploys = LocalDeployer{}
	}
	if log == nil {
		log = slog.Default()
	}
	wake := make(chan struct{}, 1)
	return &Binder{db: db, wake: wake}, &BinderWorker{
		db: db, builds: cfg.Builds, deploys: cfg.Deploys, wake: wake, log: log,
		Lease: 30 * time.Second, Poll: time.Second, MaxAttempts: 3,
	}
}

func (h *Binder) nudge() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

var imageNameChars = regexp.MustCompile(`[^a-z0-9]+`)

// imageName names the image of a repository after its last two path
// segments, as Binder does (org-repo).
func imageName(repo string) string {
	p := repo
	if u, err := url.Parse(repo); err == nil && u.Scheme != "" {
		p = u.Host + "/" + u.Path
	}
	parts := strings.FieldsFunc(strings.TrimSuffix(strings.TrimSuffix(p, "/"), ".git"), func(r rune) bool { return r == '/' || r == ':' })
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Trim(imageNameChars.ReplaceAllString(strings.ToLower(strings.Join(parts, "-")), "-"), "-")
}

// repoSupported says whether a repository is one git can fetch: a local
// path, or a file, http(s), ssh or git URL.
func repoSupported(repo string) bool {
	if filepath.IsAbs(repo) {
		return true
	}
	u, err := url.Parse(repo)
	if err != nil {
		return strings.HasPrefix(repo, "git@")
	}
	switch u.Scheme {
	case "file", "http", "https", "ssh", "git":
		return u.Path != "" && u.Path != "/"
	}
	return strings.HasPrefix(repo, "git@")
}

// BuildStart queues a build; a worker takes it from there.
func (h *Binder) BuildStart(ctx context.Context, in methods.BuildStart) (methods.BuildName, error) {
	name := imageName(in.Repository)
	if !repoSupported(in.Repository) || name == "" {
		return methods.BuildName{}, methods.ErrBuildBadRepoSource
	}
	if _, err := h.db.StartBuild(ctx, name, in.Repository, bool(in.Force)); err != nil {
		if errors.Is(err, data.ErrAlreadyBuilding) {
			return methods.BuildName{}, methods.ErrBuildAlreadyBuilding
		}
		return methods.BuildName{}, err
	}
	h.nudge()
	return methods.BuildName{Name: name}, nil
}

func apiBuild(b data.Build) methods.Build {
	return methods.Build{Name: b.Name, StartTime: b.Started(), Status: b.Status, Phase: b.Phase, Repository: b.Repository, Reason: b.Reason}
}

// BuildStatus reports one build.
func (h *Binder) BuildStatus(ctx context.Context, in methods.BuildStatus) (methods.Build, error) {
	b, err := h.db.Build(ctx, in.ImageName)
	if errors.Is(err, data.ErrNotFound) {
		return methods.Build{}, methods.ErrBuildNoBuildInfo
	}
	if err != nil {
		return methods.Build{}, err
	}
	return apiBuild(b), nil
}

// BuildStatusAll reports every build.
func (h *Binder) BuildStatusAll(ctx context.Context) ([]methods.Build, error) {
	bs, err := h.db.Builds(ctx)
	out := make([]methods.Build, len(bs))
	for i, b := range bs {
		out[i] = apiBuild(b)
	}
	return out, err
}

func apiTemplate(t data.Template) methods.Template {
	return methods.Template{Name: t.Name, ImageSource: t.ImageSource, Port: t.Port, TimeCreated: t.Created(), TimeModified: t.Modified()}
}

// TemplateFetch returns a template of the registry.
func (h *Binder) TemplateFetch(ctx context.Context, in methods.TemplateFetch) (methods.Template, error) {
	t, err := h.db.Template(ctx, in.TemplateName)
	if errors.Is(err, data.ErrNotFound) {
		return methods.Template{}, methods.ErrTemplateDoesNotExist
	}
	if err != nil {
		return methods.Template{}, err
	}
	return apiTemplate(t), nil
}

// TemplateFetchAll returns every template.
func (h *Binder) TemplateFetchAll(ctx context.Context) ([]methods.Template, error) {
	ts, err := h.db.Templates(ctx)
	out := make([]methods.Template, len(ts))
	for i, t := range ts {
		out[i] = apiTemplate(t)
	}
	return out, err
}

// AppDeploy records a deployment; a worker starts it.
func (h *Binder) AppDeploy(ctx context.Context, in methods.AppDeploy) (methods.AppID, error) {
	cull := 0
	if in.CullTimeout != nil {
		cull = int(*in.CullTimeout)
	}
	a, err := h.db.CreateApp(ctx, in.TemplateName, cull)
	if errors.Is(err, data.ErrNotFound) {
		return methods.AppID{}, methods.ErrDeployRegistryError
	}
	if err != nil {
		return methods.AppID{}, err
	}
	h.nudge()
	return methods.AppID{ID: a.ID}, nil
}

// AppStatus reports one deployment.
func (h *Binder) AppStatus(ctx context.Context, in methods.AppStatus) (methods.App, error) {
	a, err := h.db.App(ctx, in.TemplateName, in.ID)
	if errors.Is(err, data.ErrNotFound) {
		return methods.App{}, methods.ErrDeployNoRecord
	}
	if err != nil {
		return methods.App{}, err
	}
	return methods.App{ID: a.ID, Location: a.Location, Status: a.Status}, nil
}

// AppStatusAll reports the deployments of a template.
func (h *Binder) AppStatusAll(ctx context.Context, in methods.AppStatusAll) ([]methods.App, error) {
	as, err := h.db.Apps(ctx, in.TemplateName)
	out := make([]methods.App, len(as))
	for i, a := range as {
		out[i] = methods.App{ID: a.ID, Location: a.Location, Status: a.Status}
	}
	return out, err
}

// AppPreload records a template as preloaded: the local deployer has no
// nodes to copy images to, so preloading completes at once.
func (h *Binder) AppPreload(ctx context.Context, in methods.AppPreload) (methods.Preload, error) {
	p, err := h.db.SetPreload(ctx, in.TemplateName, "completed")
	if errors.Is(err, data.ErrNotFound) {
		return methods.Preload{}, methods.ErrPreloadRegistryError
	}
	if err != nil {
		return methods.Preload{}, err
	}
	return methods.Preload{Name: p.TemplateName, Status: p.Status, Time: parseTimestamp(p.Time)}, nil
}

// AppPreloadStatus reports the preloading of a template.
func (h *Binder) AppPreloadStatus(ctx context.Context, in methods.AppPreloadStatus) (methods.Preload, error) {
	p, err := h.db.Preload(ctx, in.TemplateName)
	if errors.Is(err, data.ErrNotFound) {
		return methods.Preload{}, methods.ErrTemplateDoesNotExist
	}
	if err != nil {
		return methods.Preload{}, err
	}
	return methods.Preload{Name: p.TemplateName, Status: p.Status, Time: parseTimestamp(p.Time)}, nil
}

// HealthStatus reports the components, all served by this process: they
// are as healthy as its database.
func (h *Binder) HealthStatus(ctx context.Context) ([]methods.Health, error) {
	status := "online"
	if _, err := h.db.Builds(ctx); err != nil {
		status = "offline"
	}
	now := time.Now().UTC()
	var out []methods.Health
	for _, c := range []string{"build", "registry", "deploy", "database"} {
		out = append(out, methods.Health{Name: c, Timestamp: now, Status: status})
	}
	return out, nil
}

func parseTimestamp(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// BinderWorker advances builds and deployments. Work is claimed with a
// lease renewed while it runs; a worker that stops (the server restarts)
// lets the lease expire and the next worker takes the job up again, so no
// build stays running forever. A job tried MaxAttempts times fails.
type BinderWorker struct {
	db      *data.DB
	builds  BuildBackend
	deploys DeployBackend
	wake    chan struct{}
	log     *slog.Logger

	Lease       time.Duration // how long a claim lasts without renewal
	Poll        time.Duration // how often to look for work when not woken
	MaxAttempts int
}

// Run works until ctx is done.
func (w *BinderWorker) Run(ctx context.Context) {
	for ctx.Err() == nil {
		worked := w.buildOne(ctx) || w.deployOne(ctx)
		if worked {
			continue
		}
		t := time.NewTimer(w.Poll)
		select {
		case <-ctx.Done():
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (w *BinderWorker) buildOne(ctx context.Context) bool {
	b, ok, err := w.db.ClaimBuild(ctx, w.Lease)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("binder worker: claim a build", "error", err)
		}
		return false
	}
	if !ok {
		return false
	}
	if b.Attempts > w.MaxAttempts {
		w.finishBuild(b.Name, nil, fmt.Sprintf("gave up after %d attempts", w.MaxAttempts))
		return true
	}
	phase := data.PhaseFetching
	renew := func(p string) {
		phase = p
		if err := w.db.AdvanceBuild(ctx, b.Name, p, w.Lease); err != nil && ctx.Err() == nil {
			w.log.Error("binder worker: advance build", "build", b.Name, "error", err)
		}
	}
	renew(phase)
	stop := w.heartbeat(ctx, func() { renew(phase) })
	t, err := w.builds.Build(ctx, b, renew)
	stop()
	if ctx.Err() != nil {
		return true // stopped mid-build: the lease expires, and a worker resumes it
	}
	if err != nil {
		w.finishBuild(b.Name, nil, err.Error())
		return true
	}
	t.Name = b.Name
	w.finishBuild(b.Name, &t, "")
	return true
}

func (w *BinderWorker) finishBuild(name string, t *data.Template, reason string) {
	// Finishing must not be lost to a stop that comes just now.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.db.FinishBuild(ctx, name, t, reason); err != nil {
		w.log.Error("binder worker: finish build", "build", name, "error", err)
	}
}

func (w *BinderWorker) deployOne(ctx context.Context) bool {
	a, ok, err := w.db.ClaimApp(ctx, w.Lease)
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			w.log.Error("binder worker: claim a deployment", "error", err)
		}
		return false
	}
	status, location := data.AppFailed, ""
	t, err := w.db.Template(ctx, a.TemplateName)
	if err == nil {
		location, err = w.deploys.Deploy(ctx, t, a)
	}
	if ctx.Err() != nil {
		return true
	}
	if err == nil {
		status = data.AppRunning
	} else {
		w.log.Warn("binder worker: deployment failed", "app", a.ID, "error", err)
	}
	fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.db.FinishApp(fctx, a.ID, status, location); err != nil {
		w.log.Error("binder worker: finish deployment", "app", a.ID, "error", err)
	}
	return true
}

// heartbeat calls renew every third of a lease until stopped.
func (w *BinderWorker) heartbeat(ctx context.Context, renew func()) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(w.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-t.C:
				renew()
			}
		}
	}()
	return func() { close(done) }
}

// GitBuilder builds by cloning the repository with git: a repository git
// cannot fetch fails the build with git's reason. The template records the
// commit built.
type GitBuilder struct {
	Dir string // where clones go; "": the system's temporary directory
}

// Build implements BuildBackend.
func (g GitBuilder) Build(ctx context.Context, b data.Build, phase func(string)) (data.Template, error) {
	dir, err := os.MkdirTemp(g.Dir, "binder-build-")
	if err != nil {
		return data.Template{}, fmt.Errorf("make a work directory: %w", err)
	}
	defer os.RemoveAll(dir)
	phase(data.PhaseFetching)
	clone := exec.CommandContext(ctx, "git", "clone", "--quiet", "--depth", "1", b.Repository, dir)
	clone.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	if out, err := clone.CombinedOutput(); err != nil {
		return data.Template{}, fmt.Errorf("cannot fetch %s: %s", b.Repository, strings.TrimSpace(string(out)))
	}
	phase(data.PhaseBuilding)
	rev, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return data.Template{}, fmt.Errorf("read the commit of %s: %w", b.Repository, err)
	}
	return data.Template{ImageSource: "tagrpc/" + b.Name + "@" + strings.TrimSpace(string(rev)), Port: 8888}, nil
}

// LocalDeployer "deploys" by giving each application its location under a
// base URL: the records and states are real, the notebook server is not.
type LocalDeployer struct {
	BaseURL string // "": http://127.0.0.1:8888
}

// Deploy implements DeployBackend.
func (d LocalDeployer) Deploy(_ context.Context, t data.Template, a data.App) (string, error) {
	base := d.BaseURL
	if base == "" {
		base = "http://127.0.0.1:" + fmt.Sprint(t.Port)
	}
	return strings.TrimSuffix(base, "/") + "/" + t.Name + "/" + a.ID + "/", nil
}
