/*
 * fuzz_tickets.c - libFuzzer target for the ticket CSV reader.
 *
 * Two chunks split by the first byte; the sink checks that every ticket it
 * is handed passed validation (positive amount, digits-only reference with a
 * valid check digit) and that rejections carry a line and a field.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../formats/tickets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_ticket(void *ctx, const ticket *t)
{
    assert(t->amount_cents > 0);
    assert(cd_valid(CD_ISO7064_11_10, t->reference, strlen(t->reference)));
    assert(t->line >= 2);
    return 0;
}

static int on_reject(void *ctx, unsigned long line, const char *field, const char *reason)
{
    assert(line >= 2 && field && *field && reason && *reason);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tickets_sink sink = {.on_ticket = on_ticket, .on_reject = on_reject};
    tickets_reader *r;
    if (tickets_reader_create(&r, &sink, CD_ISO7064_11_10) < 0)
        return 0;
    size_t cut = size ? data[0] % (size + 1) : 0;
    int rc = tickets_reader_feed(r, (const char *)data, cut, false);
    if (rc == AB_OK)
        rc = tickets_reader_feed(r, (const char *)data + cut, size - cut, true);
    if (rc < 0)
        assert(tickets_reader_error(r)[0] != '\0');
    tickets_reader_destroy(r);
    return 0;
}
