/* plan_format.c - plans as text, markdown and JSON for `plan` and
 * `status`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan_format.h"

int
nsf_plan_format_parse(enum nsf_plan_format *out, const char *name)
{
	if (strcmp(name, "text") == 0) {
		*out = NSF_FORMAT_TEXT;
	} else if (strcmp(name, "markdown") == 0 || strcmp(name, "md") == 0) {
		*out = NSF_FORMAT_MARKDOWN;
	} else if (strcmp(name, "json") == 0) {
		*out = NSF_FORMAT_JSON;
	} else {
		return nsf_error_set(NSF_EINVAL, "unknown output format '%s' "
		    "(use text, markdown or json)", name);
	}
	return 0;
}

/* ---- classification ----------------------------------------------- */

enum kind {
	KIND_ERROR,
	KIND_CHANGE,
	KIND_HELD,
	KIND_ATTENTION,
	KIND_IDLE,
};

static enum kind
kind_of(const struct nsf_plan_report *r)
{
	const struct nsf_plan *p = r->plan;

	if (p == NULL) {
		return KIND_ERROR;
	}
	if (nsf_plan_applies(p)) {
		return KIND_CHANGE;
	}
	if (p->action != NSF_ACTION_NONE) {
		return KIND_HELD;
	}
	if (p->hold != NSF_HOLD_NONE || p->drift ||
	    p->blocking_status != NULL) {
		return KIND_ATTENTION;
	}
	return KIND_IDLE;
}

void
nsf_plan_summarize(struct nsf_plan_summary *out,
    const struct nsf_plan_report *r, size_t n)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->domains = n;
	for (i = 0; i < n; i++) {
		switch (kind_of(&r[i])) {
		case KIND_ERROR:
			out->errors++;
			break;
		case KIND_CHANGE:
			out->changes++;
			break;
		case KIND_HELD:
			out->held++;
			break;
		case KIND_ATTENTION:
			out->attention++;
			break;
		case KIND_IDLE:
			out->idle++;
			break;
		}
	}
}

int
nsf_plan_exit_code(const struct nsf_plan_report *r, size_t n)
{
	struct nsf_plan_summary s;

	nsf_plan_summarize(&s, r, n);
	return s.errors > 0 ? 1 : s.changes > 0 ? 2 : 0;
}

static void
summary_line(struct nsf_buf *b, const struct nsf_plan_report *r, size_t n)
{
	struct nsf_plan_summary s;

	nsf_plan_summarize(&s, r, n);
	nsf_buf_printf(b, "%zu domain%s: %zu to change, %zu held, %zu to "
	    "look at, %zu unchanged, %zu error%s", s.domains,
	    s.domains == 1 ? "" : "s", s.changes, s.held, s.attention,
	    s.idle, s.errors, s.errors == 1 ? "" : "s");
}

/* ---- pieces shared by text and markdown --------------------------- */

/* "failover", "failover (held: flap-budget)", "none (held: frozen)". */
static void
put_action(struct nsf_buf *b, const struct nsf_plan *p)
{
	nsf_buf_puts(b, nsf_plan_action_name(p->action));
	if (p->hold != NSF_HOLD_NONE) {
		nsf_buf_printf(b, " (held: %s)", nsf_plan_hold_name(p->hold));
	}
}

static void
put_set(struct nsf_buf *b, const struct nsf_strv *sv, const char *sep)
{
	size_t i;

	if (sv->n == 0) {
		nsf_buf_puts(b, "(none)");
	}
	for (i = 0; i < sv->n; i++) {
		nsf_buf_printf(b, "%s%s", i > 0 ? sep : "", sv->v[i]);
	}
}

static const char *
state_name(enum nsf_pstate s)
{
	return s == NSF_PSTATE_UP ? "up" : s == NSF_PSTATE_DOWN ? "down" :
	    "unknown";
}

static const char *
tri_name(enum nsf_tri t)
{
	return t == NSF_TRI_YES ? "yes" : t == NSF_TRI_NO ? "no" : "unknown";
}

