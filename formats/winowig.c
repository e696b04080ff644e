/*
 * winowig.c - WiNOWiG XMLMDE handheld exports; see winowig.h.
 *
 * Pipeline: bytes -> libxml2 SAX2 push parser -> element events by local
 * name -> a stack of element ids (AB_XML_MAX_DEPTH) -> leaf text into one
 * bounded buffer -> the fields of the current Fall -> at </Fall> one
 * ticket (or one rejection) to the sink.  Elements are matched by name and
 * parent, in any order, as the vendor's handbook allows ("Reihenfolge
 * beliebig").  Everything else in a Fall (photos, witnesses, history) is
 * skipped: it does not make a claim.
 */
#include "winowig.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

#include "../engine/date.h"
#include "../engine/limits.h"
#include "../engine/mem.h"
#include "../engine/money.h"
#include "../engine/offense.h"

#define ELEMENTS(X) X(OTHER) X(OWIGMDEData) X(Mandant) X(Fall) X(Falldaten) X(Fahrzeug) \
    X(Nationalitaet) X(Kennzeichen) X(Kennzeichenzusatz) X(Kassenzeichen) X(Tattag) \
    X(Tatzeit) X(Von) X(Tatbestaende) X(Tatbestand) X(Tatbestandsnummer) X(Tatorte) \
    X(Tatort) X(Verfuegung) X(Geldbusse)

enum el {
#define EL_ENUM(n) E_##n,
    ELEMENTS(EL_ENUM)
#undef EL_ENUM
    E_COUNT
};

static const char *const el_names[] = {
#define EL_NAME(n) #n,
    ELEMENTS(EL_NAME)
#undef EL_NAME
};

/* Field sizes from the vendor's handbook (maximum lengths enforced on its
 * side too); a longer value is refused, not cut. */
#define F_SHORT 40u
#define F_PLACE 3u * 72u

typedef struct fall {
    unsigned long line;
    char ref[F_SHORT + 1], plate[F_SHORT + 1], suffix[12], nation[8];
    char day[F_SHORT + 1], time[F_SHORT + 1], tbnr[F_SHORT + 1], amount[F_SHORT + 1];
    char place[F_PLACE + 1];
    unsigned ntbnr, nplace;
    int too_long;
    const char *too_long_field;
} fall;

struct winowig_reader {
    tickets_sink sink;
    enum cd_scheme scheme;
    const char *filename;
    xmlParserCtxtPtr ctxt;
    unsigned char stack[AB_XML_MAX_DEPTH];
    unsigned depth;
    char text[AB_TEXT_FIELD_MAX + 1];
    size_t text_len;
    int text_over, root_ok, in_fall;
    size_t fed;
    fall f;
    int rc;
    char err[AB_ERRMSG_MAX];
};

static void fail(winowig_reader *r, int code, const char *what)
{
    if (r->rc < 0)
        return;
    long line = r->ctxt ? (long)xmlSAX2GetLineNumber(r->ctxt) : 0;
    snprintf(r->err, sizeof r->err, "line %ld: %s", line, what);
    r->rc = code;
    if (r->ctxt)
        xmlStopParser(r->ctxt);
}

static enum el lookup(const xmlChar *name)
{
    for (int i = 1; i < E_COUNT; i++)
        if (!strcmp((const char *)name, el_names[i]))
            return (enum el)i;
    return E_OTHER;
}

static enum el up(const winowig_reader *r, unsigned k)
{
    return k < r->depth ? (enum el)r->stack[r->depth - 1 - k] : E_OTHER;
}

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nns, const xmlChar **ns, int nattr, int ndef, const xmlChar **attrs)
{
    winowig_reader *r = ctx;
    if (r->rc < 0)
        return;
    if (r->depth == AB_XML_MAX_DEPTH) {
        fail(r, AB_E_LIMIT, "XML: nested too deeply");
        return;
    }
    enum el e = lookup(local);
    if (r->depth == 0) {
        if (e != E_OWIGMDEData) {
            fail(r, AB_E_PARSE, "not a WiNOWiG XMLMDE file (root is not OWIGMDEData)");
            return;
        }
        r->root_ok = 1;
    }
    if (e == E_Fall && up(r, 0) == E_Mandant) {
        memset(&r->f, 0, sizeof r->f);
        r->f.line = (unsigned long)xmlSAX2GetLineNumber(r->ctxt);
        r->in_fall = 1;
    }
    r->stack[r->depth++] = (unsigned char)e;
    r->text_len = 0;
    r->text_over = 0;
}

