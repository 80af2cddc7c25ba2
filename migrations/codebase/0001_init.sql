-- codebase-mcp schema, version 1: the pgvector extension every later table
-- of embeddings depends on. Domain tables arrive in later migrations.
CREATE EXTENSION IF NOT EXISTS vector;