/* "a: down, timeout x3; b: up, ready". */
static void
put_views(struct nsf_buf *b, const struct nsf_plan_report *r)
{
	const struct nsf_provider_view *v;
	size_t i;

	for (i = 0; i < r->nviews; i++) {
		v = &r->views[i];
		nsf_buf_printf(b, "%s%s: %s", i > 0 ? "; " : "",
		    v->provider != NULL ? v->provider->name : "?",
		    state_name(v->state));
		if (v->state == NSF_PSTATE_UP) {
			nsf_buf_puts(b, v->ready ? ", ready" : ", not ready");
		}
		if (v->dnskey_matches_ds == NSF_TRI_NO) {
			nsf_buf_puts(b, ", DNSKEY matches no DS");
		}
		if (v->evidence != NULL && v->evidence[0] != '\0') {
			nsf_buf_printf(b, ", %s", v->evidence);
		}
	}
}

static void
put_time(struct nsf_buf *b, int64_t ms)
{
	char *t = nsf_time_format(ms);

	nsf_buf_puts(b, t);
	free(t);
}

static void
put_label(struct nsf_buf *b, const char *label)
{
	nsf_buf_puts(b, label != NULL ? label : "(no group)");
}

/* ---- text ---------------------------------------------------------- */

static void
text_headline(struct nsf_buf *b, const struct nsf_plan_report *r)
{
	const struct nsf_plan *p = r->plan;

	nsf_buf_printf(b, "%s: ", r->domain);
	if (p == NULL) {
		nsf_buf_printf(b, "error: %s\n", r->error != NULL ? r->error :
		    "not planned");
		return;
	}
	if (p->action == NSF_ACTION_NONE) {
		nsf_buf_puts(b, "no change");
	} else {
		nsf_buf_printf(b, "%s%s to ", nsf_plan_applies(p) ? "" :
		    "would ", nsf_plan_action_name(p->action));
		put_label(b, p->target);
	}
	if (p->hold != NSF_HOLD_NONE) {
		nsf_buf_printf(b, ", held: %s", nsf_plan_hold_name(p->hold));
	}
	nsf_buf_puts(b, "\n");
}

static void
text_sets(struct nsf_buf *b, const struct nsf_plan_report *r)
{
	const struct nsf_plan *p = r->plan;

	nsf_buf_puts(b, "  now:      ");
	put_label(b, p->current);
	if (r->observed != NULL) {
		nsf_buf_puts(b, " (");
		put_set(b, &r->observed->ns, " ");
		nsf_buf_puts(b, ")");
	}
	nsf_buf_puts(b, "\n");
	if (p->action == NSF_ACTION_NONE) {
		return;
	}
	nsf_buf_puts(b, "  wanted:   ");
	put_label(b, p->target);
	nsf_buf_puts(b, " (");
	put_set(b, &p->desired, " ");
	nsf_buf_puts(b, ")\n  add:      ");
	put_set(b, &p->add, " ");
	nsf_buf_puts(b, "\n  remove:   ");
	put_set(b, &p->rem, " ");
	nsf_buf_puts(b, "\n");
	if (p->ds_change) {
		nsf_buf_puts(b, "  ds add:   ");
		put_set(b, &p->ds_add, ", ");
		nsf_buf_puts(b, "\n");
	}
}

static void
text_notes(struct nsf_buf *b, const struct nsf_plan *p)
{
	if (p->retry_at_ms > 0) {
		nsf_buf_puts(b, "  retry at: ");
		put_time(b, p->retry_at_ms);
		nsf_buf_puts(b, "\n");
	}
	if (p->drift) {
		nsf_buf_puts(b, "  drift:    the registry differs from what "
		    "nsfailover set\n");
	}
	if (p->blocking_status != NULL) {
		nsf_buf_printf(b, "  warning:  registry status %s would block "
		    "any change\n", p->blocking_status);
	}
	nsf_buf_printf(b, "  reason:   %s\n", p->reason != NULL ? p->reason :
	    "");
}

