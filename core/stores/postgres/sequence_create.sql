-- A PostgreSQL sequence with a step ({table}, {start}, {increment}:
-- stores::sequence_sql). N databases: START WITH k, INCREMENT BY N × step.
-- Caution (see sequence_fetch.sql): prefer the Leaf table on PostgreSQL.
CREATE SEQUENCE IF NOT EXISTS {table} START WITH {start} MINVALUE 0 INCREMENT BY {increment}
