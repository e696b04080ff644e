/*
 * pgprivate.h - a private PostgreSQL cluster for the demo and the tests.
 *
 * DIR holds data/ (the cluster), run/ (its Unix socket; no TCP port is
 * opened) and postgres.log (initdb, pg_ctl and the server write there).
 * The server binaries are the highest /usr/lib/postgresql/N/bin, else the
 * ones on PATH.  The socket's port number is 5439 unless $ABGLEICH_PG_PORT
 * says otherwise; only the socket file's name depends on it.
 *
 * Run as root, the cluster belongs to the unprivileged user "nobody" and
 * the server binaries run as that user, because PostgreSQL refuses to run
 * as root.  If "nobody" cannot reach DIR (a checkout under /root, say), the
 * cluster lives in /var/tmp/abgleich-pg-HASH instead, HASH derived from
 * DIR, so that every call with the same DIR finds it again.
 *
 * Nothing is allocated that the caller must free.
 */
#ifndef AB_PGPRIVATE_H
#define AB_PGPRIVATE_H

#include <stddef.h>

#include "err.h"

/* Creates the cluster if needed, starts it if stopped, creates the database
 * "abgleich", and writes a libpq conninfo for it into conninfo
 * ("host=SOCKETDIR port=N user=abgleich dbname=abgleich"). */
int pgprivate_start(const char *dir, char *conninfo, size_t len) AB_MUSTCHECK;
/* Stops the server if it runs (fast shutdown); AB_OK when it is down. */
int pgprivate_stop(const char *dir) AB_MUSTCHECK;
/* AB_OK when running, AB_E_NOTFOUND when not (or no cluster there). */
int pgprivate_status(const char *dir) AB_MUSTCHECK;

#endif
