/*
 * refscan.c - references in remittance text; see refscan.h.
 *
 * One pass collects digit groups and chains them while exactly one
 * separator (space, '.', '-', '/', line break) stands between two groups;
 * each chain then proposes every run of consecutive groups whose digit
 * count is a length some claim has.  The check digit filters the proposals:
 * under ISO 7064 MOD 11,10 a random digit string passes one time in ten, and
 * the claim index filters the rest.  Letters around digits end a group but
 * do not hide it ("KZ400000010017", "400000010017EUR").  Everything lives in
 * fixed arrays on the stack: no allocation, safe on any thread.
 */
#include "refscan.h"

#include <string.h>

#define CHAIN_MAX 64

typedef struct group {
    size_t pos, len;
} group;

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_sep(char c) { return c == ' ' || c == '.' || c == '-' || c == '/' || c == '\n'; }

typedef struct scan_state {
    const refscan_opts *o;
    const char *text;
    refscan_cand *out;
    size_t max, n;
} scan_state;

static void add_any(scan_state *s, const char *digits, size_t len, size_t pos, int ok)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->out[i].len == len && !memcmp(s->out[i].ref, digits, len))
            return;
    if (s->n == s->max)
        return;
    refscan_cand *c = &s->out[s->n++];
    memcpy(c->ref, digits, len);
    c->ref[len] = '\0';
    c->len = (unsigned char)len;
    c->check_ok = (unsigned char)ok;
    c->pos = (unsigned short)(pos > 65535 ? 65535 : pos);
}

static void add(scan_state *s, const char *digits, size_t len, size_t pos)
{
    int ok = cd_valid(s->o->scheme, digits, len);
    if (ok || s->o->keep_invalid)
        add_any(s, digits, len, pos, ok);
}

/* Every run of consecutive groups in the chain with an allowed length. */
static void propose(scan_state *s, const group *g, size_t ng)
{
    char buf[AB_REF_MAX + 1];
    for (size_t i = 0; i < ng; i++) {
        size_t len = 0;
        for (size_t j = i; j < ng; j++) {
            if (len + g[j].len > s->o->max_len || len + g[j].len > AB_REF_MAX)
                break;
            memcpy(buf + len, s->text + g[j].pos, g[j].len);
            len += g[j].len;
            if (len >= s->o->min_len)
                add(s, buf, len, g[i].pos);
        }
    }
}

/* ISO 11649: RF, two check digits, up to 21 letters or digits; valid when
 * the reference moved behind its first four characters, letters counted
 * as 10..35, leaves 1 modulo 97. */
int refscan_rf_valid(const char *s, size_t n)
{
    if (n < 5 || n > 25 || s[0] != 'R' || s[1] != 'F' || !is_digit(s[2]) || !is_digit(s[3]))
        return 0;
    unsigned m = 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[(k + 4) % n];
        if (is_digit(c))
            m = (m * 10 + (unsigned)(c - '0')) % 97;
        else if (c >= 'A' && c <= 'Z')
            m = (m * 100 + (unsigned)(c - 'A' + 10)) % 97;
        else
            return 0;
    }
    return m == 1;
}

static int is_alnum_up(char c, char *up)
{
    if (is_digit(c) || (c >= 'A' && c <= 'Z')) {
        *up = c;
        return 1;
    }
    if (c >= 'a' && c <= 'z') {
        *up = (char)(c - 'a' + 'A');
        return 1;
    }
    return 0;
}

/* "RF18 5390 0754 7034": RF at a word start, groups parted by one space;
 * at the end of every group, the reference so far is proposed if valid. */
static void find_rf(scan_state *s, const char *t, size_t n)
{
    char up, c1;
    for (size_t i = 0; i + 4 < n; i++) {
        if ((i > 0 && is_alnum_up(t[i - 1], &up)) || !is_alnum_up(t[i], &up) || up != 'R' ||
            !is_alnum_up(t[i + 1], &c1) || c1 != 'F')
            continue;
        char buf[32];
        size_t len = 0, j = i;
        while (j < n && len < 25 && is_alnum_up(t[j], &up)) {
            buf[len++] = up;
            j++;
            int group_end = j == n || !is_alnum_up(t[j], &up);
            if (group_end && refscan_rf_valid(buf, len))
                add_any(s, buf, len, i, 1);
            if (group_end && j + 1 < n && t[j] == ' ' && is_alnum_up(t[j + 1], &up))
                j++; /* one space inside the reference */
        }
    }
}

size_t refscan_find(const refscan_opts *o, const char *text, size_t n, refscan_cand *out,
                    size_t max)
{
    scan_state s = {.o = o, .text = text, .out = out, .max = max};
    if (o->max_len == 0 || o->min_len > o->max_len) {
        find_rf(&s, text, n);
        return s.n;
    }
    group g[CHAIN_MAX];
    size_t ng = 0;
    size_t i = 0;
    while (i < n) {
        if (!is_digit(text[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < n && is_digit(text[i]))
            i++;
        /* A group joins the chain when one separator parts it from the last. */
        int joins = ng > 0 && ng < CHAIN_MAX &&
                    start == g[ng - 1].pos + g[ng - 1].len + 1 &&
                    is_sep(text[start - 1]);
        if (!joins && ng) {
            propose(&s, g, ng);
            ng = 0;
        }
        g[ng].pos = start;
        g[ng].len = i - start;
        ng++;
    }
    if (ng)
        propose(&s, g, ng);
    find_rf(&s, text, n);
    return s.n;
}

size_t refscan_normalise(const char *s, size_t n, char out[AB_REF_MAX + 1])
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!is_digit(c) && !(c >= 'A' && c <= 'Z'))
            continue;
        if (o == AB_REF_MAX)
            return 0;
        out[o++] = c;
    }
    out[o] = '\0';
    return o;
}
