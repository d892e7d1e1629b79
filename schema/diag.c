/* diag.c - diagnostics about a policy: collect, order, print. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const severity_names[] = { "error", "warning", "note" };

void
nsf_diags_init(struct nsf_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
nsf_diags_deinit(struct nsf_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].code);
		free(d->v[i].message);
		free(d->v[i].hint);
	}
	free(d->v);
	nsf_diags_init(d);
}

void
nsf_diags_vadd(struct nsf_diags *d, enum nsf_diag_severity sev,
    const char *file, unsigned line, unsigned col, const char *code,
    const char *hint, const char *fmt, va_list ap)
{
	struct nsf_diag *g;
	struct nsf_buf b;

	if (sev == NSF_DIAG_ERROR) {
		d->nerrors++;
	} else if (sev == NSF_DIAG_WARNING) {
		d->nwarnings++;
	}
	if (d->n >= NSF_DIAGS_MAX) {
		d->nhidden += sev != NSF_DIAG_NOTE;
		return;
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = nsf_xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	g = &d->v[d->n++];
	nsf_buf_init(&b);
	nsf_buf_vprintf(&b, fmt, ap);
	g->severity = sev;
	g->file = nsf_xstrdup(file ? file : "");
	g->line = line;
	g->col = col;
	g->code = nsf_xstrdup(code ? code : "");
	g->message = nsf_buf_detach(&b);
	g->hint = hint ? nsf_xstrdup(hint) : NULL;
}

void
nsf_diags_add(struct nsf_diags *d, enum nsf_diag_severity sev,
    const char *file, unsigned line, unsigned col, const char *code,
    const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nsf_diags_vadd(d, sev, file, line, col, code, hint, fmt, ap);
	va_end(ap);
}

/* A diagnostic and the notes after it move together. */
struct diag_group {
	size_t first;           /* index of the leading diagnostic */
	size_t n;               /* it and its notes */
};

static const struct nsf_diags *sort_diags;

static int
group_cmp(const void *pa, const void *pb)
{
	const struct diag_group *ga = pa, *gb = pb;
	const struct nsf_diag *a = &sort_diags->v[ga->first];
	const struct nsf_diag *b = &sort_diags->v[gb->first];
	int c = strcmp(a->file, b->file);

	if (c != 0) {
		return c;
	}
	if (a->line != b->line) {
		return a->line < b->line ? -1 : 1;
	}
	if (a->col != b->col) {
		return a->col < b->col ? -1 : 1;
	}
	return ga->first < gb->first ? -1 : ga->first > gb->first;
}

void
nsf_diags_sort(struct nsf_diags *d)
{
	struct diag_group *groups;
	struct nsf_diag *sorted;
	size_t i, j, k, ng = 0;

	if (d->n < 2) {
		return;
	}
	groups = nsf_xcalloc(d->n, sizeof(*groups));
	for (i = 0; i < d->n; i++) {
		if (d->v[i].severity == NSF_DIAG_NOTE && ng > 0) {
			groups[ng - 1].n++;
			continue;
		}
		groups[ng].first = i;
		groups[ng++].n = 1;
	}
	sort_diags = d;
	qsort(groups, ng, sizeof(*groups), group_cmp);
	sort_diags = NULL;
	sorted = nsf_xmalloc(d->cap * sizeof(*sorted));
	for (i = 0, k = 0; i < ng; i++) {
		for (j = 0; j < groups[i].n; j++) {
			sorted[k++] = d->v[groups[i].first + j];
		}
	}
	free(d->v);
	d->v = sorted;
	free(groups);
}

void
nsf_diags_format_text(const struct nsf_diags *d, struct nsf_buf *out)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct nsf_diag *g = &d->v[i];

		if (g->line > 0) {
			nsf_buf_printf(out, "%s:%u:%u: ", g->file, g->line,
			    g->col);
		} else if (g->file[0] != '\0') {
			nsf_buf_printf(out, "%s: ", g->file);
		}
		nsf_buf_printf(out, "%s: %s", severity_names[g->severity],
		    g->message);
		if (g->hint != NULL) {
			nsf_buf_printf(out, " (%s)", g->hint);
		}
		nsf_buf_puts(out, "\n");
	}
	if (d->nhidden > 0) {
		nsf_buf_printf(out, "note: %zu more problems are not shown "
		    "(the first %d found are)\n", d->nhidden, NSF_DIAGS_MAX);
	}
}

static void
put_json_diag(struct nsf_buf *out, const struct nsf_diag *g)
{
	nsf_buf_puts(out, "{\"file\":");
	nsf_buf_put_json_string(out, g->file);
	nsf_buf_printf(out, ",\"line\":%u,\"col\":%u,\"severity\":\"%s\","
	    "\"code\":", g->line, g->col, severity_names[g->severity]);
	nsf_buf_put_json_string(out, g->code);
	nsf_buf_puts(out, ",\"message\":");
	nsf_buf_put_json_string(out, g->message);
	nsf_buf_puts(out, ",\"hint\":");
	if (g->hint != NULL) {
		nsf_buf_put_json_string(out, g->hint);
	} else {
		nsf_buf_puts(out, "null");
	}
	nsf_buf_puts(out, "}");
}

void
nsf_diags_format_json(const struct nsf_diags *d, struct nsf_buf *out)
{
	size_t i;

	nsf_buf_printf(out, "{\"errors\":%zu,\"warnings\":%zu,"
	    "\"not_shown\":%zu,\"diagnostics\":[", d->nerrors,
	    d->nwarnings, d->nhidden);
	for (i = 0; i < d->n; i++) {
		if (i > 0) {
			nsf_buf_puts(out, ",");
		}
		nsf_buf_puts(out, "\n  ");
		put_json_diag(out, &d->v[i]);
	}
	nsf_buf_puts(out, d->n ? "\n]}\n" : "]}\n");
}
