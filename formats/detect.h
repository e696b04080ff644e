/*
 * detect.h - which bank or claim file format a file holds, judged by its
 * content (never by its name).
 *
 * Data in: the first bytes of a file (DETECT_PROBE is plenty).  A UTF-8 byte
 * order mark, blank lines and control bytes in front are skipped.  Rules:
 * XML with the root Document and a camt.05x namespace is CAMT; a SWIFT envelope
 * '{1:' or a first line ':20:' (also after a lone '-' line, as some
 * Sparkassen write) is MT940/MT942; other text whose first line holds ';'
 * or ',' is CSV.  Pure; nothing allocated except by detect_file's read.
 */
#ifndef AB_DETECT_H
#define AB_DETECT_H

#include <stddef.h>

#include "../engine/err.h"

/* Bytes looked at: enough for an XML declaration, comments and the root. */
#define DETECT_PROBE 4096u

enum detect_format {
    DETECT_UNKNOWN = 0,
    DETECT_CAMT,
    DETECT_MT940,   /* MT940 and MT942 */
    DETECT_CSV,
    DETECT_ZIP,     /* a ZIP container (bankread.h reads the statements in it) */
};

enum detect_format detect_buffer(const char *buf, size_t n);
/* "camt", "mt940", "csv", "zip", "unknown". */
const char *detect_name(enum detect_format f);
/* Reads the first DETECT_PROBE bytes of path. */
int detect_file(const char *path, enum detect_format *out) AB_MUSTCHECK;

#endif
