/*
 * gen.h - a realistic, labelled dataset for the demo, tests and benchmarks.
 *
 * Writes OUT/tickets.csv (the fines office's batch), OUT/statement.xml (a
 * camt.053.001.08 statement of the treasury account paying most tickets,
 * the ways citizens really write references) and OUT/answer_key.csv, one
 * row per statement entry in the same order: EndToEndId, the case it was
 * made as, the references meant (space-separated, empty for none), the
 * amount, and whether the matching rules can place it (1) or must leave it
 * to a clerk (0).
 * Every ticket is a pure function of (seed, index), so nothing per ticket is
 * kept in memory and the same seed always gives byte-identical files.
 */
#ifndef AB_GEN_H
#define AB_GEN_H

#include <stdint.h>

#include "checkdigit.h"
#include "err.h"

typedef struct gen_opts {
    const char *out_dir;     /* created if missing */
    uint64_t tickets;        /* 1 .. 100 000 000 */
    uint64_t seed;
    enum cd_scheme scheme;   /* check digit of the Kassenzeichen */
    const char *date;        /* statement date YYYY-MM-DD; NULL: today */
    uint64_t paying;         /* tickets whose citizen pays (spread evenly); 0: all */
    struct progress *prog;   /* advanced by 3 per ticket (tickets, 2 payment passes); or NULL */
} gen_opts;

/* The cases of the answer key. */
#define GEN_CASES(X) X(EXACT, "exact") X(PARTIAL, "partial") X(OVER, "over") \
    X(TYPO, "typo") X(PLATE, "plate_only") X(PLATE_AMBIGUOUS, "plate_ambiguous") \
    X(NAME, "name_only") X(UNKNOWN, "unknown_reference") X(MULTIPLE, "multiple") \
    X(DUPLICATE, "duplicate") X(REVERSAL, "reversal") X(DEBIT, "debit")

enum gen_case {
#define GEN_CASE_ENUM(n, s) GEN_##n,
    GEN_CASES(GEN_CASE_ENUM)
#undef GEN_CASE_ENUM
    GEN_CASE_COUNT
};

typedef struct gen_result {
    uint64_t tickets, payments;
    int64_t tickets_cents, credit_cents, debit_cents;
    uint64_t by_case[GEN_CASE_COUNT];
} gen_result;

int gen_dataset(const gen_opts *o, gen_result *r) AB_MUSTCHECK;
const char *gen_case_name(enum gen_case c);

#endif
