/*
 * matcher.c - what happens to one payment; see matcher.h and
 * docs/matching.md for the rules in a clerk's words.
 *
 * The scan step reads only the payment and the immutable part of the claim
 * index (references, plates), so it runs on any thread in any order.  The
 * apply step is the only one that reads or moves open amounts; it runs on
 * one thread in statement order, which is what makes the result
 * independent of the number of threads.  Strictness is deliberate: a wrong
 * automatic match closes the wrong case and duns an innocent citizen, so
 * every rule that allocates without an exact reference demands exactly one
 * candidate and exactly its open amount.
 */
#include "matcher.h"
#include "returns.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "money.h"

const char *match_reason_name(enum match_reason r)
{
    switch (r) {
#define MATCH_REASON_CASE(name, text) \
    case MR_##name:                   \
        return text;
        MATCH_REASONS(MATCH_REASON_CASE)
#undef MATCH_REASON_CASE
    case MR_COUNT:
        break;
    }
    return "unknown";
}

const char *match_reason_label(const char *code, int en)
{
    static const char *const words[][3] = {
        {"no_reference", "ohne Kassenzeichen", "no reference"},
        {"unknown_reference", "unbekanntes Kassenzeichen", "unknown reference"},
        {"amount_mismatch", "Betrag weicht ab", "amount differs"},
        {"claim_already_paid", "Forderung nicht mehr offen", "claim no longer open"},
        {"ambiguous", "mehrdeutig", "ambiguous"},
        {"overpayment", "Überzahlung", "overpayment"},
        {"reversal_without_original", "Storno ohne Original", "reversal without original"},
        {"foreign_currency", "Fremdwährung", "foreign currency"},
        {"return_without_original", "Rückgabe ohne Original", "return without original"},
        {"returned_transfer", "eigene Überweisung zurück", "our transfer came back"},
        {"invoice_debit_mismatch", "Abgang passt nicht zur Rechnung",
         "debit does not fit the invoice"},
        {"batch_without_details", "Sammelbuchung ohne Einzelposten", "batch without details"},
        {"batch_ambiguous", "Sammelbuchung nicht eindeutig", "batch not clear"},
        {"possible_duplicate", "vielleicht schon gebucht", "possibly booked already"},
        {"reopened", "wieder geöffnet", "reopened"},
    };
    for (size_t i = 0; code && i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(code, words[i][0]))
            return words[i][en ? 2 : 1];
    return NULL;
}

const char *match_why_name(enum match_why w)
{
    switch (w) {
#define MATCH_WHY_CASE(name, text, de, en) \
    case MW_##name:                \
        return text;
        MATCH_WHYS(MATCH_WHY_CASE)
#undef MATCH_WHY_CASE
    }
    return "unknown";
}

const char *match_why_label(const char *code, int en)
{
#define MATCH_WHY_WORDS(name, text, de, en_words) \
    if (code && !strcmp(code, text))             \
        return en ? en_words : de;
    MATCH_WHYS(MATCH_WHY_WORDS)
#undef MATCH_WHY_WORDS
    return NULL;
}

/* Booked, and by a statement: an intraday report's booking is stated
 * again by the statement, which pays (sql/037_intraday.sql). */
static int booked(const payment *p)
{
    return !p->provisional && (p->status[0] == '\0' || !strcmp(p->status, "BOOK"));
}

static void add_slot(uint32_t *arr, unsigned *n, unsigned max, uint32_t slot)
{
    for (unsigned k = 0; k < *n; k++)
        if (arr[k] == slot)
            return;
    if (*n < max)
        arr[(*n)++] = slot;
}

/* Claims one substituted digit or one swap of adjacent digits away from a
 * token whose check digit fails: the check digit makes this set tiny. */
static void typo_neighbours(const matcher_cfg *cfg, const claimidx *ix, const refscan_cand *c,
                            match_scan *out)
{
    char t[AB_REF_MAX + 1];
    size_t n = c->len;
    for (size_t i = 0; i < n; i++) {
        memcpy(t, c->ref, n + 1);
        for (char d = '0'; d <= '9'; d++) {
            if (d == c->ref[i])
                continue;
            t[i] = d;
            if (cd_valid(cfg->scheme, t, n)) {
                uint32_t s = claimidx_find(ix, t, n);
                if (s != CLAIMIDX_NONE)
                    add_slot(out->fuzzy, &out->n_fuzzy, MATCH_FUZZY_MAX, s);
            }
        }
        if (i + 1 < n && c->ref[i] != c->ref[i + 1]) {
            memcpy(t, c->ref, n + 1);
            t[i] = c->ref[i + 1];
            t[i + 1] = c->ref[i];
            if (cd_valid(cfg->scheme, t, n)) {
                uint32_t s = claimidx_find(ix, t, n);
                if (s != CLAIMIDX_NONE)
                    add_slot(out->fuzzy, &out->n_fuzzy, MATCH_FUZZY_MAX, s);
            }
        }
    }
}

