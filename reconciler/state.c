/* state.c - a domain's recorded state and its YAML form in
 * state/<domain>.yaml on the state branch. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yaml.h>

#include "state.h"

NSF_STATIC void state_time_format(char out[32], int64_t ms);
NSF_STATIC int state_time_parse(int64_t *out_ms, const char *s);

void
nsf_domain_state_init(struct nsf_domain_state *s)
{
	memset(s, 0, sizeof(*s));
	nsf_strv_init(&s->nameservers);
	nsf_strv_init(&s->intent.from);
	nsf_strv_init(&s->intent.to);
}

static void
intent_deinit(struct nsf_intent *in)
{
	free(in->id);
	free(in->action);
	free(in->target);
	nsf_strv_deinit(&in->from);
	nsf_strv_deinit(&in->to);
	memset(in, 0, sizeof(*in));
	nsf_strv_init(&in->from);
	nsf_strv_init(&in->to);
}

void
nsf_domain_state_deinit(struct nsf_domain_state *s)
{
	free(s->domain);
	free(s->active);
	nsf_strv_deinit(&s->nameservers);
	free(s->last_action);
	free(s->last_reason);
	free(s->policy_commit);
	free(s->policy_fingerprint);
	free(s->changes_ms);
	intent_deinit(&s->intent);
	nsf_strv_deinit(&s->intent.from);
	nsf_strv_deinit(&s->intent.to);
	memset(s, 0, sizeof(*s));
	nsf_strv_init(&s->nameservers);
}

static char *
dup_or_null(const char *s)
{
	return s == NULL ? NULL : nsf_xstrdup(s);
}

void
nsf_domain_state_copy(struct nsf_domain_state *dst,
    const struct nsf_domain_state *src)
{
	nsf_domain_state_init(dst);
	dst->domain = dup_or_null(src->domain);
	dst->active = dup_or_null(src->active);
	nsf_strv_copy(&dst->nameservers, &src->nameservers);
	dst->since_ms = src->since_ms;
	dst->last_action = dup_or_null(src->last_action);
	dst->last_reason = dup_or_null(src->last_reason);
	dst->policy_commit = dup_or_null(src->policy_commit);
	dst->policy_fingerprint = dup_or_null(src->policy_fingerprint);
	if (src->nchanges > 0) {
		dst->changes_ms = nsf_xcalloc(src->nchanges, sizeof(int64_t));
		memcpy(dst->changes_ms, src->changes_ms,
		    src->nchanges * sizeof(int64_t));
		dst->nchanges = src->nchanges;
	}
	dst->has_intent = src->has_intent;
	dst->intent.id = dup_or_null(src->intent.id);
	dst->intent.action = dup_or_null(src->intent.action);
	dst->intent.target = dup_or_null(src->intent.target);
	nsf_strv_copy(&dst->intent.from, &src->intent.from);
	nsf_strv_copy(&dst->intent.to, &src->intent.to);
	dst->intent.at_ms = src->intent.at_ms;
	dst->pending = src->pending;
}

void
nsf_domain_state_trim_changes(struct nsf_domain_state *s, int64_t now_ms,
    uint64_t window_ms)
{
	size_t i, keep = 0;

	for (i = 0; i < s->nchanges; i++) {
		if (s->changes_ms[i] >= now_ms - (int64_t)window_ms) {
			s->changes_ms[keep++] = s->changes_ms[i];
		}
	}
	s->nchanges = keep;
}

/* Times keep their milliseconds so that a state read back is the state
 * written: "2026-12-04T15:00:00.250Z" (".000" is left out). */
NSF_STATIC void
state_time_format(char out[32], int64_t ms)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)secs * 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac != 0) {
		snprintf(out + n, 32 - n, ".%03dZ", frac);
	} else {
		snprintf(out + n, 32 - n, "Z");
	}
}

