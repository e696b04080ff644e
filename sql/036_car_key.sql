-- 036_car_key.sql - a car is its plate WITH the district boundary, and its
-- country (claims.car_key).
--
-- What it fixes: claims.plate_key drops the separators, so "H-HA 1"
-- (Hannover) and "HH-A 1" (Hamburg) share the key HHA1.  That is right for
-- the matcher, which finds plates in remittance text where payers drop the
-- hyphen, and stays as it is.  It was wrong wherever the key stood for a
-- car: the surplus offset (029) moved one car's overpayment onto the other
-- car's claim; the account view by plate (004) listed the other car's
-- claims, whatever their country; and the likely-duplicate check of
-- `import tickets` took the two for one car.
--
-- The car key (engine/plate.h, plate_car_key):
--   German plate: district code, '-', the rest without separators, the E/H
--     suffix: "HH-A1", "H-HA1", "RW-WO888E".  The code ends at a separator
--     written inside the letters; without one, where the only split into a
--     known district code (abgleich.plate_districts) and a valid rest puts
--     it ("HHAB1234" = HH-AB1234).  When two splits are valid ("HHA1",
--     "BAB123") the plate is ambiguous and the key is '?' and the plate key
--     ("?HHA1"): it names no known car, is never set off against another
--     claim and never shown by plate (only by reference), and is compared
--     only with the same spelling by the duplicate check.
--   Foreign plate: the country, ':', the plate key ("NL:AB12CD").
-- `import tickets` writes it (C); abgleich.car_key below is the same
-- function in SQL, for the backfill of the claims imported before and for
-- the plate a citizen types.  No index: the hash index on plate_key narrows
-- the rows, car_key filters them (an index would slow the import,
-- docs/benchmarks.md).  Purged claims (010) lose the car key with the plate.

ALTER TABLE abgleich.claims ADD COLUMN car_key text;

