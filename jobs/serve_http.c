/*
 * serve_http.c - serve's HTTP endpoint: /healthz, /metrics, /accounts.
 *
 * libmicrohttpd (Debian libmicrohttpd-dev) does the HTTP: a kept server
 * library, so no request parser of ours faces the network.  It runs its own
 * threads (one per connection, capped), never the libuv loop's: a slow
 * /accounts query or a scrape cannot stall the inbox.
 *   GET /healthz   200 "ok" while the control connection to PostgreSQL is
 *                  up, 503 while it is not
 *   GET /metrics   Prometheus text format 0.0.4 (files by kind and result,
 *                  claims, transactions, allocations, clarifications by
 *                  reason, file durations as histograms, queue depth)
 *   GET /accounts?plate=P | ?reference=R
 *                  the citizen's account view, the JSON of
 *                  abgleich.account_json (the same as `account --json`),
 *                  over a connection opened for the request
 * Anything else is 404, a method other than GET 405.  Personal data leaves
 * through /accounts: the endpoint listens on loopback unless configured.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../engine/config.h"
#include "../engine/log.h"
#include "../engine/matcher.h"
#include "../engine/mem.h"
#include "../engine/pgsink.h"
#include "serve.h"

#define METRICS_BUF (64u * 1024u)
#define HTTP_CONNECTIONS_MAX 32u
#define HTTP_TIMEOUT_S 10u
/* A plate or reference in a query string; real ones are < 20 characters. */
#define HTTP_ARG_MAX 64u

const double serve_dur_bounds[SERVE_DUR_BUCKETS] = {0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                    5,    10,  30,   60,  300, 1800};
const char *const serve_kind_names[SK_COUNT] = {"tickets", "statements", "invoices"};
static const char *const result_names[SR_COUNT] = {"done", "failed", "skipped", "retried"};

struct serve_http {
    struct MHD_Daemon *d;
    serve_metrics *m;
    char db[CONFIG_URL_MAX];
};

typedef struct outbuf {
    char *b;
    size_t cap, len;
    int over;
} outbuf;

