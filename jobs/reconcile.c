/*
 * reconcile.c - `abgleich reconcile FILE...`: bank statements against claims.
 *
 * Pipeline:
 *   claims (COPY out of PostgreSQL, or the claim snapshot and what changed
 *   since: claimload.c) -> claimidx, once per run
 *   per file, one transaction:
 *     content hash -> seen? skip -> input_files row
 *     bank reader (CAMT or MT940, by content) -> payments, gathered into batches of AB_MATCH_BATCH
 *     -> matcher_scan on the worker pool (pure, any thread order)
 *     -> matcher_apply on this thread in booking-date order, statement order
 *        for ties (updates open amounts; a reversal reopens its original's
 *        claims right there, found in this file or, over a second
 *        connection, in earlier ones)
 *     -> bank_transactions rows by COPY as each batch finishes
 *     -> outcome records to two spill files (ledger rows; clarifications
 *        with their candidates, so that writing them rereads only theirs)
 *     -> after the last statement: COPY the spills into their tables -> COMMIT.
 * Memory: the claim index, one batch (arena, reset per batch), one entry of
 * the reader; the spill files grow with the input, memory does not.  While
 * a child writes the claim snapshot (claimload.h), the pages the night
 * changes are copied: of the index, at most its open amounts.
 * Invariants: the rows written do not depend on the number of threads,
 * because the only step that reads or writes shared state runs on one
 * thread in a fixed order.  A failed file is rolled back whole, and the claim
 * index is reloaded so the next file sees the database's truth.
 * A session advisory lock makes concurrent reconcile runs queue up, since
 * each holds claims' open amounts in memory.
 */
#include "reconcile.h"
#include "batches.h"
#include "outgoing.h"
#include "stmtgrow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../engine/arena.h"
#include "../engine/claimidx.h"
#include "../engine/filehash.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../engine/monotime.h"
#include "../engine/money.h"
#include "../engine/pool.h"
#include "../engine/progress.h"
#include "../engine/plate.h"
#include "../engine/refscan.h"
#include "../engine/returns.h"
#include "../engine/revtrack.h"
#include "../formats/bankread.h"
#include "../formats/jsonw.h"
#include "claimload.h"
#include "fines.h"

/* Strings of one batch: AB_MATCH_BATCH payments of a few hundred bytes. */
#define BATCH_ARENA_BYTES (32u * 1024u * 1024u)
#define EXPLAIN_MAX 512u

typedef struct rec_item {
    payment p;
    match_scan scan;
    match_result res;
    uint32_t seq;
} rec_item;

/* What the spill files hold: one record per ledger row, clarification and
 * candidate; an explanation follows allocation and clarification records. */
enum spill_kind { SPILL_ALLOC = 0, SPILL_CLAR = 1, SPILL_CAND = 2 };

typedef struct spill_rec {
    int64_t claim_id;     /* -1: none */
    int64_t cents;
    uint32_t tx_seq;
    uint16_t expl_len;    /* German explanation bytes */
    uint16_t expl_en_len; /* English explanation bytes, after the German */
    uint8_t kind;         /* enum spill_kind */
    uint8_t code;         /* method index, reason, or candidate why */
    uint8_t score;        /* confidence or candidate score */
    uint8_t rank;         /* candidate rank, 1-based */
} spill_rec;

static const char *const methods[] = {"exact_reference", "fuzzy_reference", "plate_amount"};

