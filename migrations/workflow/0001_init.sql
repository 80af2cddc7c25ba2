-- workflow-mcp schema, version 1. gen_random_uuid() is built into
-- PostgreSQL 13+; domain tables arrive in later migrations.
SELECT 1;
