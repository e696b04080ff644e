/*
 * test_pgsink.c - the pure parts of the sink: COPY text escaping and the
 * splitting and unescaping of COPY TO lines.  The database round trip
 * (COPY in, COPY out, rollback after a failed COPY, migrations) is in the
 * integration tests.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/pgsink.h"

Test(pgsink, escape)
{
    char out[64];
    const char in[] = "a\tb\nc\\d\re";
    size_t n = pgsink_copy_escape(in, sizeof in - 1, out, sizeof out);
    out[n] = '\0';
    cr_assert_str_eq(out, "a\\tb\\nc\\\\d\\re");
}

Test(pgsink, escape_leaves_the_rest)
{
    /* Only backslash, tab, newline and CR need escaping in COPY text; UTF-8
     * and other control characters pass through unchanged. */
    char out[64];
    const char in[] = "Stra\xc3\x9f" "e \x01\b\f\v;\"'|N";
    size_t n = pgsink_copy_escape(in, sizeof in - 1, out, sizeof out);
    cr_assert_eq(n, sizeof in - 1);
    cr_assert_eq(memcmp(out, in, n), 0);
}

Test(pgsink, escape_empty)
{
    char out[4] = "xyz";
    cr_assert_eq(pgsink_copy_escape("", 0, out, sizeof out), 0);
    cr_assert_str_eq(out, "xyz");
}

Test(pgsink, escape_stops_rather_than_overflows)
{
    char out[8];
    memset(out, '#', sizeof out);
    /* "ab\t" needs 4 bytes: with 3, the escape does not fit and is left out
     * whole (never half an escape). */
    cr_assert_eq(pgsink_copy_escape("ab\t", 3, out, 3), 2);
    cr_assert_eq(out[2], '#');
    /* A plain byte still fits into the last free byte. */
    cr_assert_eq(pgsink_copy_escape("abc", 3, out, 3), 3);
    /* 2n is always enough. */
    cr_assert_eq(pgsink_copy_escape("\\\n\r\t", 4, out, 8), 8);
    cr_assert_eq(memcmp(out, "\\\\\\n\\r\\t", 8), 0);
}

Test(pgsink, split_round_trip)
{
    char line[] = "17\t40000001\\t0017\t\\N\tZeile 1\\nZeile 2\t\\101\\\\";
    char *f[8];
    size_t len[8];
    int k = pgsink_copy_split(line, strlen(line), f, len, 8);
    cr_assert_eq(k, 5);
    cr_assert_str_eq(f[0], "17");
    cr_assert_str_eq(f[1], "40000001\t0017");
    cr_assert_null(f[2]);
    cr_assert_str_eq(f[3], "Zeile 1\nZeile 2");
    cr_assert_str_eq(f[4], "A\\");
    cr_assert_eq(len[4], 2);
}

Test(pgsink, split_respects_max)
{
    char line[] = "a\tb\tc";
    char *f[2];
    size_t len[2];
    cr_assert_eq(pgsink_copy_split(line, strlen(line), f, len, 2), 2);
    cr_assert_str_eq(f[0], "a");
    cr_assert_str_eq(f[1], "b");
}

Test(pgsink, split_empty_fields)
{
    /* An empty string is not NULL: "" and \N differ in COPY text. */
    char line[] = "\t\\N\t";
    char *f[4];
    size_t len[4];
    cr_assert_eq(pgsink_copy_split(line, strlen(line), f, len, 4), 3);
    cr_assert_str_eq(f[0], "");
    cr_assert_null(f[1]);
    cr_assert_str_eq(f[2], "");
    char empty[] = "";
    cr_assert_eq(pgsink_copy_split(empty, 0, f, len, 4), 1);
    cr_assert_str_eq(f[0], "");
}

Test(pgsink, split_every_escape)
{
    char line[] = "\\b\\f\\v\\r\\t\\n\\\\|\\0|\\12|\\1234|\\x41\\x4a|\\xg|\\q|\\N|x\\";
    char *f[2];
    size_t len[2];
    cr_assert_eq(pgsink_copy_split(line, strlen(line), f, len, 2), 1);
    /* \ooo takes at most three octal digits; \xh[h] one or two hex digits;
     * \N inside a field and any other escaped character stand for the
     * character; a lone trailing backslash stays. */
    const char want[] = "\b\f\v\r\t\n\\|\0|\n|S4|AJ|xg|q|N|x\\";
    cr_assert_eq(len[0], sizeof want - 1);
    cr_assert_eq(memcmp(f[0], want, len[0]), 0);
    cr_assert_eq(f[0][len[0]], '\0');
}

Test(pgsink, escape_then_split_is_identity)
{
    /* Every byte value but NUL (which text columns cannot hold), escaped
     * into one field per chunk, comes back unchanged. */
    char in[255];
    for (int i = 0; i < 255; i++)
        in[i] = (char)(i + 1);
    char line[2 * 3 * sizeof in + 8];
    size_t n = 0;
    for (int chunk = 0; chunk < 3; chunk++) {
        if (chunk)
            line[n++] = '\t';
        n += pgsink_copy_escape(in + chunk * 85, 85, line + n, sizeof line - n);
    }
    line[n] = '\0';
    char *f[4];
    size_t len[4];
    cr_assert_eq(pgsink_copy_split(line, n, f, len, 4), 3);
    for (int chunk = 0; chunk < 3; chunk++) {
        cr_assert_eq(len[chunk], 85);
        cr_assert_eq(memcmp(f[chunk], in + chunk * 85, 85), 0, "chunk %d", chunk);
    }
}

Test(pgsink, escape_runs_and_edges)
{
    /* Specials first and last, runs between, two in a row: the run copy
     * must agree with a byte-by-byte escape. */
    char in[300], out[700], want[700];
    size_t k = 0, w = 0;
    for (int i = 0; i < 300; i++) {
        char c = i % 37 == 0 ? '\t' : i % 53 == 0 ? '\\' : i == 299 ? '\n' : (char)('a' + i % 26);
        in[k++] = c;
        if (c == '\t' || c == '\\' || c == '\n') {
            want[w++] = '\\';
            want[w++] = c == '\t' ? 't' : c == '\n' ? 'n' : '\\';
        } else {
            want[w++] = c;
        }
    }
    size_t n = pgsink_copy_escape(in, k, out, sizeof out);
    cr_assert_eq(n, w);
    cr_assert_eq(memcmp(out, want, w), 0);
    /* Cut short: never more than outlen, never half an escape. */
    for (size_t cap = 0; cap < 40; cap++) {
        n = pgsink_copy_escape(in, k, out, cap);
        cr_assert_leq(n, cap);
        cr_assert_eq(memcmp(out, want, n), 0);
    }
}
