-- Services put in the regulators' queue by the misuse rules, with the
-- evidence: which rule, over which window, the figures and the threshold.
-- One open alert per service and rule at a time; a regulator closes it.

CREATE TABLE audit_alerts (
    id           TEXT NOT NULL PRIMARY KEY,
    service_id   TEXT NOT NULL,
    rule         TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    window_end   BIGINT NOT NULL,
    evidence     TEXT NOT NULL,
    raised_at    BIGINT NOT NULL,
    closed_at    BIGINT,
    closed_by    TEXT,
    note         TEXT
);
CREATE UNIQUE INDEX audit_alerts_open ON audit_alerts (service_id, rule) WHERE closed_at IS NULL;
