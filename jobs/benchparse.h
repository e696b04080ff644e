/*
 * benchparse.h - the operator bench tools beside bench quality/match:
 * `bench parse` (parser throughput per format, benchparse.c) and
 * `bench sink` (pgsink COPY against raw COPY, benchsink.c), plus the pure
 * helpers they share.  Rows are caller-owned arrays; nothing is kept.
 */
#ifndef AB_BENCHPARSE_H
#define AB_BENCHPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "../engine/err.h"
#include "cli.h"

/* Distinct format names one bench parse run reports. */
#define BENCHPARSE_MAX_FORMATS 16

typedef struct benchparse_row {
    char format[32];
    int files;
    int64_t bytes, records;
    double seconds;
} benchparse_row;

/* Adds one parsed file to the row of its format (created on first use).
 * AB_E_LIMIT when cap distinct formats are already there. */
int benchparse_add(benchparse_row *rows, int *nrows, int cap, const char *format, int64_t bytes,
                   int64_t records, double secs) AB_MUSTCHECK;
/* amount per second; 0 when secs is below clock resolution. */
double benchparse_rate(double amount, double secs);

/* One generated allocation-shaped row of bench sink; row i is always the
 * same (a pure function of i). */
typedef struct benchsink_fields {
    int64_t claim_id, file_id, tx_seq, amount_cents, confidence;
    const char *method;
    char explanation[80];
} benchsink_fields;

void benchsink_row(uint64_t i, benchsink_fields *f);
/* The row as one COPY text line (tab separated, '\n' ended; none of its
 * fields needs escaping); returns its length, 0 when cap is too small. */
size_t benchsink_render(const benchsink_fields *f, char *out, size_t cap);

/* Writes rows rows through pgsink and as raw COPY; rounds >= 1. */
int bench_sink(const cli_opts *o, uint64_t rows, int rounds) AB_MUSTCHECK;

/* bench nightly (benchnightly.c): gen into a temporary directory unless
 * dir names existing gen output; threads 0 = number of cores. */
typedef struct nightly_args {
    uint64_t claims, payments;
    unsigned threads;
    const char *dir;
} nightly_args;

int bench_nightly(const cli_opts *o, const nightly_args *a) AB_MUSTCHECK;
/* One line of reconcile --verbose: "abgleich: debug: PATH: NAME took N ms"
 * gives 1 with NAME and N; any other line 0. */
int benchnightly_phase_line(const char *line, char *name, size_t namelen,
                            int64_t *ms) AB_MUSTCHECK;

/* argv: the files (after "parse"). */
int bench_parse(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;

#endif
