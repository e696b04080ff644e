/*
 * loop.c - libpq in non-blocking mode on a libuv loop.
 *
 * Data in: SQL with text parameters from the loop's thread.  Data out: one
 * PGresult per request, handed to its callback (NULL when the connection
 * was lost), and up/down events.
 *
 * The state machine follows the pitfalls of performance-anchors.md §6:
 *   - libuv polls a dup() of libpq's socket (F_DUPFD_CLOEXEC), so PQfinish
 *     never closes a descriptor an active poll handle still watches; one
 *     poll handle per socket, and a new handle when PQsocket changes
 *     between PQconnectPoll steps (libpq may open a new socket per host or
 *     SSL retry);
 *   - connecting starts by waiting for write readiness, and each attempt
 *     has a timeout (connect_timeout is not enforced in async mode);
 *   - after a send, PQflush until 0 with read and write both armed (the
 *     server may need us to read before it reads); WRITABLE is disarmed as
 *     soon as nothing is queued, or the loop would spin;
 *   - on readable: PQconsumeInput, and PQgetResult only while !PQisBusy
 *     (PQgetResult blocks otherwise).  READABLE stays armed while idle,
 *     which is how a server shutdown is noticed without a query.
 * Invariants: at most one request is in flight (cur); requests are
 * answered in the order they were sent; callbacks never see a half state
 * (st is updated before any callback runs).
 */
#include "loop.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"

#define BACKOFF_MIN_MS 100u

enum pl_state { PL_DOWN, PL_CONNECTING, PL_UP };

typedef struct watch {
    uv_poll_t h;
    int fd;     /* our dup of sock */
    int sock;   /* libpq's descriptor it mirrors */
} watch;

typedef struct req {
    char *sql;
    char *params[PGLOOP_PARAMS];
    int nparams;
    pgloop_result_fn cb;
    void *ctx;
} req;

struct pgloop {
    uv_loop_t *loop;
    char *conninfo;
    PGconn *conn;
    watch *w;
    uv_timer_t timer;        /* connect timeout while connecting, backoff while down */
    enum pl_state st;
    unsigned backoff_ms, backoff_max_ms;
    req q[PGLOOP_QUEUE];     /* ring: head .. head+n */
    unsigned head, n;
    req cur;                 /* in flight when cur.sql */
    PGresult *res;           /* last result of cur */
    pgloop_state_fn on_state;
    void *ctx;
    int said_down;           /* the outage was logged once */
};

static void on_poll(uv_poll_t *h, int status, int events);

static void free_req(req *r)
{
    mem_free(r->sql);
    for (int i = 0; i < r->nparams; i++)
        mem_free(r->params[i]);
    memset(r, 0, sizeof *r);
}

static void watch_closed(uv_handle_t *h)
{
    watch *w = (watch *)h;
    close(w->fd);
    mem_free(w);
}

static void unwatch(pgloop *p)
{
    if (!p->w)
        return;
    uv_poll_stop(&p->w->h);
    uv_close((uv_handle_t *)&p->w->h, watch_closed);
    p->w = NULL;
}

/* Arms the poll handle on libpq's current socket, replacing it when the
 * socket changed. */
static int arm(pgloop *p, int events)
{
    int sock = PQsocket(p->conn);
    if (sock < 0)
        return AB_E_DB;
    if (p->w && p->w->sock != sock)
        unwatch(p);
    if (!p->w) {
        watch *w = mem_calloc(1, sizeof *w);
        if (!w)
            return AB_E_NOMEM;
        w->sock = sock;
        if ((w->fd = fcntl(sock, F_DUPFD_CLOEXEC, 0)) < 0) {
            mem_free(w);
            return AB_E_IO;
        }
        if (uv_poll_init(p->loop, &w->h, w->fd) < 0) {
            close(w->fd);
            mem_free(w);
            return AB_E_IO;
        }
        w->h.data = p;
        p->w = w;
    }
    return uv_poll_start(&p->w->h, events, on_poll) < 0 ? AB_E_IO : AB_OK;
}

