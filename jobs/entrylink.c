/*
 * entrylink.c - a camt.054 entry and the camt.053 entry it notifies; see
 * entrylink.h.
 *
 * Pipeline per batch of a camt.053, MT940 or camt.054 statement (an MT940
 * stands as a camt.053, with its Sammler totals only): the payments
 * that may have another sighting (booked, dated; of a camt.053 only those
 * whose entry fits a camt.054 entry that waits: day, direction, amount,
 * count, any count for a total whose count is not stated, sql/064) -> JSON,
 * as bank_transactions rows
 * -> abgleich.link_entries (sql/047_entry_links.sql: candidates by index,
 * strength, uniqueness both ways, the link recorded) -> one row per entry
 * with a candidate -> the entry's payments marked.  The rule itself lives
 * in the SQL, where the stored side is; this module decides what to ask
 * and what the answer means for the matcher:
 *   linked, both with payments  the later sighting is booked already:
 *                               booked_in, provisional (never matched)
 *   linked, one a batch total   nothing here: the total is a clarification
 *                               that jobs/batches.c settles after the file
 *   no link, several candidates a batch total: maybe_booked_in (the matcher
 *                               makes it batch_ambiguous); payments, when a
 *                               candidate has payments of its own:
 *                               maybe_booked_in and provisional
 *                               (possible_duplicate); a camt.054 whose
 *                               candidates are all totals pays (its
 *                               payments are the details), with a warning.
 * Memory: the JSON of one batch, the keys of the waiting camt.054 entries
 * of the statement's window, the notes of one batch (an arena reset per
 * batch).
 */
#include "entrylink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/arena.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../formats/jsonw.h"

/* The notes of one batch: a file name and an entry number per candidate,
 * cut at NOTE_MAX, for at most AB_MATCH_BATCH entries. */
#define NOTE_MAX 300u
#define NOTES_BYTES (4u * 1024u * 1024u)
/* A camt.053 looks for camt.054 entries of statements booked this many
 * days before it was created: a monthly statement's first day lies within. */
#define WINDOW_DAYS "100"

enum kind { K_NONE = 0, K_053, K_054 };

/* What a camt.053 entry must share with a camt.054 entry to be it (the
 * facts of abgleich.entry_facts); YYYY-MM-DD as text orders as dates. */
typedef struct wait_key {
    char day[11];
    char dir;
    int64_t cents;
    uint32_t txs;
} wait_key;

struct entrylink {
    enum kind kind;
    int mt940;             /* an MT940 statement: its Sammler totals stand as camt.053 entries */
    const char *path;
    char file_id[24], stmt_id[24];
    char account[AB_ID_MAX + 1];
    wait_key *waiting;     /* camt.053: the camt.054 entries waiting, sorted */
    size_t n_waiting;
    char *json;            /* the gathered rows (open_memstream) */
    size_t json_len;
    size_t rows;
    arena *notes;
};

int entrylink_create(entrylink **out)
{
    entrylink *l = mem_calloc(1, sizeof *l);
    if (!l)
        return AB_E_NOMEM;
    int rc = arena_create(&l->notes, NOTES_BYTES);
    if (rc < 0) {
        mem_free(l);
        return rc;
    }
    *out = l;
    return AB_OK;
}

void entrylink_destroy(entrylink *l)
{
    if (!l)
        return;
    free(l->json); /* open_memstream's buffer */
    mem_free(l->waiting);
    arena_destroy(l->notes);
    mem_free(l);
}

const char *entrylink_entry_ref(const payment *p)
{
    const char *tx = p->acct_svcr_ref ? p->acct_svcr_ref : "";
    return p->entry_ref && strcmp(p->entry_ref, tx) ? p->entry_ref : NULL;
}

int64_t entrylink_entry_cents(const payment *p)
{
    if (p->entry_txs <= 1)
        return 0;
    return p->entry_direction == PAY_DEBIT ? -p->entry_cents : p->entry_cents;
}

uint32_t entrylink_entry_txs(const payment *p)
{
    return p->entry_txs > 1 ? p->entry_txs : 0;
}

int64_t entrylink_batch_txs(const payment *p)
{
    return p->batch ? (int64_t)p->batch_txs : -1;
}

