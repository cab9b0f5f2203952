-- The events of reads wait in segment files in a directory next to this
-- file (`<name>.audit-queue`), appended to without a commit here. Each seal
-- moves the entries appended since the last move into the log; this says
-- how far moves got: the segment, and the byte just after the last entry
-- moved from it. It commits with the events moved, so that a move cut short
-- is neither lost nor made twice, by whichever process makes the next one.
DROP TABLE audit_queue_moved;

CREATE TABLE audit_queue_read (
    only      INTEGER NOT NULL PRIMARY KEY CHECK (only = 1),
    segment   BIGINT NOT NULL,
    offset    BIGINT NOT NULL
);
