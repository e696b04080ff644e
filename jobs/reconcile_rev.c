/*
 * reconcile_rev.c - reversals and returns ("Rule 8" below; docs/matching.md,
 * Rückbuchungen): a booked debit that takes back an earlier credit reopens
 * that credit's claims.
 *
 * Twice, on purpose.  During apply, on the apply thread in booking order
 * (rec_rev_in_place): the original's claims open again in the claim index
 * at the reversal's place, so a payment booked after it can settle them.
 * The original is found in this file (revtrack, fed by rec_rev_track as
 * credits are allocated) or, over a second connection, among earlier
 * files' committed rows (rec_rev_load_originals, one query per batch).
 * After the file's ledger and its payments' clarifications are written
 * (rec_rev_apply): one SQL statement records each pair
 * (abgleich.reversal_links), writes the reversing ledger rows, settles
 * what is still open of the original's clarifications (what a clerk
 * refunded already becomes a clarification: money to recover), gives a
 * claim lowered after it was paid back its surplus from its other
 * payments, and names the reversals it resolved (r->resolved: they get no
 * clarification, reconcile_spill.c) and the corrections of the file's
 * counts (r->fs).
 * The original is any booked credit with the EndToEndId and amount that
 * no reversal took back yet, whether its money paid a claim, waits in a
 * clarification or was refunded (sql/072_reversal_links.sql).
 * Data in: the batch's payments and match results, the claim index, the
 * database's earlier rows.  Data out: open amounts in the index, r->inplace,
 * r->resolved, ledger, link and clarification rows, r->fs corrected.
 * Invariants: both passes choose the same original (the rule of
 * abgleich.reversal_pairs, sql/072), so the index and the ledger agree; a
 * claim the first pass reopened (r->inplace) is not reopened again by the
 * second; an earlier original taken by one reversal of this file is not
 * taken by another (r->db_taken); a surplus given back is never done in
 * place, always by the second pass.
 */
#include "reconcile_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/claimidx.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../engine/pgsink.h"
#include "../engine/returns.h"
#include "../engine/revtrack.h"

static int e2e_usable(const char *e2e)
{
    return e2e && *e2e && strcmp(e2e, "NOTPROVIDED");
}

static int remember_taken(reconciler *r, const char *key)
{
    for (size_t i = 0; i < r->n_taken; i++)
        if (!strcmp(r->db_taken[i], key))
            return 0;
    if (r->n_taken == r->cap_taken) {
        size_t cap = r->cap_taken ? 2 * r->cap_taken : 16;
        void *p = mem_realloc(r->db_taken, cap * sizeof *r->db_taken);
        if (!p)
            return AB_E_NOMEM;
        r->db_taken = p;
        r->cap_taken = cap;
    }
    snprintf(r->db_taken[r->n_taken++], sizeof *r->db_taken, "%s", key);
    return 1;
}

/* The same original the ledger post-pass (reversal_sql) will choose from
 * earlier files: the first booked credit that no reversal took back yet
 * (sql/072_reversal_links.sql), whatever became of its money, with the
 * claim rows the post-pass reverses: its unreversed claim allocations and
 * the rows that took a surplus of it off a claim (negative: reversing
 * them raises what the claim has paid; sql/035_fines_rules.sql).  A
 * credit without such rows is one row with no claim. */
static const char original_sql[] =
    "SELECT t.file_id || ':' || t.seq, c.reference, a.amount_cents, t.end_to_end_id,"
    " t.amount_cents"
    " FROM abgleich.bank_transactions t LEFT JOIN abgleich.allocations a"
    "  ON a.file_id = t.file_id AND a.tx_seq = t.seq AND a.claim_id IS NOT NULL"
    "  AND (a.amount_cents > 0 OR a.method = 'surplus_to_clarification')"
    "  AND NOT EXISTS (SELECT 1 FROM abgleich.allocations x WHERE x.reverses = a.id)"
    " LEFT JOIN abgleich.claims c ON c.id = a.claim_id"
    " WHERE t.end_to_end_id = ANY ($1::text[]) AND t.direction = 'C' AND NOT t.reversal"
    "  AND coalesce(t.status, 'BOOK') = 'BOOK' AND NOT t.provisional"
    "  AND NOT EXISTS (SELECT 1 FROM abgleich.reversal_links l"
    "  WHERE l.orig_file_id = t.file_id AND l.orig_tx_seq = t.seq)"
    " ORDER BY t.file_id, t.seq, a.id";