static uint8_t method_code(const char *m)
{
    for (uint8_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (m && !strcmp(m, methods[i]))
            return i;
    return 0;
}

struct reconciler {
    pgsink *db;
    const cli_opts *o;
    claimidx *ix;
    claimsnap_bg snap;    /* the claim snapshot a child is writing, if any */
    pool *workers;
    matcher_cfg mcfg;
    rec_item *items;
    size_t n_items;
    arena *batch;
    /* per file */
    const char *path;
    char file_id[24];
    char stmt_db_id[24];
    uint32_t seq;
    int copy_open;
    stmtgrow *grow;       /* the statement being read was imported before */
    FILE *spill[2];       /* [0]: ledger rows; [1]: clarifications, candidates */
    uint32_t *resolved;   /* tx seqs of reversals matched to their original, sorted */
    size_t n_resolved;
    /* Reversals settled in place (claims reopened during apply), sorted
     * before the ledger post-pass, which then leaves those claims alone. */
    uint32_t *inplace;
    size_t n_inplace, cap_inplace;
    revtrack *rt;          /* this file's allocations by EndToEndId */
    pgsink *lookup;        /* second connection: originals of earlier files */
    pgsink_result *originals; /* of the current batch's reversals (load_originals) */
    char (*db_taken)[48];  /* "file:seq" of earlier originals reversed in this file */
    size_t n_taken, cap_taken;
    uint32_t *order;       /* apply order of the batch */
    rec_summary fs;
    progress *prog;
    int64_t bytes_base;
};

static void add_summary(rec_summary *a, const rec_summary *b)
{
    int64_t *pa = (int64_t *)a;
    const int64_t *pb = (const int64_t *)b;
    for (size_t i = 0; i < sizeof *a / sizeof(int64_t); i++)
        pa[i] += pb[i];
}

/* --- claims ------------------------------------------------------------ */

static int load_claims(reconciler *r)
{
    return claimload_run(r->db, r->o, &r->ix, &r->snap);
}

/* --- one batch --------------------------------------------------------- */

static void scan_slice(void *ctx, size_t begin, size_t end)
{
    reconciler *r = ctx;
    for (size_t i = begin; i < end; i++)
        matcher_scan(&r->mcfg, r->ix, &r->items[i].p, &r->items[i].scan);
}

static void copy_opt_str(pgsink *db, const char *s)
{
    if (s && *s)
        pgsink_copy_cstr(db, s);
    else
        pgsink_copy_null(db);
}

/* The stored account, booking date, entry and transaction number must be
 * the values returns_tx_key hashes: the unique index behind tx_key leads
 * with them (sql/021_write_paths.sql), so equal keys are refused only
 * because they bring equal values of those columns. */
static int write_tx_row(reconciler *r, const statement *st, const rec_item *it)
{
    const payment *p = &it->p;
    char dir[2] = {p->direction, '\0'};
    pgsink_copy_cstr(r->db, r->file_id);
    pgsink_copy_int(r->db, it->seq);
    pgsink_copy_cstr(r->db, r->stmt_db_id);
    pgsink_copy_int(r->db, p->entry_no);
    pgsink_copy_int(r->db, p->tx_no);
    pgsink_copy_cstr(r->db, st->account);
    copy_opt_str(r->db, p->booking_date);
    copy_opt_str(r->db, p->value_date);
    pgsink_copy_int(r->db, p->amount_cents);
    pgsink_copy_cstr(r->db, dir);
    pgsink_copy_cstr(r->db, p->reversal ? "t" : "f");
    copy_opt_str(r->db, p->status);
    copy_opt_str(r->db, p->currency);
    copy_opt_str(r->db, p->acct_svcr_ref);
    copy_opt_str(r->db, p->end_to_end_id);
    copy_opt_str(r->db, p->debtor_name);
    copy_opt_str(r->db, p->debtor_iban);
    copy_opt_str(r->db, p->remittance);
    copy_opt_str(r->db, p->creditor_ref);
    copy_opt_str(r->db, p->bank_tx_code);
    copy_opt_str(r->db, p->entry_info);
    char key[33];
    returns_tx_key(st, p, key);
    pgsink_copy_cstr(r->db, returns_is_return(p) ? "t" : "f");
    copy_opt_str(r->db, p->return_reason ? p->return_reason : "");
    pgsink_copy_int(r->db, p->charges_cents);
    pgsink_copy_cstr(r->db, key);
    pgsink_copy_cstr(r->db, p->provisional ? "t" : "f");
    return pgsink_copy_end_row(r->db);
}

static int spill(reconciler *r, const spill_rec *rec, const char *de, const char *en)
{
    FILE *f = r->spill[rec->kind != SPILL_ALLOC];
    if (fwrite(rec, sizeof *rec, 1, f) != 1 || fwrite(de, 1, rec->expl_len, f) != rec->expl_len ||
        fwrite(en, 1, rec->expl_en_len, f) != rec->expl_en_len) {
        log_error("%s: writing the temporary spill file: %s", r->path, strerror(errno));
        return AB_E_IO;
    }
    return AB_OK;
}

static int spill_outcome(reconciler *r, const rec_item *it)
{
    const match_result *m = &it->res;
    char de[EXPLAIN_MAX], en[EXPLAIN_MAX];
    uint16_t n = (uint16_t)matcher_explain(r->ix, &it->p, &it->scan, m, "de", de, sizeof de);
    uint16_t ne = (uint16_t)matcher_explain(r->ix, &it->p, &it->scan, m, "en", en, sizeof en);
    int rc = AB_OK;
    for (unsigned i = 0; i < m->n_allocs && rc == AB_OK; i++) {
        spill_rec s = {.claim_id = claimidx_claim_id(r->ix, m->allocs[i].slot),
                       .cents = m->allocs[i].cents, .tx_seq = it->seq, .expl_len = n, .expl_en_len = ne,
                       .kind = SPILL_ALLOC, .code = method_code(m->method),
                       .score = m->confidence};
        rc = spill(r, &s, de, en);
    }
    if (rc == AB_OK && m->reason != MR_NONE) {
        spill_rec s = {.claim_id = m->slot == CLAIMIDX_NONE ? -1 : claimidx_claim_id(r->ix, m->slot),
                       .cents = m->clar_cents, .tx_seq = it->seq, .expl_len = n,
                       .expl_en_len = ne, .kind = SPILL_CLAR, .code = (uint8_t)m->reason};
        rc = spill(r, &s, de, en);
    }
    for (unsigned i = 0; i < m->n_cands && rc == AB_OK && !m->n_allocs; i++) {
        spill_rec s = {.claim_id = claimidx_claim_id(r->ix, m->cands[i].slot),
                       .tx_seq = it->seq, .kind = SPILL_CAND, .code = m->cands[i].why,
                       .score = m->cands[i].score, .rank = (uint8_t)(i + 1)};
        rc = spill(r, &s, "", "");
    }
    return rc;
}

static void count_outcome(rec_summary *fs, const rec_item *it)
{
    const payment *p = &it->p;
    fs->transactions++;
    fs->transactions_cents += p->amount_cents;
    const match_result *m = &it->res;
    if (m->outcome == MATCH_SKIPPED) {
        if (p->direction == PAY_DEBIT) {
            fs->debits++;
            fs->debits_cents += p->amount_cents;
        } else {
            fs->not_booked++;
            fs->not_booked_cents += p->amount_cents;
        }
        return;
    }
    if (m->n_allocs)
        fs->allocated++;
    for (unsigned i = 0; i < m->n_allocs; i++)
        fs->allocated_cents += m->allocs[i].cents;
    if (m->reason != MR_NONE && (unsigned)m->reason < REC_REASONS) {
        fs->clarified++;
        fs->clarified_cents += m->clar_cents;
        fs->by_reason[m->reason]++;
        fs->by_reason_cents[m->reason] += m->clar_cents;
    }
}

/* Booking date as a number (YYYYMMDD), 0 when absent. */
static uint32_t day_key(const char *d)
{
    if (strlen(d) != 10)
        return 0;
    return (uint32_t)(atoi(d) * 10000 + atoi(d + 5) * 100 + atoi(d + 8));
}

typedef struct ord_key {
    uint32_t day, i;
} ord_key;

static int ord_cmp(const void *a, const void *b)
{
    const ord_key *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Payments are applied in booking-date order, statement order for ties:
 * a partial payment booked on Monday is applied before Tuesday's, even
 * when the bank lists Tuesday first.  The order is total, so it does not
 * depend on threads. */
static void booking_order(reconciler *r)
{
    ord_key k[AB_MATCH_BATCH];
    int sorted = 1;
    for (size_t i = 0; i < r->n_items; i++) {
        k[i] = (ord_key){.day = day_key(r->items[i].p.booking_date), .i = (uint32_t)i};
        sorted &= i == 0 || k[i - 1].day <= k[i].day;
    }
    if (!sorted)
        qsort(k, r->n_items, sizeof *k, ord_cmp);
    for (size_t i = 0; i < r->n_items; i++)
        r->order[i] = k[i].i;
}

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
 * earlier files: the first transaction with unreversed allocations, and
 * the rows that took a surplus of it off a claim (negative: reversing
 * them raises what the claim has paid; sql/035_fines_rules.sql). */
static const char original_sql[] =
    "SELECT t.file_id || ':' || t.seq, c.reference, a.amount_cents, t.end_to_end_id,"
    " t.amount_cents"
    " FROM abgleich.bank_transactions t JOIN abgleich.allocations a ON a.file_id = t.file_id"
    "  AND a.tx_seq = t.seq JOIN abgleich.claims c ON c.id = a.claim_id"
    " WHERE t.end_to_end_id = ANY ($1::text[]) AND t.direction = 'C'"
    "  AND NOT t.reversal AND NOT EXISTS (SELECT 1 FROM abgleich.allocations x"
    "  WHERE x.reverses = a.id) AND (a.amount_cents > 0"
    "  OR (a.method = 'surplus_to_clarification' AND EXISTS (SELECT 1 FROM"
    "  abgleich.allocations p WHERE p.file_id = t.file_id AND p.tx_seq = t.seq"
    "  AND p.amount_cents > 0 AND p.claim_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
    "  abgleich.allocations y WHERE y.reverses = p.id))))"
    " ORDER BY t.file_id, t.seq, a.id";

/* A return with charges may name its original by the amount without them
 * (the rule of reversal_sql); -1: no second amount. */
static int64_t alt_cents(const payment *p)
{
    return returns_is_return(p) && p->charges_cents > 0 ? p->amount_cents - p->charges_cents : -1;
}

/* Reopens the claims of an earlier file's original; 1 if there was one.
 * The candidates of the whole batch were read at once (load_originals). */
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
        const char *ref = pgsink_result_value(res, i, 1);
        uint32_t slot = claimidx_find(r->ix, ref, strlen(ref));
        if (slot != CLAIMIDX_NONE)
            claimidx_apply(r->ix, slot, -strtoll(pgsink_result_value(res, i, 2), NULL, 10));
        found = 1;
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
static int load_originals(reconciler *r)
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
static int reverse_in_place(reconciler *r, const rec_item *it)
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
            claimidx_apply(r->ix, slots[i], -cents[i]);
        rc = k > 0;
    }
    return rc > 0 ? note_inplace(r, it->seq) : rc;
}

