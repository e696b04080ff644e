/*
 * claimidx.h - the in-memory index of claims, keyed by normalised reference.
 *
 * Built once per run from PostgreSQL at its final capacity (no rehash on the
 * hot path), then read by the matcher threads and updated only by the single
 * apply step.  Open addressing with linear probing over a slot array of
 * xxh3 tags; the reference bytes live in one string pool.  A slot index is a
 * stable handle to a claim for the life of the index.  The caller owns the
 * index and destroys it.
 */
#ifndef AB_CLAIMIDX_H
#define AB_CLAIMIDX_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct claimidx claimidx;

#define CLAIMIDX_NONE UINT32_MAX

/* capacity: the number of claims that will be inserted (at most AB_CLAIMS_MAX). */
int claimidx_create(claimidx **out, size_t capacity) AB_MUSTCHECK;
void claimidx_destroy(claimidx *ix);

/* Adds a claim; ref is already normalised (see refscan_normalise).
 * AB_E_DUP if the reference is present, AB_E_LIMIT past capacity. */
int claimidx_insert(claimidx *ix, const char *ref, size_t n, int64_t claim_id,
                    int64_t amount_cents, int64_t open_cents, int32_t due_day,
                    uint32_t *slot) AB_MUSTCHECK;

/* Slot of the claim with this normalised reference, or CLAIMIDX_NONE.
 * Safe to call from many threads while nobody inserts. */
uint32_t claimidx_find(const claimidx *ix, const char *ref, size_t n);

/* Hints: a lookup of this reference comes soon (loads its table line), or
 * the apply step will soon read this claim's record. */
void claimidx_prefetch_ref(const claimidx *ix, const char *ref, size_t n);
void claimidx_prefetch(const claimidx *ix, uint32_t slot);
size_t claimidx_count(const claimidx *ix);
int64_t claimidx_claim_id(const claimidx *ix, uint32_t slot);
int64_t claimidx_amount(const claimidx *ix, uint32_t slot);
int64_t claimidx_open(const claimidx *ix, uint32_t slot);
int32_t claimidx_due_day(const claimidx *ix, uint32_t slot);
const char *claimidx_reference(const claimidx *ix, uint32_t slot, size_t *n);
/* Reduces the open amount (allocation) or raises it (reversal, negative). */
void claimidx_apply(claimidx *ix, uint32_t slot, int64_t cents);
/* Shortest and longest reference inserted (0 when empty). */
size_t claimidx_min_len(const claimidx *ix);
size_t claimidx_max_len(const claimidx *ix);
/* Licence plates: claims are also findable by normalised plate (see
 * plate_normalise).  Set during the build, after claimidx_insert. */
int claimidx_set_plate(claimidx *ix, uint32_t slot, const char *plate, size_t n) AB_MUSTCHECK;
/* First claim with this plate, or CLAIMIDX_NONE; claimidx_plate_next walks
 * the others (in insertion order reversed). */
uint32_t claimidx_plate_first(const claimidx *ix, const char *plate, size_t n);
uint32_t claimidx_plate_next(const claimidx *ix, uint32_t slot);

/* Bytes held, for the memory-per-claim figure. */
size_t claimidx_bytes(const claimidx *ix);

/* A claim whose ledger moved since the index was built (escalation fees,
 * payments of other runs): its owed and open amounts and due day. */
void claimidx_update(claimidx *ix, uint32_t slot, int64_t amount_cents, int64_t open_cents,
                     int32_t due_day);

/* map[id] = slot for every claim in the index with 0 <= id < n (other
 * entries are left as they are): finding claims by id, for the changes a
 * snapshot's delta brings (jobs/claimload.c). */
void claimidx_id_map(const claimidx *ix, uint32_t *map, size_t n);

/* Persistence (engine/claimsnap.c wraps it in a file with the database's
 * identity): the arrays exactly as they lie in memory, behind a header with
 * a magic, the format version, the sizes and an XXH3 of the payload.
 * claimidx_save writes at fd's position; claimidx_load reads from there and
 * makes an index with room for `extra` more inserts.  Load errors:
 * AB_E_PARSE for anything but an intact index of this format (wrong magic
 * or version, truncated, checksum mismatch), AB_E_LIMIT when its table
 * cannot take `extra` more claims without a rehash (then build afresh). */
int claimidx_save(const claimidx *ix, int fd) AB_MUSTCHECK;
int claimidx_load(claimidx **out, int fd, size_t extra) AB_MUSTCHECK;

#endif
