/*
 * csv.c - resumable RFC 4180 tokenizer; see csv.h.
 *
 * Design: a byte-at-a-time state machine whose whole state lives in the
 * csv struct, so a chunk boundary can fall anywhere and nothing is ever
 * looked ahead at (that is what makes any chunking give the same records).
 * Unquoted field bytes are copied into one buffer, each field followed by
 * a NUL in the place of its separator; a record is handed out when its
 * line ends.  Every input byte yields at most one output byte (a CR held
 * back until we know it is not part of CRLF is the only byte that yields
 * its output later), so
 *   output bytes of a record + 1 <= its input bytes + 1 <= AB_CSV_MAX_LINE + 2,
 * which bounds the buffer, and also lets the buffer be tokenized in place:
 * the write position never passes the read position.
 *
 * Separator detection (sep 0) uses that in-place property: the first
 * record is kept as written, the separators are counted outside quotes,
 * and then the kept bytes are fed to the state machine from the buffer
 * itself.  Records that hold neither ';' nor ',' at all (blank lines
 * before a header) tokenize the same under both and are passed on at once.
 */
#include "csv.h"

#include <assert.h>
#include <stdio.h>

#include "../engine/limits.h"
#include "../engine/mem.h"

enum state {
    ST_FIELD_START, /* nothing of the current field read yet */
    ST_UNQUOTED,    /* inside a field that did not start with '"' */
    ST_QUOTED,      /* inside "..." */
    ST_QUOTE_END,   /* read a '"' inside "...": "" escape or the closing quote */
    ST_CR,          /* read a CR outside quotes: CRLF, or a CR that is data */
};

#define BUF_CAP (AB_CSV_MAX_LINE + 2u)

static const char bom[3] = {'\xef', '\xbb', '\xbf'};

struct csv {
    char sep;                /* 0 while detecting */
    enum state st;
    enum state before_cr;    /* state the held-back CR interrupted */
    char *buf;               /* BUF_CAP bytes */
    size_t len;              /* output bytes of the current record */
    size_t fstart;           /* where the current field starts in buf */
    size_t raw;              /* input bytes of the current record */
    bool in_record;          /* some byte of a record has been read */
    unsigned flags;
    csv_field fields[AB_CSV_MAX_FIELDS];
    size_t nfields;
    unsigned long line;      /* physical line of the next byte */
    unsigned long rec_line;  /* physical line of the current record */
    unsigned bom_seen;       /* BOM bytes matched; 3 + 1 once decided */
    /* Detection: the first record kept as written. */
    size_t kept;             /* bytes kept in buf[0..kept) */
    bool det_quoted;         /* odd number of '"' so far */
    bool det_any;            /* a ';' or ',' anywhere in the kept bytes */
    size_t det_semi, det_comma;
    int rc;                  /* sticky failure */
    char err[AB_ERRMSG_MAX];
};

#define BOM_DECIDED 4u

int csv_create(csv **out, char sep)
{
    if (sep == '"' || sep == '\r' || sep == '\n')
        return AB_E_INVAL;
    csv *c = mem_calloc(1, sizeof *c);
    if (!c)
        return AB_E_NOMEM;
    c->buf = mem_alloc(BUF_CAP);
    if (!c->buf) {
        mem_free(c);
        return AB_E_NOMEM;
    }
    c->sep = sep;
    c->st = ST_FIELD_START;
    c->line = 1;
    c->rec_line = 1;
    *out = c;
    return AB_OK;
}

void csv_destroy(csv *c)
{
    if (!c)
        return;
    mem_free(c->buf);
    mem_free(c);
}

char csv_sep(const csv *c)
{
    return c->sep;
}

const char *csv_error(const csv *c)
{
    return c->err;
}

/* "line 7: record longer than 16384 bytes" */
static int fail_limit(csv *c, const char *what, unsigned limit, const char *unit)
{
    snprintf(c->err, sizeof c->err, "line %lu: %s %u %s", c->rec_line, what, limit, unit);
    return c->rc = AB_E_LIMIT;
}

/* Counts one input byte of the current record against AB_CSV_MAX_LINE.  A
 * CR may be the first half of the line end, so it may stand one past the
 * limit until the next byte tells. */
