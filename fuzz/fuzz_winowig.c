/*
 * fuzz_winowig.c - libFuzzer target for the WiNOWiG XMLMDE reader.
 *
 * Each input is read in two chunks cut where the first byte says and in
 * one piece; a ticket must hold what the importer relies on (a reference
 * with its check digit, a positive amount, a TBNR, text fields that are C
 * strings) and both readings must report the same digest.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../engine/refscan.h"
#include "../formats/winowig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct digest {
    uint64_t h;
    unsigned long tickets, rejects;
} digest;

static void mix(digest *d, const char *s)
{
    for (size_t i = 0; s[i]; i++)
        d->h = (d->h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    d->h = (d->h ^ 0xff) * 0x100000001b3ull;
}

static int on_ticket(void *ctx, const ticket *t)
{
    digest *d = ctx;
    size_t n = strlen(t->reference);
    if (n >= 2 && t->reference[0] == 'R' && t->reference[1] == 'F')
        assert(refscan_rf_valid(t->reference, n));
    else
        assert(cd_valid(CD_ISO7064_11_10, t->reference, n));
    assert(t->amount_cents > 0);
    assert(t->tbnr[0] && t->plate[0]);
    mix(d, t->reference);
    mix(d, t->plate);
    mix(d, t->tbnr);
    mix(d, t->location);
    mix(d, t->nationality);
    d->tickets++;
    return 0;
}

static int on_reject(void *ctx, unsigned long line, const char *field, const char *reason)
{
    digest *d = ctx;
    assert(line > 0 && field && reason);
    mix(d, field);
    mix(d, reason);
    d->rejects++;
    return 0;
}

static int read_in(const uint8_t *data, size_t size, size_t cut, digest *d)
{
    tickets_sink sink = {.ctx = d, .on_ticket = on_ticket, .on_reject = on_reject};
    winowig_reader *r = NULL;
    if (winowig_reader_create(&r, &sink, CD_ISO7064_11_10, "fuzz") < 0)
        return -1;
    int rc = winowig_reader_feed(r, (const char *)data, cut, cut == size);
    if (rc == 0 && cut < size)
        rc = winowig_reader_feed(r, (const char *)data + cut, size - cut, true);
    winowig_reader_destroy(r);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    digest a = {0}, b = {0};
    size_t cut = size ? (size_t)data[0] * size / 256 : 0;
    int ra = read_in(data, size, cut, &a);
    int rb = read_in(data, size, size, &b);
    if (ra == 0 && rb == 0)
        assert(a.h == b.h && a.tickets == b.tickets && a.rejects == b.rejects);
    return 0;
}
