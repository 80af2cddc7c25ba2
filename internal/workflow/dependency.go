package workflow

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/mcp-memory/servers/internal/apperr"
)

// DependencyTypes are the kinds of dependency. Only "blocks" orders work:
// it is the one checked for cycles and the one that makes an item blocked.
var DependencyTypes = []string{"blocks", "relates_to", "duplicates"}

// Dependency says that WorkItemID depends on DependsOnID. For "blocks",
// DependsOnID must be completed before WorkItemID can proceed.
type Dependency struct {
	ProjectID   string
	WorkItemID  string
	DependsOnID string
	Type        string
	CreatedAt   time.Time
}

// Validate checks d's fields.
func (d Dependency) Validate() error {
	if !slices.Contains(DependencyTypes, d.Type) {
		return apperr.Invalid("dependency_type", "must be one of %s, got %q", strings.Join(DependencyTypes, ", "), d.Type)
	}
	if d.WorkItemID == d.DependsOnID {
		return apperr.Invalid("depends_on_id", "a work item cannot depend on itself")
	}
	return nil
}

// BlockedWorkItem is an open work item that cannot proceed: its status is
// blocked, or open work items block it.
type BlockedWorkItem struct {
	WorkItem
	// BlockedBy are the ids of the open items it depends on with "blocks".
	BlockedBy []string
}

// AddWorkItemDependency records that workItemID depends on dependsOnID. A
// "blocks" dependency that would close a cycle is rejected.
func (s *Service) AddWorkItemDependency(ctx context.Context, projectID, workItemID, dependsOnID, typ string) (Dependency, error) {
	var err error
	d := Dependency{Type: typ}
	if d.Type == "" {
		d.Type = "blocks"
	}
	if d.WorkItemID, err = checkID("work_item_id", workItemID); err != nil {
		return Dependency{}, err
	}
	if d.DependsOnID, err = checkID("depends_on_id", dependsOnID); err != nil {
		return Dependency{}, err
	}
	if err := d.Validate(); err != nil {
		return Dependency{}, err
	}
	if d.ProjectID, err = s.projectID(ctx, projectID); err != nil {
		return Dependency{}, err
	}
	return s.store.AddDependency(ctx, d)
}

// ListBlockedWorkItems lists open work items that are blocked, oldest first.
func (s *Service) ListBlockedWorkItems(ctx context.Context, projectID string, page Page) (List[BlockedWorkItem], error) {
	const order = "blocked"
	n, err := page.limit()
	if err != nil {
		return List[BlockedWorkItem]{}, err
	}
	after, err := page.keyset(order)
	if err != nil {
		return List[BlockedWorkItem]{}, err
	}
	if projectID, err = s.projectID(ctx, projectID); err != nil {
		return List[BlockedWorkItem]{}, err
	}
	items, err := s.store.ListBlocked(ctx, projectID, after, n+1)
	if err != nil {
		return List[BlockedWorkItem]{}, err
	}
	return pageOf(items, n, order, func(b BlockedWorkItem) Keyset { return Keyset{Time: b.CreatedAt, ID: b.ID} }), nil
}
