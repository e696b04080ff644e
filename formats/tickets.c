/*
 * tickets.c - streaming reader of ticket batches (CSV); see tickets.h.
 *
 * Pipeline: bytes (any chunking) -> csv.c (BOM, separator detection,
 * quoting, line numbers, the one bounded record buffer) -> header row:
 * columns by name -> each later row: fields trimmed, checked in column
 * order, the first failure reported with its canonical column name ->
 * ticket to the sink.  A row is either handed on whole or rejected whole;
 * a failure of the file (no header, a missing column, a record over the
 * limits, a sink error) stops the input.
 *
 * Why the checks are what they are: a claim that enters the database with
 * a mistyped Kassenzeichen can never be matched, and one with a wrong
 * amount is matched wrongly; so each of them is refused here with the line
 * and the value, for the office to correct at the source.  Text fields
 * must be UTF-8 because PostgreSQL refuses anything else, and one bad byte
 * would fail the import of the whole file instead of one row.  A plate or
 * location that is not UTF-8 is read as Windows-1252, what Excel's "CSV"
 * and many handheld exports on German Windows write: "MÜ-AB 123" there is
 * the same plate, and rejecting every Bavarian umlaut plate would help no
 * one.  Only a byte that Windows-1252 leaves undefined still rejects it.
 */
#include "tickets.h"

#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../engine/date.h"
#include "../engine/limits.h"
#include "../engine/mem.h"
#include "../engine/money.h"
#include "../engine/refscan.h"
#include "csv.h"

enum col { C_REF, C_PLATE, C_TBNR, C_AMOUNT, C_TIME, C_LOC, C_NAT, C_OVR, C_COUNT };

/* Canonical (English) name first; it is the field name in rejections. */
static const char *const col_names[C_COUNT][2] = {
    {"reference", "kassenzeichen"}, {"plate", "kennzeichen"},    {"tbnr", "tbnr"},
    {"amount", "betrag"},           {"offense_time", "tatzeit"}, {"location", "tatort"},
    {"nationality", "nationalitaet"}, {"override", "abweichung"},
};

/* Columns a batch may leave out. */
static bool optional(int c)
{
    return c == C_LOC || c == C_NAT || c == C_OVR;
}

/* Longest plate we accept: German plates have at most 8 characters plus
 * separators and suffix (fines-domain.md §6); foreign ones a few more. */
#define PLATE_MAX 32u
/* Bytes of an offending value quoted in a rejection. */
#define QUOTE_MAX 40u

struct tickets_reader {
    tickets_sink sink;
    enum cd_scheme scheme;
    csv *csv;
    bool header_done;
    int col[C_COUNT];       /* field index of each column, -1 when absent */
    size_t nfields;         /* fields in the header */
    char err[AB_ERRMSG_MAX];
    iconv_t cp1252;         /* opened at the first field that is not UTF-8 */
    bool no_cp1252;         /* iconv_open failed */
    size_t recoded;         /* fields of accepted rows read as Windows-1252 */
    /* The row's plate and location when recoded: a byte becomes at most 3. */
    char plate_u[3 * PLATE_MAX + 1];
    char loc_u[3 * AB_TEXT_FIELD_MAX + 1];
};

/* One row being checked: its trimmed fields and its line. */
typedef struct row {
    unsigned long line;
    csv_field f[C_COUNT];   /* by column; an absent location points to none */
    char none[1];
} row;

int tickets_reader_create(tickets_reader **out, const tickets_sink *sink, enum cd_scheme scheme)
{
    tickets_reader *r = mem_calloc(1, sizeof *r);
    if (!r)
        return AB_E_NOMEM;
    int rc = csv_create(&r->csv, 0);
    if (rc < 0) {
        mem_free(r);
        return rc;
    }
    r->sink = *sink;
    r->scheme = scheme;
    r->cp1252 = (iconv_t)-1;
    *out = r;
    return AB_OK;
}

void tickets_reader_destroy(tickets_reader *r)
{
    if (!r)
        return;
    csv_destroy(r->csv);
    if (r->cp1252 != (iconv_t)-1)
        iconv_close(r->cp1252);
    mem_free(r);
}

size_t tickets_reader_recoded(const tickets_reader *r)
{
    return r->recoded;
}

const char *tickets_reader_error(const tickets_reader *r)
{
    return r->err;
}

