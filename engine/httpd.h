/*
 * httpd.h - the HTTP endpoint of `serve`: GET /healthz, GET /metrics
 * (Prometheus text) and GET /accounts?plate=P | ?reference=R (the
 * citizen's account view as JSON, abgleich.account_json).
 *
 * Served by libmicrohttpd on its own thread, so that a slow client or an
 * account query never holds up the libuv loop; it reads the metrics under
 * their mutex and queries PostgreSQL over a connection of its own.  The
 * caller owns the httpd and stops it with httpd_stop; metrics must outlive it.
 */
#ifndef AB_HTTPD_H
#define AB_HTTPD_H

#include "err.h"
#include "metrics.h"

typedef struct httpd httpd;

/* listen: "ADDR:PORT" (IPv4 or [IPv6]); conninfo as for pgsink_connect. */
int httpd_start(httpd **out, const char *listen, const char *conninfo, metrics *m) AB_MUSTCHECK;
void httpd_stop(httpd *h);

#endif