NSF_STATIC int
state_time_parse(int64_t *out_ms, const char *s)
{
	struct tm tm;
	const char *end;
	int64_t frac = 0;
	int digits = 0;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL) {
		return NSF_EINVAL;
	}
	if (*end == '.') {
		for (end++; *end >= '0' && *end <= '9'; end++) {
			if (digits < 3) {
				frac = frac * 10 + (*end - '0');
				digits++;
			}
		}
		for (; digits < 3; digits++) {
			frac *= 10;
		}
	}
	if (strcmp(end, "Z") != 0) {
		return NSF_EINVAL;
	}
	*out_ms = (int64_t)timegm(&tm) * 1000 + frac;
	return 0;
}

/* ---- writing ---------------------------------------------------------- */

static int
emit_to_buf(void *data, unsigned char *bytes, size_t len)
{
	nsf_buf_put(data, bytes, len);
	return 1;
}

static void
emit_scalar(yaml_emitter_t *em, const char *value, bool plain_ok)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = plain_ok ? YAML_ANY_SCALAR_STYLE :
	    YAML_DOUBLE_QUOTED_SCALAR_STYLE;

	yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)value, (int)strlen(value), 1, 1, style);
	yaml_emitter_emit(em, &ev);
}

static void
emit_key_str(yaml_emitter_t *em, const char *key, const char *value)
{
	emit_scalar(em, key, true);
	if (value == NULL) {
		emit_scalar(em, "~", true);
	} else {
		/* Quoted, so that "yes", "1.0" or "~" stay strings. */
		emit_scalar(em, value, false);
	}
}

static void
emit_key_time(yaml_emitter_t *em, const char *key, int64_t ms)
{
	char t[32];

	if (ms == 0) {
		emit_key_str(em, key, NULL);
		return;
	}
	state_time_format(t, ms);
	emit_scalar(em, key, true);
	emit_scalar(em, t, true);
}

static void
emit_seq_begin(yaml_emitter_t *em, bool flow)
{
	yaml_event_t ev;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	    flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
	yaml_emitter_emit(em, &ev);
}

static void
emit_seq_end(yaml_emitter_t *em)
{
	yaml_event_t ev;

	yaml_sequence_end_event_initialize(&ev);
	yaml_emitter_emit(em, &ev);
}

static void
emit_map_begin(yaml_emitter_t *em)
{
	yaml_event_t ev;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    YAML_BLOCK_MAPPING_STYLE);
	yaml_emitter_emit(em, &ev);
}

static void
emit_map_end(yaml_emitter_t *em)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	yaml_emitter_emit(em, &ev);
}

static void
emit_key_strv(yaml_emitter_t *em, const char *key,
    const struct nsf_strv *sv)
{
	size_t i;

	emit_scalar(em, key, true);
	emit_seq_begin(em, false);
	for (i = 0; i < sv->n; i++) {
		emit_scalar(em, sv->v[i], false);
	}
	emit_seq_end(em);
}

static void
emit_intent(yaml_emitter_t *em, const struct nsf_intent *in)
{
	emit_scalar(em, "intent", true);
	emit_map_begin(em);
	emit_key_str(em, "id", in->id);
	emit_key_str(em, "action", in->action);
	emit_key_str(em, "target", in->target);
	emit_key_strv(em, "from", &in->from);
	emit_key_strv(em, "to", &in->to);
	emit_key_time(em, "at", in->at_ms);
	emit_map_end(em);
}

static void
emit_changes(yaml_emitter_t *em, const struct nsf_domain_state *s)
{
	char t[32];
	size_t i;

	emit_scalar(em, "changes", true);
	emit_seq_begin(em, false);
	for (i = 0; i < s->nchanges; i++) {
		state_time_format(t, s->changes_ms[i]);
		emit_scalar(em, t, true);
	}
	emit_seq_end(em);
}

static void
emit_state(yaml_emitter_t *em, const struct nsf_domain_state *s)
{
	emit_map_begin(em);
	emit_key_str(em, "domain", s->domain);
	emit_key_str(em, "active", s->active);
	emit_key_strv(em, "nameservers", &s->nameservers);
	emit_key_time(em, "since", s->since_ms);
	emit_key_str(em, "last_action", s->last_action);
	emit_key_str(em, "last_reason", s->last_reason);
	emit_key_str(em, "policy_commit", s->policy_commit);
	emit_key_str(em, "policy_fingerprint", s->policy_fingerprint);
	emit_changes(em, s);
	if (s->has_intent) {
		emit_intent(em, &s->intent);
	}
	emit_scalar(em, "pending", true);
	emit_scalar(em, s->pending ? "true" : "false", true);
	emit_map_end(em);
}