/* A return with charges may name its original by the amount without them
 * (the rule of reversal_sql); -1: no second amount. */
static int64_t alt_cents(const payment *p)
{
    return returns_is_return(p) && p->charges_cents > 0 ? p->amount_cents - p->charges_cents : -1;
}

/* Reopens the claims of an earlier file's original; 1 if there was one.
 * The candidates of the whole batch were read at once (rec_rev_load_originals). */
static int reverse_earlier(reconciler *r, const payment *p)
{
    pgsink_result *res = r->originals;
    const char *chosen = NULL;
    int64_t alt = alt_cents(p);
    int found = 0, rc = AB_OK;
    for (int i = 0; res && i < pgsink_result_rows(res) && rc >= 0; i++) {
        int64_t amount = strtoll(pgsink_result_value(res, i, 4), NULL, 10);
        if (strcmp(pgsink_result_value(res, i, 3), p->end_to_end_id) ||
            (amount != p->amount_cents && amount != alt))
            continue;
        const char *key = pgsink_result_value(res, i, 0);
        if (!chosen) {
            if ((rc = remember_taken(r, key)) == 0)
                continue; /* reversed already by an earlier reversal of this file */
            chosen = key;
        } else if (strcmp(chosen, key)) {
            break;
        }
        found = 1;
        if (pgsink_result_isnull(res, i, 1))
            continue; /* taken back with no claim to reopen */
        const char *ref = pgsink_result_value(res, i, 1);
        uint32_t slot = claimidx_find(r->ix, ref, strlen(ref));
        if (slot != CLAIMIDX_NONE)
            claimidx_apply(r->ix, slot, -strtoll(pgsink_result_value(res, i, 2), NULL, 10));
    }
    return rc < 0 ? rc : found;
}

static int reverses_something(const payment *p)
{
    return (p->reversal || returns_is_return(p)) && p->direction == PAY_DEBIT &&
           e2e_usable(p->end_to_end_id) && !p->provisional &&
           !strcmp(p->status[0] ? p->status : "BOOK", "BOOK");
}

/* Appends s to the text-array literal in buf: "..." with " and \ escaped. */
static int array_add(char *buf, size_t cap, size_t *len, const char *s)
{
    if (*len + 2 * strlen(s) + 4 > cap)
        return AB_E_LIMIT;
    buf[*len] = *len == 0 ? '{' : ',';
    (*len)++;
    buf[(*len)++] = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf[(*len)++] = '\\';
        buf[(*len)++] = *s;
    }
    buf[(*len)++] = '"';
    return AB_OK;
}

/* One query per batch for the originals, in earlier files, of the batch's
 * reversals and returns (a round trip each cost seconds on a nightly run
 * with 4 000 reversals).  Reads committed rows over a second connection:
 * this file's are not committed, and its own COPY is busy. */
int rec_rev_load_originals(reconciler *r)
{
    pgsink_result_free(r->originals);
    r->originals = NULL;
    size_t cap = 64, len = 0;
    char *arr = NULL;
    int rc = AB_OK;
    for (size_t i = 0; i < r->n_items && rc == AB_OK; i++) {
        const payment *p = &r->items[i].p;
        if (!reverses_something(p))
            continue;
        if (!arr || len + 2 * strlen(p->end_to_end_id) + 4 > cap) {
            cap = 2 * cap + 2 * strlen(p->end_to_end_id) + 4;
            char *n = mem_realloc(arr, cap);
            if (!n)
                rc = AB_E_NOMEM;
            else
                arr = n;
        }
        if (rc == AB_OK)
            rc = array_add(arr, cap, &len, p->end_to_end_id);
    }
    if (rc == AB_OK && len > 0) {
        arr[len++] = '}';
        arr[len] = '\0';
        if (!r->lookup && (rc = pgsink_connect_again(&r->lookup, r->db)) < 0) {
            log_error("database (second connection): %s", pgsink_error(r->lookup));
            pgsink_close(r->lookup);
            r->lookup = NULL;
        }
        const char *params[] = {arr};
        if (rc == AB_OK)
            rc = pgsink_query(r->lookup, original_sql, 1, params, &r->originals);
    }
    mem_free(arr);
    return rc;
}

