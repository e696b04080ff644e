/*
 * refscan.c - references in remittance text; see refscan.h.
 *
 * In: a text (remittance lines joined by '\n', a structured reference, an
 * EndToEndId) and the lengths of references that exist.  Out: candidate
 * digit strings in text order, each with its check-digit verdict, then RF
 * creditor references.
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
 * filters the rest.  Amounts ("25,00": ',' breaks) are shorter than any
 * Kassenzeichen, so min_len drops them.  Dates ("05.03.2024", "2024-03-05")
 * are not: an office may use 8-digit Kassenzeichen.  So the three groups
 * of a date, and every run that takes in one of them, are never proposed.
 *
 * Cost: one pass over the text collecting groups into a fixed array of
 * CHAIN_MAX; per chain, every start group tries at most max_len groups.  A
 * longer chain (only hostile text has 64 single-separated numbers) is
 * proposed when the array is full and its last groups, those that can
 * still begin a candidate with the groups to come, are carried over.  The
 * output is kept in text order by sorting on the start position at the
 * end; a duplicate keeps its earliest position.  When out is full, a
 * candidate with a valid check digit replaces the last invalid one, so
 * keep_invalid (typo correction) never crowds out a real reference.
 *
 * RF creditor references (ISO 11649, "RF18 5390 0754 7034") are found in a
 * second pass: "RF" at a word start, letters and digits in groups parted by
 * one space, upper-cased, valid by mod 97; they follow the digit
 * references in the output (refscan.h).  check_ok is 1 for them.
 *
 * Nothing is allocated; everything lives on the caller's stack, so any
 * thread may scan.
 */
#include "refscan.h"

#include <string.h>

#define CHAIN_MAX 64u
_Static_assert(CHAIN_MAX > AB_REF_MAX, "a full chain always frees room when carried over");

typedef struct group {
    size_t pos, len;
} group;

