/*
 * test_jsonw.c - summaries are valid JSON with escaped strings.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../formats/jsonw.h"

Test(jsonw, nested_and_escaped)
{
    char buf[256] = "";
    FILE *f = fmemopen(buf, sizeof buf, "w");
    jsonw w;
    jsonw_init(&w, f);
    jsonw_obj_begin(&w);
    jsonw_kint(&w, "n", -5);
    jsonw_kstr(&w, "s", "a\"b\\c\n\x01");
    jsonw_key(&w, "a");
    jsonw_arr_begin(&w);
    jsonw_int(&w, 1);
    jsonw_bool(&w, true);
    jsonw_str(&w, NULL);
    jsonw_arr_end(&w);
    jsonw_obj_end(&w);
    fclose(f);
    cr_assert_str_eq(buf, "{\"n\":-5,\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"a\":[1,true,null]}\n");
}
