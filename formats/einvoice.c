/*
 * einvoice.c - UBL 2.1 and CII e-invoices to the EN 16931 terms (einvoice.h).
 *
 * Why a DOM and XPath here, unlike the streaming bank readers: an invoice is
 * one small document (capped at AB_EINVOICE_MAX_BYTES), its business terms
 * are spread over the whole tree, and the reference mapping of every term
 * (the KoSIT visualisation stylesheets, einvoice.md §1.4) is written as
 * XPath; keeping the same paths makes each one checkable against it.
 * libxml2 parses with XML_PARSE_NONET and without entity substitution, and
 * a document carrying a DOCTYPE is refused before anything is read from it.
 * The syntax is told by the root's namespace, never by a prefix.
 */
#include "einvoice.h"

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/date.h"
#include "../engine/limits.h"
#include "../engine/mem.h"
#include "xsdval.h"

#define NS_INV "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
#define NS_CN "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
#define NS_CII "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
#define NS_ZF1 "urn:ferd:CrossIndustryDocument:invoice:1p0"

static const char *const ns[][2] = {
    {"cac", "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"},
    {"cbc", "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"},
    {"rsm", NS_CII},
    {"ram", "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"},
    {"udt", "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"},
    {"qdt", "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"},
};

/* CII abbreviations of einvoice.md §1.4. */
#define T "rsm:SupplyChainTradeTransaction/"
#define AG T "ram:ApplicableHeaderTradeAgreement/"
#define ST T "ram:ApplicableHeaderTradeSettlement/"
#define MS ST "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
#define LMT "cac:LegalMonetaryTotal/"

typedef struct px {
    xmlXPathContextPtr ctx;
    einvoice *e;
    bool ubl;
} px;

/* ---- values ------------------------------------------------------------- */

/* xs:decimal to an integer of `scale` decimals; *excess when the text has
 * more decimals than that (the value is then truncated). */
static int decimal(const char *s, int scale, int64_t *out, bool *excess)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    int neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    int64_t v = 0;
    int digits = 0, frac = -1;
    *excess = false;
    for (; *s; s++) {
        if (*s == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (*s < '0' || *s > '9')
            break;
        if (frac >= 0 && frac == scale) {
            *excess = true; /* "1.500" breaks BR-DEC as written, like the Schematron */
            continue;
        }
        if (v > (INT64_MAX - 9) / 10)
            return AB_E_INVAL;
        v = v * 10 + (*s - '0');
        digits++;
        if (frac >= 0)
            frac++;
    }
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (*s || !digits)
        return AB_E_INVAL;
    for (int f = frac < 0 ? 0 : frac; f < scale; f++) {
        if (v > INT64_MAX / 10)
            return AB_E_INVAL;
        v *= 10;
    }
    *out = neg ? -v : v;
    return AB_OK;
}

int einvoice_cents(const char *s, int64_t *out)
{
    bool excess;
    int rc = decimal(s, 2, out, &excess);
    return rc < 0 || excess ? AB_E_INVAL : AB_OK;
}

/* UBL dates are YYYY-MM-DD, CII format 102 is YYYYMMDD. */
static int32_t day_of(const char *s)
{
    int y, m, d;
    if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) == 3 || sscanf(s, "%4d%2d%2d", &y, &m, &d) == 3)
        if (m >= 1 && m <= 12 && d >= 1 && d <= 31)
            return date_from_ymd(y, m, d);
    return INT32_MIN;
}

/* ---- XPath -------------------------------------------------------------- */

static xmlXPathObjectPtr eval(px *p, xmlNodePtr at, const char *path)
{
    p->ctx->node = at;
    xmlXPathObjectPtr r = xmlXPathEvalExpression((const xmlChar *)path, p->ctx);
    if (r && (r->type != XPATH_NODESET || !r->nodesetval || !r->nodesetval->nodeNr)) {
        xmlXPathFreeObject(r);
        return NULL;
    }
    return r;
}

