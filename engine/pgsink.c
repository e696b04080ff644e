/*
 * pgsink.c - libpq connection, migrations and the COPY writer.
 *
 * Data in: SQL text, COPY rows built field by field, the embedded
 * migrations (migrations.h).  Data out: query results (PGresult, owned by
 * the caller) and COPY TO lines handed to a callback.
 *
 * The COPY writer keeps two buffers of AB_COPY_BUF_BYTES, allocated once at
 * connect time.  Field calls escape straight into the current one; end_row
 * hands it to the connection's sender thread once it passes half its size
 * (COPY data need not be cut at row boundaries, so a long field may also
 * flush mid-row) and goes on filling the other.  The sender only calls
 * PQputCopyData, which blocks while the server is busy: without it the
 * caller's formatting and the server's work took turns (bench sink: 0.64-0.90
 * of a raw COPY of the same bytes; docs/benchmarks.md).  A COPY opened with
 * pgsink_copy_begin_binary takes the same field calls in PostgreSQL's binary
 * format (a field count per row, a length per field, network byte order);
 * its integers need the typed calls, whose width must match the column.
 *
 * Invariants:
 *   - at most one COPY stream is open (copy_open); no other statement is
 *     sent while it is;
 *   - the sender touches the connection only while it holds a job; every
 *     other use of the connection first waits until it holds none (sync);
 *   - errors of a COPY stream are sticky: after the first failure every
 *     field call is a no-op and copy_finish returns AB_E_DB with the
 *     server's message, so the hot path checks nothing per field;
 *   - err always holds one line (newlines and tabs folded to spaces).
 */
#include "pgsink.h"

#include <assert.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "log.h"
#include "mem.h"
#include "migrations.h"

/* The COPY sender thread of one connection. */
typedef struct sender {
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const char *job;      /* bytes being sent, NULL when idle */
    size_t job_len;
    int failed;           /* PQputCopyData failed; err says why */
    int quit;
    char err[AB_ERRMSG_MAX];
} sender;

struct pgsink {
    PGconn *conn;
    char *buf;            /* the COPY buffer being filled: bufs[cur] */
    char *bufs[2];        /* AB_COPY_BUF_BYTES each */
    int cur;
    sender snd;
    size_t len;           /* bytes in buf */
    int copy_open;        /* a COPY FROM STDIN is in progress */
    int copy_failed;      /* sticky: the stream is broken */
    int copy_local_err;   /* the failure is ours, not the server's */
    unsigned row_fields;  /* fields put into the current row */
    int binary;           /* the open COPY is in binary format */
    unsigned ncols;       /* binary: fields per row */
    pgsink_precommit_fn precommit;  /* run once by the next commit */
    void *precommit_ctx;
    char err[AB_ERRMSG_MAX];
    char state[6];        /* SQLSTATE of the server's last error, "" if none */
};

/* Flush threshold: a row never has to wait for a second buffer. */
#define COPY_FLUSH_AT (AB_COPY_BUF_BYTES / 2)

static void set_err(pgsink *s, const char *msg)
{
    s->state[0] = '\0';
    if (!msg || !*msg)
        msg = "unknown database error";
    snprintf(s->err, sizeof s->err, "%s", msg);
    /* One line: libpq messages end in newlines and carry DETAIL lines. */
    char *o = s->err;
    int space = 0;
    for (const char *p = s->err; *p; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
            space = o != s->err;
            continue;
        }
        if (space)
            *o++ = ' ';
        space = 0;
        *o++ = *p;
    }
    *o = '\0';
}

