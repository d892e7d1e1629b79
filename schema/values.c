/* values.c - typed readers for policy values, each with a precise error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

static void
ladd(struct nsf_lctx *c, enum nsf_diag_severity sev,
    const struct nsf_ynode *n, const char *code, const char *hint,
    const char *fmt, va_list ap) NSF_PRINTF(6, 0);

static void
ladd(struct nsf_lctx *c, enum nsf_diag_severity sev,
    const struct nsf_ynode *n, const char *code, const char *hint,
    const char *fmt, va_list ap)
{
	nsf_diags_vadd(c->d, sev, c->p->files[n->file], n->line, n->col, code,
	    hint, fmt, ap);
}

void
nsf_lerr(struct nsf_lctx *c, const struct nsf_ynode *n, const char *code,
    const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ladd(c, NSF_DIAG_ERROR, n, code, hint, fmt, ap);
	va_end(ap);
}

void
nsf_lwarn(struct nsf_lctx *c, const struct nsf_ynode *n, const char *code,
    const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ladd(c, NSF_DIAG_WARNING, n, code, hint, fmt, ap);
	va_end(ap);
}

void
nsf_lnote(struct nsf_lctx *c, const struct nsf_pos *pos, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	nsf_diags_vadd(c->d, NSF_DIAG_NOTE, pos->file, pos->line, pos->col,
	    "note", NULL, fmt, ap);
	va_end(ap);
}

void
nsf_lpos(struct nsf_pos *out, const struct nsf_lctx *c,
    const struct nsf_ynode *n)
{
	out->file = c->p->files[n->file];
	out->line = n->line;
	out->col = n->col;
}

static void
unknown_key(struct nsf_lctx *c, const struct nsf_ynode *k,
    const struct nsf_schema_map *m)
{
	const char *cands[32];
	const char *best;
	size_t i, n = m->nkeys < 32 ? m->nkeys : 32;
	char hint[128];

	for (i = 0; i < n; i++) {
		cands[i] = m->keys[i].name;
	}
	best = nsf_did_you_mean(k->str, cands, n);
	if (best != NULL) {
		snprintf(hint, sizeof(hint), "did you mean '%s'?", best);
	} else {
		snprintf(hint, sizeof(hint), "see man 5 nsfailover-policy "
		    "for the keys of %s", m->what);
	}
	nsf_lerr(c, k, "unknown-key", hint, "unknown key '%s' in %s",
	    k->str, m->what);
}

bool
nsf_lcheck_keys(struct nsf_lctx *c, const struct nsf_ynode *n,
    const struct nsf_schema_map *m)
{
	size_t i;
	bool ok = true;

	for (i = 0; i < n->n; i++) {
		if (nsf_schema_find(m, n->items[2 * i]->str) == NULL) {
			unknown_key(c, n->items[2 * i], m);
			ok = false;
		}
	}
	return ok;
}

bool
nsf_lcheck_map(struct nsf_lctx *c, const struct nsf_ynode *owner,
    const struct nsf_ynode *n, const struct nsf_schema_map *m)
{
	size_t i;
	bool ok;

	if (n->kind != NSF_YNODE_MAP) {
		nsf_lerr(c, n, "wrong-type", "write 'key: value' lines under "
		    "it", "%s must be a map, not %s", m->what,
		    nsf_ynode_kind_name(n));
		return false;
	}
	/* Unknown keys are reported but do not stop the reading: the
	 * caller can rely on the required keys only. */
	nsf_lcheck_keys(c, n, m);
	ok = true;
	for (i = 0; i < m->nkeys; i++) {
		char hint[96];

		if (!(m->keys[i].flags & NSF_SK_REQUIRED) ||
		    nsf_ynode_get(n, m->keys[i].name) != NULL) {
			continue;
		}
		snprintf(hint, sizeof(hint), "add a '%s:' key; see man 5 "
		    "nsfailover-policy", m->keys[i].name);
		if (owner != NULL && owner != n) {
			nsf_lerr(c, owner, "missing-key", hint, "%s '%s' has "
			    "no '%s' (it is required)", m->what, owner->str,
			    m->keys[i].name);
		} else {
			nsf_lerr(c, n, "missing-key", hint, "%s has no '%s' "
			    "(it is required)", m->what, m->keys[i].name);
		}
		ok = false;
	}
	return ok;
}

static bool
want_scalar(struct nsf_lctx *c, const struct nsf_ynode *n, const char *what,
    const char *hint)
{
	if (n->kind != NSF_YNODE_SCALAR) {
		nsf_lerr(c, n, "wrong-type", hint, "expected %s, got %s",
		    what, nsf_ynode_kind_name(n));
		return false;
	}
	if (nsf_ynode_is_null(n)) {
		nsf_lerr(c, n, "missing-value", hint, "expected %s, but no "
		    "value is given", what);
		return false;
	}
	return true;
}

bool
nsf_lread_str(struct nsf_lctx *c, const struct nsf_ynode *n,
    const char **out)
{
	if (!want_scalar(c, n, "a string", NULL)) {
		return false;
	}
	*out = n->str;
	return true;
}

