/* zz_diags_local_stub.c - LOCAL ONLY, never committed: stands in for
 * schema's nsf_diags until it lands on main. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

void nsf_diags_init(struct nsf_diags *d) { memset(d, 0, sizeof(*d)); }
void nsf_diags_deinit(struct nsf_diags *d)
{
	size_t i;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].file); free(d->v[i].code);
		free(d->v[i].message); free(d->v[i].hint);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}
void nsf_diags_add(struct nsf_diags *d, enum nsf_diag_severity sev,
    const char *file, unsigned line, unsigned col, const char *code,
    const char *hint, const char *fmt, ...)
{
	struct nsf_buf b; va_list ap; struct nsf_diag *g;
	if (d->n == d->cap) { d->cap = d->cap ? d->cap * 2 : 8;
		d->v = nsf_xrealloc(d->v, d->cap * sizeof(*d->v)); }
	g = &d->v[d->n++];
	nsf_buf_init(&b); va_start(ap, fmt); nsf_buf_vprintf(&b, fmt, ap); va_end(ap);
	g->severity = sev; g->file = nsf_xstrdup(file ? file : "");
	g->line = line; g->col = col; g->code = nsf_xstrdup(code ? code : "");
	g->hint = hint ? nsf_xstrdup(hint) : NULL; g->message = nsf_buf_detach(&b);
	if (sev == NSF_DIAG_ERROR) d->nerrors++;
	if (sev == NSF_DIAG_WARNING) d->nwarnings++;
}
void nsf_diags_format_text(const struct nsf_diags *d, struct nsf_buf *out)
{
	static const char *sv[] = { "error", "warning", "note" };
	size_t i;
	for (i = 0; i < d->n; i++) {
		const struct nsf_diag *g = &d->v[i];
		if (g->line) nsf_buf_printf(out, "%s:%u:%u: ", g->file, g->line, g->col);
		else nsf_buf_printf(out, "%s: ", g->file);
		nsf_buf_printf(out, "%s: %s", sv[g->severity], g->message);
		if (g->hint) nsf_buf_printf(out, " (%s)", g->hint);
		nsf_buf_puts(out, "\n");
	}
}
void nsf_diags_format_json(const struct nsf_diags *d, struct nsf_buf *out)
{
	size_t i;
	nsf_buf_puts(out, "{\"diagnostics\":[");
	for (i = 0; i < d->n; i++) {
		const struct nsf_diag *g = &d->v[i];
		nsf_buf_printf(out, "%s{\"file\":", i ? "," : "");
		nsf_buf_put_json_string(out, g->file);
		nsf_buf_printf(out, ",\"line\":%u,\"col\":%u,\"code\":", g->line, g->col);
		nsf_buf_put_json_string(out, g->code);
		nsf_buf_puts(out, ",\"message\":");
		nsf_buf_put_json_string(out, g->message);
		nsf_buf_puts(out, "}");
	}
	nsf_buf_printf(out, "],\"errors\":%zu,\"warnings\":%zu}\n", d->nerrors, d->nwarnings);
}
