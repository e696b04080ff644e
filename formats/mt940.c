/*
 * mt940.c - streaming reader of MT940/MT942; see mt940.h.
 *
 * Pipeline: bytes -> lines (split at LF, CR and other control bytes at
 * either end dropped, at most MT_LINE_MAX) -> fields: a line opens a field
 * only when it starts with a known tag ':NN[A-Z]?:' (bank-formats.md §3 #5:
 * wrapped ':86:' text may start with ':' or a time), every other line is a
 * continuation of the open field; '-' alone (or '-}') ends a message, and a
 * new ':20:' ends one too -> the field, its lines joined by '\n', converted
 * to UTF-8 -> the handler of its tag.  A ':61:' waits for its ':86:' and is
 * handed to the sink when the next field starts.
 *
 * Statements: ':60F:' opens one (on_statement), ':62M:' closes a page and
 * the next message of the same account and statement number continues it
 * (its ':60M:' must repeat the ':62M:'), ':62F:' closes it with the balance
 * check.  A message with ':34F:'/':13D:'/':90D:'/':90C:' is an MT942 and is
 * one statement of pending entries.  A statement left without ':62F:' at the
 * end of the file is an error: a truncated statement must not pass.
 *
 * ':86:': 'GVC?NN..' is structured (line breaks removed first, as banks
 * wrap through subfield tags); ?00 booking text -> entry_info, ?20-?29 and
 * ?60-?63 -> remittance lines joined by '\n', ?30/?31 -> counterparty
 * bank/account, ?32+?33 -> name, EREF+ of the joined remittance ->
 * end_to_end_id.  Anything else is free text kept whole as remittance.
 */
#include "mt940.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../engine/arena.h"
#include "../engine/date.h"
#include "../engine/limits.h"
#include "../engine/mem.h"
#include "../engine/money.h"

/* A SWIFT message holds at most 2000 characters, so no line is longer. */
#define MT_LINE_MAX 2000u
/* One field with its continuation lines; ':86:' is 6 x 65 by the rules. */
#define MT_FIELD_MAX AB_REMITTANCE_MAX
/* The field as UTF-8: a CP1252 byte becomes at most 3 bytes. */
#define MT_TEXT_MAX (3u * MT_FIELD_MAX)
/* ?NN subfields in one ':86:' (a full one has about 20). */
#define MT_SUBFIELDS 128u
/* SEPA keywords looked at in one ':86:'. */
#define MT_KEYWORDS 32u
/* Strings of one entry. */
#define MT_ENTRY_ARENA (4u * MT_TEXT_MAX)
/* A ?2x subfield holds 27 characters; a full one may flow into the next. */
#define MT_SUBFIELD_FULL 27u

_Static_assert(MT_LINE_MAX < MT_FIELD_MAX, "a line fits a field");
_Static_assert(MT_TEXT_MAX < 65535u, "subfield offsets fit unsigned short");

typedef struct sub {
    unsigned char num;          /* 0..99 */
    unsigned short start, len;  /* bytes in the text */
} sub;

/* A ':86:' split into subfields over its text without line breaks. */
typedef struct info86 {
    char gvc[4];
    int structured;
    char t[MT_TEXT_MAX + 1];
    size_t n;
    sub s[MT_SUBFIELDS];
    unsigned ns;
} info86;

/* The remittance subfields concatenated, for the SEPA keywords. */
typedef struct joined {
    char t[MT_TEXT_MAX + 1];
    size_t n;
    sub s[MT_SUBFIELDS];        /* start/len in t, num as sent */
    unsigned short chars[MT_SUBFIELDS];
    unsigned ns;
} joined;

typedef struct balance {
    char mark;                  /* 'C' or 'D' */
    int32_t day;
    char ccy[4];
    int64_t cents;              /* signed */
} balance;

struct mt940_reader {
    camt_sink sink;
    const char *filename;
    int rc;
    char err[AB_ERRMSG_MAX];
    size_t fed;
    unsigned long lineno;                   /* lines read so far */
    char line[MT_LINE_MAX + 1];
    size_t line_len;
    /* the open field */
    char tag[4];
    unsigned long field_line;
    char raw[MT_FIELD_MAX + 1];
    size_t raw_len;
    char text[MT_TEXT_MAX + 1];
    size_t text_len;
    /* the message */
    int in_msg, msg942;
    char ref20[AB_ID_MAX + 1], account[AB_ID_MAX + 1], number[AB_ID_MAX + 1];
    char time13[32], ccy942[4];
    int has90d, has90c;
    long n90d, n90c;
    int64_t s90d, s90c;
    /* the statement */
    int st_open, st_cont, st_942, any_statement, skipping;
    statement st;
    char format[8], st_account[AB_ID_MAX + 1], st_ccy[4], st_id[3 * AB_ID_MAX + 40];
    char st_number[AB_ID_MAX + 1], created[32];
    int64_t last_m;                         /* the :62M: of the previous page */
    long pend_ncr, pend_ndb;
    int64_t pend_cr, pend_db;
    /* the entry waiting for its :86: */
    arena *ea;
    int have_entry;
    unsigned long entry_line;
    payment p;
    char type[5];
    const char *supplement;
    info86 info;
    joined j;
};

/* --- errors and small helpers ------------------------------------------- */

