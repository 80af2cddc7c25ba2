package workflow

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/mcp-memory/servers/internal/apperr"
)

// Work item types, statuses and the hierarchy limit.
var (
	ItemTypes = []string{"project", "session", "task", "research", "subtask"}
	Statuses  = []string{"planned", "active", "completed", "blocked"}
)

// MaxDepth is the deepest level of the work item hierarchy (roots are 1).
const MaxDepth = 5

// WorkItem is a unit of planned or done work, in a hierarchy of up to
// [MaxDepth] levels.
type WorkItem struct {
	ID        string
	ProjectID string
	// ParentID is empty for a root item.
	ParentID string
	// Path holds the ids from the root down to and including this item.
	Path        []string
	Type        string
	Title       string
	Description string
	Status      string
	Metadata    map[string]any
	References  []ChunkRef
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CompletedAt *time.Time
	DeletedAt   *time.Time
}

// Depth is the item's level: 1 for a root.
func (w WorkItem) Depth() int { return len(w.Path) }

// ReferenceIDs returns the referenced chunk ids in order.
func (w WorkItem) ReferenceIDs() []string {
	ids := make([]string, len(w.References))
	for i, r := range w.References {
		ids[i] = r.ChunkID
	}
	return ids
}

// Validate checks the fields a caller sets.
func (w WorkItem) Validate() error {
	switch {
	case strings.TrimSpace(w.Title) == "":
		return apperr.Invalid("title", "is required")
	case utf8.RuneCountInString(w.Title) > 500:
		return apperr.Invalid("title", "must be at most 500 characters")
	case utf8.RuneCountInString(w.Description) > 100000:
		return apperr.Invalid("description", "must be at most 100000 characters")
	case !slices.Contains(ItemTypes, w.Type):
		return apperr.Invalid("item_type", "must be one of %s, got %q", strings.Join(ItemTypes, ", "), w.Type)
	case !slices.Contains(Statuses, w.Status):
		return apperr.Invalid("status", "must be one of %s, got %q", strings.Join(Statuses, ", "), w.Status)
	}
	return checkMetadata("metadata", w.Metadata)
}

// checkMetadata bounds free-form JSON objects.
func checkMetadata(field string, m map[string]any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return apperr.Invalid(field, "must be a JSON object: %v", err)
	}
	if len(b) > 256<<10 {
		return apperr.Invalid(field, "must be at most 256 KiB of JSON, got %d bytes", len(b))
	}
	return nil
}

// NewWorkItem is the input of [Service.CreateWorkItem].
type NewWorkItem struct {
	ProjectID   string
	Type        string // default "task"
	Title       string
	Description string
	Status      string // default "planned"
	ParentID    string
	Metadata    map[string]any
	References  []string
}

// WorkItemUpdate changes the non-nil fields of a work item whose version
// is still Version.
type WorkItemUpdate struct {
	ProjectID   string
	ID          string
	Version     int
	Type        *string
	Title       *string
	Description *string
	Status      *string
	// ParentID moves the item (with its subtree); "" makes it a root.
	ParentID *string
	// Metadata replaces the whole metadata object.
	Metadata *map[string]any
	// References replaces the whole reference list.
	References *[]string
}

// WorkItemView is a work item as answered: with what codebase-mcp said
// about its references, and warnings.
type WorkItemView struct {
	WorkItem
	Code     CodeStatus
	Warnings []string
}

// WorkItemFilter selects work items in [Service.QueryWorkItems].
type WorkItemFilter struct {
	ProjectID string
	Status    string
	Type      string
	// ParentID restricts to direct children ("" = any).
	ParentID string
	// OpenOnly excludes completed items.
	OpenOnly bool
	// ChunkIDs and FilePaths restrict to items referencing any of them
	// (the reverse lookup from code to work).
	ChunkIDs       []string
	FilePaths      []string
	IncludeDeleted bool
}

// WorkItemList is a page of work items with warnings about references.
type WorkItemList struct {
	List[WorkItemView]
	Warnings []string
}

