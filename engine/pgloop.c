/*
 * pgloop.c - libpq in non-blocking mode on a libuv loop (see pgloop.h).
 *
 * States: DOWN (waiting for the retry timer), CONNECTING (PQconnectPoll
 * steps, each waiting for the socket as libpq asks), UP (one query in
 * flight at most, the rest in a ring).  The socket is watched for reading
 * while idle too, so that a server that goes away is noticed at once, not
 * at the next query.  libpq may change its socket while connecting (several
 * hosts or addresses), so a uv_poll handle belongs to one socket and is
 * replaced when the socket changes.  Allocation happens per query, on the
 * control path only (a few queries a second).
 */
#include "pgloop.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "log.h"
#include "mem.h"

enum pl_state { PL_DOWN, PL_CONNECTING, PL_UP };

typedef struct pl_item {
    char *sql;
    int n;
    char **params;
    pgloop_cb cb;
    void *arg;
} pl_item;

struct pgloop {
    uv_loop_t *loop;
    char *conninfo;
    PGconn *conn;
    uv_poll_t *poll;
    int fd;
    enum pl_state st;
    bool busy, closing;
    PGresult *last;
    pl_item q[AB_PGLOOP_QUEUE];
    unsigned head, count;
    uv_timer_t retry, kick;
    unsigned backoff_ms, open_handles;
    pgloop_state_cb on_state;
    void *arg;
};

static void start_connect(pgloop *pl);
static void on_poll(uv_poll_t *h, int status, int events);
static void on_retry(uv_timer_t *t);

static void item_free(pl_item *it)
{
    for (int i = 0; i < it->n; i++)
        mem_free(it->params[i]);
    mem_free(it->params);
    mem_free(it->sql);
    memset(it, 0, sizeof *it);
}

/* Pops the oldest query and answers it. */
static void answer(pgloop *pl, const PGresult *res, const char *err)
{
    assert(pl->count > 0);
    pl_item it = pl->q[pl->head];
    memset(&pl->q[pl->head], 0, sizeof it);
    pl->head = (pl->head + 1) % AB_PGLOOP_QUEUE;
    pl->count--;
    if (it.cb)
        it.cb(it.arg, res, err);
    item_free(&it);
}

static void fail_all(pgloop *pl, const char *why)
{
    while (pl->count > 0)
        answer(pl, NULL, why);
}

static void on_poll_closed(uv_handle_t *h)
{
    mem_free(h);
}

static void drop_poll(pgloop *pl)
{
    if (pl->poll) {
        uv_poll_stop(pl->poll);
        uv_close((uv_handle_t *)pl->poll, on_poll_closed);
        pl->poll = NULL;
    }
    pl->fd = -1;
}

static void watch(pgloop *pl, int events)
{
    int fd = PQsocket(pl->conn);
    if (fd != pl->fd)
        drop_poll(pl);
    if (!pl->poll) {
        uv_poll_t *p = mem_alloc(sizeof *p);
        if (!p || uv_poll_init(pl->loop, p, fd) != 0) {
            mem_free(p);
            log_error("database: cannot watch the connection's socket");
            return;
        }
        p->data = pl;
        pl->poll = p;
        pl->fd = fd;
    }
    uv_poll_start(pl->poll, events, on_poll);
}

