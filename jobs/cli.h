/*
 * cli.h - what every command shares: the common options and the job table.
 *
 * Each user-facing command is one file in jobs/ with one entry point
 * `int job_NAME(const cli_opts *o, int argc, char **argv)` that returns an
 * AB_E_* code (main maps it to an exit code).  argv holds what is left after
 * the common options were taken out (argv[0] is the command name).
 * cli_opts is filled by main and read-only for jobs.
 */
#ifndef AB_CLI_H
#define AB_CLI_H

#include <stdbool.h>

#include "../engine/checkdigit.h"
#include "../engine/err.h"

typedef struct cli_opts {
    const char *db;            /* --db CONNINFO, or NULL (then $ABGLEICH_DB, PG*) */
    bool json;                 /* --json: one summary object on stdout */
    unsigned threads;          /* --threads N, 0 = number of cores */
    const char *lang;          /* --lang de|en, for what clerks read */
    bool quiet, verbose;       /* --quiet, --verbose */
    enum cd_scheme scheme;     /* --check-digit SCHEME (default iso7064-11-10) */
    const char *state_dir;     /* --state-dir DIR: claim snapshots (engine/claimsnap.h) */
    bool no_snapshot;          /* --no-snapshot: load every claim, write no snapshot */
    /* Which of threads, scheme and lang the command line gave: serve's
     * configuration file yields to a flag given (docs/serve.md). */
    bool threads_given, scheme_given, lang_given;
} cli_opts;

typedef int (*job_fn)(const cli_opts *o, int argc, char **argv);

int job_init(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_import(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_reconcile(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_demo(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_pg(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_gen(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_explain(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_clarify(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_clarifications(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_report(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_purge(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_bench(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_inspect(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_escalate(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_case(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_account(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_approve(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_pay(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;
int job_serve(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;

/* The reconcile lock for a step of the fines lifecycle (escalate, case),
 * as a session lock held until the connection closes, taken before the
 * step's transaction begins: its rows' created_at (the transaction's
 * start) then come after those of a reconcile run it waited for, whose
 * payments it counts (escalate.c). */
struct pgsink;
int fines_lock(struct pgsink *db) AB_MUSTCHECK;

#endif