static int track_allocations(reconciler *r, const rec_item *it)
{
    const payment *p = &it->p;
    if (!it->res.n_allocs || !e2e_usable(p->end_to_end_id))
        return AB_OK;
    for (unsigned i = 0; i < it->res.n_allocs; i++) {
        int rc = revtrack_add(r->rt, p->end_to_end_id, p->amount_cents, it->seq,
                              it->res.allocs[i].slot, it->res.allocs[i].cents);
        if (rc == AB_E_LIMIT)
            return AB_OK; /* settled after the file instead */
        if (rc < 0)
            return rc;
    }
    return AB_OK;
}

static int process_batch(reconciler *r, const statement *st)
{
    if (r->n_items == 0)
        return AB_OK;
    pool_run(r->workers, r->n_items, scan_slice, r);
    booking_order(r);
    int rc = load_originals(r);
    for (size_t i = 0; i < r->n_items && rc == AB_OK; i++) {
        rec_item *it = &r->items[r->order[i]];
        if (i + MATCH_APPLY_AHEAD < r->n_items)
            matcher_prefetch_apply(r->ix, &r->items[r->order[i + MATCH_APPLY_AHEAD]].scan);
        matcher_apply(r->ix, &it->p, &it->scan, &it->res);
        rc = it->p.reversal || returns_is_return(&it->p) ? reverse_in_place(r, it)
                                                         : track_allocations(r, it);
        if (rc == AB_OK)
            rc = write_tx_row(r, st, it);
        if (rc == AB_OK && it->res.outcome != MATCH_SKIPPED)
            rc = spill_outcome(r, it);
        count_outcome(&r->fs, it);
    }
    r->n_items = 0;
    arena_reset(r->batch);
    return rc;
}

/* --- reader callbacks -------------------------------------------------- */

static const char *keep(arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : "";
}

/* Copies the payment's strings into the batch arena; NULL when full. */
static int stash(reconciler *r, const payment *p)
{
    rec_item *it = &r->items[r->n_items];
    it->p = *p;
    const char **fields[] = {&it->p.acct_svcr_ref, &it->p.end_to_end_id, &it->p.debtor_name,
                             &it->p.debtor_iban,   &it->p.remittance,    &it->p.creditor_ref,
                             &it->p.bank_tx_code,  &it->p.entry_info};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *src = *fields[i];
        if (!(*fields[i] = keep(r->batch, src)))
            return AB_E_LIMIT;
    }
    it->seq = ++r->seq;
    r->n_items++;
    return AB_OK;
}

static bool intraday(const statement *st)
{
    return st->format && (!strncmp(st->format, "camt.052", 8) || !strcmp(st->format, "MT942"));
}

/* A transaction of a statement met again: 1 if it was imported with it. */
static int known_before(reconciler *r, const statement *st, const payment *p)
{
    char key[33];
    returns_tx_key(st, p, key);
    int v = stmtgrow_next(r->grow, key);
    if (v == AB_E_REJECTED)
        log_error("%s: statement %s of account %s was imported from %s; its transaction %zu"
                  " is not the one imported there: a statement may only grow at its end, so"
                  " nothing of this file is stored", r->path, st->stmt_id, st->account,
                  stmtgrow_file(r->grow), stmtgrow_matched(r->grow) + 1);
    return v;
}

