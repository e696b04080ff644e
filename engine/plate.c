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
