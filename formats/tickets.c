/*
 * tickets.c - streaming reader of ticket batches (CSV); see tickets.h.
 *
 * Pipeline: bytes (any chunking) -> one raw record in a bounded buffer
 * (a record ends at a newline outside quotes, so quoted newlines stay in it)
 * -> fields split and unquoted in place -> columns mapped by header name ->
 * validated ticket.  State kept between chunks: the partial record, whether
 * we are inside quotes, and the physical line counter.  Memory is the one
 * record buffer of AB_CSV_MAX_LINE bytes, whatever the file's size.
 */
#include "tickets.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../engine/date.h"
#include "../engine/limits.h"
#include "../engine/mem.h"
#include "../engine/money.h"
#include "../engine/refscan.h"

enum col { C_REF, C_PLATE, C_TBNR, C_AMOUNT, C_TIME, C_LOC, C_COUNT };

static const char *const col_names[C_COUNT][2] = {
    {"reference", "kassenzeichen"}, {"plate", "kennzeichen"},   {"tbnr", "tbnr"},
    {"amount", "betrag"},           {"offense_time", "tatzeit"}, {"location", "tatort"},
};

struct tickets_reader {
    tickets_sink sink;
    enum cd_scheme scheme;
    char *rec;              /* the current raw record */
    size_t len;
    int in_quotes;
    unsigned long line;     /* physical line of the next byte */
    unsigned long rec_line; /* line where the current record began */
    int header_done;
    char sep;
    int col[C_COUNT];       /* field index of each column, -1 when absent */
    int nfields;            /* fields in the header */
    int bom_checked;
    char err[AB_ERRMSG_MAX];
};

int tickets_reader_create(tickets_reader **out, const tickets_sink *sink, enum cd_scheme scheme)
{
    tickets_reader *r = mem_calloc(1, sizeof *r);
    if (!r)
        return AB_E_NOMEM;
    if (!(r->rec = mem_alloc(AB_CSV_MAX_LINE + 1))) {
        mem_free(r);
        return AB_E_NOMEM;
    }
    r->sink = *sink;
    r->scheme = scheme;
    r->line = 1;
    r->rec_line = 1;
    *out = r;
    return AB_OK;
}

void tickets_reader_destroy(tickets_reader *r)
{
    if (!r)
        return;
    mem_free(r->rec);
    mem_free(r);
}

const char *tickets_reader_error(const tickets_reader *r)
{
    return r->err;
}

/* Splits rec[0..n) at sep outside quotes, unquoting in place. */
static int split(char *rec, size_t n, char sep, char **f, size_t *fl, int max)
{
    int k = 0;
    size_t i = 0;
    for (;;) {
        if (k == max)
            return -1;
        char *out = rec + i;
        size_t o = 0;
        int quoted = i < n && rec[i] == '"';
        if (quoted)
            i++;
        while (i < n) {
            char c = rec[i];
            if (quoted && c == '"') {
                if (i + 1 < n && rec[i + 1] == '"') {
                    out[o++] = '"';
                    i += 2;
                    continue;
                }
                quoted = 0;
                i++;
                continue;
            }
            if (!quoted && c == sep)
                break;
            out[o++] = c;
            i++;
        }
        f[k] = out;
        fl[k] = o;
        k++;
        if (i >= n)
            return k;
        i++; /* the separator */
    }
}

