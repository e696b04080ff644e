/*
 * test_csv.c - the resumable CSV tokenizer: RFC 4180 quoting, line ends,
 * physical line numbers, BOM, separator detection, malformed quoting,
 * limits, and the property everything else rests on: any chunking of the
 * input gives the same records (checked on random inputs byte by byte).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../engine/limits.h"
#include "../../formats/csv.h"

/* Records rendered as text: "3 [a|b c] f1\n" = line 3, fields "a" and "b c",
 * flags 1.  Bytes other than printable ASCII are written as \xNN. */
typedef struct out {
    char text[1 << 16];
    size_t len;
    int fail_at;   /* record number whose callback fails, 0 = none */
    int records;
} out;

static void emit(out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->len + 8 < sizeof o->text; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            o->text[o->len++] = (char)c;
        else
            o->len += (size_t)snprintf(o->text + o->len, 8, "\\x%02x", c);
    }
    o->text[o->len] = '\0';
}

static int on_rec(void *ctx, const csv_record *r)
{
    out *o = ctx;
    o->records++;
    if (o->fail_at == o->records)
        return AB_E_DB;
    char head[48];
    int k = snprintf(head, sizeof head, "%lu [", r->line);
    memcpy(o->text + o->len, head, (size_t)k);
    o->len += (size_t)k;
    for (size_t i = 0; i < r->nfields; i++) {
        cr_assert_eq(r->fields[i].ptr[r->fields[i].len], '\0');
        if (i)
            emit(o, "|", 1);
        emit(o, r->fields[i].ptr, r->fields[i].len);
    }
    static const char *const flags[] = {"", " stray", " open", " stray open"};
    k = snprintf(head, sizeof head, "]%s\n", flags[r->flags & 3u]);
    memcpy(o->text + o->len, head, (size_t)k + 1);
    o->len += (size_t)k;
    return AB_OK;
}

/* Feeds data in chunks of step bytes (0: all at once; -1: the cuts given by
 * a pseudo-random sequence) and returns feed's result. */
static int run(char sep, const char *data, size_t n, long step, out *o, char *err, size_t errlen)
{
    int fail_at = o->fail_at;
    memset(o, 0, sizeof *o);
    o->fail_at = fail_at;
    csv *c;
    cr_assert_eq(csv_create(&c, sep), AB_OK);
    int rc = AB_OK;
    size_t i = 0;
    unsigned long long x = 0x2545f4914f6cdd1dull + n;
    while (rc == AB_OK && i < n) {
        size_t k = step > 0 ? (size_t)step : step == 0 ? n : 0;
        if (step < 0) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            k = x % 5;
        }
        if (k > n - i)
            k = n - i;
        rc = csv_feed(c, data + i, k, false, on_rec, o);
        i += k;
    }
    if (rc == AB_OK)
        rc = csv_feed(c, NULL, 0, true, on_rec, o);
    if (err)
        snprintf(err, errlen, "%s", csv_error(c));
    /* After a failure every call gives the same code. */
    if (rc < 0)
        cr_assert_eq(csv_feed(c, "a\n", 2, true, on_rec, o), rc);
    csv_destroy(c);
    return rc;
}

/* Parses s every way and checks all give `want`. */
static void check(char sep, const char *s, const char *want)
{
    static out o;
    size_t n = strlen(s);
    static const long steps[] = {0, 1, 2, 3, 7, -1};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        o.fail_at = 0;
        cr_assert_eq(run(sep, s, n, steps[i], &o, NULL, 0), AB_OK);
        cr_assert_str_eq(o.text, want, "step %ld of <%s>: got <%s>", steps[i], s, o.text);
    }
}

Test(csv, rfc4180_quoting)
{
    check(',', "a,b,c\n", "1 [a|b|c]\n");
    check(',', "a,\"b,c\",d\n", "1 [a|b,c|d]\n");
    check(',', "\"say \"\"hi\"\"\",x\n", "1 [say \"hi\"|x]\n");
    check(',', "\"\",\"\"\"\"\n", "1 [|\"]\n");
    check(',', ",,\n", "1 [||]\n");
    check(';', "a;b,c;\"d;e\"\n", "1 [a|b,c|d;e]\n");
    check('\t', "a\tb c\n", "1 [a|b c]\n");
}

