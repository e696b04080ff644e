/*
 * test_gen.c - the generator: deterministic, valid references, an answer
 * key that matches the statement, sums that add up.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/gen.h"
#include "../../formats/camt.h"

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    char *b = malloc(*n + 1);
    cr_assert_eq(fread(b, 1, *n, f), *n);
    b[*n] = '\0';
    fclose(f);
    return b;
}

static void make(const char *dir, uint64_t seed, gen_result *r)
{
    gen_opts o = {.out_dir = dir, .tickets = 3000, .seed = seed, .scheme = CD_ISO7064_11_10,
                  .date = "2026-11-20"};
    cr_assert_eq(gen_dataset(&o, r), AB_OK);
}

static void remove_dir(const char *d)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    cr_assert_eq(system(cmd), 0);
}

static int count_stmt(void *ctx, const statement *s)
{
    *(statement *)ctx = *s;
    return 0;
}

Test(gen, deterministic_and_consistent)
{
    char a[] = "/tmp/abgleich-gen-XXXXXX", b[] = "/tmp/abgleich-gen-XXXXXX";
    cr_assert(mkdtemp(a) && mkdtemp(b));
    gen_result ra, rb;
    make(a, 42, &ra);
    make(b, 42, &rb);
    char pa[128], pb[128];
    size_t na, nb;
    snprintf(pa, sizeof pa, "%s/statement.xml", a);
    snprintf(pb, sizeof pb, "%s/statement.xml", b);
    char *sa = slurp(pa, &na), *sb = slurp(pb, &nb);
    cr_assert(na == nb && !memcmp(sa, sb, na), "same seed, same statement");
    free(sb);
    make(b, 43, &rb);
    sb = slurp(pb, &nb);
    cr_assert(na != nb || memcmp(sa, sb, na), "another seed, another statement");
    free(sa);
    free(sb);

    cr_assert_eq(ra.tickets, 3000);
    uint64_t cases = 0;
    for (int i = 0; i < GEN_CASE_COUNT; i++)
        cases += ra.by_case[i];
    cr_assert_eq(cases, ra.payments);
    cr_assert_gt(ra.by_case[GEN_EXACT], 1900);
    cr_assert_gt(ra.by_case[GEN_TYPO], 30);
    cr_assert_gt(ra.by_case[GEN_REVERSAL], 20);

    /* The statement reads back with the generator's sums and balances. */
    statement st;
    camt_sink sink = {.ctx = &st, .on_statement_end = count_stmt};
    char err[512];
    cr_assert_eq(camt_read_file(pa, &sink, err, sizeof err), AB_OK, "%s", err);
    cr_assert_eq(st.transactions, ra.payments);
    cr_assert_eq(st.credit_cents, ra.credit_cents);
    cr_assert_eq(st.debit_cents, ra.debit_cents);
    remove_dir(a);
    remove_dir(b);
}

Test(gen, tickets_have_valid_references)
{
    char d[] = "/tmp/abgleich-gen-XXXXXX";
    cr_assert(mkdtemp(d));
    gen_result r;
    make(d, 7, &r);
    char p[128];
    snprintf(p, sizeof p, "%s/tickets.csv", d);
    FILE *f = fopen(p, "r");
    char line[512];
    cr_assert(fgets(line, sizeof line, f));
    int n = 0;
    int64_t sum = 0;
    while (fgets(line, sizeof line, f)) {
        char *comma = strchr(line, ',');
        cr_assert(cd_valid(CD_ISO7064_11_10, line, (size_t)(comma - line)), "%s", line);
        char *amt = comma;
        for (int k = 0; k < 2; k++) /* past plate and tbnr */
            amt = strchr(amt + 1, ',');
        sum += strtoll(amt + 1, NULL, 10) * 100 + strtoll(strchr(amt, '.') + 1, NULL, 10);
        n++;
    }
    fclose(f);
    cr_assert_eq(n, 3000);
    cr_assert_eq(sum, r.tickets_cents);
    remove_dir(d);
}

/* An IBAN holds when its rearranged digits are 1 modulo 97 (ISO 13616). */
static int iban_ok(const char *s, size_t n)
{
    if (n != 22 || s[0] != 'D' || s[1] != 'E')
        return 0;
    unsigned m = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[(i + 4) % n];
        if (c >= '0' && c <= '9')
            m = (m * 10 + (unsigned)(c - '0')) % 97;
        else if (c >= 'A' && c <= 'Z')
            m = (m * 100 + (unsigned)(c - 'A' + 10)) % 97;
        else
            return 0;
    }
    return m == 1;
}

/* Every IBAN in the statement is valid, and the answer key has one row per
 * entry whose credit and debit sums are the generator's. */
Test(gen, ibans_valid_and_answer_key_adds_up)
{
    char d[] = "/tmp/abgleich-gen-XXXXXX";
    cr_assert(mkdtemp(d));
    gen_result r;
    make(d, 11, &r);
    char p[128];
    size_t n;
    snprintf(p, sizeof p, "%s/statement.xml", d);
    char *x = slurp(p, &n);
    int ibans = 0, entries = 0;
    for (char *s = x; (s = strstr(s, "<IBAN>")); s++, ibans++) {
        char *e = strstr(s, "</IBAN>");
        cr_assert(iban_ok(s + 6, (size_t)(e - s - 6)), "%.30s", s);
    }
    for (char *s = x; (s = strstr(s, "<Ntry>")); s++)
        entries++;
    free(x);
    cr_assert_eq(ibans, entries + 1, "one per entry and the account's own");

    snprintf(p, sizeof p, "%s/answer_key.csv", d);
    FILE *f = fopen(p, "r");
    char line[512];
    cr_assert(fgets(line, sizeof line, f));
    int rows = 0;
    int64_t credits = 0, debits = 0;
    while (fgets(line, sizeof line, f)) {
        char *c = line;
        for (int k = 0; k < 3; k++) /* past end_to_end_id, case, references */
            c = strchr(c, ',') + 1;
        int64_t cents = strtoll(c, NULL, 10);
        int debit = !strncmp(strchr(line, ',') + 1, "debit,", 6) ||
                    !strncmp(strchr(line, ',') + 1, "reversal,", 9);
        *(debit ? &debits : &credits) += cents;
        rows++;
    }
    fclose(f);
    cr_assert_eq(rows, entries);
    cr_assert_eq((uint64_t)rows, r.payments);
    cr_assert_eq(credits, r.credit_cents);
    cr_assert_eq(debits, r.debit_cents);
    remove_dir(d);
}