/* The server's error of a result (or the connection's, without one). */
static void set_res_err(pgsink *s, const PGresult *r)
{
    set_err(s, r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(s->state, sizeof s->state, "%s", st ? st : "");
}

/* Server notices and warnings go through the log, one line each. */
static void on_notice(void *arg, const char *message)
{
    char line[AB_ERRMSG_MAX];
    snprintf(line, sizeof line, "%s", message);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
        line[--n] = '\0';
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    /* "WARNING:  text" -> "text": the log says the severity already. */
    const char *text = strstr(line, ":  ");
    text = text && text - line < 16 ? text + 3 : line;
    log_warn("database: %s", text);
}

/* --- the COPY sender ---------------------------------------------------- */

static void copy_fail(pgsink *s, const char *msg, int local);

static void *sender_main(void *arg)
{
    pgsink *s = arg;
    sender *d = &s->snd;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->job && !d->quit)
            pthread_cond_wait(&d->cv, &d->mu);
        if (!d->job)
            break;
        const char *job = d->job;
        size_t n = d->job_len;
        pthread_mutex_unlock(&d->mu);
        int ok = PQputCopyData(s->conn, job, (int)n) == 1;
        pthread_mutex_lock(&d->mu);
        if (!ok && !d->failed) {
            d->failed = 1;
            snprintf(d->err, sizeof d->err, "%s", PQerrorMessage(s->conn));
        }
        d->job = NULL;
        pthread_cond_broadcast(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static int sender_start(pgsink *s)
{
    sender *d = &s->snd;
    if (d->started)
        return AB_OK;
    if (pthread_mutex_init(&d->mu, NULL) != 0)
        return AB_E_NOMEM;
    if (pthread_cond_init(&d->cv, NULL) != 0) {
        pthread_mutex_destroy(&d->mu);
        return AB_E_NOMEM;
    }
    if (pthread_create(&d->thread, NULL, sender_main, s) != 0) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        return AB_E_NOMEM;
    }
    d->started = 1;
    return AB_OK;
}

static void sender_stop(pgsink *s)
{
    sender *d = &s->snd;
    if (!d->started)
        return;
    pthread_mutex_lock(&d->mu);
    d->quit = 1;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    d->started = 0;
}

/* Waits until the sender holds no job; its failure, if any, becomes the
 * stream's.  After this the caller may use the connection. */
static int sync_sender(pgsink *s)
{
    sender *d = &s->snd;
    if (!d->started)
        return AB_OK;
    pthread_mutex_lock(&d->mu);
    while (d->job)
        pthread_cond_wait(&d->cv, &d->mu);
    int failed = d->failed;
    char err[AB_ERRMSG_MAX];
    if (failed)
        snprintf(err, sizeof err, "%s", d->err);
    d->failed = 0;
    pthread_mutex_unlock(&d->mu);
    if (failed)
        copy_fail(s, err, 0);
    return failed ? AB_E_DB : AB_OK;
}

static int connect_params(pgsink **out, const char *const *keys, const char *const *vals,
                          int expand)
{
    pgsink *s = mem_calloc(1, sizeof *s);
    *out = s;
    if (!s)
        return AB_E_NOMEM;
    s->bufs[0] = mem_alloc(AB_COPY_BUF_BYTES);
    s->bufs[1] = mem_alloc(AB_COPY_BUF_BYTES);
    if (!s->bufs[0] || !s->bufs[1]) {
        set_err(s, "out of memory");
        return AB_E_NOMEM;
    }
    s->buf = s->bufs[0];
    s->conn = PQconnectdbParams(keys, vals, expand);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        set_err(s, s->conn ? PQerrorMessage(s->conn) : "cannot allocate a connection");
        return AB_E_DB;
    }
    PQsetNoticeProcessor(s->conn, on_notice, s);
    PGresult *r = PQexec(s->conn, "SET client_min_messages = warning");
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? AB_OK : AB_E_DB;
    if (rc < 0)
        set_res_err(s, r);
    PQclear(r);
    return rc;
}

int pgsink_connect(pgsink **out, const char *conninfo)
{
    if (!conninfo)
        conninfo = getenv("ABGLEICH_DB");
    if (!conninfo)
        conninfo = "";
    /* dbname is expanded when it is a conninfo string or URI; an empty
     * value falls back to PGDATABASE and the other PG* variables. */
    const char *keys[] = {"dbname", "application_name", "client_encoding", NULL};
    const char *vals[] = {conninfo, "abgleich", "UTF8", NULL};
    return connect_params(out, keys, vals, 1);
}

int pgsink_connect_again(pgsink **out, const pgsink *like)
{
    PGconn *c = like->conn;
    const char *keys[] = {"host", "port", "user", "password", "dbname",
                          "application_name", "client_encoding", NULL};
    const char *vals[] = {PQhost(c), PQport(c), PQuser(c), PQpass(c), PQdb(c),
                          "abgleich", "UTF8", NULL};
    return connect_params(out, keys, vals, 0);
}

void pgsink_close(pgsink *s)
{
    if (!s)
        return;
    sender_stop(s);
    if (s->conn)
        PQfinish(s->conn);
    mem_free(s->bufs[0]);
    mem_free(s->bufs[1]);
    mem_free(s);
}

