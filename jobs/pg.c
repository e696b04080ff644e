/*
 * pg.c - `abgleich pg start|stop|status --dir DIR`: a private PostgreSQL.
 *
 * For the demo, the tests and a quick look on a laptop; production uses a
 * real server given by --db.  `start` prints the conninfo on stdout.
 */
#include <stdio.h>
#include <string.h>

#include "../engine/log.h"
#include "../engine/pgprivate.h"
#include "cli.h"

int job_pg(const cli_opts *o, int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[2], "--dir")) {
        fprintf(stderr, "usage: abgleich pg start|stop|status --dir DIR\n");
        return AB_E_USAGE;
    }
    const char *dir = argv[3];
    if (!strcmp(argv[1], "start")) {
        char conninfo[1024];
        int rc = pgprivate_start(dir, conninfo, sizeof conninfo);
        if (rc == AB_OK)
            printf("%s\n", conninfo);
        return rc;
    }
    if (!strcmp(argv[1], "stop"))
        return pgprivate_stop(dir);
    if (!strcmp(argv[1], "status")) {
        int rc = pgprivate_status(dir);
        printf("%s\n", rc == AB_OK ? "running" : "stopped");
        return rc == AB_E_NOTFOUND ? AB_E_NOTFOUND : rc;
    }
    fprintf(stderr, "usage: abgleich pg start|stop|status --dir DIR\n");
    return AB_E_USAGE;
}
