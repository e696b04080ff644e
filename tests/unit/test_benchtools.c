/*
 * test_benchtools.c - the pure helpers of bench parse and bench sink: rows
 * summed per format, rates, and the generated sink rows and their COPY
 * text (which must equal what pgsink writes field by field).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/pgsink.h"
#include "../../jobs/benchparse.h"

Test(benchparse, sums_per_format_and_caps)
{
    benchparse_row rows[2];
    int n = 0;
    cr_assert_eq(benchparse_add(rows, &n, 2, "MT940", 100, 3, 0.5), AB_OK);
    cr_assert_eq(benchparse_add(rows, &n, 2, "camt.053.001.08", 40, 1, 0.25), AB_OK);
    cr_assert_eq(benchparse_add(rows, &n, 2, "MT940", 50, 2, 0.25), AB_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(rows[0].format, "MT940");
    cr_assert_eq(rows[0].files, 2);
    cr_assert_eq(rows[0].bytes, 150);
    cr_assert_eq(rows[0].records, 5);
    cr_assert_eq(rows[1].files, 1);
    cr_assert_eq(benchparse_add(rows, &n, 2, "tickets-csv", 1, 1, 0.1), AB_E_LIMIT);
    cr_assert_eq(n, 2);
}

Test(benchparse, rate)
{
    cr_assert_float_eq(benchparse_rate(150.0, 0.75), 200.0, 1e-9);
    cr_assert_eq(benchparse_rate(5.0, 0.0), 0.0);
}

Test(benchsink, rows_are_deterministic_and_plausible)
{
    benchsink_fields a, b, c;
    benchsink_row(12345, &a);
    benchsink_row(12345, &b);
    benchsink_row(12346, &c);
    cr_assert_eq(a.claim_id, b.claim_id);
    cr_assert_str_eq(a.explanation, b.explanation);
    cr_assert(a.claim_id != c.claim_id || strcmp(a.explanation, c.explanation));
    for (uint64_t i = 0; i < 1000; i++) {
        benchsink_row(i, &a);
        cr_assert(a.amount_cents >= 1000 && a.amount_cents <= 25500);
        cr_assert(a.confidence >= 60 && a.confidence <= 100);
        cr_assert(a.claim_id >= 1);
    }
}

/* The raw peer must send the very bytes pgsink would: nothing to escape. */
Test(benchsink, render_is_copy_text)
{
    benchsink_fields f;
    char line[256], esc[512];
    benchsink_row(7, &f);
    size_t n = benchsink_render(&f, line, sizeof line);
    cr_assert_gt(n, 20);
    cr_assert_eq(line[n - 1], '\n');
    size_t tabs = 0;
    for (size_t i = 0; i < n; i++)
        tabs += line[i] == '\t';
    cr_assert_eq(tabs, 6);
    size_t e = pgsink_copy_escape(f.explanation, strlen(f.explanation), esc, sizeof esc);
    cr_assert_eq(e, strlen(f.explanation));
    cr_assert_eq(benchsink_render(&f, line, 10), 0);
}

Test(benchnightly, phase_lines)
{
    char name[64];
    int64_t ms = 0;
    cr_assert_eq(benchnightly_phase_line("abgleich: debug: /tmp/x: y/statement.xml: writing the "
                                         "ledger took 137 ms\n",
                                         name, sizeof name, &ms),
                 1);
    cr_assert_str_eq(name, "writing the ledger");
    cr_assert_eq(ms, 137);
    cr_assert_eq(benchnightly_phase_line("abgleich: debug: 20000 claims loaded, 5 bytes\n", name,
                                         sizeof name, &ms),
                 0);
    cr_assert_eq(benchnightly_phase_line("abgleich: info: it took 5 ms", name, sizeof name, &ms),
                 0);
    cr_assert_eq(benchnightly_phase_line("abgleich: debug: f: x took many ms", name, sizeof name,
                                         &ms),
                 0);
}
