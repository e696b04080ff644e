/*
 * main.c - the abgleich command line: common options, then one job.
 *
 *   abgleich [common options] COMMAND [args]
 *
 * Common options may stand anywhere on the line; they are taken out before
 * the job sees its arguments.  Every job returns an AB_E_* code that becomes
 * the documented exit code (err.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/limits.h"
#include "../engine/log.h"
#include "cli.h"

#define ABGLEICH_VERSION "0.1.0"

static const char usage_text[] =
    "usage: abgleich [options] COMMAND [args]\n"
    "\n"
    "Commands:\n"
    "  init                       create or upgrade the database schema\n"
    "  import tickets [--as-of DATE] FILE...\n"
    "                             import ticket batches (CSV or WiNOWiG XML) as claims\n"
    "  import invoices FILE...    e-invoices (XRechnung UBL/CII, ZUGFeRD/Factur-X PDF)\n"
    "                             checked by rule and archived; accepted ones are payables\n"
    "  approve INVOICE... [--seller KEY] [--iban IBAN] [--as LOGIN]\n"
    "                             release invoices for payment: the database login\n"
    "                             approves, never the one that imported them or last\n"
    "                             changed their payee account or amount; prints payee,\n"
    "                             IBAN and amount; --iban stores a new account for a\n"
    "                             transfer that came back (another login approves it);\n"
    "                             --as refuses to run unless connected as LOGIN\n"
    "  pay --due-by DATE --out FILE.xml --account IBAN --name NAME [--bic BIC]\n"
    "      [--execution-date DATE]\n"
    "                             SEPA credit transfers (pain.001.001.09) of approved\n"
    "                             invoices due by DATE\n"
    "  reconcile FILE...          match bank statements (CAMT.052/053/054, MT940/MT942,\n"
    "                             also in ZIP) against open claims\n"
    "  inspect FILE...            statements of CAMT or MT940/MT942 files, no database\n"
    "  explain END_TO_END_ID...   why a payment went where it went\n"
    "  clarify                    list open clarifications\n"
    "  clarify ID --claim REF [--amount EUR] [--by NAME]\n"
    "  clarify ID --refund [--amount EUR] [--by NAME]\n"
    "  clarify ID --close [--by NAME]\n"
    "  clarify --reverse ALLOCATION_ID [--by NAME]\n"
    "  clarify --from FILE.csv|FILE.xlsx [--by NAME]\n"
    "                             the decisions typed into the work list\n"
    "  purge --before YYYY-MM-DD [--execute]\n"
    "                             personal data of closed cases past retention (dry run\n"
    "                             unless --execute); the sums stay\n"
    "  report [--run FILE_ID | --date YYYY-MM-DD] [-o FILE.html]\n"
    "                             the morning report, one self-contained HTML file\n"
    "  clarifications -o FILE [--format csv|xlsx]\n"
    "                             the open clarifications with candidates, for Excel\n"
    "  demo [--dir DIR] [--tickets N]\n"
    "                             run the whole path on generated data, with a\n"
    "                             private PostgreSQL under DIR (default ./var)\n"
    "  gen --out DIR [--tickets N] [--paying M] [--seed S] [--date YYYY-MM-DD]\n"
    "                             generate a realistic dataset and answer key\n"
    "  bench quality [--tickets N] [--seed S] [--data DIR]\n"
    "                             precision and recall of automatic matching\n"
    "  bench match [--claims N] [--payments M]\n"
    "                             matcher speed: payments/s on 1, 2, ... --threads threads\n"
    "  bench parse FILE...\n"
    "                             parser speed per format: MB/s and records/s, no database\n"
    "  bench sink --rows N [--rounds R]\n"
    "                             pgsink COPY rows/s beside a raw COPY of the same rows\n"
    "  bench nightly [--claims N] [--payments M] [--dir GEN_OUTPUT]\n"
    "                             gen, init, import, reconcile timed on a scratch database\n"
    "  escalate [--as-of DATE] [--letters FILE|-] [--dry-run]\n"
    "                             move unpaid fines along the lifecycle; letters CSV\n"
    "  case REFERENCE --driver-known|--driver-unknown|--objection [--received DATE]\n"
    "       |--objection-withdrawn|--dismiss|--to-court [--received DATE]|--judgment DATE\n"
    "       |--instalments N [--first DATE] [--every-months M]|--defer-to DATE\n"
    "       [--as-of DATE]         record what the hearing brought, an objection, or\n"
    "                             payment relief for a final notice (§ 93 OWiG)\n"
    "  account --plate P | --reference R\n"
    "                             a citizen's claims, payments, states and history\n"
    "  pg start|stop|status [--dir DIR]\n"
    "                             manage a private PostgreSQL cluster (default var/pg)\n"
    "  serve [--config FILE] [--inbox DIR] [--listen ADDR:PORT|off] [--workers N]\n"
    "        [--lease-seconds N] [--scan-interval-ms N]\n"
    "                             run unattended: watch DIR/tickets, DIR/statements,\n"
    "                             DIR/invoices; a job queue shared by instances;\n"
    "                             /healthz, /metrics, /accounts over HTTP\n"
    "  serve --check-config FILE  check a configuration file\n"
    "\n"
    "Options:\n"
    "  --db CONNINFO        database (else $ABGLEICH_DB, else libpq's PG* variables)\n"
    "  --json               print one JSON summary object on stdout\n"
    "  --threads N          threads for matching, the main one included (default: the cores)\n"
    "  --check-digit S      Kassenzeichen check digit: none, mod10, mod11,\n"
    "                       iso7064-11-10 (default), iso7064-97-10\n"
    "  --lang de|en         language of what clerks read (default de)\n"
    "  --quiet, --verbose   less or more on stderr\n"
    "  --log-format F       plain (default) or json: one object per line\n"
    "  --log-pii            show plates, names and IBANs in logs (masked by default)\n"
    "  --state-dir DIR      where reconcile keeps its claim snapshot (else\n"
    "                       $ABGLEICH_STATE_DIR, $XDG_STATE_HOME/abgleich,\n"
    "                       ~/.local/state/abgleich)\n"
    "  --no-snapshot        load all open claims from the database, write no snapshot\n"
    "  --help, --version\n"
    "\n"
    "Exit codes: 0 ok, 1 failure, 2 usage, 3 input rejected (in part or whole),\n"
    "4 database unreachable or failed.\n";

static const struct {
    const char *name;
    job_fn fn;
} jobs[] = {
    {"init", job_init},         {"import", job_import}, {"reconcile", job_reconcile},
    {"demo", job_demo},         {"pg", job_pg},         {"gen", job_gen},
    {"explain", job_explain},   {"clarify", job_clarify}, {"clarifications", job_clarifications}, {"report", job_report}, {"purge", job_purge}, {"bench", job_bench},
    {"inspect", job_inspect},
    {"escalate", job_escalate},
    {"case", job_case},
    {"account", job_account},
    {"approve", job_approve},
    {"pay", job_pay},
    {"serve", job_serve},
};

static int parse_threads(const char *s, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v > AB_MAX_THREADS)
        return AB_E_USAGE;
    *out = (unsigned)v;
    return AB_OK;
}

/* Takes the common options out of argv; what remains is compacted in place. */
static int take_options(cli_opts *o, int *argc, char **argv)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char *val = (i + 1 < *argc) ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = true;
        } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            o->verbose = true;
        } else if (!strcmp(a, "--no-snapshot")) {
            o->no_snapshot = true;
        } else if (!strcmp(a, "--log-pii")) {
            log_set_pii(1);
        } else if (!strcmp(a, "--log-format")) {
            if (!val || (strcmp(val, "json") && strcmp(val, "plain"))) {
                fprintf(stderr, "abgleich: --log-format takes plain or json\n");
                return AB_E_USAGE;
            }
            log_set_format(!strcmp(val, "json") ? LOG_JSON : LOG_PLAIN);
            i++;
        } else if (!strcmp(a, "--db") || !strcmp(a, "--threads") || !strcmp(a, "--lang") ||
                   !strcmp(a, "--check-digit") || !strcmp(a, "--state-dir")) {
            if (!val) {
                fprintf(stderr, "abgleich: %s needs a value\n", a);
                return AB_E_USAGE;
            }
            i++;
            if (!strcmp(a, "--db")) {
                o->db = val;
            } else if (!strcmp(a, "--state-dir")) {
                o->state_dir = val;
            } else if (!strcmp(a, "--lang")) {
                if (strcmp(val, "de") && strcmp(val, "en")) {
                    fprintf(stderr, "abgleich: --lang takes de or en\n");
                    return AB_E_USAGE;
                }
                o->lang = val;
                o->lang_given = true;
            } else if (!strcmp(a, "--threads")) {
                if (parse_threads(val, &o->threads) < 0) {
                    fprintf(stderr, "abgleich: --threads takes 0..%u\n", AB_MAX_THREADS);
                    return AB_E_USAGE;
                }
                o->threads_given = true;
            } else if (cd_scheme_parse(val, &o->scheme) < 0) {
                fprintf(stderr, "abgleich: unknown check-digit scheme '%s'\n", val);
                return AB_E_USAGE;
            } else {
                o->scheme_given = true;
            }
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    argv[out] = NULL;
    return AB_OK;
}

