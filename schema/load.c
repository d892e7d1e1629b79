/* load.c - loads a policy: files, merge, providers, registries, canaries. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "loader.h"

/* The sections a directory of files merges, in keys.c's order. */
enum section { S_DEFAULTS, S_CANARIES, S_PROVIDERS, S_REGISTRIES,
	S_DOMAINS, S_COUNT };
static const char *const section_names[S_COUNT] = {
	"defaults", "canaries", "providers", "registries", "domains",
};

/* The entries of one section, gathered from every file. */
struct section_pairs {
	struct nsf_ynode **v;   /* key, value, key, value ... */
	size_t n;               /* pairs */
	size_t cap;
};

static void
pairs_push(struct section_pairs *s, struct nsf_ynode *k,
    struct nsf_ynode *v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = nsf_xrealloc(s->v, 2 * s->cap * sizeof(*s->v));
	}
	s->v[2 * s->n] = k;
	s->v[2 * s->n + 1] = v;
	s->n++;
}

static int
pair_cmp(const void *pa, const void *pb)
{
	struct nsf_ynode *const *a = pa, *const *b = pb;
	int r = strcmp(a[0]->str, b[0]->str);

	if (r != 0) {
		return r;
	}
	if (a[0]->file != b[0]->file) {
		return a[0]->file < b[0]->file ? -1 : 1;
	}
	return a[0]->line < b[0]->line ? -1 : a[0]->line > b[0]->line;
}

/* Sorts a section by key and drops keys defined in two files. */
static void
pairs_dedupe(struct nsf_lctx *c, struct section_pairs *s, const char *what)
{
	size_t i, out = 0;

	if (s->n == 0) {
		return;
	}
	qsort(s->v, s->n, 2 * sizeof(*s->v), pair_cmp);
	for (i = 0; i < s->n; i++) {
		struct nsf_ynode *k = s->v[2 * i];

		if (out > 0 && strcmp(s->v[2 * (out - 1)]->str, k->str) == 0) {
			const struct nsf_ynode *f = s->v[2 * (out - 1)];

			nsf_lerr(c, k, "duplicate-key", "keep one of them",
			    "%s '%s' is defined twice (first at %s:%u:%u)",
			    what, k->str, c->p->files[f->file], f->line,
			    f->col);
			continue;
		}
		s->v[2 * out] = k;
		s->v[2 * out + 1] = s->v[2 * i + 1];
		out++;
	}
	s->n = out;
}

static void
read_version(struct nsf_lctx *c, const struct nsf_ynode *v, bool *seen)
{
	unsigned ver;

	*seen = true;
	if (!nsf_lread_uint(c, v, 0, 999999, &ver)) {
		return;
	}
	if (ver != 1) {
		nsf_lerr(c, v, "bad-version", "write 'version: 1'",
		    "policy version %u is not supported (this nsfailover "
		    "reads version 1)", ver);
		return;
	}
	c->p->version = 1;
}

static void
gather(struct nsf_lctx *c, struct nsf_ynode *root,
    struct section_pairs *secs, bool *version_seen)
{
	size_t i, j, s;

	nsf_lcheck_keys(c, root, &nsf_schema_top);
	for (i = 0; i < root->n; i++) {
		struct nsf_ynode *k = root->items[2 * i];
		struct nsf_ynode *v = root->items[2 * i + 1];

		if (strcmp(k->str, "version") == 0) {
			read_version(c, v, version_seen);
			continue;
		}
		for (s = 0; s < S_COUNT; s++) {
			if (strcmp(k->str, section_names[s]) == 0) {
				break;
			}
		}
		if (s == S_COUNT || nsf_ynode_is_null(v)) {
			continue;
		}
		if (v->kind != NSF_YNODE_MAP) {
			nsf_lerr(c, v, "wrong-type", "write 'key: value' lines "
			    "under it", "%s must be a map, not %s",
			    section_names[s], nsf_ynode_kind_name(v));
			continue;
		}
		for (j = 0; j < v->n; j++) {
			pairs_push(&secs[s], v->items[2 * j],
			    v->items[2 * j + 1]);
		}
	}
}

