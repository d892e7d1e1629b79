/* arena.c - bump allocation for a loaded policy, freed all at once. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Most policies fit in one chunk; big ones take a chunk per 1 MiB. */
#define ARENA_CHUNK (1024u * 1024u)
#define ARENA_ALIGN 8u

struct chunk {
	struct chunk *next;
	size_t used;            /* bytes handed out from data */
	size_t cap;             /* bytes in data */
	_Alignas(16) unsigned char data[];
};

struct nsf_arena {
	struct chunk *head;     /* the chunk being filled */
	size_t total;           /* bytes of every chunk, headers included */
};

struct nsf_arena *
nsf_arena_new(void)
{
	return nsf_xcalloc(1, sizeof(struct nsf_arena));
}

void
nsf_arena_free(struct nsf_arena *a)
{
	struct chunk *c, *next;

	if (a == NULL) {
		return;
	}
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

static struct chunk *
chunk_new(struct nsf_arena *a, size_t need)
{
	size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
	struct chunk *c = nsf_xmalloc(sizeof(*c) + cap);

	c->used = 0;
	c->cap = cap;
	a->total += sizeof(*c) + cap;
	return c;
}

void *
nsf_arena_alloc(struct nsf_arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t size = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (size == 0) {
		size = ARENA_ALIGN;
	}
	if (c == NULL || c->cap - c->used < size) {
		struct chunk *fresh = chunk_new(a, size);

		/* A one-off large block goes behind the head so the space
		 * left in the current chunk is still used. */
		if (c != NULL && size > ARENA_CHUNK / 4) {
			fresh->next = c->next;
			c->next = fresh;
		} else {
			fresh->next = c;
			a->head = fresh;
		}
		c = fresh;
	}
	p = c->data + c->used;
	c->used += size;
	memset(p, 0, n);
	return p;
}

char *
nsf_arena_strndup(struct nsf_arena *a, const char *s, size_t n)
{
	char *p = nsf_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
nsf_arena_strdup(struct nsf_arena *a, const char *s)
{
	return nsf_arena_strndup(a, s, strlen(s));
}

size_t
nsf_arena_size(const struct nsf_arena *a)
{
	return a->total;
}
