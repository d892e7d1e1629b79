/* domain.c - loads the domains section and checks what each domain means. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../providers/registry.h"
#include "loader.h"

/*
 * Groups with the same label share one label string and one provider
 * array: 100,000 domains over a handful of providers use a handful of
 * arrays.
 */
#define INTERN_BUCKETS 1024

struct intern_entry {
	struct intern_entry *next;
	const char *label;                      /* in the policy arena */
	struct nsf_provider **providers;        /* in the policy arena */
	size_t n;
};

struct nsf_group_intern {
	struct intern_entry *b[INTERN_BUCKETS];
};

void
nsf_group_intern_free(struct nsf_group_intern *g)
{
	struct intern_entry *e, *next;
	size_t i;

	if (g == NULL) {
		return;
	}
	for (i = 0; i < INTERN_BUCKETS; i++) {
		for (e = g->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(g);
}

static size_t
label_hash(const char *s)
{
	size_t h = 5381;

	for (; *s; s++) {
		h = h * 33 + (unsigned char)*s;
	}
	return h % INTERN_BUCKETS;
}

static void
group_intern(struct nsf_lctx *c, struct nsf_group *g, const char *label,
    struct nsf_provider **provs, size_t n)
{
	struct intern_entry *e;
	size_t h = label_hash(label);

	if (c->groups == NULL) {
		c->groups = nsf_xcalloc(1, sizeof(*c->groups));
	}
	for (e = c->groups->b[h]; e != NULL; e = e->next) {
		if (strcmp(e->label, label) == 0) {
			break;
		}
	}
	if (e == NULL) {
		e = nsf_xcalloc(1, sizeof(*e));
		e->label = nsf_arena_strdup(c->a, label);
		e->providers = nsf_arena_alloc(c->a, n * sizeof(*provs));
		memcpy(e->providers, provs, n * sizeof(*provs));
		e->n = n;
		e->next = c->groups->b[h];
		c->groups->b[h] = e;
	}
	g->label = (char *)e->label;
	g->providers = e->providers;
	g->nproviders = e->n;
}

static void
unknown_ref(struct nsf_lctx *c, const struct nsf_ynode *n, const char *what,
    const char *const *names, size_t nnames)
{
	const char *best = nsf_did_you_mean(n->str, names, nnames);
	char hint[160];

	if (best != NULL) {
		snprintf(hint, sizeof(hint), "did you mean '%s'?", best);
	} else {
		snprintf(hint, sizeof(hint), "define it under %s",
		    strcmp(what, "provider") == 0 ? "providers" :
		    "registries");
	}
	nsf_lerr(c, n, strcmp(what, "provider") == 0 ? "unknown-provider" :
	    "unknown-registry", hint, "unknown %s '%s'", what, n->str);
}

static bool
group_member(struct nsf_lctx *c, const struct nsf_ynode *x,
    struct nsf_provider **provs, size_t *n, struct nsf_buf *label)
{
	const struct nsf_provider *pr;
	size_t j;

	if (x->kind != NSF_YNODE_SCALAR || nsf_ynode_is_null(x)) {
		nsf_lerr(c, x, "wrong-type", "a group is a provider name or "
		    "a list of provider names", "expected a provider name, "
		    "got %s", nsf_ynode_kind_name(x));
		return false;
	}
	pr = nsf_policy_provider(c->p, x->str);
	if (pr == NULL) {
		if (c->refs_ok) {
			unknown_ref(c, x, "provider", c->provider_names,
			    c->p->nproviders);
		}
		return false;
	}
	for (j = 0; j < *n; j++) {
		if (provs[j] == pr) {
			nsf_lerr(c, x, "duplicate-provider", "list each "
			    "provider once", "provider '%s' is listed twice "
			    "in one group", x->str);
			return false;
		}
	}
	nsf_buf_printf(label, "%s%s", *n ? "+" : "", pr->name);
	provs[(*n)++] = (struct nsf_provider *)pr;
	return true;
}

static bool
read_group(struct nsf_lctx *c, struct nsf_group *g, const struct nsf_ynode *n)
{
	struct nsf_provider *provs[64];
	struct nsf_buf label;
	size_t i, np = 0;
	bool ok = true;

	nsf_lpos(&g->pos, c, n);
	if (n->kind == NSF_YNODE_MAP || (n->kind == NSF_YNODE_SEQ &&
	    (n->n == 0 || n->n > NSF_ARRAY_SIZE(provs)))) {
		nsf_lerr(c, n, "wrong-type", "write a provider name or a "
		    "list of 1 to 64 provider names", "a group must name "
		    "providers, not %s", n->kind == NSF_YNODE_MAP ? "a map" :
		    "an empty or overlong list");
		return false;
	}
	nsf_buf_init(&label);
	if (n->kind == NSF_YNODE_SCALAR) {
		ok = group_member(c, n, provs, &np, &label);
	} else {
		for (i = 0; i < n->n; i++) {
			ok &= group_member(c, n->items[i], provs, &np, &label);
		}
	}
	if (ok) {
		group_intern(c, g, label.data, provs, np);
	}
	nsf_buf_deinit(&label);
	return ok;
}

/* The domain's group a label names: exactly, or the same providers in
 * another order. */
static const struct nsf_group *
find_group(const struct nsf_domain *d, const char *label)
{
	struct nsf_strv want, have;
	const struct nsf_group *found = NULL;
	size_t i;
	char *s, *tok, *save;

	for (i = 0; i <= d->nbackups; i++) {
		const struct nsf_group *g = i ? &d->backups[i - 1] :
		    &d->primary;

		if (g->label != NULL && strcmp(g->label, label) == 0) {
			return g;
		}
	}
	nsf_strv_init(&want);
	s = nsf_xstrdup(label);
	for (tok = strtok_r(s, "+", &save); tok; tok = strtok_r(NULL, "+",
	    &save)) {
		nsf_strv_push(&want, tok);
	}
	free(s);
	for (i = 0; i <= d->nbackups && found == NULL; i++) {
		const struct nsf_group *g = i ? &d->backups[i - 1] :
		    &d->primary;
		size_t j;

		nsf_strv_init(&have);
		for (j = 0; j < g->nproviders; j++) {
			nsf_strv_push(&have, g->providers[j]->name);
		}
		if (have.n == want.n && nsf_strv_same_set(&have, &want)) {
			found = g;
		}
		nsf_strv_deinit(&have);
	}
	nsf_strv_deinit(&want);
	return found;
}

static void
unknown_group(struct nsf_lctx *c, const struct nsf_domain *d,
    const struct nsf_ynode *n, const char *what)
{
	const char *labels[65];
	const char *best;
	size_t i, nl = 0;
	struct nsf_buf hint;

	for (i = 0; i <= d->nbackups && nl < 64; i++) {
		const struct nsf_group *g = i ? &d->backups[i - 1] :
		    &d->primary;

		size_t j;

		for (j = 0; j < nl && g->label; j++) {
			if (strcmp(labels[j], g->label) == 0) {
				break;
			}
		}
		if (g->label != NULL && j == nl) {
			labels[nl++] = g->label;
		}
	}
	nsf_buf_init(&hint);
	best = nsf_did_you_mean(n->str, labels, nl);
	if (best != NULL) {
		nsf_buf_printf(&hint, "did you mean '%s'?", best);
	} else {
		for (i = 0; i < nl; i++) {
			nsf_buf_printf(&hint, "%s%s", i ? ", " : "use one of: ",
			    labels[i]);
		}
	}
	nsf_lerr(c, n, "unknown-group", nl ? hint.data : NULL, "%s '%s' "
	    "names no group of domain %s", what, n->str, d->name);
	nsf_buf_deinit(&hint);
}

static void
read_ds_list(struct nsf_lctx *c, struct nsf_group *g,
    const struct nsf_ynode *v)
{
	size_t i;

	if (!nsf_lread_list(c, v, "a DS list")) {
		return;
	}
	g->ds = nsf_arena_alloc(c->a, (v->n + 1) * sizeof(char *));
	g->nds = 0;
	for (i = 0; i < v->n; i++) {
		struct nsf_ds ds;
		const char *s;
		char *text;

		if (!nsf_lread_str(c, v->items[i], &s)) {
			continue;
		}
		if (nsf_ds_parse(&ds, s) != 0) {
			nsf_lerr(c, v->items[i], "bad-ds", "write keytag "
			    "algorithm digest-type digest, such as \"12345 13 "
			    "2 49FD46E6...\"", "%s", nsf_error_last());
			continue;
		}
		text = nsf_xasprintf("%u %u %u %s", ds.keytag, ds.alg,
		    ds.digest_type, ds.digest);
		g->ds[g->nds++] = nsf_arena_strdup(c->a, text);
		free(text);
		nsf_ds_deinit(&ds);
	}
}

static void
read_dnssec(struct nsf_lctx *c, struct nsf_domain *d,
    const struct nsf_ynode *n)
{
	const struct nsf_ynode *ds;
	size_t i;

	if (!nsf_lcheck_map(c, n, n, &nsf_schema_dnssec)) {
		return;
	}
	ds = nsf_ynode_get(n, "ds");
	if (ds == NULL) {
		return;
	}
	if (ds->kind != NSF_YNODE_MAP) {
		nsf_lerr(c, ds, "wrong-type", "write one line per group: "
		    "'provider-b: [ \"12345 13 2 49FD...\" ]'", "ds must be a "
		    "map from group label to DS records, not %s",
		    nsf_ynode_kind_name(ds));
		return;
	}
	for (i = 0; i < ds->n; i++) {
		const struct nsf_ynode *k = ds->items[2 * i];
		struct nsf_group *g = (struct nsf_group *)find_group(d,
		    k->str);

		if (g == NULL) {
			if (c->refs_ok) {
				unknown_group(c, d, k, "DS group");
			}
			continue;
		}
		read_ds_list(c, g, ds->items[2 * i + 1]);
	}
}

static void
resolve_records(struct nsf_lctx *c, struct nsf_domain *d,
    const struct nsf_layer *l)
{
	size_t i;

	d->readiness.mode = l->ready_mode;
	if (l->ready_mode != NSF_READY_RECORDS || l->nrecs == 0) {
		return;
	}
	d->readiness.records = nsf_arena_alloc(c->a, l->nrecs *
	    sizeof(*d->readiness.records));
	for (i = 0; i < l->nrecs; i++) {
		struct nsf_rrspec *r = &d->readiness.records[i];
		const char *rel = l->recs[i].name;
		size_t len = strlen(rel);
		char *name, *p;

		if (strcmp(rel, "@") == 0) {
			name = nsf_xstrdup(d->name);
		} else if (rel[len - 1] == '.') {
			name = nsf_xstrndup(rel, len - 1);
		} else {
			name = nsf_xasprintf("%s.%s", rel, d->name);
		}
		for (p = name; *p; p++) {
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		}
		r->name = nsf_arena_strdup(c->a, name);
		r->type = l->recs[i].type;
		free(name);
	}
	d->readiness.nrecords = l->nrecs;
}

static void
apply_layer(struct nsf_lctx *c, struct nsf_domain *d,
    const struct nsf_ynode *v)
{
	struct nsf_layer l = c->defaults;

	nsf_layer_apply(c, &l, v);
	if (nsf_ynode_get(v, "health") || nsf_ynode_get(v, "failback") ||
	    nsf_ynode_get(v, "readiness")) {
		nsf_layer_check(c, &l, v);
	}
	d->mode = l.mode;
	d->health = l.health;
	d->failback = l.failback;
	d->flap = l.flap;
	d->drift = l.drift;
	d->suspend = l.suspend;
	resolve_records(c, d, &l);
}

static bool
read_backups(struct nsf_lctx *c, struct nsf_domain *d,
    const struct nsf_ynode *v)
{
	size_t i;
	bool ok = true;

	if (v->kind == NSF_YNODE_SCALAR && !nsf_ynode_is_null(v)) {
		d->backups = nsf_arena_alloc(c->a, sizeof(*d->backups));
		d->nbackups = read_group(c, &d->backups[0], v) ? 1 : 0;
		return d->nbackups == 1;
	}
	if (nsf_ynode_is_null(v)) {
		return true;
	}
	if (!nsf_lread_list(c, v, "backups")) {
		return false;
	}
	d->backups = nsf_arena_alloc(c->a, (v->n + 1) * sizeof(*d->backups));
	for (i = 0; i < v->n; i++) {
		if (read_group(c, &d->backups[d->nbackups], v->items[i])) {
			d->nbackups++;
		} else {
			ok = false;
		}
	}
	return ok;
}

static void
read_registry_ref(struct nsf_lctx *c, struct nsf_domain *d,
    const struct nsf_ynode *v)
{
	const char *s;

	if (!nsf_lread_str(c, v, &s)) {
		return;
	}
	d->registry = (struct nsf_registry *)nsf_policy_registry(c->p, s);
	if (d->registry == NULL && c->refs_ok) {
		unknown_ref(c, v, "registry", c->registry_names,
		    c->p->nregistries);
	}
}

static void
read_pin(struct nsf_lctx *c, struct nsf_domain *d, const struct nsf_ynode *v)
{
	const char *s;

	if (!nsf_lread_str(c, v, &s)) {
		return;
	}
	d->pin = find_group(d, s);
	if (d->pin == NULL && c->refs_ok) {
		unknown_group(c, d, v, "pin");
	}
}

static void
check_glue(struct nsf_lctx *c, const struct nsf_domain *d,
    const struct nsf_group *g, const struct nsf_ynode *at)
{
	size_t i, j;

	for (i = 0; i < g->nproviders; i++) {
		const struct nsf_provider *pr = g->providers[i];

		for (j = 0; j < pr->nns; j++) {
			const struct nsf_nameserver *ns = &pr->ns[j];
			char hint[400];

			if (ns->naddrs > 0 || !nsf_name_in_zone(ns->name,
			    d->name)) {
				continue;
			}
			snprintf(hint, sizeof(hint), "give it glue in provider "
			    "'%s': { name: %s, addresses: [ ... ] }",
			    pr->name, ns->name);
			nsf_lerr(c, at, "missing-glue", hint, "nameserver %s "
			    "(provider '%s', %s:%u:%u) lies inside %s and has "
			    "no glue addresses", ns->name, pr->name,
			    ns->pos.file, ns->pos.line, ns->pos.col, d->name);
		}
	}
}

static void
check_count(struct nsf_lctx *c, const struct nsf_domain *d,
    const struct nsf_group *g, const struct nsf_ynode *at)
{
	struct nsf_strv ns;
	const struct nsf_registry *r = d->registry;

	if (r == NULL) {
		return;
	}
	nsf_group_nameservers(&ns, g);
	if (ns.n < r->min_ns || ns.n > r->max_ns) {
		char hint[96];

		snprintf(hint, sizeof(hint), "registry '%s' takes %u to %u "
		    "nameservers", r->name, r->min_ns, r->max_ns);
		nsf_lerr(c, at, "nameserver-count", hint, "group '%s' has "
		    "%s%zu nameserver%s", g->label, ns.n < r->min_ns ?
		    "only " : "", ns.n, ns.n == 1 ? "" : "s");
	}
	nsf_strv_deinit(&ns);
}

static const struct nsf_ynode *
backup_node(const struct nsf_ynode *v, size_t i)
{
	const struct nsf_ynode *b = nsf_ynode_get(v, "backups");

	if (b != NULL && b->kind == NSF_YNODE_SEQ && i < b->n) {
		return b->items[i];
	}
	return b ? b : v;
}

/* True when both groups hold the same providers, in any order. */
static bool
same_providers(const struct nsf_group *a, const struct nsf_group *b)
{
	size_t i, j;

	if (a->nproviders != b->nproviders) {
		return false;
	}
	for (i = 0; i < a->nproviders; i++) {
		for (j = 0; j < b->nproviders; j++) {
			if (a->providers[i] == b->providers[j]) {
				break;
			}
		}
		if (j == b->nproviders) {
			return false;
		}
	}
	return true;
}

/* Returns false when the backup repeats the primary or an earlier
 * backup: the group checks were made there already. */
static bool
check_backup(struct nsf_lctx *c, const struct nsf_domain *d, size_t i,
    const struct nsf_strv *pns, const struct nsf_ynode *at)
{
	const struct nsf_group *b = &d->backups[i];
	struct nsf_strv ns;
	size_t j;

	if (same_providers(b, &d->primary)) {
		nsf_lerr(c, at, "primary-in-backups", "remove it from "
		    "backups", "backup '%s' is the primary group", b->label);
		return false;
	}
	for (j = 0; j < i; j++) {
		if (same_providers(b, &d->backups[j])) {
			nsf_lerr(c, at, "duplicate-backup", "list each group "
			    "once", "backup '%s' is listed twice", b->label);
			return false;
		}
	}
	nsf_group_nameservers(&ns, b);
	if (nsf_strv_same_set(&ns, pns)) {
		nsf_lerr(c, at, "same-nameservers", "a backup must use "
		    "other nameservers than the primary", "backup '%s' has "
		    "exactly the primary's nameservers: failing over to it "
		    "changes nothing", b->label);
	}
	nsf_strv_deinit(&ns);
	return true;
}

static void
check_domain(struct nsf_lctx *c, const struct nsf_domain *d,
    const struct nsf_ynode *k, const struct nsf_ynode *v)
{
	const struct nsf_ynode *pn = nsf_ynode_get(v, "primary");
	struct nsf_strv pns;
	size_t i;

	if (d->primary.label == NULL) {
		return;
	}
	nsf_group_nameservers(&pns, &d->primary);
	check_glue(c, d, &d->primary, pn);
	check_count(c, d, &d->primary, pn);
	for (i = 0; i < d->nbackups; i++) {
		const struct nsf_ynode *at = backup_node(v, i);

		if (d->backups[i].label == NULL) {
			continue;
		}
		if (check_backup(c, d, i, &pns, at)) {
			check_glue(c, d, &d->backups[i], at);
			check_count(c, d, &d->backups[i], at);
		}
	}
	nsf_strv_deinit(&pns);
	if (d->nbackups == 0 && nsf_ynode_get(v, "backups") == NULL &&
	    !(d->mode == NSF_MODE_PRUNE && d->primary.nproviders > 1)) {
		nsf_lwarn(c, k, "no-backups", "add backups: [ provider-b ]",
		    "domain %s has no backups: there is nothing to fail over "
		    "to", d->name);
	}
}

static void
read_domain(struct nsf_lctx *c, struct nsf_domain *d,
    const struct nsf_ynode *k, const struct nsf_ynode *v)
{
	const struct nsf_ynode *x;
	bool groups_ok = true;

	nsf_lpos(&d->pos, c, k);
	nsf_lcheck_map(c, k, v, &nsf_schema_domain);
	if (v->kind != NSF_YNODE_MAP) {
		return;
	}
	if ((x = nsf_ynode_get(v, "registry")) != NULL) {
		read_registry_ref(c, d, x);
	}
	apply_layer(c, d, v);
	if ((x = nsf_ynode_get(v, "primary")) != NULL) {
		groups_ok &= read_group(c, &d->primary, x);
	} else {
		groups_ok = false;
	}
	if ((x = nsf_ynode_get(v, "backups")) != NULL) {
		groups_ok &= read_backups(c, d, x);
	}
	if ((x = nsf_ynode_get(v, "pin")) != NULL && groups_ok) {
		read_pin(c, d, x);
	}
	if ((x = nsf_ynode_get(v, "dnssec")) != NULL && groups_ok) {
		read_dnssec(c, d, x);
	}
	if (groups_ok) {
		check_domain(c, d, k, v);
	}
}

/* A domain's name as written and as stored, for sorting. */
struct dom_entry {
	char *name;                     /* heap, stored form */
	const struct nsf_ynode *k;
	const struct nsf_ynode *v;
};

static int
entry_cmp(const void *pa, const void *pb)
{
	const struct dom_entry *a = pa, *b = pb;
	int r = strcmp(a->name, b->name);

	if (r != 0) {
		return r;
	}
	if (a->k->file != b->k->file) {
		return a->k->file < b->k->file ? -1 : 1;
	}
	return a->k->line < b->k->line ? -1 : a->k->line > b->k->line;
}

static size_t
collect_domains(struct nsf_lctx *c, struct dom_entry *e,
    struct nsf_ynode **pairs, size_t npairs)
{
	size_t i, n = 0;
	char why[160];

	for (i = 0; i < npairs; i++) {
		const struct nsf_ynode *k = pairs[2 * i];

		e[n].name = nsf_name_normalize(k->str, why, sizeof(why));
		if (e[n].name == NULL) {
			nsf_lerr(c, k, "bad-name", "a domain name is labels of "
			    "letters, digits and '-' joined by dots",
			    "'%s' is not a valid domain name: %s", k->str,
			    why);
			continue;
		}
		e[n].k = k;
		e[n].v = pairs[2 * i + 1];
		n++;
	}
	return n;
}

void
nsf_load_domains(struct nsf_lctx *c, struct nsf_ynode **pairs,
    size_t npairs)
{
	struct dom_entry *e = nsf_xcalloc(npairs + 1, sizeof(*e));
	struct nsf_policy *p = c->p;
	size_t i, n, first = 0;

	n = collect_domains(c, e, pairs, npairs);
	qsort(e, n, sizeof(*e), entry_cmp);
	p->domains = nsf_arena_alloc(c->a, (n + 1) * sizeof(*p->domains));
	for (i = 0; i < n; i++) {
		struct nsf_domain *d = &p->domains[p->ndomains];

		if (p->ndomains > 0 && strcmp(d[-1].name, e[i].name) == 0) {
			nsf_lerr(c, e[i].k, "duplicate-domain", "keep one of "
			    "them", "domain %s is defined twice (first at "
			    "%s:%u:%u as '%s')", e[i].name, d[-1].pos.file,
			    d[-1].pos.line, d[-1].pos.col, e[first].k->str);
			continue;
		}
		first = i;
		d->name = nsf_arena_strdup(c->a, e[i].name);
		p->ndomains++;
		read_domain(c, d, e[i].k, e[i].v);
	}
	for (i = 0; i < n; i++) {
		free(e[i].name);
	}
	free(e);
}