-- The district codes (Unterscheidungszeichen) of data/unterscheidungszeichen_weg-li.json,
-- as engine/plate.c knows them (embedded by data/embed.sh).  When data/
-- changes, a new migration changes this table; t_cars compares the two.
CREATE TABLE abgleich.plate_districts (code text PRIMARY KEY);
INSERT INTO abgleich.plate_districts (code) VALUES
    ('A'), ('AA'), ('AB'), ('ABG'), ('AC'), ('AE'), ('AH'), ('AIB'), ('AIC'), ('AK'),
    ('AL'), ('ALF'), ('ALS'), ('ALZ'), ('AM'), ('AN'), ('ANA'), ('ANG'), ('ANK'), ('AP'),
    ('APD'), ('AR'), ('ARN'), ('ART'), ('AS'), ('ASD'), ('ASL'), ('ASZ'), ('AT'), ('AU'),
    ('AUR'), ('AW'), ('AZ'), ('AZE'), ('AÖ'), ('B'), ('BA'), ('BAD'), ('BAR'), ('BB'),
    ('BBG'), ('BBL'), ('BC'), ('BCH'), ('BD'), ('BE'), ('BED'), ('BEI'), ('BEL'), ('BER'),
    ('BF'), ('BG'), ('BGD'), ('BGL'), ('BH'), ('BI'), ('BID'), ('BIN'), ('BIR'), ('BIT'),
    ('BIW'), ('BK'), ('BKS'), ('BL'), ('BLB'), ('BLK'), ('BM'), ('BN'), ('BNA'), ('BO'),
    ('BOG'), ('BOH'), ('BOR'), ('BOT'), ('BP'), ('BR'), ('BRA'), ('BRB'), ('BRG'), ('BRI'),
    ('BRK'), ('BRL'), ('BRV'), ('BS'), ('BSB'), ('BSK'), ('BT'), ('BTF'), ('BU'), ('BUL'),
    ('BW'), ('BWL'), ('BYL'), ('BZ'), ('BZA'), ('BÖ'), ('BÜD'), ('BÜR'), ('BÜS'), ('BÜZ'),
    ('C'), ('CA'), ('CAS'), ('CB'), ('CE'), ('CHA'), ('CLP'), ('CLZ'), ('CO'), ('COC'),
    ('COE'), ('CR'), ('CUX'), ('CW'), ('D'), ('DA'), ('DAH'), ('DAN'), ('DAU'), ('DB'),
    ('DBR'), ('DD'), ('DE'), ('DEG'), ('DEL'), ('DGF'), ('DH'), ('DI'), ('DIL'), ('DIN'),
    ('DIZ'), ('DKB'), ('DL'), ('DLG'), ('DM'), ('DN'), ('DO'), ('DON'), ('DS'), ('DT'),
    ('DU'), ('DUD'), ('DW'), ('DZ'), ('DÜW'), ('E'), ('EB'), ('EBE'), ('EBN'), ('EBS'),
    ('ECK'), ('ED'), ('EE'), ('EF'), ('EG'), ('EH'), ('EHI'), ('EI'), ('EIC'), ('EIH'),
    ('EIL'), ('EIN'), ('EIS'), ('EL'), ('EM'), ('EMD'), ('EMS'), ('EN'), ('ER'), ('ERB'),
    ('ERH'), ('ERK'), ('ES'), ('ESA'), ('ESB'), ('ESW'), ('EU'), ('EUT'), ('EW'), ('F'),
    ('FAL'), ('FB'), ('FD'), ('FDB'), ('FDS'), ('FEU'), ('FF'), ('FFB'), ('FG'), ('FH'),
    ('FI'), ('FKB'), ('FL'), ('FLÖ'), ('FN'), ('FO'), ('FOR'), ('FR'), ('FRG'), ('FRI'),
    ('FRW'), ('FS'), ('FT'), ('FTL'), ('FW'), ('FZ'), ('FÜ'), ('FÜS'), ('G'), ('GA'),
    ('GAN'), ('GAP'), ('GC'), ('GD'), ('GDB'), ('GE'), ('GEL'), ('GEM'), ('GEO'), ('GER'),
    ('GF'), ('GG'), ('GHA'), ('GHC'), ('GI'), ('GK'), ('GL'), ('GLA'), ('GM'), ('GMN'),
    ('GN'), ('GNT'), ('GOA'), ('GOH'), ('GP'), ('GR'), ('GRA'), ('GRH'), ('GRI'), ('GRM'),
    ('GRS'), ('GRZ'), ('GS'), ('GT'), ('GTH'), ('GUB'), ('GUN'), ('GV'), ('GVM'), ('GW'),
    ('GZ'), ('GÖ'), ('GÜ'), ('H'), ('HA'), ('HAB'), ('HAL'), ('HAM'), ('HAS'), ('HB'),
    ('HBN'), ('HBS'), ('HC'), ('HCH'), ('HD'), ('HDH'), ('HDL'), ('HE'), ('HEB'), ('HEF'),
    ('HEI'), ('HEL'), ('HER'), ('HET'), ('HF'), ('HG'), ('HGN'), ('HGW'), ('HH'), ('HHM'),
    ('HI'), ('HIG'), ('HIP'), ('HK'), ('HL'), ('HM'), ('HMÜ'), ('HN'), ('HO'), ('HOG'),
    ('HOH'), ('HOL'), ('HOM'), ('HOR'), ('HOT'), ('HP'), ('HR'), ('HRO'), ('HS'), ('HSK'),
    ('HST'), ('HU'), ('HUS'), ('HV'), ('HVL'), ('HW'), ('HWI'), ('HX'), ('HY'), ('HZ'),
    ('HÖS'), ('HÜN'), ('IGB'), ('IK'), ('IL'), ('ILL'), ('IN'), ('IS'), ('IZ'), ('J'),
    ('JB'), ('JE'), ('JEV'), ('JL'), ('JÜL'), ('K'), ('KA'), ('KAR'), ('KB'), ('KC'),
    ('KE'), ('KEH'), ('KEL'), ('KEM'), ('KF'), ('KG'), ('KH'), ('KI'), ('KIB'), ('KK'),
    ('KL'), ('KLE'), ('KLZ'), ('KM'), ('KN'), ('KO'), ('KR'), ('KRU'), ('KS'), ('KT'),
    ('KU'), ('KUS'), ('KW'), ('KY'), ('KYF'), ('KÖN'), ('KÖT'), ('KÖZ'), ('KÜN'), ('L'),
    ('LA'), ('LAN'), ('LAT'), ('LAU'), ('LB'), ('LBS'), ('LBZ'), ('LC'), ('LD'), ('LDK'),
    ('LDS'), ('LE'), ('LEO'), ('LER'), ('LEV'), ('LF'), ('LG'), ('LH'), ('LI'), ('LIB'),
    ('LIF'), ('LIN'), ('LIP'), ('LK'), ('LL'), ('LM'), ('LN'), ('LOH'), ('LOS'), ('LP'),
    ('LR'), ('LS'), ('LSA'), ('LSN'), ('LSZ'), ('LU'), ('LUK'), ('LWL'), ('LÖ'), ('LÖB'),
    ('LÜD'), ('LÜN'), ('M'), ('MA'), ('MAB'), ('MAI'), ('MAK'), ('MAL'), ('MAR'), ('MB'),
    ('MC'), ('MD'), ('ME'), ('MED'), ('MEG'), ('MEI'), ('MEK'), ('MEL'), ('MEP'), ('MER'),
    ('MES'), ('MET'), ('MG'), ('MGH'), ('MGN'), ('MH'), ('MHL'), ('MI'), ('MIL'), ('MK'),
    ('ML'), ('MM'), ('MN'), ('MO'), ('MOD'), ('MOL'), ('MON'), ('MOS'), ('MQ'), ('MR'),
    ('MS'), ('MSP'), ('MST'), ('MT'), ('MTK'), ('MTL'), ('MUC'), ('MVL'), ('MW'), ('MY'),
    ('MYK'), ('MZ'), ('MZG'), ('MÜ'), ('MÜB'), ('MÜL'), ('MÜN'), ('MÜR'), ('N'), ('NAB'),
    ('NAI'), ('NAU'), ('NB'), ('ND'), ('NDH'), ('NE'), ('NEA'), ('NEB'), ('NEC'), ('NEN'),
    ('NES'), ('NEU'), ('NEW'), ('NF'), ('NH'), ('NI'), ('NIB'), ('NK'), ('NL'), ('NM'),
    ('NMB'), ('NMS'), ('NOH'), ('NOL'), ('NOM'), ('NOR'), ('NP'), ('NR'), ('NRW'), ('NRÜ'),
    ('NT'), ('NU'), ('NVP'), ('NW'), ('NWM'), ('NY'), ('NZ'), ('NÖ'), ('OA'), ('OAL'),
    ('OB'), ('OBB'), ('OBG'), ('OC'), ('OCH'), ('OD'), ('OE'), ('OF'), ('OG'), ('OH'),
    ('OHA'), ('OHV'), ('OHZ'), ('OK'), ('OL'), ('OLD'), ('OP'), ('OPR'), ('OR'), ('OS'),
    ('OSL'), ('OTT'), ('OTW'), ('OVI'), ('OVL'), ('OVP'), ('OZ'), ('P'), ('PA'), ('PAF'),
    ('PAN'), ('PAR'), ('PB'), ('PCH'), ('PE'), ('PEG'), ('PER'), ('PF'), ('PI'), ('PIR'),
    ('PK'), ('PL'), ('PLÖ'), ('PM'), ('PN'), ('PR'), ('PRÜ'), ('PS'), ('PW'), ('PZ'),
    ('QFT'), ('QLB'), ('R'), ('RA'), ('RC'), ('RD'), ('RDG'), ('RE'), ('REG'), ('REH'),
    ('REI'), ('RG'), ('RH'), ('RI'), ('RID'), ('RIE'), ('RL'), ('RM'), ('RN'), ('RO'),
    ('ROD'), ('ROF'), ('ROH'), ('ROK'), ('ROL'), ('ROS'), ('ROT'), ('ROW'), ('RPL'),
    ('RS'), ('RSL'), ('RT'), ('RU'), ('RV'), ('RW'), ('RWL'), ('RY'), ('RZ'), ('RÜD'),
    ('RÜG'), ('S'), ('SAB'), ('SAD'), ('SAL'), ('SAN'), ('SAW'), ('SB'), ('SBG'), ('SBK'),
    ('SC'), ('SCZ'), ('SD'), ('SDH'), ('SDL'), ('SDT'), ('SE'), ('SEB'), ('SEE'), ('SEF'),
    ('SEL'), ('SF'), ('SFA'), ('SFB'), ('SFT'), ('SG'), ('SGH'), ('SH'), ('SHA'), ('SHG'),
    ('SHK'), ('SHL'), ('SI'), ('SIG'), ('SIM'), ('SK'), ('SL'), ('SLE'), ('SLF'), ('SLG'),
    ('SLN'), ('SLS'), ('SLZ'), ('SLÜ'), ('SM'), ('SMÜ'), ('SN'), ('SNH'), ('SO'), ('SOB'),
    ('SOG'), ('SOK'), ('SOL'), ('SON'), ('SP'), ('SPB'), ('SPN'), ('SPR'), ('SR'), ('SRB'),
    ('SRO'), ('ST'), ('STA'), ('STB'), ('STD'), ('STE'), ('STH'), ('STL'), ('STO'), ('SU'),
    ('SUL'), ('SW'), ('SWA'), ('SY'), ('SZ'), ('SZB'), ('SÄK'), ('SÖM'), ('SÜW'), ('TBB'),
    ('TE'), ('TET'), ('TF'), ('TG'), ('THL'), ('TIR'), ('TO'), ('TP'), ('TR'), ('TS'),
    ('TT'), ('TUT'), ('TÖL'), ('TÖN'), ('TÜ'), ('UE'), ('UEM'), ('UER'), ('UFF'), ('UH'),
    ('UL'), ('UM'), ('UN'), ('USI'), ('V'), ('VAI'), ('VB'), ('VEC'), ('VER'), ('VIB'),
    ('VIE'), ('VIT'), ('VK'), ('VL'), ('VOF'), ('VOH'), ('VS'), ('W'), ('WA'), ('WAF'),
    ('WAK'), ('WAN'), ('WAR'), ('WAT'), ('WB'), ('WBS'), ('WD'), ('WDA'), ('WE'), ('WEB'),
    ('WEG'), ('WEL'), ('WEM'), ('WEN'), ('WER'), ('WES'), ('WF'), ('WG'), ('WHV'), ('WI'),
    ('WIL'), ('WIS'), ('WIT'), ('WIZ'), ('WK'), ('WL'), ('WLG'), ('WM'), ('WMS'), ('WN'),
    ('WND'), ('WO'), ('WOB'), ('WOH'), ('WOL'), ('WOR'), ('WOS'), ('WR'), ('WRN'), ('WS'),
    ('WSF'), ('WST'), ('WSW'), ('WT'), ('WTL'), ('WTM'), ('WUG'), ('WUN'), ('WUR'), ('WW'),
    ('WZ'), ('WZL'), ('WÜ'), ('WÜM'), ('X'), ('Y'), ('Z'), ('ZE'), ('ZEL'), ('ZI'),
    ('ZIG'), ('ZP'), ('ZR'), ('ZS'), ('ZW'), ('ÖHR'), ('ÜB');

