/*
 * plate.c - licence plates in text; see plate.h.
 *
 * The scanner starts only at a word boundary and requires the whole token
 * to end at one, so "Rechnung2024" or "ABCDEF12" never look like plates:
 * at most 5 letters, at most two single separators (' ' or '-'), 1-4 digits.
 */
#include "plate.h"

#include <string.h>

/* Length of the letter at s (1 for ASCII, 2 for Ä/Ö/Ü in UTF-8), 0 if none;
 * writes its upper-case form to up. */
static size_t letter(const char *s, size_t n, char up[2])
{
    unsigned char c = (unsigned char)s[0];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
        up[0] = (char)(c & ~0x20);
        return 1;
    }
    if (c == 0xC3 && n >= 2) {
        unsigned char d = (unsigned char)s[1];
        if (d == 0x84 || d == 0x96 || d == 0x9C || d == 0xA4 || d == 0xB6 || d == 0xBC) {
            up[0] = (char)0xC3;
            up[1] = (char)(d >= 0xA0 ? d - 0x20 : d);
            return 2;
        }
    }
    return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Tries a plate at s; returns the bytes it spans (0: none) and the key. */
static size_t match(const char *s, size_t n, char out[PLATE_MAX], size_t *olen)
{
    size_t i = 0, o = 0, letters = 0, seps = 0, digits = 0;
    char up[2];
    size_t k;
    while (i < n && (k = letter(s + i, n - i, up))) {
        if (++letters > 5 || o + k >= PLATE_MAX)
            return 0;
        memcpy(out + o, up, k);
        o += k;
        i += k;
        if (i < n && (s[i] == ' ' || s[i] == '-') && i + 1 < n && !is_digit(s[i + 1]) &&
            letter(s + i + 1, n - i - 1, up)) {
            if (++seps > 1)
                return 0;
            i++;
        }
    }
    if (letters < 2)
        return 0;
    if (i < n && (s[i] == ' ' || s[i] == '-') && seps < 2)
        i++;
    while (i < n && is_digit(s[i]) && digits < 5) {
        out[o++] = s[i++];
        digits++;
    }
    if (digits < 1 || digits > 4)
        return 0;
    if (i < n && (s[i] == 'E' || s[i] == 'H') && (i + 1 == n || !letter(s + i + 1, n - i - 1, up)))
        out[o++] = s[i++];
    if (i < n && (is_digit(s[i]) || letter(s + i, n - i, up)))
        return 0;
    *olen = o;
    return i;
}

size_t plate_normalise(const char *s, size_t n, char out[PLATE_MAX])
{
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    size_t olen = 0;
    size_t used = match(s, n, out, &olen);
    if (used != n || olen == 0)
        return 0;
    out[olen] = '\0';
    return olen;
}

size_t plate_find(const char *text, size_t n, char out[][PLATE_MAX], size_t max)
{
    size_t found = 0;
    char up[2];
    for (size_t i = 0; i < n && found < max; i++) {
        if (i > 0 && (is_digit(text[i - 1]) || letter(text + i - 1, n - i + 1, up) ||
                      (unsigned char)text[i - 1] >= 0x80))
            continue;
        char key[PLATE_MAX];
        size_t olen = 0, used = match(text + i, n - i, key, &olen);
        if (!used)
            continue;
        key[olen] = '\0';
        size_t k = 0;
        while (k < found && strcmp(out[k], key))
            k++;
        if (k == found)
            memcpy(out[found++], key, olen + 1);
        i += used - 1;
    }
    return found;
}

/* --- validation of a ticket's plate ------------------------------------ */

extern const char *const plate_district_codes[];
extern const size_t plate_district_codes_count;

