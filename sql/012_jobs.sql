-- 012_jobs.sql - the job queue of `abgleich serve` (issue 7).
--
-- One row per file that arrived in an inbox (kind = its folder), known by
-- its name, size and modification time; every instance that sees the file
-- inserts it and the unique key keeps one row.  An instance claims queued
-- jobs with FOR UPDATE SKIP LOCKED, so two instances never take one job; a
-- claim is a lease that the instance renews while it works.  A job whose
-- lease ran out (its instance died or lost the database) is claimable
-- again; running it twice is harmless, because an input file whose content
-- was imported before changes nothing (input_files.content_hash).
CREATE TABLE abgleich.jobs (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('tickets', 'statements', 'invoices')),
    name        text NOT NULL,
    size_bytes  bigint NOT NULL,
    mtime       bigint NOT NULL,               -- seconds since 1970, as the inbox saw it
    state       text NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'done', 'failed')),
    owner       text,                          -- instance running it (host:pid)
    lease_until timestamptz,
    attempts    int NOT NULL DEFAULT 0,
    outcome     text,                          -- what the job said, one line
    queued_at   timestamptz NOT NULL DEFAULT now(),
    started_at  timestamptz,
    finished_at timestamptz,
    UNIQUE (kind, name, size_bytes, mtime)
);
CREATE INDEX jobs_claimable ON abgleich.jobs (id) WHERE state IN ('queued', 'running');

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT INSERT, UPDATE ON abgleich.jobs TO abgleich_fines, abgleich_treasury;
    END IF;
END
$$;