/* An MT940 statement books a batch as a camt.053 does (one :61: of the
 * total, a Sammler), so its totals are tied to their camt.054 as camt.053
 * entries; its single payments are not (wanted). */
static enum kind kind_of(const char *format)
{
    if (format && (!strncmp(format, "camt.053", 8) || !strcmp(format, "MT940")))
        return K_053;
    if (format && !strncmp(format, "camt.054", 8))
        return K_054;
    return K_NONE; /* camt.052 and MT942 never pay */
}

static int key_cmp(const void *a, const void *b)
{
    const wait_key *x = a, *y = b;
    int c = strcmp(x->day, y->day);
    if (c || x->dir != y->dir)
        return c ? c : x->dir < y->dir ? -1 : 1;
    if (x->cents != y->cents)
        return x->cents < y->cents ? -1 : 1;
    return x->txs < y->txs ? -1 : x->txs > y->txs;
}

/* The camt.054 entries of the account that wait for their statement,
 * around the statement's creation (CreDtTm; any, without one). */
static int load_waiting(entrylink *l, pgsink *db, const statement *st)
{
    char day[11] = "";
    if (st->created && strlen(st->created) >= 10)
        snprintf(day, sizeof day, "%.10s", st->created);
    /* An MT940's date is its opening balance's, which may lie days before
     * its bookings (a weekend): no upper bound there. */
    const char *params[] = {st->account, day[0] ? day : NULL, l->mt940 ? "f" : "t"};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db,
                          "SELECT to_char(day, 'YYYY-MM-DD'), dir, cents, txs FROM"
                          " abgleich.entry_waiting_054($1,"
                          " $2::date - " WINDOW_DAYS ","
                          " CASE WHEN $3::boolean THEN $2::date + 1 END)",
                          3, params, &res);
    if (rc < 0)
        return rc;
    int rows = pgsink_result_rows(res);
    mem_free(l->waiting);
    l->waiting = rows ? mem_calloc((size_t)rows, sizeof *l->waiting) : NULL;
    l->n_waiting = 0;
    for (int i = 0; i < rows && l->waiting; i++) {
        wait_key *k = &l->waiting[l->n_waiting++];
        snprintf(k->day, sizeof k->day, "%s", pgsink_result_value(res, i, 0));
        k->dir = pgsink_result_value(res, i, 1)[0];
        k->cents = strtoll(pgsink_result_value(res, i, 2), NULL, 10);
        k->txs = (uint32_t)strtoul(pgsink_result_value(res, i, 3), NULL, 10);
    }
    pgsink_result_free(res);
    if (rows && !l->waiting)
        return AB_E_NOMEM;
    if (l->n_waiting > 1) /* in C's order, which bsearch follows, not the server's */
        qsort(l->waiting, l->n_waiting, sizeof *l->waiting, key_cmp);
    return AB_OK;
}

int entrylink_statement(entrylink *l, pgsink *db, const char *path, const char *file_id,
                        const char *stmt_db_id, const statement *st)
{
    l->kind = kind_of(st->format);
    l->mt940 = st->format && !strcmp(st->format, "MT940");
    l->path = path;
    snprintf(l->file_id, sizeof l->file_id, "%s", file_id);
    snprintf(l->stmt_id, sizeof l->stmt_id, "%s", stmt_db_id);
    snprintf(l->account, sizeof l->account, "%s", st->account);
    l->n_waiting = 0;
    if (l->kind != K_053)
        return AB_OK;
    int rc = load_waiting(l, db, st);
    if (rc == AB_OK && l->n_waiting == 0)
        l->kind = K_NONE; /* no camt.054 waits: a night without one costs one query */
    return rc;
}

/* The payment's entry as abgleich.entry_facts sees it. */
static wait_key key_of(const payment *p)
{
    wait_key k;
    snprintf(k.day, sizeof k.day, "%s", p->booking_date);
    int many = entrylink_entry_txs(p) > 0;
    k.dir = many ? p->entry_direction : p->direction;
    k.cents = many ? p->entry_cents : p->amount_cents;
    k.txs = p->batch ? p->batch_txs : many ? p->entry_txs : 1; /* 0: a total's count unstated */
    return k;
}

