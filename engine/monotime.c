/*
 * monotime.c - seconds on the monotonic clock; see monotime.h.
 */
#include "monotime.h"

#include <time.h>

double monotime_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
