/*
 * ticketmemo.c - the in-file checks of a ticket batch, in memory.
 *
 * Rows live in one growing array; their strings (the reference, and the
 * duplicate key "plate_key US tbnr") in one growing pool addressed by
 * offset.  Two open-addressing tables of row numbers (+1, 0 = empty) find
 * a reference and the latest row of a duplicate key; rows of one key are
 * chained backwards through `prev`.  Both tables double at half load, so a
 * lookup stays one or two probes.  Invariants: every remembered row is in
 * the key table's chain of its key; a row is in the reference table unless
 * it repeated a reference (then it is not remembered at all).
 */
#include "ticketmemo.h"

#include <string.h>
#include <xxhash.h>

#include "limits.h"
#include "mem.h"

typedef struct memo_row {
    uint64_t ref_hash;
    uint64_t key_hash;
    int64_t time;
    unsigned long line;
    uint32_t ref_off;   /* pool offsets of NUL-terminated strings */
    uint32_t key_off;
    uint32_t prev;      /* earlier row of the same key, +1; 0 = none */
    uint32_t chain;     /* rows of this key up to and including this one */
} memo_row;

struct ticketmemo {
    memo_row *rows;
    size_t nrows, cap_rows;
    char *pool;
    size_t pool_len, pool_cap;
    uint32_t *refs, *keys;  /* tables of row + 1 */
    size_t tab_cap;         /* slots in each table, a power of two */
    int64_t window;
    int64_t tmin, tmax;
};

#define KEY_SEP '\x1f'

int tmemo_create(ticketmemo **out, int64_t window_secs)
{
    ticketmemo *m = mem_calloc(1, sizeof *m);
    if (!m)
        return AB_E_NOMEM;
    m->window = window_secs;
    m->tab_cap = 1024;
    m->refs = mem_calloc(m->tab_cap, sizeof *m->refs);
    m->keys = mem_calloc(m->tab_cap, sizeof *m->keys);
    if (!m->refs || !m->keys) {
        tmemo_destroy(m);
        return AB_E_NOMEM;
    }
    *out = m;
    return AB_OK;
}

void tmemo_destroy(ticketmemo *m)
{
    if (!m)
        return;
    mem_free(m->rows);
    mem_free(m->pool);
    mem_free(m->refs);
    mem_free(m->keys);
    mem_free(m);
}

size_t tmemo_rows(const ticketmemo *m) { return m->nrows; }
int64_t tmemo_min_time(const ticketmemo *m) { return m->tmin; }
int64_t tmemo_max_time(const ticketmemo *m) { return m->tmax; }

/* Appends a..b as one NUL-terminated string; *off gets its offset. */
static int pool_add(ticketmemo *m, const char *a, size_t an, const char *b, size_t bn,
                    uint32_t *off)
{
    size_t need = an + (b ? 1 + bn : 0) + 1;
    if (m->pool_len + need > UINT32_MAX)
        return AB_E_LIMIT;
    if (m->pool_len + need > m->pool_cap) {
        size_t cap = m->pool_cap ? m->pool_cap * 2 : 64 * 1024;
        while (cap < m->pool_len + need)
            cap *= 2;
        char *p = mem_realloc(m->pool, cap);
        if (!p)
            return AB_E_NOMEM;
        m->pool = p;
        m->pool_cap = cap;
    }
    char *o = m->pool + m->pool_len;
    memcpy(o, a, an);
    if (b) {
        o[an] = KEY_SEP;
        memcpy(o + an + 1, b, bn);
    }
    o[need - 1] = '\0';
    *off = (uint32_t)m->pool_len;
    m->pool_len += need;
    return AB_OK;
}

static void put(uint32_t *tab, size_t cap, uint64_t h, uint32_t v)
{
    size_t i = (size_t)h & (cap - 1);
    while (tab[i])
        i = (i + 1) & (cap - 1);
    tab[i] = v;
}

/* Doubles both tables.  The key table holds the latest row of each key:
 * re-inserting every row in order lets later rows overwrite earlier ones. */
static int grow(ticketmemo *m)
{
    size_t cap = m->tab_cap * 2;
    uint32_t *refs = mem_calloc(cap, sizeof *refs);
    uint32_t *keys = mem_calloc(cap, sizeof *keys);
    if (!refs || !keys) {
        mem_free(refs);
        mem_free(keys);
        return AB_E_NOMEM;
    }
    for (size_t i = 0; i < m->tab_cap; i++) {
        if (m->refs[i])
            put(refs, cap, m->rows[m->refs[i] - 1].ref_hash, m->refs[i]);
        if (m->keys[i])
            put(keys, cap, m->rows[m->keys[i] - 1].key_hash, m->keys[i]);
    }
    mem_free(m->refs);
    mem_free(m->keys);
    m->refs = refs;
    m->keys = keys;
    m->tab_cap = cap;
    return AB_OK;
}

