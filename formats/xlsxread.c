/*
 * xlsxread.c - the rows of the first worksheet of an XLSX file; see
 * xlsxread.h.
 *
 * An XLSX file is a ZIP (libzip) of XML parts (libxml2's xmlReader, no
 * network, no DTD, no entity substitution).  Cells are text either in the
 * shared-string table (t="s": an index), inline (t="inlineStr", what
 * abgleich writes), or a value <v> (numbers, formulas' cached results).
 * Shared strings are held in one bounded buffer; the sheet streams.
 * Caps: each part's declared and inflated size (AB_XLSX_MAX_PART), the
 * inflation ratio of a part, the shared-string bytes, the columns per row.
 */
#include "xlsxread.h"

#include <libxml/xmlreader.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "../engine/limits.h"
#include "../engine/mem.h"

typedef struct part {
    zip_file_t *f;
    zip_uint64_t left; /* bytes the cap still allows */
} part;

static int read_part(void *ctx, char *buf, int len)
{
    part *p = ctx;
    if (p->left == 0)
        return -1; /* over the cap: the parser stops with an error */
    zip_int64_t n = zip_fread(p->f, buf, (zip_uint64_t)len < p->left ? (zip_uint64_t)len : p->left);
    if (n > 0)
        p->left -= (zip_uint64_t)n;
    return n < 0 ? -1 : (int)n;
}

static int close_part(void *ctx)
{
    (void)ctx;
    return 0;
}

static xmlTextReaderPtr open_part(zip_t *z, const char *name, part *p, int *rc)
{
    zip_stat_t st;
    *rc = AB_E_PARSE;
    if (zip_stat(z, name, 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE))
        return NULL;
    if (st.size > AB_XLSX_MAX_PART ||
        ((st.valid & ZIP_STAT_COMP_SIZE) && st.size > (st.comp_size + 1) * AB_ZIP_MAX_RATIO)) {
        *rc = AB_E_LIMIT;
        return NULL;
    }
    if (!(p->f = zip_fopen(z, name, 0)))
        return NULL;
    p->left = st.size + 1;
    xmlTextReaderPtr r = xmlReaderForIO(read_part, close_part, p, name, NULL, XML_PARSE_NONET);
    if (!r) {
        zip_fclose(p->f);
        p->f = NULL;
    }
    *rc = r ? AB_OK : AB_E_NOMEM;
    return r;
}

static void close_reader(xmlTextReaderPtr r, part *p)
{
    xmlFreeTextReader(r);
    if (p->f)
        zip_fclose(p->f);
    p->f = NULL;
}

typedef struct strings {
    char *buf;
    size_t len;
    size_t *off;
    size_t n, cap;
} strings;

static int add_string(strings *s, const char *t, size_t n)
{
    if (s->len + n + 1 > AB_XLSX_MAX_STRINGS)
        return AB_E_LIMIT;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        size_t *o = mem_realloc(s->off, cap * sizeof *o);
        if (!o)
            return AB_E_NOMEM;
        s->off = o;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, t, n);
    s->buf[s->len + n] = '\0';
    s->off[s->n++] = s->len;
    s->len += n + 1;
    return AB_OK;
}

/* xl/sharedStrings.xml: each <si> is one string, the text of its <t>s
 * (rich text splits one string into runs). */
static int load_strings(zip_t *z, strings *s)
{
    part p = {0};
    int rc;
    if (zip_name_locate(z, "xl/sharedStrings.xml", 0) < 0)
        return AB_OK; /* a sheet of numbers or inline strings only */
    xmlTextReaderPtr r = open_part(z, "xl/sharedStrings.xml", &p, &rc);
    if (!r)
        return rc;
    char cur[AB_XLSX_MAX_CELL + 1];
    size_t n = 0;
    int in_t = 0, ok;
    while (rc == AB_OK && (ok = xmlTextReaderRead(r)) == 1) {
        const char *name = (const char *)xmlTextReaderConstLocalName(r);
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT && !strcmp(name, "si"))
            n = 0;
        else if (type == XML_READER_TYPE_ELEMENT && !strcmp(name, "t"))
            in_t = !xmlTextReaderIsEmptyElement(r);
        else if (type == XML_READER_TYPE_END_ELEMENT && !strcmp(name, "t"))
            in_t = 0;
        else if ((type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) &&
                 in_t) {
            const char *v = (const char *)xmlTextReaderConstValue(r);
            size_t k = strlen(v);
            if (n + k > AB_XLSX_MAX_CELL)
                rc = AB_E_LIMIT;
            else
                memcpy(cur + n, v, k), n += k;
        } else if (type == XML_READER_TYPE_END_ELEMENT && !strcmp(name, "si")) {
            rc = add_string(s, cur, n);
        }
    }
    if (rc == AB_OK && ok < 0)
        rc = AB_E_PARSE;
    close_reader(r, &p);
    return rc;
}

/* "T12" -> column 19 (0-based); -1 when not a cell reference. */
static int column_of(const char *ref)
{
    int c = 0, k = 0;
    for (; ref[k] >= 'A' && ref[k] <= 'Z'; k++)
        c = c * 26 + (ref[k] - 'A' + 1);
    return k == 0 || c > AB_XLSX_MAX_COLS ? -1 : c - 1;
}