typedef struct scan_state {
    const refscan_opts *o;
    const char *text;
    size_t max_len;         /* min(o->max_len, AB_REF_MAX) */
    refscan_cand *out;
    size_t max, n;
    group *g;               /* CHAIN_MAX groups on the caller's stack */
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

static void add_any(scan_state *s, const char *digits, size_t len, size_t pos, int ok)
{
    unsigned short p16 = (unsigned short)(pos > 65535 ? 65535 : pos);
    for (size_t i = 0; i < s->n; i++)
        if (s->out[i].len == len && !memcmp(s->out[i].ref, digits, len)) {
            if (p16 < s->out[i].pos)
                s->out[i].pos = p16;
            return;
        }
    refscan_cand *c;
    if (s->n < s->max) {
        c = &s->out[s->n++];
    } else {
        /* Full: a valid candidate takes the place of the last invalid one,
         * so that keep_invalid never crowds out a real reference. */
        size_t k = s->n;
        while (ok && k > 0 && s->out[k - 1].check_ok)
            k--;
        if (!ok || k == 0)
            return;
        c = &s->out[k - 1];
    }
    memcpy(c->ref, digits, len);
    c->ref[len] = '\0';
    c->len = (unsigned char)len;
    c->check_ok = (unsigned char)ok;
    c->pos = p16;
}

static void add(scan_state *s, const char *digits, size_t len, size_t pos)
{
    int ok = cd_valid(s->o->scheme, digits, len);
    if (ok || s->o->keep_invalid)
        add_any(s, digits, len, pos, ok);
}

static unsigned num(const char *t, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(t[i] - '0');
    return v;
}

/* True when g[k..k+2] is a calendar date as people write one: day, month
 * and year parted by one and the same '.', '/' or '-' ("05.03.2024",
 * "5/3/24"), or the year first with '-' ("2024-03-05").  Such digits are
 * the day of a payment or an invoice, not a reference: with 8-digit
 * Kassenzeichen "05.03.2024" would be proposed as 05032024, pass the check
 * digit one time in ten, and could name another citizen's claim. */
static int is_date(const char *text, const group *g)
{
    char a = text[g[0].pos + g[0].len], b = text[g[1].pos + g[1].len];
    if (g[1].pos != g[0].pos + g[0].len + 1 || g[2].pos != g[1].pos + g[1].len + 1 || a != b ||
        (a != '.' && a != '/' && a != '-'))
        return 0;
    const group *d = &g[0], *m = &g[1], *y = &g[2];
    if (a == '-' && g[0].len == 4 && g[2].len <= 2) {
        d = &g[2];
        y = &g[0];
    }
    unsigned dv = num(text + d->pos, d->len), mv = num(text + m->pos, m->len);
    return d->len <= 2 && m->len <= 2 && (y->len == 2 || y->len == 4) && dv >= 1 && dv <= 31 &&
           mv >= 1 && mv <= 12;
}

/* Every run g[i..j] of the chain with an allowed length and j >= first_new,
 * unless it takes in a group of a date. */
static void propose(scan_state *s)
{
    /* Locals: add() writes through s, so the compiler would reload these. */
    const group *g = s->g;
    const char *text = s->text;
    size_t ng = s->ng, first_new = s->first_new, max_len = s->max_len;
    size_t min_len = s->o->min_len;
    char buf[AB_REF_MAX + 1];
    unsigned char in_date[CHAIN_MAX] = {0};
    for (size_t k = 0; k + 2 < ng; k++)
        if (is_date(text, g + k))
            in_date[k] = in_date[k + 1] = in_date[k + 2] = 1;
    for (size_t i = 0; i < ng; i++) {
        size_t len = 0;
        for (size_t j = i; j < ng && !in_date[j] && len + g[j].len <= max_len; j++) {
            memcpy(buf + len, text + g[j].pos, g[j].len);
            len += g[j].len;
            if (len >= min_len && j >= first_new)
                add(s, buf, len, g[i].pos);
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

/* Output order: digit references before RF ones (refscan.h), each kind by
 * start position. */
static int before(const refscan_cand *a, const refscan_cand *b)
{
    int rf_a = !is_digit(a->ref[0]), rf_b = !is_digit(b->ref[0]);
    return rf_a != rf_b ? rf_a < rf_b : a->pos < b->pos;
}

/* Insertion sort: stable, and n is at most a few dozen. */
static void sort_out(refscan_cand *c, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (!before(&c[i], &c[i - 1]))
            continue;
        refscan_cand t = c[i];
        size_t k = i;
        while (k > 0 && before(&t, &c[k - 1])) {
            c[k] = c[k - 1];
            k--;
        }
        c[k] = t;
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
 * at the end of every group, the reference so far is proposed if valid.
 * RF references are appended after the digit references. */
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

/* Digit references: one pass over the text, chains proposed as they end. */
static void find_digits(scan_state *s, const char *text, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (!is_digit(text[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < n && is_digit(text[i]))
            i++;
        size_t ng = s->ng;
        if (ng > 0) {
            size_t end = s->g[ng - 1].pos + s->g[ng - 1].len;
            if (!(start - end == 1 ? is_sep(text[end]) : joins(text, end, start)))
                end_chain(s);
            else if (ng == CHAIN_MAX)
                carry_over(s);
        }
        s->g[s->ng].pos = start;
        s->g[s->ng].len = i - start;
        s->ng++;
    }
    end_chain(s);
}

size_t refscan_find(const refscan_opts *o, const char *text, size_t n, refscan_cand *out,
                    size_t max)
{
    size_t max_len = o->max_len < AB_REF_MAX ? o->max_len : AB_REF_MAX;
    group g[CHAIN_MAX]; /* left uninitialised: only g[0..ng) is ever read */
    scan_state s = {.o = o, .text = text, .max_len = max_len, .out = out, .max = max, .g = g};
    if (max == 0)
        return 0;
    if (max_len > 0 && o->min_len <= max_len)
        find_digits(&s, text, n);
    find_rf(&s, text, n);
    sort_out(out, s.n);
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
