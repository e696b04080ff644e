/*
 * gen.c - `abgleich gen --out DIR [--tickets N] [--seed S] [--date D]`:
 * a realistic dataset with its answer key (see engine/gen.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/gen.h"
#include "../engine/log.h"
#include "../engine/progress.h"
#include "../engine/money.h"
#include "../formats/jsonw.h"
#include "cli.h"

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || *s == '-')
        return AB_E_USAGE;
    *out = v;
    return AB_OK;
}

static void report(const cli_opts *o, const gen_opts *g, const gen_result *r)
{
    char t[32], c[32], d[32];
    money_format_de(r->tickets_cents, t, sizeof t);
    money_format_de(r->credit_cents, c, sizeof c);
    money_format_de(r->debit_cents, d, sizeof d);
    log_info("%s: %llu tickets (%s EUR), %llu payments (credits %s EUR, debits %s EUR)",
             g->out_dir, (unsigned long long)r->tickets, t, (unsigned long long)r->payments, c,
             d);
    if (!o->json)
        return;
    jsonw w;
    jsonw_init(&w, stdout);
    jsonw_obj_begin(&w);
    jsonw_kint(&w, "tickets", (int64_t)r->tickets);
    jsonw_kint(&w, "tickets_cents", r->tickets_cents);
    jsonw_kint(&w, "payments", (int64_t)r->payments);
    jsonw_kint(&w, "credit_cents", r->credit_cents);
    jsonw_kint(&w, "debit_cents", r->debit_cents);
    jsonw_key(&w, "cases");
    jsonw_obj_begin(&w);
    for (int i = 0; i < GEN_CASE_COUNT; i++)
        jsonw_kint(&w, gen_case_name((enum gen_case)i), (int64_t)r->by_case[i]);
    jsonw_obj_end(&w);
    jsonw_obj_end(&w);
}

int job_gen(const cli_opts *o, int argc, char **argv)
{
    gen_opts g = {.tickets = 30000, .seed = 1, .scheme = o->scheme};
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            goto usage;
        if (!strcmp(argv[i], "--out"))
            g.out_dir = v;
        else if (!strcmp(argv[i], "--date"))
            g.date = v;
        else if (!strcmp(argv[i], "--tickets")) {
            if (parse_u64(v, &g.tickets) < 0)
                goto usage;
        } else if (!strcmp(argv[i], "--seed")) {
            if (parse_u64(v, &g.seed) < 0)
                goto usage;
        } else if (!strcmp(argv[i], "--paying")) {
            if (parse_u64(v, &g.paying) < 0)
                goto usage;
        } else
            goto usage;
    }
    if (!g.out_dir)
        goto usage;
    gen_result r;
    progress p;
    progress_start(&p, "gen", (int64_t)g.tickets * 3, o->quiet || o->json);
    g.prog = &p;
    int rc = gen_dataset(&g, &r);
    progress_end(&p);
    if (rc < 0) {
        log_error("gen: %s", ab_strerror(rc));
        return rc;
    }
    report(o, &g, &r);
    return AB_OK;
usage:
    fprintf(stderr, "usage: abgleich gen --out DIR [--tickets N] [--paying M] [--seed S] [--date YYYY-MM-DD]\n");
    return AB_E_USAGE;
}