static bool
all_digits(const char *s)
{
	if (*s == '\0') {
		return false;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9') {
			return false;
		}
	}
	return true;
}

bool
nsf_lread_uint(struct nsf_lctx *c, const struct nsf_ynode *n, unsigned min,
    unsigned max, unsigned *out)
{
	char hint[96];
	unsigned long v;

	snprintf(hint, sizeof(hint), "write a whole number from %u to %u",
	    min, max);
	if (!want_scalar(c, n, "a number", hint)) {
		return false;
	}
	if (!n->plain || !all_digits(n->str) || n->len > 9) {
		nsf_lerr(c, n, n->plain && all_digits(n->str) ?
		    "out-of-range" : "wrong-type", hint,
		    "'%s' is not a %s", n->str, n->plain ? "whole number "
		    "in range" : "number (it is quoted)");
		return false;
	}
	v = strtoul(n->str, NULL, 10);
	if (v < min || v > max) {
		nsf_lerr(c, n, "out-of-range", hint, "%lu is out of range",
		    v);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

bool
nsf_lread_bool(struct nsf_lctx *c, const struct nsf_ynode *n, bool *out)
{
	const char *hint = "write true or false";

	if (!want_scalar(c, n, "true or false", hint)) {
		return false;
	}
	if (n->plain && strcmp(n->str, "true") == 0) {
		*out = true;
		return true;
	}
	if (n->plain && strcmp(n->str, "false") == 0) {
		*out = false;
		return true;
	}
	nsf_lerr(c, n, "wrong-type", "write true or false; YAML 1.1 words "
	    "such as yes, no, on and off are not booleans here",
	    "'%s' is not a boolean", n->str);
	return false;
}

bool
nsf_lread_duration(struct nsf_lctx *c, const struct nsf_ynode *n,
    uint64_t min, uint64_t max, uint64_t *out)
{
	char hint[128], *fmin, *fmax;
	uint64_t v;

	fmin = nsf_duration_format(min);
	fmax = nsf_duration_format(max);
	snprintf(hint, sizeof(hint), "write a duration from %s to %s such "
	    "as 250ms, 90s, 15m or 1h", fmin, fmax);
	free(fmin);
	free(fmax);
	if (!want_scalar(c, n, "a duration", hint)) {
		return false;
	}
	if (all_digits(n->str)) {
		snprintf(hint, sizeof(hint), "add a unit: %ss, %sm or %sms",
		    n->str, n->str, n->str);
		nsf_lerr(c, n, "wrong-type", hint, "duration '%s' has no "
		    "unit", n->str);
		return false;
	}
	if (nsf_duration_parse(&v, n->str) != 0) {
		nsf_lerr(c, n, "wrong-type", hint, "'%s' is not a duration",
		    n->str);
		return false;
	}
	if (v < min || v > max) {
		nsf_lerr(c, n, "out-of-range", hint, "duration '%s' is out "
		    "of range", n->str);
		return false;
	}
	*out = v;
	return true;
}

bool
nsf_lread_enum(struct nsf_lctx *c, const struct nsf_ynode *n,
    const char *const *names, int *out)
{
	struct nsf_buf b;
	const char *best;
	size_t i, nn = 0;

	nsf_buf_init(&b);
	for (i = 0; names[i] != NULL; i++) {
		nsf_buf_printf(&b, "%s%s", i ? ", " : "one of: ", names[i]);
		nn++;
	}
	if (!want_scalar(c, n, "a word", b.data)) {
		nsf_buf_deinit(&b);
		return false;
	}
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(n->str, names[i]) == 0) {
			*out = (int)i;
			nsf_buf_deinit(&b);
			return true;
		}
	}
	best = nsf_did_you_mean(n->str, names, nn);
	if (best != NULL) {
		nsf_buf_printf(&b, "; did you mean '%s'?", best);
	}
	nsf_lerr(c, n, "bad-value", b.data, "'%s' is not a valid value",
	    n->str);
	nsf_buf_deinit(&b);
	return false;
}

bool
nsf_lread_name(struct nsf_lctx *c, const struct nsf_ynode *n, char **out)
{
	char why[160], *s;

	if (!want_scalar(c, n, "a DNS name", NULL)) {
		return false;
	}
	s = nsf_name_normalize(n->str, why, sizeof(why));
	if (s == NULL) {
		nsf_lerr(c, n, "bad-name", "a name is labels of letters, "
		    "digits and '-' joined by dots, such as ns1.example.net",
		    "'%s' is not a valid DNS name: %s", n->str, why);
		return false;
	}
	*out = nsf_arena_strdup(c->a, s);
	free(s);
	return true;
}

bool
nsf_lread_list(struct nsf_lctx *c, const struct nsf_ynode *n,
    const char *what)
{
	if (n->kind != NSF_YNODE_SEQ) {
		nsf_lerr(c, n, "wrong-type", "write it as [ a, b ] or as "
		    "lines starting with '- '", "%s must be a list, not %s",
		    what, nsf_ynode_kind_name(n));
		return false;
	}
	return true;
}
