/*
 * einvcheck.c - rules over a parsed e-invoice (einvcheck.h).
 *
 * BR-CO-10..16 are exact equalities in cents: every operand has at most
 * two decimals (BR-DEC), so this is what the CEN Schematron checks
 * (einvoice.md §2.1).  BR-CO-17 keeps the Schematron's tolerance of less
 * than 1.00 per VAT line.  R120 (a line's net = quantity x price / base
 * quantity + charges - allowances, 2 cents of slack) is only a warning in
 * XRechnung; here it is an error, because it is the one rule that notices
 * a changed quantity or price whose totals were left as they were, and a
 * payment run must not pay such a document unseen.  CII's BR-CO-15 is the
 * official rule, BT-112 = BT-109 included; what it and BR-CO-16 let pass
 * and abgleich must not pay unseen is held for a clerk (hold_rules).
 */
#include "einvcheck.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fl {
    ei_finding *f;
    int n, max;
} fl;

static void add(fl *l, const char *rule, enum ei_severity s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(fl *l, const char *rule, enum ei_severity s, const char *fmt, ...)
{
    if (l->n >= l->max)
        return;
    ei_finding *f = &l->f[l->n++];
    snprintf(f->rule, sizeof f->rule, "%s", rule);
    f->severity = s;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->text, sizeof f->text, fmt, ap);
    va_end(ap);
}