static void
text_last(struct nsf_buf *b, const struct nsf_domain_state *s)
{
	if (s == NULL || s->last_action == NULL) {
		nsf_buf_puts(b, "  last:     nothing recorded yet\n");
	} else {
		nsf_buf_printf(b, "  last:     %s to ", s->last_action);
		put_label(b, s->active);
		if (s->since_ms > 0) {
			nsf_buf_puts(b, " at ");
			put_time(b, s->since_ms);
		}
		if (s->last_reason != NULL) {
			nsf_buf_printf(b, ": %s", s->last_reason);
		}
		nsf_buf_puts(b, "\n");
	}
	if (s != NULL && s->has_intent) {
		nsf_buf_printf(b, "  pending:  intent %s (%s to %s) at ",
		    s->intent.id != NULL ? s->intent.id : "?",
		    s->intent.action != NULL ? s->intent.action : "change",
		    s->intent.target != NULL ? s->intent.target : "?");
		put_time(b, s->intent.at_ms);
		nsf_buf_puts(b, ", outcome not recorded yet\n");
	} else if (s != NULL && s->pending) {
		nsf_buf_puts(b, "  pending:  the registry accepted the last "
		    "change as pending\n");
	}
}

static void
put_ttl(struct nsf_buf *b, uint32_t ttl)
{
	if (ttl == 0) {
		nsf_buf_puts(b, "unknown");
	} else {
		nsf_buf_printf(b, "%us", ttl);
	}
}

/* Resolvers keep the old set for up to the longer of the two TTLs. */
static void
text_switch_time(struct nsf_buf *b, const struct nsf_plan_report *r)
{
	uint32_t parent = r->observed != NULL ? r->observed->ns_ttl : 0;
	uint32_t ttl = parent > r->child_ns_ttl ? parent : r->child_ns_ttl;
	char *d;

	if (ttl == 0) {
		nsf_buf_puts(b, "  switch:   takes effect within an unknown "
		    "time (NS TTLs not known)\n");
		return;
	}
	d = nsf_duration_format((uint64_t)ttl * 1000);
	nsf_buf_printf(b, "  switch:   takes effect within %s (parent NS "
	    "TTL ", d);
	put_ttl(b, parent);
	nsf_buf_puts(b, ", child NS TTL ");
	put_ttl(b, r->child_ns_ttl);
	nsf_buf_puts(b, ")\n");
	free(d);
}

static void
text_one(struct nsf_buf *b, const struct nsf_plan_report *r, unsigned flags)
{
	text_headline(b, r);
	if (r->plan == NULL) {
		return;
	}
	if (kind_of(r) == KIND_IDLE && !(flags & (NSF_FMT_STATUS |
	    NSF_FMT_ALL))) {
		return;
	}
	text_sets(b, r);
	text_notes(b, r->plan);
	if (r->nviews > 0) {
		nsf_buf_puts(b, "  health:   ");
		put_views(b, r);
		nsf_buf_puts(b, "\n");
	}
	if (flags & NSF_FMT_STATUS) {
		text_last(b, r->last);
		text_switch_time(b, r);
	}
}

void
nsf_plan_format_text(struct nsf_buf *out, const struct nsf_plan_report *r,
    size_t n, unsigned flags)
{
	size_t i;

	for (i = 0; i < n; i++) {
		text_one(out, &r[i], flags);
	}
	summary_line(out, r, n);
	nsf_buf_puts(out, "\n");
}

/* ---- markdown ------------------------------------------------------ */

/* Text safe inside a table cell: no pipes, no line breaks, no HTML. */
static void
md_cell(struct nsf_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '|':
			nsf_buf_puts(b, "\\|");
			break;
		case '\n':
		case '\r':
			nsf_buf_puts(b, " ");
			break;
		case '<':
			nsf_buf_puts(b, "&lt;");
			break;
		case '>':
			nsf_buf_puts(b, "&gt;");
			break;
		case '&':
			nsf_buf_puts(b, "&amp;");
			break;
		default:
			nsf_buf_put(b, s, 1);
			break;
		}
	}
}

