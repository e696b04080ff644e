/*
 * test_log.c - personal data in logs: plates and names masked unless
 * --log-pii, IBANs masked wherever they appear in a line.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/log.h"

Test(log, pii_masked_by_default)
{
    char b[64];
    log_set_pii(0);
    cr_assert_str_eq(log_pii("HH-AB 1234", b, sizeof b), "H*-** ***4");
    cr_assert_str_eq(log_pii("Anna Schmidt", b, sizeof b), "A*** ******t");
    cr_assert_str_eq(log_pii("", b, sizeof b), "");
    log_set_pii(1);
    cr_assert_str_eq(log_pii("HH-AB 1234", b, sizeof b), "HH-AB 1234");
    log_set_pii(0);
}

Test(log, ibans_masked_in_a_line)
{
    char s[] = "payer DE02120300000000202051 paid, ref 400000010017, IBAN:DE44500105175407324931.";
    log_set_pii(0);
    log_mask_ibans(s);
    cr_assert_str_eq(s, "payer DE02**************2051 paid, ref 400000010017,"
                        " IBAN:DE44**************4931.");
    char t[] = "KZ 4000 0001 0017 and DE12 not an IBAN, XDE02120300000000202051 neither";
    char u[sizeof t];
    memcpy(u, t, sizeof t);
    log_mask_ibans(t);
    cr_assert_str_eq(t, u, "short or glued tokens stay");
    char v[] = "DE02120300000000202051";
    log_set_pii(1);
    log_mask_ibans(v);
    cr_assert_str_eq(v, "DE02120300000000202051", "--log-pii shows it");
    log_set_pii(0);
}

/* serve's per-file .log: what the thread logs, info and above, plain. */
Test(log, capture_per_thread)
{
    FILE *f = tmpfile();
    cr_assert(f);
    log_set_pii(0);
    enum log_level before = log_get_level();
    log_set_level(LOG_ERROR); /* the capture ignores the stderr level */
    log_capture(f);
    log_info("imported %d claims", 3);
    log_debug("not in the .log");
    log_reject("t.csv", 4, "plate", "bad plate, IBAN DE02120300000000202051");
    log_capture(NULL);
    log_info("after the capture");
    log_set_level(before);
    char buf[512] = "";
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    cr_assert_str_eq(buf, "imported 3 claims\n"
                          "t.csv:4: plate: bad plate, IBAN DE02**************2051\n");
}
