/*
 * httpd.c - GET /healthz, /metrics and /accounts on libmicrohttpd.
 *
 * One internal polling thread serves every connection: the answers are
 * small and the only slow one, /accounts, is a single indexed query.  The
 * account connection is opened on first use and reopened after an error,
 * so the endpoint survives a database restart like the loop does.
 * Healthy means: the loop's control connection to PostgreSQL is up.
 */
#include "httpd.h"

#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "log.h"
#include "mem.h"
#include "pgsink.h"

struct httpd {
    struct MHD_Daemon *d;
    metrics *m;
    char *conninfo;
    pgsink *db;
    pthread_mutex_t mu;
    char body[AB_HTTP_MAX_BODY];
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *body, size_t n)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg)
{
    return reply(c, status, "text/plain; charset=utf-8", msg, strlen(msg));
}

/* Runs on the HTTP thread with h->mu held. */
static enum MHD_Result accounts(httpd *h, struct MHD_Connection *c)
{
    const char *plate = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "plate");
    const char *ref = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "reference");
    if ((plate && *plate) == (ref && *ref))
        return text(c, MHD_HTTP_BAD_REQUEST, "give exactly one of ?plate= and ?reference=\n");
    if (!h->db || pgsink_lost(h->db)) {
        pgsink_close(h->db);
        h->db = NULL;
        if (pgsink_connect(&h->db, h->conninfo) < 0) {
            pgsink_close(h->db);
            h->db = NULL;
            return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "database unreachable\n");
        }
    }
    const char *params[] = {plate && *plate ? plate : NULL, ref && *ref ? ref : NULL};
    pgsink_result *res = NULL;
    if (pgsink_query(h->db, "SELECT abgleich.account_json($1, $2)", 2, params, &res) < 0) {
        log_warn("GET /accounts: %s", pgsink_error(h->db));
        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "database error\n");
    }
    const char *json = pgsink_result_rows(res) == 1 && !pgsink_result_isnull(res, 0, 0)
                           ? pgsink_result_value(res, 0, 0)
                           : "{}";
    enum MHD_Result ok = reply(c, MHD_HTTP_OK, "application/json", json, strlen(json));
    pgsink_result_free(res);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **state)
{
    httpd *h = cls;
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
    if (!strcmp(url, "/healthz")) {
        if (metrics_get_gauge(h->m, MG_DB_UP))
            return text(c, MHD_HTTP_OK, "ok\n");
        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "database unreachable\n");
    }
    enum MHD_Result ok;
    pthread_mutex_lock(&h->mu);
    if (!strcmp(url, "/metrics")) {
        size_t n = metrics_render(h->m, h->body, sizeof h->body);
        ok = n ? reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4", h->body, n)
               : text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics too large\n");
    } else if (!strcmp(url, "/accounts")) {
        ok = accounts(h, c);
    } else {
        ok = text(c, MHD_HTTP_NOT_FOUND, "not found: try /healthz, /metrics, /accounts\n");
    }
    pthread_mutex_unlock(&h->mu);
    return ok;
}

/* "127.0.0.1:9187", "[::1]:9187", "localhost:9187" -> a socket address. */
static int resolve(const char *listen, struct sockaddr_storage *sa)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
        return AB_E_USAGE;
    size_t n = (size_t)(colon - listen);
    const char *h = listen;
    if (h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    memcpy(host, h, n);
    host[n] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
        return AB_E_USAGE;
    memcpy(sa, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return AB_OK;
}

int httpd_start(httpd **out, const char *listen, const char *conninfo, metrics *m)
{
    *out = NULL;
    struct sockaddr_storage sa = {0};
    if (resolve(listen, &sa) < 0) {
        log_error("listen %s: not ADDR:PORT", listen);
        return AB_E_USAGE;
    }
    httpd *h = mem_calloc(1, sizeof *h);
    if (!h)
        return AB_E_NOMEM;
    h->m = m;
    h->conninfo = conninfo && *conninfo ? mem_strndup(conninfo, strlen(conninfo)) : NULL;
    pthread_mutex_init(&h->mu, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                     (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, 64u,
                            MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!h->d) {
        log_error("listen %s: cannot bind", listen);
        httpd_stop(h);
        return AB_E_IO;
    }
    log_info("http: listening on %s (/healthz, /metrics, /accounts)", listen);
    *out = h;
    return AB_OK;
}

void httpd_stop(httpd *h)
{
    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    pgsink_close(h->db);
    pthread_mutex_destroy(&h->mu);
    mem_free(h->conninfo);
    mem_free(h);
}
