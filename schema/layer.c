/* layer.c - the settings domains inherit: defaults merged key by key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

/* Failover slower than this earns a warning. */
#define SLOW_FAILOVER_MS (5ULL * 60 * 1000)

static void
read_health(struct nsf_lctx *c, struct nsf_health_cfg *h,
    const struct nsf_ynode *n)
{
	struct nsf_ynode *v;

	if ((v = nsf_ynode_get(n, "interval")) != NULL) {
		nsf_lread_duration(c, v, 1000, NSF_MAX_DURATION_MS,
		    &h->interval_ms);
	}
	if ((v = nsf_ynode_get(n, "timeout")) != NULL) {
		nsf_lread_duration(c, v, 1, NSF_MAX_DURATION_MS,
		    &h->timeout_ms);
	}
	if ((v = nsf_ynode_get(n, "retries")) != NULL) {
		nsf_lread_uint(c, v, 0, 10, &h->retries);
	}
	if ((v = nsf_ynode_get(n, "fail_after")) != NULL) {
		nsf_lread_uint(c, v, 1, 100, &h->fail_after);
	}
	if ((v = nsf_ynode_get(n, "recover_after")) != NULL) {
		nsf_lread_uint(c, v, 1, 100, &h->recover_after);
	}
	if ((v = nsf_ynode_get(n, "quorum")) == NULL) {
		return;
	}
	if (v->kind == NSF_YNODE_SCALAR && strcmp(v->str, "majority") == 0) {
		h->quorum = 0;
		return;
	}
	if (v->kind == NSF_YNODE_SCALAR && v->plain && v->str[0] >= '0' &&
	    v->str[0] <= '9') {
		nsf_lread_uint(c, v, 1, 64, &h->quorum);
		return;
	}
	nsf_lerr(c, v, "bad-value", "write majority or a number of "
	    "addresses from 1 to 64", "quorum must be 'majority' or a "
	    "number");
}

static bool
owner_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (strcmp(s, "@") == 0) {
		return true;
	}
	if (len == 0 || len > 253) {
		return false;
	}
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '-' && ch != '_' &&
		    ch != '.' && ch != '*') {
			return false;
		}
		if (ch == '.' && (i == 0 || s[i - 1] == '.')) {
			return false;
		}
	}
	return true;
}

static bool
read_record(struct nsf_lctx *c, struct nsf_relrec *r,
    const struct nsf_ynode *n)
{
	const struct nsf_ynode *name, *type;
	const char *s;
	uint16_t t;

	if (!nsf_lcheck_map(c, n, n, &nsf_schema_record)) {
		return false;
	}
	name = nsf_ynode_get(n, "name");
	type = nsf_ynode_get(n, "type");
	if (!nsf_lread_str(c, name, &s)) {
		return false;
	}
	if (!owner_ok(s)) {
		nsf_lerr(c, name, "bad-name", "write a name relative to the "
		    "domain, such as _version, or @ for the apex",
		    "'%s' is not a valid owner name", s);
		return false;
	}
	r->name = nsf_arena_strdup(c->a, s);
	if (!nsf_lread_str(c, type, &s)) {
		return false;
	}
	t = nsf_rr_type_parse(s);
	if (t == 0) {
		nsf_lerr(c, type, "bad-value", "write a record type such as "
		    "TXT, A, AAAA, MX or SOA", "'%s' is not a DNS record "
		    "type", s);
		return false;
	}
	r->type = t;
	return true;
}

static void
read_readiness(struct nsf_lctx *c, struct nsf_layer *l,
    const struct nsf_ynode *n)
{
	struct nsf_ynode *v;
	size_t i;
	int e;

	if ((v = nsf_ynode_get(n, "mode")) != NULL &&
	    nsf_lread_enum(c, v, nsf_schema_ready_names, &e)) {
		l->ready_mode = (enum nsf_readiness_mode)e;
	}
	v = nsf_ynode_get(n, "records");
	if (v == NULL || !nsf_lread_list(c, v, "records")) {
		return;
	}
	if (v->n == 0 || v->n > 64) {
		nsf_lerr(c, v, "out-of-range", "list 1 to 64 records",
		    "records lists %u entries", v->n);
		return;
	}
	l->recs = nsf_arena_alloc(c->a, v->n * sizeof(*l->recs));
	l->nrecs = 0;
	for (i = 0; i < v->n; i++) {
		if (read_record(c, &l->recs[l->nrecs], v->items[i])) {
			l->nrecs++;
		}
	}
}

static void
read_failback(struct nsf_lctx *c, struct nsf_failback_cfg *f,
    const struct nsf_ynode *n)
{
	struct nsf_ynode *v;
	int e;

	if ((v = nsf_ynode_get(n, "mode")) != NULL &&
	    nsf_lread_enum(c, v, nsf_schema_failback_names, &e)) {
		f->mode = (enum nsf_failback_mode)e;
	}
	if ((v = nsf_ynode_get(n, "hold_down")) != NULL) {
		nsf_lread_duration(c, v, 0, NSF_MAX_DURATION_MS,
		    &f->hold_down_ms);
	}
}

