-- switchboard schema, version 2: the readiness probe's row.
--
-- `/readyz` proves that the database takes writes by upserting this single row (at most once
-- per probe interval); `probes` counts the writes, `probed_at` is the last one (epoch ms).

CREATE TABLE health_probe (
    id         BIGINT NOT NULL PRIMARY KEY,
    probes     BIGINT NOT NULL,
    probed_at  BIGINT NOT NULL
);
