/*
 * fuzz_config.c - libFuzzer target for serve's INI configuration
 * (engine/config.c over inih).  The input is written to one scratch file
 * per process (config_load reads paths, as serve does).  Checks what serve
 * relies on: a refusal always says why; an accepted file leaves every
 * number inside its documented range and every string terminated.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../engine/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/fuzz_config.%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    serve_config c;
    char err[512] = "";
    config_defaults(&c);
    int rc = config_load(&c, path, err, sizeof err);
    if (rc < 0) {
        assert(err[0] != '\0');
        return 0;
    }
    assert(c.workers >= 1 && c.workers <= CONFIG_WORKERS_MAX);
    assert(c.lease_seconds >= 3 && c.scan_interval_ms >= 20);
    assert(memchr(c.inbox, '\0', sizeof c.inbox) && memchr(c.db, '\0', sizeof c.db));
    assert(memchr(c.listen, '\0', sizeof c.listen));
    assert(!strcmp(c.lang, "de") || !strcmp(c.lang, "en"));
    err[0] = '\0';
    if (config_check(&c, err, sizeof err) < 0)
        assert(err[0] != '\0');
    return 0;
}
