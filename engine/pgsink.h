/*
 * pgsink.h - the PostgreSQL connection, migrations, and COPY writer.
 *
 * Connection string: --db CONNINFO, else $ABGLEICH_DB, else libpq's PG*
 * variables (an empty conninfo).  Rows are sent with COPY in text or binary
 * format through a buffer of AB_COPY_BUF_BYTES; one COPY stream is open at a time.
 * The caller owns the sink and closes it; results of pgsink_query are owned
 * by the caller and freed with pgsink_result_free.
 */
#ifndef AB_PGSINK_H
#define AB_PGSINK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct pgsink pgsink;
typedef struct pg_result pgsink_result;   /* libpq's PGresult */

/* conninfo may be NULL: then $ABGLEICH_DB, then "" (PG* variables).
 * *out is set even on failure, so that pgsink_error can tell why; the
 * caller closes it either way. */
int pgsink_connect(pgsink **out, const char *conninfo) AB_MUSTCHECK;
/* A second connection to the same server, database and user as `like`
 * (for reads beside a transaction that is busy with COPY). */
int pgsink_connect_again(pgsink **out, const pgsink *like) AB_MUSTCHECK;
void pgsink_close(pgsink *s);
/* Last error text from the server or libpq (one line). */
const char *pgsink_error(const pgsink *s);
/* The SQLSTATE of the server's last error ("23505" ...), "" if it was not the server's. */
const char *pgsink_sqlstate(const pgsink *s);

/* Applies the embedded sql/NNN_*.sql migrations not yet recorded in
 * abgleich.schema_migrations, each in its own transaction.  *applied gets
 * the number applied now (0 when up to date). */
int pgsink_migrate(pgsink *s, int *applied) AB_MUSTCHECK;

int pgsink_exec(pgsink *s, const char *sql) AB_MUSTCHECK;
/* Parameterised query in text format; *out receives the result (may be NULL
 * when out is NULL).  nparams values may be NULL for SQL NULL. */
int pgsink_query(pgsink *s, const char *sql, int nparams, const char *const *params,
                 pgsink_result **out) AB_MUSTCHECK;
/* The login of the connection (session_user: what the database writes as
 * who on the ledger, sql/056), into out (cut at n - 1 bytes). */
int pgsink_session_user(pgsink *s, char *out, size_t n) AB_MUSTCHECK;
int pgsink_result_rows(const pgsink_result *r);
const char *pgsink_result_value(const pgsink_result *r, int row, int col);
int pgsink_result_isnull(const pgsink_result *r, int row, int col);
void pgsink_result_free(pgsink_result *r);

int pgsink_begin(pgsink *s) AB_MUSTCHECK;
int pgsink_commit(pgsink *s) AB_MUSTCHECK;
/* A step run by the next pgsink_commit on the same connection just before
 * COMMIT, once (that commit clears it; NULL clears it too).  A negative
 * return makes the commit fail with that code, and the caller rolls back:
 * serve marks its job done this way, in the transaction of the rows. */
typedef int (*pgsink_precommit_fn)(pgsink *s, void *ctx);
void pgsink_set_precommit(pgsink *s, pgsink_precommit_fn fn, void *ctx);
/* 1 while the connection is usable, 0 once it broke (server gone). */
int pgsink_alive(const pgsink *s);
/* Safe to call in any state, including after a failed COPY. */
void pgsink_rollback(pgsink *s);

/* COPY ... FROM STDIN.  Build a row with the pgsink_copy_* field calls and
 * pgsink_copy_end_row; the buffer is sent when full. */
int pgsink_copy_begin(pgsink *s, const char *copy_sql) AB_MUSTCHECK;
void pgsink_copy_str(pgsink *s, const char *v, size_t n);   /* escaped; v NULL -> \N */
void pgsink_copy_cstr(pgsink *s, const char *v);             /* NUL-terminated; NULL -> \N */
void pgsink_copy_int(pgsink *s, int64_t v);
void pgsink_copy_null(pgsink *s);
int pgsink_copy_end_row(pgsink *s) AB_MUSTCHECK;
int pgsink_copy_finish(pgsink *s) AB_MUSTCHECK;              /* ends the COPY, checks result */
/* COPY ... FROM STDIN (FORMAT binary) of ncols columns per row: the server
 * parses no text, which made a claim row a fifth cheaper to write (ticket
 * import, docs/benchmarks.md).  Fields by the calls below, whose widths must
 * match the columns' types; pgsink_copy_str/cstr for text, pgsink_copy_null
 * for NULL; pgsink_copy_int is refused (its width is unknown). */
int pgsink_copy_begin_binary(pgsink *s, const char *copy_sql, unsigned ncols) AB_MUSTCHECK;
void pgsink_copy_i64(pgsink *s, int64_t v);                  /* bigint (text COPY too) */
void pgsink_copy_i32(pgsink *s, int32_t v);                  /* integer (text COPY too) */
void pgsink_copy_date(pgsink *s, int32_t days);              /* date: days after 1970-01-01; binary only */
void pgsink_copy_timestamp(pgsink *s, int64_t secs);         /* timestamp: seconds after 1970-01-01; binary only */
/* Pre-rendered COPY text (whole rows) straight to the server, past the
 * field calls: the raw-COPY peer of `bench sink`. */
int pgsink_copy_bytes(pgsink *s, const char *data, size_t n) AB_MUSTCHECK;

/* COPY (query) TO STDOUT: calls fn for every line (without '\n', fields
 * still in COPY text escaping; use pgsink_copy_split). */
typedef int (*pgsink_line_fn)(void *ctx, char *line, size_t n);
int pgsink_copy_out(pgsink *s, const char *copy_sql, pgsink_line_fn fn, void *ctx) AB_MUSTCHECK;
/* Splits a COPY text line in place at tabs and unescapes each field;
 * returns the field count (<= max), fields NULL for \N.  Each field is
 * NUL-terminated, so line[n] must be writable (it is in a COPY TO line). */
int pgsink_copy_split(char *line, size_t n, char **fields, size_t *lens, int max);
/* COPY text escaping of v[0..n) into out; returns the bytes written (stops
 * early rather than overflow: outlen >= 2n is always enough). */
size_t pgsink_copy_escape(const char *v, size_t n, char *out, size_t outlen);

#endif
