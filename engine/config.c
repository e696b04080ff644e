/*
 * config.c - serve's INI configuration, read with inih.
 *
 * Input: an INI file (or one key at a time from a flag).  Output: a filled
 * serve_config.  Every value is checked here, with the file and line in the
 * message, so that `serve --check-config` and a SIGHUP reload refuse a bad
 * file before anything runs with it.  inih is the kept parser the project
 * uses for INI (a hand-written one would be one more parser to fuzz); its
 * Debian build caps a line at INI_MAX_LINE bytes, which a longer database
 * URL exceeds: put it in $ABGLEICH_DB then.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_defaults(serve_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    c->workers = 2;
    c->lease_seconds = 60;
    c->scan_interval_ms = 1000;
    c->reconnect_max_ms = 10000;
    c->scheme = CD_ISO7064_11_10;
    snprintf(c->lang, sizeof c->lang, "de");
    c->log_format = LOG_PLAIN;
    c->log_level = LOG_INFO;
}

static int set_str(char *dst, size_t cap, const char *v, const char *key, char *err,
                   unsigned long errlen)
{
    if (strlen(v) >= cap) {
        snprintf(err, errlen, "%s: longer than %zu bytes", key, cap - 1);
        return AB_E_INVAL;
    }
    memcpy(dst, v, strlen(v) + 1);
    return AB_OK;
}

static int set_uint(unsigned *dst, const char *v, unsigned lo, unsigned hi, const char *key,
                    char *err, unsigned long errlen)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi || v[0] == '-') {
        snprintf(err, errlen, "%s: '%s' is not a number in %u..%u", key, v, lo, hi);
        return AB_E_INVAL;
    }
    *dst = (unsigned)x;
    return AB_OK;
}

static int set_bool(bool *dst, const char *v, const char *key, char *err, unsigned long errlen)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
        *dst = true;
    else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
        *dst = false;
    else {
        snprintf(err, errlen, "%s: '%s' is not yes or no", key, v);
        return AB_E_INVAL;
    }
    return AB_OK;
}

static int set_log(serve_config *c, const char *key, const char *v, char *err,
                   unsigned long errlen)
{
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    c->log_given = true;
    if (!strcmp(key, "format")) {
        if (strcmp(v, "plain") && strcmp(v, "json")) {
            snprintf(err, errlen, "format: '%s' is not plain or json", v);
            return AB_E_INVAL;
        }
        c->log_format = !strcmp(v, "json") ? LOG_JSON : LOG_PLAIN;
        return AB_OK;
    }
    if (!strcmp(key, "level")) {
        for (unsigned i = 0; i < 4; i++)
            if (!strcmp(v, levels[i])) {
                c->log_level = (enum log_level)i;
                return AB_OK;
            }
        snprintf(err, errlen, "level: '%s' is not error, warn, info or debug", v);
        return AB_E_INVAL;
    }
    if (!strcmp(key, "pii"))
        return set_bool(&c->log_pii, v, key, err, errlen);
    return AB_E_NOTFOUND;
}

static int set_serve(serve_config *c, const char *key, const char *v, char *err,
                     unsigned long errlen)
{
    if (!strcmp(key, "inbox"))
        return set_str(c->inbox, sizeof c->inbox, v, key, err, errlen);
    if (!strcmp(key, "listen")) {
        char a[CONFIG_LISTEN_MAX];
        unsigned port;
        if (strcmp(v, "off") && *v && config_listen_split(v, a, sizeof a, &port) < 0) {
            snprintf(err, errlen, "listen: '%s' is not ADDR:PORT (or off)", v);
            return AB_E_INVAL;
        }
        return set_str(c->listen, sizeof c->listen, v, key, err, errlen);
    }
    if (!strcmp(key, "workers"))
        return set_uint(&c->workers, v, 1, CONFIG_WORKERS_MAX, key, err, errlen);
    if (!strcmp(key, "lease_seconds"))
        return set_uint(&c->lease_seconds, v, 3, 86400, key, err, errlen);
    if (!strcmp(key, "scan_interval_ms"))
        return set_uint(&c->scan_interval_ms, v, 20, 3600000, key, err, errlen);
    if (!strcmp(key, "threads"))
        return set_uint(&c->threads, v, 0, 64, key, err, errlen);
    if (!strcmp(key, "check_digit")) {
        if (cd_scheme_parse(v, &c->scheme) < 0) {
            snprintf(err, errlen, "check_digit: unknown scheme '%s'", v);
            return AB_E_INVAL;
        }
        return AB_OK;
    }
    if (!strcmp(key, "lang")) {
        if (strcmp(v, "de") && strcmp(v, "en")) {
            snprintf(err, errlen, "lang: '%s' is not de or en", v);
            return AB_E_INVAL;
        }
        return set_str(c->lang, sizeof c->lang, v, key, err, errlen);
    }
    return AB_E_NOTFOUND;
}

static int set_database(serve_config *c, const char *key, const char *v, char *err,
                        unsigned long errlen)
{
    if (!strcmp(key, "url"))
        return set_str(c->db, sizeof c->db, v, key, err, errlen);
    if (!strcmp(key, "reconnect_max_ms"))
        return set_uint(&c->reconnect_max_ms, v, 100, 600000, key, err, errlen);
    return AB_E_NOTFOUND;
}

int config_set(serve_config *c, const char *section, const char *key, const char *value,
               char *err, unsigned long errlen)
{
    static const struct {
        const char *name;
        int (*fn)(serve_config *, const char *, const char *, char *, unsigned long);
    } sections[] = {{"serve", set_serve}, {"database", set_database}, {"log", set_log}};
    int known_section = 0;
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        if (section && strcmp(section, sections[i].name))
            continue;
        known_section = 1;
        int rc = sections[i].fn(c, key, value, err, errlen);
        if (rc != AB_E_NOTFOUND)
            return rc;
    }
    if (!known_section)
        snprintf(err, errlen, "[%s]: unknown section", section);
    else
        snprintf(err, errlen, "%s: unknown key%s%s%s", key, section ? " in [" : "",
                 section ? section : "", section ? "]" : "");
    return AB_E_INVAL;
}

typedef struct load_ctx {
    FILE *f;
    int line;        /* lines read so far: the handler is on the last one */
    int at_start;    /* the next read starts a line */
    serve_config *c;
    const char *path;
    char *err;
    unsigned long errlen;
    int failed;
} load_ctx;

