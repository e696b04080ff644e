/*
 * init.c - `abgleich init`: create or upgrade the schema.
 *
 * Data in: the database (--db, $ABGLEICH_DB or PG*) and the migrations
 * embedded in the binary.  Data out: the schema "abgleich"; on stderr
 * "abgleich: schema up to date (N migrations applied)", with --json
 * {"applied":N} on stdout.  Running it again applies nothing (N = 0).
 */
#include <stdio.h>

#include "../engine/log.h"
#include "../engine/pgsink.h"
#include "../formats/jsonw.h"
#include "cli.h"

int job_init(const cli_opts *o, int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: abgleich init\n");
        return AB_E_USAGE;
    }
    pgsink *db = NULL;
    int applied = 0;
    int rc = pgsink_connect(&db, o->db);
    if (rc == AB_OK)
        rc = pgsink_migrate(db, &applied);
    if (rc < 0) {
        log_error("database: %s", pgsink_error(db));
        goto cleanup;
    }
    log_info("schema up to date (%d migrations applied)", applied);
    if (o->json) {
        jsonw w;
        jsonw_init(&w, stdout);
        jsonw_obj_begin(&w);
        jsonw_kint(&w, "applied", applied);
        jsonw_obj_end(&w);
    }
cleanup:
    pgsink_close(db);
    return rc;
}
