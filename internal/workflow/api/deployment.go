package api

import (
	"context"

	"github.com/mcp-memory/servers/internal/workflow"
)

// RecordDeploymentIn is the input of record_deployment.
type RecordDeploymentIn struct {
	CommitSHA   string         `json:"commit_sha" jsonschema:"7-40 (or 64) hex digits."`
	Environment string         `json:"environment" jsonschema:"production, staging or dev."`
	Branch      string         `json:"branch,omitempty"`
	Status      string         `json:"status,omitempty" jsonschema:"pending, deployed (default), failed or rolled_back."`
	Message     string         `json:"message,omitempty"`
	Author      string         `json:"author,omitempty"`
	DeployedAt  string         `json:"deployed_at,omitempty" jsonschema:"RFC 3339; default now."`
	Metadata    map[string]any `json:"metadata,omitempty"`
	WorkItemIDs []string       `json:"work_item_ids,omitempty"`
	EntityIDs   []string       `json:"entity_ids,omitempty"`
	ProjectID   string         `json:"project_id,omitempty" jsonschema:"Default: active project."`
}

// DeploymentOut is a deployment.
type DeploymentOut struct {
	ID          string         `json:"id"`
	CommitSHA   string         `json:"commit_sha"`
	Branch      string         `json:"branch"`
	Environment string         `json:"environment"`
	Status      string         `json:"status"`
	Message     string         `json:"message"`
	Author      string         `json:"author"`
	DeployedAt  string         `json:"deployed_at"`
	Metadata    map[string]any `json:"metadata"`
	WorkItemIDs []string       `json:"work_item_ids"`
	EntityIDs   []string       `json:"entity_ids"`
	CreatedAt   string         `json:"created_at"`
}

func toDeploymentOut(d workflow.Deployment) DeploymentOut {
	out := DeploymentOut{ID: d.ID, CommitSHA: d.CommitSHA, Branch: d.Branch, Environment: d.Environment, Status: d.Status,
		Message: d.Message, Author: d.Author, DeployedAt: timestamp(d.DeployedAt), Metadata: d.Metadata,
		WorkItemIDs: nonNil(d.WorkItemIDs), EntityIDs: nonNil(d.EntityIDs), CreatedAt: timestamp(d.CreatedAt)}
	if out.Metadata == nil {
		out.Metadata = map[string]any{}
	}
	return out
}

// ListDeploymentsIn is the input of list_deployments.
type ListDeploymentsIn struct {
	Environment string `json:"environment,omitempty"`
	Status      string `json:"status,omitempty"`
	Branch      string `json:"branch,omitempty"`
	WorkItemID  string `json:"work_item_id,omitempty"`
	EntityID    string `json:"entity_id,omitempty"`
	Limit       int    `json:"limit,omitempty" jsonschema:"1-500, default 50."`
	Cursor      string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page."`
	ProjectID   string `json:"project_id,omitempty" jsonschema:"Default: active project."`
}

// DeploymentListOut is a page of deployments, newest first.
type DeploymentListOut struct {
	Deployments []DeploymentOut `json:"deployments"`
	Count       int             `json:"count"`
	NextCursor  string          `json:"next_cursor,omitempty"`
	More        string          `json:"more,omitempty"`
}

func recordDeployment(svc *workflow.Service) func(context.Context, RecordDeploymentIn) (DeploymentOut, error) {
	return func(ctx context.Context, in RecordDeploymentIn) (DeploymentOut, error) {
		at, err := parseTime("deployed_at", in.DeployedAt)
		if err != nil {
			return DeploymentOut{}, err
		}
		d, err := svc.RecordDeployment(ctx, in.ProjectID, workflow.Deployment{CommitSHA: in.CommitSHA, Branch: in.Branch,
			Environment: in.Environment, Status: in.Status, Message: in.Message, Author: in.Author, DeployedAt: at,
			Metadata: in.Metadata, WorkItemIDs: in.WorkItemIDs, EntityIDs: in.EntityIDs})
		if err != nil {
			return DeploymentOut{}, err
		}
		return toDeploymentOut(d), nil
	}
}

func listDeployments(svc *workflow.Service) func(context.Context, ListDeploymentsIn) (DeploymentListOut, error) {
	return func(ctx context.Context, in ListDeploymentsIn) (DeploymentListOut, error) {
		l, err := svc.ListDeployments(ctx, workflow.DeploymentFilter{ProjectID: in.ProjectID, Environment: in.Environment,
			Status: in.Status, Branch: in.Branch, WorkItemID: in.WorkItemID, EntityID: in.EntityID},
			page(in.Limit, in.Cursor))
		if err != nil {
			return DeploymentListOut{}, err
		}
		out := DeploymentListOut{Deployments: make([]DeploymentOut, len(l.Items)), Count: len(l.Items), NextCursor: l.NextCursor, More: more(l.NextCursor)}
		for i, d := range l.Items {
			out.Deployments[i] = toDeploymentOut(d)
		}
		return out, nil
	}
}
