package api

import (
	"context"

	"github.com/mcp-memory/servers/internal/workflow"
)

// CreateWorkItemIn is the input of create_work_item.
type CreateWorkItemIn struct {
	Title            string         `json:"title"`
	ItemType         string         `json:"item_type,omitempty" jsonschema:"project, session, task (default), research or subtask."`
	Description      string         `json:"description,omitempty"`
	Status           string         `json:"status,omitempty" jsonschema:"planned (default), active, completed or blocked."`
	ParentID         string         `json:"parent_id,omitempty" jsonschema:"Parent id; at most 5 levels."`
	ProjectID        string         `json:"project_id,omitempty" jsonschema:"Default: active project."`
	EntityReferences []string       `json:"entity_references,omitempty" jsonschema:"codebase-mcp chunk ids this work touches."`
	Metadata         map[string]any `json:"metadata,omitempty" jsonschema:"Free JSON object."`
}

// WorkItemOut is a work item.
type WorkItemOut struct {
	ID               string            `json:"id"`
	ProjectID        string            `json:"project_id"`
	ItemType         string            `json:"item_type"`
	Title            string            `json:"title"`
	Description      string            `json:"description"`
	Status           string            `json:"status"`
	ParentID         string            `json:"parent_id,omitempty"`
	Depth            int               `json:"depth"`
	Metadata         map[string]any    `json:"metadata"`
	EntityReferences []string          `json:"entity_references"`
	StaleReferences  []string          `json:"stale_references"`
	Replacements     map[string]string `json:"suggested_replacements,omitempty"`
	Warnings         []string          `json:"warnings"`
	Version          int               `json:"version"`
	CreatedAt        string            `json:"created_at"`
	UpdatedAt        string            `json:"updated_at"`
	CompletedAt      string            `json:"completed_at,omitempty"`
	DeletedAt        string            `json:"deleted_at,omitempty"`
}

func toWorkItemOut(v workflow.WorkItemView) WorkItemOut {
	w := v.WorkItem
	out := WorkItemOut{ID: w.ID, ProjectID: w.ProjectID, ItemType: w.Type, Title: w.Title, Description: w.Description,
		Status: w.Status, ParentID: w.ParentID, Depth: w.Depth(), Metadata: w.Metadata, EntityReferences: w.ReferenceIDs(),
		StaleReferences: nonNil(v.Code.Stale), Warnings: nonNil(v.Warnings), Version: w.Version,
		CreatedAt: timestamp(w.CreatedAt), UpdatedAt: timestamp(w.UpdatedAt),
		CompletedAt: optTimestamp(w.CompletedAt), DeletedAt: optTimestamp(w.DeletedAt)}
	if out.Metadata == nil {
		out.Metadata = map[string]any{}
	}
	for _, r := range v.Code.Replacements {
		if out.Replacements == nil {
			out.Replacements = map[string]string{}
		}
		out.Replacements[r.StaleChunkID] = r.Chunk.ChunkID
	}
	return out
}

// GetWorkItemIn is the input of get_work_item.
type GetWorkItemIn struct {
	WorkItemID string `json:"work_item_id"`
	ProjectID  string `json:"project_id,omitempty" jsonschema:"Default: active project."`
}

// UpdateWorkItemIn is the input of update_work_item. Absent fields keep
// their value.
type UpdateWorkItemIn struct {
	WorkItemID       string          `json:"work_item_id"`
	Version          int             `json:"version" jsonschema:"The version you read."`
	ProjectID        string          `json:"project_id,omitempty" jsonschema:"Default: active project."`
	Title            *string         `json:"title,omitempty"`
	Description      *string         `json:"description,omitempty"`
	Status           *string         `json:"status,omitempty" jsonschema:"planned, active, completed or blocked."`
	ItemType         *string         `json:"item_type,omitempty"`
	ParentID         *string         `json:"parent_id,omitempty" jsonschema:"New parent (moves the subtree); empty: root."`
	Metadata         *map[string]any `json:"metadata,omitempty" jsonschema:"Replaces the object."`
	EntityReferences *[]string       `json:"entity_references,omitempty" jsonschema:"Replaces the list."`
}

// QueryWorkItemsIn is the input of query_work_items.
type QueryWorkItemsIn struct {
	ProjectID      string   `json:"project_id,omitempty" jsonschema:"Default: active project."`
	Status         string   `json:"status,omitempty"`
	ItemType       string   `json:"item_type,omitempty"`
	ParentID       string   `json:"parent_id,omitempty" jsonschema:"Direct children of this item."`
	OpenOnly       bool     `json:"open_only,omitempty" jsonschema:"Exclude completed items."`
	ChunkIDs       []string `json:"chunk_ids,omitempty" jsonschema:"Only items referencing these chunks."`
	FilePaths      []string `json:"file_paths,omitempty" jsonschema:"Only items referencing these files."`
	IncludeDeleted bool     `json:"include_deleted,omitempty"`
	Limit          int      `json:"limit,omitempty" jsonschema:"1-500, default 50."`
	Cursor         string   `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page."`
}