static int note_inplace(reconciler *r, uint32_t seq)
{
    if (r->n_inplace == r->cap_inplace) {
        size_t cap = r->cap_inplace ? 2 * r->cap_inplace : 64;
        uint32_t *p = mem_realloc(r->inplace, cap * sizeof *p);
        if (!p)
            return AB_E_NOMEM;
        r->inplace = p;
        r->cap_inplace = cap;
    }
    r->inplace[r->n_inplace++] = seq;
    return AB_OK;
}

/* Rule 8 at the reversal's place: its original's claims open again now,
 * so a payment booked after it can settle them.  The ledger rows are
 * still written by the post-pass (reversal_sql), which sees the same
 * original. */
int rec_rev_in_place(reconciler *r, const rec_item *it)
{
    const payment *p = &it->p;
    if (!reverses_something(p))
        return AB_OK; /* the same conditions as reversal_sql's */
    int rc = reverse_earlier(r, p);
    if (rc == 0) {
        uint32_t slots[AB_REFS_PER_PAYMENT];
        int64_t cents[AB_REFS_PER_PAYMENT];
        size_t k = revtrack_take(r->rt, p->end_to_end_id, p->amount_cents, alt_cents(p), slots,
                                 cents, AB_REFS_PER_PAYMENT);
        for (size_t i = 0; i < k; i++)
            if (slots[i] != CLAIMIDX_NONE) /* NONE: a credit that paid no claim */
                claimidx_apply(r->ix, slots[i], -cents[i]);
        rc = k > 0;
    }
    return rc > 0 ? note_inplace(r, it->seq) : rc;
}

/* A transaction a reversal may take back: the rule of reversal_pairs
 * (sql/072) for the original.  (Reversals and returns themselves go to
 * rec_rev_in_place, never here.) */
static int may_be_original(const payment *p)
{
    return p->direction == PAY_CREDIT && !p->reversal && e2e_usable(p->end_to_end_id) &&
           !p->provisional && !strcmp(p->status[0] ? p->status : "BOOK", "BOOK");
}

/* Every credit that may be an original is tracked, also one that paid no
 * claim (one entry with slot CLAIMIDX_NONE): the ledger takes it back
 * before a later credit of the same EndToEndId and amount, and so must the
 * index. */
int rec_rev_track(reconciler *r, const rec_item *it)
{
    const payment *p = &it->p;
    if (!may_be_original(p))
        return AB_OK;
    if (!it->res.n_allocs) {
        /* A credit that paid no claim can still be the original a return
         * takes back (sql/072): one entry without a claim. */
        const uint32_t none = CLAIMIDX_NONE;
        const int64_t zero = 0;
        int rc = revtrack_add(r->rt, p->end_to_end_id, p->amount_cents, it->seq, &none, &zero, 1);
        return rc == AB_E_LIMIT ? AB_OK : rc; /* settled after the file instead */
    }
    uint32_t slots[AB_REFS_PER_PAYMENT];
    int64_t cents[AB_REFS_PER_PAYMENT];
    for (unsigned i = 0; i < it->res.n_allocs; i++) {
        slots[i] = it->res.allocs[i].slot;
        cents[i] = it->res.allocs[i].cents;
    }
    /* The payment's allocations go in together or not at all: a reversal
     * settled in place must have reopened every claim the ledger reopens
     * (rec_rev_apply skips them all). */
    int rc = revtrack_add(r->rt, p->end_to_end_id, p->amount_cents, it->seq, slots, cents,
                          it->res.n_allocs);
    return rc == AB_E_LIMIT ? AB_OK : rc; /* untracked: settled after the file instead */
}