static int on_payment(void *ctx, const statement *st, const payment *p)
{
    reconciler *r = ctx;
    if (r->grow) {
        int v = known_before(r, st, p);
        if (v != STMTGROW_NEW)
            return v < 0 ? v : AB_OK;
    }
    if (r->n_items == AB_MATCH_BATCH) {
        int rc = process_batch(r, st);
        if (rc < 0)
            return rc;
    }
    int rc = stash(r, p);
    if (rc == AB_E_LIMIT) {
        /* The arena filled before the batch did: flush (which resets it)
         * and stash again. */
        rc = process_batch(r, st);
        if (rc == AB_OK)
            rc = stash(r, p);
    }
    if (rc == AB_OK) /* an intraday report: stored, the statement pays (sql/037) */
        r->items[r->n_items - 1].p.provisional = intraday(st);
    return rc;
}

static int start_tx_copy(reconciler *r)
{
    int rc = pgsink_copy_begin(r->db,
                               "COPY abgleich.bank_transactions (file_id, seq, statement_id,"
                               " entry_no, tx_no, account, booking_date, value_date, amount_cents,"
                               " direction, reversal, status, currency, acct_svcr_ref,"
                               " end_to_end_id, debtor_name, debtor_iban, remittance,"
                               " creditor_ref, bank_tx_code, entry_info, returned, return_reason,"
                               " charges_cents, tx_key, provisional) FROM STDIN");
    if (rc == AB_OK)
        r->copy_open = 1;
    return rc;
}

/* A statement seen before: of the same message type (camt.052, camt.053,
 * MT940 ...: the bank numbers each apart, sql/037), same account and id,
 * or the same electronic sequence number in the same year (DK restarts
 * the number yearly). */
static int statement_seen(reconciler *r, const statement *st, char seen[24])
{
    char year[5] = "";
    if (st->created && strlen(st->created) >= 4)
        memcpy(year, st->created, 4);
    const char *params[] = {st->account, st->stmt_id, st->elec_seq ? st->elec_seq : "", year,
                            st->format};
    pgsink_result *res = NULL;
    int rc = pgsink_query(r->db,
                          "SELECT id FROM abgleich.statements WHERE account = $1 AND"
                          " abgleich.message_kind(format) = abgleich.message_kind($5) AND"
                          " (stmt_id = $2 OR ($3 <> '' AND elec_seq = $3"
                          "  AND left(coalesce(created, ''), 4) = $4)) ORDER BY id LIMIT 1",
                          5, params, &res);
    if (rc < 0)
        return rc;
    snprintf(seen, 24, "%s", pgsink_result_rows(res) ? pgsink_result_value(res, 0, 0) : "");
    pgsink_result_free(res);
    return AB_OK;
}

static int on_statement(void *ctx, const statement *st)
{
    reconciler *r = ctx;
    char seen[24];
    int rc = statement_seen(r, st, seen);
    if (rc < 0)
        return rc;
    if (seen[0]) {
        /* Read it whole: the same again, or grown at its end (stmtgrow.h). */
        rc = stmtgrow_load(r->db, seen, &r->grow);
        if (rc < 0)
            return rc;
        snprintf(r->stmt_db_id, sizeof r->stmt_db_id, "%s", seen);
        return start_tx_copy(r);
    }
    const char *params[] = {r->file_id,  st->format,   st->account,
                            st->stmt_id, st->elec_seq, st->created};
    pgsink_result *res = NULL;
    rc = pgsink_query(r->db,
                      "INSERT INTO abgleich.statements (file_id, format, account, stmt_id,"
                      " elec_seq, created) VALUES ($1::bigint, $2, $3, $4, nullif($5, ''),"
                      " nullif($6, '')) RETURNING id",
                      6, params, &res);
    if (rc < 0)
        return rc;
    snprintf(r->stmt_db_id, sizeof r->stmt_db_id, "%s", pgsink_result_value(res, 0, 0));
    pgsink_result_free(res);
    r->fs.statements++;
    return start_tx_copy(r);
}

/* The end of a statement met again: the same or an earlier state of it
 * (skipped: files may come in any order), or grown (its new transactions
 * go in).  A changed one was refused transaction by transaction. */
static void met_again_end(reconciler *r, const statement *st, int *same)
{
    size_t stored = stmtgrow_stored(r->grow), matched = stmtgrow_matched(r->grow);
    *same = st->transactions == matched;
    if (*same && matched == stored)
        log_info("%s: statement %s of account %s already imported; skipped", r->path,
                 st->stmt_id, st->account);
    else if (*same)
        log_info("%s: statement %s of account %s already imported, and grown since to %zu"
                 " transactions; this file states the first %zu; skipped", r->path,
                 st->stmt_id, st->account, stored, matched);
    else {
        r->fs.statements++;
        log_info("%s: statement %s of account %s grew since it was imported from %s: %u"
                 " transactions added to the %zu imported", r->path, st->stmt_id, st->account,
                 stmtgrow_file(r->grow), st->transactions - (unsigned)stored, stored);
    }
    stmtgrow_free(r->grow);
    r->grow = NULL;
}

static int on_statement_end(void *ctx, const statement *st)
{
    reconciler *r = ctx;
    int same = 0;
    if (r->grow)
        met_again_end(r, st, &same);
    if (same) {
        r->fs.statements_skipped++;
        int rc = pgsink_copy_finish(r->db); /* nothing was written */
        r->copy_open = 0;
        return rc;
    }
    int rc = process_batch(r, st);
    if (rc < 0)
        return rc;
    rc = pgsink_copy_finish(r->db);
    r->copy_open = 0;
    if (rc < 0)
        return rc;
    char v[6][24];
    snprintf(v[0], 24, "%lld", (long long)st->opening_cents);
    snprintf(v[1], 24, "%lld", (long long)st->closing_cents);
    snprintf(v[2], 24, "%u", st->entries);
    snprintf(v[3], 24, "%u", st->transactions);
    snprintf(v[4], 24, "%lld", (long long)st->credit_cents);
    snprintf(v[5], 24, "%lld", (long long)st->debit_cents);
    const char *params[] = {st->has_opening ? v[0] : NULL, st->has_closing ? v[1] : NULL,
                            v[2], v[3], v[4], v[5], r->stmt_db_id};
    return pgsink_query(r->db,
                        "UPDATE abgleich.statements SET opening_cents = $1::bigint,"
                        " closing_cents = $2::bigint, entries = $3::int, transactions = $4::int,"
                        " credit_cents = $5::bigint, debit_cents = $6::bigint"
                        " WHERE id = $7::bigint",
                        7, params, NULL);
}

