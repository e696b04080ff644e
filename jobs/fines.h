/*
 * fines.h - the fines office's hooks into the treasury's jobs.
 * The caller owns the connection; nothing is kept between calls.
 */
#ifndef AB_FINES_H
#define AB_FINES_H

#include <stdint.h>

#include "../engine/pgsink.h"

/* After a reconcile run: overpayments still waiting for a clerk settle the
 * other open claims of the same plate (fines_config.offset_surplus), in a
 * transaction of their own.  *offsets, *cents: what was set off. */
int fines_offset_surplus(pgsink *db, int64_t *offsets, int64_t *cents) AB_MUSTCHECK;

#endif
