/*
 * config.h - the configuration of `abgleich serve`: an INI file.
 *
 * Parsed with inih (Debian libinih); every key is also a flag of serve, and
 * a flag given on the command line wins over the file.  Sections and keys
 * (deploy/abgleich.ini is the commented example):
 *
 *   [serve]    inbox, listen, workers, lease_seconds, scan_interval_ms,
 *              threads, check_digit, lang
 *   [database] url, reconnect_max_ms
 *   [log]      format (plain|json), level (error|warn|info|debug), pii (yes|no)
 *
 * serve_config is plain data that the caller owns (no heap inside); a
 * reload parses into a fresh struct and swaps it in only when it is valid.
 */
#ifndef AB_CONFIG_H
#define AB_CONFIG_H

#include <stdbool.h>

#include "checkdigit.h"
#include "err.h"
#include "log.h"

#define CONFIG_PATH_MAX 1024u
#define CONFIG_URL_MAX 1024u
#define CONFIG_LISTEN_MAX 128u
/* Worker slots: files processed at once by one instance. */
#define CONFIG_WORKERS_MAX 16u

typedef struct serve_config {
    char inbox[CONFIG_PATH_MAX];      /* holds tickets/, statements/, invoices/ */
    char listen[CONFIG_LISTEN_MAX];   /* ADDR:PORT of the HTTP endpoint; "" or "off": none */
    char db[CONFIG_URL_MAX];          /* conninfo or URL; "" = $ABGLEICH_DB, PG* */
    unsigned workers;                 /* files in flight at once */
    unsigned lease_seconds;           /* a job not renewed this long is taken over */
    unsigned scan_interval_ms;        /* inbox rescan period; a file is taken when
                                         two scans saw the same size and mtime */
    unsigned reconnect_max_ms;        /* cap of the reconnect backoff */
    unsigned threads;                 /* matcher threads per reconcile job, 0 = cores */
    enum cd_scheme scheme;            /* Kassenzeichen check digit */
    char lang[3];                     /* de | en */
    enum log_format log_format;
    enum log_level log_level;
    bool log_pii;
    bool log_given;                   /* a [log] key was set: apply the three */
} serve_config;

/* The defaults: listen 127.0.0.1:8080, 2 workers, 60 s lease, 1000 ms scans. */
void config_defaults(serve_config *c);

/* Reads FILE over c (which holds defaults or earlier values).  On an error
 * err gets "FILE:LINE: key: reason" (or "FILE: reason") and c is left
 * partly updated: parse into a copy when the old values must survive. */
int config_load(serve_config *c, const char *path, char *err, unsigned long errlen) AB_MUSTCHECK;

/* One key as the file or a flag would set it (section may be NULL: then the
 * key is looked up in every section).  Returns AB_E_INVAL with the reason
 * in err for an unknown key or a bad value. */
int config_set(serve_config *c, const char *section, const char *key, const char *value,
               char *err, unsigned long errlen) AB_MUSTCHECK;

/* Whole-config checks that no single key can make (inbox given, ...). */
int config_check(const serve_config *c, char *err, unsigned long errlen) AB_MUSTCHECK;

/* Splits "ADDR:PORT" ("[v6]:PORT" too); addr gets the host part. */
int config_listen_split(const char *listen, char *addr, unsigned long addrlen,
                        unsigned *port) AB_MUSTCHECK;

#endif