/* What the candidates found in one text name: valid references are looked
 * up, invalid ones tried for a typo. */
static void scan_cands(const matcher_cfg *cfg, const claimidx *ix, const refscan_cand *c,
                       size_t n, match_scan *out)
{
    for (size_t i = 0; i < n; i++) {
        if (!c[i].check_ok) {
            if (!out->n_fuzzy)
                memcpy(out->fuzzy_token, c[i].ref, (size_t)c[i].len + 1);
            typo_neighbours(cfg, ix, &c[i], out);
            continue;
        }
        if (out->n_tokens++ == 0)
            memcpy(out->first_token, c[i].ref, (size_t)c[i].len + 1);
        uint32_t slot = claimidx_find(ix, c[i].ref, c[i].len);
        if (slot != CLAIMIDX_NONE)
            add_slot(out->slots, &out->n_slots, AB_REFS_PER_PAYMENT, slot);
    }
}

static void scan_text(const matcher_cfg *cfg, const refscan_opts *ro, const claimidx *ix,
                      const char *text, match_scan *out)
{
    if (!text || !*text)
        return;
    refscan_cand c[AB_REFS_PER_PAYMENT];
    size_t n = refscan_find(ro, text, strlen(text), c, AB_REFS_PER_PAYMENT);
    scan_cands(cfg, ix, c, n, out);
}

static void scan_plates(const claimidx *ix, const char *text, match_scan *out)
{
    if (!text || !*text)
        return;
    char plates[4][PLATE_MAX];
    size_t n = plate_find(text, strlen(text), plates, 4);
    for (size_t i = 0; i < n; i++) {
        uint32_t s = claimidx_plate_first(ix, plates[i], strlen(plates[i]));
        if (s != CLAIMIDX_NONE && !out->plate[0])
            memcpy(out->plate, plates[i], strlen(plates[i]) + 1);
        for (; s != CLAIMIDX_NONE; s = claimidx_plate_next(ix, s))
            add_slot(out->plates, &out->n_plates, MATCH_PLATE_MAX, s);
    }
}

static int scannable(const claimidx *ix, const payment *p)
{
    return p->direction == PAY_CREDIT && !p->reversal && booked(p) && claimidx_count(ix) > 0;
}

static refscan_opts scan_opts(const matcher_cfg *cfg, const claimidx *ix)
{
    return (refscan_opts){.scheme = cfg->scheme, .min_len = claimidx_min_len(ix),
                          .max_len = claimidx_max_len(ix), .keep_invalid = 1};
}

/* The scan of one payment whose remittance candidates are already found
 * (rc, nrc): the order of the texts is the order of the slots. */
static void scan_rest(const matcher_cfg *cfg, const refscan_opts *ro, const claimidx *ix,
                      const payment *p, const refscan_cand *rc, size_t nrc, match_scan *out)
{
    scan_cands(cfg, ix, rc, nrc, out);
    scan_text(cfg, ro, ix, p->creditor_ref, out);
    scan_text(cfg, ro, ix, p->end_to_end_id, out);
    if (out->n_slots == 0) {
        scan_plates(ix, p->remittance, out);
        scan_plates(ix, p->entry_info, out);
    }
}

static void scan_reset(match_scan *out)
{
    out->n_slots = out->n_tokens = out->n_fuzzy = out->n_plates = 0;
    out->first_token[0] = out->fuzzy_token[0] = out->plate[0] = '\0';
}

void matcher_scan(const matcher_cfg *cfg, const claimidx *ix, const payment *p, match_scan *out)
{
    scan_reset(out);
    if (!scannable(ix, p))
        return;
    refscan_opts ro = scan_opts(cfg, ix);
    refscan_cand c[AB_REFS_PER_PAYMENT];
    const char *t = p->remittance;
    size_t n = t && *t ? refscan_find(&ro, t, strlen(t), c, AB_REFS_PER_PAYMENT) : 0;
    scan_rest(cfg, &ro, ix, p, c, n, out);
}

#define SCAN_GROUP 16

/* Per group of payments: find the remittance candidates once, prefetch
 * the table lines of the valid ones, then look them up; by then the
 * lines are arriving, so the misses of 16 payments overlap. */