const char *pgsink_sqlstate(const pgsink *s)
{
    return s ? s->state : "";
}

const char *pgsink_error(const pgsink *s)
{
    if (!s)
        return "out of memory";
    return s->err[0] ? s->err : "no error";
}

static int check(pgsink *s, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    if (r && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY))
        return AB_OK;
    set_res_err(s, r);
    return AB_E_DB;
}

/* A statement may only be sent on a live connection outside a COPY. */
static int ready(pgsink *s)
{
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        set_err(s, s->conn ? PQerrorMessage(s->conn) : "not connected");
        return AB_E_DB;
    }
    if (s->copy_open) {
        set_err(s, "a COPY is in progress (internal error)");
        return AB_E_DB;
    }
    return AB_OK;
}

int pgsink_exec(pgsink *s, const char *sql)
{
    int rc = ready(s);
    if (rc < 0)
        return rc;
    PGresult *r = PQexec(s->conn, sql);
    rc = check(s, r);
    PQclear(r);
    return rc;
}

int pgsink_query(pgsink *s, const char *sql, int nparams, const char *const *params,
                 pgsink_result **out)
{
    if (out)
        *out = NULL;
    int rc = ready(s);
    if (rc < 0)
        return rc;
    PGresult *r = PQexecParams(s->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    rc = check(s, r);
    if (rc < 0 || !out) {
        PQclear(r);
        return rc;
    }
    *out = (pgsink_result *)r;
    return AB_OK;
}

int pgsink_session_user(pgsink *s, char *out, size_t n)
{
    pgsink_result *res = NULL;
    int rc = pgsink_query(s, "SELECT session_user", 0, NULL, &res);
    if (rc == AB_OK)
        snprintf(out, n, "%s", pgsink_result_value(res, 0, 0));
    pgsink_result_free(res);
    return rc;
}

int pgsink_result_rows(const pgsink_result *r)
{
    return PQntuples((const PGresult *)r);
}

const char *pgsink_result_value(const pgsink_result *r, int row, int col)
{
    return PQgetvalue((const PGresult *)r, row, col);
}

int pgsink_result_isnull(const pgsink_result *r, int row, int col)
{
    return PQgetisnull((const PGresult *)r, row, col);
}

void pgsink_result_free(pgsink_result *r)
{
    PQclear((PGresult *)r);
}

int pgsink_begin(pgsink *s)
{
    return pgsink_exec(s, "BEGIN");
}

int pgsink_commit(pgsink *s)
{
    pgsink_precommit_fn fn = s->precommit;
    s->precommit = NULL;
    if (fn) {
        int rc = fn(s, s->precommit_ctx);
        if (rc < 0)
            return rc;
    }
    return pgsink_exec(s, "COMMIT");
}

void pgsink_set_precommit(pgsink *s, pgsink_precommit_fn fn, void *ctx)
{
    s->precommit = fn;
    s->precommit_ctx = ctx;
}

int pgsink_alive(const pgsink *s)
{
    return s && s->conn && PQstatus(s->conn) == CONNECTION_OK;
}

/* Ends a COPY that is still open on the server and drains its results. */
static void abort_copy(pgsink *s, const char *why)
{
    (void)sync_sender(s);
    if (PQputCopyEnd(s->conn, why) == 1) {
        PGresult *r;
        while ((r = PQgetResult(s->conn)))
            PQclear(r);
    }
    s->copy_open = 0;
    s->len = 0;
}

void pgsink_rollback(pgsink *s)
{
    if (!s || !s->conn || PQstatus(s->conn) != CONNECTION_OK)
        return;
    if (s->copy_open)
        abort_copy(s, "aborted by abgleich");
    PGTransactionStatusType ts = PQtransactionStatus(s->conn);
    if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
        return; /* nothing to roll back; ROLLBACK would only warn */
    PGresult *r = PQexec(s->conn, "ROLLBACK");
    PQclear(r);
}

/* --- COPY FROM STDIN --------------------------------------------------- */

static int copy_begin(pgsink *s, const char *copy_sql, int binary, unsigned ncols);

int pgsink_copy_begin(pgsink *s, const char *copy_sql)
{
    return copy_begin(s, copy_sql, 0, 0);
}

static void put(pgsink *s, const char *p, size_t n);

/* The binary COPY header: signature, flags, no header extension. */
static const char copy_bin_header[] = "PGCOPY\n\377\r\n\0" "\0\0\0\0" "\0\0\0\0";

int pgsink_copy_begin_binary(pgsink *s, const char *copy_sql, unsigned ncols)
{
    assert(ncols > 0 && ncols < 0x7fff);
    int rc = copy_begin(s, copy_sql, 1, ncols);
    if (rc == AB_OK)
        put(s, copy_bin_header, sizeof copy_bin_header - 1); /* not the NUL */
    return rc;
}

static int copy_begin(pgsink *s, const char *copy_sql, int binary, unsigned ncols)
{
    int rc = ready(s);
    if (rc == AB_OK && sender_start(s) < 0) {
        set_err(s, "cannot start the COPY sender thread");
        rc = AB_E_NOMEM;
    }
    if (rc < 0)
        return rc;
    PGresult *r = PQexec(s->conn, copy_sql);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    if (!ok)
        set_res_err(s, r);
    PQclear(r);
    if (!ok)
        return AB_E_DB;
    s->copy_open = 1;
    s->copy_failed = 0;
    s->copy_local_err = 0;
    s->row_fields = 0;
    s->binary = binary;
    s->ncols = ncols;
    s->len = 0;
    return AB_OK;
}

static void copy_fail(pgsink *s, const char *msg, int local)
{
    if (s->copy_failed)
        return;
    set_err(s, msg);
    s->copy_failed = 1;
    s->copy_local_err = local;
}

/* Hands the filled buffer to the sender and switches to the other one,
 * which the sender has finished with (sync). */
static int flush(pgsink *s)
{
    if (s->copy_failed)
        return AB_E_DB;
    if (!s->len)
        return AB_OK;
    if (sync_sender(s) < 0)
        return AB_E_DB;
    sender *d = &s->snd;
    pthread_mutex_lock(&d->mu);
    d->job = s->buf;
    d->job_len = s->len;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    s->cur ^= 1;
    s->buf = s->bufs[s->cur];
    s->len = 0;
    return AB_OK;
}

/* Makes room for need bytes; 0 when the stream is usable. */
static int room(pgsink *s, size_t need)
{
    if (!s->copy_open) {
        copy_fail(s, "COPY field outside a COPY (internal error)", 1);
        return AB_E_DB;
    }
    if (s->copy_failed)
        return AB_E_DB;
    if (s->len + need > AB_COPY_BUF_BYTES)
        return flush(s);
    return AB_OK;
}

static void put(pgsink *s, const char *p, size_t n)
{
    if (room(s, n) < 0)
        return;
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

static void put_be(pgsink *s, uint64_t v, int bytes)
{
    char b[8];
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        b[i] = (char)(v & 0xff);
    put(s, b, (size_t)bytes);
}

/* Text: a tab between fields.  Binary: the row's field count before its
 * first field, and the field's length (-1 for NULL) before each. */
static void field_sep(pgsink *s, int32_t bin_len)
{
    if (s->binary) {
        if (!s->row_fields++)
            put_be(s, s->ncols, 2);
        put_be(s, (uint32_t)bin_len, 4);
        return;
    }
    if (s->row_fields++)
        put(s, "\t", 1);
}

/* The escape letter of c in COPY text format, 0 when c stays as it is. */
static char escape_letter(char c)
{
    switch (c) {
    case '\\': return '\\';
    case '\t': return 't';
    case '\n': return 'n';
    case '\r': return 'r';
    default: return 0;
    }
}

/* Copies runs without special bytes with memcpy: every ledger row carries
 * two explanation sentences, and a byte-at-a-time loop made the sink 20 %
 * slower than a raw COPY of the same rows (bench sink, docs/benchmarks.md). */
size_t pgsink_copy_escape(const char *v, size_t n, char *out, size_t outlen)
{
    size_t o = 0, i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && v[run] != '\\' && v[run] != '\t' && v[run] != '\n' && v[run] != '\r')
            run++;
        size_t take = run - i;
        if (take > outlen - o)
            take = outlen - o;
        memcpy(out + o, v + i, take);
        o += take;
        i += take;
        if (i < run || i == n)
            break;
        if (o + 2 > outlen)
            break;
        out[o++] = '\\';
        out[o++] = escape_letter(v[i++]);
    }
    return o;
}