static void
read_flap(struct nsf_lctx *c, struct nsf_flap_cfg *f,
    const struct nsf_ynode *n)
{
	struct nsf_ynode *v;

	if ((v = nsf_ynode_get(n, "max_changes")) != NULL) {
		nsf_lread_uint(c, v, 1, 1000, &f->max_changes);
	}
	if ((v = nsf_ynode_get(n, "window")) != NULL) {
		nsf_lread_duration(c, v, 1000, NSF_MAX_DURATION_MS,
		    &f->window_ms);
	}
}

void
nsf_layer_apply(struct nsf_lctx *c, struct nsf_layer *l,
    const struct nsf_ynode *n)
{
	struct nsf_ynode *v;
	int e;

	if ((v = nsf_ynode_get(n, "mode")) != NULL &&
	    nsf_lread_enum(c, v, nsf_schema_mode_names, &e)) {
		l->mode = (enum nsf_mode)e;
	}
	if ((v = nsf_ynode_get(n, "health")) != NULL &&
	    nsf_lcheck_map(c, v, v, &nsf_schema_health)) {
		read_health(c, &l->health, v);
	}
	if ((v = nsf_ynode_get(n, "readiness")) != NULL &&
	    nsf_lcheck_map(c, v, v, &nsf_schema_readiness)) {
		read_readiness(c, l, v);
	}
	if ((v = nsf_ynode_get(n, "failback")) != NULL &&
	    nsf_lcheck_map(c, v, v, &nsf_schema_failback)) {
		read_failback(c, &l->failback, v);
	}
	if ((v = nsf_ynode_get(n, "flap")) != NULL &&
	    nsf_lcheck_map(c, v, v, &nsf_schema_flap)) {
		read_flap(c, &l->flap, v);
	}
	if ((v = nsf_ynode_get(n, "drift")) != NULL &&
	    nsf_lread_enum(c, v, nsf_schema_drift_names, &e)) {
		l->drift = (enum nsf_drift_mode)e;
	}
	if ((v = nsf_ynode_get(n, "suspend")) != NULL) {
		nsf_lread_bool(c, v, &l->suspend);
	}
}

/* Where to report a cross-key problem: the key's value when the map at
 * hand sets it, else the map itself. */
static const struct nsf_ynode *
at_key(const struct nsf_ynode *at, const char *sect, const char *key)
{
	const struct nsf_ynode *s = nsf_ynode_get(at, sect), *k;

	if (s == NULL || s->kind != NSF_YNODE_MAP) {
		return at;
	}
	k = nsf_ynode_get(s, key);
	return k ? k : s;
}

static void
check_slow(struct nsf_lctx *c, const struct nsf_health_cfg *h,
    const struct nsf_ynode *at)
{
	uint64_t detect = (uint64_t)h->fail_after * h->interval_ms +
	    h->timeout_ms * (h->retries + 1);
	char *d;

	if (detect <= SLOW_FAILOVER_MS) {
		return;
	}
	d = nsf_duration_format(detect);
	nsf_lwarn(c, at_key(at, "health", "fail_after"), "slow-failover",
	    "lower fail_after or interval", "failover takes up to %s after "
	    "a provider fails (fail_after x interval + timeout x tries is "
	    "over 5m)", d);
	free(d);
}

void
nsf_layer_check(struct nsf_lctx *c, const struct nsf_layer *l,
    const struct nsf_ynode *at)
{
	const struct nsf_health_cfg *h = &l->health;
	uint64_t recover = (uint64_t)h->recover_after * h->interval_ms;

	if (h->timeout_ms >= h->interval_ms) {
		char *t = nsf_duration_format(h->timeout_ms);
		char *i = nsf_duration_format(h->interval_ms);

		nsf_lerr(c, at_key(at, "health", "timeout"), "bad-timeout",
		    "make the timeout shorter than the interval",
		    "health timeout %s is not shorter than the interval %s",
		    t, i);
		free(t);
		free(i);
	}
	check_slow(c, h, at);
	if (l->failback.mode == NSF_FAILBACK_AUTO &&
	    l->failback.hold_down_ms < recover) {
		char *r = nsf_duration_format(recover);

		nsf_lwarn(c, at_key(at, "failback", "hold_down"),
		    "short-hold-down", "make hold_down at least "
		    "recover_after x interval", "hold_down is shorter than "
		    "recover_after x interval (%s): failback can follow the "
		    "first good rounds", r);
		free(r);
	}
	if (l->ready_mode == NSF_READY_RECORDS && l->nrecs == 0) {
		nsf_lerr(c, at_key(at, "readiness", "mode"), "missing-key",
		    "add records: [ { name: \"_version\", type: TXT } ]",
		    "readiness mode 'records' needs a list of records");
	}
}
