/*
 * xlsxread.h - the rows of the first worksheet of an XLSX workbook, as
 * text cells, streamed (clarify --from reads a clerk's decisions back
 * from the sheet that `abgleich clarifications --format xlsx` wrote, after
 * Excel or LibreOffice saved it).  Untrusted input: every part is inflated
 * under caps, XML parsing loads no DTD and reaches no network.  The cell
 * strings belong to the reader and live until the callback returns.
 */
#ifndef AB_XLSXREAD_H
#define AB_XLSXREAD_H

#include <stddef.h>

#include "../engine/err.h"

/* row: the sheet's row number (1-based); cells[i] is column i's text ("" when
 * empty); numeric[i] is 1 when the cell is a number (no type or t="n", also a
 * formula's numeric result): its text is then the number as the program
 * that saved it wrote it, '.' as the decimal point, maybe with an exponent
 * and binary noise ("12.300000000000001", "7.0000000000000007E-2"), never
 * German grouping.  A negative return stops the reading with that code. */
typedef int (*xlsx_row_fn)(void *ctx, unsigned long row, const char *const *cells,
                           const unsigned char *numeric, size_t n);

/* AB_E_IO (cannot open), AB_E_PARSE (not an XLSX workbook, or broken XML),
 * AB_E_LIMIT (a cap), or fn's code. */
int xlsx_read_rows(const char *path, xlsx_row_fn fn, void *ctx) AB_MUSTCHECK;

#endif
