/*
 * revtrack.h - this file's allocations by EndToEndId and amount, so that a
 * reversal later in the same file reopens its claim at its place in the
 * booking order (rule 8, docs/matching.md), not at the end of the file.
 *
 * reconcile adds each credit's allocations as it applies them and asks
 * revtrack_take when a reversal comes; the original is the earliest added
 * transaction with that EndToEndId and amount that is not reversed yet.
 * Bounded: past `cap` allocations nothing more is tracked (the reversal is
 * then settled after the file, as before).  The caller owns the tracker
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

/* One allocation of transaction seq: `cents` to claim `slot`.  AB_E_LIMIT
 * when the tracker is full (the allocation is not tracked). */
int revtrack_add(revtrack *t, const char *e2e, int64_t amount_cents, uint32_t seq,
                 uint32_t slot, int64_t cents) AB_MUSTCHECK;

/* The allocations of the original of a reversal with this EndToEndId and
 * amount (or, for a return with charges, alt_cents; -1 for none), marked
 * reversed: up to max of them into slots/cents, their count returned (0: no
 * original here).  The original is the earliest such transaction. */
size_t revtrack_take(revtrack *t, const char *e2e, int64_t amount_cents, int64_t alt_cents,
                     uint32_t *slots, int64_t *cents, size_t max);

#endif
