/*
 * fuzz_xlsx.c - libFuzzer target for formats/xlsxread: ZIP parts under
 * caps, shared strings, cell references, the sheet's XML.  The input is
 * written to one scratch file per process (the reader takes paths).  The
 * callback checks what clarify relies on: cells are strings, never NULL,
 * and a row has at most AB_XLSX_MAX_COLS of them.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../engine/limits.h"
#include "../formats/xlsxread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_row(void *ctx, unsigned long row, const char *const *cells,
                  const unsigned char *numeric, size_t n)
{
    assert(n <= AB_XLSX_MAX_COLS);
    for (size_t i = 0; i < n; i++)
        assert(cells[i] && strlen(cells[i]) <= AB_XLSX_MAX_CELL && numeric[i] <= 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/fuzz_xlsx.%ld.xlsx", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    (void)xlsx_read_rows(path, on_row, NULL);
    return 0;
}
