/*
 * arena.h - bump allocators named after lifetimes (per file, per entry,
 * per batch).
 *
 * An arena hands out memory until its cap is reached and is then reset as a
 * whole; nothing in it is freed one by one.  The creator owns the arena and
 * destroys it; pointers into it die at the next arena_reset.
 */
#ifndef AB_ARENA_H
#define AB_ARENA_H

#include <stddef.h>

typedef struct arena arena;

/* cap: most bytes this arena may hand out between resets. */
int arena_create(arena **out, size_t cap) __attribute__((warn_unused_result));
void arena_destroy(arena *a);

/* 16-byte aligned block, or NULL when the cap or memory runs out. */
void *arena_alloc(arena *a, size_t n) __attribute__((warn_unused_result));
/* Copy of s[0..n) plus a NUL terminator, or NULL. */
char *arena_strndup(arena *a, const char *s, size_t n) __attribute__((warn_unused_result));
void arena_reset(arena *a);
size_t arena_used(const arena *a);

#endif