/* Provider and registry names: a word that can join a group label. */
static bool
key_name_ok(struct nsf_lctx *c, const struct nsf_ynode *k, const char *what)
{
	size_t i;

	for (i = 0; i < k->len; i++) {
		char ch = k->str[i];

		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '-' && ch != '_' &&
		    ch != '.') {
			break;
		}
	}
	if (k->len > 0 && k->len <= 63 && i == k->len) {
		return true;
	}
	nsf_lerr(c, k, "bad-name", "use 1 to 63 letters, digits, '-', '_' "
	    "or '.'", "%s name '%s' is not valid", what, k->str);
	return false;
}

static void
read_addresses(struct nsf_lctx *c, struct nsf_nameserver *ns,
    const struct nsf_ynode *v)
{
	char canon[64];
	size_t i;

	if (!nsf_lread_list(c, v, "addresses")) {
		return;
	}
	ns->addrs = nsf_arena_alloc(c->a, (v->n + 1) * sizeof(char *));
	for (i = 0; i < v->n; i++) {
		const struct nsf_ynode *a = v->items[i];
		const char *s;

		if (!nsf_lread_str(c, a, &s)) {
			continue;
		}
		if (!nsf_ip_parse(s, canon)) {
			nsf_lerr(c, a, "bad-address", "write an IPv4 address "
			    "such as 192.0.2.1 or an IPv6 address such as "
			    "2001:db8::1", "'%s' is not an IP address", s);
			continue;
		}
		ns->addrs[ns->naddrs++] = nsf_arena_strdup(c->a, canon);
	}
}

static bool
read_nameserver(struct nsf_lctx *c, struct nsf_nameserver *ns,
    const struct nsf_ynode *n)
{
	const struct nsf_ynode *name = n, *addrs = NULL;

	if (n->kind == NSF_YNODE_MAP) {
		if (!nsf_lcheck_map(c, n, n, &nsf_schema_nameserver)) {
			return false;
		}
		name = nsf_ynode_get(n, "name");
		addrs = nsf_ynode_get(n, "addresses");
	}
	if (!nsf_lread_name(c, name, &ns->name)) {
		return false;
	}
	nsf_lpos(&ns->pos, c, name);
	if (addrs != NULL) {
		read_addresses(c, ns, addrs);
	}
	return true;
}

static void
read_provider_ns(struct nsf_lctx *c, struct nsf_provider *pr,
    const struct nsf_ynode *k, const struct nsf_ynode *list)
{
	size_t i, j;

	if (!nsf_lread_list(c, list, "nameservers")) {
		return;
	}
	if (list->n == 0) {
		nsf_lerr(c, list, "out-of-range", "list at least one "
		    "nameserver", "provider '%s' has no nameservers", pr->name);
		return;
	}
	pr->ns = nsf_arena_alloc(c->a, list->n * sizeof(*pr->ns));
	for (i = 0; i < list->n; i++) {
		struct nsf_nameserver *ns = &pr->ns[pr->nns];

		if (!read_nameserver(c, ns, list->items[i])) {
			continue;
		}
		for (j = 0; j < pr->nns; j++) {
			if (strcmp(pr->ns[j].name, ns->name) == 0) {
				break;
			}
		}
		if (j < pr->nns) {
			nsf_lerr(c, list->items[i], "duplicate-nameserver",
			    "list each nameserver once", "nameserver '%s' is "
			    "listed twice in provider '%s' (first at %s:%u:%u)",
			    ns->name, pr->name, pr->ns[j].pos.file,
			    pr->ns[j].pos.line, pr->ns[j].pos.col);
			continue;
		}
		pr->nns++;
	}
	if (pr->nns == 1) {
		nsf_lwarn(c, k, "single-nameserver", "list two or more "
		    "nameservers, on different networks", "provider '%s' "
		    "has only one nameserver: a single failure takes it "
		    "down", pr->name);
	}
}

