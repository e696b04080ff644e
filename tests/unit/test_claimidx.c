/*
 * test_claimidx.c - the claim index: inserts, lookups, duplicates, limits,
 * open amounts, plates, and 10^5 random references of every length, where
 * probe runs really form and wrap around the table; a saved index loads
 * back slot for slot, and a damaged file is refused.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../engine/claimidx.h"
#include "../../engine/limits.h"

Test(claimidx, insert_find_dup_limit)
{
    claimidx *ix;
    uint32_t s, t;
    cr_assert_eq(claimidx_create(&ix, 2), AB_OK);
    cr_assert_eq(claimidx_find(ix, "400000010017", 12), CLAIMIDX_NONE, "empty index");
    cr_assert_eq(claimidx_min_len(ix), 0);
    cr_assert_eq(claimidx_insert(ix, "400000010017", 12, 7, 2500, 2400, 100, &s), AB_OK);
    cr_assert_neq(s, CLAIMIDX_NONE);
    cr_assert_eq(claimidx_insert(ix, "400000010017", 12, 8, 2500, 2500, 100, &t), AB_E_DUP);
    cr_assert_eq(claimidx_insert(ix, "", 0, 9, 100, 0, 1, &t), AB_E_INVAL);
    cr_assert_eq(claimidx_insert(ix, "12345", 5, 9, 100, 0, 1, &t), AB_OK);
    cr_assert_neq(t, s, "each claim its own slot");
    cr_assert_eq(claimidx_insert(ix, "54321", 5, 10, 100, 0, 1, &t), AB_E_LIMIT);
    cr_assert_eq(claimidx_count(ix), 2);
    cr_assert_eq(claimidx_find(ix, "54321", 5), CLAIMIDX_NONE, "a refused claim is not there");

    uint32_t a = claimidx_find(ix, "400000010017", 12);
    cr_assert_eq(a, s);
    cr_assert_eq(claimidx_claim_id(ix, a), 7);
    cr_assert_eq(claimidx_amount(ix, a), 2500);
    cr_assert_eq(claimidx_open(ix, a), 2400);
    cr_assert_eq(claimidx_due_day(ix, a), 100);
    cr_assert_eq(claimidx_find(ix, "400000010025", 12), CLAIMIDX_NONE);
    cr_assert_eq(claimidx_find(ix, "40000001001", 11), CLAIMIDX_NONE, "a prefix is not a hit");
    cr_assert_eq(claimidx_find(ix, "4000000100170", 13), CLAIMIDX_NONE);
    cr_assert_eq(claimidx_find(ix, "", 0), CLAIMIDX_NONE);

    claimidx_apply(ix, a, 2400);
    cr_assert_eq(claimidx_open(ix, a), 0);
    claimidx_apply(ix, a, -1000);
    cr_assert_eq(claimidx_open(ix, a), 1000, "a reversal raises the open amount");
    cr_assert_eq(claimidx_min_len(ix), 5);
    cr_assert_eq(claimidx_max_len(ix), 12);
    size_t n;
    const char *r = claimidx_reference(ix, a, &n);
    cr_assert_eq(n, 12);
    cr_assert_eq(memcmp(r, "400000010017", 12), 0);
    cr_assert_gt(claimidx_bytes(ix), 2 * 64);
    claimidx_destroy(ix);
}

Test(claimidx, limits)
{
    claimidx *ix = NULL;
    cr_assert_eq(claimidx_create(&ix, (size_t)AB_CLAIMS_MAX + 1), AB_E_LIMIT);
    cr_assert_eq(claimidx_create(&ix, 0), AB_OK, "0 is a valid (empty) capacity");
    char longest[AB_REF_MAX + 2];
    memset(longest, 'A', sizeof longest);
    uint32_t s;
    cr_assert_eq(claimidx_insert(ix, longest, AB_REF_MAX + 1, 1, 1, 1, 0, &s), AB_E_INVAL);
    cr_assert_eq(claimidx_insert(ix, longest, AB_REF_MAX, 1, 1, 1, 0, &s), AB_OK);
    cr_assert_eq(claimidx_find(ix, longest, AB_REF_MAX), s);
    cr_assert_eq(claimidx_find(ix, longest, AB_REF_MAX + 1), CLAIMIDX_NONE);
    cr_assert_eq(claimidx_max_len(ix), AB_REF_MAX);
    claimidx_destroy(ix);
    claimidx_destroy(NULL);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* A random reference of 5..35 characters from [0-9A-Y]; 'Z' never occurs,
 * so any string with a 'Z' is certainly absent. */
