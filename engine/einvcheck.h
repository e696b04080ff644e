/*
 * einvcheck.h - the checks an e-invoice must pass before money leaves, each
 * reported by its rule id: EN 16931 BR-12..15, BR-CO-10..17, BR-CL-01,
 * BR-DEC; the XRechnung rules that matter to payment (BR-DE-15, BR-DE-19,
 * BR-DEX-09); Peppol R120 (line arithmetic); and abgleich's own AB-* rules
 * (Leitweg-ID check digit, profiles that are no complete invoice, the
 * currency of the amount due, amounts the standard allows but abgleich
 * does not pay unseen).  Errors stop a payment; holds let the invoice in
 * but not be approved until a clerk lifts them (sql/078); warnings are
 * shown to the clerk.  Plain functions over a parsed einvoice; the caller
 * owns the findings array.
 */
#ifndef AB_EINVCHECK_H
#define AB_EINVCHECK_H

#include <stdbool.h>

#include "../formats/einvoice.h"

/* EF_HOLD: accepted, but the invoice cannot be approved until a clerk has
 * looked at it and lifted the hold (abgleich.invoices.hold, sql/078): what
 * EN 16931 allows and would make abgleich pay more than the invoice's
 * total, or less than it says is owed.  Appended: the findings JSON names
 * severities by this order. */
enum ei_severity { EF_ERROR, EF_WARNING, EF_INFO, EF_HOLD };

typedef struct ei_finding {
    char rule[16];
    enum ei_severity severity;
    char text[512];         /* a hold's and AB-CURRENCY's: German, then English */
} ei_finding;

#define EI_FINDINGS_MAX 32

/* Runs every rule; returns the number of findings written (<= max). */
int einvcheck_run(const einvoice *e, ei_finding *out, int max);
/* Errors among the findings. */
int einvcheck_errors(const ei_finding *f, int n);
/* Leitweg-ID: *format_ok for ^[0-9]{2,12}(-[0-9A-Za-z]{1,30})?-[0-9]{2}$;
 * returns true when also the ISO 7064 MOD 97-10 check digits hold. */
bool einvcheck_leitweg(const char *id, bool *format_ok);
/* IBAN: format and MOD 97 (spaces ignored). */
bool einvcheck_iban(const char *iban);

#endif