static void trim(csv_field *f)
{
    while (f->len && (f->ptr[0] == ' ' || f->ptr[0] == '\t')) {
        f->ptr++;
        f->len--;
    }
    while (f->len && (f->ptr[f->len - 1] == ' ' || f->ptr[f->len - 1] == '\t'))
        f->len--;
    f->ptr[f->len] = '\0'; /* csv.h lets us write inside the field's bytes */
}

/* Length of the valid UTF-8 sequence at s (not overlong, no surrogates,
 * at most U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t k = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
    if (s[0] < 0xc2 || s[0] > 0xf4 || n < k)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
        return 0;
    return k;
}

/* Whether a field is to be read as Windows-1252: it has bytes above ASCII,
 * none of which starts a valid UTF-8 sequence.  A field with both (UTF-8
 * and a stray Windows-1252 byte) is neither, and is rejected rather than
 * stored garbled. */
static bool is_cp1252(const char *v, size_t n)
{
    const unsigned char *s = (const unsigned char *)v;
    bool high = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x80)
            continue;
        if (utf8_seq(s + i, n - i) > 1)
            return false;
        high = true;
    }
    return high;
}

/* A field in Windows-1252 (see the top) into buf, by glibc's iconv, and 1;
 * 0 for a field left as it is: UTF-8 already, too long to be taken anyway,
 * or one iconv refuses (a byte Windows-1252 leaves undefined), which the
 * check then rejects. */
static int recode(tickets_reader *r, csv_field *f, char *buf, size_t cap)
{
    if (f->len == 0 || 3 * f->len >= cap || !is_cp1252(f->ptr, f->len))
        return 0;
    if (r->cp1252 == (iconv_t)-1 && !r->no_cp1252 &&
        (r->cp1252 = iconv_open("UTF-8", "CP1252")) == (iconv_t)-1)
        r->no_cp1252 = true; /* no glibc conversion modules: no retry per field */
    if (r->cp1252 == (iconv_t)-1)
        return 0;
    iconv(r->cp1252, NULL, NULL, NULL, NULL);
    char *ip = f->ptr, *op = buf;
    size_t il = f->len, ol = cap - 1;
    if (iconv(r->cp1252, &ip, &il, &op, &ol) == (size_t)-1)
        return 0;
    *op = '\0';
    f->ptr = buf;
    f->len = (size_t)(op - buf);
    return 1;
}

/* UTF-8 text without control characters other than tab and line ends
 * (a quoted location may span lines). */
static bool is_text(const char *v, size_t n)
{
    const unsigned char *s = (const unsigned char *)v;
    for (size_t i = 0; i < n;) {
        if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7f)
            return false;
        size_t k = utf8_seq(s + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* 'value' for a message: at most QUOTE_MAX bytes, cut between characters,
 * control bytes and broken UTF-8 shown as '?', so a log line stays one
 * readable UTF-8 line whatever the file holds. */
static void quote_value(char *out, size_t cap, const char *v, size_t n)
{
    const unsigned char *s = (const unsigned char *)v;
    size_t o = 0, i = 0;
    out[o++] = '\'';
    while (i < n && o + 4 + 5 < cap && i < QUOTE_MAX) {
        size_t k = utf8_seq(s + i, n - i);
        if (k == 0 || s[i] < 0x20 || s[i] == 0x7f) {
            out[o++] = '?';
            i++;
        } else if (i + k > QUOTE_MAX) {
            break;
        } else {
            memcpy(out + o, v + i, k);
            o += k;
            i += k;
        }
    }
    if (i < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '\'';
    out[o] = '\0';
}

/* ASCII case-insensitive equality; no locale. */
static bool name_eq(const char *a, size_t n, const char *name)
{
    if (strlen(name) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] - 'A' + 'a') : a[i];
        if (x != name[i])
            return false;
    }
    return true;
}

static int read_header(tickets_reader *r, const csv_record *rec)
{
    for (int c = 0; c < C_COUNT; c++)
        r->col[c] = -1;
    for (size_t i = 0; i < rec->nfields; i++) {
        csv_field f = rec->fields[i];
        trim(&f);
        for (int c = 0; c < C_COUNT; c++) {
            if (!name_eq(f.ptr, f.len, col_names[c][0]) && !name_eq(f.ptr, f.len, col_names[c][1]))
                continue;
            if (r->col[c] >= 0) {
                snprintf(r->err, sizeof r->err, "line %lu: two %s columns (%d and %zu)",
                         rec->line, col_names[c][0], r->col[c] + 1, i + 1);
                return AB_E_PARSE;
            }
            r->col[c] = (int)i;
        }
    }
    for (int c = 0; c < C_COUNT; c++)
        if (r->col[c] < 0 && !optional(c)) {
            snprintf(r->err, sizeof r->err, "line %lu: no %s column", rec->line,
                     col_names[c][0]);
            return AB_E_PARSE;
        }
    r->nfields = rec->nfields;
    r->header_done = true;
    return AB_OK;
}

/* Drops the separators people write inside references and upper-cases
 * letters.  Returns the length, -1 for any other character, -2 when it is
 * longer than AB_REF_MAX. */
static int normalise_ref(const char *v, size_t n, char out[AB_REF_MAX + 1])
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == ' ' || c == '.' || c == '-' || c == '/')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
            return -1;
        if (o == AB_REF_MAX)
            return -2;
        out[o++] = c;
    }
    out[o] = '\0';
    return (int)o;
}