void matcher_scan_many(const matcher_cfg *cfg, const claimidx *ix, const payment *p,
                       match_scan *out, size_t n)
{
    refscan_opts ro = scan_opts(cfg, ix);
    refscan_cand c[SCAN_GROUP][AB_REFS_PER_PAYMENT];
    size_t nc[SCAN_GROUP];
    for (size_t g = 0; g < n; g += SCAN_GROUP) {
        size_t end = n - g < SCAN_GROUP ? n : g + SCAN_GROUP;
        for (size_t i = g; i < end; i++) {
            const char *t = p[i].remittance;
            size_t *k = &nc[i - g];
            *k = scannable(ix, &p[i]) && t && *t
                     ? refscan_find(&ro, t, strlen(t), c[i - g], AB_REFS_PER_PAYMENT)
                     : 0;
            for (size_t j = 0; j < *k; j++)
                if (c[i - g][j].check_ok)
                    claimidx_prefetch_ref(ix, c[i - g][j].ref, c[i - g][j].len);
        }
        for (size_t i = g; i < end; i++) {
            scan_reset(&out[i]);
            if (scannable(ix, &p[i]))
                scan_rest(cfg, &ro, ix, &p[i], c[i - g], nc[i - g], &out[i]);
        }
    }
}

/* --- the decision -------------------------------------------------------- */

static void allocate(claimidx *ix, match_result *r, uint32_t slot, int64_t cents)
{
    if (cents <= 0 || r->n_allocs == AB_REFS_PER_PAYMENT)
        return;
    r->allocs[r->n_allocs] = (match_alloc){.slot = slot, .cents = cents};
    r->open_before[r->n_allocs++] = claimidx_open(ix, slot);
    claimidx_apply(ix, slot, cents);
}

/* Keeps the three best candidates, best first; ties keep text order. */
static void candidate(match_result *r, uint32_t slot, int score, enum match_why why)
{
    for (unsigned k = 0; k < r->n_cands; k++)
        if (r->cands[k].slot == slot)
            return;
    unsigned at = r->n_cands;
    while (at > 0 && r->cands[at - 1].score < score)
        at--;
    if (at >= MATCH_CANDS)
        return;
    unsigned last = r->n_cands < MATCH_CANDS ? r->n_cands : MATCH_CANDS - 1;
    for (unsigned k = last; k > at; k--)
        r->cands[k] = r->cands[k - 1];
    r->cands[at] = (match_cand){.slot = slot, .score = (uint8_t)score, .why = (uint8_t)why};
    if (r->n_cands < MATCH_CANDS)
        r->n_cands++;
}

static void clarify(match_result *r, enum match_reason why, int64_t cents, uint32_t slot)
{
    r->reason = why;
    r->clar_cents = cents;
    r->slot = slot;
}

/* Open claims of a list, oldest due date first (stable: text order). */
static unsigned open_by_due(const claimidx *ix, const uint32_t *in, unsigned n, uint32_t *out)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        if (claimidx_open(ix, in[i]) <= 0)
            continue;
        unsigned at = k;
        while (at > 0 && claimidx_due_day(ix, out[at - 1]) > claimidx_due_day(ix, in[i])) {
            out[at] = out[at - 1];
            at--;
        }
        out[at] = in[i];
        k++;
    }
    return k;
}

static void apply_exact(claimidx *ix, const payment *p, const match_scan *sc, match_result *r)
{
    uint32_t open[AB_REFS_PER_PAYMENT];
    unsigned n = open_by_due(ix, sc->slots, sc->n_slots, open);
    for (unsigned i = 0; i < sc->n_slots; i++)
        candidate(r, sc->slots[i], 100, MW_REFERENCE);
    if (n == 0) {
        clarify(r, MR_CLAIM_ALREADY_PAID, p->amount_cents, sc->slots[0]);
        return;
    }
    int64_t left = p->amount_cents, sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum += claimidx_open(ix, open[i]);
    for (unsigned i = 0; i < n && left > 0; i++) {
        int64_t o = claimidx_open(ix, open[i]);
        int64_t take = left < o ? left : o;
        allocate(ix, r, open[i], take);
        left -= take;
    }
    r->method = "exact_reference";
    r->confidence = p->amount_cents == sum ? 100 : 90;
    if (left > 0)
        clarify(r, MR_OVERPAYMENT, left, open[0]);
}

static void apply_fuzzy(claimidx *ix, const payment *p, const match_scan *sc, match_result *r)
{
    uint32_t open[MATCH_FUZZY_MAX];
    unsigned n = open_by_due(ix, sc->fuzzy, sc->n_fuzzy, open);
    if (n == 1 && claimidx_open(ix, open[0]) == p->amount_cents) {
        r->method = "fuzzy_reference";
        r->confidence = 85;
        allocate(ix, r, open[0], p->amount_cents);
        return;
    }
    for (unsigned i = 0; i < sc->n_fuzzy; i++)
        candidate(r, sc->fuzzy[i], claimidx_open(ix, sc->fuzzy[i]) == p->amount_cents ? 60 : 40,
                  MW_TYPO);
    if (n == 1)
        clarify(r, MR_AMOUNT_MISMATCH, p->amount_cents, open[0]);
    else if (n > 1)
        clarify(r, MR_AMBIGUOUS, p->amount_cents, CLAIMIDX_NONE);
    else
        clarify(r, MR_CLAIM_ALREADY_PAID, p->amount_cents, sc->fuzzy[0]);
}

