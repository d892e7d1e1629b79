/* ytree.c - reads one YAML file into a bounded tree, with positions. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "internal.h"

/*
 * libyaml's event parser does the YAML; this file adds the limits a
 * policy from an untrusted pull request needs (no anchors or aliases, so
 * no "billion laughs"; bounded depth and size) and the checks that make
 * mistakes easy to find (UTF-8 with its offset, tabs, duplicate keys).
 */

struct frame {
	struct nsf_ynode *node;         /* the map or list being filled */
	struct nsf_ynode **items;       /* heap, moved to the arena at end */
	size_t n;
	size_t cap;
};

/*
 * Short scalars repeat: every domain says "registry", "primary" and the
 * same provider names.  One copy of each keeps a 100,000-domain tree
 * small.  Open addressing, grown at half full.
 */
#define INTERN_MAX_LEN 32

struct intern {
	char **slot;
	size_t cap;             /* power of two */
	size_t n;
};

struct yparse {
	struct intern strings;
	struct nsf_arena *a;
	struct nsf_diags *d;
	const char *fname;
	unsigned fileidx;
	struct frame stack[NSF_POLICY_MAX_DEPTH + 1];
	size_t depth;                   /* frames in use */
	struct nsf_ynode *root;
	struct nsf_value_budget *budget;        /* shared by the files */
	unsigned ndocs;
	bool failed;            /* stop: the rest cannot be read */
};

static void NSF_PRINTF(6, 7)
yerr(struct yparse *y, unsigned line, unsigned col, const char *code,
    const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nsf_diags_vadd(y->d, NSF_DIAG_ERROR, y->fname, line, col, code, hint,
	    fmt, ap);
	va_end(ap);
	y->failed = true;
}

/* Length of the UTF-8 sequence at p, or 0 when it is not valid. */
static size_t
utf8_seq(const unsigned char *p, size_t left)
{
	unsigned c = p[0], cp, i, n;

	if (c < 0x80) {
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, cp = c & 0x07;
	} else {
		return 0;
	}
	if (left < n) {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	return n;
}

/* One pass over the bytes: UTF-8 validity and tabs in indentation. */
static bool
prescan(struct yparse *y, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i = 0;
	unsigned line = 1, col = 1;
	bool at_indent = true;
	unsigned tab_col = 0;

	while (i < len) {
		size_t n = utf8_seq(p + i, len - i);

		if (n == 0) {
			yerr(y, line, col, "invalid-utf8", "save the file as "
			    "UTF-8", "byte 0x%02x at offset %zu is not valid "
			    "UTF-8", p[i], i);
			return false;
		}
		if (p[i] == '\n') {
			line++;
			col = 1;
			at_indent = true;
			tab_col = 0;
			i++;
			continue;
		}
		if (at_indent && p[i] == '\t' && tab_col == 0) {
			tab_col = col;
		} else if (at_indent && p[i] != ' ' && p[i] != '\t' &&
		    p[i] != '\r') {
			at_indent = false;
			if (tab_col != 0 && p[i] != '#') {
				yerr(y, line, tab_col, "tab-indent",
				    "indent with spaces", "tab character in "
				    "indentation");
			}
		}
		i += n;
		col++;
	}
	return !y->failed;
}

static size_t
str_hash(const char *s, size_t len)
{
	size_t h = 2166136261u, i;

	for (i = 0; i < len; i++) {
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	}
	return h;
}

static void
intern_grow(struct intern *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024, i, j;
	char **slot = nsf_xcalloc(cap, sizeof(*slot));

	for (i = 0; i < t->cap; i++) {
		if (t->slot[i] == NULL) {
			continue;
		}
		j = str_hash(t->slot[i], strlen(t->slot[i])) & (cap - 1);
		while (slot[j] != NULL) {
			j = (j + 1) & (cap - 1);
		}
		slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
}

/* The one copy of a short string (without NUL bytes) in the arena. */
static char *
intern_str(struct yparse *y, const char *s, size_t len)
{
	struct intern *t = &y->strings;
	size_t j;

	if (len > INTERN_MAX_LEN || memchr(s, '\0', len) != NULL) {
		return nsf_arena_strndup(y->a, s, len);
	}
	if (2 * (t->n + 1) > t->cap) {
		intern_grow(t);
	}
	j = str_hash(s, len) & (t->cap - 1);
	for (; t->slot[j] != NULL; j = (j + 1) & (t->cap - 1)) {
		if (strncmp(t->slot[j], s, len) == 0 &&
		    t->slot[j][len] == '\0') {
			return t->slot[j];
		}
	}
	t->slot[j] = nsf_arena_strndup(y->a, s, len);
	t->n++;
	return t->slot[j];
}

static struct nsf_ynode *
node_new(struct yparse *y, enum nsf_ynode_kind kind, yaml_mark_t m)
{
	struct nsf_ynode *n = nsf_arena_alloc(y->a, sizeof(*n));

	n->kind = kind;
	n->file = y->fileidx;
	n->line = (unsigned)m.line + 1;
	n->col = (unsigned)m.column + 1;
	return n;
}

static void
frame_push_item(struct frame *f, struct nsf_ynode *n)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->items = nsf_xrealloc(f->items, f->cap * sizeof(*f->items));
	}
	f->items[f->n++] = n;
}

