-- codebase-mcp schema, version 4: chunk rows stay inline.
--
-- A chunk row averages 2.6 KB (content, a 1 KB builtin embedding, the
-- tsvector). Past the default 2 KB toast target PostgreSQL compressed
-- content and tsvector and moved the embedding to the TOAST table: per
-- row a compression attempt, a TOAST heap insert and a TOAST index insert.
-- Measured on the 10,000-file benchmark repository (90,215 chunks, one
-- COPY): 5.3 CPU-s without, 4.4 CPU-s with this target; search reads the
-- embedding without a TOAST fetch. Rows over 8 KB are still toasted.
ALTER TABLE chunks SET (toast_tuple_target = 8160);

-- File contents (41 MB in the benchmark repository) are compressed with
-- lz4 rather than pglz: COPY of the files took 0.52 CPU-s with pglz and
-- 0.18 with lz4 at about the same size, and reads decompress faster. A
-- server built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE files ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available; files.content stays compressed with pglz';
END
$$;
