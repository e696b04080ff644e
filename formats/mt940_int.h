/*
 * mt940_int.h - what the MT940 reader's files share (mt940.c, mt940_86.c,
 * mt940_charset.c): the reader, the ':86:' it splits into subfields, the
 * small helpers all three use, and the calls one of them makes into
 * another.  Private to those files; everyone else uses mt940.h.
 *
 * Data: one mt940_reader per file read, owned by the caller of
 * mt940_reader_create (mt940.c), which also frees what mt940_charset.c
 * allocates in it (dos, cp850).  The helpers below are static inline so
 * that each file keeps its own copy, as when they were one file's statics,
 * and the linker sees no unprefixed names.
 *
 * Invariants: a field is at most MT_FIELD_MAX raw bytes and MT_TEXT_MAX
 * bytes as UTF-8, so subfield offsets fit unsigned short; a string an
 * entry points to lives in the entry arena (keep, sub_join), the reader or
 * static storage (return_reason), and dies with the next entry at most.
 */
#ifndef AB_MT940_INT_H
#define AB_MT940_INT_H

#include <iconv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../engine/arena.h"
#include "../engine/limits.h"
#include "mt940.h"

/* A SWIFT message holds at most 2000 characters, so no line is longer. */
#define MT_LINE_MAX 2000u
/* One field with its continuation lines; ':86:' is 6 x 65 by the rules. */
#define MT_FIELD_MAX AB_REMITTANCE_MAX
/* The field as UTF-8: a CP1252 byte becomes at most 3 bytes. */
#define MT_TEXT_MAX (3u * MT_FIELD_MAX)
/* ?NN subfields in one ':86:' (a full one has about 20). */
#define MT_SUBFIELDS 128u
/* Strings of one entry. */
#define MT_ENTRY_ARENA (4u * MT_TEXT_MAX)

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

struct mt940_reader {
    camt_sink sink;
    const char *filename;
    int rc;
    char err[AB_ERRMSG_MAX];
    size_t fed;
    unsigned long lineno;                   /* lines read so far */
    size_t line_off, next_line_off;         /* byte offsets: this line, the next */
    size_t field_off;                       /* where the open field's line starts */
    size_t bad_at;                          /* index in raw of an undecodable byte */
    char line[MT_LINE_MAX + 1];
    size_t line_len;
    /* the open field */
    char tag[4];
    unsigned long field_line;
    char raw[MT_FIELD_MAX + 1];
    size_t raw_len;
    char text[MT_TEXT_MAX + 1];
    iconv_t cp850;            /* opened at the first DOS code page field, else (iconv_t)-1 */
    char *dos;                /* MT_TEXT_MAX + 1 bytes: that field in UTF-8, before plain() */
    size_t text_len;
    /* the message */
    int in_msg, msg942;
    char ref20[AB_ID_MAX + 1], account[AB_ID_MAX + 1], number[AB_ID_MAX + 1];
    char time13[32], ccy942[4];
    int has90d, has90c;
    unsigned long line90d, line90c;
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
    char fold[MT_TEXT_MAX + 1];             /* a text folded for the Sammler tests */
};

/* --- errors and small helpers ------------------------------------------- */

/* The longest prefix of s[0..n) of at most max bytes that ends between
 * characters: cutting UTF-8 must not leave half a character. */
static inline size_t utf8_fit(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

static inline void copy_field(char *dst, size_t cap, const char *s, size_t n)
{
    n = utf8_fit(s, n, cap - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Replaces bytes that do not form UTF-8 (a message cut mid-character, a
 * file name) by '?', so every message can go into JSON as it is. */
static inline void utf8_repair(char *s)
{
    unsigned char *u = (unsigned char *)s;
    while (*u) {
        int n = *u < 0x80 ? 0 : (*u & 0xE0) == 0xC0 && *u >= 0xC2 ? 1
                : (*u & 0xF0) == 0xE0 ? 2 : (*u & 0xF8) == 0xF0 && *u <= 0xF4 ? 3 : -1;
        int k = 1;
        while (n > 0 && k <= n && (u[k] & 0xC0) == 0x80)
            k++;
        if (n < 0 || k <= n) {
            *u++ = '?';
            continue;
        }
        u += n + 1;
    }
}

static inline void fail(mt940_reader *r, unsigned long line, int code, const char *field,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static inline void fail(mt940_reader *r, unsigned long line, int code, const char *field,
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
    utf8_repair(r->err);
    r->rc = code;
}

/* Fails for the open field: `FILE:LINE: TAG: reason` (TAG as in "62F"). */
#define FFAIL(r, code, ...) fail((r), (r)->field_line, (code), (r)->tag, __VA_ARGS__)


static inline void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static inline int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static inline int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return 0;
    return 1;
}

static inline int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static inline const char *keep(mt940_reader *r, const char *s, size_t n)
{
    const char *d = arena_strndup(r->ea, s, n);
    if (!d)
        FFAIL(r, AB_E_LIMIT, "entry larger than %u bytes", MT_ENTRY_ARENA);
    return d ? d : "";
}

/* --- calls between the files ---------------------------------------------- */

/* mt940_charset.c: in[0..n) as UTF-8 into out (>= 3n + 1 bytes); its
 * length, or (size_t)-1 with the index of the bad byte in r->bad_at. */
size_t mt940_to_utf8(mt940_reader *r, const char *in, size_t n, char *out);
/* mt940_86.c: the :86: of the waiting entry into r->p. */
void mt940_86_field(mt940_reader *r);

#endif