static void
attach(struct yparse *y, struct nsf_ynode *n)
{
	if (y->depth == 0) {
		y->root = n;
		return;
	}
	frame_push_item(&y->stack[y->depth - 1], n);
}

static int
key_cmp(const void *pa, const void *pb)
{
	const struct nsf_ynode *const *a = pa, *const *b = pb;
	int c = strcmp((*a)->str, (*b)->str);

	if (c != 0) {
		return c;
	}
	return (*a)->line != (*b)->line ? ((*a)->line < (*b)->line ? -1 : 1)
	    : ((*a)->col < (*b)->col ? -1 : (*a)->col > (*b)->col);
}

/* Reports the later of two equal keys and marks it to be dropped;
 * reading goes on, so one run shows every problem. */
static void
report_dup(struct yparse *y, struct nsf_ynode *first, struct nsf_ynode *dup)
{
	nsf_diags_add(y->d, NSF_DIAG_ERROR, y->fname, dup->line, dup->col,
	    "duplicate-key", "remove one of them", "duplicate key '%s' "
	    "(first defined at %s:%u:%u)", dup->str, y->fname, first->line,
	    first->col);
	dup->dropped = true;
}

static void
find_dup_keys(struct yparse *y, struct frame *f)
{
	size_t npairs = f->n / 2, i, j;
	struct nsf_ynode **keys;

	if (npairs <= 8) {
		for (i = 1; i < npairs; i++) {
			for (j = 0; j < i; j++) {
				struct nsf_ynode *a = f->items[2 * j];
				struct nsf_ynode *b = f->items[2 * i];

				if (!a->dropped &&
				    strcmp(a->str, b->str) == 0) {
					report_dup(y, a, b);
					break;
				}
			}
		}
		return;
	}
	keys = nsf_xmalloc(npairs * sizeof(*keys));
	for (i = 0; i < npairs; i++) {
		keys[i] = f->items[2 * i];
	}
	qsort(keys, npairs, sizeof(*keys), key_cmp);
	for (i = 1, j = 0; i < npairs; i++) {
		if (strcmp(keys[j]->str, keys[i]->str) == 0) {
			report_dup(y, keys[j], keys[i]);
		} else {
			j = i;
		}
	}
	free(keys);
}

/* Closes a map: keys must be scalars, unique; duplicates are dropped. */
static void
close_map(struct yparse *y, struct frame *f)
{
	size_t i, out = 0;

	for (i = 0; i + 1 < f->n; i += 2) {
		if (f->items[i]->kind != NSF_YNODE_SCALAR) {
			nsf_diags_add(y->d, NSF_DIAG_ERROR, y->fname,
			    f->items[i]->line, f->items[i]->col, "bad-key",
			    "write keys as plain words", "a key must be a "
			    "string, not %s", nsf_ynode_kind_name(f->items[i]));
			f->items[i]->kind = NSF_YNODE_SCALAR;
			f->items[i]->str = "";
			f->items[i]->len = 0;
			f->items[i]->dropped = true;
		}
	}
	find_dup_keys(y, f);
	for (i = 0; i + 1 < f->n; i += 2) {
		if (f->items[i]->dropped) {
			continue;
		}
		f->items[out++] = f->items[i];
		f->items[out++] = f->items[i + 1];
	}
	f->n = out;
}

