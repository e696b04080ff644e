/*
 * stmtgrow.c - a bank statement met again; see stmtgrow.h.
 *
 * Takes the stored transaction keys of one statement (32 hex digits each,
 * in entry and transaction order) and answers, transaction by transaction
 * of the statement as the new file states it, whether it is the stored one
 * at that place.  Memory: 33 bytes per stored transaction, once per
 * statement met again (the first import never gets here).
 */
#include "stmtgrow.h"

#include <stdio.h>
#include <string.h>

#include "../engine/mem.h"

struct stmtgrow {
    char (*keys)[33];
    size_t n, next;
    char file[256];
};

int stmtgrow_load(pgsink *db, const char *stmt_id, stmtgrow **out)
{
    *out = NULL;
    const char *params[] = {stmt_id};
    pgsink_result *res = NULL;
    int rc = pgsink_query(db,
                          "SELECT coalesce(t.tx_key, ''), f.name, t.seq IS NULL FROM abgleich.statements s"
                          " JOIN abgleich.input_files f ON f.id = s.file_id"
                          " LEFT JOIN abgleich.bank_transactions t ON t.statement_id = s.id"
                          " WHERE s.id = $1::bigint ORDER BY t.entry_no, t.tx_no, t.file_id, t.seq",
                          1, params, &res);
    if (rc < 0)
        return rc;
    stmtgrow *g = mem_calloc(1, sizeof *g);
    int rows = pgsink_result_rows(res);
    if (g && rows)
        g->keys = mem_calloc((size_t)rows, sizeof *g->keys);
    if (!g || (rows && !g->keys)) {
        stmtgrow_free(g);
        pgsink_result_free(res);
        return AB_E_NOMEM;
    }
    for (int i = 0; i < rows; i++) {
        if (*pgsink_result_value(res, i, 2) == 't')
            break; /* a statement without transactions: the LEFT JOIN's one empty row */
        snprintf(g->keys[g->n++], sizeof g->keys[0], "%s", pgsink_result_value(res, i, 0));
    }
    if (rows)
        snprintf(g->file, sizeof g->file, "%s", pgsink_result_value(res, 0, 1));
    pgsink_result_free(res);
    *out = g;
    return AB_OK;
}

void stmtgrow_free(stmtgrow *g)
{
    if (!g)
        return;
    mem_free(g->keys);
    mem_free(g);
}

int stmtgrow_next(stmtgrow *g, const char key[33])
{
    if (g->next == g->n)
        return STMTGROW_NEW;
    /* A stored row without a key (imported before 007) matches nothing. */
    if (!g->keys[g->next][0] || strcmp(g->keys[g->next], key))
        return AB_E_REJECTED;
    g->next++;
    return STMTGROW_KNOWN;
}

size_t stmtgrow_stored(const stmtgrow *g)
{
    return g->n;
}

size_t stmtgrow_matched(const stmtgrow *g)
{
    return g->next;
}

const char *stmtgrow_file(const stmtgrow *g)
{
    return g->file;
}
