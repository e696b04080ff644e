/*
 * test_plate.c - plates however written, and words that are no plates.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../engine/plate.h"

Test(plate, spellings_normalise_alike)
{
    static const char *const ways[] = {"HH-AB 1234", "HH AB1234", "hhab1234", "HH-AB-1234",
                                       "hh ab 1234"};
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
        char out[PLATE_MAX];
        cr_assert_eq(plate_normalise(ways[i], strlen(ways[i]), out), 8, "%s", ways[i]);
        cr_assert_str_eq(out, "HHAB1234", "%s", ways[i]);
    }
    char out[PLATE_MAX];
    cr_assert_gt(plate_normalise("M-X 1E", 6, out), 0);
    cr_assert_str_eq(out, "MX1E");
    cr_assert_gt(plate_normalise("LÖ-AB 12", strlen("LÖ-AB 12"), out), 0);
    cr_assert_str_eq(out, "LÖAB12");
    cr_assert_gt(plate_normalise("lö ab 12", strlen("lö ab 12"), out), 0);
    cr_assert_str_eq(out, "LÖAB12");
}

Test(plate, found_in_text)
{
    char out[8][PLATE_MAX];
    const char *t = "Knoellchen fuer HH-AB 1234, Halter b-xy 99 danke";
    size_t n = plate_find(t, strlen(t), out, 8);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(out[0], "HHAB1234");
    cr_assert_str_eq(out[1], "BXY99");
}

Test(plate, not_plates)
{
    char out[8][PLATE_MAX];
    static const char *const texts[] = {"Rechnung2024", "ABCDEF12", "400000010017",
                                        "Kassenzeichen 400000010017", "Betrag 25,00 EUR",
                                        "A1", "HH-AB 12345"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        cr_assert_eq(plate_find(texts[i], strlen(texts[i]), out, 8), 0, "'%s'", texts[i]);
}

/* A word and a number look like a plate ("am 12" could be A-M 12); only the
 * plate index decides, so the scanner may propose it. */
Test(plate, word_and_number_is_only_a_proposal)
{
    char out[8][PLATE_MAX];
    cr_assert_eq(plate_find("am 12", 5, out, 8), 1);
    cr_assert_str_eq(out[0], "AM12");
}

/* The car key keeps the district boundary: one key per car, two for
 * "H-HA 1" and "HH-A 1" (plate key HHA1 both). */
static const char *car(const char *plate, const char *nat, char out[PLATE_CAR_MAX])
{
    return plate_car_key(plate, strlen(plate), nat, out) ? out : NULL;
}

Test(plate, car_key_keeps_the_district_boundary)
{
    char out[PLATE_CAR_MAX];
    static const char *const hamburg[] = {"HH-A 1", "HH A1", "hh-a 1", "HH-A-1", " HH A 1 "};
    for (size_t i = 0; i < sizeof hamburg / sizeof hamburg[0]; i++)
        cr_assert_str_eq(car(hamburg[i], NULL, out), "HH-A1", "%s", hamburg[i]);
    cr_assert_str_eq(car("H-HA 1", "", out), "H-HA1");
    cr_assert_str_eq(car("H HA1", "D", out), "H-HA1");
    /* the matcher's key is the same for both */
    char k1[PLATE_MAX], k2[PLATE_MAX];
    cr_assert_gt(plate_normalise("H-HA 1", 6, k1), 0);
    cr_assert_gt(plate_normalise("HH-A 1", 6, k2), 0);
    cr_assert_str_eq(k1, k2);
}

Test(plate, car_key_without_separator)
{
    char out[PLATE_CAR_MAX];
    /* one valid split: HHA is no district code, H-HAB has 3 letters */
    cr_assert_str_eq(car("HHAB1234", NULL, out), "HH-AB1234");
    cr_assert_str_eq(car("HHAB 1234", NULL, out), "HH-AB1234");
    /* two valid splits (fines-domain.md §6: BAB123 = B-AB 123 or BA-B 123) */
    cr_assert_str_eq(car("BAB123", NULL, out), "?BAB123");
    cr_assert_str_eq(car("HHA1", NULL, out), "?HHA1");
    cr_assert_str_eq(car("hha 1", NULL, out), "?HHA1");
    /* authority plate: code and digits; "HH 1234" may be H-H 1234 too */
    cr_assert_str_eq(car("Y 123456", NULL, out), "Y-123456");
    cr_assert_str_eq(car("HH 1234", NULL, out), "?HH1234");
}

Test(plate, car_key_suffix_umlaut_foreign)
{
    char out[PLATE_CAR_MAX];
    cr_assert_str_eq(car("RW-WO 888 E", NULL, out), "RW-WO888E");
    cr_assert_str_eq(car("M-X 1e", NULL, out), "M-X1E");
    cr_assert_str_eq(car("HH-AB 12H", NULL, out), "HH-AB12H");
    cr_assert_str_eq(car("MÜ-AB 123", NULL, out), "MÜ-AB123");
    cr_assert_str_eq(car("mü ab 123", NULL, out), "MÜ-AB123");
    cr_assert_str_eq(car("AB-12-CD", "NL", out), "NL:AB12CD");
    cr_assert_str_eq(car("ab 12 cd", "B", out), "B:AB12CD");
    /* not a valid German plate: no key (import rejected it before) */
    cr_assert_null(car("QQ-AB 12", NULL, out));
    cr_assert_null(car("HH-ABC 1", NULL, out));
    cr_assert_null(car("HH-AB 0123", NULL, out));
    cr_assert_null(car("AB-12-CD", NULL, out));
    cr_assert_null(car("AB12", "TOOLONG", out));
}