static int count_raw(csv *c, char ch)
{
    c->raw++;
    if (c->raw > AB_CSV_MAX_LINE + 1u || (c->raw > AB_CSV_MAX_LINE && ch != '\r'))
        return fail_limit(c, "record longer than", AB_CSV_MAX_LINE, "bytes");
    return AB_OK;
}

static void put(csv *c, char ch)
{
    assert(c->len < BUF_CAP);
    c->buf[c->len++] = ch;
}

static int end_field(csv *c)
{
    if (c->nfields == AB_CSV_MAX_FIELDS)
        return fail_limit(c, "more than", AB_CSV_MAX_FIELDS, "fields");
    c->fields[c->nfields].ptr = c->buf + c->fstart;
    c->fields[c->nfields].len = c->len - c->fstart;
    c->nfields++;
    put(c, '\0');
    c->fstart = c->len;
    c->st = ST_FIELD_START;
    return AB_OK;
}

/* The line end (or the end of input) closes the record. */
static int end_record(csv *c, csv_record_fn fn, void *ctx)
{
    int rc = end_field(c);
    if (rc < 0)
        return rc;
    csv_record rec = {.fields = c->fields, .nfields = c->nfields, .line = c->rec_line,
                      .flags = c->flags};
    rc = fn(ctx, &rec);
    c->len = c->fstart = c->raw = c->nfields = 0;
    c->flags = 0;
    c->in_record = false;
    if (rc < 0)
        c->rc = rc;
    return rc;
}

/* One byte outside quotes, at a field start or inside an unquoted field. */
static int unquoted_byte(csv *c, char ch, csv_record_fn fn, void *ctx)
{
    if (ch == c->sep)
        return end_field(c);
    if (ch == '\n')
        return end_record(c, fn, ctx);
    if (ch == '\r') {
        c->before_cr = c->st;
        c->st = ST_CR;
        return AB_OK;
    }
    if (ch == '"') {
        if (c->st == ST_FIELD_START) {
            c->st = ST_QUOTED;
            return AB_OK;
        }
        c->flags |= CSV_STRAY_QUOTE; /* kept as data, the record flagged */
    }
    put(c, ch);
    c->st = ST_UNQUOTED;
    return AB_OK;
}

/* One byte through the state machine. */
static int step(csv *c, char ch, csv_record_fn fn, void *ctx)
{
    if (ch != '\n' || c->st == ST_QUOTED) {
        int rc = count_raw(c, ch);
        if (rc < 0)
            return rc;
    }
    c->in_record = true;
    switch (c->st) {
    case ST_QUOTED:
        if (ch == '"')
            c->st = ST_QUOTE_END;
        else
            put(c, ch);
        return AB_OK;
    case ST_QUOTE_END:
        if (ch == '"') {
            put(c, '"');
            c->st = ST_QUOTED;
            return AB_OK;
        }
        if (ch != c->sep && ch != '\n' && ch != '\r')
            c->flags |= CSV_STRAY_QUOTE; /* "abc"def: text after the closing quote */
        /* Still ST_QUOTE_END, so a CR remembers it followed a closing quote. */
        return unquoted_byte(c, ch, fn, ctx);
    case ST_CR:
        if (ch == '\n')
            return end_record(c, fn, ctx);
        /* A lone CR is data. */
        if (c->before_cr == ST_QUOTE_END)
            c->flags |= CSV_STRAY_QUOTE;
        put(c, '\r');
        c->st = ST_UNQUOTED;
        return unquoted_byte(c, ch, fn, ctx);
    case ST_FIELD_START:
    case ST_UNQUOTED:
        return unquoted_byte(c, ch, fn, ctx);
    }
    return AB_OK;
}

/* p may point into c->buf (detection replay): see the header comment. */
static int tokenize(csv *c, const char *p, size_t n, csv_record_fn fn, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\n' && c->st != ST_QUOTED) {
            int rc = step(c, ch, fn, ctx);
            c->line++;
            c->rec_line = c->line;
            if (rc < 0)
                return rc;
            continue;
        }
        if (ch == '\n')
            c->line++;
        int rc = step(c, ch, fn, ctx);
        if (rc < 0)
            return rc;
    }
    return AB_OK;
}

