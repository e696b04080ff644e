/*
 * matcher.c - what happens to one payment; see matcher.h.
 *
 * The scan step reads only the payment and the immutable part of the claim
 * index (references), so it runs on any thread in any order.  The apply
 * step is the only one that reads or moves open amounts; it runs on one
 * thread in statement order, which is what makes the result independent of
 * the number of threads.  The rule of this stage is strict on purpose: a
 * wrong automatic match closes the wrong case and duns an innocent citizen,
 * so anything short of "one claim, its exact open amount" goes to a clerk.
 */
#include "matcher.h"

#include <stdio.h>
#include <string.h>

#include "money.h"

const char *match_reason_name(enum match_reason r)
{
    switch (r) {
#define MATCH_REASON_CASE(name, text) \
    case MR_##name:                   \
        return text;
        MATCH_REASONS(MATCH_REASON_CASE)
#undef MATCH_REASON_CASE
    }
    return "unknown";
}

static int matchable(const payment *p)
{
    return p->direction == PAY_CREDIT && (p->status[0] == '\0' || !strcmp(p->status, "BOOK"));
}

static void scan_text(const refscan_opts *ro, const claimidx *ix, const char *text,
                      match_scan *out)
{
    if (!text || !*text)
        return;
    refscan_cand c[AB_REFS_PER_PAYMENT];
    size_t n = refscan_find(ro, text, strlen(text), c, AB_REFS_PER_PAYMENT);
    for (size_t i = 0; i < n; i++) {
        if (!c[i].check_ok)
            continue;
        if (out->n_tokens++ == 0)
            memcpy(out->first_token, c[i].ref, (size_t)c[i].len + 1);
        uint32_t slot = claimidx_find(ix, c[i].ref, c[i].len);
        if (slot == CLAIMIDX_NONE)
            continue;
        unsigned k = 0;
        while (k < out->n_slots && out->slots[k] != slot)
            k++;
        if (k == out->n_slots && out->n_slots < AB_REFS_PER_PAYMENT)
            out->slots[out->n_slots++] = slot;
    }
}

void matcher_scan(const matcher_cfg *cfg, const claimidx *ix, const payment *p, match_scan *out)
{
    memset(out, 0, sizeof *out);
    if (!matchable(p) || p->reversal || claimidx_count(ix) == 0)
        return;
    refscan_opts ro = {.scheme = cfg->scheme, .min_len = claimidx_min_len(ix),
                       .max_len = claimidx_max_len(ix)};
    scan_text(&ro, ix, p->remittance, out);
    scan_text(&ro, ix, p->creditor_ref, out);
    scan_text(&ro, ix, p->end_to_end_id, out);
}

void matcher_apply(claimidx *ix, const payment *p, const match_scan *scan, match_result *out)
{
    memset(out, 0, sizeof *out);
    out->slot = CLAIMIDX_NONE;
    if (!matchable(p)) {
        out->outcome = MATCH_SKIPPED;
        return;
    }
    out->outcome = MATCH_CLARIFY;
    if (p->reversal) {
        out->reason = MR_REVERSAL;
        return;
    }
    if (scan->n_slots == 0) {
        out->reason = scan->n_tokens ? MR_UNKNOWN_REFERENCE : MR_NO_REFERENCE;
        return;
    }
    if (scan->n_slots > 1) {
        out->reason = MR_MULTIPLE_REFERENCES;
        return;
    }
    uint32_t slot = scan->slots[0];
    out->slot = slot;
    int64_t open = claimidx_open(ix, slot);
    if (open <= 0) {
        out->reason = MR_CLAIM_ALREADY_PAID;
        return;
    }
    if (p->amount_cents != open) {
        out->reason = MR_AMOUNT_MISMATCH;
        return;
    }
    out->outcome = MATCH_ALLOCATED;
    out->reason = MR_NONE;
    out->alloc_cents = open;
    out->method = "exact_reference";
    claimidx_apply(ix, slot, open);
}

typedef struct phrases {
    const char *allocated, *no_ref, *unknown, *mismatch, *paid, *multiple, *reversal, *skipped;
} phrases;