static void on_timer(uv_timer_t *t);
static void pump(pgloop *p);

/* The connection is gone (or never came): answer what waits with NULL,
 * and try again after the backoff. */
static void lost(pgloop *p)
{
    int was_up = p->st == PL_UP;
    if (!p->said_down)
        log_warn("database: %s", p->conn ? PQerrorMessage(p->conn) : "cannot connect");
    p->said_down = 1;
    p->st = PL_DOWN;
    unwatch(p);
    if (p->conn)
        PQfinish(p->conn);
    p->conn = NULL;
    PQclear(p->res);
    p->res = NULL;
    uv_timer_start(&p->timer, on_timer, p->backoff_ms, 0);
    p->backoff_ms = p->backoff_ms * 2 > p->backoff_max_ms ? p->backoff_max_ms : p->backoff_ms * 2;
    if (p->cur.sql) {
        req r = p->cur;
        memset(&p->cur, 0, sizeof p->cur);
        r.cb(r.ctx, NULL);
        free_req(&r);
    }
    while (p->n) {
        req r = p->q[p->head];
        p->head = (p->head + 1) % PGLOOP_QUEUE;
        p->n--;
        r.cb(r.ctx, NULL);
        free_req(&r);
    }
    if (was_up && p->on_state)
        p->on_state(p->ctx, 0);
}

static void start_connect(pgloop *p)
{
    const char *keys[] = {"dbname", "application_name", "client_encoding", NULL};
    const char *vals[] = {p->conninfo, "abgleich", "UTF8", NULL};
    p->conn = PQconnectStartParams(keys, vals, 1);
    if (!p->conn || PQstatus(p->conn) == CONNECTION_BAD || arm(p, UV_WRITABLE) < 0) {
        lost(p);
        return;
    }
    p->st = PL_CONNECTING;
    uv_timer_start(&p->timer, on_timer, PGLOOP_CONNECT_TIMEOUT_MS, 0);
}

static void on_timer(uv_timer_t *t)
{
    pgloop *p = t->data;
    if (p->st == PL_DOWN)
        start_connect(p);
    else if (p->st == PL_CONNECTING)
        lost(p); /* timed out */
}

static void connect_step(pgloop *p)
{
    switch (PQconnectPoll(p->conn)) {
    case PGRES_POLLING_READING:
        if (arm(p, UV_READABLE) < 0)
            lost(p);
        return;
    case PGRES_POLLING_WRITING:
        if (arm(p, UV_WRITABLE) < 0)
            lost(p);
        return;
    case PGRES_POLLING_OK:
        break;
    default:
        lost(p);
        return;
    }
    uv_timer_stop(&p->timer);
    if (PQsetnonblocking(p->conn, 1) != 0 || arm(p, UV_READABLE) < 0) {
        lost(p);
        return;
    }
    p->st = PL_UP;
    p->backoff_ms = BACKOFF_MIN_MS;
    if (p->said_down)
        log_info("database: connected again");
    p->said_down = 0;
    if (p->on_state)
        p->on_state(p->ctx, 1);
    pump(p);
}

/* Reads what arrived; completes the request in flight when its results
 * are all in.  Returns < 0 when the connection broke (lost() was called). */
static int drain(pgloop *p)
{
    if (!PQconsumeInput(p->conn)) {
        lost(p);
        return AB_E_DB;
    }
    PGnotify *nt;
    while ((nt = PQnotifies(p->conn)))
        PQfreemem(nt);
    while (p->cur.sql && !PQisBusy(p->conn)) {
        PGresult *r = PQgetResult(p->conn);
        if (r) {
            PQclear(p->res);
            p->res = r;
            continue;
        }
        req done = p->cur;
        PGresult *res = p->res;
        memset(&p->cur, 0, sizeof p->cur);
        p->res = NULL;
        if (!res) /* no result at all: treat as a broken connection */
            res = PQmakeEmptyPGresult(p->conn, PGRES_FATAL_ERROR);
        done.cb(done.ctx, res);
        PQclear(res);
        free_req(&done);
        if (p->st != PL_UP)
            return AB_E_DB; /* a callback closed or lost it */
        pump(p);
    }
    if (PQstatus(p->conn) == CONNECTION_BAD) {
        lost(p);
        return AB_E_DB;
    }
    return AB_OK;
}