typedef struct sheet {
    const strings *ss;
    char cells[AB_XLSX_MAX_COLS][AB_XLSX_MAX_CELL + 1];
    unsigned char numeric[AB_XLSX_MAX_COLS];
    int ncols;
    int col;            /* current cell's column, -1: none */
    int type_s;         /* current cell holds a shared-string index */
    int type_n;         /* current cell holds a number */
    int in_text;        /* inside <v> or <t> */
    unsigned long row;
} sheet;

static int end_row(sheet *sh, xlsx_row_fn fn, void *ctx)
{
    const char *fields[AB_XLSX_MAX_COLS];
    for (int i = 0; i < sh->ncols; i++)
        fields[i] = sh->cells[i];
    int rc = sh->ncols ? fn(ctx, sh->row, fields, sh->numeric, (size_t)sh->ncols) : AB_OK;
    for (int i = 0; i < sh->ncols; i++)
        sh->cells[i][0] = '\0', sh->numeric[i] = 0;
    sh->ncols = 0;
    return rc;
}

static int on_text(sheet *sh, const char *v)
{
    if (sh->col < 0 || !sh->in_text)
        return AB_OK;
    char *cell = sh->cells[sh->col];
    if (sh->type_s) {
        char *end;
        unsigned long i = strtoul(v, &end, 10);
        if (*end || i >= sh->ss->n)
            return AB_E_PARSE;
        v = sh->ss->buf + sh->ss->off[i];
    }
    size_t have = strlen(cell), k = strlen(v);
    if (have + k > AB_XLSX_MAX_CELL)
        return AB_E_LIMIT;
    memcpy(cell + have, v, k + 1);
    sh->numeric[sh->col] = (unsigned char)sh->type_n;
    return AB_OK;
}

static int on_element(sheet *sh, xmlTextReaderPtr r, const char *name, xlsx_row_fn fn, void *ctx)
{
    if (!strcmp(name, "row")) {
        xmlChar *n = xmlTextReaderGetAttribute(r, (const xmlChar *)"r");
        sh->row = n ? strtoul((const char *)n, NULL, 10) : sh->row + 1;
        xmlFree(n);
        if (xmlTextReaderIsEmptyElement(r))
            return end_row(sh, fn, ctx);
    } else if (!strcmp(name, "c")) {
        xmlChar *ref = xmlTextReaderGetAttribute(r, (const xmlChar *)"r");
        xmlChar *t = xmlTextReaderGetAttribute(r, (const xmlChar *)"t");
        sh->col = ref ? column_of((const char *)ref) : -1;
        sh->type_s = t && !strcmp((const char *)t, "s");
        /* No type is a number (ECMA-376 18.18.11), also a formula's. */
        sh->type_n = !t || !strcmp((const char *)t, "n");
        xmlFree(ref);
        xmlFree(t);
        if (sh->col >= sh->ncols)
            sh->ncols = sh->col + 1;
    } else if (!strcmp(name, "v") || !strcmp(name, "t")) {
        sh->in_text = !xmlTextReaderIsEmptyElement(r);
    }
    return AB_OK;
}

int xlsx_read_rows(const char *path, xlsx_row_fn fn, void *ctx)
{
    int zerr = 0, rc;
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (!z)
        return zerr == ZIP_ER_NOENT || zerr == ZIP_ER_OPEN ? AB_E_IO : AB_E_PARSE;
    strings ss = {.buf = mem_alloc(AB_XLSX_MAX_STRINGS)};
    sheet *sh = mem_calloc(1, sizeof *sh);
    if (sh)
        sh->ss = &ss, sh->col = -1;
    part p = {0};
    xmlTextReaderPtr r = NULL;
    rc = ss.buf && sh ? load_strings(z, &ss) : AB_E_NOMEM;
    if (rc == AB_OK)
        r = open_part(z, "xl/worksheets/sheet1.xml", &p, &rc);
    int ok = 1;
    while (rc == AB_OK && r && (ok = xmlTextReaderRead(r)) == 1) {
        const char *name = (const char *)xmlTextReaderConstLocalName(r);
        int type = xmlTextReaderNodeType(r);
        if (type == XML_READER_TYPE_ELEMENT)
            rc = on_element(sh, r, name, fn, ctx);
        else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)
            rc = on_text(sh, (const char *)xmlTextReaderConstValue(r));
        else if (type == XML_READER_TYPE_END_ELEMENT && (!strcmp(name, "v") || !strcmp(name, "t")))
            sh->in_text = 0;
        else if (type == XML_READER_TYPE_END_ELEMENT && !strcmp(name, "c"))
            sh->col = -1, sh->type_s = 0, sh->type_n = 0;
        else if (type == XML_READER_TYPE_END_ELEMENT && !strcmp(name, "row"))
            rc = end_row(sh, fn, ctx);
    }
    if (rc == AB_OK && ok < 0)
        rc = AB_E_PARSE;
    if (r)
        close_reader(r, &p);
    mem_free(sh);
    mem_free(ss.buf);
    mem_free(ss.off);
    zip_discard(z);
    return rc;
}