void
nsf_domain_state_format(const struct nsf_domain_state *s,
    struct nsf_buf *out)
{
	yaml_emitter_t em;
	yaml_event_t ev;

	nsf_buf_puts(out, "# Written by nsfailover: what it last did for "
	    "this domain.\n");
	yaml_emitter_initialize(&em);
	yaml_emitter_set_output(&em, emit_to_buf, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, 72);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	yaml_emitter_emit(&em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	yaml_emitter_emit(&em, &ev);
	emit_state(&em, s);
	yaml_document_end_event_initialize(&ev, 1);
	yaml_emitter_emit(&em, &ev);
	yaml_stream_end_event_initialize(&ev);
	yaml_emitter_emit(&em, &ev);
	yaml_emitter_flush(&em);
	yaml_emitter_delete(&em);
}

/* ---- reading ---------------------------------------------------------- */

static int
node_error(const yaml_node_t *n, const char *what)
{
	return nsf_error_set(NSF_EINVAL, "state file line %zu column %zu: %s",
	    n->start_mark.line + 1, n->start_mark.column + 1, what);
}

/* A scalar, or NULL for "~", "null" or an empty plain scalar. */
static int
read_str(char **out, const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE) {
		return node_error(n, "expected a string");
	}
	v = (const char *)n->data.scalar.value;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || *v == '\0')) {
		*out = NULL;
		return 0;
	}
	*out = nsf_xstrdup(v);
	return 0;
}

static int
read_time(int64_t *out, const yaml_node_t *n)
{
	char *v = NULL;
	int rc;

	rc = read_str(&v, n);
	if (rc < 0) {
		return rc;
	}
	if (v == NULL) {
		*out = 0;
		return 0;
	}
	rc = state_time_parse(out, v);
	free(v);
	if (rc < 0) {
		return node_error(n, "expected a time such as "
		    "2026-12-04T15:00:00Z");
	}
	return 0;
}

static int
read_bool(bool *out, const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE) {
		return node_error(n, "expected true or false");
	}
	v = (const char *)n->data.scalar.value;
	if (strcmp(v, "true") == 0) {
		*out = true;
	} else if (strcmp(v, "false") == 0) {
		*out = false;
	} else {
		return node_error(n, "expected true or false");
	}
	return 0;
}

static int
read_strv(struct nsf_strv *out, yaml_document_t *doc, const yaml_node_t *n)
{
	yaml_node_item_t *it;
	char *v;
	int rc;

	if (n->type != YAML_SEQUENCE_NODE) {
		return node_error(n, "expected a list");
	}
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		rc = read_str(&v, yaml_document_get_node(doc, *it));
		if (rc < 0) {
			return rc;
		}
		if (v != NULL) {
			nsf_strv_push_owned(out, v);
		}
	}
	return 0;
}

static int
read_changes(struct nsf_domain_state *s, yaml_document_t *doc,
    const yaml_node_t *n)
{
	yaml_node_item_t *it;
	size_t count;
	int rc;

	if (n->type != YAML_SEQUENCE_NODE) {
		return node_error(n, "expected a list of times");
	}
	count = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	free(s->changes_ms);
	s->changes_ms = count ? nsf_xcalloc(count, sizeof(int64_t)) : NULL;
	s->nchanges = 0;
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		rc = read_time(&s->changes_ms[s->nchanges],
		    yaml_document_get_node(doc, *it));
		if (rc < 0) {
			return rc;
		}
		s->nchanges++;
	}
	return 0;
}