// CreateWorkItem creates a work item, under parent_id when given. Code
// references are resolved against codebase-mcp and snapshotted; when it is
// unreachable they are kept as given and the answer warns.
func (s *Service) CreateWorkItem(ctx context.Context, in NewWorkItem) (WorkItemView, error) {
	w := WorkItem{Type: in.Type, Title: strings.TrimSpace(in.Title), Description: in.Description,
		Status: in.Status, Metadata: in.Metadata}
	if w.Type == "" {
		w.Type = "task"
	}
	if w.Status == "" {
		w.Status = "planned"
	}
	if w.Metadata == nil {
		w.Metadata = map[string]any{}
	}
	if err := w.Validate(); err != nil {
		return WorkItemView{}, err
	}
	ids, err := normalizeRefs(in.References)
	if err != nil {
		return WorkItemView{}, err
	}
	if w.ProjectID, err = s.projectID(ctx, in.ProjectID); err != nil {
		return WorkItemView{}, err
	}
	w.ID = uuid.NewString()
	w.Path = []string{w.ID}
	if in.ParentID != "" {
		if w.ParentID, err = checkID("parent_id", in.ParentID); err != nil {
			return WorkItemView{}, err
		}
		parent, err := s.store.WorkItem(ctx, w.ProjectID, w.ParentID, false)
		if err != nil {
			return WorkItemView{}, notFoundField(err, "parent_id", "parent work item %s not found in this project", w.ParentID)
		}
		if parent.Depth() >= MaxDepth {
			return WorkItemView{}, apperr.Invalid("parent_id", "the parent is at depth %d; the hierarchy allows at most %d levels", parent.Depth(), MaxDepth)
		}
		w.Path = append(slices.Clone(parent.Path), w.ID)
	}
	if w.Status == "completed" {
		now := s.now().UTC()
		w.CompletedAt = &now
	}
	refs, st, warnings := s.resolveNew(ctx, ids)
	for i := range refs {
		refs[i].WorkItemID = w.ID
	}
	w.References = refs
	if len(ids) == 0 && s.code != nil {
		_, warnings = s.checkRefs(ctx, w.ProjectID, nil)
	}
	created, err := s.store.CreateWorkItem(ctx, w)
	if err != nil {
		return WorkItemView{}, err
	}
	return WorkItemView{WorkItem: created, Code: st, Warnings: warnings}, nil
}

// notFoundField rewrites a NOT_FOUND from the store into one naming the
// input field; other errors pass unchanged.
func notFoundField(err error, field, format string, args ...any) error {
	if apperr.CodeOf(err) != apperr.NotFound {
		return err
	}
	e := apperr.New(apperr.NotFound, format, args...)
	return e.WithDetails(map[string]any{"field": field})
}

// GetWorkItem returns a work item with stale references, replacement
// suggestions and warnings.
func (s *Service) GetWorkItem(ctx context.Context, projectID, id string) (WorkItemView, error) {
	id, err := checkID("work_item_id", id)
	if err != nil {
		return WorkItemView{}, err
	}
	if projectID, err = s.projectID(ctx, projectID); err != nil {
		return WorkItemView{}, err
	}
	w, err := s.store.WorkItem(ctx, projectID, id, true)
	if err != nil {
		return WorkItemView{}, err
	}
	st, warnings := s.checkRefs(ctx, projectID, w.References)
	return WorkItemView{WorkItem: w, Code: st[w.ID], Warnings: warnings}, nil
}