/* Raw bytes in pieces: a field may be longer than the room left. */
static void put_long(pgsink *s, const char *v, size_t n)
{
    while (n) {
        if (room(s, 1) < 0)
            return;
        size_t take = AB_COPY_BUF_BYTES - s->len;
        if (take > n)
            take = n;
        memcpy(s->buf + s->len, v, take);
        s->len += take;
        v += take;
        n -= take;
    }
}

void pgsink_copy_str(pgsink *s, const char *v, size_t n)
{
    if (!v) {
        pgsink_copy_null(s);
        return;
    }
    if (s->binary) {
        assert(n <= INT32_MAX);
        field_sep(s, (int32_t)n);
        put_long(s, v, n);
        return;
    }
    field_sep(s, 0);
    /* Escape straight into the buffer, in pieces that surely fit. */
    while (n) {
        if (room(s, 64) < 0)
            return;
        size_t take = (AB_COPY_BUF_BYTES - s->len) / 2;
        if (take > n)
            take = n;
        s->len += pgsink_copy_escape(v, take, s->buf + s->len, AB_COPY_BUF_BYTES - s->len);
        v += take;
        n -= take;
    }
}

void pgsink_copy_cstr(pgsink *s, const char *v)
{
    pgsink_copy_str(s, v, v ? strlen(v) : 0);
}

