-- 031_fee_rounding.sql - the fee of a fine notice rounds to the cent.
--
-- 004's fines_fee took p% of the fine with integer division, so a fine with
-- cents lost its part of a cent: 5 % of 501.50 EUR is 25.075 EUR, and the
-- notice said 25.07 EUR.  Fees are rounded commercially (half a cent up),
-- as the Länder's cost ordinances and every OWi program do; fines in whole
-- euros never meet the rounding (5 % of a whole euro is whole cents).
-- Escalations already written keep the fee they were issued with: a
-- notice's amount is what the citizen was told.
CREATE OR REPLACE FUNCTION abgleich.fines_fee(p_fine bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT least(f.fee_max_cents, greatest(f.fee_min_cents, (p_fine * f.fee_percent + 50) / 100))
    FROM abgleich.fines_config f
$$;
