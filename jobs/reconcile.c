/*
 * reconcile.c - `abgleich reconcile FILE...`: bank statements against claims.
 *
 * Pipeline:
 *   claims (COPY out of PostgreSQL, or the claim snapshot and what changed
 *   since: claimload.c) -> claimidx, once per run
 *   per file, one transaction:
 *     content hash -> seen? skip -> input_files row
 *     bank reader (CAMT or MT940, by content) -> per statement: met before
 *     (by Id or sequence number, or under a new Id by its balances and first
 *     transaction: stmtgrow.c compares it) or new -> payments, gathered into
 *     batches of AB_MATCH_BATCH
 *     -> entries tied to the other message's (entrylink.c), transactions an
 *        earlier statement booked found by bank reference (resent.c)
 *     -> matcher_scan on the worker pool (pure, any thread order)
 *     -> matcher_apply on this thread in booking-date order, statement order
 *        for ties (updates open amounts; a reversal reopens its original's
 *        claims right there: reconcile_rev.c)
 *     -> bank_transactions rows by COPY as each batch finishes
 *     -> outcome records to two spill files (reconcile_spill.c)
 *     -> after the last statement: COPY the spills into their tables, the
 *        ledger first, then reversals and returns settled in SQL
 *        (reconcile_rev.c), then clarifications -> COMMIT.
 * This file holds the pipeline: the run, one file, the reader's payments,
 * one batch and its COPY.  The pieces it calls: reconcile_stmt.c (which
 * statement is being read: met again or new; its start and end),
 * reconcile_spill.c (outcomes on disk and their COPY), reconcile_rev.c
 * (reversals and returns), reconcile_summary.c (the run's counts); what
 * they share is reconcile_int.h.
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
#include "reconcile_int.h"
#include "stmtgrow.h"

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
#include "../engine/pool.h"
#include "../engine/progress.h"
#include "../engine/plate.h"
#include "../engine/refscan.h"
#include "../engine/returns.h"
#include "../engine/revtrack.h"
#include "../formats/bankread.h"
#include "claimload.h"
#include "fines.h"

/* Strings of one batch: AB_MATCH_BATCH payments of a few hundred bytes. */
#define BATCH_ARENA_BYTES (32u * 1024u * 1024u)

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

static void copy_opt_int(pgsink *db, int64_t v)
{
    if (v)
        pgsink_copy_int(db, v);
    else
        pgsink_copy_null(db);
}

