-- The identity (<boot_id>:<start time>) of a command-driven agent's process group leader, so a
-- restarted server ends only a group it started itself (not one a reboot or pid reuse gave away).
ALTER TABLE agent_instances ADD COLUMN pgid_identity TEXT;
