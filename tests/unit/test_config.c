/*
 * test_config.c - serve's INI file: defaults, every section, and refusals
 * that name the file, the line and the key.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../engine/config.h"

static char path[64];

static void write_ini(const char *text)
{
    snprintf(path, sizeof path, "/tmp/abgleich-test-config-%d.ini", (int)getpid());
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

Test(config, defaults_then_file)
{
    serve_config c;
    char err[512] = "";
    config_defaults(&c);
    cr_assert_str_eq(c.listen, "127.0.0.1:8080");
    cr_assert_eq(c.workers, 2);
    write_ini("; comment\n[serve]\ninbox = /srv/inbox\nlisten = 0.0.0.0:9100\nworkers = 4\n"
              "lease_seconds = 30\nscan_interval_ms = 250\ncheck_digit = mod10\nlang = en\n"
              "[database]\nurl = host=/tmp dbname=x\nreconnect_max_ms = 2000\n"
              "[log]\nformat = json\nlevel = debug\npii = no\n");
    cr_assert_eq(config_load(&c, path, err, sizeof err), AB_OK, "%s", err);
    cr_assert_str_eq(c.inbox, "/srv/inbox");
    cr_assert_str_eq(c.listen, "0.0.0.0:9100");
    cr_assert_eq(c.workers, 4);
    cr_assert_eq(c.lease_seconds, 30);
    cr_assert_eq(c.scan_interval_ms, 250);
    cr_assert_eq(c.scheme, CD_MOD10);
    cr_assert_str_eq(c.lang, "en");
    cr_assert_str_eq(c.db, "host=/tmp dbname=x");
    cr_assert_eq(c.reconnect_max_ms, 2000);
    cr_assert_eq(c.log_format, LOG_JSON);
    cr_assert_eq(c.log_level, LOG_DEBUG);
    cr_assert_eq(config_check(&c, err, sizeof err), AB_OK, "%s", err);
    unlink(path);
}

Test(config, bad_value_names_file_line_and_key)
{
    serve_config c;
    char err[512] = "";
    config_defaults(&c);
    write_ini("[serve]\ninbox = /x\nworkers = lots\n");
    cr_assert_eq(config_load(&c, path, err, sizeof err), AB_E_INVAL);
    char want[128];
    snprintf(want, sizeof want, "%s:3: workers: 'lots' is not a number in 1..16", path);
    cr_assert_str_eq(err, want);
    unlink(path);
}

Test(config, unknown_key_and_section)
{
    serve_config c;
    char err[512] = "";
    config_defaults(&c);
    write_ini("[serve]\ninbx = /x\n");
    cr_assert_eq(config_load(&c, path, err, sizeof err), AB_E_INVAL);
    cr_assert(strstr(err, ":2: inbx: unknown key in [serve]"), "%s", err);
    write_ini("[server]\ninbox = /x\n");
    cr_assert_eq(config_load(&c, path, err, sizeof err), AB_E_INVAL);
    cr_assert(strstr(err, ":2: [server]: unknown section"), "%s", err);
    write_ini("[serve]\nthis line has no equals sign\n");
    cr_assert_eq(config_load(&c, path, err, sizeof err), AB_E_PARSE);
    cr_assert(strstr(err, ":2: not a section"), "%s", err);
    unlink(path);
}

Test(config, missing_file_and_whole_checks)
{
    serve_config c;
    char err[512] = "";
    config_defaults(&c);
    cr_assert_eq(config_load(&c, "/nonexistent/abgleich.ini", err, sizeof err), AB_E_IO);
    cr_assert(strstr(err, "cannot open"), "%s", err);
    cr_assert_eq(config_check(&c, err, sizeof err), AB_E_INVAL);
    cr_assert(strstr(err, "inbox: not set"), "%s", err);
    cr_assert_eq(config_set(&c, NULL, "inbox", "/i", err, sizeof err), AB_OK);
    cr_assert_eq(config_set(&c, NULL, "lease_seconds", "3", err, sizeof err), AB_OK);
    cr_assert_eq(config_set(&c, NULL, "scan_interval_ms", "2000", err, sizeof err), AB_OK);
    cr_assert_eq(config_check(&c, err, sizeof err), AB_E_INVAL);
    cr_assert(strstr(err, "shorter than three scans"), "%s", err);
}

Test(config, listen_addresses)
{
    char a[64];
    unsigned port = 0;
    cr_assert_eq(config_listen_split("127.0.0.1:8080", a, sizeof a, &port), AB_OK);
    cr_assert_str_eq(a, "127.0.0.1");
    cr_assert_eq(port, 8080);
    cr_assert_eq(config_listen_split("[::1]:9", a, sizeof a, &port), AB_OK);
    cr_assert_str_eq(a, "::1");
    cr_assert_eq(port, 9);
    cr_assert_eq(config_listen_split("::1:9", a, sizeof a, &port), AB_E_INVAL);
    cr_assert_eq(config_listen_split("localhost", a, sizeof a, &port), AB_E_INVAL);
    cr_assert_eq(config_listen_split("h:99999", a, sizeof a, &port), AB_E_INVAL);
    serve_config c;
    char err[256];
    config_defaults(&c);
    cr_assert_eq(config_set(&c, "serve", "listen", "nope", err, sizeof err), AB_E_INVAL);
    cr_assert_eq(config_set(&c, "serve", "listen", "off", err, sizeof err), AB_OK);
}