/* The trimmed text of the first node path selects; false if none. */
static bool text(px *p, xmlNodePtr at, const char *path, char *buf, size_t n)
{
    xmlXPathObjectPtr r = eval(p, at, path);
    if (!r)
        return false;
    xmlChar *c = xmlNodeGetContent(r->nodesetval->nodeTab[0]);
    xmlXPathFreeObject(r);
    const char *s = c ? (const char *)c : "";
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\r' ||
                   s[len - 1] == '\t'))
        len--;
    if (len >= n)
        len = n - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    xmlFree(c);
    return true;
}

/* A document amount (two decimals at most, BR-DEC); false if absent. */
static bool cents_at(px *p, xmlNodePtr at, const char *path, int64_t *out)
{
    char buf[64];
    bool excess = false;
    *out = 0;
    if (!text(p, at, path, buf, sizeof buf))
        return false;
    if (decimal(buf, 2, out, &excess) < 0 || excess) {
        if (!p->e->decimals_bad[0])
            snprintf(p->e->decimals_bad, sizeof p->e->decimals_bad, "%s = %s", path, buf);
    }
    return true;
}

static int64_t micro_at(px *p, xmlNodePtr at, const char *path, int64_t dflt)
{
    char buf[64];
    int64_t v;
    bool excess;
    if (!text(p, at, path, buf, sizeof buf) || decimal(buf, 6, &v, &excess) < 0)
        return dflt;
    return v;
}

/* Sum of the amounts at path; the count of nodes in *n. */
static int64_t sum_at(px *p, xmlNodePtr at, const char *path, int *n)
{
    xmlXPathObjectPtr r = eval(p, at, path);
    int64_t sum = 0;
    for (int i = 0; r && i < r->nodesetval->nodeNr; i++) {
        int64_t v;
        if (cents_at(p, r->nodesetval->nodeTab[i], ".", &v))
            sum += v;
    }
    if (n)
        *n += r ? r->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(r);
    return sum;
}

/* ---- the business terms -------------------------------------------------- */

static void profile_of(einvoice *e)
{
    static const struct {
        const char *suffix;
        enum ei_profile p;
    } map[] = {
        {"kosit:extension:xrechnung_3.0", EI_XRECHNUNG_EXT},
        {"xrechnung_3.0", EI_XRECHNUNG}, {"xrechnung_2.", EI_XRECHNUNG},
        {"xrechnung_1.2", EI_XRECHNUNG}, {"xrechnung", EI_XRECHNUNG},
        {":minimum", EI_MINIMUM}, {":basicwl", EI_BASICWL}, {":basic", EI_BASIC},
        {":extended", EI_EXTENDED}, {"urn:cen.eu:en16931:2017", EI_EN16931},
    };
    e->profile = EI_PROFILE_UNKNOWN;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strstr(e->spec_id, map[i].suffix)) {
            e->profile = map[i].p;
            return;
        }
}

/* Whether `one` is a line of the '\n'-joined list. */
static bool named_before(const char *joined, const char *one)
{
    size_t len = strlen(one);
    for (const char *s = joined; *s;) {
        size_t k = strcspn(s, "\n");
        if (k == len && !strncmp(s, one, len))
            return true;
        s += k + (s[k] == '\n');
    }
    return false;
}

/* Every BT-25, up to EI_PRECEDING_MAX, joined by '\n' (a number is one
 * line: a control character in it becomes a space, so the joined text
 * splits back into exactly the numbers read); a number named twice counts
 * once. */
static void preceding(px *p, xmlNodePtr root)
{
    einvoice *e = p->e;
    xmlXPathObjectPtr r = eval(p, root, p->ubl ? "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"
                                               : ST "ram:InvoiceReferencedDocument/ram:IssuerAssignedID");
    e->preceding[0] = '\0';
    e->n_preceding = 0;
    for (int i = 0; r && i < r->nodesetval->nodeNr && e->n_preceding < EI_PRECEDING_MAX; i++) {
        char one[EI_TEXT];
        if (!text(p, r->nodesetval->nodeTab[i], ".", one, sizeof one) || !one[0])
            continue;
        for (char *c = one; *c; c++)
            if ((unsigned char)*c < 0x20)
                *c = ' ';
        if (named_before(e->preceding, one))
            continue;
        size_t len = strlen(e->preceding);
        snprintf(e->preceding + len, sizeof e->preceding - len, "%s%s", len ? "\n" : "", one);
        e->n_preceding++;
    }
    xmlXPathFreeObject(r);
}

