/*
 * pgprivate.h - a private PostgreSQL cluster for the demo and the tests.
 *
 * DIR holds data/ (the cluster), run/ (its Unix socket; no TCP port is
 * opened) and postgres.log.  Run as root, the cluster belongs to the
 * unprivileged user "nobody" and the server binaries run as that user,
 * because PostgreSQL refuses to run as root.  Nothing is allocated that the
 * caller must free.
 */
#ifndef AB_PGPRIVATE_H
#define AB_PGPRIVATE_H

#include <stddef.h>

#include "err.h"

/* Creates the cluster if needed, starts it if stopped, creates the database
 * "abgleich", and writes a libpq conninfo for it into conninfo. */
int pgprivate_start(const char *dir, char *conninfo, size_t len) AB_MUSTCHECK;
int pgprivate_stop(const char *dir) AB_MUSTCHECK;
/* AB_OK when running, AB_E_NOTFOUND when not. */
int pgprivate_status(const char *dir) AB_MUSTCHECK;

#endif