static int
read_intent_key(struct nsf_intent *in, yaml_document_t *doc,
    const char *key, const yaml_node_t *v)
{
	if (strcmp(key, "id") == 0) {
		return read_str(&in->id, v);
	}
	if (strcmp(key, "action") == 0) {
		return read_str(&in->action, v);
	}
	if (strcmp(key, "target") == 0) {
		return read_str(&in->target, v);
	}
	if (strcmp(key, "from") == 0) {
		return read_strv(&in->from, doc, v);
	}
	if (strcmp(key, "to") == 0) {
		return read_strv(&in->to, doc, v);
	}
	if (strcmp(key, "at") == 0) {
		return read_time(&in->at_ms, v);
	}
	return 0;       /* newer writers may add keys: ignore them */
}

typedef int (*key_fn)(void *obj, yaml_document_t *doc, const char *key,
    const yaml_node_t *v);

static int
walk_map(yaml_document_t *doc, const yaml_node_t *n, key_fn fn, void *obj)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;
	int rc;

	if (n == NULL || n->type != YAML_MAPPING_NODE) {
		return n == NULL ? nsf_error_set(NSF_EINVAL,
		    "state file is empty") :
		    node_error(n, "expected a mapping");
	}
	for (p = n->data.mapping.pairs.start;
	    p < n->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(doc, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			return node_error(k, "expected a key");
		}
		rc = fn(obj, doc, (const char *)k->data.scalar.value,
		    yaml_document_get_node(doc, p->value));
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

static int
intent_key(void *obj, yaml_document_t *doc, const char *key,
    const yaml_node_t *v)
{
	return read_intent_key(obj, doc, key, v);
}

static int
state_key(void *obj, yaml_document_t *doc, const char *key,
    const yaml_node_t *v)
{
	struct nsf_domain_state *s = obj;

	if (strcmp(key, "domain") == 0) {
		return read_str(&s->domain, v);
	} else if (strcmp(key, "active") == 0) {
		return read_str(&s->active, v);
	} else if (strcmp(key, "nameservers") == 0) {
		return read_strv(&s->nameservers, doc, v);
	} else if (strcmp(key, "since") == 0) {
		return read_time(&s->since_ms, v);
	} else if (strcmp(key, "last_action") == 0) {
		return read_str(&s->last_action, v);
	} else if (strcmp(key, "last_reason") == 0) {
		return read_str(&s->last_reason, v);
	} else if (strcmp(key, "policy_commit") == 0) {
		return read_str(&s->policy_commit, v);
	} else if (strcmp(key, "policy_fingerprint") == 0) {
		return read_str(&s->policy_fingerprint, v);
	} else if (strcmp(key, "changes") == 0) {
		return read_changes(s, doc, v);
	} else if (strcmp(key, "intent") == 0) {
		s->has_intent = true;
		return walk_map(doc, v, intent_key, &s->intent);
	} else if (strcmp(key, "pending") == 0) {
		return read_bool(&s->pending, v);
	}
	return 0;       /* newer writers may add keys: ignore them */
}

int
nsf_domain_state_parse(struct nsf_domain_state *out, const char *data,
    size_t len)
{
	struct nsf_domain_state s;
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc;

	if (len > NSF_STATE_MAX_BYTES) {
		return nsf_error_set(NSF_EINVAL, "state file of %zu bytes, "
		    "more than the %u a state file can need", len,
		    NSF_STATE_MAX_BYTES);
	}
	{
		unsigned ln, cl;

		if (nsf_yaml_depth_check(data, len, NSF_YAML_MAX_DEPTH, &ln,
		    &cl) < 0) {
			return nsf_error_set(NSF_EINVAL, "state file line %u "
			    "column %u: %s", ln, cl, nsf_error_last());
		}
	}
	nsf_domain_state_init(&s);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data,
	    len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = nsf_error_set(NSF_EINVAL, "state file line %zu column "
		    "%zu: %s", parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1,
		    parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		nsf_domain_state_deinit(&s);
		return rc;
	}
	rc = walk_map(&doc, yaml_document_get_root_node(&doc), state_key, &s);
	if (rc == 0 && s.domain == NULL) {
		rc = nsf_error_set(NSF_EINVAL, "state file has no 'domain'");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc < 0) {
		nsf_domain_state_deinit(&s);
		return rc;
	}
	*out = s;
	return 0;
}