/* Tokenizes the kept bytes; ends detection when they hold a ';' or ','. */
static int detect_done(csv *c, csv_record_fn fn, void *ctx)
{
    size_t n = c->kept;
    c->kept = 0;
    c->raw = 0;
    c->det_quoted = false;
    /* Without any ';' or ',' the kept bytes split the same under either. */
    c->sep = !c->det_any ? ',' : c->det_semi > c->det_comma ? ';' : ',';
    bool decided = c->det_any;
    c->det_semi = c->det_comma = 0;
    int rc = tokenize(c, c->buf, n, fn, ctx);
    /* Keep detecting only while the tokenizer holds nothing of a record:
     * new kept bytes go to buf[0..], where its output would be.  (It holds
     * something only when a stray quote made it read a line end as data.) */
    if (!decided && !c->in_record)
        c->sep = 0;
    return rc;
}

/* Keeps bytes as written until the first record that holds a ';' or ','
 * has ended (at a LF with an even number of quotes before it). */
static int detect(csv *c, const char *p, size_t n, csv_record_fn fn, void *ctx)
{
    size_t i = 0;
    while (i < n && !c->sep) {
        char ch = p[i++];
        bool ends = ch == '\n' && !c->det_quoted;
        if (!ends) {
            /* c->raw bounds the kept bytes; tokenize recounts them later. */
            int rc = count_raw(c, ch);
            if (rc < 0)
                return rc;
        }
        assert(c->kept < BUF_CAP);
        c->buf[c->kept++] = ch;
        if (ch == '"') {
            c->det_quoted = !c->det_quoted;
        } else if (ch == ';' || ch == ',') {
            c->det_any = true;
            c->det_semi += ch == ';' && !c->det_quoted;
            c->det_comma += ch == ',' && !c->det_quoted;
        } else if (ends) {
            int rc = detect_done(c, fn, ctx);
            if (rc < 0)
                return rc;
        }
    }
    return i < n ? tokenize(c, p + i, n - i, fn, ctx) : AB_OK;
}

static int push(csv *c, const char *p, size_t n, csv_record_fn fn, void *ctx)
{
    return c->sep ? tokenize(c, p, n, fn, ctx) : detect(c, p, n, fn, ctx);
}

/* Skips a UTF-8 BOM at the very start, even when it arrives byte by byte;
 * returns how many bytes of p it consumed. */
static size_t skip_bom(csv *c, const char *p, size_t n, bool last, int *rc, csv_record_fn fn,
                       void *ctx)
{
    size_t i = 0;
    while (c->bom_seen < 3 && i < n && p[i] == bom[c->bom_seen]) {
        c->bom_seen++;
        i++;
    }
    if (c->bom_seen == 3) {
        c->bom_seen = BOM_DECIDED;
    } else if (i < n || last) {
        /* Not a BOM after all: its first bytes were data. */
        unsigned k = c->bom_seen;
        c->bom_seen = BOM_DECIDED;
        *rc = push(c, bom, k, fn, ctx);
    }
    return i;
}

/* End of input: the kept bytes, a last record without a line end. */
static int finish(csv *c, csv_record_fn fn, void *ctx)
{
    if (!c->sep && c->kept) {
        int rc = detect_done(c, fn, ctx);
        if (rc < 0)
            return rc;
    }
    if (!c->in_record)
        return AB_OK;
    if (c->st == ST_QUOTED)
        c->flags |= CSV_UNTERMINATED;
    /* A CR at the very end is taken for a cut-off CRLF. */
    return end_record(c, fn, ctx);
}

int csv_feed(csv *c, const char *buf, size_t n, bool last, csv_record_fn fn, void *ctx)
{
    if (c->rc < 0)
        return c->rc;
    int rc = AB_OK;
    size_t i = 0;
    if (c->bom_seen != BOM_DECIDED)
        i = skip_bom(c, buf, n, last, &rc, fn, ctx);
    if (rc == AB_OK && i < n)
        rc = push(c, buf + i, n - i, fn, ctx);
    if (rc == AB_OK && last)
        rc = finish(c, fn, ctx);
    if (rc < 0)
        c->rc = rc;
    return rc;
}
