-- 061_who_grants.sql - the column grants of 056 as one function that a
-- migration calls after it adds a column to a table whose "who" columns
-- the database fills.
--
-- 056 granted INSERT on the columns these tables had then.  057 added
-- claim_events.reason_de (the German reason of a relief or enforcement
-- step), which the fines login writes with every escalate and case: it
-- was refused ("permission denied for table claim_events") once both were
-- in one database.  abgleich.grant_insert_but_who() grants INSERT on every
-- column but the ones the database fills (id, when, who), for each table
-- and group of 056; a migration that adds a column to one of these tables
-- ends with SELECT abgleich.grant_insert_but_who().  Idempotent; without
-- the three group roles (an owner without CREATEROLE, 009) it does
-- nothing, as 056 did.

CREATE FUNCTION abgleich.grant_insert_but_who() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    g record;
    cols text;
BEGIN
    IF (SELECT count(*) FROM pg_roles
        WHERE rolname IN ('abgleich_fines', 'abgleich_treasury', 'abgleich_readonly')) < 3 THEN
        RETURN;
    END IF;
    FOR g IN SELECT * FROM (VALUES
            ('abgleich.allocations', 'abgleich_treasury', ARRAY['id', 'created_at', 'created_by']),
            ('abgleich.claim_events', 'abgleich_fines', ARRAY['id', 'created_at', 'created_by']),
            ('abgleich.invoice_documents', 'abgleich_treasury',
             ARRAY['id', 'received_at', 'received_by']),
            ('abgleich.input_files', 'abgleich_fines', ARRAY['id', 'imported_at', 'imported_by']),
            ('abgleich.input_files', 'abgleich_treasury',
             ARRAY['id', 'imported_at', 'imported_by'])) v(tab, grp, kept) LOOP
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
        FROM pg_attribute a
        WHERE a.attrelid = g.tab::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname <> ALL (g.kept);
        EXECUTE format('REVOKE INSERT ON %s FROM %I', g.tab, g.grp);
        EXECUTE format('GRANT INSERT (%s) ON %s TO %I', cols, g.tab, g.grp);
    END LOOP;
END
$$;
REVOKE ALL ON FUNCTION abgleich.grant_insert_but_who() FROM PUBLIC;

SELECT abgleich.grant_insert_but_who();