/* Rule 6: no usable reference, but a plate and exactly one open claim of
 * that plate with exactly this amount. */
static void apply_plate(claimidx *ix, const payment *p, const match_scan *sc, match_result *r)
{
    uint32_t hit = CLAIMIDX_NONE;
    unsigned hits = 0, open = 0;
    for (unsigned i = 0; i < sc->n_plates; i++) {
        int64_t o = claimidx_open(ix, sc->plates[i]);
        open += o > 0;
        if (o > 0 && o == p->amount_cents) {
            hits++;
            hit = sc->plates[i];
        }
    }
    if (hits == 1) {
        r->method = "plate_amount";
        r->confidence = 75;
        allocate(ix, r, hit, p->amount_cents);
        return;
    }
    uint32_t by_due[MATCH_PLATE_MAX];
    unsigned nd = open_by_due(ix, sc->plates, sc->n_plates, by_due);
    for (unsigned i = 0; i < nd; i++) {
        int same = claimidx_open(ix, by_due[i]) == p->amount_cents;
        candidate(r, by_due[i], same ? 50 : 30, same ? MW_PLATE_AMOUNT : MW_PLATE);
    }
    enum match_reason why = hits > 1 ? MR_AMBIGUOUS : open == 1 ? MR_AMOUNT_MISMATCH
                            : open > 1 ? MR_AMBIGUOUS : sc->n_tokens ? MR_UNKNOWN_REFERENCE
                            : MR_NO_REFERENCE;
    clarify(r, why, p->amount_cents, r->n_cands == 1 ? r->cands[0].slot : CLAIMIDX_NONE);
}

void matcher_prefetch_apply(const claimidx *ix, const match_scan *sc)
{
    for (unsigned k = 0; k < sc->n_slots; k++)
        claimidx_prefetch(ix, sc->slots[k]);
}

void matcher_apply(claimidx *ix, const payment *p, const match_scan *sc, match_result *r)
{
    /* Only the header fields: the arrays are read up to their counts, and
     * clearing 400 bytes per payment was a measurable share of apply. */
    r->outcome = MATCH_SKIPPED;
    r->method = NULL;
    r->confidence = 0;
    r->n_allocs = r->n_cands = 0;
    r->reason = MR_NONE;
    r->clar_cents = 0;
    r->slot = CLAIMIDX_NONE;
    if (p->maybe_booked_in) {
        /* A camt.053 entry and a camt.054 entry may be one booking, but
         * more than one entry could be the other (jobs/entrylink.c): a
         * clerk decides, before anything is paid or settled twice. */
        clarify(r, p->batch ? MR_BATCH_AMBIGUOUS : MR_POSSIBLE_DUPLICATE,
                p->amount_cents, CLAIMIDX_NONE);
        r->outcome = MATCH_CLARIFY;
        return;
    }
    if (p->reversal && booked(p)) {
        /* Resolved against the earlier allocation after the ledger is
         * written (reconcile.c); what stays unresolved is this. */
        clarify(r, MR_REVERSAL, p->amount_cents, CLAIMIDX_NONE);
        r->outcome = MATCH_CLARIFY;
        return;
    }
    if (p->direction == PAY_DEBIT && booked(p) && returns_is_return(p)) {
        /* Likewise a return (RtrInf, return GVC or code): resolved after
         * the ledger is written, against the credit it gives back. */
        clarify(r, MR_RETURN, p->amount_cents, CLAIMIDX_NONE);
        r->outcome = MATCH_CLARIFY;
        return;
    }
    if (p->direction != PAY_CREDIT || !booked(p))
        return; /* MATCH_SKIPPED */
    if (returns_is_returned_transfer(p)) {
        /* Money of ours coming back, even if its text names a claim. */
        clarify(r, MR_RETURNED_TRANSFER, p->amount_cents, CLAIMIDX_NONE);
        r->outcome = MATCH_CLARIFY;
        return;
    }
    if (p->batch) {
        /* A batch total: its single payments come with the camt.054, which
         * pays the claims and settles this (jobs/batches.c); a match or a
         * refund of the total would count them twice.  So also an MT940
         * Sammler whose count is not stated: its text is the bank's, and a
         * reference in it names one of its payments at most. */
        clarify(r, MR_BATCH, p->amount_cents, CLAIMIDX_NONE);
        r->outcome = MATCH_CLARIFY;
        return;
    }
    if (p->currency[0] && strcmp(p->currency, "EUR")) {
        /* Claims are in euros: a CHF amount equal in number is not a payment of it. */
        clarify(r, MR_FOREIGN_CURRENCY, p->amount_cents, CLAIMIDX_NONE);
        r->outcome = MATCH_CLARIFY;
        return;
    }
    if (sc->n_slots)
        apply_exact(ix, p, sc, r);
    else if (sc->n_fuzzy)
        apply_fuzzy(ix, p, sc, r);
    else if (sc->n_plates)
        apply_plate(ix, p, sc, r);
    else
        clarify(r, sc->n_tokens ? MR_UNKNOWN_REFERENCE : MR_NO_REFERENCE, p->amount_cents,
                CLAIMIDX_NONE);
    r->outcome = r->n_allocs ? MATCH_ALLOCATED : MATCH_CLARIFY;
}