Test(csv, line_ends_and_line_numbers)
{
    check(',', "a,b\r\nc,d\r\n", "1 [a|b]\n2 [c|d]\n");
    check(',', "a,b\nc,d", "1 [a|b]\n2 [c|d]\n");          /* no final line end */
    check(',', "a\n\nb\n", "1 [a]\n2 []\n3 [b]\n");          /* empty line: one empty field */
    check(',', "", "");
    check(',', "\n", "1 []\n");
    check(',', "\"x\ny\",1\nz,2\n", "1 [x\\x0ay|1]\n3 [z|2]\n");
    check(',', "\"x\r\n\r\ny\",1\r\nz,2\r\n", "1 [x\\x0d\\x0a\\x0d\\x0ay|1]\n4 [z|2]\n");
    check(',', "a\rb,c\n", "1 [a\\x0db|c]\n");               /* a lone CR is data */
    check(',', "a\r", "1 [a]\n");                           /* CR at the end: cut-off CRLF */
    check(',', "a\r\r\nb\n", "1 [a\\x0d]\n2 [b]\n");
}

Test(csv, bom)
{
    check(',', "\xef\xbb\xbf" "a,b\n", "1 [a|b]\n");
    check(',', "\xef\xbb\xbf", "");
    check(',', "\xef\xbb" "a\n", "1 [\\xef\\xbba]\n");        /* not a BOM after all */
    check(',', "\xef", "1 [\\xef]\n");
    check(',', "a\xef\xbb\xbf\n", "1 [a\\xef\\xbb\\xbf]\n"); /* only at the very start */
    check(0, "\xef\xbb\xbf" "a;b;c,d\n1;2;3\n", "1 [a|b|c,d]\n2 [1|2|3]\n");
}

Test(csv, separator_detection)
{
    check(0, "a;b;c\n1;2,5;3\n", "1 [a|b|c]\n2 [1|2,5|3]\n");
    check(0, "a,b,c\n1;2,5;3\n", "1 [a|b|c]\n2 [1;2|5;3]\n");
    check(0, "a;b,c\n", "1 [a;b|c]\n");                      /* tie: ',' */
    check(0, "\"a,b,c\";d\n1;2\n", "1 [a,b,c|d]\n2 [1|2]\n");  /* quoted ones do not count */
    check(0, "\n\r\nx\na;b\n1;2\n", "1 []\n2 []\n3 [x]\n4 [a|b]\n5 [1|2]\n");
    check(0, "\"x\ny\"\na;b\n", "1 [x\\x0ay]\n3 [a|b]\n");
    check(0, "a;b", "1 [a|b]\n");                            /* no line end at all */
    check(0, "abc", "1 [abc]\n");
    check(0, "\"a,\nb\";c;d\n", "1 [a,\\x0ab|c|d]\n");
    /* A stray quote hides the ';' from the count, so ',' is taken; the
     * records are still what the tokenizer makes of them under ','. */
    check(0, "a\"b\nc;d\"\ne;f\n", "1 [a\"b] stray\n2 [c;d\"] stray\n3 [e;f]\n");
}

Test(csv, malformed_quoting_is_flagged)
{
    check(',', "ab\"c,d\n", "1 [ab\"c|d] stray\n");
    check(',', "\"ab\"c,d\n", "1 [abc|d] stray\n");
    check(',', "\"ab\"\rc,d\n", "1 [ab\\x0dc|d] stray\n");
    check(',', "a,\"bc\n", "1 [a|bc\\x0a] open\n");
    check(',', "a,\"b\nc,d\n", "1 [a|b\\x0ac,d\\x0a] open\n");
    check(',', "x\"\n\"y\n", "1 [x\"] stray\n2 [y\\x0a] open\n");
    check(',', "ok\nnext\n", "1 [ok]\n2 [next]\n");          /* flags do not leak */
}

static char big[AB_CSV_MAX_LINE * 2 + 64];

