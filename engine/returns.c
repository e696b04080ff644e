/*
 * returns.c - return classification and transaction keys; see returns.h.
 * The GVC and sub-family lists follow the DK tables quoted in
 * docs/research (bank-formats.md §1.5, §2.3).
 */
#include "returns.h"

#include <stdio.h>
#include <string.h>
#include <xxhash.h>

static const char *const textkeys[][2] = {
    {"901", "AC01"}, {"902", "AC04"}, {"903", "AC06"}, {"904", "AG01"}, {"905", "AG02"},
    {"906", "AM04"}, {"907", "AM05"}, {"908", "BE04"}, {"909", "MD01"}, {"910", "MD06"},
    {"911", "FF01"}, {"912", "MD02"}, {"913", "MD07"}, {"914", "MS03"}, {"915", "RC01"},
    {"916", "TM01"}, {"917", "RR01"},
};

const char *returns_textkey_reason(const char *key, size_t n)
{
    if (n != 3)
        return NULL;
    for (size_t i = 0; i < sizeof textkeys / sizeof *textkeys; i++)
        if (!memcmp(key, textkeys[i][0], 3))
            return textkeys[i][1];
    return NULL;
}

static bool has(const char *s)
{
    return s && s[0];
}

/* "PMNT/RDDT/UPDD": the sub-family after the second '/'. */
static bool iso_return_code(const char *c)
{
    const char *a = strchr(c, '/'), *b = a ? strchr(a + 1, '/') : NULL;
    if (!b)
        return false;
    b++;
    return !strcmp(b, "RRTN") || !strcmp(b, "UPDD") || !strcmp(b, "RPCR") ||
           !strcmp(b, "ARET");
}

/* "NRTI+159+..." or "159": the GVC after the first '+' (or alone). */
static bool gvc_return_code(const char *c)
{
    const char *g = strchr(c, '+');
    g = g ? g + 1 : c;
    size_t n = strcspn(g, "+");
    return n == 3 && (!memcmp(g, "059", 3) || !memcmp(g, "109", 3) || !memcmp(g, "159", 3));
}

static bool return_signals(const payment *p)
{
    if (has(p->return_reason))
        return true;
    const char *c = p->bank_tx_code;
    return has(c) && (iso_return_code(c) || gvc_return_code(c));
}

bool returns_is_return(const payment *p)
{
    return p->direction == PAY_DEBIT && return_signals(p);
}

bool returns_is_returned_transfer(const payment *p)
{
    return p->direction == PAY_CREDIT && return_signals(p);
}

/* Chained one-shot hashes: no hash state to allocate on the hot path. */
static XXH128_hash_t put(XXH128_hash_t v, const char *s)
{
    s = s ? s : "";
    return XXH3_128bits_withSeed(s, strlen(s) + 1, v.low64 ^ v.high64); /* NUL ends a field */
}

void returns_tx_key(const statement *st, const payment *p, char hex[33])
{
    char num[96];
    XXH128_hash_t v = {0, 0};
    v = put(v, st->format ? (strncmp(st->format, "camt", 4) ? "mt94x" : "camt") : "");
    v = put(v, st->account);
    v = put(v, st->stmt_id);
    v = put(v, st->elec_seq);
    snprintf(num, sizeof num, "%u/%u/%lld/%c", (unsigned)p->entry_no, (unsigned)p->tx_no,
             (long long)p->amount_cents, p->direction);
    v = put(v, num);
    v = put(v, p->acct_svcr_ref);
    v = put(v, p->end_to_end_id);
    v = put(v, p->booking_date);
    v = put(v, p->value_date);
    v = put(v, p->debtor_iban);
    v = put(v, p->remittance);
    snprintf(hex, 33, "%016llx%016llx", (unsigned long long)v.high64,
             (unsigned long long)v.low64);
}