// UpdateWorkItem changes a work item if its version is still u.Version;
// otherwise it fails with VERSION_CONFLICT and the current version, and
// nothing changes. Completing an item sets completed_at; leaving
// completed clears it. Changing parent_id moves the whole subtree.
func (s *Service) UpdateWorkItem(ctx context.Context, u WorkItemUpdate) (WorkItemView, error) {
	id, err := checkID("work_item_id", u.ID)
	if err != nil {
		return WorkItemView{}, err
	}
	if u.Version < 1 {
		return WorkItemView{}, apperr.Invalid("version", "is required: pass the version you read (get_work_item)")
	}
	var ids []string
	if u.References != nil {
		if ids, err = normalizeRefs(*u.References); err != nil {
			return WorkItemView{}, err
		}
	}
	projectID, err := s.projectID(ctx, u.ProjectID)
	if err != nil {
		return WorkItemView{}, err
	}
	cur, err := s.store.WorkItem(ctx, projectID, id, false)
	if err != nil {
		return WorkItemView{}, err
	}
	if cur.Version != u.Version {
		return WorkItemView{}, versionConflict("work item", id, cur.Version, u.Version)
	}
	w := cur
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&w.Type, u.Type)
	set(&w.Description, u.Description)
	set(&w.Status, u.Status)
	if u.Title != nil {
		w.Title = strings.TrimSpace(*u.Title)
	}
	if u.Metadata != nil {
		w.Metadata = *u.Metadata
		if w.Metadata == nil {
			w.Metadata = map[string]any{}
		}
	}
	if err := w.Validate(); err != nil {
		return WorkItemView{}, err
	}
	switch {
	case w.Status == "completed" && cur.Status != "completed":
		now := s.now().UTC()
		w.CompletedAt = &now
	case w.Status != "completed":
		w.CompletedAt = nil
	}
	if u.ParentID != nil {
		if err := s.move(ctx, &w, cur, strings.TrimSpace(*u.ParentID)); err != nil {
			return WorkItemView{}, err
		}
	}
	var refs []ChunkRef
	var st CodeStatus
	var warnings []string
	if u.References != nil {
		refs, st, warnings = s.resolveNew(ctx, ids)
		for i := range refs {
			refs[i].WorkItemID = w.ID
		}
		if refs == nil {
			refs = []ChunkRef{}
		}
	}
	updated, err := s.store.UpdateWorkItem(ctx, w, u.Version, refs)
	if err != nil {
		return WorkItemView{}, err
	}
	if u.References == nil {
		var all map[string]CodeStatus
		all, warnings = s.checkRefs(ctx, projectID, updated.References)
		st = all[updated.ID]
	}
	return WorkItemView{WorkItem: updated, Code: st, Warnings: warnings}, nil
}

// move re-parents w under parentID ("" = root), checking that the new
// parent is not inside w's subtree and that the subtree stays within
// [MaxDepth] levels (the store re-checks the depth under its write).
func (s *Service) move(ctx context.Context, w *WorkItem, cur WorkItem, parentID string) error {
	if parentID == "" {
		w.ParentID, w.Path = "", []string{w.ID}
		return nil
	}
	parentID, err := checkID("parent_id", parentID)
	if err != nil {
		return err
	}
	if parentID == cur.ParentID {
		return nil
	}
	parent, err := s.store.WorkItem(ctx, w.ProjectID, parentID, false)
	if err != nil {
		return notFoundField(err, "parent_id", "parent work item %s not found in this project", parentID)
	}
	if slices.Contains(parent.Path, w.ID) {
		return apperr.Invalid("parent_id", "%s is the item itself or one of its descendants; that would make a cycle", parentID)
	}
	w.ParentID, w.Path = parentID, append(slices.Clone(parent.Path), w.ID)
	return nil
}

// versionConflict is the error of a stale write: it carries the current version.
func versionConflict(what, id string, current, given int) error {
	return (&apperr.Error{Code: apperr.VersionConflict,
		Message: what + " " + id + " changed since you read it: your version is " + itoa(given) +
			", the current version is " + itoa(current) + "; read it again and reapply your change"}).
		WithDetails(map[string]any{"current_version": current, "your_version": given})
}

// DeleteWorkItem soft-deletes a work item and its descendants. confirmed
// must be true, so that a deletion is never accidental.
func (s *Service) DeleteWorkItem(ctx context.Context, projectID, id string, confirmed bool) (int, error) {
	id, err := checkID("work_item_id", id)
	if err != nil {
		return 0, err
	}
	if !confirmed {
		return 0, apperr.Invalid("confirmed", "must be true to delete; the item and its descendants will be hidden from lists")
	}
	if projectID, err = s.projectID(ctx, projectID); err != nil {
		return 0, err
	}
	return s.store.DeleteWorkItem(ctx, projectID, id, s.now().UTC())
}