/* Copies the current text into a field of the Fall, trimmed. */
static void take(winowig_reader *r, char *dst, size_t cap, const char *field)
{
    const char *s = r->text;
    size_t n = r->text_len;
    while (n && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t'))
        n--;
    if (n >= cap || r->text_over) {
        r->f.too_long = 1;
        r->f.too_long_field = field;
        return;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static void leaf(winowig_reader *r, enum el e)
{
    fall *f = &r->f;
    enum el p = up(r, 1), g = up(r, 2);
    if (e == E_Kassenzeichen && p == E_Falldaten)
        take(r, f->ref, sizeof f->ref, "reference");
    else if (e == E_Kennzeichen && p == E_Fahrzeug)
        take(r, f->plate, sizeof f->plate, "plate");
    else if (e == E_Kennzeichenzusatz && p == E_Fahrzeug)
        take(r, f->suffix, sizeof f->suffix, "plate");
    else if (e == E_Nationalitaet && p == E_Fahrzeug)
        take(r, f->nation, sizeof f->nation, "nationality");
    else if (e == E_Von && p == E_Tattag && g == E_Falldaten)
        take(r, f->day, sizeof f->day, "offense_time");
    else if (e == E_Von && p == E_Tatzeit && g == E_Falldaten)
        take(r, f->time, sizeof f->time, "offense_time");
    else if (e == E_Tatbestandsnummer && p == E_Tatbestand && f->ntbnr++ == 0)
        take(r, f->tbnr, sizeof f->tbnr, "tbnr");
    else if (e == E_Geldbusse && p == E_Verfuegung)
        take(r, f->amount, sizeof f->amount, "amount");
    else if (e == E_Tatort && p == E_Tatorte && f->nplace < 3) {
        size_t o = strlen(f->place);
        char line[F_PLACE + 1];
        take(r, line, sizeof line, "location");
        if (!f->too_long && line[0] && o + strlen(line) + 3 < sizeof f->place)
            snprintf(f->place + o, sizeof f->place - o, "%s%s", o ? ", " : "", line);
        f->nplace++;
    }
}

static int reject(winowig_reader *r, const char *field, const char *why)
{
    return r->sink.on_reject(r->sink.ctx, r->f.line, field, why);
}

/* The case's amount: as decided on the device, else the catalogue's. */
static const char *amount_of(fall *f, int64_t *cents, const char **field)
{
    *field = "amount";
    if (f->amount[0])
        return money_parse(f->amount, strlen(f->amount), cents) < 0 || *cents <= 0
                   ? "not a positive amount"
                   : NULL;
    const offense *o = offense_load() == AB_OK ? offense_find(f->tbnr, strlen(f->tbnr)) : NULL;
    *field = "tbnr";
    if (!o || o->cents <= 0)
        return "not in the offense catalogue (BT-KAT-OWi 2024-08-22), and no Geldbusse given";
    *cents = o->cents;
    return NULL;
}

static const char *check_fall(winowig_reader *r, ticket *t, char ref[AB_REF_MAX + 1],
                              char msg[128], const char **field)
{
    fall *f = &r->f;
    struct { const char *v, *name; } need[] = {{f->ref, "reference"}, {f->plate, "plate"},
                                               {f->tbnr, "tbnr"}, {f->day, "offense_time"}};
    if (f->too_long) {
        *field = f->too_long_field;
        return "longer than the interface allows";
    }
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!need[i].v[0]) {
            *field = need[i].name;
            return "missing";
        }
    const char *why = tickets_check_reference(f->ref, strlen(f->ref), r->scheme, ref, msg);
    if (why) {
        *field = "reference";
        return why;
    }
    *field = "tbnr";
    if (f->ntbnr > 1)
        return "more than one Tatbestand in one case is not supported";
    char when[2 * F_SHORT + 2];
    snprintf(when, sizeof when, "%s%s%s", f->day, f->time[0] ? " " : "", f->time);
    *field = "offense_time";
    if (datetime_parse(when, strlen(when), &t->offense_time) < 0)
        return "not a date (Tattag dd.mm.yyyy, Tatzeit hh:mm[:ss])";
    for (char *c = f->nation; *c; c++)
        *c = *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c;
    return amount_of(f, &t->amount_cents, field);
}

static int fall_end(winowig_reader *r)
{
    fall *f = &r->f;
    ticket t = {.line = f->line};
    char ref[AB_REF_MAX + 1], msg[128];
    const char *field = NULL;
    const char *why = check_fall(r, &t, ref, msg, &field);
    if (why)
        return reject(r, field, why);
    if (f->suffix[0] && strlen(f->plate) + 1 + strlen(f->suffix) < sizeof f->plate) {
        size_t o = strlen(f->plate);
        snprintf(f->plate + o, sizeof f->plate - o, " %s", f->suffix);
    }
    t.reference = ref;
    t.plate = f->plate;
    t.tbnr = f->tbnr;
    t.location = f->place;
    t.nationality = f->nation;
    t.amount_override = false;
    return r->sink.on_ticket(r->sink.ctx, &t);
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
    winowig_reader *r = ctx;
    if (r->rc < 0 || r->depth == 0)
        return;
    enum el e = up(r, 0);
    if (r->in_fall && e != E_OTHER)
        leaf(r, e);
    if (e == E_Fall && r->in_fall && up(r, 1) == E_Mandant) {
        r->in_fall = 0;
        int rc = fall_end(r);
        if (rc < 0)
            fail(r, rc, "the receiver of tickets failed");
    }
    r->depth--;
    r->text_len = 0;
    r->text_over = 0;
}

static void on_chars(void *ctx, const xmlChar *ch, int len)
{
    winowig_reader *r = ctx;
    size_t n = (size_t)len;
    if (r->text_len + n > AB_TEXT_FIELD_MAX) {
        n = AB_TEXT_FIELD_MAX - r->text_len;
        r->text_over = 1;
    }
    memcpy(r->text + r->text_len, ch, n);
    r->text_len += n;
}

static void on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext,
                               const xmlChar *sys)
{
    fail(ctx, AB_E_PARSE, "DOCTYPE: a document type declaration is not allowed");
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                           const xmlChar *sys, xmlChar *content)
{
    fail(ctx, AB_E_PARSE, "ENTITY: entity declarations are not allowed");
}

static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
    return NULL; /* only the predefined five, which libxml2 resolves itself */
}

