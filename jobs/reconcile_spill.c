/*
 * reconcile_spill.c - the outcomes of a file's matching, kept on disk while
 * the file is read, then written into their tables by COPY.
 *
 * Data in: each applied payment's match result (rec_spill_outcome, in apply
 * order): its ledger rows, its clarification, its candidates, the German and
 * English explanation.  Data out: rows of abgleich.allocations,
 * abgleich.clarifications and abgleich.clarification_candidates
 * (rec_spill_copy, one kind at a time).
 * Two spill files, opened and closed per file by reconciler_file
 * (reconcile.c): [0] ledger rows, [1] clarifications with their candidates,
 * so that writing them rereads only theirs.  On disk, so that memory does
 * not grow with the input, and because the connection's one COPY is busy
 * with the transactions while the file is read.  The ledger goes in first,
 * because the reversal post-pass (reconcile_rev.c) reads it; then the
 * clarifications of every payment but the reversals and returns, because
 * the post-pass settles what is left of an original's clarifications, an
 * original of this file's too (SPILL_FIRST); then, after the post-pass,
 * the reversals' and returns' own clarifications, because one it settled
 * (r->resolved) gets none (SPILL_REVERSALS), and the candidates.
 * Invariants: every byte written is read back as whole records, or the
 * file fails (a write the stdio buffer held back fails at the flush, not as
 * an early end that would commit part of the night).
 */
#include "reconcile_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/claimidx.h"
#include "../engine/log.h"
#include "../engine/matcher.h"
#include "../engine/pgsink.h"

#define EXPLAIN_MAX 512u

/* What the spill files hold: one record per ledger row, clarification and
 * candidate; an explanation follows allocation and clarification records. */
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

int rec_spill_outcome(reconciler *r, const rec_item *it)
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

static const char *const spill_copy[] = {
    [SPILL_ALLOC] = "COPY abgleich.allocations (claim_id, file_id, tx_seq, amount_cents, method,"
                    " confidence, explanation, explanation_en) FROM STDIN",
    [SPILL_CLAR] = "COPY abgleich.clarifications (file_id, tx_seq, reason, amount_cents,"
                   " claim_id, explanation, explanation_en) FROM STDIN",
    [SPILL_CAND] = "COPY abgleich.clarification_candidates (file_id, tx_seq, rank, claim_id,"
                   " score, reason) FROM STDIN",
};

/* A reversal matched to its original is settled: no clarification. */
static int settled(const reconciler *r, const spill_rec *s)
{
    return s->kind != SPILL_ALLOC && r->n_resolved &&
           bsearch(&s->tx_seq, r->resolved, r->n_resolved, sizeof *r->resolved, rec_rev_seq_cmp);
}

/* The clarification of a reversal or return, which the post-pass may
 * settle.  By its reason: the matcher gives every booked debit reversal and
 * return one of these two (engine/matcher.c), and the post-pass settles no
 * other transaction (a possible duplicate is provisional, never paired). */
static int of_reversal(const spill_rec *s)
{
    return s->kind == SPILL_CLAR && (s->code == MR_REVERSAL || s->code == MR_RETURN);
}

static int in_part(const spill_rec *s, enum spill_part part)
{
    return part == SPILL_EVERY || (part == SPILL_REVERSALS) == of_reversal(s);
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
int rec_spill_copy(reconciler *r, enum spill_kind kind, enum spill_part part)
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
        if (s.kind != kind || !in_part(&s, part) || settled(r, &s))
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
