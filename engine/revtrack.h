/*
 * revtrack.h - this file's allocations by EndToEndId and amount, so that a
 * reversal later in the same file reopens its claim at its place in the
 * booking order (rule 8, docs/matching.md), not at the end of the file.
 *
 * reconcile adds each credit's allocations as it applies them and asks
 * revtrack_take when a reversal comes; the original is the earliest added
 * transaction with that EndToEndId and amount that is not reversed yet.
 * Bounded: past `cap` allocations nothing more is tracked (the reversal is
 * then settled after the file, as before).  A transaction is tracked whole
 * or not at all: a reversal that found part of its original would reopen
 * only that part in the claim index, while the ledger reopens every claim
 * of it and, the reversal being settled in place, the index would not
 * hear of the rest (a claim open in the ledger, paid in the index).  The caller owns the tracker
 * and destroys it; revtrack_reset forgets everything (per file).
 */
#ifndef AB_REVTRACK_H
#define AB_REVTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct revtrack revtrack;

int revtrack_create(revtrack **out, size_t cap) AB_MUSTCHECK;
void revtrack_destroy(revtrack *t);
void revtrack_reset(revtrack *t);

/* The n allocations of transaction seq: cents[i] to claim slots[i], all of
 * them.  AB_E_LIMIT when they do not all fit: then none is tracked. */
int revtrack_add(revtrack *t, const char *e2e, int64_t amount_cents, uint32_t seq,
                 const uint32_t *slots, const int64_t *cents, size_t n) AB_MUSTCHECK;

/* The allocations of the original of a reversal with this EndToEndId and
 * amount (or, for a return with charges, alt_cents; -1 for none), marked
 * reversed: up to max of them into slots/cents, their count returned (0: no
 * original here).  The original is the earliest such transaction. */
size_t revtrack_take(revtrack *t, const char *e2e, int64_t amount_cents, int64_t alt_cents,
                     uint32_t *slots, int64_t *cents, size_t max);

#endif
