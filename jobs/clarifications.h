/*
 * clarifications.h - the clarification list as a spreadsheet (CSV in the
 * German Excel convention) and the names of its columns, which
 * `abgleich clarify --from` reads back.  Nothing here allocates for the caller.
 */
#ifndef AB_CLARIFICATIONS_H
#define AB_CLARIFICATIONS_H

#include "cli.h"

/* Column col's header, German or English (en != 0); NULL past the last. */
const char *clarifications_header(int col, int en);

/* The columns clarify --from reads; "Offen" (open) is what was open when
 * the list was written: a decision stands only while it still is. */
enum { CLAR_COL_ID = 0, CLAR_COL_OPEN = 6, CLAR_COL_ACTION = 19, CLAR_COL_CLAIM = 20,
       CLAR_COL_AMOUNT = 21, CLAR_COL_CLERK = 22 };

#endif
