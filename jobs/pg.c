/*
 * pg.c - `abgleich pg start|stop|status [--dir DIR]`: a private PostgreSQL.
 *
 * For the demo, the tests and a quick look on a laptop; production uses a
 * real server given by --db.  DIR defaults to var/pg, the cluster of
 * `abgleich demo`.  Output on stdout, one line:
 *   start   the conninfo of the database "abgleich"   (--json: {"conninfo":..})
 *   status  "running" or "stopped"; exit 0 only when running (--json: {"running":..})
 *   stop    nothing; exit 0 when the server is down afterwards
 */
#include <stdio.h>
#include <string.h>

#include "../engine/log.h"
#include "../engine/pgprivate.h"
#include "../formats/jsonw.h"
#include "cli.h"

#define PG_DEFAULT_DIR "var/pg"

static const char pg_usage[] = "usage: abgleich pg start|stop|status [--dir DIR]\n";

/* argv[0] is "pg"; the action and --dir DIR (or --dir=DIR) in any order. */
static int parse(int argc, char **argv, const char **action, const char **dir)
{
    *action = NULL;
    *dir = PG_DEFAULT_DIR;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc && argv[i + 1][0]) {
            *dir = argv[++i];
        } else if (!strncmp(argv[i], "--dir=", 6) && argv[i][6]) {
            *dir = argv[i] + 6;
        } else if (!*action && (!strcmp(argv[i], "start") || !strcmp(argv[i], "stop") ||
                                !strcmp(argv[i], "status"))) {
            *action = argv[i];
        } else {
            fprintf(stderr, "abgleich pg: unexpected argument '%s'\n%s", argv[i], pg_usage);
            return AB_E_USAGE;
        }
    }
    if (!*action) {
        fputs(pg_usage, stderr);
        return AB_E_USAGE;
    }
    return AB_OK;
}

static int pg_start(const cli_opts *o, const char *dir)
{
    char conninfo[1024];
    int rc = pgprivate_start(dir, conninfo, sizeof conninfo);
    if (rc < 0)
        return rc;
    if (o->json) {
        jsonw w;
        jsonw_init(&w, stdout);
        jsonw_obj_begin(&w);
        jsonw_kstr(&w, "conninfo", conninfo);
        jsonw_obj_end(&w);
    } else {
        printf("%s\n", conninfo);
    }
    return fflush(stdout) == 0 ? AB_OK : AB_E_IO;
}

static int pg_status(const cli_opts *o, const char *dir)
{
    int rc = pgprivate_status(dir);
    if (rc < 0 && rc != AB_E_NOTFOUND)
        return rc;
    if (o->json) {
        jsonw w;
        jsonw_init(&w, stdout);
        jsonw_obj_begin(&w);
        jsonw_key(&w, "running");
        jsonw_bool(&w, rc == AB_OK);
        jsonw_obj_end(&w);
    } else {
        printf("%s\n", rc == AB_OK ? "running" : "stopped");
    }
    return rc;
}

int job_pg(const cli_opts *o, int argc, char **argv)
{
    const char *action, *dir;
    int rc = parse(argc, argv, &action, &dir);
    if (rc < 0)
        return rc;
    if (!strcmp(action, "start"))
        return pg_start(o, dir);
    if (!strcmp(action, "status"))
        return pg_status(o, dir);
    rc = pgprivate_stop(dir);
    if (rc == AB_OK)
        log_debug("private PostgreSQL in %s is stopped", dir);
    return rc;
}