static void fail(mt940_reader *r, unsigned long line, int code, const char *field,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void fail(mt940_reader *r, unsigned long line, int code, const char *field,
                 const char *fmt, ...)
{
    if (r->rc < 0)
        return;
    char msg[AB_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->err, sizeof r->err, "%s:%lu: %s: %s", r->filename, line, field, msg);
    r->rc = code;
}

/* Fails for the open field: `FILE:LINE: :TAG: reason`. */
#define FFAIL(r, code, ...)                                                   \
    do {                                                                      \
        char tag_[8];                                                         \
        snprintf(tag_, sizeof tag_, ":%s:", (r)->tag);                        \
        fail((r), (r)->field_line, (code), tag_, __VA_ARGS__);                \
    } while (0)

static void copy_field(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return 0;
    return 1;
}

static int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* The first line of the field text, trimmed. */
static void first_line(const mt940_reader *r, const char **s, size_t *n)
{
    const char *nl = memchr(r->text, '\n', r->text_len);
    *s = r->text;
    *n = nl ? (size_t)(nl - r->text) : r->text_len;
    trim(s, n);
}

static const char *keep(mt940_reader *r, const char *s, size_t n)
{
    const char *d = arena_strndup(r->ea, s, n);
    if (!d)
        FFAIL(r, AB_E_LIMIT, "entry larger than %u bytes", MT_ENTRY_ARENA);
    return d ? d : "";
}

/* --- character set ------------------------------------------------------- */

/* CP1252 0x80..0x9F; 0 where CP1252 has no character (Latin-1 then). */
static const unsigned short cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
    0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

/* Valid UTF-8 when line breaks are skipped: a bank's 65-byte wrap may fall
 * inside a character. */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i++];
        if (c < 0x80)
            continue;
        int need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            return 0;
        }
        for (int k = 0; k < need; k++, i++) {
            while (i < n && s[i] == '\n')
                i++;
            if (i >= n || s[i] < lo || s[i] > hi)
                return 0;
            lo = 0x80;
            hi = 0xBF;
        }
    }
    return 1;
}

static unsigned char plain(unsigned char c)
{
    return (c < 0x20 && c != '\n') || c == 0x7F ? ' ' : c;
}

/* Copies valid UTF-8; a line break inside a character moves behind it. */
static size_t copy_utf8(const unsigned char *s, size_t n, char *out)
{
    size_t o = 0, nl = 0;
    int left = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\n' && left) {
            nl++;
            continue;
        }
        out[o++] = (char)plain(c);
        if (c >= 0xC0)
            left = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        else if (c >= 0x80 && left && --left == 0)
            for (; nl; nl--)
                out[o++] = '\n';
    }
    return o;
}

static size_t put_cp(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)plain((unsigned char)cp);
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* in[0..n) as UTF-8 into out (>= 3n + 1 bytes); returns the length. */
static size_t to_utf8(const char *in, size_t n, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t o;
    if (valid_utf8(s, n)) {
        o = copy_utf8(s, n, out);
    } else {
        o = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned c = s[i];
            unsigned cp = (c >= 0x80 && c < 0xA0 && cp1252[c - 0x80]) ? cp1252[c - 0x80] : c;
            o += put_cp(cp, out + o);
        }
    }
    out[o] = '\0';
    return o;
}

/* --- dates and amounts ---------------------------------------------------- */

static int ymd_ok(int y, int m, int d)
{
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    int yy, mm, dd;
    date_to_ymd(date_from_ymd(y, m, d), &yy, &mm, &dd);
    return yy == y && mm == m && dd == d;
}

/* YYMMDD: years 80..99 are 19xx, the rest 20xx. */
static int yymmdd(const char *s, int32_t *day)
{
    if (!digits(s, 6))
        return -1;
    int yy = num2(s), y = yy >= 80 ? 1900 + yy : 2000 + yy;
    int m = num2(s + 2), d = num2(s + 4);
    if (!ymd_ok(y, m, d))
        return -1;
    *day = date_from_ymd(y, m, d);
    return 0;
}

/* MMDD of the entry date: the year that puts it nearest to the value date
 * (a value date 2023-01-05 with entry date 1230 is 2022-12-30). */
static int entry_day(const char *s, int32_t value, int32_t *day)
{
    if (!digits(s, 4))
        return -1;
    int y, m, d, found = 0;
    date_to_ymd(value, &y, &m, &d);
    int32_t best = 0;
    for (int k = -1; k <= 1; k++) {
        if (!ymd_ok(y + k, num2(s), num2(s + 2)))
            continue;
        int32_t c = date_from_ymd(y + k, num2(s), num2(s + 2));
        int32_t dist = c > value ? c - value : value - c;
        int32_t bdist = best > value ? best - value : value - best;
        if (!found || dist < bdist)
            best = c;
        found = 1;
    }
    if (!found)
        return -1;
    *day = best;
    return 0;
}

/* SWIFT amount: digits, one decimal comma, up to 15 characters. */
static int swift_amount(const char *s, size_t n, int64_t *cents)
{
    size_t comma = n;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ',' && comma == n)
            comma = i;
        else if (!is_digit(s[i]))
            return -1;
    }
    if (n == 0 || n > 15 || comma == 0 || comma == n)
        return -1;
    if (comma == n - 1)
        n--; /* "300," is 300.00 */
    return money_parse(s, n, cents) < 0 ? -1 : 0;
}

/* Length of the amount at s: digits and commas. */
static size_t amount_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (is_digit(s[i]) || s[i] == ','))
        i++;
    return i;
}

static void fmt_eur(int64_t c, char *b, size_t n)
{
    money_format(c, b, n);
}
