/*
 * xsdval.c - XML Schema validation against the embedded schemas (xsdval.h).
 *
 * Why an entity loader: a schema imports its parts by schemaLocation, and
 * libxml2 resolves every such name through the process-wide external
 * entity loader.  Ours serves the names of the embedded set from memory
 * and refuses everything else, but only while this thread is inside
 * xsdval (a thread-local flag); outside, it hands over to the loader that
 * was installed before, so other readers are not affected.  Hence no
 * schema is ever read from disk or the network, whatever a document's
 * xsi:schemaLocation says.
 *
 * The compiled schemas are cached for the life of the process (parsing the
 * EXTENDED set takes milliseconds, validating one invoice microseconds to
 * a millisecond); a schema that failed to load is not retried.
 */
#include "xsdval.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlschemas.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const roots[XSD_COUNT] = {
    [XSD_CII_MINIMUM] = "Factur-X_1.07.3_MINIMUM.xsd",
    [XSD_CII_BASICWL] = "Factur-X_1.07.3_BASICWL.xsd",
    [XSD_CII_BASIC] = "Factur-X_1.07.3_BASIC.xsd",
    [XSD_CII_EN16931] = "Factur-X_1.07.3_EN16931.xsd",
    [XSD_CII_EXTENDED] = "Factur-X_1.07.3_EXTENDED.xsd",
    [XSD_PAIN_001_001_09] = "pain.001.001.09.xsd",
};

/* Namespace URIs in libxml2's messages, shortened for a clerk's screen. */
static const char *const prefixes[][2] = {
    {"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100", "rsm:"},
    {"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100", "ram:"},
    {"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100", "udt:"},
    {"urn:un:unece:uncefact:data:standard:QualifiedDataType:100", "qdt:"},
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static xmlExternalEntityLoader previous;
static xmlSchemaPtr cache[XSD_COUNT];
static bool tried[XSD_COUNT];
static char load_error[XSD_COUNT][160];
static _Thread_local bool strict;

const char *xsdval_name(enum xsd_schema s)
{
    return roots[s];
}

static const xsd_embedded *embedded(const char *url)
{
    const char *base = strrchr(url, '/');
    base = base ? base + 1 : url;
    for (size_t i = 0; i < xsd_files_count; i++)
        if (!strcmp(xsd_files[i].name, base))
            return &xsd_files[i];
    return NULL;
}

static xmlParserInputPtr loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    if (!strict)
        return previous(url, id, ctxt);
    const xsd_embedded *f = url ? embedded(url) : NULL;
    if (!f || !ctxt)
        return NULL; /* outside the embedded set: refused, never fetched */
    xmlParserInputPtr in = xmlNewStringInputStream(ctxt, (const xmlChar *)f->bytes);
    if (in && !in->filename)
        in->filename = (char *)xmlStrdup((const xmlChar *)f->name);
    return in;
}

static void install(void)
{
    xmlInitParser();
    previous = xmlGetExternalEntityLoader();
    xmlSetExternalEntityLoader(loader);
}

static void first_error(void *ctx, xmlErrorPtr e)
{
    char *buf = ctx;
    if (buf[0] || !e || !e->message)
        return;
    snprintf(buf, 160, "%s", e->message);
}

/* Parses the schema once; the caller holds `lock`. */
static xmlSchemaPtr load(enum xsd_schema s)
{
    if (tried[s])
        return cache[s];
    tried[s] = true;
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(roots[s]);
    if (!pc) {
        snprintf(load_error[s], sizeof load_error[s], "out of memory");
        return NULL;
    }
    xmlSchemaSetParserStructuredErrors(pc, first_error, load_error[s]);
    cache[s] = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    if (!cache[s] && !load_error[s][0])
        snprintf(load_error[s], sizeof load_error[s], "not among the embedded schemas");
    return cache[s];
}

typedef struct collect {
    int n;
    char first[512];
} collect;

static void on_error(void *ctx, xmlErrorPtr e)
{
    collect *c = ctx;
    if (c->n++ == 0 && e)
        snprintf(c->first, sizeof c->first, "line %d: %s", e->line,
                 e->message ? e->message : "invalid");
}

/* err = msg with "{URI}" shortened to a prefix (or dropped), one line. */
static void tidy(const char *msg, char *err, size_t errlen)
{
    size_t o = 0;
    for (const char *p = msg; *p && o + 1 < errlen; p++) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        if (close) {
            for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
                if ((size_t)(close - p - 1) == strlen(prefixes[i][0]) &&
                    !strncmp(p + 1, prefixes[i][0], (size_t)(close - p - 1)))
                    for (const char *q = prefixes[i][1]; *q && o + 1 < errlen; q++)
                        err[o++] = *q;
            p = close;
            continue;
        }
        err[o++] = *p == '\n' ? ' ' : *p;
    }
    while (o && err[o - 1] == ' ')
        o--;
    err[o] = '\0';
}

int xsdval_doc(enum xsd_schema s, struct _xmlDoc *doc, int *nerrors, char *err, size_t errlen)
{
    pthread_once(&once, install);
    *nerrors = 0;
    strict = true;
    pthread_mutex_lock(&lock);
    xmlSchemaPtr schema = load(s);
    pthread_mutex_unlock(&lock);
    int rc = AB_OK;
    if (!schema) {
        snprintf(err, errlen, "schema %s could not be loaded: %s", roots[s], load_error[s]);
        rc = AB_E_PARSE;
    }
    xmlSchemaValidCtxtPtr vc = schema ? xmlSchemaNewValidCtxt(schema) : NULL;
    collect c = {0};
    if (schema && !vc) {
        snprintf(err, errlen, "out of memory");
        rc = AB_E_NOMEM;
    }
    if (vc) {
        xmlSchemaSetValidStructuredErrors(vc, on_error, &c);
        int v = xmlSchemaValidateDoc(vc, doc);
        xmlSchemaFreeValidCtxt(vc);
        if (v != 0) {
            *nerrors = c.n ? c.n : 1;
            tidy(c.n ? c.first : "the document does not match the schema", err, errlen);
            rc = AB_E_INVAL;
        }
    }
    strict = false;
    return rc;
}

int xsdval_file(enum xsd_schema s, const char *path, int *nerrors, char *err, size_t errlen)
{
    *nerrors = 0;
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *x = xmlGetLastError();
        snprintf(err, errlen, "not well-formed: %s", x && x->message ? x->message : "?");
        err[strcspn(err, "\n")] = '\0';
        *nerrors = 1;
        return AB_E_INVAL;
    }
    int rc = xsdval_doc(s, doc, nerrors, err, errlen);
    xmlFreeDoc(doc);
    return rc;
}
