/*
 * pgsink.c - libpq connection, migrations and the COPY writer.
 *
 * The COPY writer keeps one buffer of AB_COPY_BUF_BYTES, allocated at
 * connect time; field calls append escaped text and end_row hands the buffer
 * to PQputCopyData once it passes half its size, so a row never needs a
 * second buffer.  Errors are sticky: after a failed send the remaining field
 * calls do nothing and copy_finish reports the server's message.  That keeps
 * the hot path free of error checks per field.
 */
#include "pgsink.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "log.h"
#include "mem.h"
#include "migrations.h"

struct pgsink {
    PGconn *conn;
    char *buf;
    size_t len;
    int copy_open;
    int copy_failed;
    unsigned row_fields;  /* fields put into the current row */
    char err[AB_ERRMSG_MAX];
};

static void set_err(pgsink *s, const char *msg)
{
    if (!msg || !*msg)
        msg = "unknown database error";
    snprintf(s->err, sizeof s->err, "%s", msg);
    /* One line: libpq messages end in newlines and carry DETAIL lines. */
    for (char *p = s->err; *p; p++)
        if (*p == '\n') {
            if (p[1] == '\0')
                *p = '\0';
            else
                *p = ' ';
        }
}

int pgsink_connect(pgsink **out, const char *conninfo)
{
    pgsink *s = mem_calloc(1, sizeof *s);
    if (!s)
        return AB_E_NOMEM;
    *out = s;
    if (!conninfo)
        conninfo = getenv("ABGLEICH_DB");
    if (!conninfo)
        conninfo = "";
    if (!(s->buf = mem_alloc(AB_COPY_BUF_BYTES))) {
        set_err(s, "out of memory");
        return AB_E_NOMEM;
    }
    const char *keys[] = {"dbname", "application_name", "client_encoding", NULL};
    const char *vals[] = {conninfo, "abgleich", "UTF8", NULL};
    s->conn = PQconnectdbParams(keys, vals, 1);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        set_err(s, s->conn ? PQerrorMessage(s->conn) : "cannot allocate a connection");
        return AB_E_DB;
    }
    PGresult *r = PQexec(s->conn, "SET client_min_messages = warning");
    PQclear(r);
    return AB_OK;
}

void pgsink_close(pgsink *s)
{
    if (!s)
        return;
    if (s->conn)
        PQfinish(s->conn);
    mem_free(s->buf);
    mem_free(s);
}

const char *pgsink_error(const pgsink *s)
{
    return s ? s->err : "no connection";
}

static int check(pgsink *s, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN ||
        st == PGRES_COPY_OUT)
        return AB_OK;
    set_err(s, r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
    return AB_E_DB;
}

int pgsink_exec(pgsink *s, const char *sql)
{
    PGresult *r = PQexec(s->conn, sql);
    int rc = check(s, r);
    PQclear(r);
    return rc;
}

