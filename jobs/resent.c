/*
 * resent.c - a transaction an earlier statement of the same kind booked
 * already, by the bank's reference; see resent.h.
 *
 * Pipeline per batch: the payments that may be a second sighting (of a
 * camt.053, camt.054 or MT940; booked, dated, not provisional, not marked
 * by entrylink; a usable bank reference; a booking day on which a stored
 * statement of the account and kind booked) -> references repeated over
 * two entries of the batch dropped (a bank's generic value) -> JSON
 * -> abgleich.resent_bookings (sql/055) -> per payment: one stored booking
 * fits and its reference names one stored entry that day: booked_in (stored,
 * not matched); else maybe_booked_in (possible_duplicate).  Two payments of
 * the batch that would take the same stored booking are both left to a clerk.
 * Memory: the merged day ranges of the statement's account and kind, the
 * JSON of one batch, fixed arrays of AB_MATCH_BATCH, the notes of one batch.
 */
#include "resent.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../engine/arena.h"
#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "../formats/jsonw.h"

#define NOTE_MAX 300u
#define NOTES_BYTES (4u * 1024u * 1024u)

typedef struct range {
    uint32_t from, to; /* YYYYMMDD */
} range;

typedef struct cand {
    const char *ref;
    uint32_t entry, i;
} cand;

typedef struct taken {
    int64_t file;
    uint32_t seq, i;
} taken;

struct resent {
    int on;                /* the statement's kind may be seen twice */
    const char *path;
    char account[AB_ID_MAX + 1], format[64];
    range *days;
    size_t n_days, cap_days;
    int merged;
    cand *c;               /* AB_MATCH_BATCH: the batch's payments asked about */
    size_t n_c;
    taken *t;              /* AB_MATCH_BATCH: the certain ones of the batch */
    char *json;
    size_t json_len;
    arena *notes;
};

int resent_create(resent **out)
{
    resent *s = mem_calloc(1, sizeof *s);
    if (!s)
        return AB_E_NOMEM;
    s->c = mem_calloc(AB_MATCH_BATCH, sizeof *s->c);
    s->t = mem_calloc(AB_MATCH_BATCH, sizeof *s->t);
    if (!s->c || !s->t || arena_create(&s->notes, NOTES_BYTES) < 0) {
        resent_destroy(s);
        return AB_E_NOMEM;
    }
    *out = s;
    return AB_OK;
}

void resent_destroy(resent *s)
{
    if (!s)
        return;
    free(s->json); /* open_memstream's buffer */
    mem_free(s->days);
    mem_free(s->c);
    mem_free(s->t);
    arena_destroy(s->notes);
    mem_free(s);
}

/* The kinds that pay: an intraday report (camt.052, MT942) never does. */
static int pays(const char *format)
{
    return format && (!strncmp(format, "camt.053", 8) || !strncmp(format, "camt.054", 8) ||
                      !strcmp(format, "MT940"));
}

void resent_statement(resent *s, const char *path, const statement *st)
{
    s->on = pays(st->format);
    s->path = path;
    snprintf(s->account, sizeof s->account, "%s", st->account);
    snprintf(s->format, sizeof s->format, "%s", st->format ? st->format : "");
    s->n_days = 0;
    s->merged = 1;
}

/* YYYY-MM-DD as YYYYMMDD, 0 when it is not one. */
static uint32_t day_num(const char *d)
{
    if (!d || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return 0;
    return (uint32_t)(atoi(d) * 10000 + atoi(d + 5) * 100 + atoi(d + 8));
}

int resent_add_days(resent *s, const char *from, const char *to)
{
    range g = {day_num(from), day_num(to)};
    if (!g.from || !g.to)
        return AB_OK;
    if (s->n_days == s->cap_days) {
        size_t cap = s->cap_days ? 2 * s->cap_days : 64;
        range *d = mem_realloc(s->days, cap * sizeof *d);
        if (!d)
            return AB_E_NOMEM;
        s->days = d;
        s->cap_days = cap;
    }
    s->days[s->n_days++] = g;
    s->merged = 0;
    return AB_OK;
}

static int range_cmp(const void *a, const void *b)
{
    const range *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from;
}

/* Sorted and overlapping ranges joined: a day is in one or in none. */
static void merge_days(resent *s)
{
    if (s->merged)
        return;
    qsort(s->days, s->n_days, sizeof *s->days, range_cmp);
    size_t k = 0;
    for (size_t i = 0; i < s->n_days; i++) {
        if (k && s->days[i].from <= s->days[k - 1].to) {
            if (s->days[i].to > s->days[k - 1].to)
                s->days[k - 1].to = s->days[i].to;
        } else
            s->days[k++] = s->days[i];
    }
    s->n_days = k;
    s->merged = 1;
}

static int booked_on_a_stored_day(const resent *s, const char *day)
{
    uint32_t d = day_num(day);
    size_t lo = 0, hi = s->n_days; /* the last range that begins on or before d */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->days[mid].from <= d)
            lo = mid + 1;
        else
            hi = mid;
    }
    return d && lo && d <= s->days[lo - 1].to;
}

