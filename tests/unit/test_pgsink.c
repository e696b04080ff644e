/*
 * test_pgsink.c - the pure parts of the sink: COPY text escaping and the
 * splitting of COPY TO lines (the database round trip is in the
 * integration tests).
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
}
