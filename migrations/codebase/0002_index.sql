-- codebase-mcp schema, version 2: projects, repositories, files, chunks,
-- the lexical statistics the search channel needs, index jobs and the
-- per-project embedder settings (the storage contract in docs/indexing.md).
--
-- project_id leads every primary key and index so that the schema can be
-- distributed by project later. The one exception is the chunk_id index:
-- get_chunks and the chunk lookup route take ids without a project.

-- GIN indexes that lead with project_id need btree operator classes for text.
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE TABLE projects (
    project_id text PRIMARY KEY
        CHECK (project_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The project used when a call names none; it always exists.
INSERT INTO projects (project_id) VALUES ('default');

-- The embedder an index was built with. Vectors of different embedders
-- are not comparable, so a project holds one embedder's vectors only.
CREATE TABLE index_settings (
    project_id text PRIMARY KEY REFERENCES projects ON DELETE CASCADE,
    embedder   text NOT NULL,
    dimension  int  NOT NULL CHECK (dimension > 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE repositories (
    project_id    text NOT NULL REFERENCES projects ON DELETE CASCADE,
    repository_id uuid NOT NULL,
    -- Absolute, cleaned root directory.
    path          text NOT NULL,
    commit        text NOT NULL DEFAULT '',
    -- NULL until the first job completes.
    indexed_at    timestamptz,
    file_count    int  NOT NULL DEFAULT 0,
    chunk_count   int  NOT NULL DEFAULT 0,
    embedder      text NOT NULL DEFAULT '',
    dimension     int  NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, repository_id),
    UNIQUE (project_id, path)
);

CREATE TABLE files (
    project_id    text NOT NULL,
    repository_id uuid NOT NULL,
    -- Relative to the repository root, with forward slashes.
    path          text NOT NULL,
    language      text NOT NULL,
    size          bigint NOT NULL,
    -- Microsecond precision; the index service compares mtimes truncated
    -- to microseconds.
    mtime         timestamptz NOT NULL,
    content_hash  text NOT NULL,
    -- The indexed text: context lines and stale checks read it.
    content       text NOT NULL,
    indexed_at    timestamptz NOT NULL DEFAULT now(),
    commit        text NOT NULL DEFAULT '',
    PRIMARY KEY (project_id, repository_id, path),
    FOREIGN KEY (project_id, repository_id) REFERENCES repositories ON DELETE CASCADE
);

-- No foreign key to files: chunks are bulk-loaded with COPY and a per-row
-- trigger check would cost more than the whole write; the index service
-- replaces a file's chunks and its files row in one transaction.
CREATE TABLE chunks (
    project_id    text NOT NULL,
    chunk_id      text NOT NULL,
    repository_id uuid NOT NULL,
    file_path     text NOT NULL,
    language      text NOT NULL,
    symbol        text NOT NULL DEFAULT '',
    kind          text NOT NULL,
    start_line    int  NOT NULL,
    end_line      int  NOT NULL,
    content       text NOT NULL,
    signature     text NOT NULL DEFAULT '',
    doc           text NOT NULL DEFAULT '',
    content_hash  text NOT NULL,
    -- No fixed dimension: index_settings says which embedder wrote it.
    -- NULL only while a job that will fill it runs, or after a failed
    -- embedding that the next job fills.
    embedding     vector,
    -- Weights: A signature and directory parts, B file name and doc,
    -- C body code, D inline comments.
    tsv           tsvector NOT NULL,
    -- Field lengths of classes A..D, for length normalisation.
    field_len     int4[] NOT NULL CHECK (cardinality(field_len) = 4),
    PRIMARY KEY (project_id, chunk_id),
    CHECK (start_line >= 1 AND end_line >= start_line)
);

CREATE INDEX chunks_tsv ON chunks USING gin (project_id, tsv);
CREATE INDEX chunks_file ON chunks (project_id, repository_id, file_path);
-- Embedding reuse: a chunk whose content was embedded before is not sent
-- to the embedder again.
CREATE INDEX chunks_content_hash ON chunks (project_id, content_hash);
-- Chunk lookups by id across projects (documented exception to the
-- leading-key rule).
CREATE INDEX chunks_chunk_id ON chunks (chunk_id);
-- Chunks still waiting for an embedding; normally empty, so it costs nothing.
CREATE INDEX chunks_missing_embedding ON chunks (project_id) WHERE embedding IS NULL;

-- Document frequency of each term over the project's chunks (any class).
-- No CHECK (df >= 0): the index service applies a batch's net change in one
-- upsert whose candidate rows may be negative; rows that reach 0 are deleted.
CREATE TABLE term_df (
    project_id text NOT NULL,
    term       text NOT NULL,
    df         int  NOT NULL,
    PRIMARY KEY (project_id, term)
);

-- Chunk count and summed field lengths; average length = sum_len[i] / n_chunks.
CREATE TABLE lexical_stats (
    project_id text PRIMARY KEY,
    n_chunks   bigint NOT NULL DEFAULT 0,
    sum_len    int8[] NOT NULL DEFAULT '{0,0,0,0}' CHECK (cardinality(sum_len) = 4)
);

CREATE TABLE index_jobs (
    project_id         text NOT NULL REFERENCES projects ON DELETE CASCADE,
    job_id             uuid NOT NULL,
    repository_id      uuid NOT NULL,
    repo_path          text NOT NULL,
    status             text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    phase              text NOT NULL DEFAULT 'queued',
    force              bool NOT NULL DEFAULT false,
    files_total        int  NOT NULL DEFAULT 0,
    files_done         int  NOT NULL DEFAULT 0,
    chunks_written     int  NOT NULL DEFAULT 0,
    progress_percent   real NOT NULL DEFAULT 0,
    error_message      text NOT NULL DEFAULT '',
    files_by_language  jsonb,
    chunks_by_language jsonb,
    skipped            jsonb,
    commit             text NOT NULL DEFAULT '',
    -- Human summary of the outcome ("12 files changed, 340 chunks written").
    message            text NOT NULL DEFAULT '',
    -- Seconds spent per pipeline phase, for the log and status.
    phase_seconds      jsonb,
    -- Lease: the worker that runs the job renews heartbeat_at; a running
    -- job whose heartbeat is older than the lease is taken over.
    lease_owner        text NOT NULL DEFAULT '',
    cancel_requested   bool NOT NULL DEFAULT false,
    attempts           int  NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    completed_at       timestamptz,
    heartbeat_at       timestamptz,
    PRIMARY KEY (project_id, job_id)
);

-- Jobs are addressed by id alone (get_indexing_status takes no project).
CREATE UNIQUE INDEX index_jobs_job_id ON index_jobs (job_id);
-- One active job per repository; also the (small) queue the workers claim from.
CREATE UNIQUE INDEX index_jobs_active ON index_jobs (project_id, repository_id)
    WHERE status IN ('pending', 'running');
