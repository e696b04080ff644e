-- 053_limitation_review.sql - acts that came after the limitation.
--
-- 045 moved the limitation's last day one day earlier and rewrote the
-- stored dates, but acts already taken on the day that was wrongly still
-- open stayed as they were: a hearing ordered or a fine notice issued on
-- the day named like the start (a notice of 10 Feb on a hearing of 10
-- Nov).  Such a notice was issued after the case was time-barred; it has
-- its own fresh limitation, becomes final and is dunned like any other,
-- and nothing said so.  Whether it stands is a legal decision (§ 31 OWiG;
-- the office may withdraw it with `case --dismiss`), so the database lists
-- them and decides nothing.
--
-- abgleich.limitation_review: every hearing or fine notice dated after the
-- limitation it had to come within (the one its previous event set, or
-- for the first event the offense's).  A cost notice after the limitation
-- is not listed: § 25a StVG is for exactly that.  With 045 in place
-- escalate and case write none; rows are acts from before it, or typed in
-- by hand.
CREATE VIEW abgleich.limitation_review AS
WITH ev AS (
    SELECT e.id, e.claim_id, e.event_date, e.state,
           lag(e.limitation_date) OVER w AS previous_limitation,
           row_number() OVER w AS n
    FROM abgleich.claim_events e
    WINDOW w AS (PARTITION BY e.claim_id ORDER BY e.id))
SELECT c.reference, ev.state, ev.event_date, x.limitation_date, ev.id AS event_id
FROM ev
JOIN abgleich.claims c ON c.id = ev.claim_id
CROSS JOIN abgleich.fines_config f
CROSS JOIN LATERAL (SELECT CASE WHEN ev.n = 1
                                THEN abgleich.limitation_last_day(c.offense_time::date,
                                                                  f.limitation_months)
                                ELSE ev.previous_limitation END AS limitation_date) x
WHERE ev.state IN ('hearing', 'fine_notice') AND ev.event_date > x.limitation_date;
