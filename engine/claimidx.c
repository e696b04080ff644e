/*
 * claimidx.c - claims by normalised reference; see claimidx.h.
 *
 * Layout: an open-addressing table of 16-byte hot entries {key, open
 * amount} and, at the same position, a cold record (claim id, amount, due
 * day, where the reference and plate bytes lie in the one string pool).
 * The slot handle is the table position; nothing ever moves.  A
 * Kassenzeichen of up to 16 digits is its own key (length in the top byte,
 * value below, so leading zeros count); other references (RF, letters,
 * longer) key by their XXH3 hash with the top bit set and are confirmed
 * against the pool.  So an exact match is one cache line: the scan finds
 * the key there and the apply step reads and moves the open amount in the
 * same line (bench match, docs/benchmarks.md: at 10 M claims each random
 * line is a DRAM miss, and apply's second miss on a separate record was
 * the larger half of its time).  The table has a power-of-two size with
 * load <= 0.7, sized once from the expected count: nothing rehashes, and
 * lookups never allocate, which is what lets many threads read it without
 * locks.  Plates use a second table of tagged uint64 words (tag | slot + 1).
 * Saved and loaded as these arrays verbatim (claimidx_save): a loaded index
 * has the same slots, chains and pool offsets as the one that was saved, so
 * it needs no rehash, only a read and a checksum pass.
 */
#include "claimidx.h"

#include <string.h>
#include <xxhash.h>

#include "fdio.h"
#include "limits.h"
#include "mem.h"

typedef struct hot {
    uint64_t key;        /* 0: empty */
    int64_t open_cents;
} hot;

typedef struct cold {
    int64_t claim_id;
    int64_t amount_cents;
    uint32_t ref_off;
    uint32_t plate_off;   /* plate bytes in the pool */
    uint32_t plate_next;  /* next claim with the same plate, or CLAIMIDX_NONE */
    int32_t due_day;
    uint8_t ref_len;
    uint8_t plate_len;    /* 0: no plate */
} cold;

#define KEY_HASHED (1ull << 63)
#define NUMERIC_MAX 16u  /* 10^16 < 2^54: value and length share 64 bits */

struct claimidx {
    hot *table;
    cold *recs;
    uint64_t *plates;   /* keyed by plate, value: chain head */
    size_t mask;
    size_t count, capacity;
    char *pool;
    size_t pool_len, pool_cap;
    size_t min_len, max_len;
};

int claimidx_create(claimidx **out, size_t capacity)
{
    if (capacity == 0)
        capacity = 1;
    if (capacity > AB_CLAIMS_MAX)
        return AB_E_LIMIT;
    claimidx *ix = mem_calloc(1, sizeof *ix);
    if (!ix)
        return AB_E_NOMEM;
    size_t size = 16;
    while (size * 7 < capacity * 10)
        size <<= 1;
    ix->mask = size - 1;
    ix->capacity = capacity;
    ix->pool_cap = capacity * 13 + 64; /* Kassenzeichen are about 12 digits */
    ix->table = mem_huge_calloc(size, sizeof *ix->table);
    ix->plates = mem_huge_calloc(size, sizeof *ix->plates);
    ix->recs = mem_huge_calloc(size, sizeof *ix->recs);
    ix->pool = mem_alloc(ix->pool_cap);
    if (!ix->table || !ix->plates || !ix->recs || !ix->pool) {
        claimidx_destroy(ix);
        return AB_E_NOMEM;
    }
    *out = ix;
    return AB_OK;
}

void claimidx_destroy(claimidx *ix)
{
    if (!ix)
        return;
    mem_huge_free(ix->table, ix->mask + 1, sizeof *ix->table);
    mem_huge_free(ix->plates, ix->mask + 1, sizeof *ix->plates);
    mem_huge_free(ix->recs, ix->mask + 1, sizeof *ix->recs);
    mem_free(ix->pool);
    mem_free(ix);
}

static inline int same(const claimidx *ix, const cold *r, const char *ref, size_t n)
{
    return r->ref_len == n && memcmp(ix->pool + r->ref_off, ref, n) == 0;
}