int plate_district_known(const char *code, size_t n)
{
    size_t lo = 0, hi = plate_district_codes_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *c = plate_district_codes[mid];
        size_t cl = strlen(c);
        int d = memcmp(c, code, cl < n ? cl : n);
        if (d == 0)
            d = cl < n ? -1 : cl > n ? 1 : 0;
        if (d == 0)
            return 1;
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* A plate split into its parts: letters (upper-case UTF-8, with the byte
 * offset of each letter), where the first separator fell, digits. */
typedef struct plate_parts {
    char letters[PLATE_MAX];
    size_t off[PLATE_MAX];  /* byte offset of letter k in letters */
    size_t nletters, nbytes;
    size_t sep_after;       /* letters before the first separator; 0: none */
    char digits[8];
    size_t ndigits;
    int umlaut_in_tail;     /* an umlaut after the first separator */
    char suffix;            /* 'E' or 'H' after the digits; 0: none */
} plate_parts;

static const char *const not_a_plate =
    "not a German plate (district code, 1-2 letters, 1-4 digits)";

static const char *plate_split(const char *s, size_t n, plate_parts *p)
{
    size_t i = 0, k;
    char up[2];
    memset(p, 0, sizeof *p);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    /* An E or H right after the digits is a suffix, not part of the number. */
    if (n >= 2 && strchr("EHeh", s[n - 1]) && (is_digit(s[n - 2]) || s[n - 2] == ' ')) {
        p->suffix = (char)(s[n - 1] & ~0x20);
        n -= s[n - 2] == ' ' ? 2 : 1;
    }
    while (i < n) {
        if (s[i] == ' ' || s[i] == '-') {
            if (p->nletters && !p->sep_after)
                p->sep_after = p->nletters;
            i++;
        } else if (p->ndigits == 0 && (k = letter(s + i, n - i, up))) {
            if (p->nletters >= 5)
                return not_a_plate;
            if (k == 2 && p->sep_after)
                p->umlaut_in_tail = 1;
            p->off[p->nletters++] = p->nbytes;
            memcpy(p->letters + p->nbytes, up, k);
            p->nbytes += k;
            i += k;
        } else if (is_digit(s[i]) && p->ndigits < 6) {
            p->digits[p->ndigits++] = s[i++];
        } else {
            return not_a_plate;
        }
    }
    return p->nletters && p->ndigits ? NULL : not_a_plate;
}

/* Is letters[0..d) a known district code and the rest 0-2 plain letters? */
static int split_ok(const plate_parts *p, size_t d)
{
    size_t db = d < p->nletters ? p->off[d] : p->nbytes;
    if (d == 0 || d > 3 || d > p->nletters || !plate_district_known(p->letters, db))
        return 0;
    size_t tail = p->nletters - d;
    return tail <= 2 && p->nbytes - db == tail; /* more bytes than letters: an umlaut */
}

/* The rules for the number part once the district code is letters[0..d):
 * NULL when they hold, else the reason. */
static const char *number_rules(const plate_parts *p, size_t d)
{
    if (d == p->nletters) /* authority (Y, BW, THW ...) or dealer: digits only, up to 6 */
        return NULL;
    if (p->ndigits > 4)
        return "more than 4 digits";
    if (p->digits[0] == '0')
        return "the number starts with 0";
    if (p->nletters + p->ndigits > 8)
        return "more than 8 characters";
    return NULL;
}

const char *plate_check_de(const char *s, size_t n)
{
    plate_parts p;
    const char *why = plate_split(s, n, &p);
    if (why)
        return why;
    if (p.sep_after && p.sep_after < p.nletters) {
        /* The handheld wrote where the district code ends. */
        if (split_ok(&p, p.sep_after))
            return number_rules(&p, p.sep_after);
        if (!plate_district_known(p.letters, p.off[p.sep_after]))
            return "unknown district code";
        return p.umlaut_in_tail ? "umlaut in the identification letters"
                                : "more than 2 letters after the district code";
    }
    /* No separator inside the letters: any split that makes a valid plate
     * will do ("BAB123" is B-AB 123 or BA-B 123); else the first split's
     * reason. */
    const char *first = NULL;
    for (size_t d = 1; d <= 3 && d <= p.nletters; d++) {
        if (!split_ok(&p, d))
            continue;
        if (!(why = number_rules(&p, d)))
            return NULL;
        first = first ? first : why;
    }
    return first ? first : "unknown district code or more than 2 letters after it";
}

/* --- the car a plate names -------------------------------------------- */

size_t plate_key_plain(const char *s, size_t n, char out[PLATE_MAX])
{
    size_t o = 0;
    for (size_t i = 0; i < n && s[i] && o + 1 < PLATE_MAX; i++)
        if (s[i] != ' ' && s[i] != '-')
            out[o++] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
    out[o] = '\0';
    return o;
}

/* Where the district code of a valid German plate ends (letters before the
 * boundary); 0 when the plate is not valid, PLATE_AMBIGUOUS when more than
 * one split makes a valid plate and nothing written tells which. */
#define PLATE_AMBIGUOUS ((size_t)-1)
static size_t district_end(const plate_parts *p)
{
    if (p->sep_after && p->sep_after < p->nletters)
        return split_ok(p, p->sep_after) && !number_rules(p, p->sep_after) ? p->sep_after : 0;
    size_t found = 0;
    for (size_t d = 1; d <= 3 && d <= p->nletters; d++) {
        if (!split_ok(p, d) || number_rules(p, d))
            continue;
        if (found)
            return PLATE_AMBIGUOUS;
        found = d;
    }
    return found;
}

size_t plate_car_key(const char *s, size_t n, const char *nationality, char out[PLATE_CAR_MAX])
{
    if (nationality && nationality[0] && strcmp(nationality, "D")) {
        size_t nl = strlen(nationality);
        if (nl > 3)
            return 0;
        memcpy(out, nationality, nl);
        out[nl] = ':';
        return nl + 1 + plate_key_plain(s, n, out + nl + 1);
    }
    plate_parts p;
    if (plate_split(s, n, &p))
        return 0;
    size_t d = district_end(&p), o = 0;
    if (d == 0)
        return 0;
    if (d == PLATE_AMBIGUOUS) {
        out[o++] = '?';
        d = 0;
    }
    size_t db = d ? (d < p.nletters ? p.off[d] : p.nbytes) : 0;
    memcpy(out + o, p.letters, db);
    o += db;
    if (d)
        out[o++] = '-';
    memcpy(out + o, p.letters + db, p.nbytes - db);
    o += p.nbytes - db;
    memcpy(out + o, p.digits, p.ndigits);
    o += p.ndigits;
    if (p.suffix)
        out[o++] = p.suffix;
    out[o] = '\0';
    return o;
}
