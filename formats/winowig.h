/*
 * winowig.h - streaming reader of WiNOWiG "XMLMDE" handheld exports (the
 * mobile data capture interface of Schelhorn's WiNOWiG; fines-domain.md
 * §3.3), one ticket per <Fall>.
 *
 * Input: XML in any encoding libxml2 knows (the vendor writes ISO-8859-1;
 * text reaches the sink as UTF-8), root OWIGMDEData -> Mandant -> Fall.
 * Per Fall: Falldaten/Kassenzeichen (the payment reference, checked like a
 * CSV row's), Falldaten/Fahrzeug/Kennzeichen (+ Kennzeichenzusatz H/E) and
 * Nationalitaet, Falldaten/Tattag/Von (dd.mm.yyyy) with Tatzeit/Von
 * (hh:mm[:ss]), Tatbestaende/Tatbestand/Tatbestandsnummer (exactly one),
 * Tatorte/Tatort (up to 3 lines, joined with ", "), and the amount from
 * Verfuegung/Geldbusse or, as handhelds leave it out, the catalogue's.
 * Each Fall goes to the tickets_sink of tickets.h as a ticket whose line is
 * the line of its <Fall>, or is rejected with field and reason; a broken
 * document stops the input.  Security: no DTD, no entity declarations, no
 * network (as camt.c).  Memory: the parser's window, one bounded text
 * buffer, one Fall's fields.  The caller owns the reader.
 */
#ifndef AB_WINOWIG_H
#define AB_WINOWIG_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/checkdigit.h"
#include "../engine/err.h"
#include "tickets.h"

typedef struct winowig_reader winowig_reader;

int winowig_reader_create(winowig_reader **out, const tickets_sink *sink, enum cd_scheme scheme,
                          const char *filename) AB_MUSTCHECK;
int winowig_reader_feed(winowig_reader *r, const char *buf, size_t n, bool last) AB_MUSTCHECK;
/* After a failed feed: "line 7: XML: ..." */
const char *winowig_reader_error(const winowig_reader *r);
void winowig_reader_destroy(winowig_reader *r);

#endif
