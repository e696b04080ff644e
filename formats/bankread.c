/*
 * bankread.c - the reader for a bank file chosen by its content, and ZIP
 * containers of such files; see bankread.h.  All parsing lives in camt.c
 * and mt940.c; inflating lives in libzip.  Memory: one read chunk and the
 * reader; a ZIP member is streamed, never inflated whole.
 */
#include "bankread.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "../engine/limits.h"
#include "../engine/log.h"
#include "../engine/mem.h"
#include "mt940.h"

struct bankread {
    enum detect_format kind;
    camt_reader *camt;
    mt940_reader *mt;
};

static int create_kind(bankread **out, enum detect_format kind, const char *name,
                       const camt_sink *sink, char *err, size_t errlen)
{
    *out = NULL;
    if (kind != DETECT_CAMT && kind != DETECT_MT940) {
        snprintf(err, errlen, "%s:1: format: %s", name,
                 kind == DETECT_CSV   ? "a CSV file, not a bank statement"
                 : kind == DETECT_ZIP ? "a ZIP container inside a ZIP container is not read"
                                      : "neither CAMT nor MT940/MT942");
        return AB_E_REJECTED;
    }
    bankread *b = mem_calloc(1, sizeof *b);
    if (!b)
        return AB_E_NOMEM;
    b->kind = kind;
    int rc = kind == DETECT_CAMT ? camt_reader_create(&b->camt, sink, name)
                                 : mt940_reader_create(&b->mt, sink, name);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", name, ab_strerror(rc));
        bankread_destroy(b);
        return rc;
    }
    *out = b;
    return AB_OK;
}

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
    if (kind == DETECT_ZIP) {
        snprintf(err, errlen, "%s:1: format: a ZIP container (read it with bankread_path)", path);
        return AB_E_REJECTED;
    }
    return create_kind(out, kind, path, sink, err, errlen);
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

void bankread_destroy(bankread *b)
{
    if (!b)
        return;
    camt_reader_destroy(b->camt);
    mt940_reader_destroy(b->mt);
    mem_free(b);
}

/* --- whole files ------------------------------------------------------------ */

typedef struct job {
    const char *path;
    const camt_sink *sink;
    bankread_progress prog;
    void *pctx;
    char *fmt, *err;
    size_t fmtlen, errlen;
    char *buf;                  /* AB_READ_CHUNK */
    int64_t file_size;
    uint64_t zip_total, zip_done;
} job;

static void progress(job *j, uint64_t member_done)
{
    if (!j->prog)
        return;
    if (!j->zip_total) {
        j->prog(j->pctx, (int64_t)member_done);
        return;
    }
    double share = (double)(j->zip_done + member_done) / (double)j->zip_total;
    j->prog(j->pctx, (int64_t)(share * (double)j->file_size));
}

static int read_plain(job *j)
{
    bankread *b = NULL;
    int rc = bankread_create(&b, j->path, j->sink, j->err, j->errlen);
    if (rc < 0)
        return rc;
    snprintf(j->fmt, j->fmtlen, "%s", bankread_format(b));
    FILE *f = fopen(j->path, "rb");
    if (!f) {
        snprintf(j->err, j->errlen, "%s: cannot open", j->path);
        bankread_destroy(b);
        return AB_E_IO;
    }
    size_t n;
    uint64_t done = 0;
    do {
        n = fread(j->buf, 1, AB_READ_CHUNK, f);
        done += n;
        rc = bankread_feed(b, j->buf, n, n < AB_READ_CHUNK);
        progress(j, done);
    } while (rc == AB_OK && n == AB_READ_CHUNK);
    if (rc < 0)
        snprintf(j->err, j->errlen, "%s", bankread_error(b));
    snprintf(j->fmt, j->fmtlen, "%s", bankread_format(b));
    fclose(f);
    bankread_destroy(b);
    return rc;
}

/* The caps, checked on the central directory before anything inflates. */
static int zip_caps(job *j, zip_t *z, zip_int64_t n)
{
    if (n < 0 || (uint64_t)n > AB_ZIP_MAX_MEMBERS) {
        snprintf(j->err, j->errlen, "%s:1: ZIP: %lld members, more than %u", j->path,
                 (long long)n, AB_ZIP_MAX_MEMBERS);
        return AB_E_LIMIT;
    }
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) ||
            !(st.valid & ZIP_STAT_COMP_SIZE) || !(st.valid & ZIP_STAT_NAME)) {
            snprintf(j->err, j->errlen, "%s:1: ZIP: member %lld: %s", j->path, (long long)i,
                     zip_strerror(z));
            return AB_E_PARSE;
        }
        const char *why = st.size > AB_ZIP_MAX_MEMBER_BYTES ? "more than the member cap"
                          : st.size > (st.comp_size + 1) * AB_ZIP_MAX_RATIO
                              ? "an inflation ratio no bank file has (a zip bomb?)"
                              : NULL;
        j->zip_total += st.size;
        if (!why && j->zip_total > AB_ZIP_MAX_TOTAL_BYTES)
            why = "more than the container cap in all";
        if (why) {
            snprintf(j->err, j->errlen, "%s:1: ZIP: member %s inflates to %llu bytes from %llu: %s",
                     j->path, st.name, (unsigned long long)st.size,
                     (unsigned long long)st.comp_size, why);
            return AB_E_LIMIT;
        }
    }
    return AB_OK;
}

