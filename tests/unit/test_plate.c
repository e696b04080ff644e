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