/* --- the ledger -------------------------------------------------------- */

static const char *const spill_copy[] = {
    [SPILL_ALLOC] = "COPY abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method,"
                    " confidence, explanation, explanation_en) FROM STDIN",
    [SPILL_CLAR] = "COPY abgleich.clarifications (file_id, tx_seq, reason, amount_cents,"
                   " claim_id, explanation, explanation_en) FROM STDIN",
    [SPILL_CAND] = "COPY abgleich.clarification_candidates (file_id, tx_seq, rank, claim_id,"
                   " score, reason) FROM STDIN",
};

static int seq_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* A reversal matched to its original is settled: no clarification. */
static int settled(const reconciler *r, const spill_rec *s)
{
    return s->kind != SPILL_ALLOC && r->n_resolved &&
           bsearch(&s->tx_seq, r->resolved, r->n_resolved, sizeof *r->resolved, seq_cmp);
}

static void copy_row(reconciler *r, const spill_rec *s, const char *expl)
/* expl: the German text followed by the English one */
{
    pgsink *db = r->db;
    if (s->kind == SPILL_ALLOC) {
        pgsink_copy_int(db, s->claim_id);
        pgsink_copy_cstr(db, r->file_id);
        pgsink_copy_int(db, s->tx_seq);
        pgsink_copy_int(db, s->cents);
        pgsink_copy_cstr(db, methods[s->code < 3 ? s->code : 0]);
        pgsink_copy_int(db, s->score);
        pgsink_copy_str(db, expl, s->expl_len);
        pgsink_copy_str(db, expl + s->expl_len, s->expl_en_len);
    } else if (s->kind == SPILL_CLAR) {
        pgsink_copy_cstr(db, r->file_id);
        pgsink_copy_int(db, s->tx_seq);
        pgsink_copy_cstr(db, match_reason_name((enum match_reason)s->code));
        pgsink_copy_int(db, s->cents);
        if (s->claim_id >= 0)
            pgsink_copy_int(db, s->claim_id);
        else
            pgsink_copy_null(db);
        pgsink_copy_str(db, expl, s->expl_len);
        pgsink_copy_str(db, expl + s->expl_len, s->expl_en_len);
    } else {
        pgsink_copy_cstr(db, r->file_id);
        pgsink_copy_int(db, s->tx_seq);
        pgsink_copy_int(db, s->rank);
        pgsink_copy_int(db, s->claim_id);
        pgsink_copy_int(db, s->score);
        pgsink_copy_cstr(db, match_why_name((enum match_why)s->code));
    }
}

/* Streams the spill records of one kind into their table.  Every byte
 * written must be read back as whole records: a write the stdio buffer
 * held back (a full disk) fails at the flush, not as a short read that
 * would end the loop early and commit part of the night. */
static int copy_spill(reconciler *r, enum spill_kind kind)
{
    FILE *f = r->spill[kind != SPILL_ALLOC];
    if (fflush(f) != 0) {
        log_error("%s: flushing the temporary spill file: %s", r->path, strerror(errno));
        return AB_E_IO;
    }
    if (ferror(f)) {
        log_error("%s: the temporary spill file has a failed write", r->path);
        return AB_E_IO;
    }
    long end = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1, at = 0;
    if (end < 0) {
        log_error("%s: sizing the temporary spill file: %s", r->path, strerror(errno));
        return AB_E_IO;
    }
    rewind(f);
    int rc = pgsink_copy_begin(r->db, spill_copy[kind]);
    if (rc < 0)
        return rc;
    spill_rec s;
    char expl[2 * EXPLAIN_MAX];
    while (rc == AB_OK && fread(&s, sizeof s, 1, f) == 1) {
        size_t both = (size_t)s.expl_len + s.expl_en_len;
        if (both > sizeof expl || fread(expl, 1, both, f) != both)
            break; /* a torn record: at stays short of end */
        at += (long)(sizeof s + both);
        if (s.kind != kind || settled(r, &s))
            continue;
        copy_row(r, &s, expl);
        rc = pgsink_copy_end_row(r->db);
    }
    if (rc == AB_OK && (ferror(f) || at != end)) {
        log_error("%s: reading the temporary spill file back: %ld of %ld bytes", r->path, at, end);
        rc = AB_E_IO;
    }
    int rc2 = pgsink_copy_finish(r->db);
    return rc < 0 ? rc : rc2;
}

/* Rule 8: a reversal entry, or a return (a debit with RtrInf, a return GVC
 * or code; engine/returns.h), whose EndToEndId equals that of an earlier
 * allocated credit and whose amount equals it (for a return: with or
 * without the bank's charges, which stay recorded apart in charges_cents)
 * reverses that credit's allocations with new ledger rows (negative
 * amounts, method "reversal"); the claims are open again.  A row that
 * moved a surplus of the credit off its claim into an overpayment
 * clarification (sql/035_fines_rules.sql) is reversed with it (a positive
 * row), so the claim owes what it owed before the credit came.  Done in SQL once
 * this file's ledger rows are written, so that a reversal finds originals
 * of this file and of every earlier one. */
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
    "  FROM kq WHERE kq.refunded > 0 RETURNING 1)"
    " SELECT ins.tx_seq, c.reference, ins.amount_cents, t.amount_cents, t.reversal FROM ins"
    " JOIN abgleich.claims c ON c.id = ins.claim_id"
    " JOIN abgleich.bank_transactions t ON t.file_id = ins.file_id AND t.seq = ins.tx_seq"
    " ORDER BY ins.tx_seq";

