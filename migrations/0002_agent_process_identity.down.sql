ALTER TABLE agent_instances DROP COLUMN pgid_identity;
