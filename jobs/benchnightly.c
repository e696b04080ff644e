/*
 * benchnightly.c - `abgleich bench nightly --claims N --payments M`: the
 * nightly run end to end, phase by phase.
 *
 * Each phase is the operator's own command run as a child process of this
 * very binary (/proc/self/exe), so that what is measured is what runs at
 * night, and each child's peak RSS comes from wait4's rusage:
 *   gen        abgleich gen (skipped with --dir DIR holding gen output)
 *   init       abgleich init (the migrations)
 *   import     abgleich import tickets DIR/tickets.csv (the open claims)
 *   reconcile  abgleich --verbose reconcile DIR/statement.xml: load the open
 *              claims, parse, match, write.  Its stderr is read line by
 *              line as it comes: the arrival of "claims loaded" times the
 *              start and claim load, and its own phase lines ("... took
 *              N ms") are passed through into the JSON.
 * The arrival of the last phase line tells what the process spends after
 * its commit (freeing, exit).
 * The database must hold no claims yet (a fresh one): the run writes real
 * rows and its figures mean nothing on top of another day's data.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../engine/log.h"
#include "../engine/pgsink.h"
#include "../engine/progress.h"
#include "benchparse.h"
#include "cli.h"

#define NIGHTLY_MAX_PHASES 12

typedef struct child_run {
    double seconds, claims_loaded_s;  /* claims_loaded_s: -1 when not seen */
    double last_phase_s;              /* arrival of the last phase line, -1: none */
    long maxrss_kb;
    char phases[NIGHTLY_MAX_PHASES][64];
    int64_t phase_ms[NIGHTLY_MAX_PHASES];
    int nphases;
} child_run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int benchnightly_phase_line(const char *line, char *name, size_t namelen, int64_t *ms)
{
    const char *took = strstr(line, " took ");
    const char *debug = strstr(line, "debug: ");
    if (!took || !debug)
        return 0;
    const char *start = debug + 7, *colon = NULL;
    /* "debug: PATH: NAME took N ms": NAME follows the last ": " before took */
    for (const char *p = start; p + 1 < took; p++)
        if (p[0] == ':' && p[1] == ' ')
            colon = p;
    if (colon)
        start = colon + 2;
    char *end;
    long long v = strtoll(took + 6, &end, 10);
    if (end == took + 6 || strncmp(end, " ms", 3) || took <= start)
        return 0;
    snprintf(name, namelen, "%.*s", (int)(took - start), start);
    for (char *p = name; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
            *p = ' ';
    *ms = v;
    return 1;
}

static void read_stderr(int fd, double t0, child_run *cr)
{
    FILE *f = fdopen(fd, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        if (strstr(line, "claims loaded") && cr->claims_loaded_s < 0)
            cr->claims_loaded_s = now_s() - t0;
        if (cr->nphases < NIGHTLY_MAX_PHASES &&
            benchnightly_phase_line(line, cr->phases[cr->nphases], sizeof cr->phases[0],
                                    &cr->phase_ms[cr->nphases])) {
            cr->nphases++;
            cr->last_phase_s = now_s() - t0;
        }
        else if (strstr(line, "error"))
            fputs(line, stderr);
    }
    if (f)
        fclose(f);
    else
        close(fd);
}

/* Runs /proc/self/exe with args, stdout to out (or /dev/null); exit 0, or
 * also_ok if that is not 0, counts as success. */
static int run_child(char *const args[], const char *out, int also_ok, child_run *cr)
{
    int pfd[2];
    memset(cr, 0, sizeof *cr);
    cr->claims_loaded_s = cr->last_phase_s = -1;
    if (pipe(pfd) != 0)
        return AB_E_IO;
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]), close(pfd[1]);
        return AB_E_IO;
    }
    if (pid == 0) {
        int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        execv("/proc/self/exe", args);
        _exit(127);
    }
    close(pfd[1]);
    read_stderr(pfd[0], t0, cr);
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        return AB_E_IO;
    cr->seconds = now_s() - t0;
    cr->maxrss_kb = ru.ru_maxrss;
    if (!WIFEXITED(status) ||
        (WEXITSTATUS(status) != 0 && (also_ok == 0 || WEXITSTATUS(status) != also_ok))) {
        log_error("bench nightly: %s %s failed (exit %d)", args[1], args[2],
                  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return AB_E_ABORT;
    }
    return AB_OK;
}

static int64_t scalar(pgsink *s, const char *sql)
{
    pgsink_result *r = NULL;
    int64_t v = -1;
    if (pgsink_query(s, sql, 0, NULL, &r) == AB_OK && pgsink_result_rows(r) == 1 &&
        !pgsink_result_isnull(r, 0, 0))
        v = strtoll(pgsink_result_value(r, 0, 0), NULL, 10);
    pgsink_result_free(r);
    return v;
}

static void print_phase(const char *name, const child_run *cr, int first)
{
    printf("%s\"%s\":{\"seconds\":%.3f,\"maxrss_kb\":%ld}", first ? "" : ",", name, cr->seconds,
           cr->maxrss_kb);
}