static void header(px *p, xmlNodePtr root)
{
    einvoice *e = p->e;
    char buf[EI_TEXT];
    bool u = p->ubl;
    text(p, root, u ? "cbc:CustomizationID"
                    : "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
         e->spec_id, sizeof e->spec_id);
    text(p, root, u ? "cbc:ID" : "rsm:ExchangedDocument/ram:ID", e->number, sizeof e->number);
    text(p, root, u ? "cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode" : "rsm:ExchangedDocument/ram:TypeCode",
         e->type_code, sizeof e->type_code);
    text(p, root, u ? "cbc:DocumentCurrencyCode" : ST "ram:InvoiceCurrencyCode", e->currency,
         sizeof e->currency);
    text(p, root, u ? "cbc:TaxCurrencyCode" : ST "ram:TaxCurrencyCode", e->tax_currency,
         sizeof e->tax_currency);
    e->issue_date = e->due_date = INT32_MIN;
    if (text(p, root, u ? "cbc:IssueDate" : "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
             buf, sizeof buf))
        e->issue_date = day_of(buf);
    if (text(p, root, u ? "cbc:DueDate | cac:PaymentMeans/cbc:PaymentDueDate"
                        : ST "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
             buf, sizeof buf))
        e->due_date = day_of(buf);
    e->has_buyer_ref = text(p, root, u ? "cbc:BuyerReference" : AG "ram:BuyerReference",
                            e->buyer_ref, sizeof e->buyer_ref) && e->buyer_ref[0];
    if (!text(p, root, u ? "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName"
                         : AG "ram:SellerTradeParty/ram:Name",
              e->seller_name, sizeof e->seller_name) && u)
        text(p, root, "cac:AccountingSupplierParty/cac:Party/cac:PartyName/cbc:Name", e->seller_name,
             sizeof e->seller_name);
    text(p, root, u ? "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID"
                    : AG "ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
         e->seller_vat, sizeof e->seller_vat);
    text(p, root, u ? "cac:PayeeParty/cac:PartyName/cbc:Name" : ST "ram:PayeeTradeParty/ram:Name",
         e->payee_name, sizeof e->payee_name);
    text(p, root, u ? "cac:PaymentMeans/cbc:PaymentID" : ST "ram:PaymentReference", e->remittance,
         sizeof e->remittance);
    preceding(p, root);
}

static void strip_spaces(char *s)
{
    char *w = s;
    for (; *s; s++)
        if (*s != ' ')
            *w++ = *s;
    *w = '\0';
}

static void means(px *p, xmlNodePtr root)
{
    xmlXPathObjectPtr r = eval(p, root, p->ubl ? "cac:PaymentMeans" : ST "ram:SpecifiedTradeSettlementPaymentMeans");
    for (int i = 0; r && i < r->nodesetval->nodeNr && p->e->n_means < EI_MEANS_MAX; i++) {
        xmlNodePtr m = r->nodesetval->nodeTab[i];
        ei_means *x = &p->e->means[p->e->n_means++];
        text(p, m, p->ubl ? "cbc:PaymentMeansCode" : "ram:TypeCode", x->code, sizeof x->code);
        text(p, m, p->ubl ? "cac:PayeeFinancialAccount/cbc:ID"
                          : "ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
             x->iban, sizeof x->iban);
        text(p, m, p->ubl ? "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID"
                          : "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID",
             x->bic, sizeof x->bic);
        strip_spaces(x->iban);
    }
    xmlXPathFreeObject(r);
}

/* The currency code as it may stand in an XPath literal: three capital
 * letters (ISO 4217), else "XXX" - a code no amount carries, so a document
 * with a strange BT-5 simply has no BT-110 (and fails BR-CO-15). */
static const char *code3(const char *c)
{
    return strlen(c) == 3 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' &&
                   c[2] >= 'A' && c[2] <= 'Z'
               ? c
               : "XXX";
}

