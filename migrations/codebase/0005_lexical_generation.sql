-- codebase-mcp schema, version 5: a generation per project's lexical index.
--
-- The search service keeps an in-memory copy of each project's lexical
-- index (docs/search.md, "Cost"). Every transaction that changes a
-- project's chunks or its generated-file flags sets lexical_stats.generation
-- to a new value from this sequence; a search reads the generation with
-- the project's state and uses its copy only when the generations match,
-- so a copy is never used after a change (on any replica of the server).
-- A sequence rather than a counter: a project deleted and created again
-- can never reuse a generation an old copy holds.
CREATE SEQUENCE lexical_generation;

ALTER TABLE lexical_stats
    ADD COLUMN generation bigint NOT NULL DEFAULT nextval('lexical_generation');