static inline uint64_t make_key(const char *ref, size_t n)
{
    uint64_t v = 0;
    size_t i = 0;
    if (n <= NUMERIC_MAX)
        while (i < n && ref[i] >= '0' && ref[i] <= '9')
            v = v * 10 + (uint64_t)(ref[i++] - '0');
    if (n <= NUMERIC_MAX && i == n)
        return ((uint64_t)n << 56) | v; /* n >= 1: never 0 */
    return KEY_HASHED | XXH3_64bits(ref, n);
}

/* Fibonacci hashing: consecutive Kassenzeichen spread over the table. */
static inline size_t home(const claimidx *ix, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & ix->mask;
}

static inline int hit(const claimidx *ix, size_t pos, uint64_t key, const char *ref, size_t n)
{
    return ix->table[pos].key == key &&
           (!(key & KEY_HASHED) || same(ix, &ix->recs[pos], ref, n));
}

uint32_t claimidx_find(const claimidx *ix, const char *ref, size_t n)
{
    uint64_t key = make_key(ref, n);
    for (size_t pos = home(ix, key);; pos = (pos + 1) & ix->mask) {
        if (ix->table[pos].key == 0)
            return CLAIMIDX_NONE;
        if (hit(ix, pos, key, ref, n))
            return (uint32_t)pos;
    }
}

void claimidx_prefetch_ref(const claimidx *ix, const char *ref, size_t n)
{
    __builtin_prefetch(&ix->table[home(ix, make_key(ref, n))], 0, 1);
}

void claimidx_prefetch(const claimidx *ix, uint32_t slot)
{
    __builtin_prefetch(&ix->table[slot], 1, 1);
}

static int pool_add(claimidx *ix, const char *ref, size_t n, uint32_t *off)
{
    if (ix->pool_len + n > ix->pool_cap) {
        size_t cap = ix->pool_cap * 2;
        if (cap > UINT32_MAX)
            return AB_E_LIMIT;
        char *p = mem_realloc(ix->pool, cap);
        if (!p)
            return AB_E_NOMEM;
        ix->pool = p;
        ix->pool_cap = cap;
    }
    memcpy(ix->pool + ix->pool_len, ref, n);
    *off = (uint32_t)ix->pool_len;
    ix->pool_len += n;
    return AB_OK;
}

int claimidx_insert(claimidx *ix, const char *ref, size_t n, int64_t claim_id,
                    int64_t amount_cents, int64_t open_cents, int32_t due_day, uint32_t *slot)
{
    if (n == 0 || n > AB_REF_MAX)
        return AB_E_INVAL;
    if (ix->count == ix->capacity)
        return AB_E_LIMIT;
    uint64_t key = make_key(ref, n);
    size_t pos = home(ix, key);
    for (; ix->table[pos].key != 0; pos = (pos + 1) & ix->mask)
        if (hit(ix, pos, key, ref, n))
            return AB_E_DUP;
    cold *r = &ix->recs[pos];
    int rc = pool_add(ix, ref, n, &r->ref_off);
    if (rc < 0)
        return rc;
    r->ref_len = (uint8_t)n;
    r->claim_id = claim_id;
    r->amount_cents = amount_cents;
    r->due_day = due_day;
    r->plate_len = 0;
    r->plate_next = CLAIMIDX_NONE;
    ix->table[pos] = (hot){.key = key, .open_cents = open_cents};
    ix->count++;
    *slot = (uint32_t)pos;
    if (ix->min_len == 0 || n < ix->min_len)
        ix->min_len = n;
    if (n > ix->max_len)
        ix->max_len = n;
    return AB_OK;
}

size_t claimidx_count(const claimidx *ix) { return ix->count; }
int64_t claimidx_claim_id(const claimidx *ix, uint32_t s) { return ix->recs[s].claim_id; }
int64_t claimidx_amount(const claimidx *ix, uint32_t s) { return ix->recs[s].amount_cents; }
int64_t claimidx_open(const claimidx *ix, uint32_t s) { return ix->table[s].open_cents; }
int32_t claimidx_due_day(const claimidx *ix, uint32_t s) { return ix->recs[s].due_day; }
size_t claimidx_min_len(const claimidx *ix) { return ix->min_len; }
size_t claimidx_max_len(const claimidx *ix) { return ix->max_len; }

