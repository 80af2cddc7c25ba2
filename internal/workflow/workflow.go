// Package workflow is workflow-mcp's domain: projects (one of them active),
// work items with a hierarchy, dependencies and references to code,
// entity types with JSON Schemas and the entities they validate, and
// deployments. [Service] holds the rules; a [Store] persists the data
// (pgstore implements it on PostgreSQL) and a [CodeLookup] resolves code
// references against codebase-mcp (codelink implements it).
package workflow

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mcp-memory/servers/internal/apperr"
)

// WarningCodeSearchUnavailable is the warning on work-item answers while
// codebase-mcp cannot be reached: references are kept as given, unchecked.
const WarningCodeSearchUnavailable = "code_search_unavailable"

// Service implements the workflow operations. It is safe for concurrent use.
type Service struct {
	store Store
	code  CodeLookup
	log   *slog.Logger
	now   func() time.Time

	switchSeconds      prometheus.Histogram
	entityQuerySeconds prometheus.Histogram

	mu      sync.Mutex
	schemas map[schemaKey]*jsonschema.Schema
}

// Config configures [NewService].
type Config struct {
	// Store persists the data (required).
	Store Store
	// Code resolves code references; nil disables reference checks (no
	// snapshots, stale lists or warnings).
	Code CodeLookup
	// Logger receives warnings such as unreachable codebase-mcp (default: discard).
	Logger *slog.Logger
	// Registerer receives the workflow_mcp_* metrics (nil: not registered).
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// NewService returns a Service. It fails when the metrics cannot be registered.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("workflow: Config.Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	buckets := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}
	s := &Service{
		store: cfg.Store,
		code:  cfg.Code,
		log:   cfg.Logger,
		now:   cfg.Now,
		switchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "workflow_mcp_project_switch_seconds", Help: "Time to switch the active project.", Buckets: buckets}),
		entityQuerySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "workflow_mcp_entity_query_seconds", Help: "Time to answer an entity query.", Buckets: buckets}),
		schemas: map[schemaKey]*jsonschema.Schema{},
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{s.switchSeconds, s.entityQuerySeconds} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// isUUID reports whether s has the shape of a UUID.
func isUUID(s string) bool { return uuidRE.MatchString(s) }

// checkID validates an id argument (a UUID) and returns it lower-cased.
func checkID(field, id string) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", apperr.Invalid(field, "is required")
	}
	if !isUUID(id) {
		return "", apperr.Invalid(field, "must be a UUID, got %q", id)
	}
	return strings.ToLower(id), nil
}

// noActiveProject is the error of a call without project_id while no
// project is active: it says how to get one.
func noActiveProject() error {
	return (&apperr.Error{
		Code: apperr.Validation,
		Message: "project_id: no project_id given and no project is active; create one with create_project " +
			"(POST /mcp/projects) and activate it with switch_project (POST /mcp/projects/{id}/activate), or pass project_id",
	}).WithDetails(map[string]any{"field": "project_id", "reason": "no_active_project"})
}

// projectID resolves the project a call acts on: given (an id or a name)
// when set, else the active project. An unknown project is an error, never
// a fallback to another one.
func (s *Service) projectID(ctx context.Context, given string) (string, error) {
	given = strings.TrimSpace(given)
	if given == "" {
		a, err := s.store.ActiveProject(ctx)
		if apperr.CodeOf(err) == apperr.NotFound {
			return "", noActiveProject()
		}
		if err != nil {
			return "", err
		}
		return a.ProjectID, nil
	}
	p, err := s.findProject(ctx, given)
	if err != nil {
		return "", err
	}
	return p.ID, nil
}

// findProject looks a project up by id when ref looks like a UUID, else by
// name (so a name never gets compared with a uuid column).
func (s *Service) findProject(ctx context.Context, ref string) (Project, error) {
	var p Project
	var err error
	if isUUID(ref) {
		p, err = s.store.ProjectByID(ctx, strings.ToLower(ref))
	} else {
		p, err = s.store.ProjectByName(ctx, ref)
	}
	if apperr.CodeOf(err) == apperr.NotFound {
		return Project{}, (&apperr.Error{Code: apperr.NotFound,
			Message: "project " + quote(ref) + " not found; list_projects (GET /mcp/projects) shows the existing ones"}).
			WithDetails(map[string]any{"field": "project_id"})
	}
	return p, err
}

func quote(s string) string { return `"` + s + `"` }

func itoa(i int) string { return strconv.Itoa(i) }
