/*
 * test_inspect_detect.c - format detection by content: every bank sample
 * and ticket fixture, and the edge cases in front of the first field (byte
 * order mark, blank lines, SOH, a lone '-', SWIFT envelopes).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../formats/detect.h"

static enum detect_format of(const char *s)
{
    return detect_buffer(s, strlen(s));
}

static void file_is(const char *path, enum detect_format want)
{
    enum detect_format got = DETECT_UNKNOWN;
    cr_assert_eq(detect_file(path, &got), AB_OK, "%s", path);
    cr_assert_eq(got, want, "%s: %s", path, detect_name(got));
}

Test(detect, fixtures)
{
    file_is("tests/fixtures/bank/mt940/wolph__mt942_mbank.sta", DETECT_MT940);
    file_is("tests/fixtures/bank/mt940/mt940rs__de_sparkasse_utf8_umlauts.sta", DETECT_MT940);
    file_is("tests/fixtures/bank/mt940/betterplace__sepa_de_snippet_crlf.sta", DETECT_MT940);
    file_is("tests/fixtures/bank/camt053/genkgo__v02_all_balance_types.xml", DETECT_CAMT);
    file_is("tests/fixtures/bank/camt053/viafintech__v10_bookgdt_dttm.xml", DETECT_CAMT);
    file_is("tests/fixtures/spine/tickets.csv", DETECT_CSV);
    file_is("tests/fixtures/xsd/camt.053.001.02.xsd", DETECT_UNKNOWN);
    enum detect_format f;
    cr_assert_eq(detect_file("tests/fixtures/does-not-exist", &f), AB_E_IO);
}

Test(detect, content)
{
    cr_assert_eq(of("\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:"
                    "20022:tech:xsd:camt.052.001.08\">"), DETECT_CAMT);
    cr_assert_eq(of("<html><body>camt</body></html>"), DETECT_UNKNOWN);
    cr_assert_eq(of("\r\n\r\n:20:STARTUMS\r\n"), DETECT_MT940);
    cr_assert_eq(of("\x01\r\n:20:ST170119CYC/0001\r\n"), DETECT_MT940);
    cr_assert_eq(of("-\n:20:STARTUMSE\n"), DETECT_MT940);
    cr_assert_eq(of("{1:F01DEUTDEFFAXXX0000000000}{2:O940}{4:\r\n:20:X\r\n"), DETECT_MT940);
    cr_assert_eq(of("kassenzeichen;kennzeichen;betrag\n"), DETECT_CSV);
    cr_assert_eq(of("reference,plate,amount\n"), DETECT_CSV);
    cr_assert_eq(of(""), DETECT_UNKNOWN);
    cr_assert_eq(of("hello world\n"), DETECT_UNKNOWN);
    cr_assert_str_eq(detect_name(DETECT_MT940), "mt940");
    cr_assert_str_eq(detect_name(DETECT_CAMT), "camt");
    cr_assert_str_eq(detect_name(DETECT_CSV), "csv");
    cr_assert_str_eq(detect_name(DETECT_UNKNOWN), "unknown");
}