static void
load_providers(struct nsf_lctx *c, struct section_pairs *s)
{
	struct nsf_policy *p = c->p;
	size_t i;

	pairs_dedupe(c, s, "provider");
	p->providers = nsf_arena_alloc(c->a, s->n * sizeof(*p->providers));
	c->provider_names = nsf_arena_alloc(c->a, (s->n + 1) *
	    sizeof(char *));
	for (i = 0; i < s->n; i++) {
		const struct nsf_ynode *k = s->v[2 * i], *v = s->v[2 * i + 1];
		struct nsf_provider *pr = &p->providers[p->nproviders];
		const struct nsf_ynode *port;
		unsigned u;

		c->provider_names[i] = k->str;
		if (!key_name_ok(c, k, "provider")) {
			continue;
		}
		pr->name = nsf_arena_strdup(c->a, k->str);
		pr->port = 53;
		nsf_lpos(&pr->pos, c, k);
		p->nproviders++;
		if (!nsf_lcheck_map(c, k, v, &nsf_schema_provider)) {
			continue;
		}
		if ((port = nsf_ynode_get(v, "port")) != NULL &&
		    nsf_lread_uint(c, port, 1, 65535, &u)) {
			pr->port = (uint16_t)u;
		}
		if (nsf_ynode_get(v, "nameservers") != NULL) {
			read_provider_ns(c, pr, k,
			    nsf_ynode_get(v, "nameservers"));
		}
	}
}

const struct nsf_provider *
nsf_lfind_provider(const struct nsf_lctx *c, const char *name)
{
	return nsf_policy_provider(c->p, name);
}

/* "host", "host:port", "[v6]:port" or a bare IPv6 address. */
static bool
read_endpoint(struct nsf_lctx *c, struct nsf_endpoint *ep,
    const struct nsf_ynode *n, uint16_t defport, bool ip_only)
{
	const char *s, *colon, *hint = ip_only ? "write an address and "
	    "optional port: 192.0.2.53, 192.0.2.53:5353 or "
	    "[2001:db8::53]:53" : "write host[:port], such as "
	    "epp.registry.example:700 or [2001:db8::1]:700";
	char host[300], canon[64], *name, why[160];
	unsigned long port = defport;
	char *end;

	if (!nsf_lread_str(c, n, &s)) {
		return false;
	}
	colon = strrchr(s, ':');
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || (rb[1] != '\0' && rb[1] != ':')) {
			goto bad;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(rb - s - 1), s + 1);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else if (colon != NULL && strchr(s, ':') != colon) {
		snprintf(host, sizeof(host), "%s", s);
		colon = NULL;
	} else {
		snprintf(host, sizeof(host), "%.*s", colon ?
		    (int)(colon - s) : (int)strlen(s), s);
	}
	if (colon != NULL) {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || port == 0 ||
		    port > 65535) {
			goto bad;
		}
	}
	if (nsf_ip_parse(host, canon)) {
		ep->host = nsf_arena_strdup(c->a, canon);
	} else if (!ip_only && (name = nsf_name_normalize(host, why,
	    sizeof(why))) != NULL) {
		ep->host = nsf_arena_strdup(c->a, name);
		free(name);
	} else {
		goto bad;
	}
	ep->port = (uint16_t)port;
	return true;

bad:
	nsf_lerr(c, n, "bad-address", hint, "'%s' is not a valid %s", s,
	    ip_only ? "address[:port]" : "host[:port]");
	return false;
}

static void
read_command(struct nsf_lctx *c, struct nsf_registry *r,
    const struct nsf_ynode *v)
{
	size_t i;

	if (v->kind == NSF_YNODE_SCALAR) {
		nsf_lerr(c, v, "wrong-type", "write the program and its "
		    "arguments as a list: [ /usr/local/bin/hook, --flag ]",
		    "command must be a list, not a string");
		return;
	}
	if (!nsf_lread_list(c, v, "command")) {
		return;
	}
	if (v->n == 0) {
		nsf_lerr(c, v, "out-of-range", "name the program to run",
		    "command is empty");
		return;
	}
	r->command = nsf_arena_alloc(c->a, (v->n + 1) * sizeof(char *));
	for (i = 0; i < v->n; i++) {
		const char *s;

		if (nsf_lread_str(c, v->items[i], &s)) {
			r->command[r->ncommand++] = nsf_arena_strdup(c->a, s);
		}
	}
}

static void
read_verify(struct nsf_lctx *c, struct nsf_registry *r,
    const struct nsf_ynode *v)
{
	size_t i;

	if (!nsf_lread_list(c, v, "verify")) {
		return;
	}
	r->verify = nsf_arena_alloc(c->a, (v->n + 1) * sizeof(*r->verify));
	for (i = 0; i < v->n; i++) {
		if (read_endpoint(c, &r->verify[r->nverify], v->items[i], 53,
		    true)) {
			r->nverify++;
		}
	}
}

