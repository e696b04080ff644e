/*
 * claimidx.c - claims by normalised reference; see claimidx.h.
 *
 * Data: claims go in once (claimidx_insert, one thread, during the load from
 * PostgreSQL); afterwards many threads look references up (claimidx_find)
 * and one thread moves open amounts (claimidx_apply).
 *
 * Layout.  Two arrays, both allocated at create time and never resized:
 *   - records: one 64-byte record per claim, in insertion order; the slot
 *     handle is the index.  The record holds the reference inline (35 bytes,
 *     AB_REF_MAX) next to the amounts, so it is exactly one cache line and
 *     the array is aligned to 64 bytes.
 *   - table: open addressing with linear probing over uint64 words, each
 *     packing the upper 32 bits of the reference's XXH3 hash (the tag) with
 *     record index + 1; 0 marks an empty word.  Low hash bits pick the home
 *     word, high bits form the tag, so the two are independent.  The 32-bit
 *     tag makes a wasted string compare a one-in-four-billion event.
 *   A hit costs two dependent cache misses (table word, record); a miss
 *   costs one (table word) plus the probe run.
 *
 * Why this layout and not the alternatives (measured with a standalone
 * harness and bench/claimidx_bench.c on the project's 2-core EPYC VM,
 * 12-digit references, lookups in random order, single thread, best of 5;
 * the VM is noisy, so differences under ~20 % are not significant):
 *
 *   10 M claims                       hits/s   misses/s   bytes/claim
 *   40-byte record + string pool,
 *     table load 0.60 (0.7 rule)        5.0 M      4.0 M        65
 *     table load 0.30 (0.5 rule)        5.2 M     14.0 M        79
 *   64-byte record, ref inline,
 *     table load 0.60 (0.7 rule)        6.6 M      3.9 M        77
 *     table load 0.30 (0.5 rule) [kept] 6.8 M     13.5 M        91
 *   uint32 index table, no tag,
 *     64-byte record, load 0.60         5.0 M      3.1 M        71
 *
 *   - Inline references remove the third dependent miss (record -> pool)
 *     from every hit: +20-30 % hits for +12 bytes per claim, and there is no
 *     string pool to grow, cap or realloc at all.  If AB_REF_MAX ever grows
 *     past 35 the static assert below fires; the fallback is the pool
 *     layout of the first row.
 *   - The load factor decides misses: at load 0.6 a miss walks 3.6 words
 *     on average (1.5 at 0.3, both as theory predicts), and the varying
 *     length of that walk defeats branch prediction, so lookups stop
 *     overlapping in memory: 140 ns against 30 ns per miss in a tight loop.
 *     Hence max load 0.5 (power of two >= 2 x capacity) instead of 0.7;
 *     it costs 8-16 bytes per claim.  MAX_LOAD_PCT switches it.
 *   - A table of bare indices without tags sends every probe to a record:
 *     slower on both paths.  Cache-line buckets (SwissTable-style, 8 tags
 *     compared per probe) measured slower than plain probing at load 0.3.
 *   - madvise(MADV_HUGEPAGE) on the arrays gave no significant gain here
 *     and doubled the build time (page compaction); not used.
 *
 * Invariants: table size is a power of two >= capacity * 100 / MAX_LOAD_PCT,
 * so a probe always meets an empty word; count <= capacity; records
 * [0, count) are initialised; nothing reallocates after create, which is
 * what lets readers go without locks.
 */
#include "claimidx.h"

#include <assert.h>
#include <string.h>

#define XXH_INLINE_ALL /* short keys: let the compiler inline the 9-16 byte path */
#include <xxhash.h>

#include "limits.h"
#include "mem.h"

#define MAX_LOAD_PCT 50u
#define LINE 64u

typedef struct claim_rec {
    int64_t claim_id;
    int64_t amount_cents;
    int64_t open_cents;
    int32_t due_day;
    uint8_t ref_len;
    char ref[AB_REF_MAX];   /* not NUL-terminated: ref_len says how long */
} claim_rec;

_Static_assert(sizeof(claim_rec) == LINE, "a claim record is one cache line");
_Static_assert(AB_CLAIMS_MAX < UINT32_MAX, "record index + 1 fits the low word");

struct claimidx {
    uint64_t *table;
    size_t mask;            /* table size - 1 */
    claim_rec *recs;        /* LINE-aligned view into recs_raw */
    void *recs_raw;
    size_t count, capacity;
    size_t min_len, max_len;
};

static size_t table_size(size_t capacity)
{
    size_t size = 16;
    while (size * MAX_LOAD_PCT < capacity * 100u)
        size <<= 1;
    return size;
}

