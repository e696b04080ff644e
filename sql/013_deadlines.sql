-- 013_deadlines.sql - deadlines that end on a weekend or a holiday move on.
--
-- § 43(2) StPO via § 46 OWiG: a deadline whose last day is a Saturday, a
-- Sunday or a general public holiday ends on the next working day.  The
-- holidays are the nine federal ones plus those of the office's Land
-- (fines_config.land, the two-letter code; NULL means federal holidays
-- only), plus any day the office lists in abgleich.local_holidays (a
-- holiday of one municipality, such as Mariä Himmelfahrt in Bavaria's
-- Catholic communes or the Augsburger Friedensfest, or a one-off like
-- Berlin's 8 May 2025).  The calendar is current law (Reformationstag in
-- the northern Länder since 2018, Frauentag in Berlin since 2019 and in
-- Mecklenburg-Vorpommern since 2023, Weltkindertag in Thüringen since 2019).
--
-- Moved: the warning's payment week, the hearing's answer period, the
-- objection period of a notice and the payment period after it, the
-- reminder's period.  Not moved: the limitation (Verjährung) - case law
-- treats it as a material period (OLG Koblenz 08.02.2023, 4 ORbs 31 SsBs
-- 1/23; fines-domain.md §1.1), so it ends on its calendar day.

ALTER TABLE abgleich.fines_config
    ADD COLUMN land text CHECK (land IN ('BW', 'BY', 'BE', 'BB', 'HB', 'HH', 'HE', 'MV',
                                         'NI', 'NW', 'RP', 'SL', 'SN', 'ST', 'SH', 'TH'));

CREATE TABLE abgleich.local_holidays (
    day  date PRIMARY KEY,
    name text NOT NULL
);

-- Easter Sunday of the Gregorian calendar (the anonymous algorithm of
-- Meeus/Jones/Butcher), from which the movable feasts are counted.
CREATE FUNCTION abgleich.easter_sunday(y int) RETURNS date
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT make_date(y, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1)
    FROM (SELECT h, l, (y % 19 + 11 * h + 22 * l) / 451 AS m
          FROM (SELECT h, (32 + 2 * (b % 4) + 2 * (c / 4) - h - c % 4) % 7 AS l
                FROM (SELECT b, c, (19 * (y % 19) + b - b / 4 - (b - (b + 8) / 25 + 1) / 3 + 15) % 30 AS h
                      FROM (SELECT y / 100 AS b, y % 100 AS c) s0) s1) s2) s3
$$;