/* Which registry types each key applies to (bit per type). */
static const struct {
	const char *key;
	unsigned types;         /* 1 << nsf_registry_type */
	unsigned required;
} registry_keys[] = {
	{ "server", 1u << NSF_REGISTRY_EPP | 1u << NSF_REGISTRY_DNS_UPDATE,
	  1u << NSF_REGISTRY_EPP | 1u << NSF_REGISTRY_DNS_UPDATE },
	{ "credentials", 7u,
	  1u << NSF_REGISTRY_EPP | 1u << NSF_REGISTRY_DNS_UPDATE },
	{ "zone", 1u << NSF_REGISTRY_DNS_UPDATE,
	    1u << NSF_REGISTRY_DNS_UPDATE },
	{ "ca_file", 1u << NSF_REGISTRY_EPP, 0 },
	{ "host_model", 1u << NSF_REGISTRY_EPP, 0 },
	{ "command", 1u << NSF_REGISTRY_EXEC, 1u << NSF_REGISTRY_EXEC },
};

static bool
registry_keys_ok(struct nsf_lctx *c, const struct nsf_ynode *k,
    const struct nsf_ynode *v, enum nsf_registry_type t)
{
	const char *tn = nsf_schema_regtype_names[t];
	bool ok = true;
	size_t i;

	for (i = 0; i < NSF_ARRAY_SIZE(registry_keys); i++) {
		const struct nsf_ynode *kv = nsf_ynode_get(v,
		    registry_keys[i].key);

		if (kv != NULL && !(registry_keys[i].types & (1u << t))) {
			nsf_lerr(c, kv, "unknown-key", "remove it", "'%s' "
			    "does not apply to a registry of type %s",
			    registry_keys[i].key, tn);
			ok = false;
		} else if (kv == NULL &&
		    (registry_keys[i].required & (1u << t))) {
			char hint[96];

			snprintf(hint, sizeof(hint), "add a '%s:' key; see "
			    "man 5 nsfailover-policy", registry_keys[i].key);
			nsf_lerr(c, k, "missing-key", hint, "registry '%s' of "
			    "type %s has no '%s' (it is required)", k->str,
			    tn, registry_keys[i].key);
			ok = false;
		}
	}
	return ok;
}

static void
read_registry_limits(struct nsf_lctx *c, struct nsf_registry *r,
    const struct nsf_ynode *v)
{
	const struct nsf_ynode *x;
	int e;

	if ((x = nsf_ynode_get(v, "min_nameservers")) != NULL) {
		nsf_lread_uint(c, x, 1, 13, &r->min_ns);
	}
	if ((x = nsf_ynode_get(v, "max_nameservers")) != NULL) {
		nsf_lread_uint(c, x, 1, 255, &r->max_ns);
	}
	if (r->min_ns > r->max_ns) {
		nsf_lerr(c, x ? x : v, "out-of-range", "make "
		    "min_nameservers at most max_nameservers", "registry "
		    "'%s' allows at least %u and at most %u nameservers",
		    r->name, r->min_ns, r->max_ns);
	}
	if ((x = nsf_ynode_get(v, "host_model")) != NULL &&
	    nsf_lread_enum(c, x, nsf_schema_host_model_names, &e)) {
		r->host_model = (enum nsf_host_model)e;
	}
	if ((x = nsf_ynode_get(v, "timeout")) != NULL) {
		nsf_lread_duration(c, x, 1000, NSF_MAX_DURATION_MS,
		    &r->timeout_ms);
	}
}

