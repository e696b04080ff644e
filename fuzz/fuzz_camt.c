/*
 * fuzz_camt.c - libFuzzer target for the CAMT reader.
 *
 * The input is fed in two chunks split at a point chosen by the first byte,
 * so the fuzzer also explores chunk boundaries.  The sink checks the
 * invariants a caller relies on: amounts are never negative, directions are
 * C or D, and strings are never NULL.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../formats/camt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_payment(void *ctx, const statement *st, const payment *p)
{
    assert(p->amount_cents >= 0);
    assert(p->direction == 'C' || p->direction == 'D');
    assert(p->remittance && p->end_to_end_id && p->debtor_name && p->creditor_ref);
    assert(strlen(p->remittance) < 8192);
    return 0;
}

static int on_statement(void *ctx, const statement *st)
{
    assert(st->account && st->stmt_id);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    camt_sink sink = {.on_statement = on_statement, .on_payment = on_payment};
    camt_reader *r;
    if (camt_reader_create(&r, &sink, "fuzz.xml") < 0)
        return 0;
    size_t cut = size ? data[0] % (size + 1) : 0;
    int rc = camt_reader_feed(r, (const char *)data, cut, false);
    if (rc == AB_OK)
        rc = camt_reader_feed(r, (const char *)data + cut, size - cut, true);
    if (rc < 0)
        assert(camt_reader_error(r)[0] != '\0');
    camt_reader_destroy(r);
    return 0;
}