/* The slot holding the row with this string (or the empty slot where it
 * would go), in a table whose rows' strings are at field `off`. */
static size_t find_slot(const ticketmemo *m, const uint32_t *tab, uint64_t h, const char *s,
                        int by_key)
{
    size_t i = (size_t)h & (m->tab_cap - 1);
    for (; tab[i]; i = (i + 1) & (m->tab_cap - 1)) {
        const memo_row *r = &m->rows[tab[i] - 1];
        uint64_t rh = by_key ? r->key_hash : r->ref_hash;
        if (rh == h && !strcmp(m->pool + (by_key ? r->key_off : r->ref_off), s))
            return i;
    }
    return i;
}

static int reserve(ticketmemo *m)
{
    if (m->nrows >= AB_TICKETS_FILE_MAX)
        return AB_E_LIMIT;
    if (m->nrows == m->cap_rows) {
        size_t cap = m->cap_rows ? m->cap_rows * 2 : 4096;
        memo_row *r = mem_realloc(m->rows, cap * sizeof *r);
        if (!r)
            return AB_E_NOMEM;
        m->rows = r;
        m->cap_rows = cap;
    }
    return (m->nrows + 1) * 2 > m->tab_cap ? grow(m) : AB_OK;
}

/* The first earlier row of the chain within the window (rows of a chain
 * have other references: a repeated one is never remembered). */
static unsigned long first_within(const ticketmemo *m, uint32_t head, int64_t t)
{
    unsigned long first = 0;
    for (uint32_t i = head; i; i = m->rows[i - 1].prev) {
        const memo_row *r = &m->rows[i - 1];
        int64_t d = r->time > t ? r->time - t : t - r->time;
        if (d <= m->window)
            first = r->line; /* the chain runs backwards: the last hit is the earliest */
    }
    return first;
}

int tmemo_check(ticketmemo *m, unsigned long line, const char *ref, const char *plate_key,
                const char *tbnr, int64_t offense_time, unsigned long *first_line)
{
    char key[160];
    size_t pn = strlen(plate_key), tn = strlen(tbnr);
    if (pn + 1 + tn >= sizeof key)
        return AB_E_INVAL; /* checked rows have a catalogue TBNR and a bounded plate */
    memcpy(key, plate_key, pn);
    key[pn] = KEY_SEP;
    memcpy(key + pn + 1, tbnr, tn + 1);
    int rc = reserve(m);
    if (rc < 0)
        return rc;
    uint64_t rh = XXH3_64bits(ref, strlen(ref)), kh = XXH3_64bits(key, pn + 1 + tn);
    size_t rs = find_slot(m, m->refs, rh, ref, 0);
    if (m->refs[rs]) {
        *first_line = m->rows[m->refs[rs] - 1].line;
        return TMEMO_REPEATED_REF;
    }
    size_t ks = find_slot(m, m->keys, kh, key, 1);
    uint32_t head = m->keys[ks];
    if (head && m->rows[head - 1].chain >= AB_TICKETS_SAME_CAR_MAX)
        return TMEMO_TOO_MANY;
    unsigned long first = head ? first_within(m, head, offense_time) : 0;
    memo_row *r = &m->rows[m->nrows];
    *r = (memo_row){.ref_hash = rh, .key_hash = kh, .time = offense_time, .line = line,
                    .prev = head, .chain = head ? m->rows[head - 1].chain + 1 : 1};
    rc = pool_add(m, ref, strlen(ref), NULL, 0, &r->ref_off);
    if (rc == AB_OK)
        rc = pool_add(m, key, pn + 1 + tn, NULL, 0, &r->key_off);
    if (rc < 0)
        return rc;
    m->nrows++;
    m->refs[rs] = (uint32_t)m->nrows;
    m->keys[ks] = (uint32_t)m->nrows;
    if (first) {
        *first_line = first;
        return TMEMO_LIKELY_DUP;
    }
    if (m->nrows == 1 || offense_time < m->tmin)
        m->tmin = offense_time;
    if (m->nrows == 1 || offense_time > m->tmax)
        m->tmax = offense_time;
    return TMEMO_NEW;
}
