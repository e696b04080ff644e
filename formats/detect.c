/*
 * detect.c - file format by content; see detect.h.
 */
#include "detect.h"

#include <stdio.h>
#include <string.h>

/* memmem without relying on _GNU_SOURCE. */
static const char *find(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (h[i] == needle[0] && !memcmp(h + i, needle, k))
            return h + i;
    return NULL;
}

/* Skips a byte order mark, blanks and control bytes. */
static size_t skip_blank(const char *b, size_t n, size_t i)
{
    if (i == 0 && n >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < n && ((unsigned char)b[i] <= ' '))
        i++;
    return i;
}

static size_t line_end(const char *b, size_t n, size_t i)
{
    const char *nl = memchr(b + i, '\n', n - i);
    return nl ? (size_t)(nl - b) : n;
}

static int starts(const char *b, size_t n, size_t i, const char *s)
{
    size_t k = strlen(s);
    return i + k <= n && !memcmp(b + i, s, k);
}

/* The first element (after declarations and comments) is [prefix:]Document,
 * so a schema that merely names the namespace is not taken for a statement. */
static int root_is_document(const char *b, size_t n, size_t i)
{
    for (; i + 1 < n; i++) {
        if (b[i] != '<' || b[i + 1] == '?' || b[i + 1] == '!')
            continue;
        size_t e = i + 1;
        while (e < n && b[e] != ' ' && b[e] != '>' && b[e] != '\t' && b[e] != '\r' &&
               b[e] != '\n' && b[e] != '/')
            e++;
        return e - (i + 1) >= 8 && !memcmp(b + e - 8, "Document", 8) &&
               (e - (i + 1) == 8 || b[e - 9] == ':');
    }
    return 0;
}

enum detect_format detect_buffer(const char *buf, size_t n)
{
    if (n > DETECT_PROBE)
        n = DETECT_PROBE;
    if (n >= 4 && !memcmp(buf, "PK\x03\x04", 4))
        return DETECT_ZIP; /* a local file header: banks zip statements for delivery */
    size_t i = skip_blank(buf, n, 0);
    if (i >= n)
        return DETECT_UNKNOWN;
    if (buf[i] == '<')
        return root_is_document(buf, n, i) && find(buf + i, n - i, "camt.05") ? DETECT_CAMT
                                                                              : DETECT_UNKNOWN;
    if (starts(buf, n, i, "{1:") || starts(buf, n, i, ":20:"))
        return DETECT_MT940;
    size_t e = line_end(buf, n, i);
    if (buf[i] == '-' && e - i <= 2) { /* a lone '-' before the first message */
        size_t j = skip_blank(buf, n, e);
        if (starts(buf, n, j, ":20:") || starts(buf, n, j, "{1:"))
            return DETECT_MT940;
    }
    for (size_t k = i; k < e; k++)
        if (buf[k] == ';' || buf[k] == ',')
            return DETECT_CSV;
    return DETECT_UNKNOWN;
}

const char *detect_name(enum detect_format f)
{
    switch (f) {
    case DETECT_CAMT:
        return "camt";
    case DETECT_MT940:
        return "mt940";
    case DETECT_CSV:
        return "csv";
    case DETECT_ZIP:
        return "zip";
    case DETECT_UNKNOWN:
        break;
    }
    return "unknown";
}

int detect_file(const char *path, enum detect_format *out)
{
    char buf[DETECT_PROBE];
    FILE *f = fopen(path, "rb");
    if (!f)
        return AB_E_IO;
    size_t n = fread(buf, 1, sizeof buf, f);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return AB_E_IO;
    *out = detect_buffer(buf, n);
    return AB_OK;
}