int rec_rev_seq_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The part of reversal_sql after the reversing rows: a claim that the
 * reversals lowered by more than they gave back (hit: delta < 0) and that
 * was lowered itself after it was paid (a cost notice, sql/057's
 * claim_events_settle) has part of its other payments waiting in
 * overpayment clarifications; it gets them back, up to what it owes now
 * (want: its open amount once the rows above are in, which this statement
 * does not see yet), the clarification written last first, as the surplus
 * would not have been taken without the payment that went back.  Those
 * clarifications are the ones the claim's unreversed surplus_to_clarification
 * rows name: on the same payment, of the same amount, the newest first as
 * many as there are rows (an older one of the amount is the matcher's own
 * overpayment of that payment).  Not those of an original: they went back
 * with it (ret).  Each given back amount is a ledger row like a set-off
 * (surplus_offset) on the clarification's payment, so that a return of
 * that payment takes it back with the rest. */
#define GIVE_BACK_SQL \
    " hit AS (" \
    "  SELECT i.claim_id, sum(i.amount_cents)::bigint AS delta, min(i.tx_seq) AS rseq FROM ins i" \
    "  GROUP BY i.claim_id HAVING sum(i.amount_cents) < 0)," \
    " sn AS (" \
    "  SELECT h.claim_id, s.file_id, s.tx_seq, -s.amount_cents AS cents, count(*) AS n" \
    "  FROM hit h JOIN abgleich.allocations s ON s.claim_id = h.claim_id" \
    "   AND s.method = 'surplus_to_clarification'" \
    "  WHERE NOT EXISTS (SELECT 1 FROM abgleich.allocations x WHERE x.reverses = s.id)" \
    "   AND NOT EXISTS (SELECT 1 FROM o1 WHERE o1.ofile = s.file_id AND o1.oseq = s.tx_seq)" \
    "  GROUP BY 1, 2, 3, 4)," \
    " sk AS (" \
    "  SELECT k.id, k.file_id, k.tx_seq, k.claim_id, sn.n," \
    "   (k.amount_cents - coalesce(d.decided, 0))::bigint AS open_cents, row_number() OVER (" \
    "   PARTITION BY k.claim_id, k.file_id, k.tx_seq, k.amount_cents ORDER BY k.id DESC) AS rk" \
    "  FROM sn JOIN abgleich.clarifications k ON k.file_id = sn.file_id AND k.tx_seq = sn.tx_seq" \
    "   AND k.claim_id = sn.claim_id AND k.reason = 'overpayment' AND k.amount_cents = sn.cents" \
    "  CROSS JOIN LATERAL (SELECT sum(a.amount_cents)::bigint AS decided" \
    "   FROM abgleich.allocations a WHERE a.clarification_id = k.id) d)," \
    " gv AS (" \
    "  SELECT sk.id, sk.file_id, sk.tx_seq, sk.claim_id, sk.open_cents, h.rseq," \
    "   (abgleich.claim_open_cents(h.claim_id) - h.delta)::bigint AS want," \
    "   (sum(sk.open_cents) OVER (PARTITION BY sk.claim_id ORDER BY sk.id DESC))::bigint AS upto" \
    "  FROM sk JOIN hit h ON h.claim_id = sk.claim_id WHERE sk.rk <= sk.n AND sk.open_cents > 0)," \
    " gb AS (" \
    "  INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method," \
    "   confidence, explanation, explanation_en, clarification_id)" \
    "  SELECT g.claim_id, g.file_id, g.tx_seq, least(g.open_cents, g.want - g.upto + g.open_cents)," \
    "   'surplus_offset', 100," \
    "   format('Die Bank hat die Zahlung mit End-to-End-Referenz %1$s zurückgebucht; damit ist" \
    " Kassenzeichen %2$s wieder mit %3$s EUR offen. %4$s EUR dieser Zahlung, die bei der Senkung" \
    " der Forderung in den Klärfall #%5$s (Überzahlung) umgebucht wurden, gehen an sie zurück.'," \
    "   rt.end_to_end_id, c.reference, abgleich.cents_de(g.want)," \
    "   abgleich.cents_de(least(g.open_cents, g.want - g.upto + g.open_cents)), g.id)," \
    "   format('The bank took back the payment with end-to-end id %1$s, so reference %2$s is" \
    " open again with %3$s EUR. %4$s EUR of this payment, moved to overpayment clarification" \
    " #%5$s when the claim was lowered, go back to it.'," \
    "   rt.end_to_end_id, c.reference, abgleich.cents_en(g.want)," \
    "   abgleich.cents_en(least(g.open_cents, g.want - g.upto + g.open_cents)), g.id), g.id" \
    "  FROM gv g JOIN abgleich.claims c ON c.id = g.claim_id" \
    "  JOIN abgleich.bank_transactions rt ON rt.file_id = $1::bigint AND rt.seq = g.rseq" \
    "  WHERE g.want - g.upto + g.open_cents > 0 ORDER BY g.claim_id, g.id DESC" \
    "  RETURNING clarification_id, claim_id, amount_cents)"

