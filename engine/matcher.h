/*
 * matcher.h - decides what happens to one payment, as a careful clerk would.
 *
 * Two steps, so that results are the same for any number of threads:
 * matcher_scan is pure (finds references, RF references, references one
 * typo away, and licence plates in the payment's texts, and looks them up
 * in the claim index) and runs on the worker pool; matcher_apply runs on
 * one thread in statement order, reads and moves the claims' open amounts,
 * and decides: allocations (possibly several, possibly partial), and/or a
 * clarification with a reason and up to three ranked candidates.  The
 * rules are in docs/matching.md.  Nothing allocated; results live in
 * caller-owned structs.
 */
#ifndef AB_MATCHER_H
#define AB_MATCHER_H

#include <stdint.h>

#include "checkdigit.h"
#include "claimidx.h"
#include "limits.h"
#include "payment.h"
#include "plate.h"
#include "refscan.h"

enum match_outcome {
    MATCH_SKIPPED = 0,   /* not a booked incoming payment: stored, never matched */
    MATCH_ALLOCATED,     /* at least one allocation (a surplus may be clarified too) */
    MATCH_CLARIFY,       /* no allocation: a clarification */
};

#define MATCH_REASONS(X)                            \
    X(NONE, "none")                                 \
    X(NO_REFERENCE, "no_reference")                 \
    X(UNKNOWN_REFERENCE, "unknown_reference")       \
    X(AMOUNT_MISMATCH, "amount_mismatch")           \
    X(CLAIM_ALREADY_PAID, "claim_already_paid")     \
    X(AMBIGUOUS, "ambiguous")                       \
    X(OVERPAYMENT, "overpayment")                   \
    X(REVERSAL, "reversal_without_original")       \
    X(FOREIGN_CURRENCY, "foreign_currency")        \
    X(RETURN, "return_without_original")           \
    X(RETURNED_TRANSFER, "returned_transfer")      \
    X(INVOICE_DEBIT, "invoice_debit_mismatch")     \
    X(BATCH, "batch_without_details")              \
    X(BATCH_AMBIGUOUS, "batch_ambiguous")          \
    X(POSSIBLE_DUPLICATE, "possible_duplicate")

enum match_reason {
#define MATCH_REASON_ENUM(name, text) MR_##name,
    MATCH_REASONS(MATCH_REASON_ENUM)
#undef MATCH_REASON_ENUM
    MR_COUNT
};

const char *match_reason_name(enum match_reason r);
/* What a reason code means, in words a clerk reads: German, or English when
 * en (a static string).  By code, so that the stored reasons of other
 * writers ('reopened') have words too; NULL for a code it does not know. */
const char *match_reason_label(const char *code, int en);

/* Why a claim is proposed to a clerk. */
/* Code, then the words a clerk reads: German, English. */
#define MATCH_WHYS(X)                                                          \
    X(REFERENCE, "reference", "Kassenzeichen", "reference")                    \
    X(TYPO, "reference_typo", "Kassenzeichen mit Tippfehler", "reference with a typo") \
    X(PLATE_AMOUNT, "plate_and_amount", "Kennzeichen und Betrag", "plate and amount") \
    X(PLATE, "plate", "Kennzeichen", "plate")

enum match_why {
#define MATCH_WHY_ENUM(name, text, de, en) MW_##name,
    MATCH_WHYS(MATCH_WHY_ENUM)
#undef MATCH_WHY_ENUM
};

const char *match_why_name(enum match_why w);
/* A stored candidate's code in a clerk's words (static), NULL if unknown. */
const char *match_why_label(const char *code, int en);

#define MATCH_FUZZY_MAX 8
#define MATCH_PLATE_MAX 8
#define MATCH_CANDS 3

typedef struct matcher_cfg {
    enum cd_scheme scheme;
} matcher_cfg;

/* Output of the pure step. */
typedef struct match_scan {
    uint32_t slots[AB_REFS_PER_PAYMENT];   /* claims named by valid references, text order */
    unsigned n_slots;
    unsigned n_tokens;                     /* references with a valid check digit */
    char first_token[AB_REF_MAX + 1];      /* the first of them */
    uint32_t fuzzy[MATCH_FUZZY_MAX];       /* claims one digit or one swap from a bad token */
    unsigned n_fuzzy;
    char fuzzy_token[AB_REF_MAX + 1];      /* the token as written */
    uint32_t plates[MATCH_PLATE_MAX];      /* claims with a plate named in the text */
    unsigned n_plates;
    char plate[PLATE_MAX];                 /* the first such plate */
} match_scan;

typedef struct match_alloc {
    uint32_t slot;
    int64_t cents;
} match_alloc;

typedef struct match_cand {
    uint32_t slot;
    uint8_t score;                         /* 0..100 */
    uint8_t why;                           /* enum match_why */
} match_cand;

typedef struct match_result {
    enum match_outcome outcome;
    const char *method;                    /* exact_reference, fuzzy_reference, plate_amount */
    uint8_t confidence;                    /* 0..100 */
    match_alloc allocs[AB_REFS_PER_PAYMENT];
    unsigned n_allocs;
    int64_t open_before[AB_REFS_PER_PAYMENT]; /* each allocated claim's open amount before */
    enum match_reason reason;              /* MR_NONE: no clarification */
    int64_t clar_cents;                    /* amount parked for the clerk */
    uint32_t slot;                         /* the claim a clarification names, or NONE */
    match_cand cands[MATCH_CANDS];
    unsigned n_cands;
} match_result;

void matcher_scan(const matcher_cfg *cfg, const claimidx *ix, const payment *p, match_scan *out);
/* Scans many payments; the same results as matcher_scan on each, but the
 * lookups of a group of payments are prefetched together, so their memory
 * latencies overlap instead of adding up. */
void matcher_scan_many(const matcher_cfg *cfg, const claimidx *ix, const payment *p,
                       match_scan *out, size_t n);
void matcher_apply(claimidx *ix, const payment *p, const match_scan *scan, match_result *out);
/* Hint for the apply loop: the claims this scan names will be read soon.
 * Issued a few payments ahead, it turns apply's one cache miss per
 * payment into overlapped loads. */
void matcher_prefetch_apply(const claimidx *ix, const match_scan *scan);
/* How far ahead the apply loops issue matcher_prefetch_apply. */
#define MATCH_APPLY_AHEAD 8

/* Sentences a clerk can read: why this payment went where it went.
 * lang "de" (default) or "en".  Returns the length written. */
size_t matcher_explain(const claimidx *ix, const payment *p, const match_scan *scan,
                       const match_result *r, const char *lang, char *buf, size_t len);

#endif