/* The entry's facts, as jobs/entrylink.c compares them (sql/047). */
static void write_entry_cols(pgsink *db, const payment *p)
{
    const char *eref = entrylink_entry_ref(p);
    if (eref)
        pgsink_copy_cstr(db, eref); /* "" too: only the transaction names itself */
    else
        pgsink_copy_null(db);
    copy_opt_int(db, entrylink_entry_cents(p));
    copy_opt_int(db, entrylink_entry_txs(p));
    /* A batch total's count, 0 when the bank states none (an MT940 Sammler
     * without "Anzahl", sql/064): still a total, never an ordinary credit. */
    if (entrylink_batch_txs(p) >= 0)
        pgsink_copy_int(db, entrylink_batch_txs(p));
    else
        pgsink_copy_null(db);
    copy_opt_str(db, p->batch_msg_id);
    copy_opt_str(db, p->batch_pmt_inf_id);
    copy_opt_str(db, p->batch_kref); /* an MT940 Sammler's KREF+ (sql/069) */
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
    statement ks;
    returns_tx_key(rec_stmt_keyed(r, st, &ks), p, key);
    pgsink_copy_cstr(r->db, returns_is_return(p) ? "t" : "f");
    copy_opt_str(r->db, p->return_reason ? p->return_reason : "");
    pgsink_copy_int(r->db, p->charges_cents);
    pgsink_copy_cstr(r->db, key);
    pgsink_copy_cstr(r->db, p->provisional ? "t" : "f");
    write_entry_cols(r->db, p);
    copy_opt_int(r->db, p->seen_file); /* the earlier sighting that paid (sql/055) */
    copy_opt_int(r->db, p->seen_seq);
    return pgsink_copy_end_row(r->db);
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

static payment *item_at(void *ctx, size_t i, uint32_t *seq)
{
    reconciler *r = ctx;
    *seq = r->items[i].seq;
    return &r->items[i].p;
}

/* A camt.053 and a camt.054 may state one entry; before the batch is
 * matched, its entries are tied to the other message's (jobs/entrylink.c),
 * and its transactions that an earlier statement of the same kind booked
 * are found by their bank reference (jobs/resent.c).  Their queries need
 * the connection, so the statement's COPY pauses; a batch that has nothing
 * to ask keeps it open. */
static int link_entries(reconciler *r)
{
    int link = entrylink_gather(r->link, item_at, r, r->n_items);
    if (link < 0)
        return link;
    int again = resent_gather(r->again, item_at, r, r->n_items);
    if (again < 0 || (!again && !link))
        return again;
    int rc = pgsink_copy_finish(r->db);
    r->copy_open = 0;
    if (rc == AB_OK && link)
        rc = entrylink_run(r->link, r->db, item_at, r, r->n_items);
    if (rc == AB_OK && again > 0) /* what entrylink marked it leaves */
        rc = resent_run(r->again, r->db, r->stmt_db_id, item_at, r, r->n_items);
    return rc == AB_OK ? rec_start_tx_copy(r) : rc;
}

int rec_process_batch(reconciler *r, const statement *st)
{
    if (r->n_items == 0)
        return AB_OK;
    int rc = link_entries(r);
    if (rc < 0)
        return rc;
    pool_run(r->workers, r->n_items, scan_slice, r);
    booking_order(r);
    rc = rec_rev_load_originals(r);
    for (size_t i = 0; i < r->n_items && rc == AB_OK; i++) {
        rec_item *it = &r->items[r->order[i]];
        if (i + MATCH_APPLY_AHEAD < r->n_items)
            matcher_prefetch_apply(r->ix, &r->items[r->order[i + MATCH_APPLY_AHEAD]].scan);
        matcher_apply(r->ix, &it->p, &it->scan, &it->res);
        rc = it->p.reversal || returns_is_return(&it->p) ? rec_rev_in_place(r, it)
                                                         : rec_rev_track(r, it);
        if (rc == AB_OK)
            rc = write_tx_row(r, st, it);
        if (rc == AB_OK && it->res.outcome != MATCH_SKIPPED)
            rc = rec_spill_outcome(r, it);
        rec_summary_count(&r->fs, it);
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
                             &it->p.bank_tx_code,  &it->p.entry_info,   &it->p.entry_ref,
                             &it->p.batch_msg_id,  &it->p.batch_pmt_inf_id, &it->p.batch_kref};
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

int rec_start_tx_copy(reconciler *r)
{
    int rc = pgsink_copy_begin(r->db,
                               "COPY abgleich.bank_transactions (file_id, seq, statement_id,"
                               " entry_no, tx_no, account, booking_date, value_date, amount_cents,"
                               " direction, reversal, status, currency, acct_svcr_ref,"
                               " end_to_end_id, debtor_name, debtor_iban, remittance,"
                               " creditor_ref, bank_tx_code, entry_info, returned, return_reason,"
                               " charges_cents, tx_key, provisional, entry_ref, entry_cents,"
                               " entry_txs, batch_txs, batch_msg_id, batch_pmt_inf_id,"
                               " batch_kref, seen_file, seen_seq) FROM STDIN");
    if (rc == AB_OK)
        r->copy_open = 1;
    return rc;
}

/* The statement's booking days so far (stored at its end: an MT940 reader
 * gives none, jobs/resent.c finds stored bookings by them). */
static void track_day(reconciler *r, const char *day)
{
    if (strlen(day) != 10)
        return;
    if (!r->day_lo[0] || strcmp(day, r->day_lo) < 0)
        memcpy(r->day_lo, day, sizeof r->day_lo);
    if (strcmp(day, r->day_hi) > 0)
        memcpy(r->day_hi, day, sizeof r->day_hi);
}

static int on_payment(void *ctx, const statement *st, const payment *p)
{
    reconciler *r = ctx;
    if (r->tentative) {
        int rc = rec_stmt_decide_by_first(r, st, p);
        if (rc < 0)
            return rc;
    }
    track_day(r, p->booking_date);
    if (r->grow) {
        int v = rec_stmt_known_before(r, st, p);
        if (v != STMTGROW_NEW)
            return v < 0 ? v : AB_OK;
    }
    if (r->n_items == AB_MATCH_BATCH) {
        int rc = rec_process_batch(r, st);
        if (rc < 0)
            return rc;
    }
    int rc = stash(r, p);
    if (rc == AB_E_LIMIT) {
        /* The arena filled before the batch did: flush (which resets it)
         * and stash again. */
        rc = rec_process_batch(r, st);
        if (rc == AB_OK)
            rc = stash(r, p);
    }
    if (rc == AB_OK) /* an intraday report: stored, the statement pays (sql/037) */
        r->items[r->n_items - 1].p.provisional = intraday(st);
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
    camt_sink sink = {.ctx = r, .on_statement = rec_stmt_begin, .on_payment = on_payment,
                      .on_statement_end = rec_stmt_end};
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
        rc = rec_spill_copy(r, SPILL_ALLOC, SPILL_EVERY);
    phase(r, "writing the ledger");
    if (rc == AB_OK) /* settling reversals reads the ledger just written */
        rc = fines_refresh_stats_tx(r->db);
    phase(r, "refreshing the ledger's statistics");
    /* and the clarifications of the originals, also of this file's: an
     * overpayment of a payment returned in the same file went back too */
    if (rc == AB_OK)
        rc = rec_spill_copy(r, SPILL_CLAR, SPILL_FIRST);
    phase(r, "writing clarifications");
    if (rc == AB_OK)
        rc = rec_rev_apply(r);
    phase(r, "settling reversals and returns");
    if (rc == AB_OK) /* of the reversals it did not settle */
        rc = rec_spill_copy(r, SPILL_CLAR, SPILL_REVERSALS);
    if (rc == AB_OK)
        rc = rec_spill_copy(r, SPILL_CAND, SPILL_EVERY);
    phase(r, "writing the reversals' clarifications and candidates");
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
        /* the bank reversed our debit; a return an earlier file counted */
        r->fs.invoices_returned += og.reversed + og.returned_earlier;
        r->fs.invoices_returned_cents += og.reversed_cents + og.returned_earlier_cents;
        r->fs.clarified -= og.reversed;
        r->fs.clarified_cents -= og.reversed_cents;
        r->fs.by_reason[MR_REVERSAL] -= og.reversed;
        r->fs.by_reason_cents[MR_REVERSAL] -= og.reversed_cents;
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
    r->tentative = 0;
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
        rec_summary_add(sum, &r->fs);
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
    if ((rc = entrylink_create(&r->link)) < 0 || (rc = resent_create(&r->again)) < 0)
        goto fail;
    rc = AB_E_NOMEM;
    if (!(r->cand = mem_calloc(REC_CANDS, sizeof *r->cand)))
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
    entrylink_destroy(r->link);
    resent_destroy(r->again);
    mem_free(r->cand);
    pgsink_result_free(r->originals);
    pgsink_close(r->lookup);
    pool_destroy(r->workers);
    arena_destroy(r->batch);
    mem_free(r->items);
    mem_free(r);
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
        rec_summary_print(&sum, !strcmp(o->lang, "en"));
    if (o->json)
        rec_summary_json(&sum);
out:
    reconciler_close(r);
    pgsink_close(db);
    return rc;
}
