/*
 * einvpdf.c - the invoice XML attachment of a PDF (einvpdf.h).
 *
 * libqpdf does the PDF itself (xref streams, object streams, incremental
 * updates, recovery of damaged files: einvoice.md §4 shows a hand-written
 * scanner breaking on the samples).  The stream data is taken raw and
 * inflated here so that the size cap holds while inflating, not after.
 * The name-tree walk is bounded in depth and in entries.  Every file spec
 * under an invoice name is kept (up to SAME_NAME_MAX per name), not the
 * first one met: two different files of one name are refused, not chosen
 * between by their order in the file.
 */
#include "einvpdf.h"

#include <qpdf/qpdf-c.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "../engine/limits.h"
#include "../engine/mem.h"

#define TREE_DEPTH 8
#define TREE_ENTRIES 256

static const char *const wanted[] = {"factur-x.xml", "xrechnung.xml", "zugferd-invoice.xml",
                                     "ZUGFeRD-invoice.xml"};
#define NWANTED (sizeof wanted / sizeof wanted[0])

/* A PDF names one file spec twice as a rule (in the name tree and in
 * /AF); two specs under one name are two files, kept apart to be compared.
 * More namesakes than this are refused rather than read one by one. */
#define SAME_NAME_MAX 4

typedef struct found {
    qpdf_oh spec[NWANTED][SAME_NAME_MAX];
    int n[NWANTED];
    bool too_many[NWANTED];
    int seen;
} found;

static int rank_of(const char *name)
{
    for (size_t i = 0; i < NWANTED; i++)
        if (!strcmp(name, wanted[i]))
            return (int)i;
    return -1;
}

/* The same indirect object reached twice.  A direct dictionary has no
 * identity: it counts as another file (its content decides, agree()). */
static bool same_object(qpdf_data q, qpdf_oh a, qpdf_oh b)
{
    int id = qpdf_oh_get_object_id(q, a);
    return id > 0 && id == qpdf_oh_get_object_id(q, b) &&
           qpdf_oh_get_generation(q, a) == qpdf_oh_get_generation(q, b);
}

static void consider(qpdf_data q, qpdf_oh spec, found *f)
{
    if (!qpdf_oh_is_dictionary(q, spec) || f->seen++ > TREE_ENTRIES)
        return;
    const char *keys[] = {"/UF", "/F"};
    for (int k = 0; k < 2; k++) {
        qpdf_oh v = qpdf_oh_get_key(q, spec, keys[k]);
        if (!qpdf_oh_is_string(q, v))
            continue;
        int r = rank_of(qpdf_oh_get_utf8_value(q, v));
        if (r < 0)
            return;
        for (int i = 0; i < f->n[r]; i++)
            if (same_object(q, spec, f->spec[r][i]))
                return;
        if (f->n[r] == SAME_NAME_MAX)
            f->too_many[r] = true;
        else
            f->spec[r][f->n[r]++] = spec;
        return;
    }
}

static void walk(qpdf_data q, qpdf_oh node, int depth, found *f)
{
    if (depth > TREE_DEPTH || !qpdf_oh_is_dictionary(q, node))
        return;
    qpdf_oh names = qpdf_oh_get_key(q, node, "/Names");
    int n = qpdf_oh_is_array(q, names) ? qpdf_oh_get_array_n_items(q, names) : 0;
    for (int i = 1; i < n && i < 2 * TREE_ENTRIES; i += 2)
        consider(q, qpdf_oh_get_array_item(q, names, i), f);
    qpdf_oh kids = qpdf_oh_get_key(q, node, "/Kids");
    n = qpdf_oh_is_array(q, kids) ? qpdf_oh_get_array_n_items(q, kids) : 0;
    for (int i = 0; i < n && i < TREE_ENTRIES; i++)
        walk(q, qpdf_oh_get_array_item(q, kids, i), depth + 1, f);
}