static void
read_registry(struct nsf_lctx *c, struct nsf_registry *r,
    const struct nsf_ynode *k, const struct nsf_ynode *v)
{
	const struct nsf_ynode *x;
	const char *s;
	int t;

	if (!nsf_lcheck_map(c, k, v, &nsf_schema_registry) ||
	    !nsf_lread_enum(c, nsf_ynode_get(v, "type"),
	    nsf_schema_regtype_names, &t)) {
		return;
	}
	r->type = (enum nsf_registry_type)t;
	registry_keys_ok(c, k, v, r->type);
	if ((x = nsf_ynode_get(v, "server")) != NULL) {
		read_endpoint(c, &r->server, x, r->type == NSF_REGISTRY_EPP ?
		    700 : 53, false);
	}
	if ((x = nsf_ynode_get(v, "credentials")) != NULL &&
	    nsf_lread_str(c, x, &s)) {
		r->credentials = nsf_arena_strdup(c->a, s);
	}
	if ((x = nsf_ynode_get(v, "zone")) != NULL) {
		nsf_lread_name(c, x, &r->zone);
	}
	if ((x = nsf_ynode_get(v, "ca_file")) != NULL &&
	    nsf_lread_str(c, x, &s)) {
		r->ca_file = nsf_arena_strdup(c->a, s);
	}
	if ((x = nsf_ynode_get(v, "command")) != NULL) {
		read_command(c, r, x);
	}
	if ((x = nsf_ynode_get(v, "verify")) != NULL) {
		read_verify(c, r, x);
	}
	read_registry_limits(c, r, v);
}

static void
load_registries(struct nsf_lctx *c, struct section_pairs *s)
{
	struct nsf_policy *p = c->p;
	size_t i;

	pairs_dedupe(c, s, "registry");
	p->registries = nsf_arena_alloc(c->a, s->n * sizeof(*p->registries));
	c->registry_names = nsf_arena_alloc(c->a, (s->n + 1) *
	    sizeof(char *));
	for (i = 0; i < s->n; i++) {
		const struct nsf_ynode *k = s->v[2 * i];
		struct nsf_registry *r = &p->registries[p->nregistries];

		c->registry_names[i] = k->str;
		if (!key_name_ok(c, k, "registry")) {
			continue;
		}
		p->nregistries++;
		r->name = nsf_arena_strdup(c->a, k->str);
		r->timeout_ms = 30000;
		r->min_ns = 2;
		r->max_ns = 13;
		nsf_lpos(&r->pos, c, k);
		read_registry(c, r, k, s->v[2 * i + 1]);
	}
}

static void
read_target(struct nsf_lctx *c, struct nsf_canary *cn,
    const struct nsf_ynode *n)
{
	const struct nsf_ynode *x;
	char canon[64];
	const char *s;
	unsigned u;

	if (!nsf_lcheck_map(c, n, n, &nsf_schema_target)) {
		return;
	}
	nsf_lpos(&cn->pos, c, n);
	cn->server.port = 53;
	cn->qname = ".";
	cn->qtype = 6;         /* SOA */
	x = nsf_ynode_get(n, "address");
	if (nsf_lread_str(c, x, &s)) {
		if (nsf_ip_parse(s, canon)) {
			cn->server.host = nsf_arena_strdup(c->a, canon);
		} else {
			nsf_lerr(c, x, "bad-address", "canaries are asked "
			    "by address: write an IPv4 or IPv6 address",
			    "'%s' is not an IP address", s);
		}
	}
	if ((x = nsf_ynode_get(n, "port")) != NULL &&
	    nsf_lread_uint(c, x, 1, 65535, &u)) {
		cn->server.port = (uint16_t)u;
	}
	if ((x = nsf_ynode_get(n, "name")) != NULL &&
	    nsf_lread_str(c, x, &s) && strcmp(s, ".") != 0) {
		nsf_lread_name(c, x, &cn->qname);
	}
	if ((x = nsf_ynode_get(n, "type")) != NULL &&
	    nsf_lread_str(c, x, &s)) {
		cn->qtype = (uint16_t)nsf_rr_type_parse(s);
		if (cn->qtype == 0) {
			nsf_lerr(c, x, "bad-value", "write a record type such "
			    "as SOA, NS or A", "'%s' is not a DNS record "
			    "type", s);
		}
	}
}

static void
load_canaries(struct nsf_lctx *c, struct section_pairs *s)
{
	struct nsf_policy *p = c->p;
	const struct nsf_ynode *t = NULL, *min = NULL;
	size_t i;

	pairs_dedupe(c, s, "canaries key");
	for (i = 0; i < s->n; i++) {
		const char *k = s->v[2 * i]->str;

		if (nsf_schema_find(&nsf_schema_canaries, k) == NULL) {
			/* reported with did-you-mean by check_section */
			continue;
		}
		if (strcmp(k, "targets") == 0) {
			t = s->v[2 * i + 1];
		} else {
			min = s->v[2 * i + 1];
		}
	}
	p->canary_min_ok = 1;
	if (t == NULL) {
		return;
	}
	if (!nsf_lread_list(c, t, "targets")) {
		return;
	}
	p->canaries = nsf_arena_alloc(c->a, t->n * sizeof(*p->canaries));
	for (i = 0; i < t->n; i++) {
		read_target(c, &p->canaries[p->ncanaries++], t->items[i]);
	}
	if (min != NULL) {
		unsigned most = p->ncanaries ? (unsigned)p->ncanaries : 1;

		nsf_lread_uint(c, min, 1, most, &p->canary_min_ok);
	}
}

