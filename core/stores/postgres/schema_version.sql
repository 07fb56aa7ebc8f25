-- The schema version the store holds (no row, or another version: store_schema).
SELECT version FROM idloom_schema WHERE component = 'coordination'
