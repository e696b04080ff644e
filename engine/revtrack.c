/*
 * revtrack.c - see revtrack.h.
 *
 * Entries live in one array in the order added (apply order); a chained
 * hash on (EndToEndId, amount) links the entries of one key, newest first.
 * The EndToEndId bytes are kept in a per-file arena and compared in full:
 * a hash collision must never reverse somebody else's payment.  No
 * deletion: a reversed entry is marked, so the memory is entries * ~40
 * bytes plus the strings, reset per file.
 */
#include "revtrack.h"

#include <string.h>
#include <xxhash.h>

#include "arena.h"
#include "mem.h"

#define NIL UINT32_MAX

typedef struct entry {
    const char *e2e;
    int64_t amount_cents;
    int64_t cents;
    uint32_t seq, slot;
    uint32_t next;     /* older entry with the same bucket */
    uint8_t reversed;
} entry;

struct revtrack {
    entry *e;
    size_t n, cap;
    uint32_t *heads;   /* bucket -> newest entry */
    size_t mask;
    arena *strings;
};

int revtrack_create(revtrack **out, size_t cap)
{
    revtrack *t = mem_calloc(1, sizeof *t);
    if (!t)
        return AB_E_NOMEM;
    size_t b = 16;
    while (b < cap)
        b <<= 1;
    t->cap = cap;
    t->mask = b - 1;
    t->e = mem_calloc(cap ? cap : 1, sizeof *t->e);
    t->heads = mem_alloc(b * sizeof *t->heads);
    int rc = t->e && t->heads ? arena_create(&t->strings, cap * 36 + 64) : AB_E_NOMEM;
    if (rc < 0) {
        revtrack_destroy(t);
        return rc;
    }
    revtrack_reset(t);
    *out = t;
    return AB_OK;
}

void revtrack_destroy(revtrack *t)
{
    if (!t)
        return;
    mem_free(t->e);
    mem_free(t->heads);
    arena_destroy(t->strings);
    mem_free(t);
}

void revtrack_reset(revtrack *t)
{
    memset(t->heads, 0xff, (t->mask + 1) * sizeof *t->heads);
    t->n = 0;
    arena_reset(t->strings);
}

static size_t bucket(const revtrack *t, const char *e2e, int64_t amount)
{
    return (size_t)(XXH3_64bits_withSeed(e2e, strlen(e2e), (uint64_t)amount) & t->mask);
}

int revtrack_add(revtrack *t, const char *e2e, int64_t amount_cents, uint32_t seq,
                 const uint32_t *slots, const int64_t *cents, size_t n)
{
    /* All or none (revtrack.h): the room is checked, and the one string
     * the entries share is copied, before the first entry goes in. */
    if (n == 0)
        return AB_OK;
    if (n > t->cap - t->n)
        return AB_E_LIMIT;
    const char *s = arena_strndup(t->strings, e2e, strlen(e2e));
    if (!s)
        return AB_E_LIMIT;
    size_t b = bucket(t, e2e, amount_cents);
    for (size_t i = 0; i < n; i++) {
        t->e[t->n] = (entry){.e2e = s, .amount_cents = amount_cents, .cents = cents[i],
                             .seq = seq, .slot = slots[i], .next = t->heads[b]};
        t->heads[b] = (uint32_t)t->n++;
    }
    return AB_OK;
}

static uint32_t earliest(const revtrack *t, const char *e2e, int64_t amount, uint32_t best)
{
    if (amount < 0)
        return best;
    for (uint32_t i = t->heads[bucket(t, e2e, amount)]; i != NIL; i = t->e[i].next) {
        const entry *x = &t->e[i];
        if (!x->reversed && x->amount_cents == amount && !strcmp(x->e2e, e2e) &&
            (best == NIL || x->seq < t->e[best].seq))
            best = i;
    }
    return best;
}

size_t revtrack_take(revtrack *t, const char *e2e, int64_t amount_cents, int64_t alt_cents,
                     uint32_t *slots, int64_t *cents, size_t max)
{
    uint32_t best = earliest(t, e2e, alt_cents, earliest(t, e2e, amount_cents, NIL));
    if (best == NIL)
        return 0;
    uint32_t seq = t->e[best].seq;
    int64_t amount = t->e[best].amount_cents;
    size_t k = 0;
    for (uint32_t i = t->heads[bucket(t, e2e, amount)]; i != NIL; i = t->e[i].next) {
        entry *x = &t->e[i];
        if (x->seq == seq && !x->reversed && x->amount_cents == amount && !strcmp(x->e2e, e2e)) {
            x->reversed = 1;
            if (k < max) {
                slots[k] = x->slot;
                cents[k] = x->cents;
                k++;
            }
        }
    }
    return k;
}