int pgsink_query(pgsink *s, const char *sql, int nparams, const char *const *params,
                 pgsink_result **out)
{
    PGresult *r = PQexecParams(s->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    int rc = check(s, r);
    if (rc < 0 || !out) {
        PQclear(r);
        return rc;
    }
    *out = (pgsink_result *)r;
    return AB_OK;
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
    return pgsink_exec(s, "COMMIT");
}

void pgsink_rollback(pgsink *s)
{
    if (!s || !s->conn)
        return;
    if (s->copy_open) {
        PQputCopyEnd(s->conn, "aborted by abgleich");
        PGresult *r;
        while ((r = PQgetResult(s->conn)))
            PQclear(r);
        s->copy_open = 0;
    }
    PGresult *r = PQexec(s->conn, "ROLLBACK");
    PQclear(r);
}

/* --- COPY FROM STDIN --------------------------------------------------- */

int pgsink_copy_begin(pgsink *s, const char *copy_sql)
{
    PGresult *r = PQexec(s->conn, copy_sql);
    int ok = PQresultStatus(r) == PGRES_COPY_IN;
    if (!ok)
        set_err(s, PQresultErrorMessage(r));
    PQclear(r);
    if (!ok)
        return AB_E_DB;
    s->copy_open = 1;
    s->copy_failed = 0;
    s->row_fields = 0;
    s->len = 0;
    return AB_OK;
}

static int flush(pgsink *s)
{
    if (s->copy_failed)
        return AB_E_DB;
    if (s->len && PQputCopyData(s->conn, s->buf, (int)s->len) != 1) {
        set_err(s, PQerrorMessage(s->conn));
        s->copy_failed = 1;
        return AB_E_DB;
    }
    s->len = 0;
    return AB_OK;
}

static void put(pgsink *s, const char *p, size_t n)
{
    if (s->copy_failed)
        return;
    if (s->len + n > AB_COPY_BUF_BYTES && flush(s) < 0)
        return;
    if (n > AB_COPY_BUF_BYTES) {
        s->copy_failed = 1;
        set_err(s, "COPY field larger than the COPY buffer");
        return;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

static void field_sep(pgsink *s)
{
    if (s->row_fields++)
        put(s, "\t", 1);
}

size_t pgsink_copy_escape(const char *v, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i], e = 0;
        switch (c) {
        case '\\': e = '\\'; break;
        case '\t': e = 't'; break;
        case '\n': e = 'n'; break;
        case '\r': e = 'r'; break;
        default: break;
        }
        if (o + 2 > outlen)
            break;
        if (e) {
            out[o++] = '\\';
            out[o++] = e;
        } else {
            out[o++] = c;
        }
    }
    return o;
}

void pgsink_copy_str(pgsink *s, const char *v, size_t n)
{
    if (!v) {
        pgsink_copy_null(s);
        return;
    }
    field_sep(s);
    /* Escape in pieces through a small stack buffer: fields may be long. */
    char tmp[512];
    while (n) {
        size_t take = n > sizeof tmp / 2 ? sizeof tmp / 2 : n;
        size_t w = pgsink_copy_escape(v, take, tmp, sizeof tmp);
        put(s, tmp, w);
        v += take;
        n -= take;
    }
}

void pgsink_copy_cstr(pgsink *s, const char *v)
{
    pgsink_copy_str(s, v, v ? strlen(v) : 0);
}

void pgsink_copy_int(pgsink *s, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    field_sep(s);
    put(s, tmp, (size_t)n);
}

void pgsink_copy_null(pgsink *s)
{
    field_sep(s);
    put(s, "\\N", 2);
}

int pgsink_copy_end_row(pgsink *s)
{
    put(s, "\n", 1);
    s->row_fields = 0;
    if (s->copy_failed)
        return AB_E_DB;
    if (s->len >= AB_COPY_BUF_BYTES / 2)
        return flush(s);
    return AB_OK;
}

int pgsink_copy_finish(pgsink *s)
{
    int rc = flush(s);
    s->copy_open = 0;
    if (PQputCopyEnd(s->conn, rc < 0 ? "abgleich: send failed" : NULL) != 1 && rc == AB_OK) {
        set_err(s, PQerrorMessage(s->conn));
        rc = AB_E_DB;
    }
    PGresult *r;
    while ((r = PQgetResult(s->conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == AB_OK) {
            set_err(s, PQresultErrorMessage(r));
            rc = AB_E_DB;
        }
        PQclear(r);
    }
    return rc;
}

/* --- COPY TO STDOUT ---------------------------------------------------- */

int pgsink_copy_out(pgsink *s, const char *copy_sql, pgsink_line_fn fn, void *ctx)
{
    PGresult *r = PQexec(s->conn, copy_sql);
    if (PQresultStatus(r) != PGRES_COPY_OUT) {
        set_err(s, PQresultErrorMessage(r));
        PQclear(r);
        return AB_E_DB;
    }
    PQclear(r);
    int rc = AB_OK;
    char *line;
    int n;
    /* Keep reading after a callback error: the protocol must be drained. */
    while ((n = PQgetCopyData(s->conn, &line, 0)) > 0) {
        if (rc == AB_OK) {
            size_t len = (size_t)n;
            if (len && line[len - 1] == '\n')
                line[--len] = '\0';
            rc = fn(ctx, line, len);
        }
        PQfreemem(line);
    }
    if (n == -2 && rc == AB_OK) {
        set_err(s, PQerrorMessage(s->conn));
        rc = AB_E_DB;
    }
    while ((r = PQgetResult(s->conn))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == AB_OK) {
            set_err(s, PQresultErrorMessage(r));
            rc = AB_E_DB;
        }
        PQclear(r);
    }
    return rc;
}

static char unescape_char(char c)
{
    switch (c) {
    case 't': return '\t';
    case 'n': return '\n';
    case 'r': return '\r';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'v': return '\v';
    default: return c;
    }
}

/* Unescapes f[0..n) in place; returns the new length. */
static size_t unescape(char *f, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i] != '\\' || i + 1 == n) {
            f[o++] = f[i];
            continue;
        }
        char c = f[++i];
        if (c >= '0' && c <= '7') {
            int v = 0;
            for (int k = 0; k < 3 && i < n && f[i] >= '0' && f[i] <= '7'; k++, i++)
                v = v * 8 + (f[i] - '0');
            i--;
            f[o++] = (char)v;
        } else {
            f[o++] = unescape_char(c);
        }
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

static int applied_versions(pgsink *s, unsigned char *seen, size_t max)
{
    pgsink_result *r = NULL;
    int rc = pgsink_query(s, "SELECT version FROM abgleich.schema_migrations", 0, NULL, &r);
    if (rc < 0)
        return rc;
    for (int i = 0; i < pgsink_result_rows(r); i++) {
        long v = strtol(pgsink_result_value(r, i, 0), NULL, 10);
        if (v >= 0 && (size_t)v < max)
            seen[v] = 1;
    }
    pgsink_result_free(r);
    return AB_OK;
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

#define MIGRATIONS_MAX 1000

int pgsink_migrate(pgsink *s, int *applied)
{
    static unsigned char seen[MIGRATIONS_MAX];
    memset(seen, 0, sizeof seen);
    *applied = 0;
    /* Two instances running init at once must not both apply a migration. */
    int rc = pgsink_exec(s, "SELECT pg_advisory_lock(hashtext('abgleich.migrate'))");
    if (rc < 0)
        return rc;
    rc = pgsink_exec(s, "CREATE SCHEMA IF NOT EXISTS abgleich;"
                        "CREATE TABLE IF NOT EXISTS abgleich.schema_migrations ("
                        " version int PRIMARY KEY, name text NOT NULL,"
                        " applied_at timestamptz NOT NULL DEFAULT now())");
    if (rc == AB_OK)
        rc = applied_versions(s, seen, MIGRATIONS_MAX);
    for (size_t i = 0; rc == AB_OK && i < sql_migrations_count; i++) {
        const sql_migration *m = &sql_migrations[i];
        if (m->version < MIGRATIONS_MAX && seen[m->version])
            continue;
        rc = apply_one(s, m);
        if (rc == AB_OK)
            (*applied)++;
    }
    PGresult *r = PQexec(s->conn, "SELECT pg_advisory_unlock(hashtext('abgleich.migrate'))");
    PQclear(r);
    return rc;
}
