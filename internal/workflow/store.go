package workflow

import (
	"context"
	"time"
)

// Store persists workflow data. Every method that takes a project id acts
// only on that project's rows. Methods return apperr errors: NOT_FOUND for
// a missing (or soft-deleted, unless asked) row, ALREADY_EXISTS for a
// unique violation, VERSION_CONFLICT (details "current_version") when a
// version-checked write finds another version, VALIDATION_ERROR when a
// database constraint rejects the data, SERVICE_UNAVAILABLE when the
// database cannot be reached.
type Store interface {
	// CreateProject inserts p. Returns ALREADY_EXISTS when the name is taken
	// (case-insensitively).
	CreateProject(ctx context.Context, p Project) (Project, error)
	// ProjectByID returns a project with its counts. Returns NOT_FOUND.
	ProjectByID(ctx context.Context, id string) (Project, error)
	// ProjectByName finds a project case-insensitively. Returns NOT_FOUND.
	ProjectByName(ctx context.Context, name string) (Project, error)
	// ListProjects returns up to n projects after k, most recently active
	// (activated, else created) first.
	ListProjects(ctx context.Context, after Keyset, n int) ([]Project, error)
	// SetActiveProject makes id the active project and stamps its
	// last_activated_at, atomically. Returns NOT_FOUND.
	SetActiveProject(ctx context.Context, id string) (ActiveProject, error)
	// ActiveProject returns the active project. Returns NOT_FOUND when none.
	ActiveProject(ctx context.Context) (ActiveProject, error)

	// CreateWorkItem inserts w (ID, Path and Depth set by the caller) with
	// its references. Returns NOT_FOUND when the parent is gone.
	CreateWorkItem(ctx context.Context, w WorkItem) (WorkItem, error)
	// WorkItem returns one work item with its references. Returns NOT_FOUND.
	WorkItem(ctx context.Context, projectID, id string, includeDeleted bool) (WorkItem, error)
	// UpdateWorkItem writes w if the stored version is still version, bumps
	// the version and, when w moved (its Path differs), rewrites the paths
	// of its descendants. refs nil keeps the references. Returns
	// VERSION_CONFLICT, NOT_FOUND, or VALIDATION_ERROR when the move would
	// exceed the depth limit.
	UpdateWorkItem(ctx context.Context, w WorkItem, version int, refs []ChunkRef) (WorkItem, error)
	// DeleteWorkItem soft-deletes a work item and its descendants and
	// returns how many items were deleted. Returns NOT_FOUND.
	DeleteWorkItem(ctx context.Context, projectID, id string, at time.Time) (int, error)
	// ListWorkItems returns up to n work items matching f after k, oldest first.
	ListWorkItems(ctx context.Context, f WorkItemFilter, after Keyset, n int) ([]WorkItem, error)
	// Ancestors returns the work items with the given ids (root first).
	WorkItemsByID(ctx context.Context, projectID string, ids []string) ([]WorkItem, error)
	// Descendants returns up to n live descendants of the item at path,
	// shallowest first, and how many there are in all.
	Descendants(ctx context.Context, projectID, path string, n int) ([]WorkItem, int, error)
	// UpdateRefSnapshots stores resolved snapshots for references that had
	// none, without changing the work items' versions.
	UpdateRefSnapshots(ctx context.Context, projectID string, refs []ChunkRef) error

	// AddDependency inserts d after checking, under a per-project lock,
	// that a "blocks" dependency closes no cycle. Returns NOT_FOUND,
	// ALREADY_EXISTS, or VALIDATION_ERROR naming the cycle.
	AddDependency(ctx context.Context, d Dependency) (Dependency, error)
	// ListBlocked returns up to n open work items after k that have status
	// blocked or an open "blocks" dependency, with their blockers.
	ListBlocked(ctx context.Context, projectID string, after Keyset, n int) ([]BlockedWorkItem, error)

	// EntityType returns a type. Returns NOT_FOUND.
	EntityType(ctx context.Context, projectID, name string) (EntityType, error)
	// CreateEntityType inserts t. Returns ALREADY_EXISTS.
	CreateEntityType(ctx context.Context, t EntityType) (EntityType, error)
	// UpdateEntityType replaces t's schema and description if its schema
	// version is still version, and increments it. Returns VERSION_CONFLICT.
	UpdateEntityType(ctx context.Context, t EntityType, version int) (EntityType, error)
	// EachEntity calls fn for every live entity of a type, in batches.
	EachEntity(ctx context.Context, projectID, typeName string, fn func(Entity) error) error

	// CreateEntity inserts e. Returns ALREADY_EXISTS (same type and name)
	// or NOT_FOUND (no such type).
	CreateEntity(ctx context.Context, e Entity) (Entity, error)
	// Entity returns one entity. Returns NOT_FOUND.
	Entity(ctx context.Context, projectID, id string, includeDeleted bool) (Entity, error)
	// UpdateEntity writes e's data and tags if the stored version is still
	// version. Returns VERSION_CONFLICT or NOT_FOUND.
	UpdateEntity(ctx context.Context, e Entity, version int) (Entity, error)
	// DeleteEntity soft-deletes an entity. Returns NOT_FOUND.
	DeleteEntity(ctx context.Context, projectID, id string, at time.Time) (Entity, error)
	// QueryEntities returns up to n entities matching f after k in f's order.
	QueryEntities(ctx context.Context, f EntityFilter, after Keyset, n int) ([]Entity, error)

	// CreateDeployment inserts d with its links. Returns NOT_FOUND when a
	// linked work item or entity does not exist in the project.
	CreateDeployment(ctx context.Context, d Deployment) (Deployment, error)
	// ListDeployments returns up to n deployments matching f after k, newest first.
	ListDeployments(ctx context.Context, f DeploymentFilter, after Keyset, n int) ([]Deployment, error)
}
