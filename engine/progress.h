/*
 * progress.h - a progress bar on a terminal, silence elsewhere.
 *
 * Drawn on stderr only when stderr is a terminal and --quiet was not given;
 * redrawn at most ten times a second so it costs nothing on the hot path.
 * The struct is caller-owned (usually on the stack); nothing is allocated.
 */
#ifndef AB_PROGRESS_H
#define AB_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct progress {
    bool on;
    const char *label;
    int64_t total, done;
    int64_t last_draw_ms, start_ms;
} progress;

void progress_start(progress *p, const char *label, int64_t total, bool quiet);
void progress_update(progress *p, int64_t done);
void progress_end(progress *p);

#endif