static bool in_list(const char *code, const char *list)
{
    size_t n = strlen(code);
    if (n == 0)
        return false; /* strstr finds "" everywhere: no code is in no list */
    for (const char *p = list; (p = strstr(p, code)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
            return true;
    return false;
}

/* EN 16931 code lists of BT-3 (UNTDID 1001 subsets, BR-CL-01). */
static const char invoice_codes[] =
    "71 80 81 82 84 102 130 202 203 204 211 218 219 295 325 326 331 380 382 383 384 385 386 "
    "387 388 389 390 393 394 395 456 457 471 472 473 500 501 527 553 575 623 633 751 780 817 "
    "870 875 876 877 935";
static const char credit_codes[] = "81 83 261 262 296 308 381 396 420 458 502 503 532";

static void presence_and_codes(const einvoice *e, fl *l)
{
    static const struct {
        const char *rule;
        enum ei_amount a;
    } need[] = {{"BR-12", EA_106}, {"BR-13", EA_109}, {"BR-14", EA_112}, {"BR-15", EA_115}};
    bool no_lines_profile = e->profile == EI_MINIMUM || e->profile == EI_BASICWL;
    if (e->xsd_errors > 1)
        add(l, "XSD", EF_ERROR, "%s (and %d more)", e->xsd_error, e->xsd_errors - 1);
    else if (e->xsd_errors)
        add(l, "XSD", EF_ERROR, "%s", e->xsd_error);
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!e->has[need[i].a] && !(no_lines_profile && need[i].a == EA_106))
            add(l, need[i].rule, EF_ERROR, "a required total is missing");
    if (e->decimals_bad[0])
        add(l, "BR-DEC", EF_ERROR, "more than two decimals: %s", e->decimals_bad);
    const char *list = e->syntax == EI_UBL_INVOICE ? invoice_codes
                       : e->syntax == EI_UBL_CREDITNOTE ? credit_codes : NULL;
    bool ok = list ? in_list(e->type_code, list)
                   : in_list(e->type_code, invoice_codes) || in_list(e->type_code, credit_codes);
    if (!ok)
        add(l, "BR-CL-01", EF_ERROR, "type code %s is not allowed for this document",
            e->type_code[0] ? e->type_code : "(none)");
    if (no_lines_profile)
        add(l, "AB-PROFILE", EF_ERROR,
            "%s is a booking aid, not a complete invoice (§ 14 UStG): manual handling",
            einvoice_profile_name(e->profile));
}

static void eur(char *buf, size_t n, int64_t c)
{
    snprintf(buf, n, "%s%lld.%02lld", c < 0 ? "-" : "", llabs(c) / 100, llabs(c) % 100);
}

static void eq(fl *l, const char *rule, enum ei_severity s, const char *what, int64_t have,
               int64_t want)
{
    char a[32], b[32];
    if (have == want)
        return;
    eur(a, sizeof a, have);
    eur(b, sizeof b, want);
    add(l, rule, s, "%s is %s, the parts give %s", what, a, b);
}

static void totals(const einvoice *e, fl *l)
{
    const int64_t *a = e->amount;
    int64_t lines = 0, vat = 0;
    for (int i = 0; i < e->n_lines; i++)
        lines += e->lines[i].net;
    for (int i = 0; i < e->n_vat; i++)
        vat += e->vat[i].tax;
    if (e->n_lines && e->has[EA_106])
        eq(l, "BR-CO-10", EF_ERROR, "the sum of line net amounts (BT-106)", a[EA_106], lines);
    if (e->n_allowances || e->has[EA_107])
        eq(l, "BR-CO-11", EF_ERROR, "the sum of allowances (BT-107)", a[EA_107], e->doc_allowances);
    if (e->n_charges || e->has[EA_108])
        eq(l, "BR-CO-12", EF_ERROR, "the sum of charges (BT-108)", a[EA_108], e->doc_charges);
    if (e->has[EA_106] && e->has[EA_109])
        eq(l, "BR-CO-13", EF_ERROR, "the total without VAT (BT-109)", a[EA_109],
           a[EA_106] - a[EA_107] + a[EA_108]);
    if (e->n_vat && e->has[EA_110])
        eq(l, "BR-CO-14", EF_ERROR, "the VAT total (BT-110)", a[EA_110], vat);
    if (e->has[EA_112] && !(e->syntax == EI_CII && a[EA_112] == a[EA_109]))
        eq(l, "BR-CO-15", EF_ERROR, "the total with VAT (BT-112)", a[EA_112], a[EA_109] + a[EA_110]);
    int64_t due = a[EA_112] - a[EA_113] + a[EA_114];
    if (e->profile == EI_XRECHNUNG_EXT) {
        /* Third-party payments: BR-DEX-09 replaces BR-CO-16 (then information only). */
        eq(l, "BR-CO-16", EF_INFO, "the amount due (BT-115)", a[EA_115], due);
        eq(l, "BR-DEX-09", EF_ERROR, "the amount due with third-party payments (BT-115)",
           a[EA_115], due + e->third_party_paid);
    } else if (e->has[EA_115]) {
        eq(l, "BR-CO-16", EF_ERROR, "the amount due (BT-115)", a[EA_115], due);
    }
}

static void eur_de(char *buf, size_t n, int64_t c)
{
    snprintf(buf, n, "%s%lld,%02lld", c < 0 ? "-" : "", llabs(c) / 100, llabs(c) % 100);
}

/* UBL states a currency on every amount; the amount due in another one
 * than the invoice's (BT-5) would be paid as if it were in BT-5. */
static void due_currency(const einvoice *e, fl *l)
{
    if (!e->due_currency[0] || !strcmp(e->due_currency, e->currency))
        return;
    add(l, "AB-CURRENCY", EF_ERROR,
        "der Zahlbetrag (BT-115) lautet auf %s, die Rechnung auf %s (BT-5): was zu zahlen ist,"
        " ist offen / the amount due (BT-115) is in %s, the invoice in %s (BT-5): what to pay"
        " is unclear", e->due_currency, e->currency, e->due_currency, e->currency);
}

/* What EN 16931 lets pass and abgleich does not pay unseen: the invoice is
 * accepted but held until a clerk lifts the hold (EF_HOLD, sql/078).
 *   AB-VAT-TOTAL  the total with VAT (BT-112) is the total without it
 *                 (BT-109) although VAT is stated: the official CII rule
 *                 BR-CO-15 accepts BT-112 = BT-109 whatever BT-110 says
 *                 (EN16931-CII-model.sch: "... or GrandTotalAmount =
 *                 TaxBasisTotalAmount"), so the seller's VAT would go
 *                 unpaid, or the amount is wrong;
 *   AB-ROUNDING   a rounding amount (BT-114) of more than 0.99: BR-CO-16
 *                 adds any amount, 500.00 made a total of 336.90 due as
 *                 836.90;
 *   AB-PREPAID    a negative paid amount (BT-113) raises the amount due
 *                 above the total in the same way. */
static void hold_rules(const einvoice *e, fl *l)
{
    const int64_t *a = e->amount;
    char d1[32], d2[32], d3[32], e1[32], e2[32], e3[32];
    int64_t vat = 0;
    for (int i = 0; i < e->n_vat; i++)
        vat += e->vat[i].tax;
    if (e->has[EA_110])
        vat = a[EA_110];
    eur_de(d1, sizeof d1, a[EA_112]), eur(e1, sizeof e1, a[EA_112]);
    eur_de(d2, sizeof d2, vat), eur(e2, sizeof e2, vat);
    eur_de(d3, sizeof d3, a[EA_115]), eur(e3, sizeof e3, a[EA_115]);
    if (e->has[EA_112] && e->has[EA_109] && a[EA_112] == a[EA_109] && vat != 0)
        add(l, "AB-VAT-TOTAL", EF_HOLD,
            "der Gesamtbetrag mit USt (BT-112) von %s ist der ohne USt (BT-109), obwohl %s USt"
            " ausgewiesen sind: die Steuer fehlt im Zahlbetrag; vor der Freigabe prüft ein"
            " Sachbearbeiter / the total with VAT (BT-112) of %s is the total without VAT"
            " (BT-109) although VAT of %s is stated: the VAT is missing from the amount due; a"
            " clerk checks it before approval", d1, d2, e1, e2);
    if (e->has[EA_114] && llabs(a[EA_114]) > 99) {
        char dr[32], er[32];
        eur_de(dr, sizeof dr, a[EA_114]), eur(er, sizeof er, a[EA_114]);
        add(l, "AB-ROUNDING", EF_HOLD,
            "Rundungsbetrag (BT-114) von %s: mehr als 0,99 ist keine Rundung, zu zahlen wären %s"
            " bei einer Summe mit USt von %s; vor der Freigabe prüft ein Sachbearbeiter /"
            " rounding amount (BT-114) of %s: more than 0.99 is no rounding, %s would be paid for"
            " a total with VAT of %s; a clerk checks it before approval", dr, d3, d1, er, e3, e1);
    }
    if (e->has[EA_113] && a[EA_113] < 0) {
        char dp[32], ep[32];
        eur_de(dp, sizeof dp, a[EA_113]), eur(ep, sizeof ep, a[EA_113]);
        add(l, "AB-PREPAID", EF_HOLD,
            "vorausbezahlter Betrag (BT-113) von %s ist negativ: er hebt den Zahlbetrag auf %s"
            " über die Summe mit USt von %s; vor der Freigabe prüft ein Sachbearbeiter / paid"
            " amount (BT-113) of %s is negative: it raises the amount due to %s above the total"
            " with VAT of %s; a clerk checks it before approval", dp, d3, d1, ep, e3, e1);
    }
}

/* Round half away from zero of num/den for den > 0. */
static int64_t div_round(__int128 num, __int128 den)
{
    __int128 q = (num < 0 ? -num : num) * 2 / den;
    q = (q + 1) / 2;
    return (int64_t)(num < 0 ? -q : q);
}

static void vat_lines(const einvoice *e, fl *l)
{
    for (int i = 0; i < e->n_vat; i++) {
        const ei_vat *v = &e->vat[i];
        int64_t want = div_round((__int128)llabs(v->taxable) * v->rate_bp, 10000);
        bool ok = v->rate_bp < 50 ? llabs(v->tax) < 50 : llabs(llabs(v->tax) - want) < 100;
        if (!ok)
            add(l, "BR-CO-17", EF_ERROR, "VAT of category %s at %lld.%02lld %% is %lld cents, "
                "the taxable amount gives %lld", v->category, (long long)(v->rate_bp / 100),
                (long long)(v->rate_bp % 100), (long long)v->tax, (long long)want);
    }
}

static void line_arithmetic(const einvoice *e, fl *l)
{
    for (int i = 0; i < e->n_lines; i++) {
        const ei_line *x = &e->lines[i];
        if (!x->has_price || x->base_u <= 0)
            continue;
        /* qty_u * price_u / base_u is in 1e-6 units; cents are 1e-4 of that. */
        int64_t net = div_round((__int128)x->qty_u * x->price_u, (__int128)x->base_u * 10000) +
                      x->charges - x->allowances;
        if (llabs(net - x->net) > 2)
            add(l, "R120", EF_ERROR, "line %d: quantity x price gives %lld cents, the line says %lld",
                i + 1, (long long)net, (long long)x->net);
    }
}

/* ISO 7064 MOD 97-10 over digits, letters A=10 .. Z=35; -1 on another character. */
static int mod97(const char *s, bool skip_hyphen)
{
    int r = 0;
    for (; *s; s++) {
        if (*s == '-' && skip_hyphen)
            continue;
        if (isdigit((unsigned char)*s))
            r = (r * 10 + (*s - '0')) % 97;
        else if (isalpha((unsigned char)*s))
            r = (r * 100 + (toupper((unsigned char)*s) - 'A' + 10)) % 97;
        else
            return -1;
    }
    return r;
}

bool einvcheck_leitweg(const char *id, bool *format_ok)
{
    size_t n = strlen(id), grob = strspn(id, "0123456789");
    *format_ok = false;
    if (grob < 2 || grob > 12 || n < 5 || id[grob] != '-')
        return false;
    const char *rest = id + grob + 1;
    const char *last = strrchr(id, '-');
    if (strlen(last) != 3 || !isdigit((unsigned char)last[1]) || !isdigit((unsigned char)last[2]))
        return false;
    if (last != id + grob) {
        size_t fein = (size_t)(last - rest);
        if (fein < 1 || fein > 30)
            return false;
        for (const char *c = rest; c < last; c++)
            if (!isalnum((unsigned char)*c))
                return false;
    }
    *format_ok = true;
    return mod97(id, true) == 1;
}

bool einvcheck_iban(const char *iban)
{
    char s[64];
    size_t n = 0;
    for (const char *c = iban; *c && n < sizeof s - 1; c++)
        if (*c != ' ')
            s[n++] = *c;
    s[n] = '\0';
    if (n < 15 || n > 34 || !isupper((unsigned char)s[0]) || !isupper((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3]))
        return false;
    char moved[64];
    snprintf(moved, sizeof moved, "%s%.4s", s + 4, s);
    return mod97(moved, false) == 1;
}

static bool xrechnung(const einvoice *e)
{
    return e->profile == EI_XRECHNUNG || e->profile == EI_XRECHNUNG_EXT;
}

static void payment_rules(const einvoice *e, fl *l)
{
    if (xrechnung(e) && !e->has_buyer_ref)
        add(l, "BR-DE-15", EF_ERROR, "the buyer reference (Leitweg-ID, BT-10) is missing");
    bool format_ok = false;
    if (e->has_buyer_ref && !einvcheck_leitweg(e->buyer_ref, &format_ok) &&
        (xrechnung(e) || format_ok))
        add(l, "AB-LEITWEG", EF_WARNING,
            format_ok ? "Leitweg-ID %s: the check digits do not match (a typo? route by hand)"
                      : "buyer reference %s is not a Leitweg-ID (route by hand)",
            e->buyer_ref);
    for (int i = 0; i < e->n_means; i++) {
        const ei_means *m = &e->means[i];
        if ((!strcmp(m->code, "58") || !strcmp(m->code, "30") || !strcmp(m->code, "42")) &&
            m->iban[0] && !einvcheck_iban(m->iban))
            add(l, "BR-DE-19", EF_WARNING, "payee account %s is not a valid IBAN: not payable",
                m->iban);
    }
}

int einvcheck_run(const einvoice *e, ei_finding *out, int max)
{
    fl l = {out, 0, max};
    presence_and_codes(e, &l);
    totals(e, &l);
    vat_lines(e, &l);
    line_arithmetic(e, &l);
    payment_rules(e, &l);
    due_currency(e, &l);
    hold_rules(e, &l);
    return l.n;
}

int einvcheck_errors(const ei_finding *f, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += f[i].severity == EF_ERROR;
    return k;
}
