/*
 * test_winowig.c - the WiNOWiG XMLMDE reader: the fields of a case, the
 * amount from the catalogue, rejections with the case's line, the same
 * result for every chunking, and no DOCTYPE.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../engine/date.h"
#include "../../formats/winowig.h"

typedef struct got {
    int tickets, rejects;
    char first[512];
    char reject[256];
} got;

static int on_ticket(void *ctx, const ticket *t)
{
    got *g = ctx;
    if (g->tickets++ == 0)
        snprintf(g->first, sizeof g->first, "%s|%s|%s|%s|%lld|%lld|%s|%lu", t->reference,
                 t->plate, t->nationality, t->tbnr, (long long)t->amount_cents,
                 (long long)t->offense_time, t->location, t->line);
    return 0;
}

static int on_reject(void *ctx, unsigned long line, const char *field, const char *reason)
{
    got *g = ctx;
    if (g->rejects++ == 0)
        snprintf(g->reject, sizeof g->reject, "%lu: %s: %s", line, field, reason);
    return 0;
}

static int read_cut(const char *doc, size_t cut, got *g)
{
    memset(g, 0, sizeof *g);
    tickets_sink sink = {.ctx = g, .on_ticket = on_ticket, .on_reject = on_reject};
    winowig_reader *r = NULL;
    cr_assert_eq(winowig_reader_create(&r, &sink, CD_ISO7064_11_10, "t.xml"), 0);
    size_t n = strlen(doc);
    int rc = winowig_reader_feed(r, doc, cut, cut == n);
    if (rc == 0 && cut < n)
        rc = winowig_reader_feed(r, doc + cut, n - cut, true);
    winowig_reader_destroy(r);
    return rc;
}

static const char doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<OWIGMDEData Version=\"1\">\n"
    "<Header Herkunft=\"test\"/>\n"
    "<Mandant>\n"
    "<Fall FallArt=\"VOWI\">\n"
    "<Tatorte><Tatort>Musterstadt</Tatort><Tatort>Am Markt 1</Tatort></Tatorte>\n"
    "<Tatbestaende><Tatbestand><Texttyp>9</Texttyp>"
    "<Tatbestandsnummer>141312</Tatbestandsnummer></Tatbestand></Tatbestaende>\n"
    "<Falldaten><Fahrzeug><Nationalitaet>d</Nationalitaet><Kennzeichen>RW-WO 888</Kennzeichen>"
    "<Kennzeichenzusatz>E</Kennzeichenzusatz></Fahrzeug>\n"
    "<Kassenzeichen>4000 0006 0010</Kassenzeichen>"
    "<Tattag><Von>02.11.2026</Von></Tattag><Tatzeit><Von>09:05:00</Von></Tatzeit></Falldaten>\n"
    "</Fall>\n"
    "<Fall FallArt=\"VOWI\">\n"
    "<Falldaten><Fahrzeug><Kennzeichen>B-X 1</Kennzeichen></Fahrzeug>"
    "<Kassenzeichen>400000060028</Kassenzeichen><Tattag><Von>02.11.2026</Von></Tattag></Falldaten>\n"
    "</Fall>\n"
    "</Mandant>\n"
    "</OWIGMDEData>\n";

Test(winowig, a_case_becomes_a_ticket_in_any_order_of_elements)
{
    got g;
    cr_assert_eq(read_cut(doc, strlen(doc), &g), 0);
    cr_assert_eq(g.tickets, 1);
    char want[256];
    snprintf(want, sizeof want, "400000060010|RW-WO 888 E|D|141312|2500|%lld|"
             "Musterstadt, Am Markt 1|5",
             (long long)date_from_ymd(2026, 11, 2) * 86400 + 9 * 3600 + 5 * 60);
    cr_assert_str_eq(g.first, want, "catalogue amount 25 EUR, suffix, nationality upper-cased");
    cr_assert_eq(g.rejects, 1);
    cr_assert_str_eq(g.reject, "11: tbnr: missing");
}

Test(winowig, every_chunking_reads_alike)
{
    got whole, part;
    cr_assert_eq(read_cut(doc, strlen(doc), &whole), 0);
    for (size_t cut = 0; cut <= strlen(doc); cut += 7) {
        cr_assert_eq(read_cut(doc, cut, &part), 0, "cut %zu", cut);
        cr_assert_str_eq(part.first, whole.first, "cut %zu", cut);
        cr_assert_str_eq(part.reject, whole.reject, "cut %zu", cut);
    }
}

Test(winowig, no_doctype_and_not_another_document)
{
    got g;
    const char *evil = "<?xml version=\"1.0\"?><!DOCTYPE OWIGMDEData [<!ENTITY x \"y\">]>"
                       "<OWIGMDEData/>";
    cr_assert_lt(read_cut(evil, strlen(evil), &g), 0);
    const char *other = "<Document><Stmt/></Document>";
    cr_assert_lt(read_cut(other, strlen(other), &g), 0);
    const char *cut_off = "<OWIGMDEData><Mandant><Fall>";
    cr_assert_lt(read_cut(cut_off, strlen(cut_off), &g), 0);
}
