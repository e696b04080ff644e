/*
 * progress.c - terminal progress bar; see progress.h.
 */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 30

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void draw(progress *p)
{
    int pct = p->total > 0 ? (int)(p->done * 100 / p->total) : 0;
    if (pct > 100)
        pct = 100;
    int fill = pct * BAR_WIDTH / 100;
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    int64_t secs = (now_ms() - p->start_ms) / 1000;
    fprintf(stderr, "\r%-12s [%s] %3d%%  %llds", p->label, bar, pct, (long long)secs);
    fflush(stderr);
}

void progress_start(progress *p, const char *label, int64_t total, bool quiet)
{
    p->on = !quiet && isatty(STDERR_FILENO);
    p->label = label;
    p->total = total;
    p->done = 0;
    p->start_ms = now_ms();
    p->last_draw_ms = 0;
    if (p->on)
        draw(p);
}

void progress_update(progress *p, int64_t done)
{
    p->done = done;
    if (!p->on)
        return;
    int64_t t = now_ms();
    if (t - p->last_draw_ms < 100)
        return;
    p->last_draw_ms = t;
    draw(p);
}

void progress_end(progress *p)
{
    if (!p->on)
        return;
    p->done = p->total;
    draw(p);
    fputc('\n', stderr);
}
