/*
 * reconcile_int.h - what the reconcile files share (reconcile.c,
 * reconcile_stmt.c, reconcile_spill.c, reconcile_rev.c, reconcile_summary.c):
 * the reconciler, a payment of the batch, and the calls one of them makes
 * into another.
 * Private to those files; everyone else uses reconcile.h.
 *
 * Ownership: reconciler_open (reconcile.c) allocates the reconciler and
 * reconciler_close frees every member, also those reconcile_rev.c grows
 * (originals, lookup, db_taken, inplace, resolved); reconciler_file resets
 * the per-file members and opens and closes the two spill files around
 * each file.  Everything here runs on the calling thread, except
 * matcher_scan on the worker pool, which fills each item's scan from its
 * payment and the index.
 */
#ifndef AB_RECONCILE_INT_H
#define AB_RECONCILE_INT_H

#include <stdint.h>
#include <stdio.h>

#include "../engine/arena.h"
#include "../engine/claimidx.h"
#include "../engine/err.h"
#include "../engine/limits.h"
#include "../engine/matcher.h"
#include "../engine/payment.h"
#include "../engine/pgsink.h"
#include "../engine/pool.h"
#include "../engine/progress.h"
#include "../engine/revtrack.h"
#include "claimload.h"
#include "cli.h"
#include "entrylink.h"
#include "reconcile.h"
#include "resent.h"
#include "stmtgrow.h"

typedef struct rec_item {
    payment p;
    match_scan scan;
    match_result res;
    uint32_t seq;
} rec_item;

/* A stored statement that the one being read may be, sent again under
 * another Id: the same balances (sql/055 statement_met).  Its first
 * transaction decides (reconcile_stmt.c). */
#define REC_CANDS 64
typedef struct rec_cand {
    char id[24];                    /* abgleich.statements.id */
    char stmt_id[AB_ID_MAX + 1];    /* as stored: its keys name it */
    char elec_seq[AB_ID_MAX + 1];
    char first_key[33];             /* the tx_key of its first transaction, */
    bool first_reversal;            /*   which the key does not tell */
    char file[256];                 /* the file that brought it */
} rec_cand;

/* The kinds of record in the spill files (reconcile_spill.c). */
enum spill_kind { SPILL_ALLOC = 0, SPILL_CLAR = 1, SPILL_CAND = 2 };
/* Which of a kind's records a copy writes: all; all but the clarifications
 * of reversals and returns (before the reversal post-pass); only those
 * (after it, less the ones it settled).  reconcile_spill.c */
enum spill_part { SPILL_EVERY = 0, SPILL_FIRST = 1, SPILL_REVERSALS = 2 };

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
    entrylink *link;      /* its camt.053/054 entries and the other message's */
    resent *again;        /* its transactions booked by an earlier statement (resent.c) */
    /* The statement met again: its keys are hashed under the Id and
     * sequence number it was stored with, whatever this file calls it. */
    int key_stored;
    char key_id[AB_ID_MAX + 1], key_seq[AB_ID_MAX + 1];
    /* A statement of the same balances as stored ones (cand), not yet
     * decided: its first transaction tells whether it is one of them. */
    int tentative;
    size_t n_cand;
    rec_cand *cand;       /* REC_CANDS */
    char by_facts[AB_ID_MAX + 1]; /* met again by its facts: the stored Id, else "" */
    char by_facts_file[256];
    char day_lo[11], day_hi[11]; /* the statement's booking days so far */
    FILE *spill[2];       /* [0]: ledger rows; [1]: clarifications, candidates */
    uint32_t *resolved;   /* tx seqs of reversals matched to their original, sorted */
    size_t n_resolved;
    /* Reversals settled in place (claims reopened during apply), sorted
     * before the ledger post-pass, which then leaves those claims alone. */
    uint32_t *inplace;
    size_t n_inplace, cap_inplace;
    revtrack *rt;          /* this file's allocations by EndToEndId */
    pgsink *lookup;        /* second connection: originals of earlier files */
    pgsink_result *originals; /* of the current batch's reversals (rec_rev_load_originals) */
    char (*db_taken)[48];  /* "file:seq" of earlier originals reversed in this file */
    size_t n_taken, cap_taken;
    uint32_t *order;       /* apply order of the batch */
    rec_summary fs;
    progress *prog;
    int64_t bytes_base;
};

/* reconcile.c: one batch scanned, applied, its transactions written and
 * its outcomes spilled; the statement's COPY of bank_transactions begun
 * (r->copy_open). */
int rec_process_batch(reconciler *r, const statement *st) AB_MUSTCHECK;
int rec_start_tx_copy(reconciler *r) AB_MUSTCHECK;

/* reconcile_stmt.c: the reader's statement callbacks (the statement met
 * again or new, begun; at its end skipped or finished and stored); of a
 * tentative statement, its first payment deciding which it is; of a
 * statement met again, whether a payment was imported with it (a
 * STMTGROW_* value, or AB_E_REJECTED); the statement as its transaction
 * keys name it (met again: tmp, under its stored Id and number). */
int rec_stmt_begin(void *ctx, const statement *st) AB_MUSTCHECK;
int rec_stmt_end(void *ctx, const statement *st) AB_MUSTCHECK;
int rec_stmt_decide_by_first(reconciler *r, const statement *st, const payment *p) AB_MUSTCHECK;
int rec_stmt_known_before(reconciler *r, const statement *st, const payment *p) AB_MUSTCHECK;
const statement *rec_stmt_keyed(const reconciler *r, const statement *st, statement *tmp);

/* reconcile_spill.c: one applied payment's ledger rows, clarification and
 * candidates into the spill files; a kind's records (part of them) into
 * its table. */
int rec_spill_outcome(reconciler *r, const rec_item *it) AB_MUSTCHECK;
int rec_spill_copy(reconciler *r, enum spill_kind kind, enum spill_part part) AB_MUSTCHECK;

/* reconcile_rev.c: the earlier originals of the batch's reversals (once per
 * batch, before apply); at a reversal or return, its original's claims
 * reopened; at an allocated credit, its allocations remembered; after the
 * ledger is written, the reversing rows (r->resolved, r->fs corrected).
 * rec_rev_seq_cmp orders tx seqs (r->resolved, r->inplace) for qsort and
 * bsearch. */
int rec_rev_load_originals(reconciler *r) AB_MUSTCHECK;
int rec_rev_in_place(reconciler *r, const rec_item *it) AB_MUSTCHECK;
int rec_rev_track(reconciler *r, const rec_item *it) AB_MUSTCHECK;
int rec_rev_apply(reconciler *r) AB_MUSTCHECK;
int rec_rev_seq_cmp(const void *a, const void *b);

/* reconcile_summary.c: b's counts added to a's; one applied payment
 * counted into a file's summary. */
void rec_summary_add(rec_summary *a, const rec_summary *b);
void rec_summary_count(rec_summary *fs, const rec_item *it);

#endif