static void trim(char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static int read_header(tickets_reader *r, char *rec, size_t n)
{
    size_t semi = 0, comma = 0;
    int q = 0;
    for (size_t i = 0; i < n; i++) {
        if (rec[i] == '"')
            q = !q;
        else if (!q && rec[i] == ';')
            semi++;
        else if (!q && rec[i] == ',')
            comma++;
    }
    r->sep = semi > comma ? ';' : ',';
    char *f[AB_CSV_MAX_FIELDS];
    size_t fl[AB_CSV_MAX_FIELDS];
    int k = split(rec, n, r->sep, f, fl, AB_CSV_MAX_FIELDS);
    if (k < 0) {
        snprintf(r->err, sizeof r->err, "line 1: more than %u columns", AB_CSV_MAX_FIELDS);
        return AB_E_LIMIT;
    }
    for (int c = 0; c < C_COUNT; c++)
        r->col[c] = -1;
    for (int i = 0; i < k; i++) {
        trim(&f[i], &fl[i]);
        for (int c = 0; c < C_COUNT; c++)
            for (int a = 0; a < 2; a++)
                if (strlen(col_names[c][a]) == fl[i] && !strncasecmp(f[i], col_names[c][a], fl[i]))
                    r->col[c] = i;
    }
    for (int c = 0; c < C_COUNT; c++)
        if (r->col[c] < 0 && c != C_LOC) {
            snprintf(r->err, sizeof r->err, "line %lu: no %s column", r->rec_line,
                     col_names[c][0]);
            return AB_E_PARSE;
        }
    r->nfields = k;
    r->header_done = 1;
    return AB_OK;
}

/* Reports "what: 'value'" with the value cut to 40 bytes. */
static int reject(tickets_reader *r, const char *field, const char *what, const char *val,
                  size_t n)
{
    char reason[AB_ERRMSG_MAX];
    snprintf(reason, sizeof reason, "%s: '%.*s'", what, (int)(n > 40 ? 40 : n), val);
    return r->sink.on_reject(r->sink.ctx, r->rec_line, field, reason);
}

/* An RF creditor reference (ISO 11649) as a claim's reference. */
static int check_rf(tickets_reader *r, const char *v, size_t n, char *out, int *bad)
{
    size_t o = refscan_normalise(v, n, out);
    if (o && refscan_rf_valid(out, o))
        return AB_OK;
    *bad = 1;
    return reject(r, "reference", "not a valid RF creditor reference (ISO 11649)", v, n);
}

/* Kassenzeichen as written -> digits; AB_OK or a reject already reported. */
static int check_reference(tickets_reader *r, const char *v, size_t n, char *out, int *bad)
{
    if (n >= 2 && (v[0] == 'R' || v[0] == 'r') && (v[1] == 'F' || v[1] == 'f'))
        return check_rf(r, v, n, out, bad);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == ' ' || c == '.' || c == '-' || c == '/')
            continue;
        if (c < '0' || c > '9' || o == AB_REF_MAX) {
            *bad = 1;
            return reject(r, "reference", "not a Kassenzeichen", v, n);
        }
        out[o++] = c;
    }
    out[o] = '\0';
    if (o < AB_REF_MIN) {
        *bad = 1;
        return reject(r, "reference", "too short for a Kassenzeichen", v, n);
    }
    if (!cd_valid(r->scheme, out, o)) {
        char c[2];
        size_t w = cd_width(r->scheme);
        char msg[160];
        if (o > w && cd_compute(r->scheme, out, o - w, c) == (int)w)
            snprintf(msg, sizeof msg, "check digit does not match (%s expects %.*s)",
                     cd_scheme_name(r->scheme), (int)w, c);
        else
            snprintf(msg, sizeof msg, "check digit does not match (%s)",
                     cd_scheme_name(r->scheme));
        *bad = 1;
        return reject(r, "reference", msg, v, n);
    }
    return AB_OK;
}

static int is_tbnr(const char *v, size_t n)
{
    if (n != 6)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return 0;
    return 1;
}

