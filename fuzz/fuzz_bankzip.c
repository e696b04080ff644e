/*
 * fuzz_bankzip.c - libFuzzer target for bank files through bankread_path:
 * detection, ZIP containers (libzip, the AB_ZIP_* caps, member streaming)
 * and the reader each member calls for.  The input is written to one
 * scratch file per process (bankread_path reads paths, as reconcile does).
 * The sink checks what callers rely on: amounts never negative, directions
 * C or D, strings never NULL; an error always has a reason.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../engine/log.h"
#include "../formats/bankread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_payment(void *ctx, const statement *st, const payment *p)
{
    assert(p->amount_cents >= 0 && p->charges_cents >= 0);
    assert(p->direction == 'C' || p->direction == 'D');
    assert(p->remittance && p->end_to_end_id && p->debtor_name && p->return_reason);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        log_set_level(LOG_ERROR); /* "member skipped" warnings would flood the run */
        snprintf(path, sizeof path, "/tmp/fuzz_bankzip.%ld", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    camt_sink sink = {.on_payment = on_payment};
    char fmt[64], err[1024];
    int rc = bankread_path(path, &sink, NULL, NULL, fmt, sizeof fmt, err, sizeof err);
    if (rc < 0)
        assert(err[0] != '\0');
    return 0;
}
