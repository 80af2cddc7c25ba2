-- workflow-mcp domain schema: projects, the active project, work items with
-- hierarchy, dependencies and code references, entity types, entities and
-- deployments. project_id leads every key and index, so each project's rows
-- cluster together and the schema can later be distributed by project.

-- btree_gin lets GIN indexes start with project_id (a uuid) before the
-- JSONB or array column they serve. It is a trusted extension: the database
-- owner may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE TABLE projects (
    project_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name              text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    description       text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_activated_at timestamptz
);
-- Names are human identifiers: unique regardless of case.
CREATE UNIQUE INDEX projects_name_key ON projects (lower(name));

-- The active project is one row, so a switch is a single atomic upsert and
-- survives restarts; every replica of the server sees the same one.
CREATE TABLE active_project (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    project_id  uuid NOT NULL REFERENCES projects (project_id),
    switched_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE work_items (
    project_id   uuid NOT NULL REFERENCES projects (project_id),
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    parent_id    uuid,
    -- path is the materialized path of ancestor ids and the item's own id,
    -- "/root/.../self/", so descendants are a prefix match on an index.
    path         text NOT NULL,
    depth        int  NOT NULL CHECK (depth BETWEEN 1 AND 5),
    item_type    text NOT NULL CHECK (item_type IN ('project', 'session', 'task', 'research', 'subtask')),
    title        text NOT NULL,
    description  text NOT NULL DEFAULT '',
    status       text NOT NULL CHECK (status IN ('planned', 'active', 'completed', 'blocked')),
    metadata     jsonb NOT NULL DEFAULT '{}',
    version      int  NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    completed_at timestamptz,
    deleted_at   timestamptz,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, parent_id) REFERENCES work_items (project_id, id)
);
-- Keyset paging order: (created_at, id) never changes after insert.
CREATE INDEX work_items_page_idx ON work_items (project_id, created_at, id);
CREATE INDEX work_items_parent_idx ON work_items (project_id, parent_id);
CREATE INDEX work_items_path_idx ON work_items (project_id, path text_pattern_ops);
CREATE INDEX work_items_status_idx ON work_items (project_id, status, item_type);

CREATE TABLE work_item_dependencies (
    project_id      uuid NOT NULL,
    work_item_id    uuid NOT NULL,
    depends_on_id   uuid NOT NULL,
    dependency_type text NOT NULL CHECK (dependency_type IN ('blocks', 'relates_to', 'duplicates')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, work_item_id, depends_on_id),
    CHECK (work_item_id <> depends_on_id),
    FOREIGN KEY (project_id, work_item_id) REFERENCES work_items (project_id, id),
    FOREIGN KEY (project_id, depends_on_id) REFERENCES work_items (project_id, id)
);
CREATE INDEX work_item_dependencies_target_idx ON work_item_dependencies (project_id, depends_on_id);

-- Code references: a codebase-mcp chunk id and the snapshot of what it
-- pointed at when it was last resolved (empty while codebase-mcp was
-- unreachable), used to suggest a replacement once the id goes stale.
CREATE TABLE work_item_refs (
    project_id    uuid NOT NULL,
    work_item_id  uuid NOT NULL,
    position      int  NOT NULL,
    chunk_id      text NOT NULL,
    repository_id text NOT NULL DEFAULT '',
    file_path     text NOT NULL DEFAULT '',
    symbol        text NOT NULL DEFAULT '',
    start_line    int  NOT NULL DEFAULT 0,
    end_line      int  NOT NULL DEFAULT 0,
    content_hash  text NOT NULL DEFAULT '',
    resolved_at   timestamptz,
    PRIMARY KEY (project_id, work_item_id, chunk_id),
    FOREIGN KEY (project_id, work_item_id) REFERENCES work_items (project_id, id) ON DELETE CASCADE
);
-- Reverse lookups: which work items reference this chunk or this file.
CREATE INDEX work_item_refs_chunk_idx ON work_item_refs (project_id, chunk_id);
CREATE INDEX work_item_refs_file_idx ON work_item_refs (project_id, file_path);

CREATE TABLE entity_types (
    project_id     uuid NOT NULL REFERENCES projects (project_id),
    type_name      text NOT NULL,
    description    text NOT NULL DEFAULT '',
    schema         jsonb NOT NULL,
    schema_version int  NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, type_name)
);

CREATE TABLE entities (
    project_id  uuid NOT NULL,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    entity_type text NOT NULL,
    name        text NOT NULL,
    data        jsonb NOT NULL,
    tags        text[] NOT NULL DEFAULT '{}',
    version     int  NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    deleted_at  timestamptz,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, entity_type) REFERENCES entity_types (project_id, type_name)
);
-- One live entity per (type, name); a deleted name may be reused.
CREATE UNIQUE INDEX entities_name_key ON entities (project_id, entity_type, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX entities_page_idx ON entities (project_id, entity_type, created_at, id);
CREATE INDEX entities_name_idx ON entities (project_id, entity_type, name, id);
-- Containment (data @> filter) and tag (tags @> array) queries.
CREATE INDEX entities_data_idx ON entities USING gin (project_id, data jsonb_path_ops);
CREATE INDEX entities_tags_idx ON entities USING gin (project_id, tags);

CREATE TABLE deployments (
    project_id  uuid NOT NULL REFERENCES projects (project_id),
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    commit_sha  text NOT NULL,
    branch      text NOT NULL DEFAULT '',
    environment text NOT NULL CHECK (environment IN ('production', 'staging', 'dev')),
    status      text NOT NULL CHECK (status IN ('pending', 'deployed', 'failed', 'rolled_back')),
    message     text NOT NULL DEFAULT '',
    author      text NOT NULL DEFAULT '',
    deployed_at timestamptz NOT NULL,
    metadata    jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, id)
);
CREATE INDEX deployments_page_idx ON deployments (project_id, deployed_at DESC, id DESC);
CREATE INDEX deployments_env_idx ON deployments (project_id, environment, deployed_at DESC, id DESC);

CREATE TABLE deployment_work_items (
    project_id    uuid NOT NULL,
    deployment_id uuid NOT NULL,
    work_item_id  uuid NOT NULL,
    PRIMARY KEY (project_id, deployment_id, work_item_id),
    FOREIGN KEY (project_id, deployment_id) REFERENCES deployments (project_id, id),
    FOREIGN KEY (project_id, work_item_id) REFERENCES work_items (project_id, id)
);
CREATE INDEX deployment_work_items_item_idx ON deployment_work_items (project_id, work_item_id);

CREATE TABLE deployment_entities (
    project_id    uuid NOT NULL,
    deployment_id uuid NOT NULL,
    entity_id     uuid NOT NULL,
    PRIMARY KEY (project_id, deployment_id, entity_id),
    FOREIGN KEY (project_id, deployment_id) REFERENCES deployments (project_id, id),
    FOREIGN KEY (project_id, entity_id) REFERENCES entities (project_id, id)
);
CREATE INDEX deployment_entities_entity_idx ON deployment_entities (project_id, entity_id);