/* Words a clerk reads; the numbers are filled in by matcher_explain. */
static const phrases de = {
    .allocated = "Kassenzeichen %s in den Zahlungsangaben gefunden, Prüfziffer stimmt; der Betrag"
                 " von %s EUR entspricht dem offenen Betrag der Forderung. Vollständig zugeordnet.",
    .no_ref = "Kein Kassenzeichen mit gültiger Prüfziffer im Verwendungszweck, in der"
              " strukturierten Referenz oder in der End-to-End-Referenz gefunden.",
    .unknown = "Kassenzeichen %s hat eine gültige Prüfziffer, gehört aber zu keiner bekannten"
               " Forderung.",
    .mismatch = "Kassenzeichen %s gefunden, aber der Betrag von %s EUR weicht vom offenen Betrag"
                " der Forderung (%s EUR) ab.",
    .paid = "Kassenzeichen %s gefunden, die Forderung ist aber bereits vollständig bezahlt"
            " (Betrag %s EUR).",
    .multiple = "%u Kassenzeichen bekannter Forderungen in einer Zahlung gefunden; die Aufteilung"
                " wird manuell geklärt.",
    .reversal = "Rückbuchung (Storno) einer früheren Buchung über %s EUR; sie wird nicht"
                " automatisch zugeordnet.",
    .skipped = "Abgang oder nicht gebuchter Umsatz über %s EUR; wird nicht mit Forderungen"
               " abgeglichen.",
};

static const phrases en = {
    .allocated = "Reference %s found in the payment details, check digit valid; the amount of"
                 " %s EUR equals the claim's open amount. Allocated in full.",
    .no_ref = "No reference with a valid check digit in the remittance text, the structured"
              " reference or the end-to-end id.",
    .unknown = "Reference %s has a valid check digit but belongs to no known claim.",
    .mismatch = "Reference %s found, but the amount of %s EUR differs from the claim's open"
                " amount (%s EUR).",
    .paid = "Reference %s found, but the claim is already paid in full (amount %s EUR).",
    .multiple = "%u references of known claims in one payment; the split is left to a clerk.",
    .reversal = "Reversal of an earlier booking of %s EUR; not allocated automatically.",
    .skipped = "Outgoing or unbooked transaction of %s EUR; not matched against claims.",
};

static void euros(const char *lang_en, int64_t cents, char *buf, size_t len)
{
    if (lang_en)
        money_format(cents, buf, len);
    else
        money_format_de(cents, buf, len);
}

/* The phrase tables are constant and each phrase's conversions are fixed by
 * its role, so formatting from a table is safe here; test_matcher.c prints
 * every phrase in both languages. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
size_t matcher_explain(const claimidx *ix, const payment *p, const match_scan *scan,
                       const match_result *r, const char *lang, char *buf, size_t len)
{
    const char *is_en = lang && !strcmp(lang, "en") ? "en" : NULL;
    const phrases *ph = is_en ? &en : &de;
    char amt[32], open[32], ref[AB_REF_MAX + 1] = "";
    euros(is_en, p->amount_cents, amt, sizeof amt);
    if (r->slot != CLAIMIDX_NONE) {
        size_t n;
        const char *s = claimidx_reference(ix, r->slot, &n);
        snprintf(ref, sizeof ref, "%.*s", (int)n, s);
        euros(is_en, claimidx_open(ix, r->slot), open, sizeof open);
    }
    int w = 0;
    if (r->outcome == MATCH_SKIPPED)
        w = snprintf(buf, len, ph->skipped, amt);
    else if (r->outcome == MATCH_ALLOCATED)
        w = snprintf(buf, len, ph->allocated, ref, amt);
    else
        switch (r->reason) {
        case MR_NO_REFERENCE: w = snprintf(buf, len, "%s", ph->no_ref); break;
        case MR_UNKNOWN_REFERENCE: w = snprintf(buf, len, ph->unknown, scan->first_token); break;
        case MR_AMOUNT_MISMATCH: w = snprintf(buf, len, ph->mismatch, ref, amt, open); break;
        case MR_CLAIM_ALREADY_PAID: w = snprintf(buf, len, ph->paid, ref, amt); break;
        case MR_MULTIPLE_REFERENCES: w = snprintf(buf, len, ph->multiple, scan->n_slots); break;
        case MR_REVERSAL: w = snprintf(buf, len, ph->reversal, amt); break;
        case MR_NONE: w = snprintf(buf, len, "%s", ""); break;
        }
    if (w < 0)
        return 0;
    return (size_t)w < len ? (size_t)w : len - 1;
}
#pragma GCC diagnostic pop