static void totals(px *p, xmlNodePtr root)
{
    einvoice *e = p->e;
    static const char *const ubl[EA_COUNT] = {
        LMT "cbc:LineExtensionAmount", LMT "cbc:AllowanceTotalAmount", LMT "cbc:ChargeTotalAmount",
        LMT "cbc:TaxExclusiveAmount", NULL, LMT "cbc:TaxInclusiveAmount", LMT "cbc:PrepaidAmount",
        LMT "cbc:PayableRoundingAmount", LMT "cbc:PayableAmount"};
    static const char *const cii[EA_COUNT] = {
        MS "ram:LineTotalAmount", MS "ram:AllowanceTotalAmount", MS "ram:ChargeTotalAmount",
        MS "ram:TaxBasisTotalAmount", NULL, MS "ram:GrandTotalAmount", MS "ram:TotalPrepaidAmount",
        MS "ram:RoundingAmount", MS "ram:DuePayableAmount"};
    for (int a = 0; a < EA_COUNT; a++)
        if (a != EA_110)
            e->has[a] = cents_at(p, root, p->ubl ? ubl[a] : cii[a], &e->amount[a]);
    /* BT-110: the tax total in the invoice currency (BT-111 shares the element). */
    char path[256];
    snprintf(path, sizeof path, p->ubl ? "cac:TaxTotal/cbc:TaxAmount[@currencyID='%s']"
                                       : MS "ram:TaxTotalAmount[@currencyID='%s']",
             code3(e->currency));
    /* BT-115's currency as written: UBL states one on every amount, and a
     * PayableAmount in USD on an invoice in EUR was paid as euros. */
    text(p, root, p->ubl ? LMT "cbc:PayableAmount/@currencyID" : MS "ram:DuePayableAmount/@currencyID",
         e->due_currency, sizeof e->due_currency);
    e->has[EA_110] = e->tax_total_currency_ok = cents_at(p, root, path, &e->amount[EA_110]);
    if (!e->has[EA_110])
        e->has[EA_110] = cents_at(p, root, p->ubl ? "cac:TaxTotal/cbc:TaxAmount[not(@currencyID)]"
                                                  : MS "ram:TaxTotalAmount[not(@currencyID)]",
                                  &e->amount[EA_110]);
}

static void vat(px *p, xmlNodePtr root)
{
    einvoice *e = p->e;
    char path[256];
    if (p->ubl)
        snprintf(path, sizeof path, "cac:TaxTotal[cbc:TaxAmount/@currencyID='%s' or "
                                    "not(cbc:TaxAmount/@currencyID)]/cac:TaxSubtotal", code3(e->currency));
    else
        snprintf(path, sizeof path, ST "ram:ApplicableTradeTax");
    xmlXPathObjectPtr r = eval(p, root, path);
    for (int i = 0; r && i < r->nodesetval->nodeNr && e->n_vat < EI_VAT_MAX; i++) {
        xmlNodePtr v = r->nodesetval->nodeTab[i];
        ei_vat *x = &e->vat[e->n_vat++];
        cents_at(p, v, p->ubl ? "cbc:TaxableAmount" : "ram:BasisAmount", &x->taxable);
        cents_at(p, v, p->ubl ? "cbc:TaxAmount" : "ram:CalculatedAmount", &x->tax);
        text(p, v, p->ubl ? "cac:TaxCategory/cbc:ID" : "ram:CategoryCode", x->category,
             sizeof x->category);
        x->rate_bp = micro_at(p, v, p->ubl ? "cac:TaxCategory/cbc:Percent" : "ram:RateApplicablePercent", 0) / 10000;
    }
    xmlXPathFreeObject(r);
}

static void allowances(px *p, xmlNodePtr root)
{
    einvoice *e = p->e;
    if (p->ubl) {
        e->doc_allowances = sum_at(p, root, "cac:AllowanceCharge[normalize-space(cbc:ChargeIndicator)='false']/cbc:Amount", &e->n_allowances);
        e->doc_charges = sum_at(p, root, "cac:AllowanceCharge[normalize-space(cbc:ChargeIndicator)='true']/cbc:Amount", &e->n_charges);
        e->third_party_paid = sum_at(p, root, "cac:PrepaidPayment/cbc:PaidAmount", NULL);
        return;
    }
    e->doc_allowances = sum_at(p, root, ST "ram:SpecifiedTradeAllowanceCharge[normalize-space(ram:ChargeIndicator/udt:Indicator)='false']/ram:ActualAmount", &e->n_allowances);
    e->doc_charges = sum_at(p, root, ST "ram:SpecifiedTradeAllowanceCharge[normalize-space(ram:ChargeIndicator/udt:Indicator)='true']/ram:ActualAmount", &e->n_charges);
    /* EXTENDED: logistics service charges count in BT-108 (einvoice.md §2.1). */
    e->doc_charges += sum_at(p, root, ST "ram:SpecifiedLogisticsServiceCharge/ram:AppliedAmount", &e->n_charges);
}