/* `abgleich help COMMAND`: the command's lines of the usage text (its
 * entries and their continuation lines), the common options and where the
 * whole story is. */
static int help_command(const char *cmd)
{
    size_t n = strlen(cmd);
    int found = 0, in = 0;
    for (const char *l = usage_text; *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        if (len > 2 && !strncmp(l, "  ", 2) && l[2] != ' ')
            in = !strncmp(l + 2, cmd, n) && (l[2 + n] == ' ' || l[2 + n] == '\n');
        else if (len == 0 || strncmp(l, "    ", 4))
            in = 0;
        if (in) {
            if (!found++)
                printf("usage: abgleich [options] %s\n\n", cmd);
            printf("%.*s\n", (int)len, l);
        }
        l += len + (e ? 1 : 0);
    }
    if (!found) {
        fprintf(stderr, "abgleich: no command '%s' (see abgleich --help)\n", cmd);
        return AB_EXIT_USAGE;
    }
    fputs("\n", stdout);
    fputs(strstr(usage_text, "Options:"), stdout);
    puts("\nMore: man abgleich");
    return AB_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "help"))
        return help_command(argv[2]);
    cli_opts o = {.lang = "de", .scheme = CD_ISO7064_11_10};
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
                      !strcmp(argv[1], "help"))) {
        fputs(usage_text, stdout);
        return AB_EXIT_OK;
    }
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("abgleich %s\n", ABGLEICH_VERSION);
        return AB_EXIT_OK;
    }
    if (take_options(&o, &argc, argv) < 0)
        return AB_EXIT_USAGE;
    log_set_level(o.quiet ? LOG_WARN : o.verbose ? LOG_DEBUG : LOG_INFO);
    if (argc < 2) {
        fputs(usage_text, stderr);
        return AB_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        if (!strcmp(argv[1], jobs[i].name)) {
            int rc = jobs[i].fn(&o, argc - 1, argv + 1);
            return ab_exit_code(rc);
        }
    }
    fprintf(stderr, "abgleich: unknown command '%s' (see abgleich --help)\n", argv[1]);
    return AB_EXIT_USAGE;
}
