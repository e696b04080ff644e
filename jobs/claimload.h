/*
 * claimload.h - the open claims into reconcile's claim index, in full or
 * from the claim snapshot and what changed since (claimload.c).
 * The caller owns the connection, the index and the claimsnap_bg it lends:
 * *ix is destroyed and replaced, and freed by the caller with
 * claimidx_destroy.
 */
#ifndef AB_CLAIMLOAD_H
#define AB_CLAIMLOAD_H

#include "../engine/claimidx.h"
#include "../engine/claimsnap.h"
#include "../engine/err.h"
#include "../engine/pgsink.h"
#include "cli.h"

/* Loads every claim (paid ones too: a second payment is then known as
 * claim_already_paid) into a new *ix, outside any transaction of the
 * caller's.  With o->no_snapshot always in full; otherwise from the
 * snapshot in the state directory when it can serve, writing a new one
 * when worthwhile, by a child process while the caller goes on (after
 * waiting for bg's previous one).
 * On an error *ix may be NULL. */
int claimload_run(pgsink *db, const cli_opts *o, claimidx **ix, claimsnap_bg *bg) AB_MUSTCHECK;
/* Waits for the snapshot bg is writing, if any, and logs how it went.  The
 * caller calls it before it exits. */
void claimload_wait(claimsnap_bg *bg);

#endif
