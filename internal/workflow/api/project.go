package api

import (
	"context"

	"github.com/mcp-memory/servers/internal/workflow"
)

// CreateProjectIn is the input of create_project.
type CreateProjectIn struct {
	Name        string `json:"name" jsonschema:"Unique, case-insensitive."`
	Description string `json:"description,omitempty"`
}

// ProjectOut is a project.
type ProjectOut struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	CreatedAt       string `json:"created_at"`
	LastActivatedAt string `json:"last_activated_at,omitempty"`
	WorkItemCount   int    `json:"work_item_count"`
	EntityCount     int    `json:"entity_count"`
}

func toProjectOut(p workflow.Project) ProjectOut {
	return ProjectOut{ID: p.ID, Name: p.Name, Description: p.Description, CreatedAt: timestamp(p.CreatedAt),
		LastActivatedAt: optTimestamp(p.LastActivatedAt), WorkItemCount: p.WorkItemCount, EntityCount: p.EntityCount}
}

// ListProjectsIn is the input of list_projects.
type ListProjectsIn struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"1-500, default 50."`
	Cursor string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page."`
}

// ListProjectsOut is a page of projects.
type ListProjectsOut struct {
	Projects   []ProjectOut `json:"projects"`
	Count      int          `json:"count"`
	NextCursor string       `json:"next_cursor,omitempty"`
	More       string       `json:"more,omitempty"`
}

// SwitchProjectIn is the input of switch_project.
type SwitchProjectIn struct {
	ProjectID string `json:"project_id" jsonschema:"Id or name."`
}

// SwitchProjectOut is the answer of switch_project.
type SwitchProjectOut struct {
	ProjectID  string `json:"project_id"`
	Name       string `json:"name"`
	SwitchedAt string `json:"switched_at"`
}

// GetActiveProjectIn is the (empty) input of get_active_project.
type GetActiveProjectIn struct{}

// ActiveProjectOut is the answer of the get_active_project tool.
type ActiveProjectOut struct {
	Active      bool   `json:"active"`
	ProjectID   string `json:"project_id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	SwitchedAt  string `json:"switched_at,omitempty"`
	Hint        string `json:"hint,omitempty"`
}

// ActiveProjectRESTOut is the answer of GET /mcp/projects/active: the
// project, with the time of the switch.
type ActiveProjectRESTOut struct {
	ProjectOut
	SwitchedAt string `json:"switched_at"`
}

func createProject(svc *workflow.Service) func(context.Context, CreateProjectIn) (ProjectOut, error) {
	return func(ctx context.Context, in CreateProjectIn) (ProjectOut, error) {
		p, err := svc.CreateProject(ctx, in.Name, in.Description)
		if err != nil {
			return ProjectOut{}, err
		}
		return toProjectOut(p), nil
	}
}

func listProjects(svc *workflow.Service) func(context.Context, ListProjectsIn) (ListProjectsOut, error) {
	return func(ctx context.Context, in ListProjectsIn) (ListProjectsOut, error) {
		l, err := svc.ListProjects(ctx, page(in.Limit, in.Cursor))
		if err != nil {
			return ListProjectsOut{}, err
		}
		out := ListProjectsOut{Projects: make([]ProjectOut, len(l.Items)), Count: len(l.Items), NextCursor: l.NextCursor, More: more(l.NextCursor)}
		for i, p := range l.Items {
			out.Projects[i] = toProjectOut(p)
		}
		return out, nil
	}
}

func switchProject(svc *workflow.Service) func(context.Context, SwitchProjectIn) (SwitchProjectOut, error) {
	return func(ctx context.Context, in SwitchProjectIn) (SwitchProjectOut, error) {
		a, err := svc.SwitchProject(ctx, in.ProjectID)
		if err != nil {
			return SwitchProjectOut{}, err
		}
		return SwitchProjectOut{ProjectID: a.ProjectID, Name: a.Name, SwitchedAt: timestamp(a.SwitchedAt)}, nil
	}
}

// getActiveProject answers "none" as a result, not an error: for a model
// that is a state to act on (the hint says how).
func getActiveProject(svc *workflow.Service) func(context.Context, GetActiveProjectIn) (ActiveProjectOut, error) {
	return func(ctx context.Context, _ GetActiveProjectIn) (ActiveProjectOut, error) {
		p, a, err := svc.GetActiveProject(ctx)
		if err != nil {
			if e, ok := apperrNotFound(err); ok {
				return ActiveProjectOut{Hint: e}, nil
			}
			return ActiveProjectOut{}, err
		}
		return ActiveProjectOut{Active: true, ProjectID: p.ID, Name: p.Name, Description: p.Description,
			SwitchedAt: timestamp(a.SwitchedAt)}, nil
	}
}

// getActiveProjectREST answers 404 when no project is active (docs/api.md).
func getActiveProjectREST(svc *workflow.Service) func(context.Context, GetActiveProjectIn) (ActiveProjectRESTOut, error) {
	return func(ctx context.Context, _ GetActiveProjectIn) (ActiveProjectRESTOut, error) {
		p, a, err := svc.GetActiveProject(ctx)
		if err != nil {
			return ActiveProjectRESTOut{}, err
		}
		return ActiveProjectRESTOut{ProjectOut: toProjectOut(p), SwitchedAt: timestamp(a.SwitchedAt)}, nil
	}
}
