/*
 * sepa.c - the SEPA character set and the TARGET2 calendar (sepa.h).
 *
 * Transliteration works code point by code point: a table covers Latin-1
 * and Latin Extended-A (U+00C0..U+017F, where every letter of a European
 * name in the euro area lies, except a few in Latin Extended-B that become
 * a space); a handful of punctuation has a meaningful stand-in; the rest is
 * a space, which is what a bank itself would make of it at best.  Spaces
 * are collapsed while writing, so the limit counts what the bank sees.
 */
#include "sepa.h"

#include <string.h>

#include "date.h"

/* U+00C0..U+017F: the letter(s) each becomes, in the case of the original. */
static const char *const latin[0x180 - 0xC0] = {
    /* C0 */ "A", "A", "A", "A", "Ae", "A", "Ae", "C", "E", "E", "E", "E", "I", "I", "I", "I",
    /* D0 */ "D", "N", "O", "O", "O", "O", "Oe", "x", "O", "U", "U", "U", "Ue", "Y", "Th", "ss",
    /* E0 */ "a", "a", "a", "a", "ae", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    /* F0 */ "d", "n", "o", "o", "o", "o", "oe", "/", "o", "u", "u", "u", "ue", "y", "th", "y",
    /* 100 */ "A", "a", "A", "a", "A", "a", "C", "c", "C", "c", "C", "c", "C", "c", "D", "d",
    /* 110 */ "D", "d", "E", "e", "E", "e", "E", "e", "E", "e", "E", "e", "G", "g", "G", "g",
    /* 120 */ "G", "g", "G", "g", "H", "h", "H", "h", "I", "i", "I", "i", "I", "i", "I", "i",
    /* 130 */ "I", "i", "IJ", "ij", "J", "j", "K", "k", "k", "L", "l", "L", "l", "L", "l", "L",
    /* 140 */ "l", "L", "l", "N", "n", "N", "n", "N", "n", "n", "N", "n", "O", "o", "O", "o",
    /* 150 */ "O", "o", "Oe", "oe", "R", "r", "R", "r", "R", "r", "S", "s", "S", "s", "S", "s",
    /* 160 */ "S", "s", "T", "t", "T", "t", "T", "t", "U", "u", "U", "u", "U", "u", "U", "u",
    /* 170 */ "U", "u", "U", "u", "W", "w", "Y", "y", "Y", "Z", "z", "Z", "z", "Z", "z", "s",
};

/* The next code point of s and its length in bytes; an invalid, overlong
 * or truncated sequence is one byte of code point 0xFFFD. */
static uint32_t decode(const unsigned char *s, size_t *len)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
             : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    uint32_t cp = n == 1 ? s[0] : n == 2 ? s[0] & 0x1Fu : n == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
    *len = 1;
    if (n == 0)
        return 0xFFFD;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0xFFFD;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0xFFFD;
    *len = n;
    return cp;
}

static bool basic(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr(" /-?:().,'+", (int)c));
}

/* What code point c becomes; one character in one[] if not a table entry. */
static const char *translit(uint32_t c, char one[2])
{
    one[1] = '\0';
    if (c < 0x80 && basic(c))
        one[0] = (char)c;
    else if (c == '&')
        one[0] = '+';
    else if (c >= 0xC0 && c < 0x180)
        return latin[c - 0xC0];
    else if (c == 0x20AC)
        return "EUR";
    else if (c == 0x1E9E)
        return "SS";
    else if (c >= 0x2010 && c <= 0x2015)
        one[0] = '-';
    else if (c >= 0x2018 && c <= 0x201B)
        one[0] = '\'';
    else
        one[0] = ' ';
    return one;
}

static bool upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool lower(char c)
{
    return c >= 'a' && c <= 'z';
}

/* A two-letter transliteration is all capitals in an upper-case word: its
 * next letter is a capital, or there is none and the one before is. */
static bool capitals(const unsigned char *next, char prev)
{
    size_t len;
    char one[2];
    const char *t = translit(decode(next, &len), one);
    return *next ? upper(t[0]) || (!lower(t[0]) && upper(prev)) : upper(prev);
}

size_t sepa_text(char *dst, size_t max, const char *src)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t n = 0;
    while (*s) {
        size_t len;
        char one[2];
        const char *t = translit(decode(s, &len), one);
        s += len;
        size_t tl = strlen(t);
        bool caps = tl > 1 && capitals(s, n ? dst[n - 1] : '\0');
        if (t[0] == ' ' && (n == 0 || dst[n - 1] == ' '))
            continue;
        if (n + tl > max)
            break;
        for (size_t i = 0; i < tl; i++)
            dst[n++] = caps && lower(t[i]) ? (char)(t[i] - 'a' + 'A') : t[i];
    }
    while (n && dst[n - 1] == ' ')
        n--;
    dst[n] = '\0';
    return n;
}

/* Easter Sunday of year y (Gregorian; the anonymous algorithm of Meeus,
 * Jones and Butcher, as sql/013's easter_sunday). */
static int32_t easter(int y)
{
    int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
    int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
    int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
    int m = (a + 11 * h + 22 * l) / 451;
    return date_from_ymd(y, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1);
}

bool sepa_target2_open(int32_t day)
{
    int weekday = ((day % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday; Monday is 0 */
    int y, m, d;
    date_to_ymd(day, &y, &m, &d);
    int32_t e = easter(y);
    return weekday < 5 && !(m == 1 && d == 1) && !(m == 5 && d == 1) &&
           !(m == 12 && (d == 25 || d == 26)) && day != e - 2 && day != e + 1;
}

int32_t sepa_target2_next(int32_t day)
{
    while (!sepa_target2_open(day))
        day++;
    return day;
}
