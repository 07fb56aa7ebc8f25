-- A MariaDB sequence with a step ({table}: the sequence name; ?-free: the step
-- and start are checked integers spliced by stores::sequence_sql). CACHE 0:
-- nothing is handed out twice across a restart. N databases: START WITH k,
-- INCREMENT BY N × step (Tinyid's remainder and delta).
CREATE SEQUENCE IF NOT EXISTS {table} START WITH {start} MINVALUE 0 INCREMENT BY {increment} CACHE 0