// QueryWorkItems lists work items matching f, oldest first. With ChunkIDs
// or FilePaths it is the reverse lookup: the items that reference that code.
func (s *Service) QueryWorkItems(ctx context.Context, f WorkItemFilter, page Page) (WorkItemList, error) {
	const order = "work_items"
	n, err := page.limit()
	if err != nil {
		return WorkItemList{}, err
	}
	after, err := page.keyset(order)
	if err != nil {
		return WorkItemList{}, err
	}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return WorkItemList{}, apperr.Invalid("status", "must be one of %s, got %q", strings.Join(Statuses, ", "), f.Status)
	}
	if f.Type != "" && !slices.Contains(ItemTypes, f.Type) {
		return WorkItemList{}, apperr.Invalid("item_type", "must be one of %s, got %q", strings.Join(ItemTypes, ", "), f.Type)
	}
	if f.ParentID != "" {
		if f.ParentID, err = checkID("parent_id", f.ParentID); err != nil {
			return WorkItemList{}, err
		}
	}
	if len(f.ChunkIDs) > MaxLimit || len(f.FilePaths) > MaxLimit {
		return WorkItemList{}, apperr.Invalid("chunk_ids", "at most %d chunk ids and %d file paths", MaxLimit, MaxLimit)
	}
	if f.ProjectID, err = s.projectID(ctx, f.ProjectID); err != nil {
		return WorkItemList{}, err
	}
	items, err := s.store.ListWorkItems(ctx, f, after, n+1)
	if err != nil {
		return WorkItemList{}, err
	}
	page1 := pageOf(items, n, order, func(w WorkItem) Keyset { return Keyset{Time: w.CreatedAt, ID: w.ID} })
	return s.views(ctx, f.ProjectID, page1), nil
}

// views adds the reference check of a whole page (one codebase-mcp call).
func (s *Service) views(ctx context.Context, projectID string, l List[WorkItem]) WorkItemList {
	var refs []ChunkRef
	for _, w := range l.Items {
		refs = append(refs, w.References...)
	}
	st, warnings := s.checkRefs(ctx, projectID, refs)
	out := WorkItemList{List: List[WorkItemView]{Items: make([]WorkItemView, len(l.Items)), NextCursor: l.NextCursor}, Warnings: warnings}
	for i, w := range l.Items {
		out.Items[i] = WorkItemView{WorkItem: w, Code: st[w.ID]}
	}
	return out
}

// Hierarchy is a work item with its ancestors (root first), direct
// children and descendants (shallowest first, at most the asked limit).
type Hierarchy struct {
	Item            WorkItem
	Ancestors       []WorkItem
	Children        []WorkItem
	Descendants     []WorkItem
	DescendantCount int
}

// GetWorkItemHierarchy returns a work item's place in the hierarchy. limit
// bounds the descendants listed (default 50, at most 500).
func (s *Service) GetWorkItemHierarchy(ctx context.Context, projectID, id string, limit int) (Hierarchy, error) {
	id, err := checkID("work_item_id", id)
	if err != nil {
		return Hierarchy{}, err
	}
	n, err := Page{Limit: limit}.limit()
	if err != nil {
		return Hierarchy{}, err
	}
	if projectID, err = s.projectID(ctx, projectID); err != nil {
		return Hierarchy{}, err
	}
	w, err := s.store.WorkItem(ctx, projectID, id, false)
	if err != nil {
		return Hierarchy{}, err
	}
	h := Hierarchy{Item: w, Ancestors: []WorkItem{}, Children: []WorkItem{}}
	if len(w.Path) > 1 {
		if h.Ancestors, err = s.store.WorkItemsByID(ctx, projectID, w.Path[:len(w.Path)-1]); err != nil {
			return Hierarchy{}, err
		}
	}
	if h.Descendants, h.DescendantCount, err = s.store.Descendants(ctx, projectID, pathString(w.Path), n); err != nil {
		return Hierarchy{}, err
	}
	for _, d := range h.Descendants {
		if d.ParentID == w.ID {
			h.Children = append(h.Children, d)
		}
	}
	return h, nil
}

// pathString is the stored form of a materialized path: "/id1/id2/".
func pathString(ids []string) string { return "/" + strings.Join(ids, "/") + "/" }

// PathString is the stored form of a materialized path, for stores.
func PathString(ids []string) string { return pathString(ids) }

// ParsePath is the inverse of [PathString].
func ParsePath(s string) []string { return strings.Split(strings.Trim(s, "/"), "/") }