// WorkItemBriefOut is a work item in a list; get_work_item has the rest.
type WorkItemBriefOut struct {
	WorkItemSummaryOut
	EntityReferences []string `json:"entity_references"`
	StaleReferences  []string `json:"stale_references"`
	UpdatedAt        string   `json:"updated_at"`
	CompletedAt      string   `json:"completed_at,omitempty"`
}

// WorkItemListOut is a page of work items, oldest first.
type WorkItemListOut struct {
	WorkItems  []WorkItemBriefOut `json:"work_items"`
	Count      int                `json:"count"`
	NextCursor string             `json:"next_cursor,omitempty"`
	More       string             `json:"more,omitempty"`
	Warnings   []string           `json:"warnings"`
}

// HierarchyIn is the input of get_work_item_hierarchy.
type HierarchyIn struct {
	WorkItemID string `json:"work_item_id"`
	ProjectID  string `json:"project_id,omitempty" jsonschema:"Default: active project."`
	Limit      int    `json:"limit,omitempty" jsonschema:"Max descendants, 1-500, default 50."`
}

// WorkItemSummaryOut is a work item's place in a hierarchy.
type WorkItemSummaryOut struct {
	ID       string `json:"id"`
	ItemType string `json:"item_type"`
	Title    string `json:"title"`
	Status   string `json:"status"`
	ParentID string `json:"parent_id,omitempty"`
	Depth    int    `json:"depth"`
}

func toSummary(w workflow.WorkItem) WorkItemSummaryOut {
	return WorkItemSummaryOut{ID: w.ID, ItemType: w.Type, Title: w.Title, Status: w.Status, ParentID: w.ParentID,
		Depth: w.Depth()}
}

func summaries(ws []workflow.WorkItem) []WorkItemSummaryOut {
	out := make([]WorkItemSummaryOut, len(ws))
	for i, w := range ws {
		out[i] = toSummary(w)
	}
	return out
}

// HierarchyOut is the answer of get_work_item_hierarchy.
type HierarchyOut struct {
	WorkItemID      string               `json:"work_item_id"`
	Ancestors       []WorkItemSummaryOut `json:"ancestors"`
	Children        []string             `json:"children"`
	Descendants     []WorkItemSummaryOut `json:"descendants"`
	DescendantCount int                  `json:"descendant_count"`
}

// DeleteWorkItemIn is the input of delete_work_item.
type DeleteWorkItemIn struct {
	WorkItemID string `json:"work_item_id"`
	Confirmed  bool   `json:"confirmed" jsonschema:"Must be true."`
	ProjectID  string `json:"project_id,omitempty" jsonschema:"Default: active project."`
}

// DeleteWorkItemOut is the answer of delete_work_item.
type DeleteWorkItemOut struct {
	WorkItemID   string `json:"work_item_id"`
	DeletedCount int    `json:"deleted_count"`
}

// AddDependencyIn is the input of add_work_item_dependency.
type AddDependencyIn struct {
	WorkItemID     string `json:"work_item_id"`
	DependsOnID    string `json:"depends_on_id"`
	DependencyType string `json:"dependency_type,omitempty" jsonschema:"blocks (default), relates_to or duplicates."`
	ProjectID      string `json:"project_id,omitempty" jsonschema:"Default: active project."`
}

// DependencyOut is a dependency.
type DependencyOut struct {
	WorkItemID     string `json:"work_item_id"`
	DependsOnID    string `json:"depends_on_id"`
	DependencyType string `json:"dependency_type"`
	CreatedAt      string `json:"created_at"`
}

// ListBlockedIn is the input of list_blocked_work_items.
type ListBlockedIn struct {
	ProjectID string `json:"project_id,omitempty" jsonschema:"Default: active project."`
	Limit     int    `json:"limit,omitempty" jsonschema:"1-500, default 50."`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page."`
}

// BlockedOut is a blocked work item.
type BlockedOut struct {
	WorkItemSummaryOut
	BlockedBy []string `json:"blocked_by"`
}

// ListBlockedOut is a page of blocked work items.
type ListBlockedOut struct {
	WorkItems  []BlockedOut `json:"work_items"`
	Count      int          `json:"count"`
	NextCursor string       `json:"next_cursor,omitempty"`
	More       string       `json:"more,omitempty"`
}

func createWorkItem(svc *workflow.Service) func(context.Context, CreateWorkItemIn) (WorkItemOut, error) {
	return func(ctx context.Context, in CreateWorkItemIn) (WorkItemOut, error) {
		v, err := svc.CreateWorkItem(ctx, workflow.NewWorkItem{ProjectID: in.ProjectID, Type: in.ItemType, Title: in.Title,
			Description: in.Description, Status: in.Status, ParentID: in.ParentID, Metadata: in.Metadata, References: in.EntityReferences})
		if err != nil {
			return WorkItemOut{}, err
		}
		return toWorkItemOut(v), nil
	}
}

