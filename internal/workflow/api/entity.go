package api

import (
	"context"

	"github.com/mcp-memory/servers/internal/workflow"
)

// RegisterEntityTypeIn is the input of register_entity_type.
type RegisterEntityTypeIn struct {
	TypeName         string         `json:"type_name" jsonschema:"[a-z][a-z0-9_]*, up to 64."`
	Schema           map[string]any `json:"schema" jsonschema:"JSON Schema (draft 2020-12 or 7) of type object."`
	Description      string         `json:"description,omitempty"`
	ValidateExisting bool           `json:"validate_existing,omitempty" jsonschema:"Allow any change all entities pass."`
	ProjectID        string         `json:"project_id,omitempty" jsonschema:"Default: active project."`
}

// EntityTypeOut is an entity type.
type EntityTypeOut struct {
	TypeName      string         `json:"type_name"`
	Description   string         `json:"description"`
	Schema        map[string]any `json:"schema"`
	SchemaVersion int            `json:"schema_version"`
	Created       bool           `json:"created"`
	CreatedAt     string         `json:"created_at"`
	UpdatedAt     string         `json:"updated_at"`
}

// CreateEntityIn is the input of create_entity.
type CreateEntityIn struct {
	EntityType string         `json:"entity_type" jsonschema:"A registered type name."`
	Name       string         `json:"name" jsonschema:"Unique per type."`
	Data       map[string]any `json:"data" jsonschema:"Must match the type's schema."`
	Tags       []string       `json:"tags,omitempty"`
	ProjectID  string         `json:"project_id,omitempty" jsonschema:"Default: active project."`
}

// EntityOut is an entity.
type EntityOut struct {
	ID         string         `json:"id"`
	EntityType string         `json:"entity_type"`
	Name       string         `json:"name"`
	Data       map[string]any `json:"data"`
	Tags       []string       `json:"tags"`
	Version    int            `json:"version"`
	CreatedAt  string         `json:"created_at"`
	UpdatedAt  string         `json:"updated_at"`
	DeletedAt  string         `json:"deleted_at,omitempty"`
}

func toEntityOut(e workflow.Entity) EntityOut {
	return EntityOut{ID: e.ID, EntityType: e.Type, Name: e.Name, Data: e.Data, Tags: nonNil(e.Tags), Version: e.Version,
		CreatedAt: timestamp(e.CreatedAt), UpdatedAt: timestamp(e.UpdatedAt), DeletedAt: optTimestamp(e.DeletedAt)}
}

// QueryEntitiesIn is the input of query_entities.
type QueryEntitiesIn struct {
	EntityType     string         `json:"entity_type,omitempty"`
	Filter         map[string]any `json:"filter,omitempty" jsonschema:"Data must contain this object, e.g. {\"status\":\"open\"}."`
	Tags           []string       `json:"tags,omitempty" jsonschema:"All must match."`
	IncludeDeleted bool           `json:"include_deleted,omitempty"`
	Order          string         `json:"order,omitempty" jsonschema:"created_at (default), -created_at, name or -name."`
	Limit          int            `json:"limit,omitempty" jsonschema:"1-500, default 50."`
	Cursor         string         `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page."`
	ProjectID      string         `json:"project_id,omitempty" jsonschema:"Default: active project."`
}

// EntityListOut is a page of entities.
type EntityListOut struct {
	Entities   []EntityOut `json:"entities"`
	Count      int         `json:"count"`
	NextCursor string      `json:"next_cursor,omitempty"`
	More       string      `json:"more,omitempty"`
}

// UpdateEntityIn is the input of update_entity.
type UpdateEntityIn struct {
	EntityID  string         `json:"entity_id"`
	Version   int            `json:"version" jsonschema:"The version you read."`
	Data      map[string]any `json:"data,omitempty" jsonschema:"Replaces the data."`
	Tags      *[]string      `json:"tags,omitempty" jsonschema:"Replaces the tags."`
	ProjectID string         `json:"project_id,omitempty" jsonschema:"Default: active project."`
}

// DeleteEntityIn is the input of delete_entity.
type DeleteEntityIn struct {
	EntityID  string `json:"entity_id"`
	Confirmed bool   `json:"confirmed" jsonschema:"Must be true."`
	ProjectID string `json:"project_id,omitempty" jsonschema:"Default: active project."`
}

func registerEntityType(svc *workflow.Service) func(context.Context, RegisterEntityTypeIn) (EntityTypeOut, error) {
	return func(ctx context.Context, in RegisterEntityTypeIn) (EntityTypeOut, error) {
		t, created, err := svc.RegisterEntityType(ctx, in.ProjectID,
			workflow.EntityType{Name: in.TypeName, Schema: in.Schema, Description: in.Description}, in.ValidateExisting)
		if err != nil {
			return EntityTypeOut{}, err
		}
		return EntityTypeOut{TypeName: t.Name, Description: t.Description, Schema: t.Schema, SchemaVersion: t.SchemaVersion,
			Created: created, CreatedAt: timestamp(t.CreatedAt), UpdatedAt: timestamp(t.UpdatedAt)}, nil
	}
}

func createEntity(svc *workflow.Service) func(context.Context, CreateEntityIn) (EntityOut, error) {
	return func(ctx context.Context, in CreateEntityIn) (EntityOut, error) {
		e, err := svc.CreateEntity(ctx, in.ProjectID, workflow.Entity{Type: in.EntityType, Name: in.Name, Data: in.Data, Tags: in.Tags})
		if err != nil {
			return EntityOut{}, err
		}
		return toEntityOut(e), nil
	}
}

func queryEntities(svc *workflow.Service) func(context.Context, QueryEntitiesIn) (EntityListOut, error) {
	return func(ctx context.Context, in QueryEntitiesIn) (EntityListOut, error) {
		l, err := svc.QueryEntities(ctx, workflow.EntityFilter{ProjectID: in.ProjectID, Type: in.EntityType, Contains: in.Filter,
			Tags: in.Tags, IncludeDeleted: in.IncludeDeleted, Order: in.Order}, page(in.Limit, in.Cursor))
		if err != nil {
			return EntityListOut{}, err
		}
		out := EntityListOut{Entities: make([]EntityOut, len(l.Items)), Count: len(l.Items), NextCursor: l.NextCursor, More: more(l.NextCursor)}
		for i, e := range l.Items {
			out.Entities[i] = toEntityOut(e)
		}
		return out, nil
	}
}

func updateEntity(svc *workflow.Service) func(context.Context, UpdateEntityIn) (EntityOut, error) {
	return func(ctx context.Context, in UpdateEntityIn) (EntityOut, error) {
		e, err := svc.UpdateEntity(ctx, workflow.EntityUpdate{ProjectID: in.ProjectID, ID: in.EntityID, Version: in.Version,
			Data: in.Data, Tags: in.Tags})
		if err != nil {
			return EntityOut{}, err
		}
		return toEntityOut(e), nil
	}
}

// DeleteEntityOut is the answer of delete_entity.
type DeleteEntityOut struct {
	EntityID  string `json:"entity_id"`
	DeletedAt string `json:"deleted_at"`
}

func deleteEntity(svc *workflow.Service) func(context.Context, DeleteEntityIn) (DeleteEntityOut, error) {
	return func(ctx context.Context, in DeleteEntityIn) (DeleteEntityOut, error) {
		e, err := svc.DeleteEntity(ctx, in.ProjectID, in.EntityID, in.Confirmed)
		if err != nil {
			return DeleteEntityOut{}, err
		}
		return DeleteEntityOut{EntityID: e.ID, DeletedAt: optTimestamp(e.DeletedAt)}, nil
	}
}
