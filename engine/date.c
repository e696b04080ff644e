/*
 * date.c - civil dates <-> day numbers, strict parsing; see date.h.
 *
 * In:  text as written on tickets and in bank files ("2024-03-05T14:30",
 *      "05.03.2024 14:30"), or (year, month, day).
 * Out: days since 1970-01-01, seconds since the epoch in wall-clock time,
 *      or fixed-width text.
 * Invariants: the conversions are Howard Hinnant's days_from_civil and
 * civil_from_days, exact for the proleptic Gregorian calendar, with no
 * table, no libc time zone state and no locale.  They compute in 64 bits,
 * so no int argument can overflow them.  Parsers read fixed-width digit
 * fields by hand (no sscanf/atoi: those skip blanks, accept signs and
 * ignore what follows) and consume the whole input, so "31.02.2026",
 * "2026-11-20x" or "06.11.2026 24:00" never become a time.
 */
#include "date.h"

#include <stdbool.h>

/* Years a ticket or statement can carry.  Four digits are required anyway;
 * the bound keeps a typo such as "0202" from becoming a valid date. */
#define YEAR_MIN 1900
#define YEAR_MAX 2999

int32_t date_from_ymd(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;                                    /* [0, 399] */
    int64_t doy = (153 * ((int64_t)m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;             /* [0, 146096] */
    return (int32_t)(era * 146097 + doe - 719468);
}

void date_to_ymd(int32_t days, int *y, int *m, int *d)
{
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Exactly w ASCII digits (w <= 4, so no overflow). */
static bool num(const char *s, size_t w, int *out)
{
    int v = 0;
    for (size_t i = 0; i < w; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static int check_ymd(int y, int m, int d, int32_t *days)
{
    if (y < YEAR_MIN || y > YEAR_MAX || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return AB_E_INVAL;
    *days = date_from_ymd(y, m, d);
    return AB_OK;
}

int date_parse_iso(const char *s, size_t n, int32_t *days)
{
    int y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-' || !num(s, 4, &y) || !num(s + 5, 2, &m) ||
        !num(s + 8, 2, &d))
        return AB_E_INVAL;
    return check_ymd(y, m, d, days);
}

/* "dd.mm.yyyy" */
static int date_parse_de(const char *s, size_t n, int32_t *days)
{
    int y, m, d;
    if (n != 10 || s[2] != '.' || s[5] != '.' || !num(s, 2, &d) || !num(s + 3, 2, &m) ||
        !num(s + 6, 4, &y))
        return AB_E_INVAL;
    return check_ymd(y, m, d, days);
}

/* Optional ISO suffix after the seconds or minutes: ".fff" (only after
 * seconds), then "Z" or "+hh:mm"/"-hh:mm".  The zone is checked and ignored:
 * tickets carry the wall-clock time the warden saw (date.h). */
static bool iso_suffix(const char *s, size_t n, bool have_secs)
{
    size_t i = 0;
    if (have_secs && i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start || i - start > 9)
            return false;
    }
    if (i == n)
        return true;
    if (s[i] == 'Z')
        return i + 1 == n;
    int zh, zm;
    return (s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':' &&
           num(s + i + 1, 2, &zh) && num(s + i + 4, 2, &zm) && zh <= 23 && zm <= 59;
}

/* "hh:mm[:ss]" then, for ISO only, the suffix -> seconds of the day.
 * 24:00 and leap seconds are refused: a ticket never needs them. */
static int parse_time(const char *s, size_t n, bool iso, int *secs)
{
    int h, mi, se = 0;
    if (n < 5 || s[2] != ':' || !num(s, 2, &h) || !num(s + 3, 2, &mi))
        return AB_E_INVAL;
    size_t i = 5;
    bool have_secs = n >= 8 && s[5] == ':';
    if (have_secs) {
        if (!num(s + 6, 2, &se))
            return AB_E_INVAL;
        i = 8;
    }
    if (iso ? !iso_suffix(s + i, n - i, have_secs) : i != n)
        return AB_E_INVAL;
    if (h > 23 || mi > 59 || se > 59)
        return AB_E_INVAL;
    *secs = h * 3600 + mi * 60 + se;
    return AB_OK;
}

int datetime_parse(const char *s, size_t n, int64_t *secs)
{
    int32_t days;
    int tod = 0;
    if (n < 10)
        return AB_E_INVAL;
    bool iso = s[4] == '-';
    if ((iso ? date_parse_iso(s, 10, &days) : date_parse_de(s, 10, &days)) < 0)
        return AB_E_INVAL;
    if (n == 10) {
        /* A German date alone means midnight (handhelds that record the day
         * only); an ISO timestamp must carry its time. */
        if (iso)
            return AB_E_INVAL;
    } else if (!(s[10] == ' ' || (iso && s[10] == 'T')) ||
               parse_time(s + 11, n - 11, iso, &tod) < 0) {
        return AB_E_INVAL;
    }
    *secs = (int64_t)days * 86400 + tod;
    return AB_OK;
}

/* v in [0, 10^w) as exactly w digits. */
static void put_digits(char *out, unsigned v, int w)
{
    for (int i = w - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

static void format_ymd(int32_t days, char *out)
{
    int y, m, d;
    date_to_ymd(days, &y, &m, &d);
    /* Years outside 0..9999 cannot be written in four digits; they only
     * arise from garbage day numbers, so they are clamped, not trusted. */
    put_digits(out, (unsigned)(y < 0 ? 0 : y > 9999 ? 9999 : y), 4);
    out[4] = '-';
    put_digits(out + 5, (unsigned)m, 2);
    out[7] = '-';
    put_digits(out + 8, (unsigned)d, 2);
}

void date_format(int32_t days, char buf[11])
{
    format_ymd(days, buf);
    buf[10] = '\0';
}

void datetime_format(int64_t secs, char buf[20])
{
    /* Floor division, so times before 1970 land on the right day. */
    int64_t days = secs / 86400;
    int64_t tod = secs % 86400;
    if (tod < 0) {
        tod += 86400;
        days--;
    }
    format_ymd((int32_t)days, buf);
    buf[10] = ' ';
    put_digits(buf + 11, (unsigned)(tod / 3600), 2);
    buf[13] = ':';
    put_digits(buf + 14, (unsigned)(tod / 60 % 60), 2);
    buf[16] = ':';
    put_digits(buf + 17, (unsigned)(tod % 60), 2);
    buf[19] = '\0';
}
