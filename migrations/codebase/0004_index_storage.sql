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
