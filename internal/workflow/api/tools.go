package api

import (
	"context"
	"net/http"

	"github.com/mcp-memory/servers/internal/platform/tool"
	"github.com/mcp-memory/servers/internal/workflow"
)

// Tools returns workflow-mcp's operations: the MCP tools of docs/api.md
// with their REST routes, and the REST-only GET /mcp/projects/active. With
// a nil svc the definitions are static (no handlers): enough to list,
// document and snapshot them without a database.
func Tools(svc *workflow.Service) []tool.Tool {
	ro := tool.Annotations{ReadOnly: true, Idempotent: true}
	create := tool.Annotations{}
	update := tool.Annotations{}
	idem := tool.Annotations{Idempotent: true}
	del := tool.Annotations{Destructive: true, Idempotent: true}
	route := func(method, path string, status int) *tool.Route {
		return &tool.Route{Method: method, Path: path, Status: status}
	}
	return []tool.Tool{
		bind(svc, createProject, tool.Def[CreateProjectIn, ProjectOut]{
			Name: "create_project", Title: "Create project", Annotations: create,
			Description: "Create a project: an isolated space for work items, entities and deployments.",
			Route:       route(http.MethodPost, "/mcp/projects", http.StatusCreated)}),
		bind(svc, listProjects, tool.Def[ListProjectsIn, ListProjectsOut]{
			Name: "list_projects", Title: "List projects", Annotations: ro,
			Description: "List projects, most recently active first, with counts.",
			Route:       route(http.MethodGet, "/mcp/projects", 0)}),
		bind(svc, switchProject, tool.Def[SwitchProjectIn, SwitchProjectOut]{
			Name: "switch_project", Title: "Switch active project", Annotations: idem,
			Description: "Make a project active: calls without project_id act on it. Shared by all clients, kept across restarts.",
			Route:       route(http.MethodPost, "/mcp/projects/{project_id}/activate", 0)}),
		bind(svc, getActiveProject, tool.Def[GetActiveProjectIn, ActiveProjectOut]{
			Name: "get_active_project", Title: "Get active project", Annotations: ro,
			Description: "The active project, or active=false and a hint when none is."}),
		bind(svc, getActiveProjectREST, tool.Def[GetActiveProjectIn, ActiveProjectRESTOut]{
			Name: "rest_get_active_project", Title: "Get active project (REST)", Annotations: ro, RESTOnly: true,
			Description: "The active project; 404 NOT_FOUND when none is active.",
			Route:       route(http.MethodGet, "/mcp/projects/active", 0)}),

		bind(svc, createWorkItem, tool.Def[CreateWorkItemIn, WorkItemOut]{
			Name: "create_work_item", Title: "Create work item", Annotations: create,
			Description: "Create a work item, optionally under a parent and referencing codebase-mcp chunks (kept, with a warning, if codebase-mcp is down).",
			Route:       route(http.MethodPost, "/mcp/work_items", http.StatusCreated)}),
		bind(svc, getWorkItem, tool.Def[GetWorkItemIn, WorkItemOut]{
			Name: "get_work_item", Title: "Get work item", Annotations: ro,
			Description: "A work item, its code references checked against codebase-mcp (stale_references, suggested_replacements).",
			Route:       route(http.MethodGet, "/mcp/work_items/{work_item_id}", 0)}),
		bind(svc, updateWorkItem, tool.Def[UpdateWorkItemIn, WorkItemOut]{
			Name: "update_work_item", Title: "Update work item", Annotations: update,
			Description: "Change a work item. Pass the version you read; if it changed meanwhile: VERSION_CONFLICT, nothing changed.",
			Route:       route(http.MethodPatch, "/mcp/work_items/{work_item_id}", 0)}),
		bind(svc, queryWorkItems, tool.Def[QueryWorkItemsIn, WorkItemListOut]{
			Name: "query_work_items", Title: "Query work items", Annotations: ro,
			Description: "List work items, oldest first. chunk_ids or file_paths with open_only find the open work touching that code.",
			Route:       route(http.MethodGet, "/mcp/work_items", 0)}),
		bind(svc, getHierarchy, tool.Def[HierarchyIn, HierarchyOut]{
			Name: "get_work_item_hierarchy", Title: "Get work item hierarchy", Annotations: ro,
			Description: "A work item's ancestors, children and descendants.",
			Route:       route(http.MethodGet, "/mcp/work_items/{work_item_id}/hierarchy", 0)}),
		bind(svc, deleteWorkItem, tool.Def[DeleteWorkItemIn, DeleteWorkItemOut]{
			Name: "delete_work_item", Title: "Delete work item", Annotations: del,
			Description: "Soft-delete a work item and its descendants. Requires confirmed: true.",
			Route:       route(http.MethodDelete, "/mcp/work_items/{work_item_id}", 0)}),
		bind(svc, addDependency, tool.Def[AddDependencyIn, DependencyOut]{
			Name: "add_work_item_dependency", Title: "Add work item dependency", Annotations: idem,
			Description: "Record that work_item_id depends on depends_on_id; blocks cycles are rejected.",
			Route:       route(http.MethodPost, "/mcp/work_items/{work_item_id}/dependencies", http.StatusCreated)}),
		bind(svc, listBlocked, tool.Def[ListBlockedIn, ListBlockedOut]{
			Name: "list_blocked_work_items", Title: "List blocked work items", Annotations: ro,
			Description: "Open work items with status blocked or blocked by open items.",
			Route:       route(http.MethodGet, "/mcp/work_items/blocked", 0)}),

		bind(svc, registerEntityType, tool.Def[RegisterEntityTypeIn, EntityTypeOut]{
			Name: "register_entity_type", Title: "Register entity type", Annotations: idem,
			Description: "Define an entity type by JSON Schema, or evolve it: add optional fields or relax required; other changes need validate_existing.",
			Route:       route(http.MethodPost, "/mcp/entity_types", http.StatusCreated)}),
		bind(svc, createEntity, tool.Def[CreateEntityIn, EntityOut]{
			Name: "create_entity", Title: "Create entity", Annotations: create,
			Description: "Create an entity; data is validated against its type's schema.",
			Route:       route(http.MethodPost, "/mcp/entities", http.StatusCreated)}),
		bind(svc, queryEntities, tool.Def[QueryEntitiesIn, EntityListOut]{
			Name: "query_entities", Title: "Query entities", Annotations: ro,
			Description: "Find entities by type, data containment filter and tags.",
			Route:       route(http.MethodGet, "/mcp/entities", 0)}),
		bind(svc, updateEntity, tool.Def[UpdateEntityIn, EntityOut]{
			Name: "update_entity", Title: "Update entity", Annotations: update,
			Description: "Replace an entity's data and tags. Pass the version you read; a mismatch is VERSION_CONFLICT.",
			Route:       route(http.MethodPatch, "/mcp/entities/{entity_id}", 0)}),
		bind(svc, deleteEntity, tool.Def[DeleteEntityIn, DeleteEntityOut]{
			Name: "delete_entity", Title: "Delete entity", Annotations: del,
			Description: "Soft-delete an entity. Requires confirmed: true.",
			Route:       route(http.MethodDelete, "/mcp/entities/{entity_id}", 0)}),

		bind(svc, recordDeployment, tool.Def[RecordDeploymentIn, DeploymentOut]{
			Name: "record_deployment", Title: "Record deployment", Annotations: create,
			Description: "Record a deployment of a commit, linked to the work items and entities it delivers.",
			Route:       route(http.MethodPost, "/mcp/deployments", http.StatusCreated)}),
		bind(svc, listDeployments, tool.Def[ListDeploymentsIn, DeploymentListOut]{
			Name: "list_deployments", Title: "List deployments", Annotations: ro,
			Description: "List deployments, newest first.",
			Route:       route(http.MethodGet, "/mcp/deployments", 0)}),
	}
}

// bind returns d bound to the handler made from svc, or d unbound when
// svc is nil.
func bind[In, Out any](svc *workflow.Service, h func(*workflow.Service) func(context.Context, In) (Out, error), d tool.Def[In, Out]) tool.Tool {
	if svc == nil {
		return d
	}
	return d.With(h(svc))
}
