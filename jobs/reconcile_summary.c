/*
 * reconcile_summary.c - the counts and sums of a reconcile run, for people
 * (rec_summary_print, stderr) and for programs (rec_summary_json, stdout).
 *
 * Data in: each applied payment, counted into its file's summary as it is
 * applied (rec_summary_count); the steps that settle rows later correct the
 * file's counts (reversals: reconcile_rev.c; our own transfers and batch
 * totals: reconcile.c).  A file's summary joins the run's (rec_summary_add)
 * only when the file committed, so a rejected file counts as failed and
 * nothing else.  Data out: the text and the JSON object.
 * Invariants: rec_summary (reconcile.h) holds int64_t fields only, so two
 * are added field by field; clarifications are listed by reason, only the
 * reasons that occurred.
 */
#include "reconcile_int.h"

#include <stdio.h>

#include "../engine/matcher.h"
#include "../engine/money.h"
#include "../formats/jsonw.h"

void rec_summary_add(rec_summary *a, const rec_summary *b)
{
    int64_t *pa = (int64_t *)a;
    const int64_t *pb = (const int64_t *)b;
    for (size_t i = 0; i < sizeof *a / sizeof(int64_t); i++)
        pa[i] += pb[i];
}

void rec_summary_count(rec_summary *fs, const rec_item *it)
{
    const payment *p = &it->p;
    fs->transactions++;
    fs->transactions_cents += p->amount_cents;
    const match_result *m = &it->res;
    if (m->outcome == MATCH_SKIPPED) {
        if (p->booked_in) { /* the other message's sighting paid (jobs/entrylink.c) */
            fs->already_booked++;
            fs->already_booked_cents += p->amount_cents;
        } else if (p->direction == PAY_DEBIT) {
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
    jsonw_kint(&w, "already_booked", s->already_booked);
    jsonw_kint(&w, "already_booked_cents", s->already_booked_cents);
    jsonw_kint(&w, "not_booked", s->not_booked);
    jsonw_kint(&w, "not_booked_cents", s->not_booked_cents);
    jsonw_obj_end(&w);
}

/* 36 columns for a label (the longest, a reason's words indented, takes
 * 33): printf pads by bytes, so a German label's umlauts (two bytes, one
 * column) get their second bytes added. */
static int label_width(const char *what)
{
    int w = 36;
    for (const unsigned char *c = (const unsigned char *)what; *c; c++)
        w += (*c & 0xC0) == 0x80;
    return w;
}

/* The amount as the reader writes it: "1.234,56" in German, "1234.56" in
 * English, as the clerks' other texts do. */
static void line(int en, const char *what, int64_t n, int64_t cents)
{
    char eur[32];
    if (en)
        money_format(cents, eur, sizeof eur);
    else
        money_format_de(cents, eur, sizeof eur);
    fprintf(stderr, "  %-*s %9lld  %16s EUR\n", label_width(what), what, (long long)n, eur);
}

/* The label of a line in German or, when en, in English. */
#define L(de, en_) (en ? (en_) : (de))

void rec_summary_print(const rec_summary *s, int en)
{
    fprintf(stderr, L("%lld von %lld Dateien abgeglichen (%lld schon eingelesen, %lld"
                      " fehlgeschlagen), %lld Auszüge\n",
                      "reconciled %lld of %lld files (%lld already imported, %lld failed),"
                      " %lld statements\n"),
            (long long)s->files_reconciled, (long long)s->files, (long long)s->files_skipped,
            (long long)s->files_failed, (long long)s->statements);
    line(en, L("Umsätze", "transactions"), s->transactions, s->transactions_cents);
    line(en, L("zugeordnet", "allocated"), s->allocated, s->allocated_cents);
    if (s->reversed)
        line(en, L("Zuordnungen zurückgenommen", "allocations reversed"), s->reversed,
             s->reversed_cents);
    line(en, L("Klärfälle", "clarifications"), s->clarified, s->clarified_cents);
    for (int i = 1; i < REC_REASONS; i++)
        if (s->by_reason[i]) {
            char label[40];
            const char *code = match_reason_name((enum match_reason)i);
            const char *words = match_reason_label(code, en);
            snprintf(label, sizeof label, "  %s", words ? words : code);
            line(en, label, s->by_reason[i], s->by_reason_cents[i]);
        }
    if (s->invoices)
        line(en, L("Abgänge für E-Rechnungen", "debits paying e-invoices"), s->invoices,
             s->invoices_cents);
    const char *resolved = L("Sammelbuchungen aufgelöst", "batch totals resolved");
    if (s->batches_resolved)
        fprintf(stderr, "  %-*s %9lld\n", label_width(resolved), resolved,
                (long long)s->batches_resolved);
    if (s->invoices_returned)
        line(en, L("eigene Überweisungen zurück", "our transfers back (invoices)"),
             s->invoices_returned, s->invoices_returned_cents);
    line(en, L("Abgänge (nicht abgeglichen)", "debits (not matched)"), s->debits, s->debits_cents);
    /* Both kinds of second sighting: the other file of one entry (camt.053
     * and camt.054), and a statement sent again under another Id. */
    if (s->already_booked)
        line(en, L("schon gebucht (2. Sichtung)", "already booked (2nd sighting)"), s->already_booked,
             s->already_booked_cents);
    if (s->not_booked)
        line(en, L("nicht gebucht (vorgemerkt)", "not booked (pending)"), s->not_booked,
             s->not_booked_cents);
}