static void on_error(void *ctx, xmlErrorPtr err)
{
    winowig_reader *r = ctx;
    if (!err || err->level < XML_ERR_ERROR || r->rc < 0)
        return;
    char msg[256];
    snprintf(msg, sizeof msg, "%s", err->message ? err->message : "malformed XML");
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    size_t n = strlen(msg);
    while (n && msg[n - 1] == ' ')
        msg[--n] = '\0';
    snprintf(r->err, sizeof r->err, "line %d: XML: %s", err->line, msg);
    r->rc = AB_E_PARSE;
}

static void quiet(void *ctx, const char *msg, ...)
{
}

int winowig_reader_create(winowig_reader **out, const tickets_sink *sink, enum cd_scheme scheme,
                          const char *filename)
{
    winowig_reader *r = mem_calloc(1, sizeof *r);
    if (!r)
        return AB_E_NOMEM;
    r->sink = *sink;
    r->scheme = scheme;
    r->filename = filename ? filename : "-";
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.characters = on_chars;
    sax.cdataBlock = on_chars;
    sax.internalSubset = on_internal_subset;
    sax.entityDecl = on_entity_decl;
    sax.getEntity = on_get_entity;
    sax.serror = on_error;
    xmlSetGenericErrorFunc(NULL, quiet);
    r->ctxt = xmlCreatePushParserCtxt(&sax, r, NULL, 0, r->filename);
    if (!r->ctxt) {
        mem_free(r);
        return AB_E_NOMEM;
    }
    /* A handheld export is data: nothing is fetched, no DTD, no entities. */
    xmlCtxtUseOptions(r->ctxt, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
    *out = r;
    return AB_OK;
}

int winowig_reader_feed(winowig_reader *r, const char *buf, size_t n, bool last)
{
    r->fed += n;
    while (r->rc == AB_OK && n > 0) {
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        if (xmlParseChunk(r->ctxt, buf, chunk, 0) != 0 && r->rc == AB_OK)
            fail(r, AB_E_PARSE, "XML: malformed");
        buf += chunk;
        n -= (size_t)chunk;
    }
    if (r->rc == AB_OK && last) {
        if (xmlParseChunk(r->ctxt, NULL, 0, 1) != 0 && r->rc == AB_OK)
            fail(r, AB_E_PARSE, "XML: malformed");
        if (r->rc == AB_OK && (!r->root_ok || r->depth))
            fail(r, AB_E_PARSE, r->root_ok ? "the document ends before its last element"
                                           : "no OWIGMDEData document in the file");
    }
    return r->rc;
}

const char *winowig_reader_error(const winowig_reader *r)
{
    return r->err;
}

void winowig_reader_destroy(winowig_reader *r)
{
    if (!r)
        return;
    if (r->ctxt) {
        if (r->ctxt->myDoc)
            xmlFreeDoc(r->ctxt->myDoc);
        xmlFreeParserCtxt(r->ctxt);
    }
    mem_free(r);
}
