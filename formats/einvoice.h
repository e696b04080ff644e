/*
 * einvoice.h - the payment-relevant business terms of an e-invoice: UBL 2.1
 * Invoice and CreditNote, UN/CEFACT CII D16B (XRechnung, ZUGFeRD/Factur-X),
 * mapped to the EN 16931 model (BT numbers of the standard).
 *
 * Amounts are int64 cents; an amount with more than two decimals where
 * EN 16931 allows two (BR-DEC) is recorded as a finding, not rounded.
 * Line quantities and prices keep six decimals (for rule R120).  The
 * caller owns the einvoice struct; it holds no pointers into the input.
 */
#ifndef AB_EINVOICE_H
#define AB_EINVOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/err.h"

enum ei_syntax { EI_UBL_INVOICE, EI_UBL_CREDITNOTE, EI_CII, EI_ZUGFERD1 };

enum ei_profile {
    EI_PROFILE_UNKNOWN,
    EI_MINIMUM,
    EI_BASICWL,
    EI_BASIC,
    EI_EN16931,
    EI_EXTENDED,
    EI_XRECHNUNG,
    EI_XRECHNUNG_EXT,
};

#define EI_TEXT 128
#define EI_MEANS_MAX 4
#define EI_VAT_MAX 16
#define EI_LINES_MAX 2000
#define EI_PRECEDING_MAX 16   /* BT-25 read per document; more are ignored */

typedef struct ei_means {
    char code[8];         /* BT-81, UNCL 4461: 58 SEPA credit transfer, 59 direct debit, ... */
    char iban[48];        /* BT-84, spaces removed */
    char bic[16];         /* BT-86 */
} ei_means;

typedef struct ei_vat {
    int64_t taxable, tax;   /* BT-116, BT-117 */
    char category[4];       /* BT-118 */
    int64_t rate_bp;        /* BT-119 in 1/100 %: 19 % -> 1900 */
} ei_vat;

typedef struct ei_line {
    int64_t net;            /* BT-131, cents */
    int64_t qty_u, price_u, base_u;   /* BT-129, BT-146, BT-149 in 1e-6 */
    int64_t allowances, charges;      /* line level, cents */
    bool has_price;
} ei_line;

/* Which optional amounts the document carries. */
enum ei_amount { EA_106, EA_107, EA_108, EA_109, EA_110, EA_112, EA_113, EA_114, EA_115,
                 EA_COUNT };

typedef struct einvoice {
    enum ei_syntax syntax;
    enum ei_profile profile;
    char spec_id[EI_TEXT];          /* BT-24 */
    char number[EI_TEXT];           /* BT-1 */
    char type_code[8];              /* BT-3 */
    char currency[4], tax_currency[4];   /* BT-5, BT-6 */
    int32_t issue_date, due_date;   /* BT-2, BT-9: days since 1970; INT32_MIN if absent */
    char buyer_ref[EI_TEXT];        /* BT-10 (Leitweg-ID) */
    bool has_buyer_ref;
    char seller_name[EI_TEXT];      /* BT-27 (BT-28 if no legal name) */
    char seller_vat[32];            /* BT-31 */
    char payee_name[EI_TEXT];       /* BT-59 */
    char remittance[EI_TEXT];       /* BT-83 */
    /* BT-25, every preceding invoice named (BG-3 repeats: a correction may
     * replace several invoices), in document order without repeats, joined
     * by '\n'; "" if none.  Each stands for an invoice to act on, so all
     * of them are kept, not only the first (an audit paid the others). */
    char preceding[EI_PRECEDING_MAX * EI_TEXT];
    int n_preceding;
    ei_means means[EI_MEANS_MAX];
    int n_means;
    int64_t amount[EA_COUNT];       /* BT-106 .. BT-115, cents */
    bool has[EA_COUNT];
    bool tax_total_currency_ok;     /* BT-110 carried the currency of BT-5 */
    int64_t doc_allowances, doc_charges;   /* sums of BT-92, BT-99 (and logistics charges) */
    int n_allowances, n_charges;
    int64_t third_party_paid;       /* XRechnung extension BT-DEX-002, summed */
    ei_vat vat[EI_VAT_MAX];
    int n_vat;
    ei_line *lines;                 /* owned; einvoice_free */
    int n_lines;
    int64_t due_cents;              /* BT-115, negated for a credit note: what we owe */
    char due_currency[8];           /* BT-115's currencyID as written (UBL), or "" */
    char decimals_bad[EI_TEXT];     /* first amount with more than 2 decimals, or "" */
    int xsd_errors;                 /* schema violations (CII only; see einvoice_parse) */
    char xsd_error[176];            /* the first: "SCHEMA.xsd line N: message", or "" */
} einvoice;

/* Parses one XML document (at most AB_EINVOICE_MAX_BYTES).  No network, no
 * DTD, no entities: a document with a DOCTYPE is refused.  On failure err
 * says why (not well-formed, not an invoice, ZUGFeRD 1.0, ...).  A CII
 * document is also validated against the embedded Factur-X schema of its
 * profile (formats/xsdval.h); violations are recorded in xsd_errors and
 * xsd_error (rule XSD of einvcheck), not returned as a failure. */
int einvoice_parse(const char *xml, size_t n, einvoice *out, char *err, size_t errlen) AB_MUSTCHECK;
void einvoice_free(einvoice *e);
const char *einvoice_profile_name(enum ei_profile p);
bool einvoice_is_credit_note(const einvoice *e);

/* Decimal text (xs:decimal) to cents; AB_E_INVAL beyond two decimals or
 * out of range.  Exposed for tests. */
int einvoice_cents(const char *s, int64_t *out) AB_MUSTCHECK;

#endif
