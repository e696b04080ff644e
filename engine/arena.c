/*
 * arena.c - chunked bump allocator.
 *
 * Memory comes in chunks of at least ARENA_CHUNK bytes kept in a list; reset
 * keeps the first chunk (the common case of a small batch reuses it without
 * touching malloc) and frees the rest.  The cap counts bytes handed out, so a
 * hostile file cannot grow an arena past what limits.h allows.
 */
#include "arena.h"

#include <stdint.h>
#include <string.h>

#include "err.h"
#include "mem.h"

#define ARENA_CHUNK (64u * 1024u)
#define ARENA_ALIGN 16u

struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

struct arena {
    struct chunk *head;
    size_t cap, handed;
};

int arena_create(arena **out, size_t cap)
{
    arena *a = mem_calloc(1, sizeof *a);
    if (!a)
        return AB_E_NOMEM;
    a->cap = cap;
    *out = a;
    return AB_OK;
}

static void free_chunks(struct chunk *c)
{
    while (c) {
        struct chunk *n = c->next;
        mem_free(c);
        c = n;
    }
}

void arena_destroy(arena *a)
{
    if (!a)
        return;
    free_chunks(a->head);
    mem_free(a);
}

void *arena_alloc(arena *a, size_t n)
{
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n || a->handed + need > a->cap)
        return NULL;
    struct chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        size_t size = need > ARENA_CHUNK ? need : ARENA_CHUNK;
        struct chunk *nc = mem_alloc(sizeof *nc + size);
        if (!nc)
            return NULL;
        nc->size = size;
        nc->used = 0;
        nc->next = c;
        a->head = c = nc;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->handed += need;
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void arena_reset(arena *a)
{
    if (!a->head)
        return;
    /* Keep the oldest chunk (the list tail): it is the reusable base size. */
    struct chunk *c = a->head, *keep = NULL;
    while (c) {
        struct chunk *n = c->next;
        if (!n && c->size == ARENA_CHUNK) {
            keep = c;
        } else {
            mem_free(c);
        }
        c = n;
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
    a->handed = 0;
}

size_t arena_used(const arena *a)
{
    return a->handed;
}
