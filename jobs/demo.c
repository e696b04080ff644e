/*
 * demo.c - `abgleich demo`: the main job on an embedded default.
 *
 * With nothing configured it starts a private PostgreSQL under DIR/pg
 * (default ./var), applies the migrations, generates a realistic dataset
 * into DIR/demo (tens of thousands of tickets and a CAMT.053 statement that
 * pays most of them the ways citizens write references), imports the
 * tickets, reconciles the statement with a progress bar, and prints counts
 * and sums by outcome as the database holds them.  Run again, it reuses the
 * cluster and the files, and the imports say they have seen them.
 * With --db or $ABGLEICH_DB it uses that database instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../engine/gen.h"
#include "../engine/log.h"
#include "../engine/money.h"
#include "../engine/pgprivate.h"
#include "../engine/pgsink.h"
#include "../engine/progress.h"
#include "cli.h"
#include "import.h"
#include "reconcile.h"

#define DEMO_TICKETS 30000
#define DEMO_SEED 20261120

typedef struct demo_args {
    const char *dir;
    long tickets;
} demo_args;

static int parse_args(int argc, char **argv, demo_args *a)
{
    a->dir = "var";
    a->tickets = DEMO_TICKETS;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
            a->dir = argv[++i];
        } else if (!strcmp(argv[i], "--tickets") && i + 1 < argc) {
            char *end;
            a->tickets = strtol(argv[++i], &end, 10);
            if (*end || a->tickets < 100 || a->tickets > 10000000)
                goto usage;
        } else {
            goto usage;
        }
    }
    return AB_OK;
usage:
    fprintf(stderr, "usage: abgleich demo [--dir DIR] [--tickets 100..10000000]\n");
    return AB_E_USAGE;
}

/* Generates the dataset once; later runs find it and reuse it. */
static int ensure_data(const cli_opts *o, const demo_args *a, char *tickets, char *stmt,
                       size_t len)
{
    char out[1024];
    snprintf(out, sizeof out, "%s/demo", a->dir);
    snprintf(tickets, len, "%s/tickets.csv", out);
    snprintf(stmt, len, "%s/statement.xml", out);
    struct stat sb;
    if (stat(tickets, &sb) == 0 && stat(stmt, &sb) == 0) {
        log_info("using the dataset in %s", out);
        return AB_OK;
    }
    gen_opts g = {.out_dir = out, .tickets = (uint64_t)a->tickets, .seed = DEMO_SEED,
                  .scheme = o->scheme, .date = NULL};
    gen_result r;
    log_info("generating %ld tickets and a CAMT.053 statement in %s", a->tickets, out);
    return gen_dataset(&g, &r);
}

static void print_row(const char *label, const char *count, const char *cents)
{
    char eur[32];
    money_format_de(strtoll(cents, NULL, 10), eur, sizeof eur);
    printf("  %-36s %9s  %16s EUR\n", label, count, eur);
}

/* The summary as the database holds it, so a second run shows the same. */
static int print_summary(pgsink *db)
{
    static const char sql[] =
        "SELECT 'claims ' || status, count(*)::text, sum(amount_cents)::text"
        "  FROM abgleich.claim_status GROUP BY status "
        "UNION ALL SELECT 'allocated (' || method || ')', count(*)::text,"
        "  sum(amount_cents)::text FROM abgleich.allocation_report GROUP BY method "
        "UNION ALL SELECT 'clarification ' || reason, count(*)::text,"
        "  sum(amount_cents)::text FROM abgleich.clarification_report GROUP BY reason "
        "UNION ALL SELECT 'debits (not matched)', count(*)::text,"
        "  coalesce(sum(amount_cents), 0)::text FROM abgleich.bank_transactions"
        "  WHERE direction = 'D' ORDER BY 1";
    pgsink_result *res = NULL;
    int rc = pgsink_query(db, sql, 0, NULL, &res);
    if (rc < 0)
        return rc;
    printf("\nabgleich demo: what the database holds now\n");
    printf("  %-36s %9s  %20s\n", "outcome", "count", "sum");
    for (int i = 0; i < pgsink_result_rows(res); i++)
        print_row(pgsink_result_value(res, i, 0), pgsink_result_value(res, i, 1),
                  pgsink_result_value(res, i, 2));
    pgsink_result_free(res);
    return AB_OK;
}

static int connect_demo(const cli_opts *o, const demo_args *a, pgsink **db)
{
    const char *conninfo = o->db ? o->db : getenv("ABGLEICH_DB");
    char priv[1024];
    if (!conninfo) {
        char pgdir[1024];
        snprintf(pgdir, sizeof pgdir, "%s/pg", a->dir);
        log_info("starting a private PostgreSQL in %s", pgdir);
        int rc = pgprivate_start(pgdir, priv, sizeof priv);
        if (rc < 0)
            return rc;
        conninfo = priv;
    }
    int rc = pgsink_connect(db, conninfo);
    if (rc < 0)
        log_error("database: %s", pgsink_error(*db));
    return rc;
}

static int run_demo(const cli_opts *o, const demo_args *a, pgsink *db)
{
    char tickets[1100], stmt[1100];
    int applied = 0;
    int rc = pgsink_migrate(db, &applied);
    if (rc < 0)
        return rc;
    if ((rc = ensure_data(o, a, tickets, stmt, sizeof tickets)) < 0)
        return rc;
    import_summary is = {0};
    rc = import_tickets_file(db, o, tickets, &is);
    if (rc < 0 && rc != AB_E_REJECTED)
        return rc;
    reconciler *r = NULL;
    if ((rc = reconciler_open(&r, db, o)) < 0)
        return rc;
    rec_summary rs = {0};
    progress p;
    struct stat sb;
    progress_start(&p, "reconcile", stat(stmt, &sb) == 0 ? (int64_t)sb.st_size : 0, o->quiet);
    reconciler_set_progress(r, &p);
    rc = reconciler_file(r, stmt, &rs);
    progress_end(&p);
    reconciler_close(r);
    if (rc < 0)
        return rc;
    if (o->json) {
        rec_summary_json(&rs);
        return AB_OK;
    }
    return print_summary(db);
}

int job_demo(const cli_opts *o, int argc, char **argv)
{
    demo_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        return rc;
    if (mkdir(a.dir, 0755) < 0 && access(a.dir, W_OK) < 0) {
        log_error("cannot create %s", a.dir);
        return AB_E_IO;
    }
    pgsink *db = NULL;
    rc = connect_demo(o, &a, &db);
    if (rc == AB_OK)
        rc = run_demo(o, &a, db);
    pgsink_close(db);
    return rc;
}