static void
md_row(struct nsf_buf *b, const struct nsf_plan_report *r)
{
	const struct nsf_plan *p = r->plan;
	struct nsf_buf t;

	nsf_buf_init(&t);
	nsf_buf_puts(b, "| ");
	md_cell(b, r->domain);
	if (p == NULL) {
		nsf_buf_puts(b, " | error | | | ");
		md_cell(b, r->error);
		nsf_buf_puts(b, " |\n");
		nsf_buf_deinit(&t);
		return;
	}
	put_action(&t, p);
	nsf_buf_puts(b, " | ");
	md_cell(b, t.data);
	nsf_buf_puts(b, " | ");
	md_cell(b, p->current != NULL ? p->current : "(no group)");
	nsf_buf_puts(b, " | ");
	md_cell(b, p->action == NSF_ACTION_NONE ? "" : p->target != NULL ?
	    p->target : "(mixed)");
	nsf_buf_puts(b, " | ");
	md_cell(b, p->reason);
	nsf_buf_puts(b, " |\n");
	nsf_buf_deinit(&t);
}

static void
md_code_list(struct nsf_buf *b, const char *what, const struct nsf_strv *sv)
{
	size_t i;

	if (sv->n == 0) {
		return;
	}
	nsf_buf_printf(b, "- %s:", what);
	for (i = 0; i < sv->n; i++) {
		nsf_buf_printf(b, "%s `%s`", i > 0 ? "," : "", sv->v[i]);
	}
	nsf_buf_puts(b, "\n");
}

static void
md_details_one(struct nsf_buf *b, const struct nsf_plan_report *r)
{
	const struct nsf_plan *p = r->plan;
	struct nsf_buf t;

	nsf_buf_puts(b, "\n#### ");
	md_cell(b, r->domain);
	nsf_buf_puts(b, "\n\n");
	if (r->observed != NULL) {
		md_code_list(b, "registry now", &r->observed->ns);
	}
	md_code_list(b, "wanted", &p->desired);
	md_code_list(b, "add", &p->add);
	md_code_list(b, "remove", &p->rem);
	md_code_list(b, "DS to add", &p->ds_add);
	if (p->retry_at_ms > 0) {
		nsf_buf_puts(b, "- retry at: ");
		put_time(b, p->retry_at_ms);
		nsf_buf_puts(b, "\n");
	}
	if (p->blocking_status != NULL) {
		nsf_buf_printf(b, "- **warning**: registry status `%s` would "
		    "block any change\n", p->blocking_status);
	}
	nsf_buf_init(&t);
	put_views(&t, r);
	if (t.len > 0) {
		nsf_buf_puts(b, "- health: ");
		md_cell(b, t.data);
		nsf_buf_puts(b, "\n");
	}
	nsf_buf_deinit(&t);
}

static bool
md_listed(const struct nsf_plan_report *r, unsigned flags)
{
	return (flags & (NSF_FMT_ALL | NSF_FMT_STATUS)) ||
	    kind_of(r) != KIND_IDLE;
}

void
nsf_plan_format_markdown(struct nsf_buf *out,
    const struct nsf_plan_report *r, size_t n, unsigned flags)
{
	size_t i, listed = 0;

	nsf_buf_puts(out, flags & NSF_FMT_STATUS ?
	    "### nsfailover status\n\n**" : "### nsfailover plan\n\n**");
	summary_line(out, r, n);
	nsf_buf_puts(out, "**\n");
	for (i = 0; i < n; i++) {
		listed += md_listed(&r[i], flags);
	}
	if (listed == 0) {
		return;
	}
	nsf_buf_puts(out, "\n| domain | action | from | to | reason |\n"
	    "|---|---|---|---|---|\n");
	for (i = 0; i < n; i++) {
		if (md_listed(&r[i], flags)) {
			md_row(out, &r[i]);
		}
	}
	nsf_buf_puts(out, "\n<details><summary>Details</summary>\n");
	for (i = 0; i < n; i++) {
		if (md_listed(&r[i], flags) && r[i].plan != NULL) {
			md_details_one(out, &r[i]);
		}
	}
	nsf_buf_puts(out, "\n</details>\n");
}

