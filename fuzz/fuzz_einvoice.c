/*
 * fuzz_einvoice.c - libFuzzer target for the e-invoice reader and rules.
 *
 * Any input either parses or is refused with a reason; a parsed invoice's
 * texts are C strings within their fields, its counts within their caps,
 * and the rules run over it without a fault.  Parsing the same bytes twice
 * gives the same amount due (no state left behind).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../engine/einvcheck.h"
#include "../formats/einvoice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    einvoice e;
    if (einvoice_parse((const char *)data, size, &e, err, sizeof err) != AB_OK) {
        assert(strlen(err) < sizeof err && err[0]);
        return 0;
    }
    assert(strlen(e.number) < sizeof e.number && strlen(e.buyer_ref) < sizeof e.buyer_ref);
    assert(e.n_means <= EI_MEANS_MAX && e.n_vat <= EI_VAT_MAX && e.n_lines <= (int)EI_LINES_MAX);
    ei_finding f[EI_FINDINGS_MAX];
    int n = einvcheck_run(&e, f, EI_FINDINGS_MAX);
    assert(n >= 0 && n <= EI_FINDINGS_MAX && einvcheck_errors(f, n) <= n);
    int64_t due = e.due_cents;
    einvoice_free(&e);
    assert(einvoice_parse((const char *)data, size, &e, err, sizeof err) == AB_OK);
    assert(e.due_cents == due);
    einvoice_free(&e);
    return 0;
}
