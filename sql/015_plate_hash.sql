-- 015_plate_hash.sql - the plate key index as a hash index.
--
-- Plates arrive in no order, so every ticket's insert into a B-tree on
-- plate_key lands on a random leaf page; at 10^6 tickets that index cost
-- more than the rest of the insert (docs/benchmarks.md: 6.5 s with it, 2.4 s
-- without, 3.8 s with a hash index, for the same 10^6 rows).  Every use of
-- plate_key is an equality (account_json, the surplus offset, the
-- likely-duplicate check of import), which a hash index serves as well.
DROP INDEX abgleich.claims_plate_key;
CREATE INDEX claims_plate_key ON abgleich.claims USING hash (plate_key);
