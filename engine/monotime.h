/*
 * monotime.h - seconds on the monotonic clock, for timing phases in logs
 * and benches (never for dates).  No state.
 */
#ifndef AB_MONOTIME_H
#define AB_MONOTIME_H

/* Seconds since an arbitrary fixed point; only differences mean anything. */
double monotime_s(void);

#endif