/* Rule 8: a reversal entry, or a return (a debit with RtrInf, a return GVC
 * or code; engine/returns.h), whose EndToEndId equals that of an earlier
 * credit not taken back yet and whose amount equals it (for a return: with
 * or without the bank's charges, which stay recorded apart in
 * charges_cents) takes that credit back (lnk) and reverses its claim
 * allocations with new ledger rows (negative amounts, method "reversal");
 * the claims are open again.  A row that moved a surplus of the credit off
 * its claim into an overpayment clarification (sql/035_fines_rules.sql) is
 * reversed with it (a positive row), so the claim owes what it owed before
 * the credit came.  Done in SQL once this file's ledger rows and its
 * payments' clarifications are written, so that a reversal finds originals
 * of this file and of every earlier one, and their clarifications. */
static const char reversal_sql[] =
    "WITH r AS ("
    "  SELECT t.file_id, t.seq, t.end_to_end_id, t.amount_cents, t.charges_cents, t.returned,"
    "         coalesce(nullif(t.return_reason, ''), '-') AS why"
    "  FROM abgleich.bank_transactions t"
    "  WHERE t.file_id = $1::bigint AND (t.reversal OR t.returned)"
    "    AND coalesce(t.status, 'BOOK') = 'BOOK' AND NOT t.provisional"
    /* Money back out takes back money in: a credit marked as a reversal
     * undoes one of our debits and reopens no claim. */
    "    AND t.direction = 'D'"
    "    AND coalesce(t.end_to_end_id, 'NOTPROVIDED') NOT IN ('NOTPROVIDED', '')),"
    /* Which credit each reversal takes back: the rule of the claim index
     * (reverse_earlier, revtrack), sql/027_money_paths.sql. */
    " o1 AS ("
    "  SELECT r.file_id AS rfile, r.seq AS rseq, r.end_to_end_id, r.returned, r.why,"
    "         p.ofile, p.oseq"
    "  FROM abgleich.reversal_pairs($1::bigint) p JOIN r ON r.seq = p.rseq),"
    /* The pair is a record: the original is taken back, whatever it paid. */
    " lnk AS ("
    "  INSERT INTO abgleich.reversal_links (file_id, tx_seq, orig_file_id, orig_tx_seq)"
    "  SELECT rfile, rseq, ofile, oseq FROM o1 RETURNING 1),"
    " ins AS ("
    "  INSERT INTO abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method,"
    "   confidence, explanation, explanation_en, reverses)"
    "  SELECT a.claim_id, o.rfile, o.rseq, -a.amount_cents, 'reversal', 100,"
    "   format(CASE WHEN o.returned AND o.why <> '-' THEN 'Rückgabe (Grund %5$s) der Zahlung'"
    "   WHEN o.returned THEN 'Rückgabe der Zahlung' ELSE 'Rückbuchung der Zahlung' END"
    " || ' mit End-to-End-Referenz %1$s; ' || CASE WHEN a.amount_cents > 0 THEN"
    " 'Zuordnung #%2$s über %3$s EUR wird aufgehoben, die Forderung ist wieder offen.'"
    " ELSE 'die Umbuchung #%2$s von %3$s EUR in den Klärfall wird mit ihr aufgehoben.' END,"
    " o.end_to_end_id, a.id, abgleich.cents_de(abs(a.amount_cents)), '', o.why),"
    "   format(CASE WHEN o.returned AND o.why <> '-' THEN 'Return (reason %5$s) of the payment'"
    "   WHEN o.returned THEN 'Return of the payment' ELSE 'Reversal of the payment' END"
    " || ' with end-to-end id %1$s; ' || CASE WHEN a.amount_cents > 0 THEN"
    " 'allocation #%2$s of %3$s EUR is reversed, the claim is open again.'"
    " ELSE 'the move #%2$s of %3$s EUR to the clarification is reversed with it.' END,"
    " o.end_to_end_id, a.id, abgleich.cents_en(abs(a.amount_cents)), '', o.why), a.id"
    /* A refund is not reversed: that money has gone out (rar below). */
    "  FROM o1 o JOIN abgleich.allocations a ON a.file_id = o.ofile AND a.tx_seq = o.oseq"
    "   AND (a.amount_cents > 0 OR a.method = 'surplus_to_clarification')"
    "   AND a.claim_id IS NOT NULL"
    "  WHERE NOT EXISTS (SELECT 1 FROM abgleich.allocations x WHERE x.reverses = a.id)"
    "  ORDER BY o.rseq, a.id"
    "  RETURNING file_id, tx_seq, claim_id, amount_cents),"
    /* The original's clarifications (its overpayment): what is still open
     * went back with it and is settled ("returned"), so it cannot be set
     * off or refunded again; what a clerk already refunded went out twice,
     * and is a clarification of the return: money to recover. */
    " kq AS ("
    "  SELECT o.rfile, o.rseq, o.end_to_end_id, k.id, k.claim_id, k.amount_cents,"
    "   s.decided, s.refunded"
    "  FROM o1 o JOIN abgleich.clarifications k ON k.file_id = o.ofile AND k.tx_seq = o.oseq"
    "  CROSS JOIN LATERAL (SELECT coalesce(sum(d.amount_cents), 0)::bigint AS decided,"
    "   coalesce(sum(d.amount_cents) FILTER (WHERE d.method IN ('refund', 'refund_reversal')),"
    "    0)::bigint AS refunded"
    "   FROM abgleich.allocations d WHERE d.clarification_id = k.id) s),"
    " ret AS ("
    "  INSERT INTO abgleich.allocations (file_id, tx_seq, amount_cents, method, confidence,"
    "   explanation, explanation_en, clarification_id)"
    "  SELECT kq.rfile, kq.rseq, kq.amount_cents - kq.decided, 'returned', 100,"
    "   format('Die Bank hat die Zahlung mit End-to-End-Referenz %1$s zurückgebucht; der offene"
    " Rest von %2$s EUR aus Klärfall #%3$s ist damit erledigt.', kq.end_to_end_id,"
    "   abgleich.cents_de(kq.amount_cents - kq.decided), kq.id),"
    "   format('The bank took back the payment with end-to-end id %1$s; the %2$s EUR left of"
    " clarification #%3$s are settled with it.', kq.end_to_end_id,"
    "   abgleich.cents_en(kq.amount_cents - kq.decided), kq.id), kq.id"
    "  FROM kq WHERE kq.amount_cents > kq.decided RETURNING 1),"
    " rar AS ("
    "  INSERT INTO abgleich.clarifications (file_id, tx_seq, reason, amount_cents, claim_id,"
    "   explanation, explanation_en)"
    "  SELECT kq.rfile, kq.rseq, 'returned_after_refund', kq.refunded, kq.claim_id,"
    "   format('Die Bank hat die Zahlung mit End-to-End-Referenz %1$s zurückgebucht, von der"
    " %2$s EUR (Klärfall #%3$s) schon erstattet waren: beim Zahler zurückfordern.',"
    "   kq.end_to_end_id, abgleich.cents_de(kq.refunded), kq.id),"
    "   format('The bank took back the payment with end-to-end id %1$s, of which %2$s EUR"
    " (clarification #%3$s) had already been refunded: recover them from the payer.',"
    "   kq.end_to_end_id, abgleich.cents_en(kq.refunded), kq.id)"
    "  FROM kq WHERE kq.refunded > 0 RETURNING 1),"
    GIVE_BACK_SQL
    /* Per reversal: the pair (kind 0; its clarification is dropped), the
     * reversing rows (1) and the surplus given back (2), for the index. */
    " SELECT o1.rseq, 0 AS kind, NULL AS reference, NULL AS cents, t.amount_cents, t.reversal"
    " FROM o1 JOIN abgleich.bank_transactions t ON t.file_id = o1.rfile AND t.seq = o1.rseq"
    " UNION ALL SELECT ins.tx_seq, 1, c.reference, ins.amount_cents, NULL, NULL FROM ins"
    " JOIN abgleich.claims c ON c.id = ins.claim_id"
    " UNION ALL SELECT g.rseq, 2, c.reference, gb.amount_cents, NULL, NULL FROM gb"
    " JOIN gv g ON g.id = gb.clarification_id JOIN abgleich.claims c ON c.id = gb.claim_id"
    " ORDER BY 1, 2";