static size_t random_ref(char *out, uint64_t *rng)
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXY";
    size_t n = AB_REF_MIN + (size_t)(splitmix(rng) % (AB_REF_MAX - AB_REF_MIN + 1));
    for (size_t k = 0; k < n; k++)
        out[k] = alphabet[splitmix(rng) % (sizeof alphabet - 1)];
    return n;
}

Test(claimidx, hundred_thousand_random)
{
    enum { N = 100000 };
    static char refs[N][AB_REF_MAX];
    static size_t lens[N];
    static uint32_t slots[N];
    claimidx *ix;
    cr_assert_eq(claimidx_create(&ix, N), AB_OK);
    uint64_t rng = 42;
    for (int i = 0; i < N; i++) {
        uint32_t s;
        int rc;
        do { /* a repeat is vanishingly rare but legal: draw again */
            lens[i] = random_ref(refs[i], &rng);
            rc = claimidx_insert(ix, refs[i], lens[i], i, 100 + i, 100 + i, i, &s);
        } while (rc == AB_E_DUP);
        cr_assert_eq(rc, AB_OK);
        slots[i] = s;
    }
    cr_assert_eq(claimidx_count(ix), N);
    for (int i = 0; i < N; i++) {
        uint32_t s = claimidx_find(ix, refs[i], lens[i]);
        cr_assert_eq(s, slots[i], "ref %d", i);
        cr_assert_eq(claimidx_claim_id(ix, s), i);
        cr_assert_eq(claimidx_amount(ix, s), 100 + i);
        size_t n;
        const char *r = claimidx_reference(ix, s, &n);
        cr_assert(n == lens[i] && !memcmp(r, refs[i], n));
        char absent[AB_REF_MAX];
        memcpy(absent, refs[i], lens[i]);
        absent[lens[i] - 1] = 'Z'; /* one character off */
        cr_assert_eq(claimidx_find(ix, absent, lens[i]), CLAIMIDX_NONE);
        cr_assert_eq(claimidx_find(ix, refs[i], lens[i] - 1), CLAIMIDX_NONE);
    }
    /* Guards against a layout regression (a table or pool per claim that
     * grows without bound), not a tight budget: 10 M claims must fit RAM. */
    size_t per = claimidx_bytes(ix) / N;
    /* Worst case just past a power of two: load 0.35, 64 bytes a slot. */
    cr_assert_lt(per, 224, "bytes per claim: %zu", per);
    claimidx_destroy(ix);
}

Test(claimidx, plates)
{
    claimidx *ix;
    uint32_t s[4];
    cr_assert_eq(claimidx_create(&ix, 4), AB_OK);
    cr_assert_eq(claimidx_plate_first(ix, "HHAB1234", 8), CLAIMIDX_NONE, "no plates yet");
    const char *refs[] = {"400000010017", "400000010025", "400000010033", "400000010041"};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(claimidx_insert(ix, refs[i], 12, i, 100, 100, 0, &s[i]), AB_OK);
    cr_assert_eq(claimidx_plate_next(ix, s[0]), CLAIMIDX_NONE);
    cr_assert_eq(claimidx_set_plate(ix, s[0], "HHAB1234", 8), AB_OK);
    cr_assert_eq(claimidx_set_plate(ix, s[1], "BXY99", 5), AB_OK);
    cr_assert_eq(claimidx_set_plate(ix, s[2], "HHAB1234", 8), AB_OK);
    cr_assert_eq(claimidx_set_plate(ix, s[3], "", 0), AB_E_INVAL);

    uint32_t w = claimidx_plate_first(ix, "HHAB1234", 8);
    cr_assert_eq(w, s[2], "newest first");
    w = claimidx_plate_next(ix, w);
    cr_assert_eq(w, s[0]);
    cr_assert_eq(claimidx_plate_next(ix, w), CLAIMIDX_NONE);
    cr_assert_eq(claimidx_plate_first(ix, "BXY99", 5), s[1]);
    cr_assert_eq(claimidx_plate_next(ix, s[1]), CLAIMIDX_NONE);
    cr_assert_eq(claimidx_plate_first(ix, "HHAB123", 7), CLAIMIDX_NONE);
    cr_assert_eq(claimidx_plate_first(ix, "400000010017", 12), CLAIMIDX_NONE,
                 "references and plates are separate keys");
    cr_assert_eq(claimidx_find(ix, "HHAB1234", 8), CLAIMIDX_NONE);
    claimidx_destroy(ix);
}