/* Digits written backwards: snprintf's format parsing was a tenth of the
 * sink's client time (bench sink). */
void pgsink_copy_int(pgsink *s, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    if (s->binary) { /* the width must match the column: pgsink_copy_i64/i32 */
        copy_fail(s, "untyped integer in a binary COPY (internal error)", 1);
        return;
    }
    field_sep(s, 0);
    put(s, p, (size_t)(tmp + sizeof tmp - p));
}

void pgsink_copy_null(pgsink *s)
{
    field_sep(s, -1);
    if (!s->binary)
        put(s, "\\N", 2);
}

/* 2000-01-01, PostgreSQL's epoch for binary dates and timestamps, in days
 * and seconds after 1970-01-01. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_SECS (PG_EPOCH_DAYS * INT64_C(86400))

void pgsink_copy_i64(pgsink *s, int64_t v)
{
    if (!s->binary) {
        pgsink_copy_int(s, v);
        return;
    }
    field_sep(s, 8);
    put_be(s, (uint64_t)v, 8);
}

void pgsink_copy_i32(pgsink *s, int32_t v)
{
    if (!s->binary) {
        pgsink_copy_int(s, v);
        return;
    }
    field_sep(s, 4);
    put_be(s, (uint32_t)v, 4);
}

void pgsink_copy_date(pgsink *s, int32_t days)
{
    assert(s->binary);
    field_sep(s, 4);
    put_be(s, (uint32_t)(days - PG_EPOCH_DAYS), 4);
}

void pgsink_copy_timestamp(pgsink *s, int64_t secs)
{
    assert(s->binary);
    field_sep(s, 8);
    put_be(s, (uint64_t)((secs - PG_EPOCH_SECS) * 1000000), 8);
}

int pgsink_copy_bytes(pgsink *s, const char *data, size_t n)
{
    if (!s->copy_open || flush(s) < 0 || sync_sender(s) < 0)
        return AB_E_DB;
    while (n > 0) {
        int take = n > AB_COPY_BUF_BYTES ? (int)AB_COPY_BUF_BYTES : (int)n;
        if (PQputCopyData(s->conn, data, take) != 1) {
            copy_fail(s, PQerrorMessage(s->conn), 0);
            return AB_E_DB;
        }
        data += take;
        n -= (size_t)take;
    }
    return AB_OK;
}

int pgsink_copy_end_row(pgsink *s)
{
    if (s->binary) {
        if (s->row_fields != s->ncols)
            copy_fail(s, "binary COPY row with the wrong number of fields (internal error)", 1);
    } else {
        put(s, "\n", 1);
    }
    s->row_fields = 0;
    if (s->copy_failed)
        return AB_E_DB;
    if (s->len >= COPY_FLUSH_AT)
        return flush(s);
    return AB_OK;
}

int pgsink_copy_finish(pgsink *s)
{
    if (!s->copy_open) {
        if (!s->copy_failed)
            set_err(s, "no COPY in progress (internal error)");
        return AB_E_DB;
    }
    if (s->binary && !s->copy_failed)
        put_be(s, 0xffff, 2); /* the trailer: a field count of -1 */
    int rc = flush(s);
    if (sync_sender(s) < 0)
        rc = AB_E_DB;
    int local = s->copy_local_err;
    s->copy_open = 0;
    if (PQputCopyEnd(s->conn, rc < 0 ? "abgleich: COPY aborted" : NULL) != 1) {
        if (rc == AB_OK)
            set_err(s, PQerrorMessage(s->conn));
        rc = AB_E_DB;
    }
    /* The server's own error says more than a failed send; ours stays. */
    PGresult *r;
    while ((r = PQgetResult(s->conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !local) {
            if (rc == AB_OK || s->copy_failed)
                set_res_err(s, r);
            local = 1;
            rc = AB_E_DB;
        }
        PQclear(r);
    }
    s->len = 0;
    return rc;
}