/* --- explanations -------------------------------------------------------- */

typedef struct xb {
    char *buf;
    size_t len, used;
    int en;
    const claimidx *ix;
} xb;

static void put(xb *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(xb *x, const char *fmt, ...)
{
    if (x->used + 1 >= x->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(x->buf + x->used, x->len - x->used, fmt, ap);
    va_end(ap);
    if (w > 0)
        x->used += (size_t)w < x->len - x->used ? (size_t)w : x->len - x->used - 1;
}

/* Euros in the reader's convention: "1.234,56" or "1234.56". */
static const char *eur(const xb *x, int64_t cents, char *b, size_t n)
{
    if (x->en)
        money_format(cents, b, n);
    else
        money_format_de(cents, b, n);
    return b;
}

static const char *ref_of(const xb *x, uint32_t slot, char *b, size_t n)
{
    size_t len;
    const char *s = claimidx_reference(x->ix, slot, &len);
    snprintf(b, n, "%.*s", (int)len, s);
    return b;
}

static void explain_allocs(xb *x, const payment *p, const match_scan *sc, const match_result *r)
{
    char a[32], b[32], c[32], ref[AB_REF_MAX + 1];
    const match_alloc *m = &r->allocs[0];
    ref_of(x, m->slot, ref, sizeof ref);
    if (!strcmp(r->method, "fuzzy_reference")) {
        put(x, x->en ? "Reference %s fails its check digit; exactly one open claim, %s, is one"
                       " digit or one swap of neighbouring digits away, and the amount of %s EUR"
                       " equals its open amount. Allocated."
                     : "Kassenzeichen %s hat eine falsche Prüfziffer; genau eine offene"
                       " Forderung, %s, liegt eine Ziffer oder einen Zahlendreher entfernt, und"
                       " der Betrag von %s EUR entspricht ihrem offenen Betrag. Zugeordnet.",
            sc->fuzzy_token, ref, eur(x, p->amount_cents, a, sizeof a));
    } else if (!strcmp(r->method, "plate_amount")) {
        put(x, x->en ? "No usable reference; plate %s found, and exactly one open claim with"
                       " this plate, %s, is open for exactly %s EUR. Allocated."
                     : "Kein verwendbares Kassenzeichen; Kennzeichen %s gefunden, und genau eine"
                       " offene Forderung mit diesem Kennzeichen, %s, ist über genau %s EUR"
                       " offen. Zugeordnet.",
            sc->plate, ref, eur(x, p->amount_cents, a, sizeof a));
    } else if (r->n_allocs == 1) {
        int64_t rest = r->open_before[0] - m->cents;
        put(x, x->en ? "Reference %s found in the payment details, check digit valid; %s EUR"
                       " paid on an open amount of %s EUR. "
                     : "Kassenzeichen %s in den Zahlungsangaben gefunden, Prüfziffer stimmt;"
                       " %s EUR gezahlt auf offene %s EUR. ",
            ref, eur(x, p->amount_cents, a, sizeof a), eur(x, r->open_before[0], b, sizeof b));
        if (rest > 0)
            put(x, x->en ? "Partial payment: %s EUR remain due." : "Teilzahlung: %s EUR bleiben"
                                                                   " offen.",
                eur(x, rest, c, sizeof c));
        else
            put(x, x->en ? "The claim is paid in full." : "Die Forderung ist vollständig"
                                                          " bezahlt.");
    } else {
        put(x, x->en ? "%u references of open claims found; %s EUR shared out, oldest due date"
                       " first:"
                     : "%u Kassenzeichen offener Forderungen gefunden; %s EUR verteilt, älteste"
                       " Fälligkeit zuerst:",
            r->n_allocs, eur(x, p->amount_cents, a, sizeof a));
        for (unsigned i = 0; i < r->n_allocs; i++)
            put(x, " %s %s EUR%s", ref_of(x, r->allocs[i].slot, ref, sizeof ref),
                eur(x, r->allocs[i].cents, b, sizeof b), i + 1 < r->n_allocs ? "," : ".");
    }
}

/* What marks an MT940 entry as a batch total: its GVC or its booking text. */
static void explain_batch_sign(xb *x, const payment *p)
{
    if (p->batch == PAY_BATCH_GVC)
        put(x, x->en ? " The bank marks it a collective booking by its transaction code (GVC)"
                       " %s."
                     : " Die Bank kennzeichnet sie mit dem Geschäftsvorfallcode %s als"
                       " Sammelbuchung.", p->gvc);
    else if (p->batch == PAY_BATCH_TEXT)
        put(x, x->en ? " The bank marks it a collective booking by its booking text '%s'."
                     : " Die Bank kennzeichnet sie mit dem Buchungstext „%s“ als"
                       " Sammelbuchung.", p->entry_info ? p->entry_info : "");
}

/* A batch total: with its count it waits for its camt.054 (jobs/batches.c);
 * without one no camt.054 can be tied to it (the count is one of the facts
 * both must state, sql/047), so the clerk closes it once its payments came. */
static void explain_batch(xb *x, const payment *p, const char *a)
{
    if (p->batch_txs)
        put(x, x->en ? "Batch booking of %s EUR with %u payments and no details; the bank's"
                       " camt.054 brings the single payments, which pay the claims and settle"
                       " this. Neither allocate nor refund the total."
                     : "Sammelbuchung über %s EUR mit %u Posten ohne Einzelangaben; die camt.054"
                       " der Bank bringt die Einzelzahlungen, die die Forderungen bezahlen und"
                       " diesen Klärfall erledigen. Die Summe weder zuordnen noch erstatten.",
            a, (unsigned)p->batch_txs);
    else /* tied by a bank reference only (sql/064) */
        put(x, x->en ? "Batch booking of %s EUR without details; the bank does not state how many"
                       " payments it holds. The bank's camt.054 settles it only when it states"
                       " the same bank reference (never by amount and day alone); its single"
                       " payments pay the claims. Neither allocate nor refund the total;"
                       " otherwise close it once its payments are booked."
                     : "Sammelbuchung über %s EUR ohne Einzelangaben; die Bank nennt die Zahl"
                       " ihrer Posten nicht. Die camt.054 der Bank erledigt sie nur, wenn sie"
                       " dieselbe Bankreferenz nennt (nie nach Betrag und Tag allein); ihre"
                       " Einzelzahlungen bezahlen die Forderungen. Die Summe weder zuordnen noch"
                       " erstatten; sonst schließen, sobald ihre Zahlungen gebucht sind.", a);
    explain_batch_sign(x, p);
}

/* A batch total a clerk decides about: its count as the bank states it
 * (an MT940 Sammler may state none), and what it may be booked as already:
 * an entry of a camt.054 (jobs/entrylink.c), or a booking of an earlier
 * statement sent again under another Id (jobs/resent.c). */
static void explain_batch_ambiguous(xb *x, const payment *p, const char *a)
{
    char n[48];
    if (p->batch_txs)
        snprintf(n, sizeof n, x->en ? "with %u payments" : "mit %u Posten",
                 (unsigned)p->batch_txs);
    else
        snprintf(n, sizeof n, "%s", x->en ? "(count not stated)" : "(Postenzahl nicht genannt)");
    const char *others = p->maybe_booked_in ? p->maybe_booked_in : "-";
    if (p->resent)
        put(x, x->en ? "Batch booking of %s EUR %s and no details that may have been booked"
                       " already from an earlier statement of the account (sent again under"
                       " another Id: the same bank reference, amount, direction and booking"
                       " day), but more than one booking there could be it: %s. Not matched;"
                       " close the total."
                     : "Sammelbuchung über %s EUR %s ohne Einzelangaben, womöglich schon aus"
                       " einem früheren Auszug des Kontos gebucht (unter neuer Kennung erneut"
                       " gesandt: gleiche Bankreferenz, Betrag, Richtung und Buchungstag), aber"
                       " mehr als eine Buchung dort kommt in Frage: %s. Nicht abgeglichen; die"
                       " Summe schließen.", a, n, others);
    else
        put(x, x->en ? "Batch booking of %s EUR %s and no details. More than one camt.054 entry"
                       " could resolve it, or its camt.054 entry could resolve another batch"
                       " too: %s. Not linked automatically; the single payments pay the"
                       " claims. Close the total once its payments are found."
                     : "Sammelbuchung über %s EUR %s ohne Einzelangaben. Mehr als ein Posten"
                       " einer camt.054 kommt für sie in Frage, oder ihr Posten auch für eine"
                       " andere Sammelbuchung: %s. Nicht automatisch verknüpft; die"
                       " Einzelzahlungen bezahlen die Forderungen. Die Summe schließen, sobald"
                       " ihre Zahlungen gefunden sind.", a, n, others);
}

static void explain_clarification(xb *x, const payment *p, const match_scan *sc,
                                  const match_result *r)
{
    char a[32], b[32], ref[AB_REF_MAX + 1] = "";
    if (r->slot != CLAIMIDX_NONE)
        ref_of(x, r->slot, ref, sizeof ref);
    eur(x, r->clar_cents, a, sizeof a);
    switch (r->reason) {
    case MR_OVERPAYMENT:
        put(x, x->en ? " Overpayment of %s EUR on claim %s: to be refunded or offset."
                     : " Überzahlung von %s EUR zur Forderung %s: zu erstatten oder zu"
                       " verrechnen.", a, ref);
        break;
    case MR_NO_REFERENCE:
        put(x, x->en ? "No reference with a valid check digit in the remittance text, the"
                       " structured reference or the end-to-end id, and no plate that decides."
                     : "Kein Kassenzeichen mit gültiger Prüfziffer im Verwendungszweck, in der"
                       " strukturierten Referenz oder in der End-to-End-Referenz, und kein"
                       " Kennzeichen, das entscheidet.");
        break;
    case MR_UNKNOWN_REFERENCE:
        put(x, x->en ? "Reference %s has a valid check digit but belongs to no known claim."
                     : "Kassenzeichen %s hat eine gültige Prüfziffer, gehört aber zu keiner"
                       " bekannten Forderung.", sc->first_token);
        break;
    case MR_AMOUNT_MISMATCH:
        put(x, x->en ? "Claim %s comes into question, but the amount of %s EUR differs from its"
                       " open amount of %s EUR."
                     : "Forderung %s kommt in Frage, aber der Betrag von %s EUR weicht von ihrem"
                       " offenen Betrag %s EUR ab.",
            ref, a, eur(x, claimidx_open(x->ix, r->slot), b, sizeof b));
        break;
    case MR_CLAIM_ALREADY_PAID:
        /* Nothing open and nothing owed: never paid, the case was closed
         * (dismissed, time-barred, no longer enforceable: docs/fines.md). */
        if (claimidx_amount(x->ix, r->slot) == 0)
            put(x, x->en ? "Claim %s is closed and owes nothing (dismissed, time-barred or no"
                           " longer enforceable); %s EUR not allocated to it."
                         : "Forderung %s ist abgeschlossen, es ist nichts geschuldet"
                           " (eingestellt, verjährt oder nicht mehr vollstreckbar); %s EUR"
                           " werden ihr nicht zugeordnet.", ref, a);
        else
            put(x, x->en ? "Claim %s is already paid in full; %s EUR not allocated a second"
                           " time."
                         : "Forderung %s ist bereits vollständig bezahlt; %s EUR werden nicht"
                           " ein zweites Mal zugeordnet.", ref, a);
        break;
    case MR_AMBIGUOUS:
        put(x, x->en ? "Several claims come into question; none is allocated automatically."
                     : "Mehrere Forderungen kommen in Frage; keine wird automatisch"
                       " zugeordnet.");
        break;
    case MR_REVERSAL:
        put(x, x->en ? "Reversal of %s EUR without an allocated original payment of the same"
                       " end-to-end id and amount."
                     : "Rückbuchung über %s EUR ohne zugeordnete ursprüngliche Zahlung mit"
                       " gleicher End-to-End-Referenz und gleichem Betrag.", a);
        break;
    case MR_RETURN:
        put(x, x->en ? "Return of %s EUR (reason %s) without an allocated original payment of"
                       " the same end-to-end id and amount."
                     : "Rückgabe über %s EUR (Grund %s) ohne zugeordnete ursprüngliche Zahlung"
                       " mit gleicher End-to-End-Referenz und gleichem Betrag.",
            a, p->return_reason && p->return_reason[0] ? p->return_reason : "-");
        break;
    case MR_RETURNED_TRANSFER:
        put(x, x->en ? "Credit of %s EUR with a return code (reason %s): a transfer of ours came"
                       " back; it pays no claim."
                     : "Gutschrift über %s EUR mit Rückgabekennzeichen (Grund %s): eine eigene"
                       " Überweisung kam zurück; sie bezahlt keine Forderung.",
            a, p->return_reason && p->return_reason[0] ? p->return_reason : "-");
        break;
    case MR_FOREIGN_CURRENCY:
        put(x, x->en ? "Payment in %s, not in euros; claims are in euros, so a clerk converts"
                       " and decides."
                     : "Zahlung in %s, nicht in Euro; die Forderungen lauten auf Euro, die"
                       " Umrechnung und Zuordnung entscheidet die Sachbearbeitung.",
            p->currency);
        break;
    case MR_BATCH:
        explain_batch(x, p, a);
        break;
    case MR_BATCH_AMBIGUOUS:
        explain_batch_ambiguous(x, p, a);
        break;
    case MR_POSSIBLE_DUPLICATE:
        if (p->resent) { /* jobs/resent.c */
            put(x, x->en ? "Transaction of %s EUR whose bank reference, amount, direction and"
                           " booking day are those of a booking of an earlier statement of the"
                           " account (a statement sent again under another Id), but more than"
                           " one booking there could be it: %s. Not matched: allocate it if it"
                           " is a payment of its own, close it if it was booked there."
                         : "Umsatz über %s EUR, dessen Bankreferenz, Betrag, Richtung und"
                           " Buchungstag zu einer Buchung eines früheren Auszugs des Kontos"
                           " passen (ein Auszug, unter neuer Kennung erneut gesandt), aber mehr"
                           " als eine Buchung dort kommt in Frage: %s. Nicht abgeglichen:"
                           " zuordnen, wenn es eine eigene Zahlung ist, schließen, wenn sie dort"
                           " gebucht ist.",
                a, p->maybe_booked_in ? p->maybe_booked_in : "-");
            break;
        }
        put(x, x->en ? "Transaction of %s EUR that may have been booked already from another"
                       " file (a camt.053 and a camt.054 state the same entry), but more than"
                       " one entry there could be it: %s. Not matched: allocate it if it is a"
                       " payment of its own, close it if it was booked there."
                     : "Umsatz über %s EUR, der womöglich schon aus einer anderen Datei gebucht"
                       " ist (camt.053 und camt.054 nennen denselben Posten), aber mehr als ein"
                       " Posten dort kommt in Frage: %s. Nicht abgeglichen: zuordnen, wenn es"
                       " eine eigene Zahlung ist, schließen, wenn sie dort gebucht ist.",
            a, p->maybe_booked_in ? p->maybe_booked_in : "-");
        break;
    case MR_INVOICE_DEBIT: /* jobs/outgoing.c writes these naming the invoice */
        put(x, x->en ? "Debit of %s EUR with the end-to-end id of one of our payment orders"
                       " that pays no invoice; sort it out with the bank."
                     : "Abgang über %s EUR mit der End-to-End-Referenz eines unserer"
                       " Zahlungsaufträge, der keine Rechnung bezahlt; mit der Bank klären.", a);
        break;
    case MR_NONE:
    case MR_COUNT:
        break;
    }
}

static void explain_candidates(xb *x, const match_result *r)
{
    if (!r->n_cands || r->n_allocs)
        return;
    put(x, x->en ? " Candidates:" : " Vorschläge:");
    for (unsigned i = 0; i < r->n_cands; i++) {
        char ref[AB_REF_MAX + 1];
        put(x, " %s (%s, %u%%)%s", ref_of(x, r->cands[i].slot, ref, sizeof ref),
            match_why_name((enum match_why)r->cands[i].why), r->cands[i].score,
            i + 1 < r->n_cands ? "," : ".");
    }
}

size_t matcher_explain(const claimidx *ix, const payment *p, const match_scan *sc,
                       const match_result *r, const char *lang, char *buf, size_t len)
{
    xb x = {.buf = buf, .len = len, .en = lang && !strcmp(lang, "en"), .ix = ix};
    if (len)
        buf[0] = '\0';
    if (r->outcome == MATCH_SKIPPED && p->booked_in && p->resent) {
        char a[32];
        put(&x, x.en ? "Transaction of %s EUR booked already from %s (the same statement sent"
                       " again under another Id: the same bank reference, amount and day); not"
                       " matched a second time."
                     : "Umsatz über %s EUR, bereits gebucht aus %s (derselbe Auszug unter neuer"
                       " Kennung erneut gesandt: gleiche Bankreferenz, gleicher Betrag und Tag);"
                       " nicht ein zweites Mal abgeglichen.",
            eur(&x, p->amount_cents, a, sizeof a), p->booked_in);
        return x.used;
    }
    if (r->outcome == MATCH_SKIPPED && p->booked_in) {
        char a[32];
        put(&x, x.en ? "Transaction of %s EUR booked already from %s (a camt.053 and a camt.054"
                       " state the same entry); not matched a second time."
                     : "Umsatz über %s EUR, bereits gebucht aus %s (camt.053 und camt.054 nennen"
                       " denselben Posten); nicht ein zweites Mal abgeglichen.",
            eur(&x, p->amount_cents, a, sizeof a), p->booked_in);
        return x.used;
    }
    if (r->outcome == MATCH_SKIPPED && p->provisional) {
        char a[32];
        put(&x, x.en ? "Transaction of %s EUR from an intraday report (camt.052, MT942); the"
                       " statement of the day states it again and is matched."
                     : "Umsatz über %s EUR aus einer untertägigen Meldung (camt.052, MT942);"
                       " der Tagesauszug nennt ihn erneut und wird abgeglichen.",
            eur(&x, p->amount_cents, a, sizeof a));
        return x.used;
    }
    if (r->outcome == MATCH_SKIPPED) {
        char a[32];
        put(&x, x.en ? "Outgoing or unbooked transaction of %s EUR; not matched against claims."
                     : "Abgang oder nicht gebuchter Umsatz über %s EUR; wird nicht mit"
                       " Forderungen abgeglichen.", eur(&x, p->amount_cents, a, sizeof a));
        return x.used;
    }
    if (r->n_allocs)
        explain_allocs(&x, p, sc, r);
    explain_clarification(&x, p, sc, r);
    explain_candidates(&x, r);
    return x.used;
}