static void line(px *p, xmlNodePtr l, ei_line *x)
{
    bool u = p->ubl;
    cents_at(p, l, u ? "cbc:LineExtensionAmount"
                     : "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
             &x->net);
    x->qty_u = micro_at(p, l, u ? "cbc:InvoicedQuantity | cbc:CreditedQuantity"
                                : "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", 0);
    x->price_u = micro_at(p, l, u ? "cac:Price/cbc:PriceAmount"
                                  : "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount", INT64_MIN);
    x->has_price = x->price_u != INT64_MIN;
    x->base_u = micro_at(p, l, u ? "cac:Price/cbc:BaseQuantity"
                                 : "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity", 1000000);
    if (x->base_u == 0)
        x->base_u = 1000000;
    x->allowances = sum_at(p, l, u ? "cac:AllowanceCharge[normalize-space(cbc:ChargeIndicator)='false']/cbc:Amount"
                                   : "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge[normalize-space(ram:ChargeIndicator/udt:Indicator)='false']/ram:ActualAmount", NULL);
    x->charges = sum_at(p, l, u ? "cac:AllowanceCharge[normalize-space(cbc:ChargeIndicator)='true']/cbc:Amount"
                                : "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge[normalize-space(ram:ChargeIndicator/udt:Indicator)='true']/ram:ActualAmount", NULL);
}

static int lines(px *p, xmlNodePtr root)
{
    xmlXPathObjectPtr r = eval(p, root, p->ubl ? "cac:InvoiceLine | cac:CreditNoteLine"
                                               : T "ram:IncludedSupplyChainTradeLineItem");
    int n = r ? r->nodesetval->nodeNr : 0;
    if (n > (int)EI_LINES_MAX) {
        xmlXPathFreeObject(r);
        return AB_E_INVAL;
    }
    if (n && !(p->e->lines = mem_calloc((size_t)n, sizeof *p->e->lines))) {
        xmlXPathFreeObject(r);
        return AB_E_NOMEM;
    }
    for (int i = 0; i < n; i++)
        line(p, r->nodesetval->nodeTab[i], &p->e->lines[i]);
    p->e->n_lines = n;
    xmlXPathFreeObject(r);
    return AB_OK;
}

/* ---- the document ------------------------------------------------------- */

static int syntax_of(xmlNodePtr root, einvoice *e, char *err, size_t errlen)
{
    const char *uri = root->ns ? (const char *)root->ns->href : "";
    const char *name = (const char *)root->name;
    if (!strcmp(uri, NS_INV) && !strcmp(name, "Invoice"))
        e->syntax = EI_UBL_INVOICE;
    else if (!strcmp(uri, NS_CN) && !strcmp(name, "CreditNote"))
        e->syntax = EI_UBL_CREDITNOTE;
    else if (!strcmp(uri, NS_CII) && !strcmp(name, "CrossIndustryInvoice"))
        e->syntax = EI_CII;
    else if (!strcmp(uri, NS_ZF1)) {
        e->syntax = EI_ZUGFERD1;
        snprintf(err, errlen, "ZUGFeRD 1.0 (CrossIndustryDocument) is not EN 16931: manual handling");
        return AB_E_INVAL;
    } else {
        snprintf(err, errlen, "not an e-invoice: root element %s in namespace '%s'", name, uri);
        return AB_E_INVAL;
    }
    return AB_OK;
}

static void quiet(void *ctx, xmlError *x)
{
    (void)ctx;
    (void)x;
}

