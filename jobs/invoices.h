/*
 * invoices.h - e-invoices as payables (jobs/invoices.c): `import invoices`
 * (`approve` and `pay` are jobs/pay.c, the debits that pay invoices
 * jobs/outgoing.c).  The caller owns the connection; nothing is kept
 * between calls.
 */
#ifndef AB_INVOICES_H
#define AB_INVOICES_H

#include <stdint.h>

#include "../engine/pgsink.h"
#include "cli.h"

typedef struct invoices_summary {
    int64_t files, accepted, rejected, duplicates, skipped, cents;
} invoices_summary;

/* One document in its own transaction on db (used by `serve` too).
 * submitter: who handed the file in, when that is not the importing login
 * (serve: the file's owner; it may not approve the invoice, sql/043), or
 * NULL. */
int invoices_import_file(pgsink *db, const char *path, const char *submitter,
                         invoices_summary *s) AB_MUSTCHECK;
/* `import invoices FILE...` (argv[1] is "invoices"). */
int invoices_import(const cli_opts *o, int argc, char **argv) AB_MUSTCHECK;

#endif