const char *claimidx_reference(const claimidx *ix, uint32_t s, size_t *n)
{
    *n = ix->recs[s].ref_len;
    return ix->pool + ix->recs[s].ref_off;
}

void claimidx_apply(claimidx *ix, uint32_t s, int64_t cents)
{
    ix->table[s].open_cents -= cents;
}

size_t claimidx_bytes(const claimidx *ix)
{
    return sizeof *ix + (ix->mask + 1) * (sizeof *ix->table + sizeof *ix->recs + sizeof *ix->plates) +
           ix->pool_cap;
}

static int same_plate(const claimidx *ix, uint32_t s, const char *p, size_t n)
{
    const cold *r = &ix->recs[s];
    return r->plate_len == n && memcmp(ix->pool + r->plate_off, p, n) == 0;
}

/* The table word for this plate: its position, and whether it is taken. */
static size_t plate_pos(const claimidx *ix, const char *p, size_t n, int *found)
{
    uint64_t h = XXH3_64bits(p, n), tag = h >> 32;
    for (size_t pos = h & ix->mask;; pos = (pos + 1) & ix->mask) {
        uint64_t w = ix->plates[pos];
        if (w == 0) {
            *found = 0;
            return pos;
        }
        if ((w >> 32) == tag && same_plate(ix, (uint32_t)(w & 0xffffffffu) - 1, p, n)) {
            *found = 1;
            return pos;
        }
    }
}

int claimidx_set_plate(claimidx *ix, uint32_t slot, const char *plate, size_t n)
{
    if (n == 0 || n > 32)
        return AB_E_INVAL;
    cold *r = &ix->recs[slot];
    if (r->plate_len)
        return AB_E_DUP; /* one plate per claim: a second would corrupt the chain */
    int rc = pool_add(ix, plate, n, &r->plate_off);
    if (rc < 0)
        return rc;
    r->plate_len = (uint8_t)n;
    int found;
    size_t pos = plate_pos(ix, plate, n, &found);
    r->plate_next = found ? (uint32_t)(ix->plates[pos] & 0xffffffffu) - 1 : CLAIMIDX_NONE;
    uint64_t tag = XXH3_64bits(plate, n) >> 32;
    ix->plates[pos] = (tag << 32) | (uint64_t)(slot + 1);
    return AB_OK;
}

uint32_t claimidx_plate_first(const claimidx *ix, const char *plate, size_t n)
{
    int found;
    size_t pos = plate_pos(ix, plate, n, &found);
    return found ? (uint32_t)(ix->plates[pos] & 0xffffffffu) - 1 : CLAIMIDX_NONE;
}

uint32_t claimidx_plate_next(const claimidx *ix, uint32_t slot)
{
    return ix->recs[slot].plate_next;
}

void claimidx_update(claimidx *ix, uint32_t s, int64_t amount_cents, int64_t open_cents,
                     int32_t due_day)
{
    ix->recs[s].amount_cents = amount_cents;
    ix->recs[s].due_day = due_day;
    ix->table[s].open_cents = open_cents;
}

void claimidx_id_map(const claimidx *ix, uint32_t *map, size_t n)
{
    for (size_t s = 0; s <= ix->mask; s++) {
        int64_t id = ix->recs[s].claim_id;
        if (ix->table[s].key != 0 && id >= 0 && (uint64_t)id < n)
            map[id] = (uint32_t)s;
    }
}

/* --- persistence -------------------------------------------------------- */

#define SNAP_MAGIC "ABCLIDX"   /* 8 bytes with the NUL */
#define SNAP_VERSION 1u
#define SNAP_ORDER 0x01020304u /* a file of another byte order fails here */

typedef struct snap_hdr {
    char magic[8];
    uint32_t version, order;
    uint32_t hot_size, cold_size;  /* a change of the structs needs a new version */
    uint64_t count, capacity, slots, pool_len, min_len, max_len;
    uint64_t checksum;             /* XXH3-64 of table, recs, plates, pool */
} snap_hdr;

