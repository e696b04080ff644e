/*
 * date.h - calendar dates and times without locale or time zone surprises.
 *
 * Days are counted from 1970-01-01 (proleptic Gregorian); times are seconds
 * since the epoch in local legal time as written (tickets carry wall-clock
 * time; no zone arithmetic is done on them).  Nothing is allocated.
 */
#ifndef AB_DATE_H
#define AB_DATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* "YYYY-MM-DD" */
int date_parse_iso(const char *s, size_t n, int32_t *days) AB_MUSTCHECK;
/* "YYYY-MM-DD[T ]hh:mm[:ss][.fff][Z|+hh:mm]" or "dd.mm.yyyy[ hh:mm[:ss]]";
 * a zone suffix is accepted and ignored (the wall-clock time is kept). */
int datetime_parse(const char *s, size_t n, int64_t *secs) AB_MUSTCHECK;
/* "YYYY-MM-DD" into buf (>= 11 bytes). */
void date_format(int32_t days, char buf[11]);
/* "YYYY-MM-DD hh:mm:ss" into buf (>= 20 bytes). */
void datetime_format(int64_t secs, char buf[20]);
int32_t date_from_ymd(int y, int m, int d);
void date_to_ymd(int32_t days, int *y, int *m, int *d);

#endif