/* Checks a merged fixed-key section (defaults, canaries) like one map. */
static struct nsf_ynode *
section_as_map(struct nsf_lctx *c, struct section_pairs *s,
    const struct nsf_schema_map *m, const char *what)
{
	struct nsf_ynode *n;
	size_t i;

	pairs_dedupe(c, s, what);
	n = nsf_arena_alloc(c->a, sizeof(*n));
	n->kind = NSF_YNODE_MAP;
	n->n = s->n;
	n->items = nsf_arena_alloc(c->a, (2 * s->n + 1) * sizeof(*n->items));
	for (i = 0; i < 2 * s->n; i++) {
		n->items[i] = s->v[i];
	}
	if (s->n > 0) {
		n->file = s->v[0]->file;
		n->line = s->v[0]->line;
		n->col = s->v[0]->col;
	}
	if (s->n > 0) {
		nsf_lcheck_map(c, NULL, n, m);
	}
	return n;
}

/* A canary must tell "our network is down" from "a provider is down":
 * one that is a provider's own nameserver cannot. */
static void
check_canaries(struct nsf_lctx *c)
{
	const struct nsf_policy *p = c->p;
	size_t i, j, k, a;

	for (i = 0; i < p->ncanaries; i++) {
		const struct nsf_canary *cn = &p->canaries[i];

		for (j = 0; j < p->nproviders && cn->server.host; j++) {
			const struct nsf_provider *pr = &p->providers[j];

			for (k = 0; k < pr->nns; k++) {
				for (a = 0; a < pr->ns[k].naddrs; a++) {
					if (strcmp(pr->ns[k].addrs[a],
					    cn->server.host) != 0) {
						continue;
					}
					nsf_diags_add(c->d, NSF_DIAG_ERROR,
					    cn->pos.file, cn->pos.line,
					    cn->pos.col, "canary-in-provider",
					    "pick a server outside every "
					    "provider", "canary %s is an "
					    "address of nameserver %s of "
					    "provider '%s'", cn->server.host,
					    pr->ns[k].name, pr->name);
				}
			}
		}
	}
}

static void
builtin_defaults(struct nsf_layer *l)
{
	memset(l, 0, sizeof(*l));
	l->mode = NSF_MODE_FAILOVER;
	l->health.interval_ms = 10000;
	l->health.timeout_ms = 2000;
	l->health.retries = 1;
	l->health.fail_after = 3;
	l->health.recover_after = 5;
	l->health.quorum = 0;
	l->ready_mode = NSF_READY_SERIAL;
	l->failback.mode = NSF_FAILBACK_AUTO;
	l->failback.hold_down_ms = 15ULL * 60 * 1000;
	l->flap.max_changes = 4;
	l->flap.window_ms = 3600ULL * 1000;
	l->drift = NSF_DRIFT_REPORT;
	l->suspend = false;
}

static void
load_sections(struct nsf_lctx *c, struct section_pairs *secs)
{
	struct nsf_ynode *defs;

	builtin_defaults(&c->defaults);
	defs = section_as_map(c, &secs[S_DEFAULTS], &nsf_schema_defaults,
	    "defaults key");
	nsf_layer_apply(c, &c->defaults, defs);
	if (defs->n > 0) {
		nsf_layer_check(c, &c->defaults, defs);
	}
	section_as_map(c, &secs[S_CANARIES], &nsf_schema_canaries,
	    "canaries key");
	load_canaries(c, &secs[S_CANARIES]);
	load_providers(c, &secs[S_PROVIDERS]);
	check_canaries(c);
	load_registries(c, &secs[S_REGISTRIES]);
	nsf_load_domains(c, secs[S_DOMAINS].v, secs[S_DOMAINS].n);
}

