/*
 * test_xsdval.c - the embedded schemas load and judge: every schema
 * compiles from the embedded set alone; a document of another kind is
 * refused with the line; the XSD-invalid sample of shared/samples is
 * reported with its first error, namespaces shortened.
 */
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <string.h>

#include "../../engine/mem.h"
#include "../../formats/einvoice.h"
#include "../../formats/einvpdf.h"
#include "../../formats/xsdval.h"

Test(xsdval, every_schema_loads_from_the_embedded_set)
{
    const char other[] = "<?xml version=\"1.0\"?>\n<other xmlns=\"urn:x\"/>";
    xmlDocPtr doc = xmlReadMemory(other, sizeof other - 1, NULL, NULL, XML_PARSE_NONET);
    cr_assert(doc);
    for (int s = 0; s <= XSD_CII_EXTENDED; s++) {
        char err[256] = "";
        int n = -1;
        int rc = xsdval_doc((enum xsd_schema)s, doc, &n, err, sizeof err);
        cr_expect_eq(rc, AB_E_INVAL, "%s: %d %s", xsdval_name((enum xsd_schema)s), rc, err);
        cr_expect_eq(n, 1, "%s", xsdval_name((enum xsd_schema)s));
        cr_expect(strstr(err, "line 2: Element '{urn:x}other'") || strstr(err, "line 2: Element 'other'"),
                  "%s: %s", xsdval_name((enum xsd_schema)s), err);
    }
    xmlFreeDoc(doc);
}

Test(xsdval, currency_id_sample_names_line_and_element)
{
    char *xml, name[64], err[256];
    size_t n;
    cr_assert_eq(einvpdf_extract("tests/fixtures/einvoice/invalid/mustang__schema_invalid_currencyid_in_pdf.pdf",
                                 &xml, &n, name, err, sizeof err), AB_OK, "%s", err);
    einvoice e;
    cr_assert_eq(einvoice_parse(xml, n, &e, err, sizeof err), AB_OK, "%s", err);
    cr_expect_eq(e.profile, EI_EXTENDED);
    cr_expect_geq(e.xsd_errors, 1);
    cr_expect(strstr(e.xsd_error, "Factur-X_1.07.3_EXTENDED.xsd line 157: Element 'ram:Name': This element is not expected"),
              "%s", e.xsd_error);
    einvoice_free(&e);
    mem_free(xml);
}
