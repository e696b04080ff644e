-- 054_invoice_final_states.sql - superseded and credited invoices stay so.
--
-- A corrected invoice (384) supersedes the unpaid invoices of its family
-- and owes the amount itself; a credit note that covers an invoice leaves
-- it credited (033, 041).  Nothing in the engine moves an invoice out of
-- these states, but any treasury login could set a superseded original
-- open again by SQL, have it approved and pay it beside its correction:
-- the same delivery paid twice (a review's find after 051).  Both are now
-- final; a correction made in error is undone by the seller's next
-- document, not by reviving the old one.
CREATE FUNCTION abgleich.invoices_final_states() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('superseded', 'credited') AND NEW.status <> OLD.status THEN
        RAISE EXCEPTION 'invoice % is %: it cannot become % (its correction or credit note stands in its place)',
            OLD.invoice_number, OLD.status, NEW.status;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER invoices_final_states BEFORE UPDATE OF status ON abgleich.invoices
    FOR EACH ROW EXECUTE FUNCTION abgleich.invoices_final_states();
