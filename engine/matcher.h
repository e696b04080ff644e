/*
 * matcher.h - decides what happens to one payment.
 *
 * Two steps, so that results are the same for any number of threads:
 * matcher_scan is pure (finds the references in the payment's texts and
 * looks them up in the claim index) and runs on the worker pool;
 * matcher_apply runs on one thread in statement order, reads and updates the
 * claims' open amounts, and decides: allocate, or park in clarifications with
 * a reason.  Nothing allocated; results live in caller-owned structs.
 */
#ifndef AB_MATCHER_H
#define AB_MATCHER_H

#include <stdint.h>

#include "checkdigit.h"
#include "claimidx.h"
#include "limits.h"
#include "payment.h"
#include "refscan.h"

enum match_outcome {
    MATCH_SKIPPED = 0,   /* not a booked incoming payment: stored, never matched */
    MATCH_ALLOCATED,
    MATCH_CLARIFY,
};

#define MATCH_REASONS(X)                     \
    X(NONE, "none")                          \
    X(NO_REFERENCE, "no_reference")          \
    X(UNKNOWN_REFERENCE, "unknown_reference")\
    X(AMOUNT_MISMATCH, "amount_mismatch")    \
    X(CLAIM_ALREADY_PAID, "claim_already_paid") \
    X(MULTIPLE_REFERENCES, "multiple_references") \
    X(REVERSAL, "reversal")

enum match_reason {
#define MATCH_REASON_ENUM(name, text) MR_##name,
    MATCH_REASONS(MATCH_REASON_ENUM)
#undef MATCH_REASON_ENUM
};

const char *match_reason_name(enum match_reason r);

typedef struct matcher_cfg {
    enum cd_scheme scheme;
} matcher_cfg;

/* Output of the pure step. */
typedef struct match_scan {
    uint32_t slots[AB_REFS_PER_PAYMENT];   /* distinct claims named, text order */
    unsigned n_slots;
    unsigned n_tokens;                     /* references with a valid check digit */
    char first_token[AB_REF_MAX + 1];      /* first such token, for explanations */
} match_scan;

typedef struct match_result {
    enum match_outcome outcome;
    enum match_reason reason;
    uint32_t slot;            /* the claim, or CLAIMIDX_NONE */
    int64_t alloc_cents;      /* allocated amount (ALLOCATED) */
    const char *method;       /* "exact_reference" when allocated */
} match_result;

void matcher_scan(const matcher_cfg *cfg, const claimidx *ix, const payment *p, match_scan *out);
void matcher_apply(claimidx *ix, const payment *p, const match_scan *scan, match_result *out);

/* A sentence a clerk can read: why this payment went where it went.
 * lang "de" (default) or "en".  Returns the length written. */
size_t matcher_explain(const claimidx *ix, const payment *p, const match_scan *scan,
                       const match_result *r, const char *lang, char *buf, size_t len);

#endif
