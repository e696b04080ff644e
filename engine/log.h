/*
 * log.h - logging to stderr.
 *
 * Human messages and logs go to stderr; stdout is reserved for the output a
 * command promises (JSON summaries, inspect listings).  Rejections of input
 * use log_reject, which prints exactly `FILE:LINE: field: reason`.
 * Two formats: plain lines (default) or one JSON object per line for
 * machines (--log-format json).  Citizens' data in logs is masked unless
 * --log-pii: call sites pass plates and names through log_pii, and every
 * rejection, error and warning (they quote input) is scanned for IBANs as a
 * safety net; the treasury's own account, named in info lines, is not a
 * citizen's.
 * Nothing here allocates; messages longer than AB_ERRMSG_MAX are cut.
 */
#ifndef AB_LOG_H
#define AB_LOG_H

#include <stdio.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

enum log_format { LOG_PLAIN = 0, LOG_JSON = 1 };

void log_set_level(enum log_level lvl);
void log_set_format(enum log_format f);
/* show != 0: print personal data as it is (--log-pii). */
void log_set_pii(int show);
/* The value as a log may show it: itself with --log-pii, else its first
 * and last character around asterisks ("H*******4"); buf holds the mask. */
const char *log_pii(const char *value, char *buf, unsigned long n);
/* Masks IBANs in s in place (country, check digits and last 4 stay), unless --log-pii. */
void log_mask_ibans(char *s);
enum log_level log_get_level(void);
/* Messages of the calling thread also go to f as plain lines (serve's
 * per-file .log), info and above whatever the level; NULL stops.  The caller owns f. */
void log_capture(FILE *f);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* `FILE:LINE: field: reason`, always printed (`FILE: field: reason` for
 * line 0, a rule about the whole document) (it is a result, not a log). */
void log_reject(const char *file, unsigned long line, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