/* The bank's own reference of a booking: not empty, not a placeholder, not
 * a run of one character ("0000000"). */
static int usable_ref(const char *ref)
{
    static const char *const generic[] = {"NONREF", "NOTPROVIDED", "NONE", "NOREF", "N/A", "NA"};
    size_t n = ref ? strlen(ref) : 0;
    if (n < 4)
        return 0;
    for (size_t i = 0; i < sizeof generic / sizeof *generic; i++)
        if (!strcasecmp(ref, generic[i]))
            return 0;
    return strspn(ref, (char[]){ref[0], '\0'}) < n;
}

static int wanted(const resent *s, const payment *p)
{
    if (p->provisional || p->booked_in || p->maybe_booked_in || !p->booking_date[0] ||
        (p->status[0] && strcmp(p->status, "BOOK")))
        return 0;
    return usable_ref(p->acct_svcr_ref) && booked_on_a_stored_day(s, p->booking_date);
}

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    int c = strcmp(x->ref, y->ref);
    if (c)
        return c;
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static int index_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* A reference that two entries of the batch state is no booking's own. */
static void drop_repeated(resent *s)
{
    qsort(s->c, s->n_c, sizeof *s->c, cand_cmp);
    size_t k = 0;
    for (size_t i = 0; i < s->n_c;) {
        size_t j = i;
        while (j < s->n_c && !strcmp(s->c[j].ref, s->c[i].ref))
            j++;
        if (s->c[i].entry == s->c[j - 1].entry) /* sorted: one entry from first to last */
            while (i < j)
                s->c[k++] = s->c[i++];
        i = j;
    }
    s->n_c = k;
    qsort(s->c, s->n_c, sizeof *s->c, index_cmp);
}

static int write_json(resent *s, entrylink_at at, void *ctx)
{
    free(s->json);
    s->json = NULL;
    s->json_len = 0;
    FILE *f = open_memstream(&s->json, &s->json_len);
    if (!f)
        return AB_E_NOMEM;
    jsonw w;
    jsonw_init(&w, f);
    jsonw_arr_begin(&w);
    for (size_t k = 0; k < s->n_c; k++) {
        uint32_t seq;
        const payment *p = at(ctx, s->c[k].i, &seq);
        char dir[2] = {p->direction, '\0'};
        jsonw_obj_begin(&w);
        jsonw_kint(&w, "i", s->c[k].i);
        jsonw_kstr(&w, "ref", p->acct_svcr_ref);
        jsonw_kstr(&w, "day", p->booking_date);
        jsonw_kint(&w, "cents", p->amount_cents);
        jsonw_kstr(&w, "dir", dir);
        jsonw_key(&w, "rvsl");
        jsonw_bool(&w, p->reversal);
        jsonw_kstr(&w, "e2e", p->end_to_end_id ? p->end_to_end_id : "");
        jsonw_kstr(&w, "iban", p->debtor_iban ? p->debtor_iban : ""); /* sql/062 */
        jsonw_kstr(&w, "rmt", p->remittance ? p->remittance : "");
        jsonw_obj_end(&w);
    }
    jsonw_arr_end(&w);
    if (fclose(f) != 0 || !s->json)
        return AB_E_NOMEM;
    return AB_OK;
}

int resent_gather(resent *s, entrylink_at at, void *ctx, size_t n)
{
    s->n_c = 0;
    if (!s->on || s->n_days == 0)
        return 0;
    merge_days(s);
    for (size_t i = 0; i < n; i++) {
        uint32_t seq;
        const payment *p = at(ctx, i, &seq);
        if (wanted(s, p))
            s->c[s->n_c++] = (cand){.ref = p->acct_svcr_ref, .entry = p->entry_no,
                                    .i = (uint32_t)i};
    }
    if (s->n_c > 1)
        drop_repeated(s);
    if (s->n_c == 0)
        return 0;
    int rc = write_json(s, at, ctx);
    return rc < 0 ? rc : 1;
}