func getWorkItem(svc *workflow.Service) func(context.Context, GetWorkItemIn) (WorkItemOut, error) {
	return func(ctx context.Context, in GetWorkItemIn) (WorkItemOut, error) {
		v, err := svc.GetWorkItem(ctx, in.ProjectID, in.WorkItemID)
		if err != nil {
			return WorkItemOut{}, err
		}
		return toWorkItemOut(v), nil
	}
}

func updateWorkItem(svc *workflow.Service) func(context.Context, UpdateWorkItemIn) (WorkItemOut, error) {
	return func(ctx context.Context, in UpdateWorkItemIn) (WorkItemOut, error) {
		v, err := svc.UpdateWorkItem(ctx, workflow.WorkItemUpdate{ProjectID: in.ProjectID, ID: in.WorkItemID, Version: in.Version,
			Type: in.ItemType, Title: in.Title, Description: in.Description, Status: in.Status, ParentID: in.ParentID,
			Metadata: in.Metadata, References: in.EntityReferences})
		if err != nil {
			return WorkItemOut{}, err
		}
		return toWorkItemOut(v), nil
	}
}

func queryWorkItems(svc *workflow.Service) func(context.Context, QueryWorkItemsIn) (WorkItemListOut, error) {
	return func(ctx context.Context, in QueryWorkItemsIn) (WorkItemListOut, error) {
		l, err := svc.QueryWorkItems(ctx, workflow.WorkItemFilter{ProjectID: in.ProjectID, Status: in.Status, Type: in.ItemType,
			ParentID: in.ParentID, OpenOnly: in.OpenOnly, ChunkIDs: in.ChunkIDs, FilePaths: in.FilePaths,
			IncludeDeleted: in.IncludeDeleted}, page(in.Limit, in.Cursor))
		if err != nil {
			return WorkItemListOut{}, err
		}
		out := WorkItemListOut{WorkItems: make([]WorkItemBriefOut, len(l.Items)), Count: len(l.Items), NextCursor: l.NextCursor,
			More: more(l.NextCursor), Warnings: nonNil(l.Warnings)}
		for i, v := range l.Items {
			out.WorkItems[i] = WorkItemBriefOut{WorkItemSummaryOut: toSummary(v.WorkItem), EntityReferences: v.ReferenceIDs(),
				StaleReferences: nonNil(v.Code.Stale), UpdatedAt: timestamp(v.UpdatedAt), CompletedAt: optTimestamp(v.CompletedAt)}
		}
		return out, nil
	}
}

func getHierarchy(svc *workflow.Service) func(context.Context, HierarchyIn) (HierarchyOut, error) {
	return func(ctx context.Context, in HierarchyIn) (HierarchyOut, error) {
		h, err := svc.GetWorkItemHierarchy(ctx, in.ProjectID, in.WorkItemID, in.Limit)
		if err != nil {
			return HierarchyOut{}, err
		}
		return HierarchyOut{WorkItemID: h.Item.ID, Ancestors: summaries(h.Ancestors), Children: ids(h.Children),
			Descendants: summaries(h.Descendants), DescendantCount: h.DescendantCount}, nil
	}
}

func deleteWorkItem(svc *workflow.Service) func(context.Context, DeleteWorkItemIn) (DeleteWorkItemOut, error) {
	return func(ctx context.Context, in DeleteWorkItemIn) (DeleteWorkItemOut, error) {
		n, err := svc.DeleteWorkItem(ctx, in.ProjectID, in.WorkItemID, in.Confirmed)
		if err != nil {
			return DeleteWorkItemOut{}, err
		}
		return DeleteWorkItemOut{WorkItemID: in.WorkItemID, DeletedCount: n}, nil
	}
}

func addDependency(svc *workflow.Service) func(context.Context, AddDependencyIn) (DependencyOut, error) {
	return func(ctx context.Context, in AddDependencyIn) (DependencyOut, error) {
		d, err := svc.AddWorkItemDependency(ctx, in.ProjectID, in.WorkItemID, in.DependsOnID, in.DependencyType)
		if err != nil {
			return DependencyOut{}, err
		}
		return DependencyOut{WorkItemID: d.WorkItemID, DependsOnID: d.DependsOnID, DependencyType: d.Type, CreatedAt: timestamp(d.CreatedAt)}, nil
	}
}

func listBlocked(svc *workflow.Service) func(context.Context, ListBlockedIn) (ListBlockedOut, error) {
	return func(ctx context.Context, in ListBlockedIn) (ListBlockedOut, error) {
		l, err := svc.ListBlockedWorkItems(ctx, in.ProjectID, page(in.Limit, in.Cursor))
		if err != nil {
			return ListBlockedOut{}, err
		}
		out := ListBlockedOut{WorkItems: make([]BlockedOut, len(l.Items)), Count: len(l.Items), NextCursor: l.NextCursor, More: more(l.NextCursor)}
		for i, b := range l.Items {
			out.WorkItems[i] = BlockedOut{WorkItemSummaryOut: toSummary(b.WorkItem), BlockedBy: nonNil(b.BlockedBy)}
		}
		return out, nil
	}
}

func ids(ws []workflow.WorkItem) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.ID
	}
	return out
}