/* ---- JSON ---------------------------------------------------------- */

static json_t *
json_strv(const struct nsf_strv *sv)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < sv->n; i++) {
		json_array_append_new(a, json_string(sv->v[i]));
	}
	return a;
}

static json_t *
json_str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
json_time(int64_t ms)
{
	char *t;
	json_t *j;

	if (ms <= 0) {
		return json_null();
	}
	t = nsf_time_format(ms);
	j = json_string(t);
	free(t);
	return j;
}

static json_t *
json_observed(const struct nsf_delegation *d)
{
	json_t *o = json_object(), *ds = json_array();
	size_t i;

	json_object_set_new(o, "ns", json_strv(&d->ns));
	for (i = 0; i < d->nds; i++) {
		json_array_append_new(ds, json_sprintf("%u %u %u %s",
		    d->ds[i].keytag, d->ds[i].alg, d->ds[i].digest_type,
		    d->ds[i].digest));
	}
	json_object_set_new(o, "ds", ds);
	json_object_set_new(o, "statuses", json_strv(&d->statuses));
	json_object_set_new(o, "ns_ttl", json_integer(d->ns_ttl));
	return o;
}

static json_t *
json_views(const struct nsf_plan_report *r)
{
	json_t *a = json_array(), *o;
	const struct nsf_provider_view *v;
	size_t i;

	for (i = 0; i < r->nviews; i++) {
		v = &r->views[i];
		o = json_object();
		json_object_set_new(o, "name", json_str_or_null(
		    v->provider != NULL ? v->provider->name : NULL));
		json_object_set_new(o, "state", json_string(
		    state_name(v->state)));
		json_object_set_new(o, "ready", json_boolean(v->ready));
		json_object_set_new(o, "up_since", json_time(v->up_since_ms));
		json_object_set_new(o, "dnskey_matches_ds", json_string(
		    tri_name(v->dnskey_matches_ds)));
		json_object_set_new(o, "evidence",
		    json_str_or_null(v->evidence));
		json_array_append_new(a, o);
	}
	return a;
}

static void
json_plan_fields(json_t *o, const struct nsf_plan *p)
{
	json_object_set_new(o, "action", json_string(
	    nsf_plan_action_name(p->action)));
	json_object_set_new(o, "hold", json_string(
	    nsf_plan_hold_name(p->hold)));
	json_object_set_new(o, "applies", json_boolean(nsf_plan_applies(p)));
	json_object_set_new(o, "current", json_str_or_null(p->current));
	json_object_set_new(o, "target", json_str_or_null(p->target));
	json_object_set_new(o, "desired", json_strv(&p->desired));
	json_object_set_new(o, "add", json_strv(&p->add));
	json_object_set_new(o, "remove", json_strv(&p->rem));
	json_object_set_new(o, "drift", json_boolean(p->drift));
	json_object_set_new(o, "ds_change", json_boolean(p->ds_change));
	json_object_set_new(o, "ds_add", json_strv(&p->ds_add));
	json_object_set_new(o, "ds_remove", json_strv(&p->ds_rem));
	json_object_set_new(o, "blocking_status",
	    json_str_or_null(p->blocking_status));
	json_object_set_new(o, "reason", json_str_or_null(p->reason));
	json_object_set_new(o, "retry_at", json_time(p->retry_at_ms));
}

static json_t *
json_last(const struct nsf_domain_state *s)
{
	json_t *o = json_object();

	json_object_set_new(o, "active", json_str_or_null(s->active));
	json_object_set_new(o, "nameservers", json_strv(&s->nameservers));
	json_object_set_new(o, "since", json_time(s->since_ms));
	json_object_set_new(o, "action", json_str_or_null(s->last_action));
	json_object_set_new(o, "reason", json_str_or_null(s->last_reason));
	json_object_set_new(o, "policy_commit",
	    json_str_or_null(s->policy_commit));
	json_object_set_new(o, "pending", json_boolean(s->pending));
	json_object_set_new(o, "open_intent", s->has_intent ?
	    json_str_or_null(s->intent.id) : json_null());
	return o;
}

