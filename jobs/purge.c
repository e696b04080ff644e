/*
 * purge.c - `abgleich purge --before DATE [--execute]`: personal data of
 * closed cases past the retention date goes, the sums stay.
 *
 * What goes and what stays is the SQL function
 * abgleich.purge_personal_data (sql/010_purge.sql, docs/database.md).
 * Without --execute nothing changes: the command prints what a purge would
 * touch, so an office can check it against its retention rules first.  With
 * --execute it runs in one transaction, under the lock reconcile holds, so
 * a night run never sees half a purge.
 */
#include <stdio.h>
#include <string.h>

#include "../engine/date.h"
#include "../engine/log.h"
#include "../engine/pgsink.h"
#include "cli.h"

static int run(pgsink *db, const char *before, int execute, const char *lang)
{
    int rc = pgsink_begin(db);
    if (rc == AB_OK)
        rc = pgsink_exec(db, "SELECT pg_advisory_xact_lock(hashtext('abgleich.reconcile'))");
    pgsink_result *res = NULL;
    const char *p[] = {before, execute ? "true" : "false"};
    if (rc == AB_OK)
        rc = pgsink_query(db, "SELECT claims, transactions, ledger_rows, clarifications FROM"
                              " abgleich.purge_personal_data($1::date, $2::boolean)",
                          2, p, &res);
    if (rc == AB_OK)
        rc = execute ? pgsink_commit(db) : (pgsink_rollback(db), AB_OK);
    else
        pgsink_rollback(db);
    if (rc == AB_OK) {
        int en = !strcmp(lang, "en");
        printf(en ? "%s before %s: personal data of %s closed claims, %s bank transactions,"
                    " %s ledger explanations and %s clarification explanations%s\n"
                  : "%s vor dem %s: personenbezogene Daten von %s abgeschlossenen Forderungen,"
                    " %s Bankumsätzen, %s Journal-Erklärungen und %s Klärfall-Erklärungen%s\n",
               execute ? (en ? "Purged" : "Gelöscht") : (en ? "Would purge" : "Zu löschen"),
               before, pgsink_result_value(res, 0, 0), pgsink_result_value(res, 0, 1),
               pgsink_result_value(res, 0, 2), pgsink_result_value(res, 0, 3),
               execute ? "" : (en ? " (dry run: add --execute)" : " (Probelauf: mit --execute löschen)"));
    }
    pgsink_result_free(res);
    return rc;
}

int job_purge(const cli_opts *o, int argc, char **argv)
{
    const char *before = NULL;
    int execute = 0;
    int32_t day;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--before") && i + 1 < argc)
            before = argv[++i];
        else if (!strcmp(argv[i], "--execute"))
            execute = 1;
        else
            before = NULL, i = argc;
    }
    if (!before || date_parse_iso(before, strlen(before), &day) < 0) {
        fprintf(stderr, "usage: abgleich purge --before YYYY-MM-DD [--execute]\n");
        return AB_E_USAGE;
    }
    pgsink *db = NULL;
    int rc = pgsink_connect(&db, o->db);
    if (rc == AB_OK)
        rc = run(db, before, execute, o->lang);
    if (rc == AB_E_DB)
        log_error("database: %s", pgsink_error(db));
    pgsink_close(db);
    return rc;
}