static int apply_reversals(reconciler *r)
{
    if (r->n_inplace > 1)
        qsort(r->inplace, r->n_inplace, sizeof *r->inplace, seq_cmp);
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
    for (int i = 0; i < rows && r->resolved; i++) {
        uint32_t seq = (uint32_t)strtoul(pgsink_result_value(res, i, 0), NULL, 10);
        const char *ref = pgsink_result_value(res, i, 1);
        int64_t cents = strtoll(pgsink_result_value(res, i, 2), NULL, 10);
        uint32_t slot = claimidx_find(r->ix, ref, strlen(ref));
        int done = r->n_inplace &&
                   bsearch(&seq, r->inplace, r->n_inplace, sizeof *r->inplace, seq_cmp);
        if (slot != CLAIMIDX_NONE && !done)
            claimidx_apply(r->ix, slot, cents); /* cents < 0: the claim opens again */
        if (!r->n_resolved || r->resolved[r->n_resolved - 1] != seq) {
            /* A settled reversal leaves the clarification counts. */
            int64_t tx_cents = strtoll(pgsink_result_value(res, i, 3), NULL, 10);
            enum match_reason why = pgsink_result_value(res, i, 4)[0] == 't' ? MR_REVERSAL
                                                                           : MR_RETURN;
            r->resolved[r->n_resolved++] = seq;
            r->fs.clarified--;
            r->fs.clarified_cents -= tx_cents;
            r->fs.by_reason[why]--;
            r->fs.by_reason_cents[why] -= tx_cents;
        }
        if (cents < 0) { /* not the row that gave a surplus back to its claim */
            r->fs.reversed++;
            r->fs.reversed_cents -= cents;
        }
    }
    if (rows && !r->resolved)
        rc = AB_E_NOMEM;
    pgsink_result_free(res);
    return rc;
}

/* --- one file ---------------------------------------------------------- */

static int file_seen(reconciler *r, const char *hash)
{
    const char *params[] = {hash};
    pgsink_result *res = NULL;
    int rc = pgsink_query(r->db,
                          "SELECT id FROM abgleich.input_files"
                          " WHERE kind = 'statement' AND content_hash = $1",
                          1, params, &res);
    if (rc < 0)
        return rc;
    if (pgsink_result_rows(res) > 0) {
        log_info("%s: already imported as file #%s; nothing changed", r->path,
                 pgsink_result_value(res, 0, 0));
        rc = AB_E_DUP;
    }
    pgsink_result_free(res);
    return rc;
}

static int register_file(reconciler *r, const char *hash, int64_t size)
{
    char sz[24];
    snprintf(sz, sizeof sz, "%lld", (long long)size);
    const char *params[] = {r->path, hash, sz};
    pgsink_result *res = NULL;
    int rc = pgsink_query(r->db,
                          "INSERT INTO abgleich.input_files (kind, name, content_hash, size_bytes)"
                          " VALUES ('statement', $1, $2, $3::bigint) RETURNING id",
                          3, params, &res);
    if (rc < 0)
        return rc;
    snprintf(r->file_id, sizeof r->file_id, "%s", pgsink_result_value(res, 0, 0));
    pgsink_result_free(res);
    return AB_OK;
}

static void on_bytes(void *ctx, int64_t bytes)
{
    reconciler *r = ctx;
    if (r->prog)
        progress_update(r->prog, r->bytes_base + bytes);
}

/* Feeds the file through the reader its content calls for (CAMT.052/053/
 * 054, MT940/MT942, also inside a ZIP; formats/bankread.h), drawing
 * progress by bytes. */
static int parse_file(reconciler *r)
{
    camt_sink sink = {.ctx = r, .on_statement = on_statement, .on_payment = on_payment,
                      .on_statement_end = on_statement_end};
    char fmt[64], err[AB_ERRMSG_MAX + 64];
    int rc = bankread_path(r->path, &sink, on_bytes, r, fmt, sizeof fmt, err, sizeof err);
    if (rc < 0 && rc != AB_E_DB)
        log_error("%s", err[0] ? err : ab_strerror(rc));
    return rc;
}

/* --verbose: where a file's time goes, phase by phase (docs/tuning.md). */
static double phase_t0;

static void phase(const reconciler *r, const char *name)
{
    double t = monotime_s();
    if (phase_t0 > 0)
        log_debug("%s: %s took %.0f ms", r->path, name, (t - phase_t0) * 1000);
    phase_t0 = t;
}