static struct nsf_policy *
policy_new(const struct nsf_policy_file *files, size_t nfiles)
{
	struct nsf_policy *p = nsf_xcalloc(1, sizeof(*p));
	struct nsf_arena *a = nsf_arena_new();
	size_t i;

	p->arena = a;
	p->files = nsf_arena_alloc(a, (nfiles + 1) * sizeof(char *));
	for (i = 0; i < nfiles; i++) {
		p->files[i] = nsf_arena_strdup(a, files[i].name);
	}
	p->nfiles = nfiles;
	return p;
}

/* False when the file brings the files read so far over the policy's
 * size: it and the files after it are not parsed, and the first one
 * over carries the error. */
static bool
within_total(struct nsf_diags *d, const struct nsf_policy_file *f,
    size_t *total, const struct nsf_policy_limits *lim)
{
	bool over_before = *total > lim->total_bytes;

	*total += f->len;
	if (*total <= lim->total_bytes) {
		return true;
	}
	if (!over_before) {
		nsf_diags_add(d, NSF_DIAG_ERROR, f->name, 1, 1, "too-large",
		    "remove files that are not policy, or split the domains "
		    "over two policy repositories", "with this file the "
		    "policy is %zu bytes, over the limit of %zu for all files "
		    "together (the files after it are not read)", *total,
		    lim->total_bytes);
	}
	return false;
}

NSF_STATIC int policy_load_limited(struct nsf_policy **out,
    const struct nsf_policy_file *files, size_t nfiles,
    struct nsf_diags *diags, const struct nsf_policy_limits *lim);

/* nsf_policy_load_files with limits of the caller's choosing. */
NSF_STATIC int
policy_load_limited(struct nsf_policy **out,
    const struct nsf_policy_file *files, size_t nfiles,
    struct nsf_diags *diags, const struct nsf_policy_limits *lim)
{
	struct section_pairs secs[S_COUNT];
	struct nsf_arena *tree = nsf_arena_new();
	struct nsf_policy *p = policy_new(files, nfiles);
	struct nsf_value_budget budget = { lim->values, lim->values };
	struct nsf_lctx c;
	size_t errors0 = diags->nerrors, i, total = 0;
	bool version_seen = false;

	if (nfiles > NSF_POLICY_MAX_FILES) {
		nsf_policy_free(p);
		nsf_arena_free(tree);
		return nsf_error_set(NSF_ERROR, "a policy has at most %d "
		    "files, not %zu", NSF_POLICY_MAX_FILES, nfiles);
	}
	memset(secs, 0, sizeof(secs));
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.a = p->arena;
	c.d = diags;
	c.refs_ok = true;
	for (i = 0; i < nfiles; i++) {
		struct nsf_ynode *root = NULL;

		if (within_total(diags, &files[i], &total, lim)) {
			root = nsf_ytree_parse(tree, diags, files[i].name,
			    (unsigned)i, files[i].data, files[i].len, &budget);
		}
		if (root == NULL) {
			c.refs_ok = false;
			continue;
		}
		gather(&c, root, secs, &version_seen);
	}
	if (c.refs_ok && !version_seen) {
		nsf_diags_add(diags, NSF_DIAG_ERROR, nfiles ? files[0].name :
		    "", 1, 1, "missing-key", "add 'version: 1' at the top",
		    "the policy has no 'version'");
	}
	load_sections(&c, secs);
	for (i = 0; i < S_COUNT; i++) {
		free(secs[i].v);
	}
	nsf_group_intern_free(c.groups);
	nsf_arena_free(tree);
	nsf_diags_sort(diags);
	if (diags->nerrors > errors0) {
		nsf_policy_free(p);
		return nsf_error_set(NSF_EINVAL, "the policy has %zu errors",
		    diags->nerrors - errors0);
	}
	*out = p;
	return 0;
}

int
nsf_policy_load_files(struct nsf_policy **out,
    const struct nsf_policy_file *files, size_t nfiles,
    struct nsf_diags *diags)
{
	static const struct nsf_policy_limits limits = {
		NSF_POLICY_MAX_TOTAL_BYTES, NSF_POLICY_MAX_VALUES,
	};

	return policy_load_limited(out, files, nfiles, diags, &limits);
}
