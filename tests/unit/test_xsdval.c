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
    for (int s = 0; s < XSD_COUNT; s++) {
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

/* A payment file as `abgleich pay` writes it (jobs/pay.c), and the same
 * with one defect each: the EPC schema holds what a SEPA bank checks. */
static const char pain[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\">\n"
    " <CstmrCdtTrfInitn>\n  <GrpHdr>\n   <MsgId>ABG-20261201-101010</MsgId>\n"
    "   <CreDtTm>2026-12-01T10:10:10</CreDtTm>\n   <NbOfTxs>1</NbOfTxs>\n"
    "   <CtrlSum>336.90</CtrlSum>\n   <InitgPty>\n    <Nm>Stadtkasse</Nm>\n   </InitgPty>\n"
    "  </GrpHdr>\n  <PmtInf>\n   <PmtInfId>ABG-20261201-101010</PmtInfId>\n"
    "   <PmtMtd>TRF</PmtMtd>\n   <NbOfTxs>1</NbOfTxs>\n   <CtrlSum>336.90</CtrlSum>\n"
    "   <PmtTpInf>\n    <SvcLvl>\n     <Cd>SEPA</Cd>\n    </SvcLvl>\n   </PmtTpInf>\n"
    "   <ReqdExctnDt>\n    <Dt>2026-12-01</Dt>\n   </ReqdExctnDt>\n"
    "   <Dbtr>\n    <Nm>Stadtkasse</Nm>\n   </Dbtr>\n"
    "   <DbtrAcct>\n    <Id>\n     <IBAN>DE02120300000000202051</IBAN>\n    </Id>\n   </DbtrAcct>\n"
    "   <DbtrAgt>\n    <FinInstnId>\n     <Othr>\n      <Id>NOTPROVIDED</Id>\n     </Othr>\n"
    "    </FinInstnId>\n   </DbtrAgt>\n   <ChrgBr>SLEV</ChrgBr>\n"
    "   <CdtTrfTxInf>\n    <PmtId>\n     <EndToEndId>ABG-1</EndToEndId>\n    </PmtId>\n"
    "    <Amt>\n     <InstdAmt Ccy=\"EUR\">336.90</InstdAmt>\n    </Amt>\n"
    "    <CdtrAgt>\n     <FinInstnId>\n      <BICFI>COBADEFFXXX</BICFI>\n     </FinInstnId>\n    </CdtrAgt>\n"
    "    <Cdtr>\n     <Nm>Lieferant GmbH</Nm>\n    </Cdtr>\n"
    "    <CdtrAcct>\n     <Id>\n      <IBAN>DE79000000001234567890</IBAN>\n     </Id>\n    </CdtrAcct>\n"
    "    <RmtInf>\n     <Ustrd>Rechnung 123456XX</Ustrd>\n    </RmtInf>\n"
    "   </CdtTrfTxInf>\n  </PmtInf>\n </CstmrCdtTrfInitn>\n</Document>\n";

static int check(const char *from, const char *to, char *err, size_t errlen)
{
    char buf[sizeof pain + 64];
    const char *at = strstr(pain, from);
    cr_assert(at, "%s", from);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - pain), pain, to, at + strlen(from));
    xmlDocPtr doc = xmlReadMemory(buf, (int)strlen(buf), NULL, NULL, XML_PARSE_NONET);
    cr_assert(doc);
    int n = 0, rc = xsdval_doc(XSD_PAIN_001_001_09, doc, &n, err, errlen);
    xmlFreeDoc(doc);
    return rc;
}

Test(xsdval, pain_001_as_pay_writes_it)
{
    char err[256] = "";
    cr_assert_eq(check("ABG-1<", "ABG-1<", err, sizeof err), AB_OK, "%s", err);
    cr_assert_eq(check(">336.90</InstdAmt>", ">336.901</InstdAmt>", err, sizeof err), AB_E_INVAL);
    cr_expect(strstr(err, "line 47: Element 'InstdAmt': [facet 'fractionDigits']"), "%s", err);
    cr_assert_eq(check("Ccy=\"EUR\"", "Ccy=\"eur\"", err, sizeof err), AB_E_INVAL);
    cr_assert_eq(check("<Cd>SEPA</Cd>", "<Cd>URGP</Cd>", err, sizeof err), AB_E_INVAL, "EPC: only SEPA");
    cr_assert_eq(check("COBADEFFXXX", "cobadeff", err, sizeof err), AB_E_INVAL);
    cr_assert_eq(check("<Dt>2026-12-01</Dt>", "<Dt>2026-02-30</Dt>", err, sizeof err), AB_E_INVAL);
    cr_assert_eq(check("<Nm>Lieferant GmbH</Nm>",
                       "<Nm>Lieferant GmbH mit einem Namen, der laenger ist als die siebzig Zeichen der EPC</Nm>",
                       err, sizeof err), AB_E_INVAL, "EPC: names of at most 70 characters");
}