/* Each check below returns NULL when the value is fine, else what is
 * wrong with it; msg is room for a reason that has to be formatted. */
typedef char reason_buf[128];

/* Kassenzeichen (digits under the configured scheme) or RF creditor
 * reference (ISO 11649), normalised into out. */
static const char *check_reference(const csv_field *f, enum cd_scheme scheme,
                                   char out[AB_REF_MAX + 1], reason_buf msg);

const char *tickets_check_reference(const char *v, size_t n, enum cd_scheme scheme,
                                    char out[AB_REF_MAX + 1], char msg[128])
{
    csv_field f = {.ptr = (char *)(uintptr_t)v, .len = n};
    return check_reference(&f, scheme, out, msg);
}

/* "4,00E+11": a spreadsheet that took the column for numbers rounded the
 * Kassenzeichen and wrote it in scientific notation; the digits are lost,
 * and the clerk needs to know why and what to do, not just "digits only". */
static bool scientific(const char *s, size_t n)
{
    size_t i = 0, d = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == 0 || i == n || (s[i] != ',' && s[i] != '.' && s[i] != 'E' && s[i] != 'e'))
        return false;
    if (s[i] == ',' || s[i] == '.')
        while (++i < n && s[i] >= '0' && s[i] <= '9')
            ;
    if (i == n || (s[i] != 'E' && s[i] != 'e'))
        return false;
    if (++i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        d++;
    return d > 0 && i == n;
}

static const char *check_reference(const csv_field *f, enum cd_scheme scheme,
                                   char out[AB_REF_MAX + 1], reason_buf msg)
{
    if (scientific(f->ptr, f->len))
        return "not a Kassenzeichen: a spreadsheet wrote it as a rounded number"
               " (format the column as text and export again)";
    bool rf = f->len >= 2 && (f->ptr[0] == 'R' || f->ptr[0] == 'r') &&
              (f->ptr[1] == 'F' || f->ptr[1] == 'f');
    int k = normalise_ref(f->ptr, f->len, out);
    if (rf)
        return k > 0 && refscan_rf_valid(out, (size_t)k)
                   ? NULL
                   : "not a valid RF creditor reference (ISO 11649)";
    size_t n = k > 0 ? (size_t)k : 0;
    for (size_t i = 0; i < n; i++)
        k = out[i] < '0' || out[i] > '9' ? -1 : k;
    if (k == -1)
        return "not a Kassenzeichen (digits only)";
    if (k == -2 || n < AB_REF_MIN) {
        snprintf(msg, sizeof(reason_buf), "not a Kassenzeichen (%u to %u digits)", AB_REF_MIN,
                 AB_REF_MAX);
        return msg;
    }
    if (cd_valid(scheme, out, n))
        return NULL;
    char c[2];
    size_t w = cd_width(scheme);
    if (cd_compute(scheme, out, n - w, c) == (int)w)
        snprintf(msg, sizeof(reason_buf), "check digit does not match (%s expects %.*s)",
                 cd_scheme_name(scheme), (int)w, c);
    else
        snprintf(msg, sizeof(reason_buf),
                 "check digit does not match (%s has none for this number)",
                 cd_scheme_name(scheme));
    return msg;
}

