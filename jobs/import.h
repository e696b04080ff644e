/*
 * import.h - ticket import as a library call, shared by `import tickets`
 * and `demo`.  The caller owns the connection; the summary is plain data.
 */
#ifndef AB_IMPORT_H
#define AB_IMPORT_H

#include <stdint.h>

#include "../engine/pgsink.h"
#include "cli.h"

typedef struct import_summary {
    int64_t files, files_imported, files_skipped, files_failed;
    int64_t claims, claims_cents;   /* claims created */
    int64_t rejected;               /* rows rejected, with a message on stderr */
} import_summary;

int import_tickets_file(pgsink *db, const cli_opts *o, const char *path,
                        import_summary *sum) AB_MUSTCHECK;
/* The same with the checks as of a day (days since 1970-01-01) instead of
 * today (ticketcheck.h: tcheck_as_of). */
int import_tickets_file_as_of(pgsink *db, const cli_opts *o, const char *path, int32_t as_of,
                              import_summary *sum) AB_MUSTCHECK;
void import_summary_json(const import_summary *s);

#endif