Test(claimidx, plate_pool_grows)
{
    enum { N = 5000 };
    claimidx *ix;
    cr_assert_eq(claimidx_create(&ix, N), AB_OK);
    char ref[16], plate[32];
    for (int i = 0; i < N; i++) {
        uint32_t s;
        snprintf(ref, sizeof ref, "4%011d", i);
        cr_assert_eq(claimidx_insert(ix, ref, 12, i, 1, 1, 0, &s), AB_OK);
        /* 20-character plates: more than the pool's first guess of 8 */
        snprintf(plate, sizeof plate, "XXXXXXXXXXXXXXX%05d", i % 1000);
        cr_assert_eq(claimidx_set_plate(ix, s, plate, 20), AB_OK);
    }
    for (int p = 0; p < 1000; p++) {
        snprintf(plate, sizeof plate, "XXXXXXXXXXXXXXX%05d", p);
        int k = 0;
        for (uint32_t s = claimidx_plate_first(ix, plate, 20); s != CLAIMIDX_NONE;
             s = claimidx_plate_next(ix, s), k++)
            cr_assert_eq(claimidx_claim_id(ix, s) % 1000, p);
        cr_assert_eq(k, N / 1000);
    }
    claimidx_destroy(ix);
}

Test(claimidx, long_numbers_and_leading_zeros)
{
    /* Up to 16 digits are keyed by value and length, longer ones by hash:
     * both must keep "0123" apart from "123" and find each exactly. */
    claimidx *ix;
    uint32_t s[6];
    const char *refs[] = {"123", "0123", "00123", "12345678901234567",
                          "012345678901234567", "1234567890123456789"};
    cr_assert_eq(claimidx_create(&ix, 6), AB_OK);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(claimidx_insert(ix, refs[i], strlen(refs[i]), i, 100, 100, 0, &s[i]), AB_OK,
                     "%s", refs[i]);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(claimidx_find(ix, refs[i], strlen(refs[i])), s[i], "%s", refs[i]);
        cr_assert_eq(claimidx_claim_id(ix, s[i]), i);
    }
    cr_assert_eq(claimidx_find(ix, "000123", 6), CLAIMIDX_NONE);
    cr_assert_eq(claimidx_find(ix, "12345678901234568", 17), CLAIMIDX_NONE);
    claimidx_destroy(ix);
}

/* --- persistence: claimidx_save / claimidx_load ------------------------- */

/* 2000 claims, numeric and RF references, plates shared by ten claims. */
static claimidx *sample_index(size_t capacity)
{
    claimidx *ix;
    cr_assert_eq(claimidx_create(&ix, capacity), AB_OK);
    char ref[32], plate[16];
    for (int i = 0; i < 2000; i++) {
        uint32_t s;
        if (i % 3)
            snprintf(ref, sizeof ref, "4%011d", i);
        else
            snprintf(ref, sizeof ref, "RF18ABC%07d", i);
        cr_assert_eq(claimidx_insert(ix, ref, strlen(ref), 100 + i, 1000 + i, 900 + i, i, &s),
                     AB_OK);
        snprintf(plate, sizeof plate, "B%dX", i % 200);
        cr_assert_eq(claimidx_set_plate(ix, s, plate, strlen(plate)), AB_OK);
    }
    return ix;
}

static FILE *saved(const claimidx *ix)
{
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    cr_assert_eq(claimidx_save(ix, fileno(f)), AB_OK);
    cr_assert_eq(lseek(fileno(f), 0, SEEK_SET), 0);
    return f;
}

