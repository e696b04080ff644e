/*
 * test_tickets.c - ticket CSV: both header languages and separators,
 * every rejection with its physical line, quoting, chunking invariance.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../engine/limits.h"
#include "../../formats/tickets.h"

typedef struct seen {
    int n, nrej;
    char refs[32][40];
    long long cents[32];
    unsigned long lines[32];
    char loc[32][64];
    unsigned long rej_line[32];
    char rej_field[32][24];
} seen;

static int on_ticket(void *ctx, const ticket *t)
{
    seen *s = ctx;
    if (s->n < 32) {
        snprintf(s->refs[s->n], 40, "%s", t->reference);
        snprintf(s->loc[s->n], 64, "%s", t->location);
        s->cents[s->n] = t->amount_cents;
        s->lines[s->n] = t->line;
    }
    s->n++;
    return 0;
}

static int on_reject(void *ctx, unsigned long line, const char *field, const char *reason)
{
    seen *s = ctx;
    if (s->nrej < 32) {
        s->rej_line[s->nrej] = line;
        snprintf(s->rej_field[s->nrej], 24, "%s", field);
    }
    s->nrej++;
    return 0;
}

static int feed(const char *data, size_t len, size_t step, seen *s)
{
    memset(s, 0, sizeof *s);
    tickets_sink sink = {.ctx = s, .on_ticket = on_ticket, .on_reject = on_reject};
    tickets_reader *r;
    cr_assert_eq(tickets_reader_create(&r, &sink, CD_ISO7064_11_10), AB_OK);
    int rc = AB_OK;
    size_t i = 0;
    if (!step)
        step = len ? len : 1;
    while (rc == AB_OK && i < len) {
        size_t k = len - i < step ? len - i : step;
        rc = tickets_reader_feed(r, data + i, k, false);
        i += k;
    }
    if (rc == AB_OK)
        rc = tickets_reader_feed(r, NULL, 0, true);
    tickets_reader_destroy(r);
    return rc;
}

static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

Test(tickets, english_comma_file)
{
    static char buf[8192];
    seen s;
    size_t n = slurp("tests/fixtures/spine/tickets.csv", buf, sizeof buf);
    cr_assert_eq(feed(buf, n, 0, &s), AB_OK);
    cr_assert_eq(s.n, 6);
    cr_assert_eq(s.nrej, 0);
    cr_assert_str_eq(s.refs[0], "400000010017");
    cr_assert_eq(s.cents[1], 5500);
    cr_assert_eq(s.lines[5], 7);
    cr_assert_str_eq(s.loc[5], "Königstraße 1");
}

Test(tickets, german_semicolon_bom_crlf_with_rejections)
{
    static char buf[8192];
    seen s, s1;
    size_t n = slurp("tests/fixtures/spine/tickets_de_bad.csv", buf, sizeof buf);
    cr_assert_eq(feed(buf, n, 0, &s), AB_OK);
    /* Good: line 2 (spaces in the reference), 7, 8, 9 (duplicates are the
     * database's business); rejected: 3 tbnr, 4 reference, 5 amount, 6 time. */
    cr_assert_eq(s.n, 4);
    cr_assert_str_eq(s.refs[0], "400000010076");
    cr_assert_eq(s.cents[0], 2500);
    cr_assert_eq(s.nrej, 4);
    const char *fields[] = {"tbnr", "reference", "amount", "offense_time"};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(s.rej_line[i], (unsigned long)(3 + i));
        cr_assert_str_eq(s.rej_field[i], fields[i]);
    }
    cr_assert_eq(feed(buf, n, 1, &s1), AB_OK);
    cr_assert_eq(memcmp(&s, &s1, sizeof s), 0, "byte-by-byte feeding gives the same");
}

Test(tickets, quoted_fields_keep_line_numbers)
{
    static const char csv[] =
        "reference,plate,tbnr,amount,offense_time,location\n"
        "400000010017,\"B-AB 1\",141312,\"25,00\",2026-11-01T10:00,\"Markt, Ecke \"\"Post\"\"\"\n"
        "400000010025,HH-X 2,141312,25.00,2026-11-01T10:00,\"zwei\nZeilen\"\n"
        "400000010033,M-Y 3,14131,25.00,2026-11-01T10:00,x\n"
        "\n"
        "400000010041,K-Z 4,141312,25.00,2026-11-01T10:00\n";
    seen s;
    cr_assert_eq(feed(csv, sizeof csv - 1, 0, &s), AB_OK);
    cr_assert_eq(s.n, 2);
    cr_assert_str_eq(s.loc[0], "Markt, Ecke \"Post\"");
    cr_assert_eq(s.cents[0], 2500);
    cr_assert_str_eq(s.loc[1], "zwei\nZeilen");
    cr_assert_eq(s.nrej, 2);
    cr_assert_eq(s.rej_line[0], 5);
    cr_assert_str_eq(s.rej_field[0], "tbnr");
    cr_assert_eq(s.rej_line[1], 7);
    cr_assert_str_eq(s.rej_field[1], "line");
}

Test(tickets, whole_file_errors)
{
    seen s;
    static const char nohdr[] = "kz,plate\n1,2\n";
    cr_assert_eq(feed(nohdr, sizeof nohdr - 1, 0, &s), AB_E_PARSE);
    cr_assert_eq(feed("", 0, 0, &s), AB_E_PARSE);
    static char longline[AB_CSV_MAX_LINE + 100];
    memset(longline, 'x', sizeof longline);
    cr_assert_eq(feed(longline, sizeof longline, 0, &s), AB_E_LIMIT);
}