static void print_json(const nightly_args *a, const child_run cr[4], int64_t counts[3],
                       bool generated)
{
    long peak = 0;
    for (int i = 0; i < 4; i++)
        peak = cr[i].maxrss_kb > peak ? cr[i].maxrss_kb : peak;
    const child_run *rec = &cr[3];
    printf("{\"claims\":%llu,\"payments\":%llu,\"threads\":%u,\"generated\":%s,\"phases\":{",
           (unsigned long long)a->claims, (unsigned long long)a->payments, a->threads,
           generated ? "true" : "false");
    if (generated)
        print_phase("gen", &cr[0], 1);
    print_phase("init", &cr[1], !generated);
    print_phase("import", &cr[2], 0);
    print_phase("reconcile", rec, 0);
    printf("},\"reconcile_start_and_claim_load_s\":%.3f,\"reconcile_last_phase_at_s\":%.3f,"
           "\"reconcile_phases_ms\":{",
           rec->claims_loaded_s, rec->last_phase_s);
    for (int i = 0; i < rec->nphases; i++)
        printf("%s\"%s\":%lld", i ? "," : "", rec->phases[i], (long long)rec->phase_ms[i]);
    printf("},\"nightly_s\":%.3f,\"peak_rss_kb\":%ld,\"claims_loaded\":%lld,"
           "\"transactions\":%lld,\"allocations\":%lld}\n",
           cr[2].seconds + rec->seconds, peak, (long long)counts[0], (long long)counts[1],
           (long long)counts[2]);
}

static int fresh_db(pgsink *s)
{
    int64_t has = scalar(s, "SELECT count(*) FROM pg_namespace WHERE nspname = 'abgleich'");
    if (has > 0 && scalar(s, "SELECT count(*) FROM (SELECT 1 FROM abgleich.claims LIMIT 1) c"))
        has = -2;
    if (has == -2 || has < 0) {
        log_error("bench nightly: the database must hold no claims yet; use a scratch database");
        return AB_E_USAGE;
    }
    return AB_OK;
}

static void counts_after(pgsink *s, int64_t counts[3])
{
    counts[0] = scalar(s, "SELECT count(*) FROM abgleich.claims");
    counts[1] = scalar(s, "SELECT count(*) FROM abgleich.bank_transactions");
    counts[2] = scalar(s, "SELECT count(*) FROM abgleich.allocations");
}

/* The bar counts finished phases: the children's own bars stay off
 * (their stderr is a pipe). */
static int phases(const nightly_args *a, const char *dir, bool generated, child_run cr[4],
                  progress *bar)
{
    char n[24], m[24], t[24], tickets[4096], stmt[4096];
    snprintf(n, sizeof n, "%llu", (unsigned long long)a->claims);
    snprintf(m, sizeof m, "%llu", (unsigned long long)a->payments);
    snprintf(t, sizeof t, "%u", a->threads);
    snprintf(tickets, sizeof tickets, "%s/tickets.csv", dir);
    snprintf(stmt, sizeof stmt, "%s/statement.xml", dir);
    char *gen[] = {"abgleich", "--quiet", "gen", "--out", (char *)dir, "--tickets", n,
                   "--paying", m, "--seed", "1", "--date", "2026-11-20", NULL};
    char *init[] = {"abgleich", "--quiet", "init", NULL};
    char *imp[] = {"abgleich", "--quiet", "import", "tickets", tickets, NULL};
    char *rec[] = {"abgleich", "--verbose", "--threads", t, "reconcile", stmt, NULL};
    char **steps[4] = {generated ? gen : NULL, init, imp, rec};
    /* The import may reject a few rows (exit 3): at 10^7 tickets random
     * plates meet in the duplicate window now and then, and are flagged. */
    int also_ok[4] = {0, 0, 3, 0};
    int rc = AB_OK;
    for (int i = 0; i < 4 && rc == AB_OK; i++) {
        if (steps[i])
            rc = run_child(steps[i], NULL, also_ok[i], &cr[i]);
        progress_update(bar, i + 1);
    }
    return rc;
}

int bench_nightly(const cli_opts *o, const nightly_args *a)
{
    char tmp[] = "/tmp/abgleich-nightly-XXXXXX";
    const char *dir = a->dir;
    child_run cr[4] = {{0}};
    int64_t counts[3] = {0};
    pgsink *s = NULL;
    if (o->db)
        setenv("ABGLEICH_DB", o->db, 1);   /* the children connect where we do */
    setenv("ABGLEICH_TODAY", "2026-11-20", 0);
    int rc = pgsink_connect(&s, o->db);
    if (rc < 0)
        log_error("database: %s", pgsink_error(s));
    if (rc == AB_OK)
        rc = fresh_db(s);
    if (rc == AB_OK && !dir)
        dir = mkdtemp(tmp) ? tmp : NULL, rc = dir ? AB_OK : AB_E_IO;
    if (rc == AB_OK) {
        progress bar;
        progress_start(&bar, "nightly", 4, o->quiet || o->json);
        rc = phases(a, dir, !a->dir, cr, &bar);
        progress_end(&bar);
    }
    if (rc == AB_OK) {
        counts_after(s, counts);
        if (o->json)
            print_json(a, cr, counts, !a->dir);
        else
            printf("import %.3f s, reconcile %.3f s (start and claim load %.3f s), peak RSS "
                   "%ld kB; %lld claims, %lld transactions, %lld allocations\n",
                   cr[2].seconds, cr[3].seconds, cr[3].claims_loaded_s,
                   cr[3].maxrss_kb > cr[2].maxrss_kb ? cr[3].maxrss_kb : cr[2].maxrss_kb,
                   (long long)counts[0], (long long)counts[1], (long long)counts[2]);
    }
    if (dir == tmp) {
        char p[64];
        const char *files[] = {"tickets.csv", "statement.xml", "answer_key.csv"};
        for (size_t i = 0; i < 3; i++)
            snprintf(p, sizeof p, "%s/%s", tmp, files[i]), remove(p);
        remove(tmp);
    }
    pgsink_close(s);
    return rc;
}