/* Debian's inih passes no line number to the handler: count them here. */
static char *read_line(char *str, int num, void *stream)
{
    load_ctx *l = stream;
    char *r = fgets(str, num, l->f);
    if (r && l->at_start)
        l->line++;
    l->at_start = r && strchr(r, '\n') != NULL;
    return r;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    load_ctx *l = user;
    int lineno = l->line;
    if (l->failed)
        return 0;
    char why[256];
    if (config_set(l->c, section, name, value, why, sizeof why) < 0) {
        snprintf(l->err, l->errlen, "%s:%d: %s", l->path, lineno, why);
        l->failed = 1;
        return 0;
    }
    return 1;
}

int config_load(serve_config *c, const char *path, char *err, unsigned long errlen)
{
    load_ctx l = {.c = c, .path = path, .err = err, .errlen = errlen, .at_start = 1};
    if (!(l.f = fopen(path, "r"))) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return AB_E_IO;
    }
    int rc = ini_parse_stream(read_line, &l, on_key, &l);
    fclose(l.f);
    if (l.failed)
        return AB_E_INVAL;
    if (rc == -2) {
        snprintf(err, errlen, "%s: out of memory", path);
        return AB_E_NOMEM;
    }
    if (rc > 0) {
        snprintf(err, errlen, "%s:%d: not a section, key = value or comment"
                              " (or longer than %d bytes)", path, rc, INI_MAX_LINE - 2);
        return AB_E_PARSE;
    }
    return AB_OK;
}

int config_check(const serve_config *c, char *err, unsigned long errlen)
{
    if (!c->inbox[0]) {
        snprintf(err, errlen, "inbox: not set ([serve] inbox or --inbox)");
        return AB_E_INVAL;
    }
    if ((unsigned long)c->lease_seconds * 1000u < 3u * (unsigned long)c->scan_interval_ms) {
        snprintf(err, errlen, "lease_seconds: %u s is shorter than three scans of %u ms",
                 c->lease_seconds, c->scan_interval_ms);
        return AB_E_INVAL;
    }
    return AB_OK;
}

int config_listen_split(const char *listen, char *addr, unsigned long addrlen, unsigned *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen)
        return AB_E_INVAL;
    const char *a = listen, *ae = colon;
    if (*a == '[') {
        if (ae[-1] != ']')
            return AB_E_INVAL;
        a++;
        ae--;
    } else if (memchr(listen, ':', (size_t)(colon - listen))) {
        return AB_E_INVAL; /* a bare IPv6 address needs brackets */
    }
    size_t n = (size_t)(ae - a);
    if (n == 0 || n >= addrlen)
        return AB_E_INVAL;
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || p > 65535)
        return AB_E_INVAL;
    memcpy(addr, a, n);
    addr[n] = '\0';
    *port = (unsigned)p;
    return AB_OK;
}
