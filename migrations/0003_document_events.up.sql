-- The events the server also writes into a Markdown document (CHRONICLE.md, learned.md), by
-- actor: reconciling a document from the log at start reads only these rows. Partial, so the
-- commit path pays for it only on those two event types.
CREATE INDEX events_documented ON events(project_id, actor_id, seq) WHERE type IN ('chronicle.updated', 'memory.distilled');