static void
json_status_fields(json_t *o, const struct nsf_plan_report *r)
{
	uint32_t parent = r->observed != NULL ? r->observed->ns_ttl : 0;
	uint32_t ttl = parent > r->child_ns_ttl ? parent : r->child_ns_ttl;

	json_object_set_new(o, "last", r->last != NULL ? json_last(r->last) :
	    json_null());
	json_object_set_new(o, "child_ns_ttl",
	    json_integer(r->child_ns_ttl));
	/* Seconds a switch needs to reach every resolver; null unknown. */
	json_object_set_new(o, "switch_within", ttl > 0 ?
	    json_integer(ttl) : json_null());
}

json_t *
nsf_plan_report_json(const struct nsf_plan_report *r, unsigned flags)
{
	json_t *o = json_object();

	json_object_set_new(o, "domain", json_string(r->domain));
	json_object_set_new(o, "error", json_str_or_null(r->plan == NULL ?
	    (r->error != NULL ? r->error : "not planned") : NULL));
	if (r->plan != NULL) {
		json_plan_fields(o, r->plan);
	}
	json_object_set_new(o, "observed", r->observed != NULL ?
	    json_observed(r->observed) : json_null());
	json_object_set_new(o, "providers", json_views(r));
	if (flags & NSF_FMT_STATUS) {
		json_status_fields(o, r);
	}
	return o;
}

static json_t *
json_summary(const struct nsf_plan_report *r, size_t n)
{
	struct nsf_plan_summary s;

	nsf_plan_summarize(&s, r, n);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
	    "domains", (json_int_t)s.domains,
	    "changes", (json_int_t)s.changes,
	    "held", (json_int_t)s.held,
	    "attention", (json_int_t)s.attention,
	    "idle", (json_int_t)s.idle,
	    "errors", (json_int_t)s.errors);
}

/* Appends `j` (stolen) as one line of JSON. */
static void
put_json(struct nsf_buf *out, json_t *j)
{
	char *text = json_dumps(j, JSON_PRESERVE_ORDER);

	if (text == NULL) {
		/* jansson fails here only when memory runs out; the rest of
		 * nsfailover aborts on that too (nsf_xmalloc). */
		fprintf(stderr, "nsfailover: out of memory writing JSON\n");
		abort();
	}
	nsf_buf_puts(out, text);
	free(text);
	json_decref(j);
}

/*
 * One domain a line, written as it is built: a report on 100,000 domains
 * never holds more than one domain's tree in memory.
 */
void
nsf_plan_format_json(struct nsf_buf *out, const struct nsf_plan_report *r,
    size_t n, unsigned flags)
{
	size_t i;

	nsf_buf_puts(out, "{\n  \"summary\": ");
	put_json(out, json_summary(r, n));
	nsf_buf_puts(out, ",\n  \"domains\": [");
	for (i = 0; i < n; i++) {
		nsf_buf_puts(out, i > 0 ? ",\n    " : "\n    ");
		put_json(out, nsf_plan_report_json(&r[i], flags));
	}
	nsf_buf_puts(out, n > 0 ? "\n  ]\n}\n" : "]\n}\n");
}

void
nsf_plan_format(struct nsf_buf *out, enum nsf_plan_format fmt,
    const struct nsf_plan_report *r, size_t n, unsigned flags)
{
	switch (fmt) {
	case NSF_FORMAT_TEXT:
		nsf_plan_format_text(out, r, n, flags);
		break;
	case NSF_FORMAT_MARKDOWN:
		nsf_plan_format_markdown(out, r, n, flags);
		break;
	case NSF_FORMAT_JSON:
		nsf_plan_format_json(out, r, n, flags);
		break;
	}
}
