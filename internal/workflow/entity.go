package workflow

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcp-memory/servers/internal/apperr"
)

// Entity is a typed record: its data matches its type's JSON Schema.
type Entity struct {
	ID        string
	ProjectID string
	Type      string
	Name      string
	Data      map[string]any
	Tags      []string
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time
}

// Validate checks the fields that do not depend on the schema.
func (e Entity) Validate() error {
	switch {
	case strings.TrimSpace(e.Type) == "":
		return apperr.Invalid("entity_type", "is required")
	case strings.TrimSpace(e.Name) == "":
		return apperr.Invalid("name", "is required")
	case utf8.RuneCountInString(e.Name) > 500:
		return apperr.Invalid("name", "must be at most 500 characters")
	case e.Data == nil:
		return apperr.Invalid("data", "is required: a JSON object matching the entity type's schema")
	case len(e.Tags) > 50:
		return apperr.Invalid("tags", "at most 50 tags, got %d", len(e.Tags))
	}
	for i, t := range e.Tags {
		if strings.TrimSpace(t) == "" || len(t) > 100 {
			return apperr.Invalid("tags", "tag %d must be 1-100 characters", i)
		}
	}
	return checkMetadata("data", e.Data)
}

// normalizeTags trims, drops duplicates and sorts, so tag sets compare equal.
func normalizeTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, strings.TrimSpace(t))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Entity orders for [EntityFilter.Order].
var EntityOrders = []string{"created_at", "-created_at", "name", "-name"}

// EntityFilter selects entities in [Service.QueryEntities].
type EntityFilter struct {
	ProjectID string
	Type      string
	// Contains is a JSONB containment filter: data @> Contains.
	Contains map[string]any
	// Tags must all be present.
	Tags           []string
	IncludeDeleted bool
	// Order is one of [EntityOrders]: created_at (default) or name, "-" for
	// descending. Both keys never change, so paging is stable.
	Order string
}

// EntityUpdate replaces an entity's data (and tags, when not nil) if its
// version is still Version.
type EntityUpdate struct {
	ProjectID string
	ID        string
	Version   int
	Data      map[string]any
	Tags      *[]string
}

// entityType loads a type, with an error naming the field when missing.
func (s *Service) entityType(ctx context.Context, projectID, name string) (EntityType, error) {
	t, err := s.store.EntityType(ctx, projectID, name)
	return t, notFoundField(err, "entity_type", "entity type %q is not registered in this project; register it with register_entity_type", name)
}

// CreateEntity creates an entity after validating its data against its
// type's schema.
func (s *Service) CreateEntity(ctx context.Context, projectID string, e Entity) (Entity, error) {
	e.Name = strings.TrimSpace(e.Name)
	e.Tags = normalizeTags(e.Tags)
	if err := e.Validate(); err != nil {
		return Entity{}, err
	}
	var err error
	if e.ProjectID, err = s.projectID(ctx, projectID); err != nil {
		return Entity{}, err
	}
	t, err := s.entityType(ctx, e.ProjectID, e.Type)
	if err != nil {
		return Entity{}, err
	}
	sch, err := s.compiled(t)
	if err != nil {
		return Entity{}, err
	}
	if err := validateData(sch, e.Data); err != nil {
		return Entity{}, err
	}
	return s.store.CreateEntity(ctx, e)
}

// UpdateEntity replaces an entity's data if its version is still
// u.Version; otherwise VERSION_CONFLICT with the current version, and
// nothing changes.
func (s *Service) UpdateEntity(ctx context.Context, u EntityUpdate) (Entity, error) {
	id, err := checkID("entity_id", u.ID)
	if err != nil {
		return Entity{}, err
	}
	if u.Version < 1 {
		return Entity{}, apperr.Invalid("version", "is required: pass the version you read")
	}
	projectID, err := s.projectID(ctx, u.ProjectID)
	if err != nil {
		return Entity{}, err
	}
	cur, err := s.store.Entity(ctx, projectID, id, false)
	if err != nil {
		return Entity{}, err
	}
	if cur.Version != u.Version {
		return Entity{}, versionConflict("entity", id, cur.Version, u.Version)
	}
	e := cur
	if u.Data != nil {
		e.Data = u.Data
	}
	if u.Tags != nil {
		e.Tags = normalizeTags(*u.Tags)
	}
	if err := e.Validate(); err != nil {
		return Entity{}, err
	}
	t, err := s.entityType(ctx, projectID, e.Type)
	if err != nil {
		return Entity{}, err
	}
	sch, err := s.compiled(t)
	if err != nil {
		return Entity{}, err
	}
	if err := validateData(sch, e.Data); err != nil {
		return Entity{}, err
	}
	return s.store.UpdateEntity(ctx, e, u.Version)
}

// DeleteEntity soft-deletes an entity; confirmed must be true.
func (s *Service) DeleteEntity(ctx context.Context, projectID, id string, confirmed bool) (Entity, error) {
	id, err := checkID("entity_id", id)
	if err != nil {
		return Entity{}, err
	}
	if !confirmed {
		return Entity{}, apperr.Invalid("confirmed", "must be true to delete the entity")
	}
	if projectID, err = s.projectID(ctx, projectID); err != nil {
		return Entity{}, err
	}
	return s.store.DeleteEntity(ctx, projectID, id, s.now().UTC())
}

// QueryEntities lists entities matching f: containment filter on data,
// all tags, type; paged in a stable order.
func (s *Service) QueryEntities(ctx context.Context, f EntityFilter, page Page) (List[Entity], error) {
	start := time.Now()
	if f.Order == "" {
		f.Order = "created_at"
	}
	if !slices.Contains(EntityOrders, f.Order) {
		return List[Entity]{}, apperr.Invalid("order", "must be one of %s, got %q", strings.Join(EntityOrders, ", "), f.Order)
	}
	n, err := page.limit()
	if err != nil {
		return List[Entity]{}, err
	}
	order := "entities:" + f.Order
	after, err := page.keyset(order)
	if err != nil {
		return List[Entity]{}, err
	}
	if len(f.Tags) > 50 {
		return List[Entity]{}, apperr.Invalid("tags", "at most 50 tags")
	}
	f.Tags = normalizeTags(f.Tags)
	if f.ProjectID, err = s.projectID(ctx, f.ProjectID); err != nil {
		return List[Entity]{}, err
	}
	es, err := s.store.QueryEntities(ctx, f, after, n+1)
	if err != nil {
		return List[Entity]{}, err
	}
	s.entityQuerySeconds.Observe(time.Since(start).Seconds())
	byName := strings.HasSuffix(f.Order, "name")
	return pageOf(es, n, order, func(e Entity) Keyset {
		if byName {
			return Keyset{Key: e.Name, ID: e.ID}
		}
		return Keyset{Time: e.CreatedAt, ID: e.ID}
	}), nil
}
