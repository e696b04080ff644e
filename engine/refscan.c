/*
 * refscan.c - references in remittance text; see refscan.h.
 *
 * In: a text (remittance lines joined by '\n', a structured reference, an
 * EndToEndId) and the lengths of references that exist.  Out: candidate
 * digit strings in text order, each with its check-digit verdict.
 *
 * Tokens.  A group is a maximal run of digits.  Anything that is not a digit
 * ends a group, and a group may start right after letters or end right
 * before them, so "KZ400000010009" and "400000010009EUR" yield the digits.
 * Two consecutive groups belong to one chain when the gap between them is
 *   - exactly one of ' ', '.', '-', '/', '\n' ("4000 0001 0009",
 *     "400.000.010.009", "400000-010009", "4000/0001/0009"), or
 *   - one '\n' with only blanks (' ', '\t', '\r') around it.  This is the
 *     line-wrap case: banks cut Ustrd at 35 or 140 characters and some pad
 *     lines with blanks or keep the blank the citizen typed at the cut
 *     ("4000 0001 \n0009", "4000000   \n10009").  A blank run without a
 *     line break still breaks the chain: there it is a deliberate gap.
 * Any other gap ends the chain: ", " and ". " (sentence punctuation), ':'
 * ("KZ: 4000" starts the chain at 4000), letters, two separators.
 *
 * Candidates.  Every run of consecutive groups g[i..j] of a chain whose
 * digits number within [min_len, max_len] (and <= AB_REF_MAX) is proposed,
 * cut only at group boundaries: a reference is never a piece of a longer
 * digit run.  The check digit filters the proposals (under ISO 7064 MOD
 * 11,10 a random digit string passes one time in ten) and the claim index
 * filters the rest.  Dates ("05.03.2024": 8 digits) and amounts ("25,00":
 * ',' breaks) are shorter than any Kassenzeichen, so min_len drops them.
 *
 * Cost: one pass over the text collecting groups into a fixed array of
 * CHAIN_MAX; per chain, every start group tries at most max_len groups.  A
 * longer chain (only hostile text has 64 single-separated numbers) is
 * proposed when the array is full and its last groups, those that can
 * still begin a candidate with the groups to come, are carried over.  The
 * output is kept in text order by sorting on the start position at the
 * end; a duplicate keeps its earliest position.  Nothing is allocated;
 * everything lives on the caller's stack, so any thread may scan.
 */
#include "refscan.h"

#include <string.h>

#define CHAIN_MAX 64u

typedef struct group {
    size_t pos, len;
} group;

typedef struct scan_state {
    const refscan_opts *o;
    const char *text;
    size_t max_len;         /* min(o->max_len, AB_REF_MAX) */
    refscan_cand *out;
    size_t max, n;
    group g[CHAIN_MAX];
    size_t ng;              /* groups in the current chain */
    size_t first_new;       /* runs ending before g[first_new] were proposed */
} scan_state;

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_sep(char c) { return c == ' ' || c == '.' || c == '-' || c == '/' || c == '\n'; }
static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* True when text[a..b) may stand between two groups of one chain. */
static int joins(const char *text, size_t a, size_t b)
{
    if (b - a == 1)
        return is_sep(text[a]);
    size_t newlines = 0;
    for (size_t i = a; i < b; i++) {
        if (text[i] == '\n')
            newlines++;
        else if (!is_blank(text[i]))
            return 0;
    }
    return newlines == 1;
}

static void add(scan_state *s, const char *digits, size_t len, size_t pos)
{
    int ok = cd_valid(s->o->scheme, digits, len);
    if (!ok && !s->o->keep_invalid)
        return;
    unsigned short p16 = (unsigned short)(pos > 65535 ? 65535 : pos);
    for (size_t i = 0; i < s->n; i++)
        if (s->out[i].len == len && !memcmp(s->out[i].ref, digits, len)) {
            if (p16 < s->out[i].pos)
                s->out[i].pos = p16;
            return;
        }
    if (s->n == s->max)
        return;
    refscan_cand *c = &s->out[s->n++];
    memcpy(c->ref, digits, len);
    c->ref[len] = '\0';
    c->len = (unsigned char)len;
    c->check_ok = (unsigned char)ok;
    c->pos = p16;
}

/* Every run g[i..j] of the chain with an allowed length and j >= first_new. */
static void propose(scan_state *s)
{
    char buf[AB_REF_MAX + 1];
    for (size_t i = 0; i < s->ng; i++) {
        size_t len = 0;
        for (size_t j = i; j < s->ng; j++) {
            const group *g = &s->g[j];
            if (len + g->len > s->max_len)
                break;
            memcpy(buf + len, s->text + g->pos, g->len);
            len += g->len;
            if (len >= s->o->min_len && j >= s->first_new)
                add(s, buf, len, s->g[i].pos);
        }
    }
}

/* The chain array is full: propose it, keep the groups that can still start
 * a candidate together with groups to come (fewer than max_len digits from
 * them to the end), and mark them as already proposed among themselves. */
static void carry_over(scan_state *s)
{
    propose(s);
    size_t keep = 0, digits = 0;
    while (keep < s->ng && digits + s->g[s->ng - 1 - keep].len < s->max_len) {
        digits += s->g[s->ng - 1 - keep].len;
        keep++;
    }
    memmove(s->g, s->g + (s->ng - keep), keep * sizeof s->g[0]);
    s->ng = keep;
    s->first_new = keep;
}

static void end_chain(scan_state *s)
{
    if (s->ng)
        propose(s);
    s->ng = 0;
    s->first_new = 0;
}

/* Insertion sort by start position; stable, and n is at most a few dozen. */
static void sort_by_pos(refscan_cand *c, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (c[i].pos >= c[i - 1].pos)
            continue;
        refscan_cand t = c[i];
        size_t k = i;
        while (k > 0 && c[k - 1].pos > t.pos) {
            c[k] = c[k - 1];
            k--;
        }
        c[k] = t;
    }
}

size_t refscan_find(const refscan_opts *o, const char *text, size_t n, refscan_cand *out,
                    size_t max)
{
    size_t max_len = o->max_len < AB_REF_MAX ? o->max_len : AB_REF_MAX;
    if (max == 0 || max_len == 0 || o->min_len > max_len)
        return 0;
    scan_state s = {.o = o, .text = text, .max_len = max_len, .out = out, .max = max};
    size_t i = 0;
    while (i < n) {
        if (!is_digit(text[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < n && is_digit(text[i]))
            i++;
        if (s.ng > 0) {
            const group *last = &s.g[s.ng - 1];
            if (!joins(text, last->pos + last->len, start))
                end_chain(&s);
            else if (s.ng == CHAIN_MAX)
                carry_over(&s);
        }
        s.g[s.ng].pos = start;
        s.g[s.ng].len = i - start;
        s.ng++;
    }
    end_chain(&s);
    sort_by_pos(out, s.n);
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
        if (o == AB_REF_MAX) {
            out[0] = '\0';
            return 0;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return o;
}