-- Is letters[1..d] a known district code and the rest a valid identification
-- number (engine/plate.c: split_ok and number_rules)?
CREATE FUNCTION abgleich.plate_split_ok(p_letters text, p_digits text, p_d int) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_d BETWEEN 1 AND 3 AND p_d <= length(p_letters)
       AND EXISTS (SELECT 1 FROM abgleich.plate_districts WHERE code = left(p_letters, p_d))
       AND length(p_letters) - p_d <= 2
       AND substr(p_letters, p_d + 1) ~ '^[A-Z]*$'                 -- no umlaut after the code
       AND (length(p_letters) = p_d                                  -- authority or dealer
            OR (length(p_digits) <= 4 AND left(p_digits, 1) <> '0'
                AND length(p_letters) + length(p_digits) <= 8))
$$;

-- The car key of a plate and its nationality (NULL, '' or 'D': German),
-- as engine/plate.c's plate_car_key; NULL when a German plate is not valid.
CREATE FUNCTION abgleich.car_key(p_plate text, p_nationality text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    nat text := coalesce(p_nationality, '');
    s text;
    suffix text := '';
    head text;
    letters text;
    digits text;
    sep_after int := 0;
    d int;
    found int := 0;
BEGIN
    IF p_plate IS NULL THEN
        RETURN NULL;
    END IF;
    IF nat NOT IN ('', 'D') THEN
        IF length(nat) > 3 THEN
            RETURN NULL;
        END IF;
        RETURN nat || ':' || left(translate(replace(replace(p_plate, ' ', ''), '-', ''),
                                            'abcdefghijklmnopqrstuvwxyz',
                                            'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), 23);
    END IF;
    s := btrim(p_plate, E' \t');
    -- an E or H right after the digits (or after a space) is a suffix
    IF length(s) >= 2 AND right(s, 1) IN ('E', 'H', 'e', 'h')
       AND substr(s, length(s) - 1, 1) ~ '[0-9 ]' THEN
        suffix := upper(right(s, 1));
        s := left(s, length(s) - CASE WHEN substr(s, length(s) - 1, 1) = ' ' THEN 2 ELSE 1 END);
    END IF;
    IF s !~ '^[ -]*([A-Za-zÄÖÜäöü][ -]*){1,5}([0-9][ -]*){1,6}$' THEN
        RETURN NULL;
    END IF;
    head := substring(s FROM '^[^0-9]*');
    digits := regexp_replace(substr(s, length(head) + 1), '[ -]', '', 'g');
    head := ltrim(head, ' -');
    letters := upper(translate(regexp_replace(head, '[ -]', '', 'g'), 'äöü', 'ÄÖÜ'));
    IF rtrim(head, ' -') ~ '[ -]' THEN
        -- written with a separator inside the letters: the code ends there
        sep_after := length(substring(head FROM '^[^ -]*'));
        IF NOT abgleich.plate_split_ok(letters, digits, sep_after) THEN
            RETURN NULL;
        END IF;
        d := sep_after;
    ELSE
        FOR i IN 1..least(3, length(letters)) LOOP
            IF abgleich.plate_split_ok(letters, digits, i) THEN
                found := found + 1;
                d := i;
            END IF;
        END LOOP;
        IF found = 0 THEN
            RETURN NULL;
        ELSIF found > 1 THEN
            RETURN '?' || letters || digits || suffix;
        END IF;
    END IF;
    RETURN left(letters, d) || '-' || substr(letters, d + 1) || digits || suffix;
END;
$$;

-- The claims imported before: their car keys as import writes them.  A
-- plate as handhelds write it ("HH-AB 1234": known code, '-', 1-2 letters,
-- ' ', 1-4 digits not starting with 0, at most 8 letters and digits) is
-- its key without the space, which is what abgleich.car_key returns for it
-- at a fifth of the cost; every other plate goes through abgleich.car_key
-- (measured: 200 000 generated claims in 1.6 s, all through the function
-- 7.3 s; about a minute and a half at 10^7 claims).  Claims whose plate was
-- purged keep no key.
UPDATE abgleich.claims c SET car_key = CASE
    WHEN coalesce(c.nationality, '') IN ('', 'D')
         AND c.plate ~ '^[A-ZÄÖÜ]{1,3}-[A-Z]{1,2} [1-9][0-9]{0,3}$' AND length(c.plate) <= 10
         AND EXISTS (SELECT 1 FROM abgleich.plate_districts d
                     WHERE d.code = split_part(c.plate, '-', 1))
    THEN replace(c.plate, ' ', '')
    ELSE abgleich.car_key(c.plate, c.nationality) END
WHERE c.plate IS NOT NULL;

-- 029's surplus offset, now between claims of one car (car_key, which holds
-- the country) and never from or to an ambiguous plate; plate_key still
-- narrows the rows by its hash index.
CREATE OR REPLACE FUNCTION abgleich.fines_offset_surplus(p_file_id bigint,
                                              OUT offsets bigint, OUT cents bigint)
LANGUAGE plpgsql AS $$
DECLARE
    k record;
    o record;
    left_cents bigint;
    take bigint;
BEGIN
    offsets := 0; cents := 0;
    IF NOT (SELECT offset_surplus FROM abgleich.fines_config WHERE id = 1) THEN
        RETURN;
    END IF;
    FOR k IN
        SELECT q.id, q.file_id, q.tx_seq, q.open_cents, c.plate_key, c.car_key,
               c.id AS claim_id, c.reference
        FROM abgleich.open_clarifications q
        JOIN abgleich.clarifications x ON x.id = q.id
        JOIN abgleich.claims c ON c.id = x.claim_id
        WHERE (p_file_id IS NULL OR q.file_id = p_file_id) AND q.reason = 'overpayment'
          AND c.plate_key IS NOT NULL
          -- a car we know: an ambiguous plate ('?') may be either of two
          AND c.car_key IS NOT NULL AND c.car_key NOT LIKE '?%'
          -- a clerk who took an offset of it back decides it by hand
          AND NOT EXISTS (SELECT 1 FROM abgleich.allocations m
                          WHERE m.clarification_id = q.id AND m.method = 'manual_reversal')
        ORDER BY q.tx_seq, q.id
    LOOP
        left_cents := k.open_cents;
        FOR o IN
            SELECT * FROM (
                SELECT c.id, c.reference, abgleich.claim_open_cents(c.id) AS open_cents,
                       coalesce((SELECT e.due_date FROM abgleich.claim_events e
                                 WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1),
                                c.due_date) AS due
                FROM abgleich.claims c
                WHERE c.plate_key = k.plate_key AND c.car_key = k.car_key
                  AND c.id <> k.claim_id) x
            WHERE x.open_cents > 0
            ORDER BY x.due, x.id
        LOOP
            EXIT WHEN left_cents <= 0;
            take := least(left_cents, o.open_cents);
            INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method,
                confidence, explanation, explanation_en, clarification_id)
            VALUES (o.id, k.file_id, k.tx_seq, take, 'surplus_offset', 100,
                format('Überzahlung zu Kassenzeichen %s mit der offenen Forderung %s desselben Kennzeichens verrechnet',
                       k.reference, o.reference),
                format('overpayment of reference %s set off against open claim %s of the same plate',
                       k.reference, o.reference),
                k.id);
            left_cents := left_cents - take;
            offsets := offsets + 1;
            cents := cents + take;
        END LOOP;
    END LOOP;
END;
$$;

-- 004's account view by plate, now of one car.  The typed plate is
-- normalised like a ticket's: "HH-A 1" and "HH A1" name Hamburg's car,
-- "H-HA 1" Hannover's, "HHAB 1234" HH-AB1234 (the only valid split), "NL:AB
-- 12 CD" a Dutch car.  A plate that could be two cars ("HHA1") shows no
-- claims and asks for the hyphen: which claims exist must not decide it (a
-- Hannover citizen typing HHA1 would see Hamburg's claims when only those
-- exist).  Neither does an invalid plate, nor a claim stored with an
-- ambiguous plate: those are shown by their reference only.  The answer
-- names the car matched ('car') or says why none ('message', 'message_en').
CREATE OR REPLACE FUNCTION abgleich.account_json(p_plate text, p_reference text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
WITH typed AS (
    -- the car the typed plate names: "NL:AB-12-CD" (a country first) a
    -- foreign one, anything else a German one
    SELECT CASE WHEN m IS NULL THEN abgleich.car_key(p_plate, NULL)
                ELSE abgleich.car_key(m[2], upper(m[1])) END AS car
    FROM (SELECT regexp_match(p_plate, '^[[:space:]]*([A-Za-z]{1,3})[[:space:]]*:[[:space:]]*(.*)$')
          AS m) x
    WHERE p_plate IS NOT NULL
), car AS (
    -- its plate key, for the hash index; none for an unknown or ambiguous plate
    SELECT t.car, CASE WHEN t.car IS NULL OR t.car LIKE '?%' THEN NULL
                       ELSE replace(regexp_replace(t.car, '^[A-Z]{1,3}:', ''), '-', '')
                  END AS plate_key
    FROM typed t
), wanted AS (
    SELECT c.id FROM car k JOIN abgleich.claims c
      ON c.plate_key = k.plate_key AND c.car_key = k.car
    UNION
    SELECT c.id FROM abgleich.claims c WHERE p_reference IS NOT NULL
      AND c.reference = upper(regexp_replace(p_reference, '[[:space:].-]', '', 'g'))
), amounts AS (
    -- per claim by index lookups (the views aggregate over every claim)
    SELECT c.id, c.reference, c.plate, c.tbnr, c.offense_time, c.location,
           c.amount_cents + coalesce(ev.fine, 0) AS fine_cents,
           coalesce(ev.fee, 0) AS fee_cents, coalesce(ev.expenses, 0) AS expenses_cents,
           coalesce(p.paid, 0) AS paid_cents,
           coalesce(le.state, 'warning_open') AS stage,
           CASE WHEN le.state IS NULL THEN c.due_date ELSE le.due_date END AS due_date,
           CASE WHEN le.state IS NULL THEN c.due_date + 1 ELSE le.next_step_date END AS next_step
    FROM wanted w
    JOIN abgleich.claims c ON c.id = w.id
    LEFT JOIN LATERAL (SELECT sum(e.fine_cents) AS fine, sum(e.fee_cents) AS fee,
                              sum(e.expenses_cents) AS expenses
                       FROM abgleich.claim_events e WHERE e.claim_id = c.id) ev ON true
    LEFT JOIN LATERAL (SELECT e.state, e.due_date, e.next_step_date FROM abgleich.claim_events e
                       WHERE e.claim_id = c.id ORDER BY e.id DESC LIMIT 1) le ON true
    LEFT JOIN LATERAL (SELECT sum(a.amount_cents) AS paid FROM abgleich.allocations a
                       WHERE a.claim_id = c.id) p ON true
), owed AS (
    SELECT m.*, m.fine_cents + m.fee_cents + m.expenses_cents AS owed_cents,
           m.fine_cents + m.fee_cents + m.expenses_cents - m.paid_cents AS open_cents
    FROM amounts m
), acct AS (
    -- the rules of claim_lifecycle and claim_components, for these claims
    SELECT o.*,
           CASE WHEN o.stage IN ('dismissed', 'time_barred') THEN o.stage
                WHEN o.owed_cents > 0 AND o.open_cents <= 0 THEN 'paid'
                ELSE o.stage END AS state,
           least(greatest(o.paid_cents, 0), o.fine_cents) AS fine_paid_cents,
           least(greatest(o.paid_cents - o.fine_cents, 0), o.fee_cents) AS fee_paid_cents,
           least(greatest(o.paid_cents - o.fine_cents - o.fee_cents, 0), o.expenses_cents)
               AS expenses_paid_cents
    FROM owed o
)
SELECT jsonb_build_object(
    'plate', p_plate,
    'reference', p_reference,
    'car', (SELECT k.car FROM car k WHERE k.plate_key IS NOT NULL),
    'open_cents', coalesce(sum(greatest(r.open_cents, 0)), 0),
    'paid_cents', coalesce(sum(r.paid_cents), 0),
    'claims', coalesce(jsonb_agg(jsonb_build_object(
        'reference', r.reference, 'plate', r.plate, 'tbnr', r.tbnr,
        'offense_time', r.offense_time, 'location', r.location,
        'state', r.state, 'open', r.state NOT IN ('paid', 'dismissed', 'time_barred'),
        'amount_cents', r.owed_cents, 'fine_cents', r.fine_cents, 'fee_cents', r.fee_cents,
        'expenses_cents', r.expenses_cents, 'paid_cents', r.paid_cents,
        'open_cents', r.open_cents, 'fine_paid_cents', r.fine_paid_cents,
        'fee_paid_cents', r.fee_paid_cents, 'expenses_paid_cents', r.expenses_paid_cents,
        'due_date', r.due_date,
        'next_step_date', CASE WHEN r.stage IN ('dismissed', 'time_barred', 'dunning')
                                    OR r.open_cents <= 0 THEN NULL ELSE r.next_step END,
        'payments', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                         'date', coalesce(t.booking_date, a.created_at::date),
                         'amount_cents', a.amount_cents, 'method', a.method,
                         'end_to_end_id', t.end_to_end_id) ORDER BY a.id), '[]'::jsonb)
                     FROM abgleich.allocations a
                     LEFT JOIN abgleich.bank_transactions t
                            ON t.file_id = a.file_id AND t.seq = a.tx_seq
                     WHERE a.claim_id = r.id),
        'history', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'date', e.event_date, 'state', e.state, 'fine_cents', e.fine_cents,
                        'fee_cents', e.fee_cents, 'expenses_cents', e.expenses_cents,
                        'due_date', e.due_date, 'reason', e.reason) ORDER BY e.id), '[]'::jsonb)
                    FROM abgleich.claim_events e WHERE e.claim_id = r.id)
    ) ORDER BY r.offense_time, r.reference), '[]'::jsonb))
    || coalesce((SELECT CASE
        WHEN k.car IS NULL THEN jsonb_build_object(
            'message', 'Kein gültiges deutsches Kennzeichen. Ein ausländisches Kennzeichen mit dem Land davor angeben, z. B. NL:AB-12-CD.',
            'message_en', 'Not a valid German plate. Give a foreign plate with its country first, e.g. NL:AB-12-CD.')
        WHEN k.car LIKE '?%' THEN jsonb_build_object(
            'message', 'Kennzeichen mehrdeutig: bitte mit Bindestrich oder Leerzeichen nach dem Unterscheidungszeichen angeben, z. B. HH-A 1 (Hamburg) oder H-HA 1 (Hannover).',
            'message_en', 'Ambiguous plate: give it with a hyphen or space after the district code, e.g. HH-A 1 (Hamburg) or H-HA 1 (Hannover).')
        END FROM typed k), '{}'::jsonb)