/* Plate and location are stored as text: UTF-8 (or recoded from
 * Windows-1252), of a sane length. */
static const char *check_text(const csv_field *f, unsigned max, const char *what,
                              reason_buf msg)
{
    if (f->len <= max && is_text(f->ptr, f->len))
        return NULL;
    snprintf(msg, sizeof(reason_buf), "not %s (UTF-8 or Windows-1252 text of at most %u bytes)",
             what, max);
    return msg;
}

/* 6 digits, the first naming the regulation 1..9 (fines-domain.md §2.1). */
static const char *check_tbnr(const csv_field *f)
{
    bool ok = f->len == 6 && f->ptr[0] >= '1' && f->ptr[0] <= '9';
    for (size_t i = 1; ok && i < 6; i++)
        ok = f->ptr[i] >= '0' && f->ptr[i] <= '9';
    return ok ? NULL : "not a 6-digit TBNR";
}

/* money_parse reads up to 5 fraction digits; a ticket has cents, and
 * "1.000" is a thousand euros to a German clerk, not one euro (money_parse
 * refuses it too; the decimals are counted first so the reason says so). */
static const char *check_amount(const csv_field *f, int64_t *cents)
{
    /* Without a currency mark after it, as a spreadsheet's currency format
     * writes it: "25,00 €" or "25,00 EUR" (money_without_currency). */
    size_t len = money_without_currency(f->ptr, f->len);
    for (size_t i = len; i-- > 0;)
        if (f->ptr[i] == '.' || f->ptr[i] == ',') {
            if (len - i - 1 > 2 && strspn(f->ptr + i + 1, "0123456789") >= len - i - 1)
                return "not an amount (more than 2 decimals)";
            break;
        }
    if (money_parse(f->ptr, len, cents) < 0)
        return "not an amount";
    return *cents > 0 ? NULL : "not a positive amount";
}

/* An international vehicle code as on the oval sticker: 1-3 letters
 * ("D", "NL", "PL", "USA"), upper-cased in place; empty means German. */
static const char *check_nationality(const csv_field *f)
{
    bool ok = f->len <= 3;
    for (size_t i = 0; ok && i < f->len; i++) {
        char c = f->ptr[i];
        if (c >= 'a' && c <= 'z')
            f->ptr[i] = c = (char)(c - 'a' + 'A');
        ok = c >= 'A' && c <= 'Z';
    }
    return ok ? NULL : "not a nationality (1-3 letters, as on the oval sticker)";
}

/* The override mark: the warden set an amount other than the catalogue's
 * on purpose (e.g. within a range the catalogue's table allows). */
static const char *check_yes_no(const csv_field *f, bool *out)
{
    static const char *const yes[] = {"1", "x", "j", "ja", "y", "yes", "true"};
    static const char *const no[] = {"0", "n", "nein", "no", "false"};
    *out = false;
    if (f->len == 0)
        return NULL;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (name_eq(f->ptr, f->len, yes[i])) {
            *out = true;
            return NULL;
        }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (name_eq(f->ptr, f->len, no[i]))
            return NULL;
    return "not yes or no (1/0, ja/nein, x or empty)";
}

/* The row's first problem in column order: its column, or C_COUNT. */
static enum col check_row(const tickets_reader *r, const row *w, ticket *t,
                          char ref[AB_REF_MAX + 1], reason_buf msg, const char **what)
{
    for (int c = 0; c < C_COUNT; c++)
        if (!optional(c) && w->f[c].len == 0) {
            *what = "missing";
            return (enum col)c;
        }
    if ((*what = check_reference(&w->f[C_REF], r->scheme, ref, msg)))
        return C_REF;
    if ((*what = check_text(&w->f[C_PLATE], PLATE_MAX, "a licence plate", msg)))
        return C_PLATE;
    if ((*what = check_tbnr(&w->f[C_TBNR])))
        return C_TBNR;
    if ((*what = check_amount(&w->f[C_AMOUNT], &t->amount_cents)))
        return C_AMOUNT;
    if (datetime_parse(w->f[C_TIME].ptr, w->f[C_TIME].len, &t->offense_time) < 0) {
        *what = "not a date";
        return C_TIME;
    }
    if ((*what = check_text(&w->f[C_LOC], AB_TEXT_FIELD_MAX, "a location", msg)))
        return C_LOC;
    if ((*what = check_nationality(&w->f[C_NAT])))
        return C_NAT;
    if ((*what = check_yes_no(&w->f[C_OVR], &t->amount_override)))
        return C_OVR;
    return C_COUNT;
}

