/*
 * einvoice_bench.c - what XSD validation costs per CII e-invoice.
 *
 * Built by the Makefile target build/rel/einvoice_bench against
 * libabgleich.a; run from the repository root:
 *
 *   build/rel/einvoice_bench [ROUNDS]      (default 200)
 *
 * For every CII sample XML of tests/fixtures/einvoice/cii it measures, in
 * the same run, (a) einvoice_parse, which parses, extracts every business
 * term and validates against the Factur-X schema of the profile, and (b)
 * the validation alone (xsdval_doc on the already parsed tree); (a) - (b)
 * is what the reader cost before validation existed.  The first call
 * compiles the schemas (timed separately: once per process).  Each figure
 * is the best of ROUNDS passes over the samples (the machine is shared).
 * Prints one JSON object; exits 1 if a sample does not parse.  Times are
 * floating point: they are measurements, not money.
 */
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../formats/einvoice.h"
#include "../formats/xsdval.h"

#define MAXDOCS 16

static const char *const files[] = {
    "tests/fixtures/einvoice/cii/corpus__creditnote_381_en16931.xml",
    "tests/fixtures/einvoice/cii/corpus__xr30_einfach_bad_leitweg_checkdigit.xml",
    "tests/fixtures/einvoice/cii/mustang__extended_rounding_in_tolerance.xml",
    "tests/fixtures/einvoice/cii/xrts__xr30_2vat_allow_charge_prepaid_due0.xml",
    "tests/fixtures/einvoice/cii/xrts__xr30_380_basic_sepa58.xml",
    "tests/fixtures/einvoice/cii/xrts__xr30_384_corrected_preceding_invoice.xml",
    "tests/fixtures/einvoice/cii/xrts__xr30_rounding_amount_bt114.xml",
    "tests/fixtures/einvoice/cii/xrts__xr30_sepa_dd59_negative_due_umlauts.xml",
    "tests/fixtures/einvoice/cii/xrts__xr30ext_diga_buyerref_literal.xml",
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return buf;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 200, nd = (int)(sizeof files / sizeof files[0]);
    char *xml[MAXDOCS], err[256];
    size_t len[MAXDOCS];
    xmlDocPtr doc[MAXDOCS];
    enum xsd_schema schema[MAXDOCS];
    double first = now(), compile = 0, best_parse = 1e9, best_xsd = 1e9;
    for (int i = 0; i < nd; i++) {
        einvoice e;
        if (!(xml[i] = slurp(files[i], &len[i])) || einvoice_parse(xml[i], len[i], &e, err, sizeof err) < 0) {
            fprintf(stderr, "%s: %s\n", files[i], xml[i] ? err : "cannot read");
            return 1;
        }
        schema[i] = e.profile == EI_EN16931 ? XSD_CII_EN16931 : XSD_CII_EXTENDED;
        einvoice_free(&e);
        if (i == 0)
            compile = now() - first;
        doc[i] = xmlReadMemory(xml[i], (int)len[i], NULL, NULL, XML_PARSE_NONET);
    }
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (int i = 0; i < nd; i++) {
            einvoice e;
            if (einvoice_parse(xml[i], len[i], &e, err, sizeof err) < 0)
                return 1;
            einvoice_free(&e);
        }
        double t1 = now();
        for (int i = 0; i < nd; i++) {
            int n;
            if (xsdval_doc(schema[i], doc[i], &n, err, sizeof err) == AB_E_PARSE)
                return 1;
        }
        double t2 = now();
        best_parse = t1 - t0 < best_parse ? t1 - t0 : best_parse;
        best_xsd = t2 - t1 < best_xsd ? t2 - t1 : best_xsd;
    }
    printf("{\"docs\": %d, \"rounds\": %d, \"first_call_with_schema_compile_ms\": %.2f,"
           " \"parse_with_xsd_us_per_doc\": %.1f, \"xsd_alone_us_per_doc\": %.1f,"
           " \"xsd_share\": %.2f}\n",
           nd, rounds, compile * 1e3, best_parse / nd * 1e6, best_xsd / nd * 1e6,
           best_xsd / best_parse);
    for (int i = 0; i < nd; i++) {
        xmlFreeDoc(doc[i]);
        free(xml[i]);
    }
    return 0;
}
