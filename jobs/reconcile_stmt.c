/*
 * reconcile_stmt.c - which statement is being read: one met again, or a new
 * one.  The reader's rec_stmt_begin and rec_stmt_end land here, and so do
 * two steps of on_payment (reconcile.c).
 *
 * A statement is met again (sql/055, abgleich.statement_met, one query per
 * statement) by its Id, or its electronic sequence number in the same
 * year, within its message type and account (statement_seen); else, under
 * another Id, when its balances are those of stored statements
 * (balances_identify) and its first transaction is the first of one of
 * them (rec_stmt_decide_by_first: until that transaction comes, the statement is
 * tentative and nothing of it is written).  Not met: stored as new
 * (new_statement).  Met again: read against what was stored (stmtgrow.h,
 * rec_stmt_known_before): the same or an earlier state of it is skipped, one grown
 * at its end adds its new transactions, one changed is refused and the
 * file with it.
 * Data in: the reader's statement and, of a tentative or met-again
 * statement, its payments; the stored statements.  Data out: r->stmt_db_id
 * (the statements row, inserted or met), r->grow, the Id and sequence
 * number its keys are hashed under (r->key_*, rec_stmt_keyed), r->by_facts*, the
 * statement's COPY begun (rec_start_tx_copy) and finished, its balances, counts
 * and booked days into abgleich.statements, r->fs.statements and
 * statements_skipped.
 * Invariants: a statement met again hashes its transaction keys under the
 * Id and sequence number it was stored with (rec_stmt_keyed), so the same
 * transaction gets the same key whatever the file calls the statement.
 * rec_stmt_begin resets what was known of the previous statement (r->key_*,
 * r->tentative, r->cand, r->by_facts*, its booked days); met_again_end
 * frees r->grow (reconciler_file too, after a failure).
 */
#include "reconcile_int.h"

#include <stdio.h>
#include <string.h>

#include "../engine/log.h"
#include "../engine/pgsink.h"
#include "../engine/returns.h"
#include "entrylink.h"
#include "resent.h"
#include "stmtgrow.h"

/* The statement as its transaction keys name it: met again, under the Id
 * and sequence number it was stored with, whatever this file calls it (a
 * bank may send it again under another Id; sql/055). */
const statement *rec_stmt_keyed(const reconciler *r, const statement *st, statement *tmp)
{
    if (!r->key_stored)
        return st;
    *tmp = *st;
    tmp->stmt_id = r->key_id;
    tmp->elec_seq = r->key_seq;
    return tmp;
}

/* A transaction of a statement met again: 1 if it was imported with it. */
int rec_stmt_known_before(reconciler *r, const statement *st, const payment *p)
{
    char key[33];
    statement ks;
    returns_tx_key(rec_stmt_keyed(r, st, &ks), p, key);
    int v = stmtgrow_next(r->grow, key);
    if (v == AB_E_REJECTED)
        log_error("%s: statement %s of account %s was imported from %s%s%s; its transaction %zu"
                  " is not the one imported there: a statement may only grow at its end, so"
                  " nothing of this file is stored", r->path, st->stmt_id, st->account,
                  stmtgrow_file(r->grow), r->by_facts[0] ? " as statement " : "", r->by_facts,
                  stmtgrow_matched(r->grow) + 1);
    return v;
}

static bool is_mt940(const statement *st)
{
    return st->format && !strcmp(st->format, "MT940");
}

/* Balances that say which statement it is, together with its first
 * transaction (sql/055): of a camt.053 its opening and closing balance, of
 * an MT940 its :60F: balance and date (its :62F: comes at the end).
 * Without them nothing is guessed. */
static bool balances_identify(const statement *st)
{
    if (st->format && !strncmp(st->format, "camt.053", 8))
        return st->has_opening && st->has_closing;
    return is_mt940(st) && st->has_opening && st->created && st->created[0];
}

/* One row of abgleich.statement_met: met again by Id or sequence number
 * (seen), a stored statement of the same balances, or a stored statement's
 * booked days (for jobs/resent.c). */
