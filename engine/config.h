/*
 * config.h - the configuration of `abgleich serve`: an INI file (read with
 * inih), then the command line over it, then defaults for what neither
 * says.  Everything a flag can say has a key:
 *
 *   [database]  conninfo
 *   [serve]     inbox, listen, scan_interval_ms, stable_ms, lease_seconds,
 *               max_attempts, parallel_jobs, instance
 *   [engine]    threads, lang, check_digit, log_format, log_pii
 *
 * The struct is plain data owned by the caller; strings are copied in.
 */
#ifndef AB_CONFIG_H
#define AB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "checkdigit.h"
#include "err.h"

typedef struct serve_cfg {
    char conninfo[1024];        /* empty: $ABGLEICH_DB, then PG* variables */
    char inbox[PATH_MAX];       /* holds tickets/, statements/, invoices/ */
    char listen[128];           /* ADDR:PORT of the HTTP endpoint; "" = none */
    int scan_interval_ms;       /* periodic scan besides fs events */
    int stable_ms;              /* a file is complete when unchanged this long */
    int lease_seconds;          /* a claimed job's lease, renewed at a third */
    int max_attempts;           /* a job failing this often is given up */
    int parallel_jobs;          /* files one instance works on at once */
    char instance[128];         /* name in jobs.owner; default host:pid */
    unsigned threads;           /* matcher threads per job, 0 = cores */
    char lang[4];               /* de | en */
    enum cd_scheme scheme;
    char log_format[8];         /* plain | json */
    bool log_pii;
} serve_cfg;

void config_defaults(serve_cfg *c);
/* Reads path over *c.  On a bad line: AB_E_USAGE and `PATH:LINE: key:
 * reason` in err (errlen bytes). */
int config_load(serve_cfg *c, const char *path, char *err, size_t errlen) AB_MUSTCHECK;
/* One key (as the INI would give it), for the command line and tests. */
int config_set(serve_cfg *c, const char *section, const char *key, const char *value,
               char *err, size_t errlen) AB_MUSTCHECK;
/* What the instance will do, once, for --check-config. */
void config_print(const serve_cfg *c, FILE *f);

#endif