static int taken_cmp(const void *a, const void *b)
{
    const taken *x = a, *y = b;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Two payments of the batch that take one stored booking: neither is it
 * for certain (a clerk decides). */
static void share_taken(resent *s, size_t n_t, entrylink_at at, void *ctx)
{
    qsort(s->t, n_t, sizeof *s->t, taken_cmp);
    for (size_t k = 0; k + 1 < n_t; k++) {
        if (taken_cmp(&s->t[k], &s->t[k + 1]))
            continue;
        for (size_t j = k; j <= k + 1; j++) {
            uint32_t seq;
            payment *p = at(ctx, s->t[j].i, &seq);
            if (p->booked_in) {
                p->maybe_booked_in = p->booked_in;
                p->booked_in = NULL;
                p->seen_file = 0;
                p->seen_seq = 0;
            }
        }
    }
}

static const char *note(resent *s, const char *others)
{
    size_t n = strlen(others);
    const char *x = arena_strndup(s->notes, others, n > NOTE_MAX ? NOTE_MAX : n);
    return x ? x : "(reconcile's log names them)";
}

/* Marks the payments answered (rows: i, fits, entries, seen_file, seen_seq,
 * others); returns how many of them were certain. */
static size_t mark(resent *s, const pgsink_result *res, entrylink_at at, void *ctx, size_t n)
{
    size_t n_t = 0;
    for (int r = 0; r < pgsink_result_rows(res); r++) {
        uint32_t seq;
        size_t i = (size_t)strtoul(pgsink_result_value(res, r, 0), NULL, 10);
        if (i >= n)
            continue; /* not one of the batch (the JSON sent holds only those) */
        payment *p = at(ctx, i, &seq);
        if (p->booked_in || p->maybe_booked_in)
            continue; /* entrylink's: the camt.053 and camt.054 of one entry */
        long fits = strtol(pgsink_result_value(res, r, 1), NULL, 10);
        long entries = strtol(pgsink_result_value(res, r, 2), NULL, 10);
        const char *others = note(s, pgsink_result_value(res, r, 5));
        p->provisional = true; /* never matched: the first sighting paid, or a clerk decides */
        p->resent = true;
        if (fits == 1 && entries == 1) {
            p->booked_in = others;
            p->seen_file = strtoll(pgsink_result_value(res, r, 3), NULL, 10);
            p->seen_seq = (uint32_t)strtoul(pgsink_result_value(res, r, 4), NULL, 10);
            s->t[n_t++] = (taken){.file = p->seen_file, .seq = p->seen_seq, .i = (uint32_t)i};
        } else
            p->maybe_booked_in = others;
    }
    return n_t;
}

static void tell(const resent *s, entrylink_at at, void *ctx, size_t n)
{
    size_t certain = 0, maybe = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t seq;
        const payment *p = at(ctx, i, &seq);
        certain += p->resent && p->booked_in;
        maybe += p->resent && p->maybe_booked_in;
    }
    if (certain)
        log_info("%s: %zu transactions of account %s were booked already from an"
                 " earlier statement (the same bank reference, amount, direction and booking"
                 " day): stored, not matched again", s->path, certain, s->account);
    if (maybe)
        log_warn("%s: %zu transactions of account %s may have been booked already from an"
                 " earlier statement, but more than one booking there could be it: left to a"
                 " clerk (possible_duplicate)", s->path, maybe, s->account);
}

int resent_run(resent *s, pgsink *db, const char *stmt_db_id, entrylink_at at, void *ctx,
               size_t n)
{
    const char *params[] = {s->account, s->format, stmt_db_id, s->json};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db,
                          "SELECT i, fits, entries, seen_file, seen_seq, others FROM"
                          " abgleich.resent_bookings($1, $2, $3::bigint, $4::jsonb)",
                          4, params, &res);
    if (rc == AB_OK) {
        arena_reset(s->notes);
        share_taken(s, mark(s, res, at, ctx, n), at, ctx);
        tell(s, at, ctx, n);
    }
    pgsink_result_free(res);
    return rc;
}
