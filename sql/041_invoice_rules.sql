-- 041_invoice_rules.sql - four eyes held by the database, and corrections
-- that act on every invoice they replace (the third audit of e-invoices;
-- tests/integration/t_invoice_rules.sh).
--
-- Four eyes: 032 set who imported and who approved from session_user, but
-- a treasury login that imported an invoice could still
--   UPDATE abgleich.invoices SET status = 'approved'
-- itself (approved_by stayed NULL, which 011's CHECK allows) and pay it;
-- and after a second person's approval the payee IBAN or the amount could
-- be changed by SQL and were paid as changed.  Now the trigger refuses:
-- an invoice inserted other than open; a change to 'approved' unless
-- approved_by is the login doing it and not the importer; a change to
-- 'in_payment' other than from 'approved'; on an approved invoice or one
-- in payment, a change of IBAN or BIC, or a higher amount due (a credit
-- note lowering it stays allowed).  jobs/pay.c also pays no approved
-- invoice without a second person on it.
--
-- Corrections (033's abgleich.invoice_link): a corrected invoice (384)
-- superseded only the invoice it named and owed the difference to that
-- one alone, so a 384 correcting a correction of a paid invoice was due in
-- full (paid twice), and two corrections naming the same original were
-- both payable.  A document's family is now every invoice linked to it
-- through preceding invoices (each BT-25 it names, each that names it, and
-- so on); a new 384 supersedes every unpaid member (open, approved,
-- returned) and owes its own amount less what was paid on the family
-- (payments net of returns in the ledger, and what is in payment), which
-- may be negative: the seller owes it back, for a clerk.
--
-- A document may name several preceding invoices (BG-3 repeats); the
-- import read only the first and left the others payable.  preceding_number
-- now holds all of them, one per line, and preceding_ids the ones linked
-- (preceding_id stays the first of them).
--
-- Currency: a USD credit note lowered an EUR invoice by its number.  Only
-- documents of the same currency are linked; otherwise the import says so.
ALTER TABLE abgleich.invoices ADD COLUMN preceding_ids bigint[];
UPDATE abgleich.invoices SET preceding_ids = ARRAY[preceding_id] WHERE preceding_id IS NOT NULL;

CREATE OR REPLACE FUNCTION abgleich.invoices_who() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- Only the import sets who imported; an invoice begins open, so
        -- that approval is always an UPDATE this trigger sees.
        NEW.imported_by := session_user;
        NEW.approved_by := NULL;
        NEW.approved_at := NULL;
        IF NEW.status <> 'open' THEN
            RAISE EXCEPTION 'invoice % is imported open, not %', NEW.invoice_number, NEW.status;
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.imported_by IS DISTINCT FROM OLD.imported_by THEN
        RAISE EXCEPTION 'who imported invoice % cannot be changed', OLD.invoice_number;
    END IF;
    IF NEW.approved_by IS DISTINCT FROM OLD.approved_by AND NEW.approved_by IS NOT NULL
       AND NEW.approved_by <> session_user THEN
        RAISE EXCEPTION 'invoice % can only be approved by the login approving it (%), not as %',
            OLD.invoice_number, session_user, NEW.approved_by;
    END IF;
    IF NEW.status = 'approved' AND (OLD.status <> 'approved'
                                    OR NEW.approved_by IS DISTINCT FROM OLD.approved_by)
       AND (NEW.approved_by IS DISTINCT FROM session_user
            OR NEW.approved_by = NEW.imported_by) THEN
        RAISE EXCEPTION 'invoice % is approved only with approved_by = the login approving it, who is not its importer (%): four eyes',
            OLD.invoice_number, OLD.imported_by;
    END IF;
    IF NEW.status = 'in_payment' AND OLD.status <> 'in_payment'
       AND (OLD.status <> 'approved' OR NEW.approved_by IS NULL
            OR NEW.approved_by = NEW.imported_by) THEN
        RAISE EXCEPTION 'invoice % is %, not approved by a second login: it cannot be in payment',
            OLD.invoice_number, OLD.status;
    END IF;
    -- What the second person approved is what is paid: to whom and at
    -- most how much.  Lowering stays possible (a credit note, 033).
    IF OLD.status IN ('approved', 'in_payment') THEN
        IF NEW.iban IS DISTINCT FROM OLD.iban OR NEW.bic IS DISTINCT FROM OLD.bic THEN
            RAISE EXCEPTION 'invoice % is %: its payee account cannot be changed (set it open again; it then needs a new approval)',
                OLD.invoice_number, OLD.status;
        END IF;
        IF NEW.amount_due_cents > OLD.amount_due_cents THEN
            RAISE EXCEPTION 'invoice % is %: its amount due cannot be raised from % to % cents (set it open again; it then needs a new approval)',
                OLD.invoice_number, OLD.status, OLD.amount_due_cents, NEW.amount_due_cents;
        END IF;
    END IF;
    RETURN NEW;
END;
$$;

-- The numbers a document names as preceding invoices, in its order.
CREATE FUNCTION abgleich.invoice_preceding(p_numbers text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(x ORDER BY o), '{}')
    FROM unnest(string_to_array(p_numbers, E'\n')) WITH ORDINALITY AS u(x, o)
    WHERE x <> ''
$$;

-- The family of an invoice: itself and every invoice linked to it through
-- preceding_ids, in either direction, transitively (same seller: links
-- never cross sellers).
CREATE FUNCTION abgleich.invoice_family(p_id bigint) RETURNS bigint[]
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE e(a, b) AS (
        SELECT i.id, p FROM abgleich.invoices i, unnest(i.preceding_ids) p
        WHERE i.seller_key = (SELECT seller_key FROM abgleich.invoices WHERE id = p_id)),
    fam(id) AS (
        SELECT p_id
        UNION
        SELECT CASE WHEN e.a = fam.id THEN e.b ELSE e.a END
        FROM e JOIN fam ON fam.id IN (e.a, e.b))
    SELECT array_agg(id ORDER BY id) FROM fam
$$;

-- What happened, in one line for the import's log; NULL if the document
-- names no preceding invoice.
CREATE OR REPLACE FUNCTION abgleich.invoice_link(p_id bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    n abgleich.invoices;
    o abgleich.invoices;
    num text;
    said text[] := '{}';
    linked bigint[] := '{}';
    fam bigint[];
    others bigint[];
    gone text[];
    paid bigint;
    owed bigint;
    k int;
BEGIN
    SELECT * INTO n FROM abgleich.invoices WHERE id = p_id FOR UPDATE;
    IF n.preceding_number IS NULL THEN
        RETURN NULL;
    END IF;
    FOREACH num IN ARRAY abgleich.invoice_preceding(n.preceding_number) LOOP
        SELECT * INTO o FROM abgleich.invoices
        WHERE seller_key = n.seller_key AND invoice_number = num AND id <> n.id;
        IF NOT FOUND THEN
            said := said || format('refers to invoice %s, which is not known: check it before approving',
                                   num);
        ELSIF o.currency IS DISTINCT FROM n.currency THEN
            said := said || format('refers to invoice %s in %s, but is in %s: not linked, a clerk decides',
                                   num, o.currency, n.currency);
        ELSIF NOT o.id = ANY (linked) THEN
            linked := linked || o.id;
        END IF;
    END LOOP;
    IF cardinality(linked) = 0 THEN
        RETURN array_to_string(said, '; ');
    END IF;
    UPDATE abgleich.invoices SET preceding_id = linked[1], preceding_ids = linked WHERE id = n.id;

    -- A credit note (any document with a negative amount due) lowers the
    -- first invoice it names that is not yet in payment and owes at least
    -- the credit.
    IF n.amount_due_cents < 0 THEN
        FOR k IN 1 .. cardinality(linked) LOOP
            SELECT * INTO o FROM abgleich.invoices WHERE id = linked[k] FOR UPDATE;
            IF o.status IN ('open', 'approved', 'returned')
               AND o.amount_due_cents + n.amount_due_cents >= 0 THEN
                UPDATE abgleich.invoices
                SET amount_due_cents = o.amount_due_cents + n.amount_due_cents,
                    status = CASE WHEN o.amount_due_cents + n.amount_due_cents = 0 THEN 'credited'
                                  ELSE o.status END
                WHERE id = o.id;
                UPDATE abgleich.invoices SET amount_due_cents = 0, status = 'credited' WHERE id = n.id;
                RETURN array_to_string(said || format(
                    'credit note: invoice %s now has %s %s due (was %s %s)', o.invoice_number,
                    abgleich.cents_en(o.amount_due_cents + n.amount_due_cents), n.currency,
                    abgleich.cents_en(o.amount_due_cents), n.currency), '; ');
            END IF;
        END LOOP;
        SELECT * INTO o FROM abgleich.invoices WHERE id = linked[1];
        RETURN array_to_string(said || format(
            'credit note of %s %s for invoice %s, which is %s with %s %s due:'
            ' left open for a clerk (the seller owes it back)',
            abgleich.cents_en(-n.amount_due_cents), n.currency, o.invoice_number, o.status,
            abgleich.cents_en(o.amount_due_cents), n.currency), '; ');
    END IF;
    IF n.type_code <> '384' THEN
        SELECT array_agg(format('refers to invoice %s (%s)', i.invoice_number, i.status)
                         ORDER BY array_position(linked, i.id))
        INTO gone FROM abgleich.invoices i WHERE i.id = ANY (linked);
        RETURN array_to_string(said || gone, '; ');
    END IF;

    -- A corrected invoice replaces its whole family.  Locked first, so
    -- that a payment run cannot take a member while it is looked at.
    fam := abgleich.invoice_family(n.id);
    PERFORM 1 FROM abgleich.invoices WHERE id = ANY (fam) ORDER BY id FOR UPDATE;
    -- The others; a correction that names this one came later (it was
    -- imported first): it supersedes this one, not the other way round.
    SELECT coalesce(array_agg(i.id), '{}') INTO others FROM abgleich.invoices i
    WHERE i.id = ANY (fam) AND i.id <> n.id
      AND NOT n.invoice_number = ANY (abgleich.invoice_preceding(i.preceding_number));
    WITH s AS (
        UPDATE abgleich.invoices SET status = 'superseded'
        WHERE id = ANY (others) AND status IN ('open', 'approved', 'returned')
        RETURNING invoice_number, amount_due_cents, id)
    SELECT coalesce(array_agg(format('%s of %s %s', invoice_number,
                                     abgleich.cents_en(amount_due_cents), n.currency)
                              ORDER BY id), '{}')
    INTO gone FROM s;
    -- Paid on the family: the ledger's payments net of the transfers that
    -- came back, and what is in payment now (if it comes back, it is
    -- approved and paid again: this one owes only the rest).
    SELECT coalesce((SELECT sum(a.amount_cents) FROM abgleich.allocations a
                     WHERE a.invoice_id = ANY (others)
                       AND a.method IN ('invoice_payment', 'invoice_return')), 0)
         + coalesce((SELECT sum(i.amount_due_cents) FROM abgleich.invoices i
                     WHERE i.id = ANY (others) AND i.status = 'in_payment'), 0)
    INTO paid;
    owed := n.invoiced_cents - paid;
    IF n.status IN ('open', 'returned')
       OR (n.status = 'approved' AND owed <= n.amount_due_cents) THEN
        UPDATE abgleich.invoices SET amount_due_cents = owed WHERE id = n.id;
    ELSIF owed <> n.amount_due_cents AND n.status IN ('approved', 'in_payment', 'paid') THEN
        said := said || format('it is %s with %s %s due, but would now owe %s %s: a clerk decides',
                               n.status, abgleich.cents_en(n.amount_due_cents), n.currency,
                               abgleich.cents_en(owed), n.currency);
        owed := n.amount_due_cents;
    END IF;

    -- One invoice corrected, as 033 said it; a family, member by member.
    IF cardinality(others) = 1 THEN
        SELECT * INTO o FROM abgleich.invoices WHERE id = others[1];
        IF cardinality(gone) = 1 THEN
            RETURN array_to_string(said || format(
                'corrects invoice %s, which is superseded and will not be paid', gone[1]), '; ');
        ELSIF o.status IN ('in_payment', 'paid') THEN
            RETURN array_to_string(said || format(
                'corrects invoice %s, which is %s with %s %s: only the difference, %s %s, is due%s',
                o.invoice_number, o.status, abgleich.cents_en(paid), n.currency,
                abgleich.cents_en(owed), n.currency,
                CASE WHEN owed < 0 THEN ' (negative: the seller owes it back; left for a clerk)'
                     ELSE '' END), '; ');
        END IF;
    END IF;
    IF cardinality(gone) = 0 AND paid = 0 THEN
        SELECT array_agg(format('corrects invoice %s, which is %s: check it before approving',
                                i.invoice_number, i.status) ORDER BY i.id)
        INTO gone FROM abgleich.invoices i WHERE i.id = ANY (linked);
        RETURN array_to_string(said || gone, '; ');
    END IF;
    SELECT string_agg(i.invoice_number, ', ' ORDER BY array_position(linked, i.id)) INTO num
    FROM abgleich.invoices i WHERE i.id = ANY (linked);
    RETURN array_to_string(said || format(
        'corrects invoice %s and its corrections: %s; %s %s paid or in payment on them:'
        ' %s %s is due%s', num,
        CASE WHEN cardinality(gone) = 0 THEN 'none is left to supersede'
             ELSE array_to_string(gone, ', ') || ' superseded and will not be paid' END,
        abgleich.cents_en(paid), n.currency, abgleich.cents_en(owed), n.currency,
        CASE WHEN owed < 0 THEN ' (negative: the seller owes it back; left for a clerk)'
             ELSE '' END), '; ');
END;
$$;

-- The links of a newly accepted document: its own preceding invoices, and
-- the corrections and credit notes imported before it that name it (they
-- came first; the original is acted on now).
CREATE OR REPLACE FUNCTION abgleich.invoice_links(p_id bigint) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    n abgleich.invoices;
    c record;
    m text;
BEGIN
    m := abgleich.invoice_link(p_id);
    IF m IS NOT NULL THEN
        RETURN NEXT m;
    END IF;
    SELECT * INTO n FROM abgleich.invoices WHERE id = p_id;
    FOR c IN SELECT i.id, i.invoice_number FROM abgleich.invoices i
             WHERE i.seller_key = n.seller_key
               AND n.invoice_number = ANY (abgleich.invoice_preceding(i.preceding_number))
               AND NOT n.id = ANY (coalesce(i.preceding_ids, '{}')) AND i.id <> n.id
             ORDER BY i.id
    LOOP
        RETURN NEXT format('named by %s, imported before: %s', c.invoice_number,
                           abgleich.invoice_link(c.id));
    END LOOP;
END;
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'abgleich_treasury') THEN
        GRANT UPDATE (preceding_ids) ON abgleich.invoices TO abgleich_treasury;
    END IF;
END
$$;
