/*
 * date.c - civil dates <-> day numbers, strict parsing; see date.h.
 *
 * The conversions are Howard Hinnant's days_from_civil / civil_from_days,
 * exact for the proleptic Gregorian calendar with no table and no libc
 * time zone state.  Parsers take fixed-width fields and reject anything
 * left over, so "31.02.2026" or "2026-11-20x" never become a date.
 */
#include "date.h"

#include <stdbool.h>
#include <stdio.h>

int32_t date_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void date_to_ymd(int32_t days, int *y, int *m, int *d)
{
    int z = days + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int num(const char *s, size_t w, int *out)
{
    int v = 0;
    for (size_t i = 0; i < w; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static int check_ymd(int y, int m, int d, int32_t *days)
{
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return AB_E_INVAL;
    *days = date_from_ymd(y, m, d);
    return AB_OK;
}

int date_parse_iso(const char *s, size_t n, int32_t *days)
{
    int y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-' || num(s, 4, &y) || num(s + 5, 2, &m) ||
        num(s + 8, 2, &d))
        return AB_E_INVAL;
    return check_ymd(y, m, d, days);
}

/* "hh:mm[:ss][.fff][Z|+hh:mm|-hh:mm]" -> seconds of the day. */
static int parse_time(const char *s, size_t n, int allow_zone, int *secs)
{
    int h, mi, se = 0;
    if (n < 5 || s[2] != ':' || num(s, 2, &h) || num(s + 3, 2, &mi))
        return AB_E_INVAL;
    size_t i = 5;
    if (i < n && s[i] == ':') {
        if (n < 8 || num(s + 6, 2, &se))
            return AB_E_INVAL;
        i = 8;
        if (allow_zone && i < n && s[i] == '.') {
            i++;
            size_t start = i;
            while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
            if (i == start)
                return AB_E_INVAL;
        }
    }
    if (allow_zone && i < n) {
        int zh, zm;
        if (s[i] == 'Z' && i + 1 == n)
            i++;
        else if ((s[i] == '+' || s[i] == '-') && n - i == 6 && s[i + 3] == ':' &&
                 !num(s + i + 1, 2, &zh) && !num(s + i + 4, 2, &zm) && zh < 24 && zm < 60)
            i = n;
    }
    if (i != n || h > 23 || mi > 59 || se > 59)
        return AB_E_INVAL;
    *secs = h * 3600 + mi * 60 + se;
    return AB_OK;
}

int datetime_parse(const char *s, size_t n, int64_t *secs)
{
    int32_t days;
    int tod = 0, y, m, d;
    size_t rest;
    int iso = n >= 10 && s[4] == '-';
    if (iso) {
        if (n < 10 || date_parse_iso(s, 10, &days) < 0)
            return AB_E_INVAL;
    } else {
        if (n < 10 || s[2] != '.' || s[5] != '.' || num(s, 2, &d) || num(s + 3, 2, &m) ||
            num(s + 6, 4, &y) || check_ymd(y, m, d, &days) < 0)
            return AB_E_INVAL;
    }
    rest = n - 10;
    if (rest > 0) {
        char sep = s[10];
        if (!(sep == ' ' || (iso && sep == 'T')) ||
            parse_time(s + 11, rest - 1, iso, &tod) < 0)
            return AB_E_INVAL;
    }
    *secs = (int64_t)days * 86400 + tod;
    return AB_OK;
}

void date_format(int32_t days, char buf[11])
{
    int y, m, d;
    date_to_ymd(days, &y, &m, &d);
    snprintf(buf, 11, "%04d-%02d-%02d", y % 10000, m, d);
}

void datetime_format(int64_t secs, char buf[20])
{
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int tod = (int)(secs - days * 86400);
    int y, m, d;
    date_to_ymd((int32_t)days, &y, &m, &d);
    snprintf(buf, 20, "%04d-%02d-%02d %02d:%02d:%02d", y % 10000, m, d, tod / 3600,
             tod / 60 % 60, tod % 60);
}
