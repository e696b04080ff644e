-- The job queue of `abgleich serve` (issue 7): one row per file seen in an
-- inbox.  Several instances, on one or more machines, share it; a job is
-- claimed with FOR UPDATE SKIP LOCKED, so two instances never take the same
-- job, and a job whose owner stopped renewing its lease is taken over.
--
-- Life of a job:  queued -> running -> done | failed, then moved_at is set
-- once the file is in done/ or failed/.  The worker marks a job done inside
-- the transaction that stores the file's rows (a pre-commit step), and only
-- while it still owns the job at the attempt it claimed: rows and "done"
-- commit together or not at all, and an instance that lost its lease cannot
-- commit a second copy.  `name` is the file's path relative to the inbox
-- (tickets/x.csv), so instances that mount the inbox at different places
-- agree; content_hash is the hash input_files keeps (engine/filehash.h).
CREATE TABLE abgleich.jobs (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('tickets', 'statements', 'invoices')),
    name         text NOT NULL,
    content_hash text NOT NULL,
    size_bytes   bigint NOT NULL,
    state        text NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'running', 'done', 'failed')),
    owner        text,                 -- instance id (host:pid:start) while running
    lease_until  timestamptz,
    attempts     int NOT NULL DEFAULT 0,
    error        text,                 -- why it failed, or what was skipped
    queued_at    timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    moved_at     timestamptz,          -- the file left the inbox
    UNIQUE (kind, name, content_hash)
);

-- The claim query's scan: only jobs some instance may still have to touch.
CREATE INDEX jobs_open ON abgleich.jobs (id) WHERE moved_at IS NULL;

-- A file seen complete in the inbox becomes a job, once.  The same name and
-- content dropped again after the first was finished and moved (a bank that
-- delivers a day twice) is queued again: the import says "already imported"
-- and the file goes to done/ with that in its log.  p_seen_ms_ago says how
-- long ago the caller last saw the file in the inbox (it opened it to hash
-- it): only a sighting after the move counts as a new delivery, so that an
-- instance that hashed the file just before another moved it does not queue
-- it again (relative time: no clock of the caller's machine is involved).
-- Returns the job id, or NULL when nothing was queued.
CREATE FUNCTION abgleich.job_enqueue(p_kind text, p_name text, p_hash text, p_size bigint,
                                     p_seen_ms_ago bigint)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO abgleich.jobs (kind, name, content_hash, size_bytes)
    VALUES (p_kind, p_name, p_hash, p_size)
    ON CONFLICT (kind, name, content_hash) DO UPDATE
        SET state = 'queued', owner = NULL, lease_until = NULL, attempts = 0, error = NULL,
            queued_at = now(), started_at = NULL, finished_at = NULL, moved_at = NULL
        WHERE jobs.moved_at < now() - make_interval(secs => p_seen_ms_ago / 1000.0)
    RETURNING id
$$;

-- Claims the oldest job this instance may take: a queued one, a running one
-- whose lease ran out (its instance died), or a finished one whose file was
-- never moved (its instance died between commit and rename).  SKIP LOCKED:
-- instances claiming at the same moment get different jobs, none waits.
CREATE FUNCTION abgleich.job_claim(p_owner text, p_lease_seconds int)
RETURNS TABLE (id bigint, kind text, name text, content_hash text, state text,
               attempts int, error text)
LANGUAGE sql AS $$
    UPDATE abgleich.jobs j
       SET state = CASE WHEN j.state = 'queued' THEN 'running' ELSE j.state END,
           owner = p_owner,
           lease_until = now() + make_interval(secs => p_lease_seconds),
           attempts = j.attempts + CASE WHEN j.state IN ('queued', 'running') THEN 1 ELSE 0 END,
           started_at = CASE WHEN j.state IN ('queued', 'running') THEN now() ELSE j.started_at END
     WHERE j.id = (SELECT c.id FROM abgleich.jobs c
                    WHERE c.moved_at IS NULL
                      AND (c.state = 'queued' OR c.lease_until < now())
                    ORDER BY c.id
                    LIMIT 1
                    FOR UPDATE SKIP LOCKED)
    RETURNING j.id, j.kind, j.name, j.content_hash, j.state, j.attempts, j.error
$$;

DO $$
BEGIN
    IF (SELECT count(*) FROM pg_roles
        WHERE rolname IN ('abgleich_fines', 'abgleich_treasury')) < 2 THEN
        RETURN;
    END IF;
    GRANT INSERT, UPDATE ON abgleich.jobs TO abgleich_fines, abgleich_treasury;
END
$$;
