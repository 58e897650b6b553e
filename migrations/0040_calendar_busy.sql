-- switchboard schema, version 40: the busy intervals last read from each calendar source,
-- replaced whole in one transaction after a good fetch (ms since the epoch, end exclusive).
CREATE TABLE calendar_busy (
    source_id  TEXT   NOT NULL REFERENCES calendar_sources (id),
    host_id    TEXT   NOT NULL REFERENCES hosts (id),
    starts_at  BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL
);

CREATE INDEX calendar_busy_host_idx ON calendar_busy (host_id, starts_at);
CREATE INDEX calendar_busy_source_idx ON calendar_busy (source_id);