/* Whether a camt.054 entry of the key's day, direction and amount waits:
 * of any count for a total whose count is not stated (0; the SQL ties it
 * by a bank reference only, sql/064), else of the key's count. */
static int waits(const entrylink *l, const wait_key *k)
{
    if (k->txs)
        return bsearch(k, l->waiting, l->n_waiting, sizeof *k, key_cmp) != NULL;
    for (size_t i = 0; i < l->n_waiting; i++) {
        const wait_key *w = &l->waiting[i];
        if (!strcmp(w->day, k->day) && w->dir == k->dir && w->cents == k->cents)
            return 1;
    }
    return 0;
}

/* A booked, dated payment of a statement whose entries may be seen twice:
 * of a camt.054 every one, of a camt.053 one whose entry fits a waiting
 * camt.054 entry (no other can be linked to one). */
static int wanted(const entrylink *l, const payment *p)
{
    if (p->provisional || !p->booking_date[0] || (p->status[0] && strcmp(p->status, "BOOK")))
        return 0;
    /* Of an MT940 only totals are: its own payments are not notified. */
    if (l->mt940 && !p->batch)
        return 0;
    if (l->kind == K_054)
        return 1;
    wait_key k = key_of(p);
    return waits(l, &k);
}

static void opt_str(jsonw *w, const char *k, const char *v)
{
    if (v && *v)
        jsonw_kstr(w, k, v);
}

static void opt_int(jsonw *w, const char *k, int64_t v)
{
    if (v)
        jsonw_kint(w, k, v);
}

/* One payment as the bank_transactions row reconcile writes for it. */
static void put_row(const entrylink *l, jsonw *w, const payment *p, uint32_t seq)
{
    char dir[2] = {p->direction, '\0'};
    jsonw_obj_begin(w);
    jsonw_kint(w, "file_id", strtoll(l->file_id, NULL, 10));
    jsonw_kint(w, "seq", seq);
    jsonw_kint(w, "statement_id", strtoll(l->stmt_id, NULL, 10));
    jsonw_kint(w, "entry_no", p->entry_no);
    jsonw_kint(w, "tx_no", p->tx_no);
    /* The statement's account, as write_tx_row stores it; the SQL ties an
     * MT940's "BLZ/account" by its plain IBAN (abgleich.tie_account, sql/068). */
    jsonw_kstr(w, "account", l->account);
    jsonw_kstr(w, "booking_date", p->booking_date);
    jsonw_kint(w, "amount_cents", p->amount_cents);
    jsonw_kstr(w, "direction", dir);
    opt_str(w, "currency", p->currency);
    opt_str(w, "acct_svcr_ref", p->acct_svcr_ref);
    opt_str(w, "end_to_end_id", p->end_to_end_id);
    const char *eref = entrylink_entry_ref(p);
    if (eref)
        jsonw_kstr(w, "entry_ref", eref); /* "" too: the entry has none */
    opt_int(w, "entry_cents", entrylink_entry_cents(p));
    opt_int(w, "entry_txs", entrylink_entry_txs(p));
    if (entrylink_batch_txs(p) >= 0)
        jsonw_kint(w, "batch_txs", entrylink_batch_txs(p)); /* 0: its count unstated */
    opt_str(w, "batch_msg_id", p->batch_msg_id);
    opt_str(w, "batch_pmt_inf_id", p->batch_pmt_inf_id);
    opt_str(w, "batch_kref", p->batch_kref); /* an MT940 Sammler's KREF+ (sql/069) */
    jsonw_obj_end(w);
}

int entrylink_gather(entrylink *l, entrylink_at at, void *ctx, size_t n)
{
    l->rows = 0;
    if (l->kind == K_NONE)
        return 0;
    free(l->json);
    l->json = NULL;
    l->json_len = 0;
    FILE *f = open_memstream(&l->json, &l->json_len);
    if (!f)
        return AB_E_NOMEM;
    jsonw w;
    jsonw_init(&w, f);
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        uint32_t seq;
        const payment *p = at(ctx, i, &seq);
        if (wanted(l, p)) {
            put_row(l, &w, p, seq);
            l->rows++;
        }
    }
    jsonw_arr_end(&w);
    if (fclose(f) != 0 || !l->json)
        return AB_E_NOMEM;
    return l->rows > 0;
}

