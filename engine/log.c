/*
 * log.c - stderr logging with levels.
 *
 * One fprintf per message (or several under flockfile, for JSON) so that
 * lines from worker threads never interleave within a line.
 */
#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "limits.h"

static enum log_level current = LOG_INFO;
static enum log_format format = LOG_PLAIN;
static int show_pii;
static _Thread_local FILE *capture;

void log_capture(FILE *f)
{
    capture = f;
}

void log_set_format(enum log_format f)
{
    format = f;
}

void log_set_pii(int show)
{
    show_pii = show;
}

const char *log_pii(const char *value, char *buf, unsigned long n)
{
    size_t len = value ? strlen(value) : 0;
    if (show_pii || len == 0 || n < 4)
        return value ? value : "";
    size_t k = len + 1 < n ? len : n - 1;
    for (size_t i = 0; i < k; i++)
        buf[i] = i == 0 || i == len - 1 || value[i] == ' ' || value[i] == '-' ? value[i] : '*';
    buf[k] = '\0';
    return buf;
}

/* Two letters, two digits, 11..30 letters or digits: masked from the 5th
 * character to the 4th last. */
void log_mask_ibans(char *s)
{
    if (show_pii)
        return;
    for (size_t i = 0; s[i]; i++) {
        if (!(isupper((unsigned char)s[i]) && isupper((unsigned char)s[i + 1]) &&
              isdigit((unsigned char)s[i + 2]) && s[i + 3] && isdigit((unsigned char)s[i + 3])) ||
            (i > 0 && isalnum((unsigned char)s[i - 1])))
            continue;
        size_t j = i + 4;
        while (isalnum((unsigned char)s[j]))
            j++;
        if (j - i < 15 || j - i > 34)
            continue;
        for (size_t k = i + 4; k + 4 < j; k++)
            s[k] = '*';
        i = j - 1;
    }
}

/* s as the body of a JSON string. */
static void json_str(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

static void json_head(FILE *f, const char *level)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "{\"ts\":\"%s\",\"level\":\"%s\"", ts, level);
}

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
    if (lvl > current && !(capture && lvl <= LOG_INFO))
        return;
    char msg[AB_ERRMSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (lvl <= LOG_WARN)
        log_mask_ibans(msg); /* errors and warnings quote input */
    if (capture && lvl <= LOG_INFO)
        fprintf(capture, "%s%s\n", tag, msg);
    if (lvl > current)
        return;
    if (format == LOG_JSON) {
        static const char *const names[] = {"error", "warning", "info", "debug"};
        flockfile(stderr);
        json_head(stderr, names[lvl]);
        fputs(",\"msg\":\"", stderr);
        json_str(stderr, msg);
        fputs("\"}\n", stderr);
        funlockfile(stderr);
        return;
    }
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
    log_mask_ibans(msg);
    /* line 0: a rule about the whole document (an e-invoice's totals),
     * which no line of the file can be named for. */
    char where[32] = "";
    if (line)
        snprintf(where, sizeof where, ":%lu", line);
    if (capture)
        fprintf(capture, "%s%s: %s: %s\n", file, where, field, msg);
    if (format == LOG_JSON) {
        flockfile(stderr);
        json_head(stderr, "reject");
        fputs(",\"file\":\"", stderr);
        json_str(stderr, file);
        if (line)
            fprintf(stderr, "\",\"line\":%lu,\"field\":\"", line);
        else
            fputs("\",\"field\":\"", stderr);
        json_str(stderr, field);
        fputs("\",\"reason\":\"", stderr);
        json_str(stderr, msg);
        fputs("\"}\n", stderr);
        funlockfile(stderr);
        return;
    }
    fprintf(stderr, "%s%s: %s: %s\n", file, where, field, msg);
}