static int met_row(reconciler *r, const pgsink_result *res, int i, char seen[24])
{
    const char *what = pgsink_result_value(res, i, 0);
    if (!strcmp(what, "id")) {
        snprintf(seen, 24, "%s", pgsink_result_value(res, i, 1));
        r->key_stored = 1;
        snprintf(r->key_id, sizeof r->key_id, "%s", pgsink_result_value(res, i, 2));
        snprintf(r->key_seq, sizeof r->key_seq, "%s", pgsink_result_value(res, i, 3));
    } else if (!strcmp(what, "facts") && r->n_cand < REC_CANDS) {
        rec_cand *c = &r->cand[r->n_cand++];
        snprintf(c->id, sizeof c->id, "%s", pgsink_result_value(res, i, 1));
        snprintf(c->stmt_id, sizeof c->stmt_id, "%s", pgsink_result_value(res, i, 2));
        snprintf(c->elec_seq, sizeof c->elec_seq, "%s", pgsink_result_value(res, i, 3));
        snprintf(c->first_key, sizeof c->first_key, "%s", pgsink_result_value(res, i, 4));
        c->first_reversal = pgsink_result_value(res, i, 5)[0] == 't';
        snprintf(c->file, sizeof c->file, "%s", pgsink_result_value(res, i, 6));
    } else if (!strcmp(what, "days"))
        return resent_add_days(r->again, pgsink_result_value(res, i, 7),
                               pgsink_result_value(res, i, 8));
    return AB_OK;
}

/* A statement seen before: of the same message type (camt.052, camt.053,
 * MT940 ...: the bank numbers each apart, sql/037), same account and id,
 * or the same electronic sequence number in the same year (DK restarts
 * the number yearly); else the stored ones of the same balances, which its
 * first transaction decides among.  One query per statement (sql/055). */
static int statement_seen(reconciler *r, const statement *st, char seen[24])
{
    char year[5] = "", open[24], close[24];
    if (st->created && strlen(st->created) >= 4)
        memcpy(year, st->created, 4);
    bool facts = balances_identify(st);
    snprintf(open, sizeof open, "%lld", (long long)st->opening_cents);
    snprintf(close, sizeof close, "%lld", (long long)st->closing_cents);
    const char *params[] = {st->account, st->format, st->stmt_id,
                            st->elec_seq ? st->elec_seq : "", year,
                            facts ? open : NULL, facts && !is_mt940(st) ? close : NULL,
                            facts && is_mt940(st) ? st->created : NULL};
    pgsink_result *res = NULL;
    int rc = pgsink_query(r->db,
                          "SELECT what, id, stmt_id, elec_seq, first_key, first_reversal,"
                          " file_name, day_from, day_to FROM abgleich.statement_met($1, $2, $3, $4, $5, $6::bigint,"
                          " $7::bigint, $8)",
                          8, params, &res);
    if (rc < 0)
        return rc;
    seen[0] = '\0';
    for (int i = 0; i < pgsink_result_rows(res) && rc == AB_OK; i++)
        rc = met_row(r, res, i, seen);
    pgsink_result_free(res);
    if (seen[0])
        r->n_cand = 0; /* its Id says which it is */
    return rc;
}

/* A statement not met before: stored, and its transactions matched. */
static int new_statement(reconciler *r, const statement *st)
{
    r->key_stored = 0;
    const char *params[] = {r->file_id,  st->format,   st->account,
                            st->stmt_id, st->elec_seq, st->created};
    pgsink_result *res = NULL;
    int rc = pgsink_query(r->db,
                          "INSERT INTO abgleich.statements (file_id, format, account, stmt_id,"
                          " elec_seq, created) VALUES ($1::bigint, $2, $3, $4, nullif($5, ''),"
                          " nullif($6, '')) RETURNING id",
                          6, params, &res);
    if (rc < 0)
        return rc;
    snprintf(r->stmt_db_id, sizeof r->stmt_db_id, "%s", pgsink_result_value(res, 0, 0));
    pgsink_result_free(res);
    r->fs.statements++;
    rc = entrylink_statement(r->link, r->db, r->path, r->file_id, r->stmt_db_id, st);
    return rc < 0 ? rc : rec_start_tx_copy(r);
}

/* A statement met again (stored as seen): read whole, the same again, or
 * grown at its end (stmtgrow.h); its keys under its stored Id (rec_stmt_keyed). */
static int met_again_begin(reconciler *r, const statement *st, const char *seen)
{
    int rc = stmtgrow_load(r->db, seen, &r->grow);
    if (rc < 0)
        return rc;
    snprintf(r->stmt_db_id, sizeof r->stmt_db_id, "%s", seen);
    rc = entrylink_statement(r->link, r->db, r->path, r->file_id, seen, st);
    return rc < 0 ? rc : rec_start_tx_copy(r);
}

