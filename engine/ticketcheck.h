/*
 * ticketcheck.h - the legal checks of a ticket before it becomes a claim
 * (fines-domain.md §§ 1.1, 2, 6): the TBNR exists in the federal offense
 * catalogue and was valid on the day of the offense, the amount is the
 * catalogue's unless the row marks an override, a German plate follows the
 * FZV with a known district code (a foreign plate with its nationality is
 * taken as written), and the offense lies neither after the as-of day nor
 * before the limitation (§ 26(3) StVG: 3 months unless configured).
 *
 * Pure functions over the embedded catalogue (offense.h); nothing allocated.
 * The caller owns every buffer; a returned reason lives in msg or is static.
 */
#ifndef AB_TICKETCHECK_H
#define AB_TICKETCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct tcheck_cfg {
    int32_t as_of;              /* day of the import (days since 1970-01-01) */
    int limitation_months;      /* prosecution limitation before a hearing */
} tcheck_cfg;

typedef struct tcheck_in {
    const char *plate, *nationality, *tbnr;
    int64_t amount_cents;
    bool amount_override;
    int64_t offense_time;       /* seconds, date.h */
} tcheck_in;

typedef char tcheck_msg[160];

/* NULL when the ticket passes; else the reason, and *field the canonical
 * column it concerns ("tbnr", "amount", "plate", "offense_time"). */
const char *tcheck_ticket(const tcheck_cfg *c, const tcheck_in *t, const char **field,
                          tcheck_msg msg);
/* days + months, the day clamped to the month's end (§ 43 StPO style:
 * 30 Nov + 3 months = 28/29 Feb). */
int32_t tcheck_add_months(int32_t days, int months);
/* The last day of a limitation of months that starts on day start (the
 * offense, or an act that interrupts it): the day before the one named
 * like start, months later (§ 31(3) OWiG with § 188(2),(3) BGB by
 * analogy: an offense on 5 Apr is barred after 4 Jul, one on 30 Nov after
 * 28 Feb, or 29 Feb in a leap year).  No weekend or holiday moves it. */
int32_t tcheck_limitation_last_day(int32_t start, int months);

/* The as-of day of a command: arg ("YYYY-MM-DD") when given, else
 * $ABGLEICH_TODAY (replays and tests), else today's local date. */
int tcheck_as_of(const char *arg, int32_t *days) AB_MUSTCHECK;

#endif
