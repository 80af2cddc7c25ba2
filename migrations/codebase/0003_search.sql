-- codebase-mcp schema, version 3: the search service's own table.
--
-- search_associations is the translation model learnt from each project's
-- doc comments (docs/search.md): for a doc word, the code terms that
-- predict it and P(word | term), most probable first. It is rebuilt after
-- every completed index job, in one transaction per project.
CREATE TABLE search_associations (
    project_id text   NOT NULL REFERENCES projects ON DELETE CASCADE,
    word       text   NOT NULL,
    terms      text[] NOT NULL,
    probs      real[] NOT NULL CHECK (cardinality(probs) = cardinality(terms)),
    PRIMARY KEY (project_id, word)
);

-- Files whose header says they are generated ("Code generated ... DO NOT
-- EDIT", "@generated"), for the ranking prior; refreshed with the model.
CREATE TABLE search_generated_files (
    project_id    text NOT NULL REFERENCES projects ON DELETE CASCADE,
    repository_id uuid NOT NULL,
    path          text NOT NULL,
    PRIMARY KEY (project_id, repository_id, path)
);