/* The connection is gone: answer everything, try again later. */
static void went_down(pgloop *pl, const char *why)
{
    bool was_up = pl->st == PL_UP;
    char msg[AB_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s", why && *why ? why : "database unreachable");
    msg[strcspn(msg, "\n")] = '\0';
    drop_poll(pl);
    if (pl->conn)
        PQfinish(pl->conn);
    pl->conn = NULL;
    PQclear(pl->last);
    pl->last = NULL;
    pl->busy = false;
    pl->st = PL_DOWN;
    fail_all(pl, msg);
    if (was_up) {
        log_warn("database: connection lost (%s); reconnecting", msg);
        if (pl->on_state)
            pl->on_state(pl->arg, false);
    }
    if (!pl->closing) {
        uv_timer_start(&pl->retry, on_retry, pl->backoff_ms, 0);
        pl->backoff_ms = pl->backoff_ms >= 2500 ? 5000 : pl->backoff_ms * 2;
    }
}

static void flush(pgloop *pl)
{
    int r = PQflush(pl->conn);
    if (r < 0)
        went_down(pl, PQerrorMessage(pl->conn));
    else
        watch(pl, r == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

static void pump(pgloop *pl)
{
    if (pl->st != PL_UP || pl->busy || pl->count == 0)
        return;
    pl_item *it = &pl->q[pl->head];
    if (!PQsendQueryParams(pl->conn, it->sql, it->n, NULL, (const char *const *)it->params,
                           NULL, NULL, 0)) {
        went_down(pl, PQerrorMessage(pl->conn));
        return;
    }
    pl->busy = true;
    flush(pl);
}

static void finish_query(pgloop *pl)
{
    ExecStatusType st = pl->last ? PQresultStatus(pl->last) : PGRES_FATAL_ERROR;
    pl->busy = false;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        answer(pl, pl->last, NULL);
    } else {
        char msg[AB_ERRMSG_MAX];
        snprintf(msg, sizeof msg, "%s",
                 pl->last ? PQresultErrorMessage(pl->last) : PQerrorMessage(pl->conn));
        msg[strcspn(msg, "\n")] = '\0';
        answer(pl, NULL, msg);
    }
    PQclear(pl->last);
    pl->last = NULL;
    if (PQstatus(pl->conn) == CONNECTION_BAD)
        went_down(pl, PQerrorMessage(pl->conn));
    else
        pump(pl);
}

static void read_input(pgloop *pl)
{
    if (!PQconsumeInput(pl->conn)) {
        went_down(pl, PQerrorMessage(pl->conn));
        return;
    }
    PGnotify *n;
    while ((n = PQnotifies(pl->conn)))
        PQfreemem(n);
    while (pl->busy && !PQisBusy(pl->conn)) {
        PGresult *r = PQgetResult(pl->conn);
        if (!r) {
            finish_query(pl);
            return;
        }
        PQclear(pl->last);
        pl->last = r;
    }
}

static void step_connect(pgloop *pl)
{
    PostgresPollingStatusType r = PQconnectPoll(pl->conn);
    if (r == PGRES_POLLING_FAILED) {
        log_debug("database: connect failed: %s", PQerrorMessage(pl->conn));
        went_down(pl, PQerrorMessage(pl->conn));
        return;
    }
    if (r != PGRES_POLLING_OK) {
        watch(pl, r == PGRES_POLLING_READING ? UV_READABLE : UV_WRITABLE);
        return;
    }
    PQsetnonblocking(pl->conn, 1);
    pl->st = PL_UP;
    pl->backoff_ms = 100;
    log_info("database: connected");
    if (pl->on_state)
        pl->on_state(pl->arg, true);
    watch(pl, UV_READABLE);
    pump(pl);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    pgloop *pl = h->data;
    if (pl->st == PL_CONNECTING) {
        step_connect(pl);
        return;
    }
    if (pl->st != PL_UP)
        return;
    if (status < 0) {
        went_down(pl, uv_strerror(status));
        return;
    }
    if ((events & UV_WRITABLE) && pl->busy) {
        flush(pl);
        if (pl->st != PL_UP)
            return;
    }
    if (events & UV_READABLE)
        read_input(pl);
}

static void start_connect(pgloop *pl)
{
    const char *keys[] = {"dbname", "application_name", "client_encoding", NULL};
    const char *vals[] = {pl->conninfo, "abgleich-serve", "UTF8", NULL};
    pl->conn = PQconnectStartParams(keys, vals, 1);
    if (!pl->conn || PQstatus(pl->conn) == CONNECTION_BAD) {
        went_down(pl, pl->conn ? PQerrorMessage(pl->conn) : "out of memory");
        return;
    }
    pl->st = PL_CONNECTING;
    watch(pl, UV_WRITABLE);
}

static void on_retry(uv_timer_t *t)
{
    start_connect(t->data);
}

static void on_kick(uv_timer_t *t)
{
    pgloop *pl = t->data;
    if (pl->st == PL_DOWN)
        fail_all(pl, "database unreachable");
}

int pgloop_open(pgloop **out, uv_loop_t *loop, const char *conninfo, pgloop_state_cb on_state,
                void *arg)
{
    *out = NULL;
    if (!conninfo || !*conninfo)
        conninfo = getenv("ABGLEICH_DB");
    pgloop *pl = mem_calloc(1, sizeof *pl);
    if (!pl)
        return AB_E_NOMEM;
    pl->conninfo = mem_strndup(conninfo ? conninfo : "", strlen(conninfo ? conninfo : ""));
    if (!pl->conninfo) {
        mem_free(pl);
        return AB_E_NOMEM;
    }
    pl->loop = loop;
    pl->fd = -1;
    pl->backoff_ms = 100;
    pl->on_state = on_state;
    pl->arg = arg;
    uv_timer_init(loop, &pl->retry);
    uv_timer_init(loop, &pl->kick);
    pl->retry.data = pl->kick.data = pl;
    pl->open_handles = 2;
    start_connect(pl);
    *out = pl;
    return AB_OK;
}

static char *dup_or_null(const char *s)
{
    return s ? mem_strndup(s, strlen(s)) : NULL;
}

int pgloop_query(pgloop *pl, const char *sql, int nparams, const char *const *params,
                 pgloop_cb cb, void *arg)
{
    if (pl->count == AB_PGLOOP_QUEUE || pl->closing)
        return AB_E_NOMEM;
    pl_item it = {.sql = mem_strndup(sql, strlen(sql)), .n = nparams, .cb = cb, .arg = arg};
    it.params = nparams ? mem_calloc((size_t)nparams, sizeof(char *)) : NULL;
    if (!it.sql || (nparams && !it.params)) {
        item_free(&it);
        return AB_E_NOMEM;
    }
    for (int i = 0; i < nparams; i++)
        if (params[i] && !(it.params[i] = dup_or_null(params[i]))) {
            item_free(&it);
            return AB_E_NOMEM;
        }
    pl->q[(pl->head + pl->count) % AB_PGLOOP_QUEUE] = it;
    pl->count++;
    if (pl->st == PL_DOWN)
        uv_timer_start(&pl->kick, on_kick, 0, 0);
    else
        pump(pl);
    return AB_OK;
}

bool pgloop_up(const pgloop *pl)
{
    return pl && pl->st == PL_UP;
}

unsigned pgloop_pending(const pgloop *pl)
{
    return pl ? pl->count : 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    pgloop *pl = h->data;
    if (--pl->open_handles == 0) {
        mem_free(pl->conninfo);
        mem_free(pl);
    }
}

void pgloop_close(pgloop *pl)
{
    if (!pl)
        return;
    pl->closing = true;
    uv_timer_stop(&pl->retry);
    bool was_up = pl->st == PL_UP;
    pl->st = PL_DOWN;
    drop_poll(pl);
    if (pl->conn)
        PQfinish(pl->conn);
    pl->conn = NULL;
    PQclear(pl->last);
    pl->last = NULL;
    fail_all(pl, "closing");
    (void)was_up;
    uv_close((uv_handle_t *)&pl->retry, on_timer_closed);
    uv_close((uv_handle_t *)&pl->kick, on_timer_closed);
}
