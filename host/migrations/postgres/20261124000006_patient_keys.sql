-- Tables of patient data are keyed by (patient_id, id): a distributed
-- PostgreSQL (Citus-style, sharded by patient) needs the distribution column
-- in every primary key and unique constraint, and a lookup by id then names
-- the patient, reaching one shard. Ids stay unique on their own (random).
-- The other tables are not distributed: the registry's are small and read
-- everywhere (reference tables); sessions and handshakes are short-lived
-- rows found by a token's hash (see `docs/operators.md`).
ALTER TABLE measures DROP CONSTRAINT measures_pkey, ADD PRIMARY KEY (patient_id, id);
ALTER TABLE agenda_events DROP CONSTRAINT agenda_events_pkey, ADD PRIMARY KEY (patient_id, id);
ALTER TABLE documents DROP CONSTRAINT documents_pkey, ADD PRIMARY KEY (patient_id, id);
ALTER TABLE messages DROP CONSTRAINT messages_pkey, ADD PRIMARY KEY (patient_id, id);
ALTER TABLE grants DROP CONSTRAINT grants_pkey, ADD PRIMARY KEY (patient_id, id);