static const char *note(entrylink *l, const char *others)
{
    size_t n = strlen(others);
    const char *s = arena_strndup(l->notes, others, n > NOTE_MAX ? NOTE_MAX : n);
    return s ? s : "(reconcile's log names them)";
}

/* What one entry's answer means for its payments; see the table above. */
static void mark(payment *p, int linked, int cur_total, int other_total,
                 const char *others)
{
    if (linked && !cur_total && !other_total) {
        p->booked_in = others;
        p->provisional = true; /* stored, never matched: the first sighting paid */
    } else if (!linked && cur_total) {
        if (p->direction == PAY_CREDIT) /* a debit total is never a clarification */
            p->maybe_booked_in = others;
    } else if (!linked && !other_total) {
        p->maybe_booked_in = others;
        p->provisional = true; /* nothing automatic: no match, return or invoice */
    }
}

static void tell(const entrylink *l, const char *entry, int linked, int cur_total,
                 int other_total, const char *how, const char *others)
{
    const char *me = l->kind == K_054 ? "camt.054" : l->mt940 ? "MT940" : "camt.053";
    if (linked && !cur_total && !other_total)
        log_info("%s: %s Ntry %s is %s (linked by %s): its payments were booked from there and"
                 " are not matched again", l->path, me, entry, others, how);
    else if (linked)
        log_info("%s: %s Ntry %s belongs to the batch booking %s (linked by %s)", l->path, me,
                 entry, others, how);
    else if (cur_total)
        log_warn("%s: the batch total %s Ntry %s could be settled by more than one camt.054"
                 " entry, or its camt.054 by another total (%s): left to a clerk"
                 " (batch_ambiguous)", l->path, me, entry, others);
    else if (!other_total)
        log_warn("%s: %s Ntry %s may have been booked already, but more than one entry could"
                 " be it (%s): left to a clerk (possible_duplicate)", l->path, me, entry,
                 others);
    else
        log_warn("%s: %s Ntry %s could resolve more than one batch total (%s): its payments"
                 " are matched, the totals are left to a clerk", l->path, me, entry, others);
}

/* The answer comes by entry number, and a batch holds its statement's
 * payments in the statement's order: one walk marks them. */
static int apply(entrylink *l, const pgsink_result *res, entrylink_at at, void *ctx, size_t n)
{
    arena_reset(l->notes);
    size_t k = 0;
    for (int i = 0; i < pgsink_result_rows(res); i++) {
        uint32_t entry = (uint32_t)strtoul(pgsink_result_value(res, i, 0), NULL, 10);
        int linked = pgsink_result_value(res, i, 1)[0] == 't';
        int cur_total = pgsink_result_value(res, i, 3)[0] == 't';
        int other_total = pgsink_result_value(res, i, 4)[0] == 't';
        const char *others = note(l, pgsink_result_value(res, i, 5));
        tell(l, pgsink_result_value(res, i, 0), linked, cur_total, other_total,
             pgsink_result_value(res, i, 2), pgsink_result_value(res, i, 5));
        for (; k < n; k++) {
            uint32_t seq;
            payment *p = at(ctx, k, &seq);
            if (p->entry_no > entry)
                break;
            if (p->entry_no == entry && wanted(l, p))
                mark(p, linked, cur_total, other_total, others);
        }
    }
    return AB_OK;
}

int entrylink_run(entrylink *l, pgsink *db, entrylink_at at, void *ctx, size_t n)
{
    const char *kind = l->kind == K_054 ? "camt.054" : "camt.053";
    const char *params[] = {l->file_id, l->stmt_id, kind, l->json};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db,
                          "SELECT entry_no, linked, how, cur_total, other_total, others"
                          " FROM abgleich.link_entries($1::bigint, $2::bigint, $3, $4::jsonb)",
                          4, params, &res);
    if (rc == AB_OK)
        rc = apply(l, res, at, ctx, n);
    pgsink_result_free(res);
    return rc;
}
