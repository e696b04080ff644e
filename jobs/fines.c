/*
 * fines.c - the fines office's hooks into the treasury's jobs; see fines.h.
 *
 * The surplus offset is a post-pass rather than a rule of the matcher: the
 * matcher decides per payment, while an offset needs the plate's other
 * claims as they stand after the whole run (sql/004_fines.sql,
 * abgleich.fines_offset_surplus).  It runs after the last file, so the
 * in-memory open amounts of the run are never stale.
 */
#include "fines.h"

#include <stdlib.h>

#include "../engine/log.h"
#include "../engine/monotime.h"

/* SELECT abgleich.refresh_stats(), logging what it analyzed. */
static int refresh(pgsink *db)
{
    double t0 = monotime_s();
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, "SELECT array_to_string(abgleich.refresh_stats(), ', ')", 0, NULL,
                          &res);
    if (rc < 0) {
        log_warn("planner statistics not refreshed: %s", pgsink_error(db));
        return rc;
    }
    const char *tables = pgsink_result_value(res, 0, 0);
    if (tables[0])
        log_debug("analyzing %s took %.0f ms", tables, (monotime_s() - t0) * 1000);
    pgsink_result_free(res);
    return AB_OK;
}

void fines_refresh_stats(pgsink *db)
{
    (void)refresh(db); /* best effort: refresh() has said why */
}

int fines_refresh_stats_tx(pgsink *db)
{
    int rc = pgsink_exec(db, "SAVEPOINT refresh_stats");
    if (rc < 0)
        return rc;
    if (refresh(db) == AB_OK)
        return pgsink_exec(db, "RELEASE SAVEPOINT refresh_stats");
    return pgsink_exec(db, "ROLLBACK TO SAVEPOINT refresh_stats");
}

int fines_offset_surplus(pgsink *db, int64_t *offsets, int64_t *cents)
{
    *offsets = *cents = 0;
    /* The lookups by plate need the claims' statistics (sql/019_stats.sql). */
    fines_refresh_stats(db);
    double t0 = monotime_s();
    pgsink_result *res = NULL;
    int rc = pgsink_begin(db);
    if (rc == AB_OK)
        rc = pgsink_query(db, "SELECT offsets, cents FROM abgleich.fines_offset_surplus(NULL)", 0,
                          NULL, &res);
    if (rc == AB_OK) {
        *offsets = strtoll(pgsink_result_value(res, 0, 0), NULL, 10);
        *cents = strtoll(pgsink_result_value(res, 0, 1), NULL, 10);
        pgsink_result_free(res);
        rc = pgsink_commit(db);
        log_debug("offsetting overpayments took %.0f ms", (monotime_s() - t0) * 1000);
    }
    if (rc < 0) {
        pgsink_rollback(db);
        log_error("surplus offset: %s", pgsink_error(db));
        return rc;
    }
    if (*offsets)
        log_info("overpayments set off against other claims of the same plate: %lld (%lld cents)",
                 (long long)*offsets, (long long)*cents);
    return AB_OK;
}
