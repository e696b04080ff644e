-- 040_clerk_decisions.sql - a clerk's decisions sheet is read in once
-- (found by the clerk audit).
--
-- `clarify --from SHEET` applied the same sheet again when it was read a
-- second time: a refund of 5,00 EUR or a manual allocation of 10,00 EUR
-- with an explicit amount was booked twice.  The sheet's content hash is
-- now recorded like a ticket batch's or a statement's (engine/filehash.h),
-- as an input file of the kind 'decisions', and a sheet whose hash is
-- known is refused.  (A sheet saved again has other bytes; clarify also
-- refuses a row whose "Offen" is not what is open now.)
ALTER TABLE abgleich.input_files DROP CONSTRAINT input_files_kind_check,
    ADD CONSTRAINT input_files_kind_check CHECK (kind IN ('tickets', 'statement', 'decisions'));
