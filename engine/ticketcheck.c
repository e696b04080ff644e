/*
 * ticketcheck.c - the legal checks of a ticket; see ticketcheck.h.
 *
 * Order: what the catalogue says (TBNR, validity, amount), then the plate,
 * then the time - the first failure is the one reported, so that a clerk
 * fixes the most fundamental problem first.
 */
#include "ticketcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "log.h"
#include "money.h"
#include "offense.h"
#include "plate.h"

int32_t tcheck_add_months(int32_t days, int months)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    date_to_ymd(days, &y, &m, &d);
    int idx = (m - 1) + months;
    y += idx >= 0 ? idx / 12 : -((11 - idx) / 12);
    m = ((idx % 12) + 12) % 12 + 1;
    int last = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return date_from_ymd(y, m, d > last ? last : d);
}

int32_t tcheck_limitation_last_day(int32_t start, int months)
{
    int y, m, d;
    date_to_ymd(start, &y, &m, &d);
    /* The day "preceding the day named like the first": from the day
     * before the first, clamped to the month's end, except that the day
     * before the 1st is the last of the month before the named one. */
    if (d == 1)
        return tcheck_add_months(start, months) - 1;
    return tcheck_add_months(start - 1, months);
}

static int32_t day_of(int64_t secs)
{
    return (int32_t)(secs >= 0 ? secs / 86400 : (secs - 86399) / 86400);
}

static const char *check_catalogue(const tcheck_in *t, const char **field, tcheck_msg msg)
{
    const offense *o = offense_find(t->tbnr, strlen(t->tbnr));
    *field = "tbnr";
    if (!o) {
        snprintf(msg, sizeof(tcheck_msg), "%s is not in the offense catalogue (BT-KAT-OWi 2024-08-22)",
                 t->tbnr);
        return msg;
    }
    int32_t day = day_of(t->offense_time);
    if (day < o->valid_from || day > o->valid_to) {
        char d[11], f[11], u[11];
        date_format(day, d);
        date_format(o->valid_from, f);
        date_format(o->valid_to, u);
        snprintf(msg, sizeof(tcheck_msg), "%s was not valid on %s (valid %s to %s)", t->tbnr, d,
                 f, u);
        return msg;
    }
    if (t->amount_override)
        return NULL;
    *field = "amount";
    if (o->cents == 0) {
        snprintf(msg, sizeof(tcheck_msg), "TBNR %s has no catalogue amount; mark an override",
                 t->tbnr);
        return msg;
    }
    if (t->amount_cents != o->cents) {
        char a[32], b[32];
        money_format(t->amount_cents, a, sizeof a);
        money_format(o->cents, b, sizeof b);
        snprintf(msg, sizeof(tcheck_msg),
                 "%s EUR is not the catalogue amount %s EUR of TBNR %s (mark an override)", a, b,
                 t->tbnr);
        return msg;
    }
    return NULL;
}

static const char *check_time(const tcheck_cfg *c, const tcheck_in *t, tcheck_msg msg)
{
    int32_t day = day_of(t->offense_time);
    char d[11];
    if (day > c->as_of) {
        date_format(c->as_of, d);
        snprintf(msg, sizeof(tcheck_msg), "in the future (after %s)", d);
        return msg;
    }
    int32_t ends = tcheck_limitation_last_day(day, c->limitation_months);
    if (ends < c->as_of) {
        date_format(ends, d);
        snprintf(msg, sizeof(tcheck_msg), "time-barred: the limitation of %d months ended on %s",
                 c->limitation_months, d);
        return msg;
    }
    return NULL;
}

const char *tcheck_ticket(const tcheck_cfg *c, const tcheck_in *t, const char **field,
                          tcheck_msg msg)
{
    const char *why = check_catalogue(t, field, msg);
    if (why)
        return why;
    bool german = !t->nationality || !t->nationality[0] || !strcmp(t->nationality, "D");
    if (german && (why = plate_check_de(t->plate, strlen(t->plate)))) {
        *field = "plate";
        char masked[40];
        snprintf(msg, sizeof(tcheck_msg), "%s: '%.32s'", why,
                 log_pii(t->plate, masked, sizeof masked));
        return msg;
    }
    *field = "offense_time";
    return check_time(c, t, msg);
}

int tcheck_as_of(const char *arg, int32_t *days)
{
    const char *s = arg ? arg : getenv("ABGLEICH_TODAY");
    if (s && *s)
        return date_parse_iso(s, strlen(s), days);
    time_t now = time(NULL);
    struct tm tm;
    if (!localtime_r(&now, &tm))
        return AB_E_INVAL;
    *days = date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return AB_OK;
}
