package workflow

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcp-memory/servers/internal/apperr"
)

// Project is an isolated workspace: its work items, entities and
// deployments are invisible to every other project.
type Project struct {
	ID          string
	Name        string
	Description string
	CreatedAt   time.Time
	// LastActivatedAt is the last switch to this project; nil if never.
	LastActivatedAt *time.Time
	// WorkItemCount and EntityCount count live (not deleted) rows; filled
	// by reads, not by CreateProject.
	WorkItemCount int
	EntityCount   int
}

// Validate checks a new project.
func (p Project) Validate() error {
	name := strings.TrimSpace(p.Name)
	switch {
	case name == "":
		return apperr.Invalid("name", "is required")
	case utf8.RuneCountInString(name) > 200:
		return apperr.Invalid("name", "must be at most 200 characters")
	case isUUID(name):
		return apperr.Invalid("name", "must not look like a UUID, so that names and ids never mix")
	case utf8.RuneCountInString(p.Description) > 10000:
		return apperr.Invalid("description", "must be at most 10000 characters")
	}
	return nil
}

// ActiveProject is the project calls without project_id act on.
type ActiveProject struct {
	ProjectID  string
	Name       string
	SwitchedAt time.Time
}

// CreateProject creates a project. Names are unique regardless of case.
// It does not activate the new project.
func (s *Service) CreateProject(ctx context.Context, name, description string) (Project, error) {
	p := Project{Name: strings.TrimSpace(name), Description: description}
	if err := p.Validate(); err != nil {
		return Project{}, err
	}
	return s.store.CreateProject(ctx, p)
}

// GetProject returns a project by id or name, with its counts.
func (s *Service) GetProject(ctx context.Context, ref string) (Project, error) {
	if strings.TrimSpace(ref) == "" {
		return Project{}, apperr.Invalid("project_id", "is required")
	}
	return s.findProject(ctx, strings.TrimSpace(ref))
}

// ListProjects lists projects, most recently active first (a project never
// activated counts as active when created), with their counts.
func (s *Service) ListProjects(ctx context.Context, page Page) (List[Project], error) {
	const order = "projects"
	n, err := page.limit()
	if err != nil {
		return List[Project]{}, err
	}
	after, err := page.keyset(order)
	if err != nil {
		return List[Project]{}, err
	}
	ps, err := s.store.ListProjects(ctx, after, n+1)
	if err != nil {
		return List[Project]{}, err
	}
	return pageOf(ps, n, order, func(p Project) Keyset { return Keyset{Time: p.activity(), ID: p.ID} }), nil
}

// activity is the list order key of a project.
func (p Project) activity() time.Time {
	if p.LastActivatedAt != nil {
		return *p.LastActivatedAt
	}
	return p.CreatedAt
}

// SwitchProject makes a project (by id or name) the active one. The choice
// is stored in the database: it survives restarts and is shared by every
// client and replica; concurrent switches are serialized, the last wins.
func (s *Service) SwitchProject(ctx context.Context, ref string) (ActiveProject, error) {
	start := time.Now()
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ActiveProject{}, apperr.Invalid("project_id", "is required")
	}
	id := strings.ToLower(ref)
	if !isUUID(ref) {
		p, err := s.findProject(ctx, ref)
		if err != nil {
			return ActiveProject{}, err
		}
		id = p.ID
	}
	a, err := s.store.SetActiveProject(ctx, id)
	if apperr.CodeOf(err) == apperr.NotFound {
		_, err = s.findProject(ctx, ref) // the error that names the project and the way out
	}
	if err != nil {
		return ActiveProject{}, err
	}
	s.switchSeconds.Observe(time.Since(start).Seconds())
	return a, nil
}

// GetActiveProject returns the active project with its counts. Returns
// NOT_FOUND, with a message saying how to choose one, when none is active.
func (s *Service) GetActiveProject(ctx context.Context) (Project, ActiveProject, error) {
	a, err := s.store.ActiveProject(ctx)
	if apperr.CodeOf(err) == apperr.NotFound {
		return Project{}, ActiveProject{}, (&apperr.Error{Code: apperr.NotFound,
			Message: "no project is active; create one with create_project (POST /mcp/projects) and activate it with " +
				"switch_project (POST /mcp/projects/{id}/activate)"}).WithDetails(map[string]any{"reason": "no_active_project"})
	}
	if err != nil {
		return Project{}, ActiveProject{}, err
	}
	p, err := s.store.ProjectByID(ctx, a.ProjectID)
	if err != nil {
		return Project{}, ActiveProject{}, err
	}
	return p, a, nil
}