static void flush(pgloop *p)
{
    int f = PQflush(p->conn);
    if (f < 0 || arm(p, f ? UV_READABLE | UV_WRITABLE : UV_READABLE) < 0)
        lost(p);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    pgloop *p = h->data;
    if (status < 0) {
        lost(p);
        return;
    }
    if (p->st == PL_CONNECTING) {
        connect_step(p);
        return;
    }
    if (p->st != PL_UP)
        return;
    if ((events & UV_READABLE) && drain(p) < 0)
        return;
    if (p->cur.sql)
        flush(p); /* the server may have waited for us to read before it reads */
}

static void pump(pgloop *p)
{
    if (p->st != PL_UP || p->cur.sql || !p->n)
        return;
    p->cur = p->q[p->head];
    p->head = (p->head + 1) % PGLOOP_QUEUE;
    p->n--;
    if (!PQsendQueryParams(p->conn, p->cur.sql, p->cur.nparams, NULL,
                           (const char *const *)p->cur.params, NULL, NULL, 0)) {
        lost(p);
        return;
    }
    flush(p);
}

int pgloop_send(pgloop *p, const char *sql, int nparams, const char *const *params,
                pgloop_result_fn cb, void *ctx)
{
    if (p->st != PL_UP)
        return AB_E_DB;
    if (p->n >= PGLOOP_QUEUE || nparams < 0 || (unsigned)nparams > PGLOOP_PARAMS)
        return AB_E_LIMIT;
    req r = {.nparams = nparams, .cb = cb, .ctx = ctx};
    if (!(r.sql = mem_strndup(sql, strlen(sql))))
        return AB_E_NOMEM;
    for (int i = 0; i < nparams; i++)
        if (params[i] && !(r.params[i] = mem_strndup(params[i], strlen(params[i])))) {
            free_req(&r);
            return AB_E_NOMEM;
        }
    p->q[(p->head + p->n) % PGLOOP_QUEUE] = r;
    p->n++;
    pump(p);
    return AB_OK;
}

int pgloop_create(pgloop **out, uv_loop_t *loop, const char *conninfo, unsigned backoff_max_ms,
                  pgloop_state_fn on_state, void *ctx)
{
    pgloop *p = mem_calloc(1, sizeof *p);
    if (!p)
        return AB_E_NOMEM;
    if (!(p->conninfo = mem_strndup(conninfo, strlen(conninfo)))) {
        mem_free(p);
        return AB_E_NOMEM;
    }
    p->loop = loop;
    p->on_state = on_state;
    p->ctx = ctx;
    p->backoff_ms = BACKOFF_MIN_MS;
    p->backoff_max_ms = backoff_max_ms < BACKOFF_MIN_MS ? BACKOFF_MIN_MS : backoff_max_ms;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    start_connect(p);
    *out = p;
    return AB_OK;
}

int pgloop_up(const pgloop *p)
{
    return p && p->st == PL_UP;
}

unsigned pgloop_pending(const pgloop *p)
{
    return p->n + (p->cur.sql ? 1u : 0u);
}

static void timer_closed(uv_handle_t *h)
{
    pgloop *p = h->data;
    mem_free(p->conninfo);
    mem_free(p);
}

void pgloop_close(pgloop *p)
{
    if (!p)
        return;
    unwatch(p);
    if (p->conn)
        PQfinish(p->conn);
    p->conn = NULL;
    PQclear(p->res);
    p->res = NULL;
    free_req(&p->cur);
    while (p->n) {
        free_req(&p->q[p->head]);
        p->head = (p->head + 1) % PGLOOP_QUEUE;
        p->n--;
    }
    p->st = PL_DOWN;
    uv_close((uv_handle_t *)&p->timer, timer_closed);
}
