-- 024_claims_keys.sql - the claims' key check looks up each input file
-- named once, not once per new claim.
--
-- 014 checked an import's claims by an anti-join from every new row to
-- abgleich.input_files.  An import names one file, so it looked the same
-- file up a million times per 10^6 tickets.  Timed inside the trigger on
-- such an import (docs/benchmarks.md, issue 5, "Fifth day"): 0.75-0.88 s
-- per row, 0.20-0.24 s over the distinct file ids, as
-- bank_transactions_keys already does.

CREATE OR REPLACE FUNCTION abgleich.claims_keys() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT file_id FROM new_rows WHERE file_id IS NOT NULL) n
               WHERE NOT EXISTS (SELECT 1 FROM abgleich.input_files f WHERE f.id = n.file_id)) THEN
        PERFORM abgleich.key_violation('claims', 'the input file named');
    END IF;
    RETURN NULL;
END;
$$;