/* --- COPY TO STDOUT ---------------------------------------------------- */

/* Reads the results that end a COPY TO; keeps rc's first error. */
static int drain_out(pgsink *s, int rc)
{
    PGresult *r;
    while ((r = PQgetResult(s->conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == AB_OK) {
            set_res_err(s, r);
            rc = AB_E_DB;
        }
        PQclear(r);
    }
    return rc;
}

int pgsink_copy_out(pgsink *s, const char *copy_sql, pgsink_line_fn fn, void *ctx)
{
    int rc = ready(s);
    if (rc < 0)
        return rc;
    PGresult *r = PQexec(s->conn, copy_sql);
    if (PQresultStatus(r) != PGRES_COPY_OUT) {
        set_res_err(s, r);
        PQclear(r);
        return AB_E_DB;
    }
    PQclear(r);
    char *line;
    int n;
    /* Keep reading after a callback error: the protocol must be drained. */
    while ((n = PQgetCopyData(s->conn, &line, 0)) > 0) {
        if (rc == AB_OK) {
            size_t len = (size_t)n;
            if (len && line[len - 1] == '\n')
                line[--len] = '\0';
            rc = fn(ctx, line, len);
            if (rc < 0)
                set_err(s, "COPY TO: a line was refused");
        }
        PQfreemem(line);
    }
    if (n == -2 && rc == AB_OK) {
        set_err(s, PQerrorMessage(s->conn));
        rc = AB_E_DB;
    }
    return drain_out(s, rc);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes the escape at f[i] (just after the backslash) into *out;
 * returns the index of its last byte. */
static size_t unescape_one(const char *f, size_t n, size_t i, char *out)
{
    char c = f[i];
    if (c >= '0' && c <= '7') {
        int v = 0;
        size_t k = i;
        for (; k < n && k < i + 3 && f[k] >= '0' && f[k] <= '7'; k++)
            v = v * 8 + (f[k] - '0');
        *out = (char)v;
        return k - 1;
    }
    if (c == 'x' && i + 1 < n && hexval(f[i + 1]) >= 0) {
        int v = hexval(f[i + 1]);
        size_t k = i + 1;
        if (k + 1 < n && hexval(f[k + 1]) >= 0)
            v = v * 16 + hexval(f[++k]);
        *out = (char)v;
        return k;
    }
    switch (c) {
    case 't': *out = '\t'; break;
    case 'n': *out = '\n'; break;
    case 'r': *out = '\r'; break;
    case 'b': *out = '\b'; break;
    case 'f': *out = '\f'; break;
    case 'v': *out = '\v'; break;
    default: *out = c; break; /* \\ and any other character stand for themselves */
    }
    return i;
}

/* Unescapes f[0..n) in place; returns the new length (never longer). */
static size_t unescape(char *f, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i] != '\\' || i + 1 == n) {
            f[o++] = f[i];
            continue;
        }
        i = unescape_one(f, n, i + 1, &f[o]);
        o++;
    }
    return o;
}

int pgsink_copy_split(char *line, size_t n, char **fields, size_t *lens, int max)
{
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n && k < max; i++) {
        if (i < n && line[i] != '\t')
            continue;
        char *f = line + start;
        size_t len = i - start;
        if (len == 2 && f[0] == '\\' && f[1] == 'N') {
            fields[k] = NULL;
            lens[k] = 0;
        } else {
            lens[k] = unescape(f, len);
            f[lens[k]] = '\0';
            fields[k] = f;
        }
        k++;
        start = i + 1;
    }
    return k;
}

/* --- migrations -------------------------------------------------------- */

