-- The measures read is the platform's hottest query: a service's page lists
-- one or more kinds over a date range, newest first. This index carries every
-- column that read returns, in the order it returns them within one kind, so
-- each kind is one ordered range scan with no table lookup and no sort; the
-- kinds are merged by the query (see `db::measures::list`).
CREATE INDEX measures_by_patient_kind_date
    ON measures (patient_id, kind, effective_at, id, value, origin, written_by);
DROP INDEX measures_by_patient_kind;
