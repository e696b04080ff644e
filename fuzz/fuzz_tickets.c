/*
 * fuzz_tickets.c - libFuzzer target for the ticket CSV reader (and under it
 * the CSV tokenizer).
 *
 * Each input is read twice: in two chunks cut at a place chosen by the
 * first byte, and in one piece.  Besides what the sanitizers catch, the
 * sink checks what every caller relies on - a ticket passed validation
 * (positive amount, a reference that holds its check digit, 6-digit TBNR),
 * a rejection names a line after the header, a field and a reason - and
 * both readings must give the same digest of everything reported: the
 * result may not depend on where the chunks are cut.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../engine/refscan.h"
#include "../formats/tickets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct digest {
    uint64_t h;
    unsigned long tickets, rejects;
} digest;

/* FNV-1a over everything reported, so two readings can be compared. */
static void mix(digest *d, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        d->h = (d->h ^ b[i]) * 0x100000001b3ull;
}

static void mix_str(digest *d, const char *s)
{
    mix(d, s, strlen(s) + 1);
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
    assert(strlen(t->tbnr) == 6);
    assert(t->plate[0] != '\0');
    assert(t->line >= 2);
    d->tickets++;
    mix(d, &t->line, sizeof t->line);
    mix_str(d, t->reference);
    mix_str(d, t->plate);
    mix_str(d, t->tbnr);
    mix_str(d, t->location);
    mix(d, &t->amount_cents, sizeof t->amount_cents);
    mix(d, &t->offense_time, sizeof t->offense_time);
    return 0;
}

static int on_reject(void *ctx, unsigned long line, const char *field, const char *reason)
{
    digest *d = ctx;
    assert(line >= 2 && field && *field && reason && *reason);
    d->rejects++;
    mix(d, &line, sizeof line);
    mix_str(d, field);
    mix_str(d, reason);
    return 0;
}

/* Reads data in chunks cut at `cut`; returns feed's result in *rc. */
static digest read_all(const char *data, size_t size, size_t cut, int *rc)
{
    digest d = {.h = 0xcbf29ce484222325ull};
    tickets_sink sink = {.ctx = &d, .on_ticket = on_ticket, .on_reject = on_reject};
    tickets_reader *r;
    *rc = tickets_reader_create(&r, &sink, CD_ISO7064_11_10);
    if (*rc < 0)
        return d;
    *rc = tickets_reader_feed(r, data, cut, false);
    if (*rc == AB_OK)
        *rc = tickets_reader_feed(r, data + cut, size - cut, true);
    if (*rc < 0) {
        assert(tickets_reader_error(r)[0] != '\0');
        mix_str(&d, tickets_reader_error(r));
    }
    tickets_reader_destroy(r);
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cut = size ? data[0] * size / 256 : 0;
    int rc1, rc2;
    digest a = read_all((const char *)data, size, cut, &rc1);
    digest b = read_all((const char *)data, size, size, &rc2);
    assert(rc1 == rc2);
    assert(a.tickets == b.tickets && a.rejects == b.rejects && a.h == b.h);
    return 0;
}
