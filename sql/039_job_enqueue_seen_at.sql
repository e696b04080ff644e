-- 039_job_enqueue_seen_at.sql - a file serve finished is never queued again by a stale sighting.
--
-- job_enqueue (sql/012_jobs.sql) took the sighting as "p_seen_ms_ago before
-- this statement's now()", but the caller measured that age when it handed
-- the request to its control connection, and a request waits there behind
-- the others (a hash batch sends up to 64 at once, one in flight at a time).
-- The sighting came out later than it was: when another instance finished
-- and moved the file meanwhile, a sighting from before the move counted as
-- a new delivery, the done job was queued again and then failed with "the
-- file left the inbox before it was processed".  The caller now passes a
-- timestamp of this server's clock that it had received before it opened
-- the file (NULL when it has none, which queues nothing again): it can only
-- be early, so a stale sighting never passes for a new delivery; a real new
-- delivery seen with too early a timestamp is asked again a lease later.
DROP FUNCTION abgleich.job_enqueue(text, text, text, bigint, bigint);

CREATE FUNCTION abgleich.job_enqueue(p_kind text, p_name text, p_hash text, p_size bigint,
                                     p_seen_after timestamptz)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO abgleich.jobs (kind, name, content_hash, size_bytes)
    VALUES (p_kind, p_name, p_hash, p_size)
    ON CONFLICT (kind, name, content_hash) DO UPDATE
        SET state = 'queued', owner = NULL, lease_until = NULL, attempts = 0, error = NULL,
            queued_at = now(), started_at = NULL, finished_at = NULL, moved_at = NULL
        WHERE jobs.moved_at < p_seen_after
    RETURNING id
$$;