/* Streams member i; *read is set when it was a statement. */
static int read_member(job *j, zip_t *z, zip_uint64_t i, int *read)
{
    zip_stat_t st;
    if (zip_stat_index(z, i, 0, &st) < 0)
        return AB_E_PARSE;
    size_t nl = strlen(st.name);
    if (nl && st.name[nl - 1] == '/')
        return AB_OK; /* a directory */
    char name[1024];
    snprintf(name, sizeof name, "%s:%s", j->path, st.name);
    zip_file_t *zf = zip_fopen_index(z, i, 0);
    if (!zf) {
        snprintf(j->err, j->errlen, "%s:1: ZIP: %s", name, zip_strerror(z));
        return AB_E_PARSE;
    }
    bankread *b = NULL;
    uint64_t got = 0;
    int rc = AB_OK;
    zip_int64_t k;
    do {
        k = zip_fread(zf, j->buf, AB_READ_CHUNK);
        if (k < 0 || (got += (uint64_t)k) > st.size) {
            snprintf(j->err, j->errlen, "%s:1: ZIP: %s", name,
                     k < 0 ? zip_file_strerror(zf) : "inflates beyond its declared size");
            rc = k < 0 ? AB_E_PARSE : AB_E_LIMIT;
            break;
        }
        if (!b) {
            enum detect_format kind = detect_buffer(j->buf, (size_t)k);
            if (kind != DETECT_CAMT && kind != DETECT_MT940 && kind != DETECT_ZIP) {
                log_warn("%s: no bank statement (%s), skipped", name, detect_name(kind));
                break;
            }
            if ((rc = create_kind(&b, kind, name, j->sink, j->err, j->errlen)) < 0)
                break;
            *read = 1;
        }
        rc = bankread_feed(b, j->buf, (size_t)k, k == 0);
        progress(j, got);
        if (rc < 0)
            snprintf(j->err, j->errlen, "%s", bankread_error(b));
    } while (rc == AB_OK && k > 0);
    if (b)
        snprintf(j->fmt, j->fmtlen, "%s", bankread_format(b));
    j->zip_done += st.size;
    bankread_destroy(b);
    zip_fclose(zf);
    return rc;
}

static int read_zip(job *j)
{
    int zerr = 0;
    zip_t *z = zip_open(j->path, ZIP_RDONLY, &zerr);
    if (!z) {
        zip_error_t e;
        zip_error_init_with_code(&e, zerr);
        snprintf(j->err, j->errlen, "%s:1: ZIP: %s", j->path, zip_error_strerror(&e));
        zip_error_fini(&e);
        return AB_E_PARSE;
    }
    snprintf(j->fmt, j->fmtlen, "zip");
    zip_int64_t n = zip_get_num_entries(z, 0);
    int rc = zip_caps(j, z, n), statements = 0;
    for (zip_int64_t i = 0; rc == AB_OK && i < n; i++)
        rc = read_member(j, z, (zip_uint64_t)i, &statements);
    snprintf(j->fmt, j->fmtlen, "zip"); /* the statements name their own formats */
    if (rc == AB_OK && !statements) {
        snprintf(j->err, j->errlen, "%s:1: ZIP: no CAMT or MT940/MT942 member", j->path);
        rc = AB_E_REJECTED;
    }
    zip_discard(z);
    return rc;
}

int bankread_path(const char *path, const camt_sink *sink, bankread_progress prog, void *pctx,
                  char *fmt, size_t fmtlen, char *err, size_t errlen)
{
    job j = {.path = path, .sink = sink, .prog = prog, .pctx = pctx, .fmt = fmt,
             .fmtlen = fmtlen, .err = err, .errlen = errlen};
    enum detect_format kind = DETECT_UNKNOWN;
    err[0] = '\0';
    int rc = detect_file(path, &kind);
    snprintf(fmt, fmtlen, "%s", rc == AB_OK ? detect_name(kind) : "unknown");
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot open", path);
        return rc;
    }
    struct stat sb;
    j.file_size = stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
    if (!(j.buf = mem_alloc(AB_READ_CHUNK)))
        return AB_E_NOMEM;
    rc = kind == DETECT_ZIP ? read_zip(&j) : read_plain(&j);
    mem_free(j.buf);
    return rc;
}