static int reconcile_in_tx(reconciler *r, const char *hash, int64_t size)
{
    int rc = file_seen(r, hash);
    if (rc == AB_OK)
        rc = register_file(r, hash, size);
    phase(r, "registering the file");
    if (rc == AB_OK)
        rc = parse_file(r);
    phase(r, "reading, matching and writing the transactions");
    if (rc == AB_OK && r->copy_open)
        rc = AB_E_PARSE; /* a statement never ended: the reader must have failed */
    if (rc == AB_OK) /* the ledger's triggers join the transactions just written */
        rc = fines_refresh_stats_tx(r->db);
    phase(r, "refreshing statistics");
    if (rc == AB_OK)
        rc = copy_spill(r, SPILL_ALLOC);
    phase(r, "writing the ledger");
    if (rc == AB_OK) /* settling reversals reads the ledger just written */
        rc = fines_refresh_stats_tx(r->db);
    phase(r, "refreshing the ledger's statistics");
    if (rc == AB_OK)
        rc = apply_reversals(r);
    phase(r, "settling reversals and returns");
    if (rc == AB_OK)
        rc = copy_spill(r, SPILL_CLAR);
    if (rc == AB_OK)
        rc = copy_spill(r, SPILL_CAND);
    phase(r, "writing clarifications and candidates");
    outgoing_summary og; /* our own transfers: invoices paid, returned (jobs/outgoing.c) */
    if (rc == AB_OK)
        rc = outgoing_settle(r->db, r->file_id, &og);
    if (rc == AB_OK) {
        if (og.paid)
            log_info("%s: %lld debits paid e-invoices", r->path, (long long)og.paid);
        r->fs.invoices += og.paid; /* no longer debits matched to nothing */
        r->fs.invoices_cents += og.paid_cents;
        r->fs.debits -= og.paid;
        r->fs.debits_cents -= og.paid_cents;
        r->fs.clarified += og.mismatched; /* still debits: sorted out by a clerk */
        r->fs.clarified_cents += og.mismatched_cents;
        r->fs.by_reason[MR_INVOICE_DEBIT] += og.mismatched;
        r->fs.by_reason_cents[MR_INVOICE_DEBIT] += og.mismatched_cents;
        r->fs.invoices_returned += og.returned; /* settled: no longer for a clerk */
        r->fs.invoices_returned_cents += og.returned_cents;
        r->fs.clarified -= og.returned;
        r->fs.clarified_cents -= og.returned_cents;
        r->fs.by_reason[MR_RETURNED_TRANSFER] -= og.returned;
        r->fs.by_reason_cents[MR_RETURNED_TRANSFER] -= og.returned_cents;
    }
    batches_summary bs; /* batch totals and their camt.054 (jobs/batches.c) */
    if (rc == AB_OK)
        rc = batches_settle(r->db, r->file_id, &bs);
    if (rc == AB_OK) {
        r->fs.batches_resolved += bs.here + bs.earlier;
        r->fs.clarified -= bs.here; /* settled: no longer for a clerk */
        r->fs.clarified_cents -= bs.here_cents;
        r->fs.by_reason[MR_BATCH] -= bs.here;
        r->fs.by_reason_cents[MR_BATCH] -= bs.here_cents;
    }
    return rc;
}

int reconciler_file(reconciler *r, const char *path, rec_summary *sum)
{
    char hash[33];
    int64_t size = 0;
    sum->files++;
    if (filehash_file(path, hash, &size) < 0) {
        log_error("%s: cannot read file", path);
        sum->files_failed++;
        return AB_E_IO;
    }
    memset(&r->fs, 0, sizeof r->fs);
    r->path = path;
    r->seq = 0;
    r->n_items = 0;
    r->copy_open = 0;
    stmtgrow_free(r->grow); /* left by a file that failed inside a statement */
    r->grow = NULL;
    r->n_resolved = r->n_inplace = r->n_taken = 0;
    revtrack_reset(r->rt);
    arena_reset(r->batch);
    int rc = AB_E_IO;
    if (!(r->spill[0] = tmpfile()))
        goto fail;
    if (!(r->spill[1] = tmpfile()))
        goto fail_spill;
    /* Buffers of a fixed size, not the file system's block size: fewer
     * writes, and the same points of failure on every machine (t_spill). */
    if (setvbuf(r->spill[0], NULL, _IOFBF, AB_SPILL_BUFFER) != 0 ||
        setvbuf(r->spill[1], NULL, _IOFBF, AB_SPILL_BUFFER) != 0)
        goto fail_both;
    rc = pgsink_begin(r->db);
    phase_t0 = monotime_s();
    if (rc == AB_OK)
        rc = reconcile_in_tx(r, hash, size);
    if (rc == AB_OK)
        rc = pgsink_commit(r->db);
    phase(r, "commit");
    phase_t0 = 0;
fail_both:
    fclose(r->spill[1]);
    r->spill[1] = NULL;
fail_spill:
    fclose(r->spill[0]);
    r->spill[0] = NULL;
    r->bytes_base += size;
    if (rc == AB_OK) {
        add_summary(sum, &r->fs);
        sum->files_reconciled++;
        return AB_OK;
    }
fail:
    pgsink_rollback(r->db);
    if (rc == AB_E_DUP) {
        sum->files_skipped++;
        return AB_OK;
    }
    if (rc == AB_E_DB)
        log_error("%s: database: %s", path, pgsink_error(r->db));
    log_error("%s: rejected, nothing stored (%s)", path, ab_strerror(rc));
    sum->files_failed++;
    /* Our in-memory open amounts may have moved for rows now rolled back. */
    int lrc = load_claims(r);
    return lrc < 0 ? lrc : rc;
}

int reconciler_open(reconciler **out, pgsink *db, const cli_opts *o)
{
    reconciler *r = mem_calloc(1, sizeof *r);
    if (!r)
        return AB_E_NOMEM;
    r->db = db;
    r->o = o;
    r->mcfg.scheme = o->scheme;
    int rc = AB_E_NOMEM;
    if (!(r->items = mem_calloc(AB_MATCH_BATCH, sizeof *r->items)) ||
        !(r->order = mem_calloc(AB_MATCH_BATCH, sizeof *r->order)))
        goto fail;
    if ((rc = revtrack_create(&r->rt, AB_REVERSAL_TRACK)) < 0)
        goto fail;
    if ((rc = arena_create(&r->batch, BATCH_ARENA_BYTES)) < 0)
        goto fail;
    if ((rc = pool_create(&r->workers, o->threads)) < 0)
        goto fail;
    if ((rc = pgsink_exec(db, "SELECT pg_advisory_lock(hashtext('abgleich.reconcile'))")) < 0)
        goto fail;
    if ((rc = load_claims(r)) < 0)
        goto fail;
    log_debug("%zu claims loaded, %zu bytes in the index", claimidx_count(r->ix),
              claimidx_bytes(r->ix));
    *out = r;
    return AB_OK;
fail:
    reconciler_close(r);
    return rc;
}

void reconciler_set_progress(reconciler *r, progress *p)
{
    r->prog = p;
}