Test(claimidx, save_load_round_trip)
{
    claimidx *a = sample_index(2100), *b = NULL;
    FILE *f = saved(a);
    cr_assert_eq(claimidx_load(&b, fileno(f), 50), AB_OK);
    fclose(f);
    cr_assert_eq(claimidx_count(b), 2000);
    cr_assert_eq(claimidx_min_len(b), claimidx_min_len(a));
    cr_assert_eq(claimidx_max_len(b), claimidx_max_len(a));
    char ref[32], plate[16];
    for (int i = 0; i < 2000; i++) {
        if (i % 3)
            snprintf(ref, sizeof ref, "4%011d", i);
        else
            snprintf(ref, sizeof ref, "RF18ABC%07d", i);
        uint32_t s = claimidx_find(b, ref, strlen(ref));
        cr_assert_eq(s, claimidx_find(a, ref, strlen(ref)), "%s keeps its slot", ref);
        cr_assert_eq(claimidx_claim_id(b, s), 100 + i);
        cr_assert_eq(claimidx_amount(b, s), 1000 + i);
        cr_assert_eq(claimidx_open(b, s), 900 + i);
        cr_assert_eq(claimidx_due_day(b, s), i);
    }
    for (int p = 0; p < 200; p++) {
        snprintf(plate, sizeof plate, "B%dX", p);
        uint32_t sa = claimidx_plate_first(a, plate, strlen(plate));
        uint32_t sb = claimidx_plate_first(b, plate, strlen(plate));
        int k = 0;
        for (; sa != CLAIMIDX_NONE; sa = claimidx_plate_next(a, sa), sb = claimidx_plate_next(b, sb)) {
            cr_assert_eq(sa, sb, "plate chains in the same order");
            k++;
        }
        cr_assert_eq(sb, CLAIMIDX_NONE);
        cr_assert_eq(k, 10);
    }
    /* room for exactly `extra` more, then the limit as in a built index */
    uint32_t s;
    cr_assert_eq(claimidx_insert(b, "400000000001", 12, 1, 1, 1, 0, &s), AB_E_DUP);
    for (int i = 0; i < 50; i++) {
        snprintf(ref, sizeof ref, "5%011d", i);
        cr_assert_eq(claimidx_insert(b, ref, 12, 5000 + i, 10, 10, 0, &s), AB_OK);
        cr_assert_eq(claimidx_set_plate(b, s, "B7X", 3), AB_OK);
    }
    cr_assert_eq(claimidx_insert(b, "600000000000", 12, 9999, 10, 10, 0, &s), AB_E_LIMIT);
    cr_assert_eq(claimidx_claim_id(b, claimidx_plate_first(b, "B7X", 3)), 5049,
                 "a new claim heads its plate's chain");
    /* an update moves what a later ledger row changed, nothing else */
    s = claimidx_find(b, "400000000004", 12);
    claimidx_update(b, s, 5000, 1234, 77);
    cr_assert_eq(claimidx_amount(b, s), 5000);
    cr_assert_eq(claimidx_open(b, s), 1234);
    cr_assert_eq(claimidx_due_day(b, s), 77);
    cr_assert_eq(claimidx_claim_id(b, s), 104);
    claimidx_destroy(a);
    claimidx_destroy(b);
}

Test(claimidx, load_refuses_a_table_without_room)
{
    /* 2000 claims in 4096 slots: at most 2867 fit under the 0.7 load. */
    claimidx *a = sample_index(2000), *b = NULL;
    FILE *f = saved(a);
    cr_assert_eq(claimidx_load(&b, fileno(f), 867), AB_OK);
    claimidx_destroy(b);
    b = NULL;
    cr_assert_eq(lseek(fileno(f), 0, SEEK_SET), 0);
    cr_assert_eq(claimidx_load(&b, fileno(f), 868), AB_E_LIMIT);
    cr_assert_null(b);
    fclose(f);
    claimidx_destroy(a);
}

/* Writes the saved bytes of a, changed by fn, to a new file. */
static FILE *damaged(const claimidx *a, void (*fn)(char *buf, long *n))
{
    FILE *f = saved(a);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    char *buf = malloc((size_t)n);
    cr_assert_not_null(buf);
    cr_assert_eq(pread(fileno(f), buf, (size_t)n, 0), n);
    fclose(f);
    fn(buf, &n);
    FILE *g = tmpfile();
    cr_assert_not_null(g);
    cr_assert_eq(write(fileno(g), buf, (size_t)n), n);
    cr_assert_eq(lseek(fileno(g), 0, SEEK_SET), 0);
    free(buf);
    return g;
}

static void truncate_end(char *buf, long *n) { (void)buf; *n -= 1; }
static void truncate_header(char *buf, long *n) { (void)buf; *n = 20; }
static void wrong_magic(char *buf, long *n) { (void)n; buf[0] = 'X'; }
static void wrong_version(char *buf, long *n) { (void)n; buf[8] ^= 0x7f; }
static void flip_payload(char *buf, long *n) { buf[*n / 2] ^= 0x10; }
static void flip_pool(char *buf, long *n) { buf[*n - 3] ^= 0x01; }

Test(claimidx, load_refuses_damage)
{
    claimidx *a = sample_index(2000);
    void (*fns[])(char *, long *) = {truncate_end, truncate_header, wrong_magic, wrong_version,
                                     flip_payload, flip_pool};
    const char *names[] = {"truncated payload", "truncated header", "wrong magic",
                           "wrong version", "flipped bit in the tables", "flipped bit in the pool"};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        FILE *g = damaged(a, fns[i]);
        claimidx *b = NULL;
        cr_assert_eq(claimidx_load(&b, fileno(g), 10), AB_E_PARSE, "%s", names[i]);
        cr_assert_null(b, "%s", names[i]);
        fclose(g);
    }
    FILE *empty = tmpfile();
    claimidx *b = NULL;
    cr_assert_eq(claimidx_load(&b, fileno(empty), 0), AB_E_PARSE, "an empty file");
    fclose(empty);
    claimidx_destroy(a);
}