/* The embedded list must name each version once, in ascending order. */
static int check_embedded(pgsink *s)
{
    for (size_t i = 1; i < sql_migrations_count; i++) {
        if (sql_migrations[i].version <= sql_migrations[i - 1].version) {
            char msg[AB_ERRMSG_MAX];
            snprintf(msg, sizeof msg, "migrations %s and %s share a version number",
                     sql_migrations[i - 1].name, sql_migrations[i].name);
            set_err(s, msg);
            return AB_E_DB;
        }
    }
    return AB_OK;
}

/* 1 when m is recorded in done, 0 when not; AB_E_DB when its version is
 * recorded under another file name (two migrations claim one number). */
static int recorded(pgsink *s, const pgsink_result *done, const sql_migration *m)
{
    for (int i = 0; i < pgsink_result_rows(done); i++) {
        if (atoi(pgsink_result_value(done, i, 0)) != m->version)
            continue;
        const char *name = pgsink_result_value(done, i, 1);
        if (!strcmp(name, m->name))
            return 1;
        char msg[AB_ERRMSG_MAX];
        snprintf(msg, sizeof msg, "migration %d is recorded as %s, but this abgleich has %s",
                 m->version, name, m->name);
        set_err(s, msg);
        return AB_E_DB;
    }
    return 0;
}

/* Warns about versions the database has and this binary does not. */
static void warn_unknown(const pgsink_result *done)
{
    for (int i = 0; i < pgsink_result_rows(done); i++) {
        int v = atoi(pgsink_result_value(done, i, 0));
        size_t k = 0;
        while (k < sql_migrations_count && sql_migrations[k].version != v)
            k++;
        if (k == sql_migrations_count)
            log_warn("the database has migration %s, which this abgleich does not know;"
                     " is it older than the schema?", pgsink_result_value(done, i, 1));
    }
}

static int apply_one(pgsink *s, const sql_migration *m)
{
    char ver[16];
    snprintf(ver, sizeof ver, "%d", m->version);
    const char *params[] = {ver, m->name};
    int rc = pgsink_begin(s);
    if (rc == AB_OK)
        rc = pgsink_exec(s, m->sql);
    if (rc == AB_OK)
        rc = pgsink_query(s, "INSERT INTO abgleich.schema_migrations (version, name)"
                             " VALUES ($1::int, $2)", 2, params, NULL);
    if (rc == AB_OK)
        rc = pgsink_commit(s);
    if (rc < 0) {
        char msg[AB_ERRMSG_MAX];
        snprintf(msg, sizeof msg, "migration %s: %s", m->name, s->err);
        set_err(s, msg);
        pgsink_rollback(s);
    }
    return rc;
}

static const char bootstrap_sql[] =
    "CREATE SCHEMA IF NOT EXISTS abgleich;"
    "CREATE TABLE IF NOT EXISTS abgleich.schema_migrations ("
    " version int PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* Applies what is missing; the caller holds the migration lock. */
static int migrate_locked(pgsink *s, int *applied)
{
    pgsink_result *done = NULL;
    int rc = pgsink_exec(s, bootstrap_sql);
    if (rc == AB_OK)
        rc = pgsink_query(s, "SELECT version, name FROM abgleich.schema_migrations"
                             " ORDER BY version", 0, NULL, &done);
    if (rc < 0)
        return rc;
    warn_unknown(done);
    for (size_t i = 0; rc == AB_OK && i < sql_migrations_count; i++) {
        const sql_migration *m = &sql_migrations[i];
        int seen = recorded(s, done, m);
        if (seen < 0)
            rc = seen;
        else if (!seen && (rc = apply_one(s, m)) == AB_OK) {
            log_debug("applied migration %s", m->name);
            (*applied)++;
        }
    }
    pgsink_result_free(done);
    return rc;
}

int pgsink_migrate(pgsink *s, int *applied)
{
    *applied = 0;
    int rc = check_embedded(s);
    if (rc < 0)
        return rc;
    /* Two instances running init at once must not both apply a migration. */
    rc = pgsink_exec(s, "SELECT pg_advisory_lock(hashtext('abgleich.migrate'))");
    if (rc < 0)
        return rc;
    rc = migrate_locked(s, applied);
    if (PQstatus(s->conn) == CONNECTION_OK) {
        PGresult *r = PQexec(s->conn, "SELECT pg_advisory_unlock(hashtext('abgleich.migrate'))");
        PQclear(r);
    }
    return rc;
}