-- The name of the public holiday on d in Land p_land (NULL: federal only),
-- or NULL on an ordinary day.
CREATE FUNCTION abgleich.public_holiday(d date, p_land text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN md = '01-01' THEN 'Neujahr'
        WHEN md = '01-06' AND p_land IN ('BW', 'BY', 'ST') THEN 'Heilige Drei Könige'
        WHEN md = '03-08' AND p_land IN ('BE', 'MV') THEN 'Internationaler Frauentag'
        WHEN e = -2 THEN 'Karfreitag'
        WHEN e = 1 THEN 'Ostermontag'
        WHEN md = '05-01' THEN 'Tag der Arbeit'
        WHEN e = 39 THEN 'Christi Himmelfahrt'
        WHEN e = 50 THEN 'Pfingstmontag'
        WHEN e = 60 AND p_land IN ('BW', 'BY', 'HE', 'NW', 'RP', 'SL') THEN 'Fronleichnam'
        WHEN md = '08-15' AND p_land = 'SL' THEN 'Mariä Himmelfahrt'
        WHEN md = '09-20' AND p_land = 'TH' THEN 'Weltkindertag'
        WHEN md = '10-03' THEN 'Tag der Deutschen Einheit'
        WHEN md = '10-31' AND p_land IN ('BB', 'HB', 'HH', 'MV', 'NI', 'SN', 'ST', 'SH', 'TH')
            THEN 'Reformationstag'
        WHEN md = '11-01' AND p_land IN ('BW', 'BY', 'NW', 'RP', 'SL') THEN 'Allerheiligen'
        -- Buß- und Bettag: the Wednesday before 23 November.
        WHEN p_land = 'SN' AND md BETWEEN '11-16' AND '11-22' AND extract(isodow FROM d) = 3
            THEN 'Buß- und Bettag'
        WHEN md = '12-25' THEN '1. Weihnachtstag'
        WHEN md = '12-26' THEN '2. Weihnachtstag'
    END
    FROM (SELECT to_char(d, 'MM-DD') AS md,
                 d - abgleich.easter_sunday(extract(year FROM d)::int) AS e) x
$$;

-- The day a deadline whose calendar end is d really ends: d, or the next
-- day that is neither a weekend nor a holiday of the office.
CREATE FUNCTION abgleich.deadline_end(d date) RETURNS date
LANGUAGE sql STABLE STRICT AS $$
    SELECT min(x.day)::date
    FROM generate_series(d, d + 7, interval '1 day') AS x(day),
         (SELECT land FROM abgleich.fines_config WHERE id = 1) f
    WHERE extract(isodow FROM x.day) < 6
      AND abgleich.public_holiday(x.day::date, f.land) IS NULL
      AND NOT EXISTS (SELECT 1 FROM abgleich.local_holidays h WHERE h.day = x.day::date)
$$;

-- fines_transition of 004, with every period but the limitation ending
-- on a working day.  The objection period ends first; the notice is final
-- the day after; the payment period runs from the end of the objection
-- period (§ 66(2) Nr. 2 OWiG).
CREATE OR REPLACE FUNCTION abgleich.fines_transition(p_claim bigint, p_state text,
                                                     p_as_of date, p_reason text)
RETURNS abgleich.claim_events
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f abgleich.fines_config;
    l abgleich.claim_ledger;
    e abgleich.claim_events;
    objection_end date;
BEGIN
    SELECT * INTO f FROM abgleich.fines_config WHERE id = 1;
    SELECT * INTO l FROM abgleich.claim_ledger WHERE id = p_claim;
    e.claim_id := p_claim; e.event_date := p_as_of; e.state_from := l.stage;
    e.state := p_state; e.reason := p_reason;
    e.fine_cents := 0; e.fee_cents := 0; e.expenses_cents := 0;
    e.limitation_date := l.limitation_date;
    objection_end := abgleich.deadline_end(p_as_of + f.objection_days);
    CASE p_state
    WHEN 'hearing' THEN
        e.due_date := abgleich.deadline_end(p_as_of + f.hearing_days);
        e.next_step_date := e.due_date + 1;
        e.limitation_date := (p_as_of + make_interval(months => f.limitation_months))::date;
    WHEN 'fine_notice' THEN
        e.fee_cents := abgleich.fines_fee(l.fine_cents);
        e.expenses_cents := f.expenses_cents;
        e.due_date := abgleich.deadline_end(objection_end + f.payment_days);
        e.next_step_date := objection_end + 1;
        e.limitation_date := (p_as_of + make_interval(months => 2 * f.limitation_months))::date;
    WHEN 'cost_notice' THEN
        e.fine_cents := -l.fine_cents;
        e.fee_cents := f.cost_fee_cents - l.fee_cents;
        e.expenses_cents := f.cost_expenses_cents - l.expenses_cents;
        e.due_date := abgleich.deadline_end(objection_end + f.payment_days);
        e.next_step_date := objection_end + 1;
    WHEN 'final_due' THEN
        e.due_date := l.due_date;
        e.next_step_date := l.due_date + f.dunning_after_days + 1;
        e.limitation_date := NULL;   -- final: enforcement limitation (§ 34 OWiG) only
    WHEN 'dunning' THEN
        e.fee_cents := f.dunning_fee_cents;
        e.due_date := abgleich.deadline_end(p_as_of + f.dunning_days);
        e.next_step_date := NULL;
        e.limitation_date := NULL;
    WHEN 'time_barred', 'dismissed' THEN
        e.fine_cents := -l.fine_cents;
        e.fee_cents := -l.fee_cents;
        e.expenses_cents := -l.expenses_cents;
        e.due_date := NULL;
        e.next_step_date := NULL;
    END CASE;
    RETURN e;
END;
$$;