/* The first transaction of a statement whose balances are those of stored
 * ones: the stored statement whose first transaction it is (its key under
 * that statement's Id) is this one, sent again under another Id; none: a
 * statement of its own (a zero-balance account's next day). */
int rec_stmt_decide_by_first(reconciler *r, const statement *st, const payment *p)
{
    r->tentative = 0;
    for (size_t i = 0; i < r->n_cand; i++) {
        const rec_cand *c = &r->cand[i];
        statement ks = *st;
        ks.stmt_id = c->stmt_id;
        ks.elec_seq = c->elec_seq;
        char key[33];
        returns_tx_key(&ks, p, key);
        if (strcmp(key, c->first_key) || p->reversal != c->first_reversal)
            continue;
        r->key_stored = 1;
        snprintf(r->key_id, sizeof r->key_id, "%s", c->stmt_id);
        snprintf(r->key_seq, sizeof r->key_seq, "%s", c->elec_seq);
        snprintf(r->by_facts, sizeof r->by_facts, "%s", c->stmt_id);
        snprintf(r->by_facts_file, sizeof r->by_facts_file, "%s", c->file);
        return met_again_begin(r, st, c->id);
    }
    return new_statement(r, st);
}

int rec_stmt_begin(void *ctx, const statement *st)
{
    reconciler *r = ctx;
    char seen[24];
    r->key_stored = 0;
    r->tentative = 0;
    r->n_cand = 0;
    r->by_facts[0] = r->by_facts_file[0] = '\0';
    r->day_lo[0] = r->day_hi[0] = '\0';
    resent_statement(r->again, r->path, st);
    int rc = statement_seen(r, st, seen);
    if (rc < 0)
        return rc;
    if (seen[0])
        return met_again_begin(r, st, seen);
    if (r->n_cand) {
        r->tentative = 1; /* its first transaction decides (rec_stmt_decide_by_first) */
        return AB_OK;
    }
    return new_statement(r, st);
}

/* The end of a statement met again: the same or an earlier state of it
 * (skipped: files may come in any order), or grown (its new transactions
 * go in).  A changed one was refused transaction by transaction. */
static void met_again_end(reconciler *r, const statement *st, int *same)
{
    size_t stored = stmtgrow_stored(r->grow), matched = stmtgrow_matched(r->grow);
    *same = st->transactions == matched;
    if (*same && matched == stored && r->by_facts[0])
        log_info("%s: statement %s of account %s is statement %s imported from %s, sent again"
                 " under another Id (the same balances and transactions); skipped", r->path,
                 st->stmt_id, st->account, r->by_facts, r->by_facts_file);
    else if (*same && matched == stored)
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

int rec_stmt_end(void *ctx, const statement *st)
{
    reconciler *r = ctx;
    int same = 0;
    if (r->tentative) { /* no transaction to decide by: a statement of its own */
        r->tentative = 0;
        int rc = new_statement(r, st);
        if (rc < 0)
            return rc;
    }
    if (r->grow)
        met_again_end(r, st, &same);
    if (same) {
        r->fs.statements_skipped++;
        int rc = pgsink_copy_finish(r->db); /* nothing was written */
        r->copy_open = 0;
        return rc;
    }
    int rc = rec_process_batch(r, st);
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
    const char *first = st->first_booking[0] ? st->first_booking : r->day_lo;
    const char *last = st->last_booking[0] ? st->last_booking : r->day_hi;
    const char *params[] = {st->has_opening ? v[0] : NULL, st->has_closing ? v[1] : NULL,
                            v[2], v[3], v[4], v[5], r->stmt_db_id,
                            first[0] ? first : NULL, last[0] ? last : NULL};
    /* The booked days: a later camt.053 finds a camt.054's entries by them,
     * a later statement its transactions booked here (jobs/resent.c). */
    return pgsink_query(r->db,
                        "UPDATE abgleich.statements SET opening_cents = $1::bigint,"
                        " closing_cents = $2::bigint, entries = $3::int, transactions = $4::int,"
                        " credit_cents = $5::bigint, debit_cents = $6::bigint,"
                        " booked_from = least(booked_from, $8::date),"
                        " booked_to = greatest(booked_to, $9::date) WHERE id = $7::bigint",
                        9, params, NULL);
}
