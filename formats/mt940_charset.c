/*
 * mt940_charset.c - a field's bytes as UTF-8, for the MT940 reader
 * (mt940.c; shared declarations in mt940_int.h).
 *
 * Data in: one field's raw bytes (its lines joined by '\n'); data out: the
 * field as UTF-8 in the caller's buffer (at most 3 bytes per byte in), or
 * (size_t)-1 and the index of a byte no code page here knows.
 *
 * Which code page: printable ASCII is copied as it is (nearly every field);
 * valid UTF-8 stays, also when a bank's 65-byte wrap falls inside a
 * character; a field that looks like DOS code page 850 goes through iconv;
 * any other is CP1252 (Latin-1 where CP1252 has no character).  Control
 * bytes other than the line break become blanks.  The iconv handle and its
 * buffer are opened at the first DOS field and live in the reader, which
 * frees them (mt940_reader_destroy).
 */
#include "mt940_int.h"

#include <iconv.h>
#include <string.h>

#include "../engine/mem.h"

/* --- character set ------------------------------------------------------- */

/* CP1252 0x80..0x9F; 0 where CP1252 has no character (such a byte is an error). */
static const unsigned short cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
    0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

/* Valid UTF-8 when line breaks are skipped: a bank's 65-byte wrap may fall
 * inside a character. */
static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i++];
        if (c < 0x80)
            continue;
        int need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            return 0;
        }
        for (int k = 0; k < need; k++, i++) {
            while (i < n && s[i] == '\n')
                i++;
            if (i >= n || s[i] < lo || s[i] > hi)
                return 0;
            lo = 0x80;
            hi = 0xBF;
        }
    }
    return 1;
}

static unsigned char plain(unsigned char c)
{
    return (c < 0x20 && c != '\n') || c == 0x7F ? ' ' : c;
}

/* Printable ASCII and line breaks only: such a field needs no decoding and
 * no plain() (one branch-free pass the compiler can vectorise). */
static int plain_ascii(const unsigned char *s, size_t n)
{
    unsigned bad = 0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) { /* blocks, so a field with an umlaut stops early */
        for (size_t k = i; k < i + 16; k++)
            bad |= (unsigned)(s[k] >= 0x7F) | (unsigned)(s[k] < 0x20 && s[k] != '\n');
        if (bad)
            return 0;
    }
    for (; i < n; i++)
        bad |= (unsigned)(s[i] >= 0x7F) | (unsigned)(s[i] < 0x20 && s[i] != '\n');
    return !bad;
}

/* Copies valid UTF-8; a line break inside a character moves behind it. */
static size_t copy_utf8(const unsigned char *s, size_t n, char *out)
{
    size_t o = 0, nl = 0;
    int left = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\n' && left) {
            nl++;
            continue;
        }
        out[o++] = (char)plain(c);
        if (c >= 0xC0)
            left = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        else if (c >= 0x80 && left && --left == 0)
            for (; nl; nl--)
                out[o++] = '\n';
    }
    return o;
}

static size_t put_cp(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)plain((unsigned char)cp);
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* A field in DOS code page 850 (old Sparkasse and cash-office software):
 * it holds the CP850 German letters (0x81 ü, 0x84 ä, 0x8E Ä, 0x94 ö,
 * 0x99 Ö, 0x9A Ü) or bytes CP1252 leaves undefined, and no Latin-1 German
 * letter.  (CP852 agrees with CP850 on these letters and on áéíó.) */
static int looks_cp850(const unsigned char *s, size_t n)
{
    int dos = 0;
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case 0x81: case 0x84: case 0x8E: case 0x94: case 0x99: case 0x9A:
        case 0x8D: case 0x8F: case 0x90: case 0x9D:
            dos = 1;
            break;
        case 0xC4: case 0xD6: case 0xDC: case 0xE4: case 0xF6: case 0xFC: case 0xDF:
            return 0;
        default:
            break;
        }
    }
    return dos;
}

/* in[0..n) from CP850 into r->dos by iconv (glibc); the length, or
 * (size_t)-1 when iconv is unavailable or fails. */
static size_t from_cp850(mt940_reader *r, const char *in, size_t n)
{
    if (r->cp850 == (iconv_t)-1 && !r->dos) {
        if (!(r->dos = mem_alloc(MT_TEXT_MAX + 1)))
            return (size_t)-1;
        r->cp850 = iconv_open("UTF-8", "CP850");
    }
    if (r->cp850 == (iconv_t)-1)
        return (size_t)-1;
    iconv(r->cp850, NULL, NULL, NULL, NULL);
    char *ip = (char *)in, *op = r->dos;
    size_t il = n, ol = MT_TEXT_MAX;
    if (iconv(r->cp850, &ip, &il, &op, &ol) == (size_t)-1)
        return (size_t)-1;
    return (size_t)(op - r->dos);
}

/* in[0..n) as UTF-8 into out (>= 3n + 1 bytes); returns the length.
 * Valid UTF-8 stays; a DOS field is read as CP850; any other as CP1252.
 * A byte none of them knows (CP1252 leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D
 * undefined) is not turned into something: (size_t)-1, its index in
 * r->bad_at, and the field is rejected with where it is. */
size_t mt940_to_utf8(mt940_reader *r, const char *in, size_t n, char *out)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t o, k;
    int utf8 = 0;
    if (plain_ascii(s, n)) {
        memcpy(out, in, n); /* nearly every field: a third of the reader's time before */
        o = n;
    } else if (!(utf8 = valid_utf8(s, n)) && looks_cp850(s, n) &&
               (k = from_cp850(r, in, n)) != (size_t)-1) {
        o = copy_utf8((const unsigned char *)r->dos, k, out);
    } else if (utf8) {
        o = copy_utf8(s, n, out);
    } else {
        o = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned c = s[i];
            if (c >= 0x80 && c < 0xA0 && !cp1252[c - 0x80]) {
                r->bad_at = i;
                return (size_t)-1;
            }
            unsigned cp = c >= 0x80 && c < 0xA0 ? cp1252[c - 0x80] : c;
            o += put_cp(cp, out + o);
        }
    }
    out[o] = '\0';
    return o;
}
