/*
 * test_serve.c - pieces of `abgleich serve` that need no database: the
 * Prometheus rendering of the metrics, and the control connection's
 * behaviour while the server cannot be reached (down, requests refused,
 * backoff retries, a clean close).
 */
#include <criterion/criterion.h>
#include <string.h>
#include <uv.h>

#include "../../engine/loop.h"
#include "../../jobs/serve.h"

Test(serve, metrics_render)
{
    serve_metrics m;
    memset(&m, 0, sizeof m);
    pthread_mutex_init(&m.mu, NULL);
    m.files[SK_TICKETS][SR_DONE] = 7;
    m.files[SK_STATEMENTS][SR_FAILED] = 1;
    m.by_reason[1] = 3;
    m.dur_le[SK_TICKETS][0] = 5;
    for (int b = 1; b < SERVE_DUR_BUCKETS; b++)
        m.dur_le[SK_TICKETS][b] = 7;
    m.dur_count[SK_TICKETS] = 7;
    m.dur_sum[SK_TICKETS] = 0.5;
    m.jobs_queued = 12;
    m.db_up = 1;
    static char buf[64 * 1024];
    size_t n = serve_metrics_render(&m, buf, sizeof buf);
    cr_assert(n > 0 && n < sizeof buf);
    cr_assert(strstr(buf, "abgleich_files_total{kind=\"tickets\",result=\"done\"} 7\n"));
    cr_assert(strstr(buf, "abgleich_files_total{kind=\"statements\",result=\"failed\"} 1\n"));
    cr_assert(strstr(buf, "# TYPE abgleich_file_duration_seconds histogram\n"));
    cr_assert(strstr(buf, "abgleich_file_duration_seconds_bucket{kind=\"tickets\",le=\"0.05\"} 5\n"));
    cr_assert(strstr(buf, "abgleich_file_duration_seconds_bucket{kind=\"tickets\",le=\"+Inf\"} 7\n"));
    cr_assert(strstr(buf, "abgleich_file_duration_seconds_sum{kind=\"tickets\"} 0.500000\n"));
    cr_assert(strstr(buf, "abgleich_queue_depth{state=\"queued\"} 12\n"));
    cr_assert(strstr(buf, "abgleich_database_up 1\n"));
    cr_assert(strstr(buf, "abgleich_clarifications_total{reason=\""));
    /* Every line is a comment or NAME{labels} VALUE. */
    for (char *l = buf; *l; l = strchr(l, '\n') + 1)
        cr_assert(l[0] == '#' || !strncmp(l, "abgleich_", 9), "%.40s", l);
    cr_assert_eq(serve_metrics_render(&m, buf, 100), 0, "too small a buffer says so");
    pthread_mutex_destroy(&m.mu);
}

typedef struct probe {
    int ups, downs, answers, nulls;
    pgloop *p;
} probe;

static void on_state(void *ctx, int up)
{
    probe *pr = ctx;
    if (up)
        pr->ups++;
    else
        pr->downs++;
}

static void on_tick(uv_timer_t *t)
{
    probe *pr = t->data;
    cr_assert_not(pgloop_up(pr->p));
    cr_assert_eq(pgloop_send(pr->p, "SELECT 1", 0, NULL, NULL, NULL), AB_E_DB);
    pgloop_close(pr->p);
    uv_close((uv_handle_t *)t, NULL);
}

Test(serve, control_connection_without_a_server)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    probe pr = {0};
    /* A socket directory with no server: every attempt fails at once, and
     * the backoff retries (100, 200, 400 ms) run until the tick closes. */
    cr_assert_eq(pgloop_create(&pr.p, &loop,
                               "host=/nonexistent-abgleich-dir port=1 connect_timeout=1", 400,
                               on_state, &pr),
                 AB_OK);
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &pr;
    uv_timer_start(&t, on_tick, 500, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(pr.ups, 0);
    cr_assert_eq(pr.downs, 0, "never up, so never down");
    cr_assert_eq(uv_loop_close(&loop), 0, "every handle closed");
}