static void
close_frame(struct yparse *y)
{
	struct frame *f = &y->stack[--y->depth];
	struct nsf_ynode *n = f->node;

	if (n->kind == NSF_YNODE_MAP) {
		close_map(y, f);
		n->n = f->n / 2;
	} else {
		n->n = f->n;
	}
	n->items = nsf_arena_alloc(y->a, (f->n ? f->n : 1) *
	    sizeof(*n->items));
	if (f->n > 0) {
		memcpy(n->items, f->items, f->n * sizeof(*n->items));
	}
	free(f->items);
	memset(f, 0, sizeof(*f));
	attach(y, n);
}

/* Every node costs one value of the policy's budget: a flood of tiny
 * values (16 MiB of "a,") would otherwise take half a gigabyte a file. */
static bool
take_value(struct yparse *y, yaml_mark_t m)
{
	if (y->budget->left > 0) {
		y->budget->left--;
		return true;
	}
	yerr(y, (unsigned)m.line + 1, (unsigned)m.column + 1, "too-large",
	    "look for a runaway list, or a generated file that does not "
	    "belong in the policy", "the policy holds more than %zu values "
	    "(keys, values and list items together)", y->budget->limit);
	return false;
}

/* Anchors, aliases and tags are refused: the format needs none of them,
 * and aliases are how a small file expands into a huge one. */
static bool
check_props(struct yparse *y, yaml_mark_t m, const yaml_char_t *anchor,
    const yaml_char_t *tag, bool implicit)
{
	if (anchor != NULL) {
		yerr(y, (unsigned)m.line + 1, (unsigned)m.column + 1,
		    "anchor", "write the value out in full",
		    "anchors ('&%s') are not allowed in a policy", anchor);
		return false;
	}
	if (tag != NULL && !implicit) {
		yerr(y, (unsigned)m.line + 1, (unsigned)m.column + 1, "tag",
		    "remove the tag", "tags ('%s') are not allowed in a "
		    "policy", tag);
		return false;
	}
	return true;
}

static void
open_collection(struct yparse *y, yaml_event_t *ev, bool is_map)
{
	struct nsf_ynode *n;

	if (y->depth >= NSF_POLICY_MAX_DEPTH) {
		yerr(y, (unsigned)ev->start_mark.line + 1,
		    (unsigned)ev->start_mark.column + 1, "too-deep",
		    "flatten the structure", "nesting deeper than %d levels",
		    NSF_POLICY_MAX_DEPTH);
		return;
	}
	if (!take_value(y, ev->start_mark)) {
		return;
	}
	n = node_new(y, is_map ? NSF_YNODE_MAP : NSF_YNODE_SEQ,
	    ev->start_mark);
	y->stack[y->depth].node = n;
	y->depth++;
}

static void
on_scalar(struct yparse *y, yaml_event_t *ev)
{
	struct nsf_ynode *n;

	if (!take_value(y, ev->start_mark)) {
		return;
	}
	n = node_new(y, NSF_YNODE_SCALAR, ev->start_mark);

	n->len = ev->data.scalar.length;
	n->str = intern_str(y, (const char *)ev->data.scalar.value, n->len);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (memchr(n->str, '\0', n->len) != NULL) {
		yerr(y, n->line, n->col, "nul-byte", "remove the \\0 "
		    "escape", "a value holds a NUL character");
	}
	attach(y, n);
}

static void
on_event(struct yparse *y, yaml_event_t *ev)
{
	yaml_mark_t m = ev->start_mark;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++y->ndocs > 1) {
			yerr(y, (unsigned)m.line + 1, (unsigned)m.column + 1,
			    "multiple-documents", "split it into two files",
			    "a policy file holds one YAML document");
		}
		break;
	case YAML_ALIAS_EVENT:
		yerr(y, (unsigned)m.line + 1, (unsigned)m.column + 1, "alias",
		    "write the value out in full", "aliases ('*%s') are not "
		    "allowed in a policy", ev->data.alias.anchor);
		break;
	case YAML_SCALAR_EVENT:
		if (check_props(y, m, ev->data.scalar.anchor,
		    ev->data.scalar.tag, ev->data.scalar.plain_implicit ||
		    ev->data.scalar.quoted_implicit)) {
			on_scalar(y, ev);
		}
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT: {
		bool map = ev->type == YAML_MAPPING_START_EVENT;

		if (check_props(y, m, map ? ev->data.mapping_start.anchor :
		    ev->data.sequence_start.anchor, map ?
		    ev->data.mapping_start.tag : ev->data.sequence_start.tag,
		    map ? ev->data.mapping_start.implicit :
		    ev->data.sequence_start.implicit)) {
			open_collection(y, ev, map);
		}
		break;
	}
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		close_frame(y);
		break;
	default:
		break;
	}
}

