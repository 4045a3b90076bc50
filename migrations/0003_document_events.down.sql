DROP INDEX events_documented;