int claimidx_create(claimidx **out, size_t capacity)
{
    int rc = AB_E_NOMEM;
    if (capacity > AB_CLAIMS_MAX)
        return AB_E_LIMIT;
    if (capacity == 0)
        capacity = 1;
    claimidx *ix = mem_calloc(1, sizeof *ix);
    if (!ix)
        return AB_E_NOMEM;
    size_t size = table_size(capacity);
    ix->mask = size - 1;
    ix->capacity = capacity;
    ix->table = mem_calloc(size, sizeof *ix->table);
    /* Records need no zeroing: each is written whole before it is read. */
    ix->recs_raw = mem_alloc(capacity * sizeof(claim_rec) + LINE);
    if (!ix->table || !ix->recs_raw)
        goto cleanup;
    ix->recs = (claim_rec *)(((uintptr_t)ix->recs_raw + LINE - 1) & ~(uintptr_t)(LINE - 1));
    *out = ix;
    return AB_OK;
cleanup:
    claimidx_destroy(ix);
    return rc;
}

void claimidx_destroy(claimidx *ix)
{
    if (!ix)
        return;
    mem_free(ix->table);
    mem_free(ix->recs_raw);
    mem_free(ix);
}

static inline uint64_t tag_of(uint64_t h)
{
    return h & 0xffffffff00000000u;
}

/* Word position where the reference is, or the empty word that ends its
 * probe run; *idx is the record index when found, CLAIMIDX_NONE if not. */
static inline size_t probe(const claimidx *ix, uint64_t h, const char *ref, size_t n,
                           uint32_t *idx)
{
    uint64_t tag = tag_of(h);
    size_t pos = h & ix->mask;
    for (;; pos = (pos + 1) & ix->mask) {
        uint64_t w = ix->table[pos];
        if (w == 0)
            break;
        if (tag_of(w) != tag)
            continue;
        uint32_t i = (uint32_t)w - 1;
        const claim_rec *r = &ix->recs[i];
        if (r->ref_len == n && memcmp(r->ref, ref, n) == 0) {
            *idx = i;
            return pos;
        }
    }
    *idx = CLAIMIDX_NONE;
    return pos;
}

uint32_t claimidx_find(const claimidx *ix, const char *ref, size_t n)
{
    if (n == 0 || n > AB_REF_MAX)
        return CLAIMIDX_NONE;
    uint32_t idx;
    (void)probe(ix, XXH3_64bits(ref, n), ref, n, &idx);
    return idx;
}

int claimidx_insert(claimidx *ix, const char *ref, size_t n, int64_t claim_id,
                    int64_t amount_cents, int64_t open_cents, int32_t due_day, uint32_t *slot)
{
    if (n == 0 || n > AB_REF_MAX)
        return AB_E_INVAL;
    uint64_t h = XXH3_64bits(ref, n);
    uint32_t idx;
    size_t pos = probe(ix, h, ref, n, &idx);
    if (idx != CLAIMIDX_NONE)
        return AB_E_DUP;
    if (ix->count == ix->capacity)
        return AB_E_LIMIT;
    claim_rec *r = &ix->recs[ix->count];
    memset(r, 0, sizeof *r);
    r->claim_id = claim_id;
    r->amount_cents = amount_cents;
    r->open_cents = open_cents;
    r->due_day = due_day;
    r->ref_len = (uint8_t)n;
    memcpy(r->ref, ref, n);
    ix->table[pos] = tag_of(h) | (uint64_t)(ix->count + 1);
    *slot = (uint32_t)ix->count++;
    if (ix->min_len == 0 || n < ix->min_len)
        ix->min_len = n;
    if (n > ix->max_len)
        ix->max_len = n;
    return AB_OK;
}

static inline const claim_rec *rec(const claimidx *ix, uint32_t slot)
{
    assert(slot < ix->count);
    return &ix->recs[slot];
}

size_t claimidx_count(const claimidx *ix) { return ix->count; }
int64_t claimidx_claim_id(const claimidx *ix, uint32_t s) { return rec(ix, s)->claim_id; }
int64_t claimidx_amount(const claimidx *ix, uint32_t s) { return rec(ix, s)->amount_cents; }
int64_t claimidx_open(const claimidx *ix, uint32_t s) { return rec(ix, s)->open_cents; }
int32_t claimidx_due_day(const claimidx *ix, uint32_t s) { return rec(ix, s)->due_day; }
size_t claimidx_min_len(const claimidx *ix) { return ix->min_len; }
size_t claimidx_max_len(const claimidx *ix) { return ix->max_len; }

const char *claimidx_reference(const claimidx *ix, uint32_t s, size_t *n)
{
    const claim_rec *r = rec(ix, s);
    *n = r->ref_len;
    return r->ref;
}

void claimidx_apply(claimidx *ix, uint32_t s, int64_t cents)
{
    assert(s < ix->count);
    ix->recs[s].open_cents -= cents;
}

size_t claimidx_bytes(const claimidx *ix)
{
    return sizeof *ix + (ix->mask + 1) * sizeof *ix->table +
           ix->capacity * sizeof(claim_rec) + LINE;
}