static void
syntax_error(struct yparse *y, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "syntax error";
	yaml_mark_t m = p->problem_mark;

	if (p->context != NULL && strstr(p->context, "quoted scalar") &&
	    strstr(problem, "end of stream")) {
		m = p->context_mark;
		yerr(y, (unsigned)m.line + 1, (unsigned)m.column + 1,
		    "unterminated-quote", "close it with the same quote "
		    "character", "quoted string is never closed");
		return;
	}
	if (p->context != NULL) {
		yerr(y, (unsigned)m.line + 1, (unsigned)m.column + 1,
		    "syntax", NULL, "invalid YAML: %s %s (from line %u)",
		    problem, p->context,
		    (unsigned)p->context_mark.line + 1);
		return;
	}
	yerr(y, (unsigned)m.line + 1, (unsigned)m.column + 1, "syntax",
	    NULL, "invalid YAML: %s", problem);
}

static void
run_parser(struct yparse *y, const char *data, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	bool done = false;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!done && !y->failed) {
		if (!yaml_parser_parse(&p, &ev)) {
			syntax_error(y, &p);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		on_event(y, &ev);
		yaml_event_delete(&ev);
	}
	while (y->depth > 0) {
		struct frame *f = &y->stack[--y->depth];

		free(f->items);
	}
	yaml_parser_delete(&p);
}

struct nsf_ynode *
nsf_ytree_parse(struct nsf_arena *a, struct nsf_diags *d, const char *fname,
    unsigned fileidx, const char *data, size_t len,
    struct nsf_value_budget *budget)
{
	struct yparse y;

	memset(&y, 0, sizeof(y));
	y.a = a;
	y.d = d;
	y.budget = budget;
	y.fname = fname;
	y.fileidx = fileidx;
	if (len > NSF_POLICY_MAX_FILE_BYTES) {
		yerr(&y, 1, 1, "too-large", "split the policy into several "
		    "files in one directory", "file is %zu bytes, over the "
		    "limit of %u", len, NSF_POLICY_MAX_FILE_BYTES);
		return NULL;
	}
	if (!prescan(&y, data, len)) {
		return NULL;
	}
	run_parser(&y, data, len);
	free(y.strings.slot);
	if (y.failed) {
		return NULL;
	}
	if (y.root == NULL || nsf_ynode_is_null(y.root)) {
		yerr(&y, 1, 1, "empty-file", "start with 'version: 1'",
		    "file is empty");
		return NULL;
	}
	if (y.root->kind != NSF_YNODE_MAP) {
		yerr(&y, y.root->line, y.root->col, "wrong-type",
		    "start with 'version: 1'", "the top level must be a map "
		    "of keys, not %s", nsf_ynode_kind_name(y.root));
		return NULL;
	}
	return y.root;
}

bool
nsf_ynode_is_null(const struct nsf_ynode *n)
{
	if (n->kind != NSF_YNODE_SCALAR || !n->plain) {
		return false;
	}
	return n->len == 0 || strcmp(n->str, "~") == 0 ||
	    strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
	    strcmp(n->str, "NULL") == 0;
}

const char *
nsf_ynode_kind_name(const struct nsf_ynode *n)
{
	if (n->kind == NSF_YNODE_MAP) {
		return "a map";
	}
	if (n->kind == NSF_YNODE_SEQ) {
		return "a list";
	}
	return nsf_ynode_is_null(n) ? "nothing" : "a string";
}

struct nsf_ynode *
nsf_ynode_get(const struct nsf_ynode *map, const char *key)
{
	size_t i;

	for (i = 0; i < map->n; i++) {
		if (strcmp(map->items[2 * i]->str, key) == 0) {
			return map->items[2 * i + 1];
		}
	}
	return NULL;
}