/* zlib inflate under the cap. */
static int inflate_capped(const unsigned char *in, size_t n, char **out, size_t *outn, char *err,
                          size_t errlen)
{
    z_stream z = {0};
    size_t cap = AB_EINVOICE_MAX_BYTES, have = 0;
    char *buf = mem_alloc(cap + 1);
    if (!buf || inflateInit(&z) != Z_OK) {
        mem_free(buf);
        return AB_E_NOMEM;
    }
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    int zr;
    do {
        z.next_out = (unsigned char *)buf + have;
        z.avail_out = (uInt)(cap + 1 - have);
        zr = inflate(&z, Z_NO_FLUSH);
        have = cap + 1 - z.avail_out;
    } while (zr == Z_OK && have <= cap && z.avail_in > 0);
    inflateEnd(&z);
    if (have > cap) {
        snprintf(err, errlen, "the invoice XML inflates beyond %u bytes", AB_EINVOICE_MAX_BYTES);
    } else if (zr != Z_STREAM_END && zr != Z_OK) {
        snprintf(err, errlen, "the invoice XML stream is damaged (zlib %d)", zr);
    } else {
        *out = buf;
        *outn = have;
        return AB_OK;
    }
    mem_free(buf);
    return AB_E_INVAL;
}

static int stream_of(qpdf_data q, qpdf_oh spec, char **xml, size_t *n, char *err, size_t errlen)
{
    qpdf_oh ef = qpdf_oh_get_key(q, spec, "/EF");
    qpdf_oh s = qpdf_oh_get_key(q, ef, "/F");
    if (!qpdf_oh_is_stream(q, s))
        s = qpdf_oh_get_key(q, ef, "/UF");
    if (!qpdf_oh_is_stream(q, s)) {
        snprintf(err, errlen, "the attachment has no embedded stream");
        return AB_E_INVAL;
    }
    qpdf_oh filter = qpdf_oh_get_key(q, qpdf_oh_get_dict(q, s), "/Filter");
    if (qpdf_oh_is_array(q, filter) && qpdf_oh_get_array_n_items(q, filter) == 1)
        filter = qpdf_oh_get_array_item(q, filter, 0);
    bool flate = qpdf_oh_is_name_and_equals(q, filter, "/FlateDecode");
    if (!flate && !qpdf_oh_is_null(q, filter)) {
        snprintf(err, errlen, "the attachment uses a filter other than FlateDecode");
        return AB_E_INVAL;
    }
    unsigned char *raw = NULL;
    size_t len = 0;
    if (qpdf_oh_get_stream_data(q, s, qpdf_dl_none, NULL, &raw, &len) != QPDF_SUCCESS || !raw) {
        snprintf(err, errlen, "the attachment cannot be read");
        free(raw);
        return AB_E_INVAL;
    }
    int rc = AB_OK;
    if (flate) {
        rc = inflate_capped(raw, len, xml, n, err, errlen);
    } else if (len > AB_EINVOICE_MAX_BYTES) {
        snprintf(err, errlen, "the invoice XML is larger than %u bytes", AB_EINVOICE_MAX_BYTES);
        rc = AB_E_INVAL;
    } else if ((*xml = mem_alloc(len + 1))) {
        memcpy(*xml, raw, len);
        *n = len;
    } else {
        rc = AB_E_NOMEM;
    }
    free(raw);
    return rc;
}

/* Every other attachment that could be the invoice must say the same as
 * the one taken (xml): another file of the same name (a second
 * factur-x.xml, perhaps only in /AF, where a PDF viewer does not list it:
 * taking the first one met paid whichever the file's order put first)
 * and, for the three modern names, the others of them.  Otherwise which of
 * two invoices to pay is a clerk's decision.  An identical copy is fine. */
