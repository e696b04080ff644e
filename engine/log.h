/*
 * log.h - logging to stderr.
 *
 * Human messages and logs go to stderr; stdout is reserved for the output a
 * command promises (JSON summaries, inspect listings).  Rejections of input
 * use log_reject, which prints exactly `FILE:LINE: field: reason`.
 * Nothing here allocates; messages longer than AB_ERRMSG_MAX are cut.
 */
#ifndef AB_LOG_H
#define AB_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* `FILE:LINE: field: reason`, always printed (it is a result, not a log). */
void log_reject(const char *file, unsigned long line, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
