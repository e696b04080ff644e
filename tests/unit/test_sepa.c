/*
 * test_sepa.c - the SEPA character set (every class of character the audit
 * found in a payment file: umlauts, accents, €, &, markup, @ _ ; and line
 * breaks), the EPC limits counted after transliteration, and the TARGET2
 * calendar around Easter, May Day and Christmas.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/date.h"
#include "../../engine/sepa.h"

static const char *st(const char *s, size_t max)
{
    static char buf[512];
    size_t n = sepa_text(buf, max, s);
    cr_assert_eq(n, strlen(buf));
    cr_assert_leq(n, max);
    return buf;
}

Test(sepa, the_basic_set_is_kept)
{
    cr_assert_str_eq(st("Rechnung 4711/2026-A? (Teil 1): 3.5, 'x' + y", 140),
                     "Rechnung 4711/2026-A? (Teil 1): 3.5, 'x' + y");
}

Test(sepa, umlauts_accents_and_signs)
{
    cr_assert_str_eq(st("Café Müller & Söhne «Bäckerei»", 70), "Cafe Mueller + Soehne Baeckerei");
    cr_assert_str_eq(st("MÜLLER GROß Fuß Ärger Öl", 70), "MUELLER GROSS Fuss Aerger Oel");
    cr_assert_str_eq(st("Łódź Škoda Ørsted Œuvre Ñandú", 70), "Lodz Skoda Orsted Oeuvre Nandu");
    cr_assert_str_eq(st("50€ für <Kd#4711>", 140), "50EUR fuer Kd 4711");
    cr_assert_str_eq(st("a@b_c;d\"e!f%g*h=i[j]k{l}m|n~o^p`q$r\\s", 140),
                     "a b c d e f g h i j k l m n o p q r s");
    cr_assert_str_eq(st("Zeile 1\r\nZeile\t2\x01", 140), "Zeile 1 Zeile 2");
    cr_assert_str_eq(st("A\xe2\x80\x93" "B \xe2\x80\x99" "C\xe2\x80\x99", 140), "A-B 'C'");
}

Test(sepa, spaces_collapse_and_nothing_trails)
{
    cr_assert_str_eq(st("   a   \xc2\xa0  b  ", 140), "a b");
    cr_assert_str_eq(st("«»", 70), "");
    cr_assert_str_eq(st("", 70), "");
}

Test(sepa, invalid_utf8_is_a_space)
{
    cr_assert_str_eq(st("M\xfcller \xc3 x \xe2\x82", 70), "M ller x");
    cr_assert_str_eq(st("\xc0\xaf" "a", 70), "a"); /* overlong "/" */
}

Test(sepa, clipped_after_transliteration)
{
    char in[200], want[141];
    memset(in, 'x', 139);
    strcpy(in + 139, "\xc3\xbc"); /* 140 characters of UTF-8, the last one an u-umlaut */
    memset(want, 'x', 139);
    want[139] = '\0';
    cr_assert_str_eq(st(in, 140), want, "ue would make 141: it is left out, not halved");
    want[70] = '\0';
    cr_assert_str_eq(st(in, 70), want);
    cr_assert_str_eq(st("Rechnung \xc3\xbc" "ber 50\xe2\x82\xac", 15), "Rechnung ueber");
    cr_assert_str_eq(st("Rechnung \xc3\xbc" "ber 50\xe2\x82\xac", 18), "Rechnung ueber 50");
    cr_assert_str_eq(st("ab \xc3\xbc", 4), "ab");
}

static int32_t d(int y, int m, int dd)
{
    return date_from_ymd(y, m, dd);
}

Test(sepa, target2_calendar)
{
    cr_assert(sepa_target2_open(d(2026, 11, 23)));            /* a Monday */
    cr_assert_not(sepa_target2_open(d(2026, 11, 28)));        /* Saturday */
    cr_assert_eq(sepa_target2_next(d(2026, 11, 28)), d(2026, 11, 30));
    cr_assert_eq(sepa_target2_next(d(2026, 11, 29)), d(2026, 11, 30));
    /* Easter 2026 is 5 April: Good Friday 3 April, Easter Monday 6 April. */
    cr_assert_not(sepa_target2_open(d(2026, 4, 3)));
    cr_assert_eq(sepa_target2_next(d(2026, 4, 3)), d(2026, 4, 7));
    cr_assert(sepa_target2_open(d(2026, 4, 2)));
    /* Easter 2027 is 28 March; 2024 was 31 March (Easter Monday 1 April). */
    cr_assert_not(sepa_target2_open(d(2027, 3, 26)));
    cr_assert_not(sepa_target2_open(d(2027, 3, 29)));
    cr_assert_not(sepa_target2_open(d(2024, 4, 1)));
    cr_assert_eq(sepa_target2_next(d(2026, 5, 1)), d(2026, 5, 4)); /* Friday, then a weekend */
    cr_assert_eq(sepa_target2_next(d(2026, 12, 24)), d(2026, 12, 24));
    cr_assert_eq(sepa_target2_next(d(2026, 12, 25)), d(2026, 12, 28));
    cr_assert_eq(sepa_target2_next(d(2027, 12, 25)), d(2027, 12, 27)); /* Saturday */
    cr_assert_eq(sepa_target2_next(d(2027, 12, 31)), d(2027, 12, 31)); /* New Year's Eve is open */
    cr_assert_eq(sepa_target2_next(d(2026, 1, 1)), d(2026, 1, 2));
    cr_assert(sepa_target2_open(d(2028, 10, 3))); /* German holidays do not close TARGET2 */
    cr_assert(sepa_target2_open(d(2026, 6, 4)));  /* nor does Corpus Christi */
}
