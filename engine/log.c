/*
 * log.c - stderr logging with levels.
 *
 * One fprintf per message so that lines from worker threads never interleave
 * within a line (stdio locks the stream per call).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#include "limits.h"

static enum log_level current = LOG_INFO;

void log_set_level(enum log_level lvl)
{
    current = lvl;
}

enum log_level log_get_level(void)
{
    return current;
}

static void emit(enum log_level lvl, const char *tag, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void emit(enum log_level lvl, const char *tag, const char *fmt, va_list ap)
{
    if (lvl > current)
        return;
    char msg[AB_ERRMSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "abgleich: %s%s\n", tag, msg);
}

#define LOG_FN(name, lvl, tag)                  \
    void name(const char *fmt, ...)             \
    {                                           \
        va_list ap;                             \
        va_start(ap, fmt);                      \
        emit(lvl, tag, fmt, ap);                \
        va_end(ap);                             \
    }

LOG_FN(log_error, LOG_ERROR, "error: ")
LOG_FN(log_warn, LOG_WARN, "warning: ")
LOG_FN(log_info, LOG_INFO, "")
LOG_FN(log_debug, LOG_DEBUG, "debug: ")

void log_reject(const char *file, unsigned long line, const char *field, const char *fmt, ...)
{
    char msg[AB_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s:%lu: %s: %s\n", file, line, field, msg);
}