static int check_fields(tickets_reader *r, char **f, size_t *fl, ticket *t, char *ref, int *bad)
{
    for (int c = 0; c < C_COUNT; c++) {
        if (c == C_LOC || fl[r->col[c]])
            continue;
        *bad = 1;
        return r->sink.on_reject(r->sink.ctx, r->rec_line, col_names[c][0], "missing");
    }
    int rc = check_reference(r, f[r->col[C_REF]], fl[r->col[C_REF]], ref, bad);
    if (rc < 0 || *bad)
        return rc;
    const char *v = f[r->col[C_TBNR]];
    size_t n = fl[r->col[C_TBNR]];
    if (!is_tbnr(v, n)) {
        *bad = 1;
        return reject(r, "tbnr", "not a 6-digit offense number (TBNR)", v, n);
    }
    v = f[r->col[C_AMOUNT]];
    n = fl[r->col[C_AMOUNT]];
    if (money_parse(v, n, &t->amount_cents) < 0 || t->amount_cents <= 0) {
        *bad = 1;
        return reject(r, "amount", "not an amount in euros", v, n);
    }
    v = f[r->col[C_TIME]];
    n = fl[r->col[C_TIME]];
    if (datetime_parse(v, n, &t->offense_time) < 0) {
        *bad = 1;
        return reject(r, "offense_time", "not a date and time", v, n);
    }
    return AB_OK;
}

static int read_row(tickets_reader *r, char *rec, size_t n)
{
    char *f[AB_CSV_MAX_FIELDS];
    size_t fl[AB_CSV_MAX_FIELDS];
    int k = split(rec, n, r->sep, f, fl, AB_CSV_MAX_FIELDS);
    if (k != r->nfields) {
        char msg[96];
        snprintf(msg, sizeof msg, "%d fields, the header has %d", k < 0 ? (int)AB_CSV_MAX_FIELDS : k,
                 r->nfields);
        return r->sink.on_reject(r->sink.ctx, r->rec_line, "line", msg);
    }
    for (int i = 0; i < k; i++) {
        trim(&f[i], &fl[i]);
        f[i][fl[i]] = '\0';
    }
    ticket t = {.line = r->rec_line};
    char ref[AB_REF_MAX + 1];
    int bad = 0;
    int rc = check_fields(r, f, fl, &t, ref, &bad);
    if (rc < 0 || bad)
        return rc;
    t.reference = ref;
    t.plate = f[r->col[C_PLATE]];
    t.tbnr = f[r->col[C_TBNR]];
    t.location = r->col[C_LOC] >= 0 ? f[r->col[C_LOC]] : "";
    return r->sink.on_ticket(r->sink.ctx, &t);
}

/* A complete raw record (without its line end). */
static int record(tickets_reader *r)
{
    size_t n = r->len;
    if (n && r->rec[n - 1] == '\r')
        n--;
    char *rec = r->rec;
    if (!r->bom_checked) {
        r->bom_checked = 1;
        if (n >= 3 && !memcmp(rec, "\xef\xbb\xbf", 3)) {
            rec += 3;
            n -= 3;
        }
    }
    int blank = 1;
    for (size_t i = 0; i < n && blank; i++)
        blank = rec[i] == ' ' || rec[i] == '\t' || rec[i] == r->sep;
    if (blank && r->header_done)
        return AB_OK;
    if (!r->header_done)
        return read_header(r, rec, n);
    return read_row(r, rec, n);
}

int tickets_reader_feed(tickets_reader *r, const char *buf, size_t n, bool last)
{
    int rc = AB_OK;
    for (size_t i = 0; i < n && rc == AB_OK; i++) {
        char c = buf[i];
        if (c == '\n' && !r->in_quotes) {
            rc = record(r);
            r->len = 0;
            r->line++;
            r->rec_line = r->line;
            continue;
        }
        if (c == '"')
            r->in_quotes = !r->in_quotes;
        else if (c == '\n')
            r->line++;
        if (r->len == AB_CSV_MAX_LINE) {
            snprintf(r->err, sizeof r->err, "line %lu: record longer than %u bytes",
                     r->rec_line, AB_CSV_MAX_LINE);
            return AB_E_LIMIT;
        }
        r->rec[r->len++] = c;
    }
    if (rc == AB_OK && last && r->len)
        rc = record(r);
    if (rc == AB_OK && last && !r->header_done) {
        snprintf(r->err, sizeof r->err, "line 1: no header row");
        rc = AB_E_PARSE;
    }
    if (rc < 0 && !r->err[0])
        snprintf(r->err, sizeof r->err, "line %lu: %s", r->rec_line, ab_strerror(rc));
    return rc;
}