typedef struct part {
    void *p;
    size_t n;
} part;

static void parts_of(const claimidx *ix, part out[4])
{
    size_t slots = ix->mask + 1;
    out[0] = (part){ix->table, slots * sizeof *ix->table};
    out[1] = (part){ix->recs, slots * sizeof *ix->recs};
    out[2] = (part){ix->plates, slots * sizeof *ix->plates};
    out[3] = (part){ix->pool, ix->pool_len};
}

/* One pass of XXH3 at memory speed; each part seeded with the sum so far. */
static uint64_t checksum(const part parts[4])
{
    uint64_t h = SNAP_ORDER;
    for (int i = 0; i < 4; i++)
        h = XXH3_64bits_withSeed(parts[i].p, parts[i].n, h);
    return h;
}

int claimidx_save(const claimidx *ix, int fd)
{
    part parts[4];
    parts_of(ix, parts);
    snap_hdr h = {.magic = SNAP_MAGIC, .version = SNAP_VERSION, .order = SNAP_ORDER,
                  .hot_size = sizeof(hot), .cold_size = sizeof(cold), .count = ix->count,
                  .capacity = ix->capacity, .slots = ix->mask + 1, .pool_len = ix->pool_len,
                  .min_len = ix->min_len, .max_len = ix->max_len, .checksum = checksum(parts)};
    int rc = fdio_write_all(fd, &h, sizeof h);
    for (int i = 0; i < 4 && rc == AB_OK; i++)
        rc = fdio_write_all(fd, parts[i].p, parts[i].n);
    return rc;
}

/* The header describes an index this build could have written. */
static int header_ok(const snap_hdr *h)
{
    return !memcmp(h->magic, SNAP_MAGIC, sizeof h->magic) && h->version == SNAP_VERSION &&
           h->order == SNAP_ORDER && h->hot_size == sizeof(hot) && h->cold_size == sizeof(cold) &&
           h->slots >= 16 && (h->slots & (h->slots - 1)) == 0 && h->count <= h->capacity &&
           h->capacity <= AB_CLAIMS_MAX && h->slots * 7 >= h->capacity * 10 &&
           h->slots <= 2 * ((uint64_t)AB_CLAIMS_MAX * 10 / 7 + 16) && h->pool_len <= UINT32_MAX &&
           h->max_len <= AB_REF_MAX && h->min_len <= h->max_len;
}

int claimidx_load(claimidx **out, int fd, size_t extra)
{
    snap_hdr h;
    int rc = fdio_read_all(fd, &h, sizeof h);
    if (rc < 0)
        return rc;
    if (!header_ok(&h))
        return AB_E_PARSE;
    uint64_t capacity = h.count + extra;
    if (extra > AB_CLAIMS_MAX || capacity > AB_CLAIMS_MAX || capacity * 10 > h.slots * 7)
        return AB_E_LIMIT;
    claimidx *ix = mem_calloc(1, sizeof *ix);
    if (!ix)
        return AB_E_NOMEM;
    ix->mask = h.slots - 1;
    ix->count = h.count;
    ix->capacity = capacity ? capacity : 1;
    ix->pool_len = h.pool_len;
    ix->pool_cap = h.pool_len + extra * 13 + 64;
    ix->min_len = h.min_len;
    ix->max_len = h.max_len;
    ix->table = mem_huge_calloc(h.slots, sizeof *ix->table);
    ix->plates = mem_huge_calloc(h.slots, sizeof *ix->plates);
    ix->recs = mem_huge_calloc(h.slots, sizeof *ix->recs);
    ix->pool = mem_alloc(ix->pool_cap);
    rc = ix->table && ix->plates && ix->recs && ix->pool ? AB_OK : AB_E_NOMEM;
    part parts[4];
    parts_of(ix, parts);
    for (int i = 0; i < 4 && rc == AB_OK; i++)
        rc = fdio_read_all(fd, parts[i].p, parts[i].n);
    if (rc == AB_OK && checksum(parts) != h.checksum)
        rc = AB_E_PARSE;
    if (rc < 0) {
        claimidx_destroy(ix);
        return rc;
    }
    *out = ix;
    return AB_OK;
}
