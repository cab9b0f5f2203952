-- Calls and refusals per service, minute and patient, kept by each seal in
-- its transaction from the events it seals: the misuse rules read an hour
-- of these instead of an hour of events. Derived from the log, which stays
-- the evidence; '' stands for events with no patient.
CREATE TABLE audit_counts (
    minute      BIGINT NOT NULL,
    service_id  TEXT NOT NULL,
    patient_id  TEXT NOT NULL,
    calls       BIGINT NOT NULL,
    denied      BIGINT NOT NULL,
    PRIMARY KEY (minute, service_id, patient_id)
);

INSERT INTO audit_counts (minute, service_id, patient_id, calls, denied)
SELECT at / 60000, service_id, COALESCE(patient_id, ''), COUNT(*),
       CAST(SUM(CASE WHEN outcome = 'denied' THEN 1 ELSE 0 END) AS BIGINT)
FROM audit_events
WHERE idx < (SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints) AND service_id IS NOT NULL
GROUP BY at / 60000, service_id, COALESCE(patient_id, '');
