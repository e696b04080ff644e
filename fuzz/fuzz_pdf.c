/*
 * fuzz_pdf.c - libFuzzer target for taking the invoice XML out of a PDF.
 *
 * The input is handed to einvpdf_extract as a file (a memfd, so nothing
 * touches the disk); it either yields an XML within the size cap or a
 * reason, never a crash, a hang or a leak.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../engine/limits.h"
#include "../engine/mem.h"
#include "../formats/einvpdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("pdf", 0);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char path[64], name[64], err[256], *xml = NULL;
    size_t n = 0;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (einvpdf_extract(path, &xml, &n, name, err, sizeof err) == AB_OK) {
        assert(xml && n <= AB_EINVOICE_MAX_BYTES && name[0]);
        mem_free(xml);
    } else {
        assert(err[0]);
    }
    close(fd);
    return 0;
}