void reconciler_close(reconciler *r)
{
    if (!r)
        return;
    claimload_wait(&r->snap);
    claimidx_destroy(r->ix);
    mem_free(r->resolved);
    mem_free(r->inplace);
    mem_free(r->db_taken);
    mem_free(r->order);
    revtrack_destroy(r->rt);
    stmtgrow_free(r->grow);
    pgsink_result_free(r->originals);
    pgsink_close(r->lookup);
    pool_destroy(r->workers);
    arena_destroy(r->batch);
    mem_free(r->items);
    mem_free(r);
}

void rec_summary_json(const rec_summary *s)
{
    jsonw w;
    jsonw_init(&w, stdout);
    jsonw_obj_begin(&w);
    jsonw_kint(&w, "files", s->files);
    jsonw_kint(&w, "files_reconciled", s->files_reconciled);
    jsonw_kint(&w, "files_skipped", s->files_skipped);
    jsonw_kint(&w, "files_failed", s->files_failed);
    jsonw_kint(&w, "statements", s->statements);
    jsonw_kint(&w, "statements_skipped", s->statements_skipped);
    jsonw_kint(&w, "transactions", s->transactions);
    jsonw_kint(&w, "transactions_cents", s->transactions_cents);
    jsonw_kint(&w, "allocated", s->allocated);
    jsonw_kint(&w, "allocated_cents", s->allocated_cents);
    jsonw_kint(&w, "reversed", s->reversed);
    jsonw_kint(&w, "reversed_cents", s->reversed_cents);
    jsonw_kint(&w, "clarified", s->clarified);
    jsonw_kint(&w, "clarified_cents", s->clarified_cents);
    jsonw_key(&w, "clarifications");
    jsonw_obj_begin(&w);
    for (int i = 1; i < REC_REASONS; i++) {
        if (!s->by_reason[i])
            continue;
        jsonw_key(&w, match_reason_name((enum match_reason)i));
        jsonw_obj_begin(&w);
        jsonw_kint(&w, "count", s->by_reason[i]);
        jsonw_kint(&w, "cents", s->by_reason_cents[i]);
        jsonw_obj_end(&w);
    }
    jsonw_obj_end(&w);
    jsonw_kint(&w, "debits", s->debits);
    jsonw_kint(&w, "debits_cents", s->debits_cents);
    jsonw_kint(&w, "invoices_paid", s->invoices);
    jsonw_kint(&w, "invoices_paid_cents", s->invoices_cents);
    jsonw_kint(&w, "batches_resolved", s->batches_resolved);
    jsonw_kint(&w, "invoice_payments_returned", s->invoices_returned);
    jsonw_kint(&w, "invoice_payments_returned_cents", s->invoices_returned_cents);
    jsonw_kint(&w, "not_booked", s->not_booked);
    jsonw_kint(&w, "not_booked_cents", s->not_booked_cents);
    jsonw_obj_end(&w);
}

static void line(const char *what, int64_t n, int64_t cents)
{
    char eur[32];
    money_format_de(cents, eur, sizeof eur);
    fprintf(stderr, "  %-28s %9lld  %16s EUR\n", what, (long long)n, eur);
}

void rec_summary_print(const rec_summary *s)
{
    fprintf(stderr, "reconciled %lld of %lld files (%lld already imported, %lld failed),"
                    " %lld statements\n",
            (long long)s->files_reconciled, (long long)s->files, (long long)s->files_skipped,
            (long long)s->files_failed, (long long)s->statements);
    line("transactions", s->transactions, s->transactions_cents);
    line("allocated", s->allocated, s->allocated_cents);
    if (s->reversed)
        line("allocations reversed", s->reversed, s->reversed_cents);
    line("clarifications", s->clarified, s->clarified_cents);
    for (int i = 1; i < REC_REASONS; i++)
        if (s->by_reason[i]) {
            char label[40];
            snprintf(label, sizeof label, "  %s", match_reason_name((enum match_reason)i));
            line(label, s->by_reason[i], s->by_reason_cents[i]);
        }
    if (s->invoices)
        line("debits paying e-invoices", s->invoices, s->invoices_cents);
    if (s->batches_resolved)
        fprintf(stderr, "  %-28s %9lld\n", "batch totals resolved", (long long)s->batches_resolved);
    if (s->invoices_returned)
        line("our transfers back (invoices)", s->invoices_returned, s->invoices_returned_cents);
    line("debits (not matched)", s->debits, s->debits_cents);
    if (s->not_booked)
        line("not booked (pending)", s->not_booked, s->not_booked_cents);
}

static int64_t total_size(int argc, char **argv)
{
    int64_t t = 0;
    struct stat sb;
    for (int i = 1; i < argc; i++)
        if (stat(argv[i], &sb) == 0)
            t += (int64_t)sb.st_size;
    return t;
}

int job_reconcile(const cli_opts *o, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: abgleich reconcile FILE...\n");
        return AB_E_USAGE;
    }
    pgsink *db = NULL;
    reconciler *r = NULL;
    int rc = pgsink_connect(&db, o->db);
    if (rc < 0) {
        log_error("database: %s", pgsink_error(db));
        goto out;
    }
    if ((rc = reconciler_open(&r, db, o)) < 0) {
        log_error("cannot start: %s%s%s", ab_strerror(rc), rc == AB_E_DB ? ": " : "",
                  rc == AB_E_DB ? pgsink_error(db) : "");
        goto out;
    }
    rec_summary sum = {0};
    progress p;
    progress_start(&p, "reconcile", total_size(argc, argv), o->quiet || o->json);
    reconciler_set_progress(r, &p);
    for (int i = 1; i < argc; i++) {
        int frc = reconciler_file(r, argv[i], &sum);
        if (frc < 0 && rc == AB_OK)
            rc = frc;
    }
    int64_t offsets, offset_cents; /* fines office: surplus settles the plate's other claims */
    int orc = fines_offset_surplus(db, &offsets, &offset_cents);
    rc = rc == AB_OK ? orc : rc;
    progress_end(&p);
    if (!o->quiet)
        rec_summary_print(&sum);
    if (o->json)
        rec_summary_json(&sum);
out:
    reconciler_close(r);
    pgsink_close(db);
    return rc;
}
