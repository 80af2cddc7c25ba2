package workflow

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
)

// Environments and statuses of deployments.
var (
	Environments       = []string{"production", "staging", "dev"}
	DeploymentStatuses = []string{"pending", "deployed", "failed", "rolled_back"}
)

// Deployment records code going out to an environment, linked to the work
// items and entities it delivers.
type Deployment struct {
	ID          string
	ProjectID   string
	CommitSHA   string
	Branch      string
	Environment string
	Status      string
	Message     string
	Author      string
	DeployedAt  time.Time
	Metadata    map[string]any
	WorkItemIDs []string
	EntityIDs   []string
	CreatedAt   time.Time
}

// A git commit: 7-40 hex digits (abbreviated or SHA-1), or 64 (SHA-256).
var shaRE = regexp.MustCompile(`^(?:[0-9a-f]{7,40}|[0-9a-f]{64})$`)

// Validate checks d's fields.
func (d Deployment) Validate() error {
	switch {
	case !shaRE.MatchString(d.CommitSHA):
		return apperr.Invalid("commit_sha", "must be a git commit hash: 7 to 40 (or 64) hex digits, got %q", d.CommitSHA)
	case !slices.Contains(Environments, d.Environment):
		return apperr.Invalid("environment", "must be one of %s, got %q", strings.Join(Environments, ", "), d.Environment)
	case !slices.Contains(DeploymentStatuses, d.Status):
		return apperr.Invalid("status", "must be one of %s, got %q", strings.Join(DeploymentStatuses, ", "), d.Status)
	case len(d.Branch) > 255:
		return apperr.Invalid("branch", "must be at most 255 characters")
	case len(d.Message) > 10000:
		return apperr.Invalid("message", "must be at most 10000 characters")
	case len(d.Author) > 255:
		return apperr.Invalid("author", "must be at most 255 characters")
	case len(d.WorkItemIDs) > MaxLimit || len(d.EntityIDs) > MaxLimit:
		return apperr.Invalid("work_item_ids", "at most %d linked work items and %d entities", MaxLimit, MaxLimit)
	}
	return checkMetadata("metadata", d.Metadata)
}

// DeploymentFilter selects deployments in [Service.ListDeployments].
type DeploymentFilter struct {
	ProjectID   string
	Environment string
	Status      string
	Branch      string
	WorkItemID  string
	EntityID    string
	// Since and Until bound deployed_at (inclusive); zero means open.
	Since, Until time.Time
}

// RecordDeployment records a deployment. DeployedAt defaults to now,
// Status to "deployed"; linked work items and entities must exist in the
// project.
func (s *Service) RecordDeployment(ctx context.Context, projectID string, d Deployment) (Deployment, error) {
	d.CommitSHA = strings.ToLower(strings.TrimSpace(d.CommitSHA))
	if d.Status == "" {
		d.Status = "deployed"
	}
	if d.DeployedAt.IsZero() {
		d.DeployedAt = s.now().UTC()
	}
	if d.Metadata == nil {
		d.Metadata = map[string]any{}
	}
	if err := d.Validate(); err != nil {
		return Deployment{}, err
	}
	var err error
	if d.WorkItemIDs, err = checkIDs("work_item_ids", d.WorkItemIDs); err != nil {
		return Deployment{}, err
	}
	if d.EntityIDs, err = checkIDs("entity_ids", d.EntityIDs); err != nil {
		return Deployment{}, err
	}
	if d.ProjectID, err = s.projectID(ctx, projectID); err != nil {
		return Deployment{}, err
	}
	return s.store.CreateDeployment(ctx, d)
}

// checkIDs validates a list of ids and drops duplicates.
func checkIDs(field string, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id, err := checkID(field, id)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// ListDeployments lists deployments matching f, newest first.
func (s *Service) ListDeployments(ctx context.Context, f DeploymentFilter, page Page) (List[Deployment], error) {
	const order = "deployments"
	n, err := page.limit()
	if err != nil {
		return List[Deployment]{}, err
	}
	after, err := page.keyset(order)
	if err != nil {
		return List[Deployment]{}, err
	}
	if f.Environment != "" && !slices.Contains(Environments, f.Environment) {
		return List[Deployment]{}, apperr.Invalid("environment", "must be one of %s, got %q", strings.Join(Environments, ", "), f.Environment)
	}
	if f.Status != "" && !slices.Contains(DeploymentStatuses, f.Status) {
		return List[Deployment]{}, apperr.Invalid("status", "must be one of %s, got %q", strings.Join(DeploymentStatuses, ", "), f.Status)
	}
	if f.WorkItemID != "" {
		if f.WorkItemID, err = checkID("work_item_id", f.WorkItemID); err != nil {
			return List[Deployment]{}, err
		}
	}
	if f.EntityID != "" {
		if f.EntityID, err = checkID("entity_id", f.EntityID); err != nil {
			return List[Deployment]{}, err
		}
	}
	if f.ProjectID, err = s.projectID(ctx, f.ProjectID); err != nil {
		return List[Deployment]{}, err
	}
	ds, err := s.store.ListDeployments(ctx, f, after, n+1)
	if err != nil {
		return List[Deployment]{}, err
	}
	return pageOf(ds, n, order, func(d Deployment) Keyset { return Keyset{Time: d.DeployedAt, ID: d.ID} }), nil
}