Test(csv, record_length_limit)
{
    static out o;
    char err[256];
    for (int crlf = 0; crlf < 2; crlf++) {
        memset(big, 'x', AB_CSV_MAX_LINE);
        size_t n = AB_CSV_MAX_LINE;
        if (crlf)
            big[n++] = '\r';
        memcpy(big + n, "\nshort\n", 7);
        n += 7;
        o.fail_at = 0;
        cr_assert_eq(run(',', big, n, 0, &o, NULL, 0), AB_OK, "exactly at the limit");
        cr_assert_eq(o.records, 2);
        cr_assert_eq(run(0, big, n, 1, &o, NULL, 0), AB_OK, "at the limit while detecting");
        cr_assert_eq(o.records, 2);
        memset(big, 'x', AB_CSV_MAX_LINE + 1);
        n = AB_CSV_MAX_LINE + 1;
        if (crlf)
            big[n++] = '\r';
        memcpy(big + n, "\n", 1);
        n++;
        cr_assert_eq(run(',', big, n, 0, &o, err, sizeof err), AB_E_LIMIT);
        cr_assert_str_eq(err, "line 1: record longer than 16384 bytes");
        cr_assert_eq(run(0, big, n, 3, &o, err, sizeof err), AB_E_LIMIT);
        cr_assert_eq(o.records, 0);
    }
    /* Quoted line ends count; the line number is the record's first line. */
    memcpy(big, "a\nb\n\"", 5);
    memset(big + 5, '\n', AB_CSV_MAX_LINE + 10);
    cr_assert_eq(run(',', big, AB_CSV_MAX_LINE + 15, 0, &o, err, sizeof err), AB_E_LIMIT);
    cr_assert_str_eq(err, "line 3: record longer than 16384 bytes");
    cr_assert_eq(run(0, big, AB_CSV_MAX_LINE + 15, 0, &o, err, sizeof err), AB_E_LIMIT);
    cr_assert_str_eq(err, "line 3: record longer than 16384 bytes");
    /* A run of CRs cannot slip past the limit. */
    memset(big, '\r', AB_CSV_MAX_LINE + 10);
    cr_assert_eq(run(',', big, AB_CSV_MAX_LINE + 10, 1, &o, NULL, 0), AB_E_LIMIT);
}

Test(csv, field_count_limit)
{
    static out o;
    char err[256];
    size_t n = 0;
    for (unsigned i = 1; i < AB_CSV_MAX_FIELDS; i++)
        big[n++] = ';';
    big[n++] = '\n';
    cr_assert_eq(run(';', big, n, 0, &o, NULL, 0), AB_OK, "64 fields");
    cr_assert_eq(run(0, big, n, 0, &o, NULL, 0), AB_OK, "64 fields, detected");
    big[n - 1] = ';';
    big[n++] = '\n';
    cr_assert_eq(run(';', big, n, 0, &o, err, sizeof err), AB_E_LIMIT);
    cr_assert_str_eq(err, "line 1: more than 64 fields");
    cr_assert_eq(run(';', big, n - 1, 1, &o, err, sizeof err), AB_E_LIMIT, "at the end of input");
}

Test(csv, callback_failure_stops)
{
    static out o;
    char err[256];
    o.fail_at = 2;
    cr_assert_eq(run(',', "a\nb\nc\n", 6, 1, &o, err, sizeof err), AB_E_DB);
    cr_assert_eq(o.records, 2);
    cr_assert_str_eq(err, "");
    o.fail_at = 1;
    cr_assert_eq(run(0, "a;b\nc\n", 6, 0, &o, err, sizeof err), AB_E_DB);
    cr_assert_eq(o.records, 1);
}

Test(csv, bad_separator)
{
    csv *c;
    cr_assert_eq(csv_create(&c, '"'), AB_E_INVAL);
    cr_assert_eq(csv_create(&c, '\n'), AB_E_INVAL);
    cr_assert_eq(csv_create(&c, ';'), AB_OK);
    cr_assert_eq(csv_sep(c), ';');
    csv_destroy(c);
    cr_assert_eq(csv_create(&c, 0), AB_OK);
    cr_assert_eq(csv_sep(c), 0);
    cr_assert_eq(csv_feed(c, "a,b\n", 4, false, on_rec, &(out){0}), AB_OK);
    cr_assert_eq(csv_sep(c), ',');
    csv_destroy(c);
}

/* Random inputs over the bytes that matter: every chunking agrees. */
Test(csv, any_chunking_gives_the_same_records)
{
    static const char alphabet[] = "a;,\"\r\n \xef\xbb\xbf";
    static out whole, part;
    static char data[600];
    unsigned long long x = 42;
    for (int round = 0; round < 3000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = x % sizeof data;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            data[i] = alphabet[x % (sizeof alphabet - 1)];
        }
        char sep = round % 3 == 0 ? ';' : round % 3 == 1 ? ',' : 0;
        whole.fail_at = part.fail_at = 0;
        int rc = run(sep, data, n, 0, &whole, NULL, 0);
        for (long step = -1; step <= 3; step += 2) {
            cr_assert_eq(run(sep, data, n, step, &part, NULL, 0), rc);
            cr_assert_str_eq(part.text, whole.text, "round %d step %ld", round, step);
        }
    }
}
