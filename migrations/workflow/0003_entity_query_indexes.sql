-- Entity query indexes, revised after measuring 100,000 entities in one
-- project (docs/workflow.md, BenchmarkQueryEntities100k):
--
-- * A GIN index has no leading column: (project_id, data) made every query
--   read the whole posting list of its project_id key, so the planner
--   preferred sequential scans. The containment and tag indexes cover the
--   JSONB and array columns alone; the project_id condition is checked on
--   the few matching rows.
-- * Queries without entity_type need (project_id, created_at, id) and
--   (project_id, name, id) to read their order from an index.
DROP INDEX entities_data_idx;
DROP INDEX entities_tags_idx;
CREATE INDEX entities_data_idx ON entities USING gin (data jsonb_path_ops);
CREATE INDEX entities_tags_idx ON entities USING gin (tags);
CREATE INDEX entities_created_idx ON entities (project_id, created_at, id);
CREATE INDEX entities_all_name_idx ON entities (project_id, name, id);