static int agree(qpdf_data q, const found *f, int first, const char *xml, size_t n, char *err,
                 size_t errlen)
{
    int last = first < 3 ? 2 : first; /* ZUGFeRD 1.0 is taken only alone */
    for (int r = first; r <= last; r++) {
        for (int k = r == first ? 1 : 0; k < f->n[r]; k++) {
            char *other = NULL, why[128];
            size_t on = 0;
            int rc = stream_of(q, f->spec[r][k], &other, &on, why, sizeof why);
            bool same = rc == AB_OK && on == n && !memcmp(other, xml, n);
            mem_free(other);
            if (rc == AB_E_NOMEM)
                return rc;
            if (same)
                continue;
            if (r == first)
                snprintf(err, errlen, "two attachments named %s that differ: a clerk decides",
                         wanted[first]);
            else
                snprintf(err, errlen, "two invoice XMLs (%s and %s) that differ: a clerk decides",
                         wanted[first], wanted[r]);
            return AB_E_INVAL;
        }
    }
    return AB_OK;
}

static int choose(qpdf_data q, char **xml, size_t *n, char name[64], char *err, size_t errlen)
{
    found f = {0};
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh ef = qpdf_oh_get_key(q, qpdf_oh_get_key(q, root, "/Names"), "/EmbeddedFiles");
    walk(q, ef, 0, &f);
    qpdf_oh af = qpdf_oh_get_key(q, root, "/AF");
    int naf = qpdf_oh_is_array(q, af) ? qpdf_oh_get_array_n_items(q, af) : 0;
    for (int i = 0; i < naf && i < TREE_ENTRIES; i++)
        consider(q, qpdf_oh_get_array_item(q, af, i), &f);
    for (int r = 0; r < (int)NWANTED; r++) {
        if (!f.n[r])
            continue;
        snprintf(name, 64, "%s", wanted[r]);
        for (int k = r; k < (r < 3 ? 3 : r + 1); k++)
            if (f.too_many[k]) {
                snprintf(err, errlen, "more than %d attachments named %s: a clerk decides",
                         SAME_NAME_MAX, wanted[k]);
                return AB_E_INVAL;
            }
        int rc = stream_of(q, f.spec[r][0], xml, n, err, errlen);
        if (rc == AB_OK && (rc = agree(q, &f, r, *xml, *n, err, errlen)) < 0) {
            mem_free(*xml);
            *xml = NULL;
        }
        return rc;
    }
    snprintf(err, errlen, "no invoice XML attached (factur-x.xml, xrechnung.xml, zugferd-invoice.xml)");
    return AB_E_INVAL;
}

int einvpdf_extract(const char *path, char **xml, size_t *n, char name[64], char *err,
                    size_t errlen)
{
    *xml = NULL;
    *n = 0;
    name[0] = '\0';
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot read the file");
        return AB_E_IO;
    }
    if ((uint64_t)st.st_size > AB_EINVOICE_PDF_MAX_BYTES) {
        snprintf(err, errlen, "PDF larger than %u bytes", AB_EINVOICE_PDF_MAX_BYTES);
        return AB_E_INVAL;
    }
    qpdf_data q = qpdf_init();
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    int rc = AB_E_INVAL;
    if (qpdf_read(q, path, "") & QPDF_ERRORS) {
        snprintf(err, errlen, "not a readable PDF: %s",
                 qpdf_has_error(q) ? qpdf_get_error_full_text(q, qpdf_get_error(q)) : "?");
        err[strcspn(err, "\n")] = '\0';
    } else if (qpdf_is_encrypted(q)) {
        snprintf(err, errlen, "the PDF is encrypted: its attachments cannot be checked");
    } else {
        rc = choose(q, xml, n, name, err, errlen);
    }
    /* Errors inside object-handle calls (a missing key in a damaged file)
     * return null objects and are judged above; drained here so that qpdf
     * does not report them as unhandled on stderr. */
    while (qpdf_has_error(q))
        (void)qpdf_get_error(q);
    qpdf_cleanup(&q);
    return rc;
}