FROM acct r
$$;

-- 010's purge: the car key is personal data like the plate.
CREATE OR REPLACE FUNCTION abgleich.purge_personal_data(p_before date, p_execute boolean,
    OUT claims bigint, OUT transactions bigint, OUT ledger_rows bigint,
    OUT clarifications bigint)
LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE purge_claims ON COMMIT DROP AS
    SELECT l.claim_id AS id FROM abgleich.claim_lifecycle l
    JOIN abgleich.claims c ON c.id = l.claim_id
    WHERE (l.state IN ('paid', 'dismissed', 'time_barred') OR l.open_cents <= 0)
      AND coalesce(c.offense_time::date, c.due_date) < p_before
      AND c.due_date < p_before
      AND NOT EXISTS (SELECT 1 FROM abgleich.allocations a WHERE a.claim_id = c.id
                      AND a.created_at::date >= p_before)
      AND NOT EXISTS (SELECT 1 FROM abgleich.claim_events e WHERE e.claim_id = c.id
                      AND e.event_date >= p_before)
      AND (c.plate IS NOT NULL OR c.location IS NOT NULL);
    CREATE TEMP TABLE purge_tx ON COMMIT DROP AS
    SELECT t.file_id, t.seq FROM abgleich.bank_transactions t
    WHERE t.booking_date < p_before
      AND (t.debtor_name IS NOT NULL OR t.debtor_iban IS NOT NULL OR t.remittance IS NOT NULL
           OR t.entry_info IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM abgleich.open_clarifications o
                      WHERE o.file_id = t.file_id AND o.tx_seq = t.seq)
      AND NOT EXISTS (SELECT 1 FROM abgleich.allocations a
                      WHERE a.file_id = t.file_id AND a.tx_seq = t.seq AND a.claim_id IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM abgleich.claims c
                                        WHERE c.id = a.claim_id
                                          AND (c.id IN (SELECT id FROM purge_claims)
                                               OR (c.plate IS NULL AND c.location IS NULL))));
    SELECT count(*) INTO claims FROM purge_claims;
    SELECT count(*) INTO transactions FROM purge_tx;
    SELECT count(*) INTO ledger_rows FROM abgleich.allocations a JOIN purge_tx p
        ON p.file_id = a.file_id AND p.seq = a.tx_seq
        WHERE a.explanation IS DISTINCT FROM '(gelöscht)';
    SELECT count(*) INTO clarifications FROM abgleich.clarifications k JOIN purge_tx p
        ON p.file_id = k.file_id AND p.seq = k.tx_seq
        WHERE k.explanation IS DISTINCT FROM '(gelöscht)';
    IF NOT p_execute THEN
        RETURN;
    END IF;
    UPDATE abgleich.claims c SET plate = NULL, plate_key = NULL, nationality = NULL, car_key = NULL,
        location = NULL WHERE c.id IN (SELECT id FROM purge_claims);
    UPDATE abgleich.bank_transactions t SET debtor_name = NULL, debtor_iban = NULL,
        remittance = NULL, entry_info = NULL
        FROM purge_tx p WHERE p.file_id = t.file_id AND p.seq = t.seq;
    PERFORM set_config('abgleich.purge', 'on', true);
    UPDATE abgleich.allocations a SET explanation = '(gelöscht)', explanation_en = '(purged)'
        FROM purge_tx p WHERE p.file_id = a.file_id AND p.seq = a.tx_seq
          AND a.explanation IS DISTINCT FROM '(gelöscht)';
    PERFORM set_config('abgleich.purge', 'off', true);
    UPDATE abgleich.clarifications k SET explanation = '(gelöscht)', explanation_en = '(purged)'
        FROM purge_tx p WHERE p.file_id = k.file_id AND p.seq = k.tx_seq
          AND k.explanation IS DISTINCT FROM '(gelöscht)';
END;
$$;