/* One row of reversal_sql's answer into the index and the counts: a pair
 * settles its reversal (r->resolved, sorted as the rows come by seq; it
 * leaves the clarification counts), a reversing row reopens its claim
 * unless the reversal was settled in place, a surplus given back pays its
 * claim (never done in place). */
static void apply_row(reconciler *r, const pgsink_result *res, int i)
{
    uint32_t seq = (uint32_t)strtoul(pgsink_result_value(res, i, 0), NULL, 10);
    int kind = atoi(pgsink_result_value(res, i, 1));
    if (kind == 0) {
        int64_t tx_cents = strtoll(pgsink_result_value(res, i, 4), NULL, 10);
        enum match_reason why = pgsink_result_value(res, i, 5)[0] == 't' ? MR_REVERSAL
                                                                       : MR_RETURN;
        r->resolved[r->n_resolved++] = seq;
        r->fs.clarified--;
        r->fs.clarified_cents -= tx_cents;
        r->fs.by_reason[why]--;
        r->fs.by_reason_cents[why] -= tx_cents;
        return;
    }
    const char *ref = pgsink_result_value(res, i, 2);
    int64_t cents = strtoll(pgsink_result_value(res, i, 3), NULL, 10);
    uint32_t slot = claimidx_find(r->ix, ref, strlen(ref));
    int done = kind == 1 && r->n_inplace &&
               bsearch(&seq, r->inplace, r->n_inplace, sizeof *r->inplace, rec_rev_seq_cmp);
    if (slot != CLAIMIDX_NONE && !done)
        claimidx_apply(r->ix, slot, cents); /* cents < 0: the claim opens again */
    if (kind == 1 && cents < 0) { /* not the row that gave a surplus back to its claim */
        r->fs.reversed++;
        r->fs.reversed_cents -= cents;
    }
}

