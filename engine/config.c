/*
 * config.c - the serve configuration: defaults, the INI file, single keys.
 *
 * inih (Debian's libinih) does the INI syntax; this file knows the keys and
 * their ranges.  A bad value names the file, the line and the key, like a
 * rejected input row.  Unknown keys are errors too: a misspelt key would
 * otherwise silently leave a default in force.
 */
#include "config.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"

_Static_assert(AB_SERVE_MAX_PARALLEL == 8u, "the message of parallel_jobs names the cap");

void config_defaults(serve_cfg *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:9187");
    c->scan_interval_ms = 1000;
    c->stable_ms = 1000;
    c->lease_seconds = 60;
    c->max_attempts = 5;
    c->parallel_jobs = 1;
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(c->instance, sizeof c->instance, "%s:%ld", host, (long)getpid());
    snprintf(c->lang, sizeof c->lang, "de");
    c->scheme = CD_ISO7064_11_10;
    snprintf(c->log_format, sizeof c->log_format, "plain");
}

static int set_int(int *dst, const char *v, long lo, long hi)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < lo || n > hi)
        return -1;
    *dst = (int)n;
    return 0;
}

static int set_str(char *dst, size_t cap, const char *v)
{
    if (strlen(v) >= cap)
        return -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static const char *set_serve(serve_cfg *c, const char *key, const char *v)
{
    if (!strcmp(key, "inbox"))
        return set_str(c->inbox, sizeof c->inbox, v) ? "path too long" : NULL;
    if (!strcmp(key, "listen"))
        return set_str(c->listen, sizeof c->listen, v) ? "too long" : NULL;
    if (!strcmp(key, "instance"))
        return set_str(c->instance, sizeof c->instance, v) ? "too long" : NULL;
    if (!strcmp(key, "scan_interval_ms"))
        return set_int(&c->scan_interval_ms, v, 50, 3600000) ? "not a number in 50..3600000" : NULL;
    if (!strcmp(key, "stable_ms"))
        return set_int(&c->stable_ms, v, 0, 3600000) ? "not a number in 0..3600000" : NULL;
    if (!strcmp(key, "lease_seconds"))
        return set_int(&c->lease_seconds, v, 2, 86400) ? "not a number in 2..86400" : NULL;
    if (!strcmp(key, "max_attempts"))
        return set_int(&c->max_attempts, v, 1, 1000) ? "not a number in 1..1000" : NULL;
    if (!strcmp(key, "parallel_jobs"))
        return set_int(&c->parallel_jobs, v, 1, AB_SERVE_MAX_PARALLEL) ? "not a number in 1..8"
                                                                        : NULL;
    return "unknown key";
}

static const char *set_engine(serve_cfg *c, const char *key, const char *v)
{
    if (!strcmp(key, "threads")) {
        int n;
        if (set_int(&n, v, 0, AB_MAX_THREADS))
            return "not a number in 0..64";
        c->threads = (unsigned)n;
        return NULL;
    }
    if (!strcmp(key, "lang"))
        return strcmp(v, "de") && strcmp(v, "en") ? "de or en" : (set_str(c->lang, sizeof c->lang, v), NULL);
    if (!strcmp(key, "check_digit"))
        return cd_scheme_parse(v, &c->scheme) < 0 ? "unknown scheme" : NULL;
    if (!strcmp(key, "log_format"))
        return strcmp(v, "plain") && strcmp(v, "json")
                   ? "plain or json"
                   : (set_str(c->log_format, sizeof c->log_format, v), NULL);
    if (!strcmp(key, "log_pii")) {
        if (strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "yes") && strcmp(v, "no"))
            return "true or false";
        c->log_pii = !strcmp(v, "true") || !strcmp(v, "yes");
        return NULL;
    }
    return "unknown key";
}

int config_set(serve_cfg *c, const char *section, const char *key, const char *value,
               char *err, size_t errlen)
{
    const char *why = "unknown section";
    if (!strcmp(section, "database"))
        why = strcmp(key, "conninfo") ? "unknown key"
              : set_str(c->conninfo, sizeof c->conninfo, value) ? "too long" : NULL;
    else if (!strcmp(section, "serve"))
        why = set_serve(c, key, value);
    else if (!strcmp(section, "engine"))
        why = set_engine(c, key, value);
    if (!why)
        return AB_OK;
    snprintf(err, errlen, "%s.%s: %s", section, key, why);
    return AB_E_USAGE;
}

typedef struct load_ctx {
    serve_cfg *c;
    char *err;
    size_t errlen;
} load_ctx;

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    load_ctx *l = user;
    return config_set(l->c, section, key, value, l->err, l->errlen) == AB_OK;
}

int config_load(serve_cfg *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return AB_E_IO;
    }
    if (fseek(f, 0, SEEK_END) == 0 && ftell(f) > (long)AB_CONFIG_MAX_BYTES) {
        fclose(f);
        snprintf(err, errlen, "%s: larger than %u bytes", path, AB_CONFIG_MAX_BYTES);
        return AB_E_USAGE;
    }
    rewind(f);
    char why[AB_ERRMSG_MAX] = "syntax error";
    load_ctx l = {c, why, sizeof why};
    int line = ini_parse_file(f, on_key, &l);
    fclose(f);
    if (line == 0)
        return AB_OK;
    if (line < 0)
        snprintf(err, errlen, "%s: cannot read", path);
    else
        snprintf(err, errlen, "%s:%d: %s", path, line, why);
    return AB_E_USAGE;
}

void config_print(const serve_cfg *c, FILE *f)
{
    fprintf(f, "[database]\nconninfo = %s\n\n", c->conninfo[0] ? "(set)" : "");
    fprintf(f, "[serve]\ninbox = %s\nlisten = %s\nscan_interval_ms = %d\nstable_ms = %d\n"
               "lease_seconds = %d\nmax_attempts = %d\nparallel_jobs = %d\ninstance = %s\n\n",
            c->inbox, c->listen, c->scan_interval_ms, c->stable_ms, c->lease_seconds,
            c->max_attempts, c->parallel_jobs, c->instance);
    fprintf(f, "[engine]\nthreads = %u\nlang = %s\ncheck_digit = %s\nlog_format = %s\n"
               "log_pii = %s\n",
            c->threads, c->lang, cd_scheme_name(c->scheme), c->log_format,
            c->log_pii ? "true" : "false");
}