/* Reports "what: 'value'" (just "what" for an empty value). */
static int reject(const tickets_reader *r, const row *w, enum col c, const char *what)
{
    char reason[AB_ERRMSG_MAX];
    char q[QUOTE_MAX * 2 + 8];
    if (w->f[c].len) {
        quote_value(q, sizeof q, w->f[c].ptr, w->f[c].len);
        snprintf(reason, sizeof reason, "%s: %s", what, q);
        what = reason;
    }
    return r->sink.on_reject(r->sink.ctx, w->line, col_names[c][0], what);
}

static bool blank(const csv_record *rec)
{
    for (size_t i = 0; i < rec->nfields; i++)
        for (size_t k = 0; k < rec->fields[i].len; k++)
            if (rec->fields[i].ptr[k] != ' ' && rec->fields[i].ptr[k] != '\t')
                return false;
    return true;
}

/* A row whose shape is wrong: malformed quoting or a field count that
 * differs from the header's, so no value can be trusted to its column. */
static const char *check_shape(const tickets_reader *r, const csv_record *rec, reason_buf msg)
{
    if (rec->flags & CSV_UNTERMINATED)
        return "a quote is never closed";
    if (rec->flags & CSV_STRAY_QUOTE)
        return "a '\"' inside a field that is not quoted as a whole";
    if (rec->nfields == r->nfields)
        return NULL;
    snprintf(msg, sizeof(reason_buf), "%zu fields, the header has %zu", rec->nfields,
             r->nfields);
    return msg;
}

static int read_row(tickets_reader *r, const csv_record *rec)
{
    reason_buf msg;
    const char *what = check_shape(r, rec, msg);
    if (what)
        return r->sink.on_reject(r->sink.ctx, rec->line, "line", what);
    row w = {.line = rec->line};
    for (int c = 0; c < C_COUNT; c++) {
        if (r->col[c] < 0) {
            w.f[c].ptr = w.none;
            continue;
        }
        w.f[c] = rec->fields[r->col[c]];
        trim(&w.f[c]);
    }
    int recoded = recode(r, &w.f[C_PLATE], r->plate_u, sizeof r->plate_u) +
                  recode(r, &w.f[C_LOC], r->loc_u, sizeof r->loc_u);
    ticket t = {.line = rec->line};
    char ref[AB_REF_MAX + 1];
    enum col bad = check_row(r, &w, &t, ref, msg, &what);
    if (bad != C_COUNT)
        return reject(r, &w, bad, what);
    r->recoded += (size_t)recoded;
    t.reference = ref;
    t.plate = w.f[C_PLATE].ptr;
    t.tbnr = w.f[C_TBNR].ptr;
    t.location = w.f[C_LOC].ptr;
    t.nationality = w.f[C_NAT].ptr;
    return r->sink.on_ticket(r->sink.ctx, &t);
}

/* csv.c's callback: blank lines are skipped, the first record is the
 * header, every later one a ticket. */
static int on_record(void *ctx, const csv_record *rec)
{
    tickets_reader *r = ctx;
    if (blank(rec) && !(rec->flags & CSV_UNTERMINATED))
        return AB_OK;
    if (!r->header_done)
        return read_header(r, rec);
    int rc = read_row(r, rec);
    if (rc < 0)
        snprintf(r->err, sizeof r->err, "line %lu: the receiver of tickets failed: %s",
                 rec->line, ab_strerror(rc));
    return rc;
}

int tickets_reader_feed(tickets_reader *r, const char *buf, size_t n, bool last)
{
    int rc = csv_feed(r->csv, buf, n, last, on_record, r);
    if (rc == AB_OK && last && !r->header_done) {
        snprintf(r->err, sizeof r->err, "line 1: no header row");
        rc = AB_E_PARSE;
    }
    if (rc < 0 && !r->err[0])
        snprintf(r->err, sizeof r->err, "%s",
                 csv_error(r->csv)[0] ? csv_error(r->csv) : ab_strerror(rc));
    return rc;
}