int rec_rev_apply(reconciler *r)
{
    if (r->n_inplace > 1)
        qsort(r->inplace, r->n_inplace, sizeof *r->inplace, rec_rev_seq_cmp);
    const char *params[] = {r->file_id};
    pgsink_result *res = NULL;
    /* Every table is reached by its index from this file's reversals, so
     * the cost follows them, whatever the statistics say: stale statistics
     * once made a nested loop scan a table per reversal (minutes, t_kill),
     * and hash joins read every transaction and allocation ever written
     * and all claims (3 s at 10^7 claims, growing each night). */
    int rc = pgsink_exec(r->db, "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin"
                                " = off; SET LOCAL enable_seqscan = off");
    if (rc == AB_OK)
        rc = pgsink_query(r->db, reversal_sql, 1, params, &res);
    if (rc == AB_OK)
        rc = pgsink_exec(r->db, "SET LOCAL enable_hashjoin = on; SET LOCAL enable_mergejoin"
                                " = on; SET LOCAL enable_seqscan = on");
    if (rc < 0) {
        pgsink_result_free(res);
        return rc;
    }
    int rows = pgsink_result_rows(res);
    mem_free(r->resolved);
    r->resolved = rows ? mem_calloc((size_t)rows, sizeof *r->resolved) : NULL;
    r->n_resolved = 0;
    for (int i = 0; i < rows && r->resolved; i++)
        apply_row(r, res, i);
    if (rows && !r->resolved)
        rc = AB_E_NOMEM;
    pgsink_result_free(res);
    return rc;
}