static void put(outbuf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(outbuf *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->b + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->over = 1;
    else
        o->len += (size_t)n;
}

static void render_histograms(serve_metrics *m, outbuf *o)
{
    put(o, "# HELP abgleich_file_duration_seconds Time from claiming a file to its commit.\n"
           "# TYPE abgleich_file_duration_seconds histogram\n");
    for (int k = 0; k < SK_COUNT; k++) {
        for (int b = 0; b < SERVE_DUR_BUCKETS; b++)
            put(o, "abgleich_file_duration_seconds_bucket{kind=\"%s\",le=\"%g\"} %llu\n",
                serve_kind_names[k], serve_dur_bounds[b], (unsigned long long)m->dur_le[k][b]);
        put(o, "abgleich_file_duration_seconds_bucket{kind=\"%s\",le=\"+Inf\"} %llu\n",
            serve_kind_names[k], (unsigned long long)m->dur_count[k]);
        put(o, "abgleich_file_duration_seconds_sum{kind=\"%s\"} %.6f\n", serve_kind_names[k],
            m->dur_sum[k]);
        put(o, "abgleich_file_duration_seconds_count{kind=\"%s\"} %llu\n", serve_kind_names[k],
            (unsigned long long)m->dur_count[k]);
    }
}

static void render_counters(serve_metrics *m, outbuf *o)
{
    put(o, "# HELP abgleich_files_total Inbox files finished, by kind and result.\n"
           "# TYPE abgleich_files_total counter\n");
    for (int k = 0; k < SK_COUNT; k++)
        for (int r = 0; r < SR_COUNT; r++)
            put(o, "abgleich_files_total{kind=\"%s\",result=\"%s\"} %lld\n", serve_kind_names[k],
                result_names[r], (long long)m->files[k][r]);
    put(o, "# HELP abgleich_claims_imported_total Claims created from ticket files.\n"
           "# TYPE abgleich_claims_imported_total counter\n"
           "abgleich_claims_imported_total %lld\n"
           "# HELP abgleich_rows_rejected_total Input rows rejected (see the file's .log).\n"
           "# TYPE abgleich_rows_rejected_total counter\n"
           "abgleich_rows_rejected_total %lld\n"
           "# HELP abgleich_transactions_total Bank transactions stored.\n"
           "# TYPE abgleich_transactions_total counter\n"
           "abgleich_transactions_total %lld\n"
           "# HELP abgleich_transactions_cents_total Cents of the bank transactions stored.\n"
           "# TYPE abgleich_transactions_cents_total counter\n"
           "abgleich_transactions_cents_total %lld\n"
           "# HELP abgleich_allocations_total Payments allocated to claims.\n"
           "# TYPE abgleich_allocations_total counter\n"
           "abgleich_allocations_total %lld\n"
           "# HELP abgleich_allocations_cents_total Cents allocated to claims.\n"
           "# TYPE abgleich_allocations_cents_total counter\n"
           "abgleich_allocations_cents_total %lld\n",
        (long long)m->claims, (long long)m->rows_rejected, (long long)m->transactions,
        (long long)m->transactions_cents, (long long)m->allocated,
        (long long)m->allocated_cents);
    put(o, "# HELP abgleich_clarifications_total Payments parked for a clerk, by reason.\n"
           "# TYPE abgleich_clarifications_total counter\n");
    for (int i = 1; i < REC_REASONS; i++)
        put(o, "abgleich_clarifications_total{reason=\"%s\"} %lld\n",
            match_reason_name((enum match_reason)i), (long long)m->by_reason[i]);
}

size_t serve_metrics_render(serve_metrics *m, char *buf, size_t cap)
{
    outbuf o = {.b = buf, .cap = cap};
    pthread_mutex_lock(&m->mu);
    render_counters(m, &o);
    render_histograms(m, &o);
    put(&o, "# HELP abgleich_queue_depth Jobs in the shared queue, by state (all instances).\n"
            "# TYPE abgleich_queue_depth gauge\n"
            "abgleich_queue_depth{state=\"queued\"} %lld\n"
            "abgleich_queue_depth{state=\"running\"} %lld\n"
            "# HELP abgleich_jobs_in_flight Files this instance is processing.\n"
            "# TYPE abgleich_jobs_in_flight gauge\n"
            "abgleich_jobs_in_flight %lld\n"
            "# HELP abgleich_inbox_waiting Files in the inbox not yet complete or queued.\n"
            "# TYPE abgleich_inbox_waiting gauge\n"
            "abgleich_inbox_waiting %lld\n"
            "# HELP abgleich_database_up 1 while the control connection is up.\n"
            "# TYPE abgleich_database_up gauge\n"
            "abgleich_database_up %d\n",
        (long long)m->jobs_queued, (long long)m->jobs_running, (long long)m->in_flight,
        (long long)m->inbox_waiting, m->db_up);
    pthread_mutex_unlock(&m->mu);
    return o.over ? 0 : o.len;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *body)
{
    return reply(c, status, "text/plain; charset=utf-8", body, strlen(body));
}

static enum MHD_Result accounts(serve_http *h, struct MHD_Connection *c)
{
    const char *plate = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "plate");
    const char *ref = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "reference");
    if (!plate == !ref || (plate && !*plate) || (ref && !*ref))
        return text(c, 400, "give exactly one of ?plate=... or ?reference=...\n");
    if (strlen(plate ? plate : ref) > HTTP_ARG_MAX)
        return text(c, 400, "too long\n");
    pgsink *db = NULL;
    pgsink_result *res = NULL;
    const char *params[] = {plate, ref};
    int rc = pgsink_connect(&db, h->db);
    if (rc == AB_OK)
        rc = pgsink_query(db, "SELECT abgleich.account_json($1, $2)", 2, params, &res);
    enum MHD_Result ok;
    if (rc < 0) {
        log_warn("/accounts: database: %s", pgsink_error(db));
        ok = text(c, 503, "database unreachable\n");
    } else {
        const char *j = pgsink_result_value(res, 0, 0);
        ok = reply(c, 200, "application/json", j, strlen(j));
    }
    pgsink_result_free(res);
    pgsink_close(db);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    serve_http *h = cls;
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return text(c, 405, "GET only\n");
    if (!strcmp(url, "/healthz")) {
        pthread_mutex_lock(&h->m->mu);
        int up = h->m->db_up;
        pthread_mutex_unlock(&h->m->mu);
        return up ? text(c, 200, "ok\n") : text(c, 503, "database unreachable\n");
    }
    if (!strcmp(url, "/metrics")) {
        char *buf = mem_alloc(METRICS_BUF);
        if (!buf)
            return MHD_NO;
        size_t n = serve_metrics_render(h->m, buf, METRICS_BUF);
        enum MHD_Result ok = n ? reply(c, 200, "text/plain; version=0.0.4; charset=utf-8", buf, n)
                               : text(c, 500, "metrics do not fit the buffer\n");
        mem_free(buf);
        return ok;
    }
    if (!strcmp(url, "/accounts"))
        return accounts(h, c);
    return text(c, 404, "not found; try /healthz, /metrics, /accounts?plate=...\n");
}

int serve_http_start(serve_http **out, const char *listen, const char *db, serve_metrics *m)
{
    char host[CONFIG_LISTEN_MAX], port_s[8];
    unsigned port;
    if (config_listen_split(listen, host, sizeof host, &port) < 0)
        return AB_E_INVAL;
    snprintf(port_s, sizeof port_s, "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE}, *ai = NULL;
    if (getaddrinfo(host, port_s, &hints, &ai) != 0 || !ai) {
        log_error("listen %s: cannot resolve the address", listen);
        return AB_E_INVAL;
    }
    serve_http *h = mem_calloc(1, sizeof *h);
    if (!h) {
        freeaddrinfo(ai);
        return AB_E_NOMEM;
    }
    h->m = m;
    snprintf(h->db, sizeof h->db, "%s", db);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, h,
                            MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_CONNECTION_LIMIT, HTTP_CONNECTIONS_MAX,
                            MHD_OPTION_CONNECTION_TIMEOUT, HTTP_TIMEOUT_S, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->d) {
        log_error("listen %s: cannot start the HTTP endpoint (address in use?)", listen);
        mem_free(h);
        return AB_E_IO;
    }
    *out = h;
    return AB_OK;
}

void serve_http_stop(serve_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    mem_free(h);
}
