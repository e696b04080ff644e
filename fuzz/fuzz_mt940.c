/*
 * fuzz_mt940.c - libFuzzer target for the MT940/MT942 reader.
 *
 * The input is fed in two chunks split at a point chosen by the first byte,
 * so the fuzzer also explores chunk boundaries; the SEPA keyword helper
 * gets the same bytes.  The sink checks the invariants a caller relies on:
 * amounts are never negative, directions are C or D, strings are never
 * NULL and always valid UTF-8, a failed parse leaves a message.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../formats/mt940.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int utf8_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        int n = *u < 0x80 ? 0 : (*u & 0xE0) == 0xC0 ? 1 : (*u & 0xF0) == 0xE0 ? 2
                : (*u & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0 || (n == 1 && *u < 0xC2))
            return 0;
        u++;
        for (int k = 0; k < n; k++, u++)
            if ((*u & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

static int on_payment(void *ctx, const statement *st, const payment *p)
{
    const char *s[] = {p->acct_svcr_ref, p->end_to_end_id, p->debtor_name, p->debtor_iban,
                       p->remittance,    p->creditor_ref,  p->bank_tx_code, p->entry_info};
    assert(p->amount_cents >= 0);
    assert(p->direction == 'C' || p->direction == 'D');
    assert(!strcmp(p->status, "BOOK") || !strcmp(p->status, "PDNG"));
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        assert(s[i]);
        assert(utf8_ok(s[i]));
        assert(strlen(s[i]) < 16384);
    }
    return 0;
}

static int on_statement(void *ctx, const statement *st)
{
    assert(st->account && st->stmt_id && st->account[0]);
    assert(utf8_ok(st->account) && utf8_ok(st->stmt_id));
    return 0;
}

static int on_statement_end(void *ctx, const statement *st)
{
    assert(!st->has_opening || !st->has_closing ||
           st->opening_cents + st->credit_cents - st->debit_cents == st->closing_cents);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    camt_sink sink = {.on_statement = on_statement, .on_payment = on_payment,
                      .on_statement_end = on_statement_end};
    mt940_reader *r;
    if (mt940_reader_create(&r, &sink, "fuzz.sta") < 0)
        return 0;
    size_t cut = size ? data[0] % (size + 1) : 0;
    int rc = mt940_reader_feed(r, (const char *)data, cut, false);
    if (rc == AB_OK)
        rc = mt940_reader_feed(r, (const char *)data + cut, size - cut, true);
    if (rc < 0)
        assert(mt940_reader_error(r)[0] != '\0');
    mt940_reader_destroy(r);
    char out[64];
    size_t n = mt940_sepa_keyword((const char *)data, size, "EREF", out, sizeof out);
    assert(n < sizeof out && strlen(out) == n);
    return 0;
}
