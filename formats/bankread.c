/*
 * bankread.c - the reader for a bank file chosen by its content; see
 * bankread.h.  A thin switch: all parsing lives in camt.c and mt940.c.
 */
#include "bankread.h"

#include <stdio.h>

#include "../engine/mem.h"
#include "mt940.h"

struct bankread {
    enum detect_format kind;
    camt_reader *camt;
    mt940_reader *mt;
};

int bankread_create(bankread **out, const char *path, const camt_sink *sink, char *err,
                    size_t errlen)
{
    *out = NULL;
    enum detect_format kind = DETECT_UNKNOWN;
    int rc = detect_file(path, &kind);
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot open", path);
        return rc;
    }
    if (kind != DETECT_CAMT && kind != DETECT_MT940) {
        snprintf(err, errlen, "%s:1: format: %s", path,
                 kind == DETECT_CSV ? "a CSV file, not a bank statement"
                                    : "neither CAMT nor MT940/MT942");
        return AB_E_REJECTED;
    }
    bankread *b = mem_calloc(1, sizeof *b);
    if (!b)
        return AB_E_NOMEM;
    b->kind = kind;
    rc = kind == DETECT_CAMT ? camt_reader_create(&b->camt, sink, path)
                             : mt940_reader_create(&b->mt, sink, path);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", path, ab_strerror(rc));
        bankread_destroy(b);
        return rc;
    }
    *out = b;
    return AB_OK;
}

int bankread_feed(bankread *b, const char *buf, size_t n, bool last)
{
    if (b->kind == DETECT_CAMT)
        return camt_reader_feed(b->camt, buf, n, last);
    return mt940_reader_feed(b->mt, buf, n, last);
}

const char *bankread_error(const bankread *b)
{
    return b->kind == DETECT_CAMT ? camt_reader_error(b->camt) : mt940_reader_error(b->mt);
}

const char *bankread_format(const bankread *b)
{
    const char *f = b->kind == DETECT_CAMT ? camt_reader_format(b->camt)
                                           : mt940_reader_format(b->mt);
    return f && f[0] ? f : detect_name(b->kind);
}

enum detect_format bankread_kind(const bankread *b)
{
    return b->kind;
}

void bankread_destroy(bankread *b)
{
    if (!b)
        return;
    camt_reader_destroy(b->camt);
    mt940_reader_destroy(b->mt);
    mem_free(b);
}