static int extract(xmlDocPtr doc, einvoice *e, char *err, size_t errlen)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!root) {
        snprintf(err, errlen, "empty document");
        return AB_E_INVAL;
    }
    int rc = syntax_of(root, e, err, errlen);
    if (rc < 0)
        return rc;
    px p = {xmlXPathNewContext(doc), e, e->syntax != EI_CII};
    if (p.ctx)
        p.ctx->error = quiet; /* a path is ours; nothing of the input reaches stderr */
    if (!p.ctx)
        return AB_E_NOMEM;
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        xmlXPathRegisterNs(p.ctx, (const xmlChar *)ns[i][0], (const xmlChar *)ns[i][1]);
    header(&p, root);
    profile_of(e);
    means(&p, root);
    totals(&p, root);
    vat(&p, root);
    allowances(&p, root);
    rc = lines(&p, root);
    xmlXPathFreeContext(p.ctx);
    if (rc == AB_E_INVAL)
        snprintf(err, errlen, "more than %u invoice lines", EI_LINES_MAX);
    e->due_cents = einvoice_is_credit_note(e) ? -e->amount[EA_115] : e->amount[EA_115];
    return rc;
}

/* The Factur-X schema a CII document must satisfy: its profile's own.
 * XRechnung CII (whose reference is the full UN/CEFACT D16B schema, not
 * embedded here) and unknown profiles are held to EXTENDED, the widest
 * Factur-X schema, so that no element EN 16931 allows is refused. */
static enum xsd_schema cii_schema(enum ei_profile p)
{
    switch (p) {
    case EI_MINIMUM: return XSD_CII_MINIMUM;
    case EI_BASICWL: return XSD_CII_BASICWL;
    case EI_BASIC: return XSD_CII_BASIC;
    case EI_EN16931: return XSD_CII_EN16931;
    default: return XSD_CII_EXTENDED;
    }
}

static int validate(xmlDocPtr doc, einvoice *e, char *err, size_t errlen)
{
    if (e->syntax != EI_CII)
        return AB_OK; /* UBL 2.1: no schema embedded (docs/einvoices.md) */
    enum xsd_schema s = cii_schema(e->profile);
    char msg[160];
    int rc = xsdval_doc(s, doc, &e->xsd_errors, msg, sizeof msg);
    if (rc == AB_E_INVAL)
        snprintf(e->xsd_error, sizeof e->xsd_error, "%s %s", xsdval_name(s), msg);
    else if (rc < 0)
        snprintf(err, errlen, "%s", msg);
    return rc == AB_E_INVAL ? AB_OK : rc;
}

int einvoice_parse(const char *xml, size_t n, einvoice *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (n > AB_EINVOICE_MAX_BYTES) {
        snprintf(err, errlen, "larger than %u bytes", AB_EINVOICE_MAX_BYTES);
        return AB_E_INVAL;
    }
    xmlDocPtr doc = xmlReadMemory(xml, (int)n, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *x = xmlGetLastError();
        snprintf(err, errlen, "XML not well-formed: %s", x && x->message ? x->message : "?");
        err[strcspn(err, "\n")] = '\0';
        return AB_E_INVAL;
    }
    int rc = AB_E_INVAL;
    if (doc->intSubset || doc->extSubset)
        snprintf(err, errlen, "a DOCTYPE is not allowed in an e-invoice (entity tricks)");
    else if ((rc = extract(doc, out, err, errlen)) == AB_OK)
        rc = validate(doc, out, err, errlen);
    xmlFreeDoc(doc);
    if (rc < 0)
        einvoice_free(out);
    return rc;
}

void einvoice_free(einvoice *e)
{
    mem_free(e->lines);
    e->lines = NULL;
    e->n_lines = 0;
}

bool einvoice_is_credit_note(const einvoice *e)
{
    static const char *const credit[] = {"81", "83", "261", "262", "296", "308", "381",
                                         "396", "420", "458", "502", "503", "532"};
    for (size_t i = 0; i < sizeof credit / sizeof credit[0]; i++)
        if (!strcmp(e->type_code, credit[i]))
            return true;
    return false;
}

const char *einvoice_profile_name(enum ei_profile p)
{
    static const char *const names[] = {"unknown", "MINIMUM", "BASIC WL", "BASIC", "EN 16931",
                                        "EXTENDED", "XRECHNUNG", "XRECHNUNG extension"};
    return names[p];
}
