/* config.c - load and check the daemon configuration with libyaml. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"

/* State of one walk over the YAML document. */
struct walker {
	yaml_document_t *doc;
	const char *file;       /* as named in messages */
	char *basedir;          /* absolute directory of the file */
	struct nsf_diags *diags;
	struct nsf_config *cfg;
	char what[80];          /* scratch for hook_what */
};

/* Every key of every map, for "did you mean" across sections. */
struct section {
	const char *path;       /* "" for the top level */
	const char *const *keys;
};

static const char *const top_keys[] = {
	"repository", "cache_dir", "state_dir", "secrets", "resolvers",
	"probe", "metrics", "log", "notifications", NULL,
};
static const char *const repo_keys[] = {
	"url", "branch", "path", "fetch_interval", "state_branch", "push",
	"verify_signatures", "trusted_keys", NULL,
};
static const char *const keys_keys[] = { "gpg", "ssh_allowed_signers",
	NULL };
static const char *const probe_keys[] = { "max_rate_per_server", NULL };
static const char *const metrics_keys[] = { "listen", "domain_series",
	NULL };
static const char *const log_keys[] = { "format", "level", "sources",
	NULL };
static const char *const notif_keys[] = { "webhooks", NULL };
static const char *const hook_keys[] = {
	"name", "url", "url_credential", "format", "secret", "events",
	"timeout", "retries", NULL,
};

static const struct section sections[] = {
	{ "", top_keys },
	{ "repository", repo_keys },
	{ "repository.trusted_keys", keys_keys },
	{ "probe", probe_keys },
	{ "metrics", metrics_keys },
	{ "log", log_keys },
	{ "notifications", notif_keys },
	{ "notifications.webhooks[]", hook_keys },
};

static const char *const log_level_names[] = {
	"error", "warning", "notice", "info", "debug", NULL,
};
static const char *const log_source_names[] = {
	"control", "policy", "probe", "plan", "registry", "audit", "notify",
	"metrics", NULL,
};
static const char *const event_names[] = {
	"failover", "failback", "refused", "pending", "drift", "blocked",
	"policy-rejected", NULL,
};
static const char *const series_names[] = { "all", "problems", "none",
	NULL };

size_t
nsf_config_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t *row, prev, cur, best;

	row = nsf_xcalloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++) {
		row[j] = j;
	}
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			best = prev + (a[i - 1] == b[j - 1] ? 0 : 1);
			if (row[j] + 1 < best) {
				best = row[j] + 1;
			}
			if (row[j - 1] + 1 < best) {
				best = row[j - 1] + 1;
			}
			row[j] = best;
			prev = cur;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

/* The closest of `words` to `s`, when close enough to be a typo. */
static const char *
closest(const char *s, const char *const *words)
{
	size_t best = SIZE_MAX, d, limit;
	const char *pick = NULL;

	limit = strlen(s) < 6 ? 2 : strlen(s) / 3 + 1;
	for (; *words != NULL; words++) {
		d = nsf_config_distance(s, *words);
		if (d < best) {
			best = d;
			pick = *words;
		}
	}
	return best <= limit ? pick : NULL;
}

static void
diag(struct walker *w, enum nsf_diag_severity sev, const yaml_node_t *at,
    const char *code, const char *hint, const char *fmt, ...)
    NSF_PRINTF(6, 7);

static void
diag(struct walker *w, enum nsf_diag_severity sev, const yaml_node_t *at,
    const char *code, const char *hint, const char *fmt, ...)
{
	struct nsf_buf msg;
	va_list ap;

	nsf_buf_init(&msg);
	va_start(ap, fmt);
	nsf_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	nsf_diags_add(w->diags, sev, w->file,
	    at ? (unsigned)at->start_mark.line + 1 : 0,
	    at ? (unsigned)at->start_mark.column + 1 : 0, code, hint, "%s",
	    msg.data);
	nsf_buf_deinit(&msg);
}

static struct nsf_pos
pos_of(const struct walker *w, const yaml_node_t *n)
{
	struct nsf_pos p = { w->cfg->file, 0, 0 };

	if (n != NULL) {
		p.line = (unsigned)n->start_mark.line + 1;
		p.col = (unsigned)n->start_mark.column + 1;
	}
	return p;
}

static const char *
kind_name(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE) {
		return "a map";
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		return "a list";
	}
	return "a scalar";
}

/* A plain empty, "~" or "null" scalar: the key was written without a
 * value. */
static bool
is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	return n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0);
}

static const char *
scalar_of(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static yaml_node_t *
node_at(struct walker *w, int id)
{
	return yaml_document_get_node(w->doc, id);
}

/* Where an unknown key might belong instead, e.g. "fetch_interval" under
 * "repository". */
static const char *
other_section(const char *key, const char *here)
{
	size_t i;
	const char *const *k;

	for (i = 0; i < NSF_ARRAY_SIZE(sections); i++) {
		if (strcmp(sections[i].path, here) == 0) {
			continue;
		}
		for (k = sections[i].keys; *k != NULL; k++) {
			if (strcmp(*k, key) == 0) {
				return sections[i].path;
			}
		}
	}
	return NULL;
}

static void
unknown_key(struct walker *w, const yaml_node_t *k, const char *section,
    const char *const *keys)
{
	const char *key = scalar_of(k), *near, *elsewhere;
	char *hint = NULL;

	near = closest(key, keys);
	elsewhere = other_section(key, section);
	if (near != NULL) {
		hint = nsf_xasprintf("did you mean '%s'?", near);
	} else if (elsewhere != NULL && elsewhere[0] != '\0') {
		hint = nsf_xasprintf("'%s' belongs under '%s'", key,
		    elsewhere);
	} else if (elsewhere != NULL) {
		hint = nsf_xasprintf("'%s' belongs at the top level", key);
	}
	diag(w, NSF_DIAG_ERROR, k, "unknown-key", hint,
	    "unknown key '%s'%s%s", key, section[0] ? " in " : "",
	    section[0] ? section : "");
	free(hint);
}

static bool
key_known(const char *key, const char *const *keys)
{
	for (; *keys != NULL; keys++) {
		if (strcmp(*keys, key) == 0) {
			return true;
		}
	}
	return false;
}

/* Reports non-scalar keys, duplicates and unknown keys of one map. */
static void
map_check_keys(struct walker *w, yaml_node_t *map, const char *section,
    const char *const *keys)
{
	yaml_node_pair_t *p, *q;
	yaml_node_t *k, *k2;

	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = node_at(w, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			diag(w, NSF_DIAG_ERROR, k, "wrong-type", NULL,
			    "a key must be a plain name, not %s",
			    kind_name(k));
			continue;
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			k2 = node_at(w, q->key);
			if (k2->type == YAML_SCALAR_NODE &&
			    strcmp(scalar_of(k2), scalar_of(k)) == 0) {
				break;
			}
		}
		if (q < p) {
			diag(w, NSF_DIAG_ERROR, k, "duplicate-key", NULL,
			    "duplicate key '%s' (first set at line %zu)",
			    scalar_of(k), k2->start_mark.line + 1);
			continue;
		}
		if (!key_known(scalar_of(k), keys)) {
			unknown_key(w, k, section, keys);
		}
	}
}

/* True when `n` is a map; otherwise reports it as `what`. */
static bool
want_map(struct walker *w, yaml_node_t *n, const char *what)
{
	if (n->type == YAML_MAPPING_NODE) {
		return true;
	}
	diag(w, NSF_DIAG_ERROR, n, "wrong-type", NULL, "'%s' must be a map "
	    "of keys, not %s", what, is_null(n) ? "empty" : kind_name(n));
	return false;
}

/* The value of the first `key` in a map, or NULL. */
static yaml_node_t *
map_get(struct walker *w, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = node_at(w, p->key);
		if (k->type == YAML_SCALAR_NODE &&
		    strcmp(scalar_of(k), key) == 0) {
			return node_at(w, p->value);
		}
	}
	return NULL;
}

static yaml_node_t *
map_require(struct walker *w, yaml_node_t *map, const char *key,
    const char *what, const char *example)
{
	yaml_node_t *v = map_get(w, map, key);
	char *hint;

	if (v != NULL) {
		return v;
	}
	hint = nsf_xasprintf("add '%s: %s'", key, example);
	diag(w, NSF_DIAG_ERROR, map, "missing-key", hint,
	    "missing required key '%s'%s%s", key, what[0] ? " in " : "",
	    what);
	free(hint);
	return NULL;
}

/* A non-empty scalar; reports and returns NULL otherwise. */
static const char *
get_scalar(struct walker *w, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		diag(w, NSF_DIAG_ERROR, n, "wrong-type", NULL,
		    "'%s' must be a single value, not %s", what,
		    kind_name(n));
		return NULL;
	}
	if (is_null(n) || n->data.scalar.length == 0) {
		diag(w, NSF_DIAG_ERROR, n, "missing-value", NULL,
		    "'%s' has no value", what);
		return NULL;
	}
	if (strlen(scalar_of(n)) != n->data.scalar.length) {
		diag(w, NSF_DIAG_ERROR, n, "invalid-value", NULL,
		    "'%s' contains a NUL character", what);
		return NULL;
	}
	return scalar_of(n);
}

static void
set_string(struct walker *w, yaml_node_t *n, const char *what, char **out)
{
	const char *s = get_scalar(w, n, what);

	if (s != NULL) {
		free(*out);
		*out = nsf_xstrdup(s);
	}
}

static void
set_bool(struct walker *w, yaml_node_t *n, const char *what, bool *out)
{
	const char *s = get_scalar(w, n, what);

	if (s == NULL) {
		return;
	}
	if (strcmp(s, "true") == 0) {
		*out = true;
	} else if (strcmp(s, "false") == 0) {
		*out = false;
	} else {
		diag(w, NSF_DIAG_ERROR, n, "wrong-type", "use true or false",
		    "'%s' must be true or false, not '%s'", what, s);
	}
}

static void
set_uint(struct walker *w, yaml_node_t *n, const char *what,
    unsigned min, unsigned max, unsigned *out)
{
	const char *s = get_scalar(w, n, what);
	unsigned long v;
	char *end;

	if (s == NULL) {
		return;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0) {
		diag(w, NSF_DIAG_ERROR, n, "wrong-type", NULL,
		    "'%s' must be a whole number, not '%s'", what, s);
		return;
	}
	if (v < min || v > max) {
		diag(w, NSF_DIAG_ERROR, n, "out-of-range", NULL,
		    "'%s' is %lu; it must be between %u and %u", what, v,
		    min, max);
		return;
	}
	*out = (unsigned)v;
}

static void
set_duration(struct walker *w, yaml_node_t *n, const char *what,
    uint64_t min_ms, uint64_t max_ms, uint64_t *out)
{
	const char *s = get_scalar(w, n, what);
	char *lo, *hi;
	uint64_t ms;

	if (s == NULL) {
		return;
	}
	if (nsf_duration_parse(&ms, s) < 0) {
		diag(w, NSF_DIAG_ERROR, n, "invalid-duration",
		    "write a number and a unit, e.g. 250ms, 30s, 5m, 1h",
		    "'%s' is not a duration: '%s'", what, s);
		return;
	}
	if (ms < min_ms || ms > max_ms) {
		lo = nsf_duration_format(min_ms);
		hi = nsf_duration_format(max_ms);
		diag(w, NSF_DIAG_ERROR, n, "out-of-range", NULL,
		    "'%s' is %s; it must be between %s and %s", what, s, lo,
		    hi);
		free(lo);
		free(hi);
		return;
	}
	*out = ms;
}

/* One of `names`; returns its index or -1 (reported). */
static int
get_enum(struct walker *w, yaml_node_t *n, const char *what,
    const char *const *names)
{
	const char *s = get_scalar(w, n, what), *near;
	struct nsf_strv all;
	char *list, *hint = NULL;
	int i;

	if (s == NULL) {
		return -1;
	}
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], s) == 0) {
			return i;
		}
	}
	nsf_strv_init(&all);
	for (i = 0; names[i] != NULL; i++) {
		nsf_strv_push(&all, names[i]);
	}
	list = nsf_strv_join(&all, ", ");
	near = closest(s, names);
	if (near != NULL) {
		hint = nsf_xasprintf("did you mean '%s'?", near);
	}
	diag(w, NSF_DIAG_ERROR, n, "invalid-value", hint,
	    "'%s' is '%s'; use one of: %s", what, s, list);
	free(hint);
	free(list);
	nsf_strv_deinit(&all);
	return -1;
}

/* True for a list; reports anything else as `what`. */
static bool
want_list(struct walker *w, yaml_node_t *n, const char *what)
{
	if (n->type == YAML_SEQUENCE_NODE) {
		return true;
	}
	diag(w, NSF_DIAG_ERROR, n, "wrong-type", "write [ ... ] or one "
	    "'- item' a line", "'%s' must be a list, not %s", what,
	    is_null(n) ? "empty" : kind_name(n));
	return false;
}

#define LIST_EACH(w, list, item, it) \
	for ((it) = (list)->data.sequence.items.start; \
	    (it) < (list)->data.sequence.items.top && \
	    ((item) = node_at((w), *(it))) != NULL; (it)++)

/* Makes a path absolute against the configuration file's directory. */
static char *
absolute(const struct walker *w, const char *path)
{
	if (path[0] == '/') {
		return nsf_xstrdup(path);
	}
	if (strncmp(path, "./", 2) == 0) {
		path += 2;
	}
	return nsf_xasprintf("%s/%s", w->basedir, path);
}

static void
set_path(struct walker *w, yaml_node_t *n, const char *what, char **out)
{
	const char *s = get_scalar(w, n, what);

	if (s != NULL) {
		free(*out);
		*out = absolute(w, s);
	}
}

/* A URL ("https://...", "ssh://...") or scp-like "git@host:path" rather
 * than a local path. */
static bool
is_url(const char *s)
{
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');

	if (strstr(s, "://") != NULL) {
		return true;
	}
	return colon != NULL && s[0] != '/' &&
	    (slash == NULL || colon < slash);
}

static void
check_url_scheme(struct walker *w, yaml_node_t *n, const char *url)
{
	static const char *const ok[] = { "file://", "ssh://", "https://",
		"http://", "git://", NULL };
	size_t i;

	if (strstr(url, "://") == NULL) {
		return;
	}
	for (i = 0; ok[i] != NULL; i++) {
		if (strncmp(url, ok[i], strlen(ok[i])) == 0) {
			break;
		}
	}
	if (ok[i] == NULL) {
		diag(w, NSF_DIAG_ERROR, n, "invalid-value", "use a local "
		    "path or a file://, ssh://, https:// or git@host:path "
		    "URL", "unsupported repository URL scheme in '%s'", url);
		return;
	}
	if (i >= 3 && !w->cfg->repository.verify_signatures) {
		diag(w, NSF_DIAG_WARNING, n, "insecure-transport",
		    "use https:// or ssh://, or set verify_signatures",
		    "'%s' fetches the policy without authenticating the "
		    "server", url);
	}
}

/* Git's rules for branch names, the parts a typo breaks. */
static bool
ref_name_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || s[0] == '-' || s[0] == '/' || s[len - 1] == '/' ||
	    s[len - 1] == '.') {
		return false;
	}
	if (strstr(s, "..") != NULL || strstr(s, "//") != NULL ||
	    strstr(s, "@{") != NULL) {
		return false;
	}
	if (len >= 5 && strcmp(s + len - 5, ".lock") == 0) {
		return false;
	}
	return strpbrk(s, " ~^:?*[\\\t\n") == NULL;
}

static void
set_branch(struct walker *w, yaml_node_t *n, const char *what, char **out)
{
	const char *s = get_scalar(w, n, what);

	if (s == NULL) {
		return;
	}
	if (strncmp(s, "refs/", 5) == 0 || !ref_name_ok(s)) {
		diag(w, NSF_DIAG_ERROR, n, "invalid-value", "write a "
		    "branch name such as main or nsfailover/state",
		    "'%s' is not a valid branch name: '%s'", what, s);
		return;
	}
	free(*out);
	*out = nsf_xstrdup(s);
}

/* The policy path inside the repository: relative, without "..". */
static void
set_repo_path(struct walker *w, yaml_node_t *n, char **out)
{
	const char *s = get_scalar(w, n, "repository.path");
	char *p;
	size_t len;

	if (s == NULL) {
		return;
	}
	while (strncmp(s, "./", 2) == 0) {
		s += 2;
	}
	if (s[0] == '/' || strcmp(s, "..") == 0 ||
	    strncmp(s, "../", 3) == 0 || strstr(s, "/../") != NULL) {
		diag(w, NSF_DIAG_ERROR, n, "invalid-value", "write a path "
		    "relative to the repository's top, e.g. policy",
		    "'repository.path' must stay inside the repository: "
		    "'%s'", s);
		return;
	}
	p = nsf_xstrdup(s[0] ? s : ".");
	len = strlen(p);
	while (len > 1 && p[len - 1] == '/') {
		p[--len] = '\0';
	}
	free(*out);
	*out = p;
}

static void
load_trusted_keys(struct walker *w, yaml_node_t *map)
{
	struct nsf_config_repository *r = &w->cfg->repository;
	yaml_node_item_t *it;
	yaml_node_t *n, *item;
	char *path;

	if (!want_map(w, map, "repository.trusted_keys")) {
		return;
	}
	map_check_keys(w, map, "repository.trusted_keys", keys_keys);
	if ((n = map_get(w, map, "gpg")) != NULL &&
	    want_list(w, n, "repository.trusted_keys.gpg")) {
		LIST_EACH(w, n, item, it) {
			path = NULL;
			set_path(w, item, "repository.trusted_keys.gpg[]",
			    &path);
			if (path == NULL) {
				continue;
			}
			r->gpg_keys = nsf_xrealloc(r->gpg_keys,
			    (r->ngpg_keys + 1) * sizeof(*r->gpg_keys));
			r->gpg_key_pos = nsf_xrealloc(r->gpg_key_pos,
			    (r->ngpg_keys + 1) * sizeof(*r->gpg_key_pos));
			r->gpg_key_pos[r->ngpg_keys] = pos_of(w, item);
			r->gpg_keys[r->ngpg_keys++] = path;
		}
	}
	if ((n = map_get(w, map, "ssh_allowed_signers")) != NULL) {
		set_path(w, n, "repository.trusted_keys.ssh_allowed_signers",
		    &r->ssh_allowed_signers);
		r->ssh_allowed_signers_pos = pos_of(w, n);
	}
}

static void
load_repository(struct walker *w, yaml_node_t *map)
{
	struct nsf_config_repository *r = &w->cfg->repository;
	yaml_node_t *n, *url;

	r->pos = pos_of(w, map);
	if (!want_map(w, map, "repository")) {
		return;
	}
	map_check_keys(w, map, "repository", repo_keys);
	if ((n = map_get(w, map, "verify_signatures")) != NULL) {
		set_bool(w, n, "repository.verify_signatures",
		    &r->verify_signatures);
	}
	url = map_require(w, map, "url", "repository",
	    "/srv/git/policy.git");
	if (url != NULL && get_scalar(w, url, "repository.url") != NULL) {
		free(r->url);
		r->url = is_url(scalar_of(url)) ?
		    nsf_xstrdup(scalar_of(url)) : absolute(w, scalar_of(url));
		r->url_pos = pos_of(w, url);
		check_url_scheme(w, url, r->url);
	}
	if ((n = map_get(w, map, "branch")) != NULL) {
		set_branch(w, n, "repository.branch", &r->branch);
	}
	if ((n = map_get(w, map, "path")) != NULL) {
		set_repo_path(w, n, &r->path);
	}
	if ((n = map_get(w, map, "fetch_interval")) != NULL) {
		set_duration(w, n, "repository.fetch_interval", 1000,
		    24 * 3600 * 1000ull, &r->fetch_interval_ms);
	}
	if ((n = map_get(w, map, "state_branch")) != NULL) {
		set_branch(w, n, "repository.state_branch", &r->state_branch);
	}
	if ((n = map_get(w, map, "push")) != NULL) {
		set_bool(w, n, "repository.push", &r->push);
	}
	if ((n = map_get(w, map, "trusted_keys")) != NULL) {
		load_trusted_keys(w, n);
	}
}

/* Cross-key rules of the repository section, after defaults. */
static void
check_repository(struct walker *w, yaml_node_t *map)
{
	struct nsf_config_repository *r = &w->cfg->repository;
	yaml_node_t *n;

	if (strcmp(r->branch, r->state_branch) == 0) {
		n = map_get(w, map, "state_branch");
		diag(w, NSF_DIAG_ERROR, n ? n : map, "invalid-value",
		    "the default is nsfailover/state", "'repository."
		    "state_branch' must differ from 'repository.branch' "
		    "('%s'): audit commits would land on the policy",
		    r->branch);
	}
	if (r->verify_signatures && r->ngpg_keys == 0 &&
	    r->ssh_allowed_signers == NULL) {
		n = map_get(w, map, "verify_signatures");
		diag(w, NSF_DIAG_ERROR, n ? n : map, "missing-key",
		    "add 'trusted_keys: { gpg: [ FILE ] }' or "
		    "'trusted_keys: { ssh_allowed_signers: FILE }'",
		    "'repository.verify_signatures' is true but no trusted "
		    "key is given");
	}
}

int
nsf_config_parse_hostport(struct nsf_endpoint *out, const char *s,
    uint16_t default_port)
{
	unsigned char addr[16];
	const char *port = NULL, *end;
	char *host;
	unsigned long p = default_port;
	char *pe;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
			goto bad;
		}
		host = nsf_xstrndup(s + 1, (size_t)(end - s - 1));
		port = end[1] == ':' ? end + 2 : NULL;
	} else if (strchr(s, ':') != strrchr(s, ':')) {
		host = nsf_xstrdup(s);  /* bare IPv6, no port */
	} else if ((end = strchr(s, ':')) != NULL) {
		host = nsf_xstrndup(s, (size_t)(end - s));
		port = end + 1;
	} else {
		host = nsf_xstrdup(s);
	}
	if (inet_pton(AF_INET, host, addr) != 1 &&
	    inet_pton(AF_INET6, host, addr) != 1) {
		free(host);
		goto bad;
	}
	if (port != NULL) {
		errno = 0;
		p = strtoul(port, &pe, 10);
		if (port[0] < '0' || port[0] > '9' || *pe != '\0' ||
		    errno != 0 || p > 65535) {
			free(host);
			goto bad;
		}
	}
	out->host = host;
	out->port = (uint16_t)p;
	return 0;
bad:
	return nsf_error_set(NSF_EINVAL, "'%s' is not an IP address with an "
	    "optional port (127.0.0.1:53, [::1]:53)", s);
}

static bool
is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1) {
		return (ntohl(a4.s_addr) >> 24) == 127;
	}
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

static void
load_resolvers(struct walker *w, yaml_node_t *list)
{
	struct nsf_config *c = w->cfg;
	struct nsf_endpoint ep;
	yaml_node_item_t *it;
	yaml_node_t *item;
	const char *s;

	if (!want_list(w, list, "resolvers")) {
		return;
	}
	while (c->nresolvers > 0) {     /* the file replaces the default */
		free(c->resolvers[--c->nresolvers].host);
	}
	LIST_EACH(w, list, item, it) {
		s = get_scalar(w, item, "resolvers[]");
		if (s == NULL) {
			continue;
		}
		if (nsf_config_parse_hostport(&ep, s, 53) < 0) {
			diag(w, NSF_DIAG_ERROR, item, "invalid-address",
			    "nsfailover never asks the system resolver; "
			    "name a resolver by address",
			    "resolver '%s' is not an IP address with an "
			    "optional port", s);
			continue;
		}
		c->resolvers = nsf_xrealloc(c->resolvers,
		    (c->nresolvers + 1) * sizeof(*c->resolvers));
		c->resolvers[c->nresolvers++] = ep;
	}
}

static void
load_probe(struct walker *w, yaml_node_t *map)
{
	yaml_node_t *n;

	if (!want_map(w, map, "probe")) {
		return;
	}
	map_check_keys(w, map, "probe", probe_keys);
	if ((n = map_get(w, map, "max_rate_per_server")) != NULL) {
		set_uint(w, n, "probe.max_rate_per_server", 1, 100000,
		    &w->cfg->probe_max_rate);
	}
}

static void
load_metrics_listen(struct walker *w, yaml_node_t *n)
{
	struct nsf_endpoint ep;
	const char *s = get_scalar(w, n, "metrics.listen");

	if (s == NULL) {
		return;
	}
	free(w->cfg->metrics_listen);
	w->cfg->metrics_listen = NULL;
	if (strcmp(s, "off") == 0) {
		return;
	}
	if (nsf_config_parse_hostport(&ep, s, 9153) < 0) {
		diag(w, NSF_DIAG_ERROR, n, "invalid-address", "write an "
		    "address and port such as 127.0.0.1:9153, or off",
		    "'metrics.listen' is not an IP address and port: '%s'",
		    s);
		return;
	}
	if (!is_loopback(ep.host)) {
		diag(w, NSF_DIAG_WARNING, n, "metrics-exposed", "keep it on "
		    "loopback behind a proxy, or firewall the port",
		    "the metrics endpoint on %s is reachable beyond this "
		    "host and names every domain", ep.host);
	}
	w->cfg->metrics_listen = strchr(ep.host, ':') != NULL ?
	    nsf_xasprintf("[%s]:%u", ep.host, ep.port) :
	    nsf_xasprintf("%s:%u", ep.host, ep.port);
	free(ep.host);
}

static void
load_metrics(struct walker *w, yaml_node_t *map)
{
	yaml_node_t *n;
	int i;

	if (!want_map(w, map, "metrics")) {
		return;
	}
	map_check_keys(w, map, "metrics", metrics_keys);
	if ((n = map_get(w, map, "listen")) != NULL) {
		load_metrics_listen(w, n);
	}
	if ((n = map_get(w, map, "domain_series")) != NULL &&
	    (i = get_enum(w, n, "metrics.domain_series",
	    series_names)) >= 0) {
		w->cfg->metrics_domain_series = (enum nsf_domain_series)i;
	}
}

static void
load_log_sources(struct walker *w, yaml_node_t *map, bool *set)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;
	char *what;
	int src, lvl;

	if (!want_map(w, map, "log.sources")) {
		return;
	}
	map_check_keys(w, map, "log.sources", log_source_names);
	for (p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		k = node_at(w, p->key);
		if (k->type != YAML_SCALAR_NODE ||
		    !key_known(scalar_of(k), log_source_names)) {
			continue;
		}
		for (src = 0; strcmp(log_source_names[src],
		    scalar_of(k)) != 0; src++) {
		}
		what = nsf_xasprintf("log.sources.%s", scalar_of(k));
		lvl = get_enum(w, node_at(w, p->value), what,
		    log_level_names);
		free(what);
		if (lvl >= 0 && !set[src]) {
			w->cfg->log_levels[src] = (enum nsf_log_level)lvl;
			set[src] = true;
		}
	}
}

static void
load_log(struct walker *w, yaml_node_t *map)
{
	static const char *const formats[] = { "plain", "json", NULL };
	bool set[NSF_SRC_COUNT] = { false };
	struct nsf_config *c = w->cfg;
	yaml_node_t *n;
	int i;

	if (!want_map(w, map, "log")) {
		return;
	}
	map_check_keys(w, map, "log", log_keys);
	if ((n = map_get(w, map, "format")) != NULL &&
	    (i = get_enum(w, n, "log.format", formats)) >= 0) {
		c->log_format = (enum nsf_log_format)i;
	}
	if ((n = map_get(w, map, "level")) != NULL &&
	    (i = get_enum(w, n, "log.level", log_level_names)) >= 0) {
		c->log_level = (enum nsf_log_level)i;
	}
	if ((n = map_get(w, map, "sources")) != NULL) {
		load_log_sources(w, n, set);
	}
	for (i = 0; i < NSF_SRC_COUNT; i++) {
		if (!set[i]) {
			c->log_levels[i] = c->log_level;
		}
	}
}

static bool
name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && strchr("-_.", s[i]) ==
		    NULL) {
			return false;
		}
	}
	return i > 0 && i <= 64;
}

/* "notifications.webhooks[2].timeout", for messages. */
static const char *
hook_what(struct walker *w, const char *field)
{
	snprintf(w->what, sizeof(w->what), "notifications.webhooks[%zu].%s",
	    w->cfg->nwebhooks - 1, field);
	return w->what;
}

static void
load_hook_url(struct walker *w, yaml_node_t *n,
    struct nsf_config_webhook *h)
{
	const char *s = get_scalar(w, n, hook_what(w, "url"));
	const char *host;
	size_t len;

	if (s == NULL) {
		return;
	}
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) {
		diag(w, NSF_DIAG_ERROR, n, "invalid-value", "webhooks are "
		    "sent over http:// or https://",
		    "webhook '%s': '%s' is not an http(s) URL", h->name, s);
		return;
	}
	h->url = nsf_xstrdup(s);
	if (s[4] == 's') {
		return;
	}
	host = s + 7;
	len = strcspn(host, ":/?#");
	if (strncmp(host, "localhost", len) == 0 && len == 9) {
		return;
	}
	if (strncmp(host, "127.", 4) == 0 || strncmp(host, "[::1]", 5) == 0) {
		return;
	}
	diag(w, NSF_DIAG_WARNING, n, "insecure-transport", "use https://",
	    "webhook '%s' sends events unencrypted over http://", h->name);
}

static void
load_hook_events(struct walker *w, yaml_node_t *list,
    struct nsf_config_webhook *h)
{
	yaml_node_item_t *it;
	yaml_node_t *item;
	int ev;

	if (!want_list(w, list, hook_what(w, "events"))) {
		return;
	}
	h->events = 0;
	LIST_EACH(w, list, item, it) {
		ev = get_enum(w, item, hook_what(w, "events[]"),
		    event_names);
		if (ev >= 0) {
			h->events |= 1u << ev;
		}
	}
	if (h->events == 0 && list->data.sequence.items.top ==
	    list->data.sequence.items.start) {
		diag(w, NSF_DIAG_WARNING, list, "no-events", "remove the "
		    "webhook or list events", "webhook '%s' subscribes to no "
		    "event", h->name);
	}
}

/* The scalar fields of one webhook, after its name is known. */
static void
load_hook_fields(struct walker *w, yaml_node_t *map,
    struct nsf_config_webhook *h)
{
	static const char *const formats[] = { "json", "slack", NULL };
	yaml_node_t *n;
	int i;

	if ((n = map_get(w, map, "url")) != NULL) {
		load_hook_url(w, n, h);
	}
	if ((n = map_get(w, map, "url_credential")) != NULL) {
		set_string(w, n, hook_what(w, "url_credential"),
		    &h->url_credential);
		h->url_credential_pos = pos_of(w, n);
	}
	if ((n = map_get(w, map, "format")) != NULL &&
	    (i = get_enum(w, n, hook_what(w, "format"), formats)) >= 0) {
		h->format = (enum nsf_webhook_format)i;
	}
	if ((n = map_get(w, map, "secret")) != NULL) {
		set_string(w, n, hook_what(w, "secret"), &h->secret);
		h->secret_pos = pos_of(w, n);
	}
	if ((n = map_get(w, map, "events")) != NULL) {
		load_hook_events(w, n, h);
	}
	if ((n = map_get(w, map, "timeout")) != NULL) {
		set_duration(w, n, hook_what(w, "timeout"), 100, 300 * 1000,
		    &h->timeout_ms);
	}
	if ((n = map_get(w, map, "retries")) != NULL) {
		set_uint(w, n, hook_what(w, "retries"), 0, 20, &h->retries);
	}
}

static void
load_webhook(struct walker *w, yaml_node_t *map)
{
	struct nsf_config *c = w->cfg;
	struct nsf_config_webhook *h;
	yaml_node_t *n;
	size_t i;

	if (!want_map(w, map, "notifications.webhooks[]")) {
		return;
	}
	map_check_keys(w, map, "notifications.webhooks[]", hook_keys);
	c->webhooks = nsf_xrealloc(c->webhooks,
	    (c->nwebhooks + 1) * sizeof(*c->webhooks));
	h = &c->webhooks[c->nwebhooks++];
	memset(h, 0, sizeof(*h));
	h->pos = pos_of(w, map);
	h->events = NSF_EVENT_ALL;
	h->timeout_ms = 5000;
	h->retries = 3;
	n = map_require(w, map, "name", "webhook", "ops-pager");
	if (n != NULL) {
		set_string(w, n, hook_what(w, "name"), &h->name);
	}
	if (h->name != NULL && !name_ok(h->name)) {
		diag(w, NSF_DIAG_ERROR, n, "invalid-value", "use letters, "
		    "digits, '-', '_' and '.' (64 at most)",
		    "webhook name '%s' is not a simple name", h->name);
	}
	for (i = 0; h->name != NULL && i + 1 < c->nwebhooks; i++) {
		if (c->webhooks[i].name != NULL &&
		    strcmp(c->webhooks[i].name, h->name) == 0) {
			diag(w, NSF_DIAG_ERROR, n, "duplicate-name", NULL,
			    "a webhook named '%s' is already defined at "
			    "line %u", h->name, c->webhooks[i].pos.line);
		}
	}
	if (h->name == NULL) {
		h->name = nsf_xasprintf("webhook-%zu", c->nwebhooks);
	}
	load_hook_fields(w, map, h);
	if ((map_get(w, map, "url") == NULL) ==
	    (map_get(w, map, "url_credential") == NULL)) {
		diag(w, NSF_DIAG_ERROR, map, "missing-key", "write 'url: "
		    "https://...', or 'url_credential: NAME' to keep the URL "
		    "in the secrets file", "webhook '%s' needs exactly one "
		    "of 'url' and 'url_credential'", h->name);
	}
}

static void
load_notifications(struct walker *w, yaml_node_t *map)
{
	yaml_node_item_t *it;
	yaml_node_t *n, *item;

	if (!want_map(w, map, "notifications")) {
		return;
	}
	map_check_keys(w, map, "notifications", notif_keys);
	n = map_get(w, map, "webhooks");
	if (n == NULL || !want_list(w, n, "notifications.webhooks")) {
		return;
	}
	LIST_EACH(w, n, item, it) {
		load_webhook(w, item);
	}
}

static void
set_defaults(struct nsf_config *c)
{
	size_t i;

	c->repository.branch = nsf_xstrdup("main");
	c->repository.path = nsf_xstrdup("policy");
	c->repository.fetch_interval_ms = 60 * 1000;
	c->repository.state_branch = nsf_xstrdup("nsfailover/state");
	c->repository.push = true;
	c->cache_dir = nsf_xstrdup("/var/lib/nsfailover");
	c->secrets = nsf_xstrdup("/etc/nsfailover/secrets.yaml");
	c->resolvers = nsf_xcalloc(1, sizeof(*c->resolvers));
	c->resolvers[0].host = nsf_xstrdup("127.0.0.1");
	c->resolvers[0].port = 53;
	c->nresolvers = 1;
	c->probe_max_rate = 50;
	c->metrics_listen = nsf_xstrdup("127.0.0.1:9153");
	c->metrics_domain_series = NSF_SERIES_ALL;
	c->log_format = NSF_LOG_PLAIN;
	c->log_level = NSF_LOG_INFO;
	for (i = 0; i < NSF_SRC_COUNT; i++) {
		c->log_levels[i] = NSF_LOG_INFO;
	}
}

static void
load_top(struct walker *w, yaml_node_t *root)
{
	struct nsf_config *c = w->cfg;
	yaml_node_t *n, *repo;

	map_check_keys(w, root, "", top_keys);
	repo = map_require(w, root, "repository", "", "{ url: "
	    "/srv/git/policy.git }");
	if (repo != NULL) {
		load_repository(w, repo);
		if (repo->type == YAML_MAPPING_NODE) {
			check_repository(w, repo);
		}
	}
	if ((n = map_get(w, root, "cache_dir")) != NULL) {
		set_path(w, n, "cache_dir", &c->cache_dir);
	}
	if ((n = map_get(w, root, "state_dir")) != NULL) {
		set_path(w, n, "state_dir", &c->state_dir);
	}
	if ((n = map_get(w, root, "secrets")) != NULL) {
		set_path(w, n, "secrets", &c->secrets);
		c->secrets_pos = pos_of(w, n);
	}
	if ((n = map_get(w, root, "resolvers")) != NULL) {
		load_resolvers(w, n);
	}
	if ((n = map_get(w, root, "probe")) != NULL) {
		load_probe(w, n);
	}
	if ((n = map_get(w, root, "metrics")) != NULL) {
		load_metrics(w, n);
	}
	if ((n = map_get(w, root, "log")) != NULL) {
		load_log(w, n);
	}
	if ((n = map_get(w, root, "notifications")) != NULL) {
		load_notifications(w, n);
	}
	if (c->state_dir == NULL) {
		c->state_dir = nsf_xstrdup(c->cache_dir);
	}
}

/* The absolute directory holding `file`. */
static char *
base_dir(const char *file)
{
	char cwd[PATH_MAX];
	const char *slash = strrchr(file, '/');
	char *dir;

	if (slash == file) {
		return nsf_xstrdup("/");
	}
	dir = slash ? nsf_xstrndup(file, (size_t)(slash - file)) :
	    nsf_xstrdup(".");
	if (dir[0] == '/') {
		return dir;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(cwd, sizeof(cwd), ".");
	}
	free(dir);
	if (slash == NULL) {
		return nsf_xstrdup(cwd);
	}
	return nsf_xasprintf("%s/%.*s", cwd, (int)(slash - file), file);
}

/* Loads the one YAML document; reports syntax errors as diagnostics. */
static int
parse_document(yaml_document_t *doc, const char *name, const char *data,
    size_t len, struct nsf_diags *diags)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	unsigned ln, cl;
	int rc = 0;

	if (nsf_yaml_depth_check(data, len, NSF_YAML_MAX_DEPTH, &ln,
	    &cl) < 0) {
		nsf_diags_add(diags, NSF_DIAG_ERROR, name, ln, cl, "too-deep",
		    "a configuration needs a few levels", "%s",
		    nsf_error_last());
		return NSF_EINVAL;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data,
	    len);
	if (!yaml_parser_load(&parser, doc)) {
		nsf_diags_add(diags, NSF_DIAG_ERROR, name,
		    (unsigned)parser.problem_mark.line + 1,
		    (unsigned)parser.problem_mark.column + 1, "yaml-syntax",
		    parser.context, "%s", parser.problem ? parser.problem :
		    "invalid YAML");
		yaml_parser_delete(&parser);
		return NSF_EINVAL;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		nsf_diags_add(diags, NSF_DIAG_ERROR, name,
		    (unsigned)parser.problem_mark.line + 1,
		    (unsigned)parser.problem_mark.column + 1, "yaml-syntax",
		    parser.context, "%s", parser.problem ? parser.problem :
		    "invalid YAML");
		rc = NSF_EINVAL;
	} else if (yaml_document_get_root_node(&extra) != NULL) {
		nsf_diags_add(diags, NSF_DIAG_ERROR, name,
		    (unsigned)extra.start_mark.line + 1,
		    (unsigned)extra.start_mark.column + 1, "yaml-syntax",
		    "keep one document; remove the '---' line",
		    "the file holds more than one YAML document");
		rc = NSF_EINVAL;
		yaml_document_delete(&extra);
	} else {
		yaml_document_delete(&extra);
	}
	if (rc < 0) {
		yaml_document_delete(doc);
	}
	yaml_parser_delete(&parser);
	return rc;
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct nsf_diag *x = a, *y = b;

	if (x->line != y->line) {
		return x->line < y->line ? -1 : 1;
	}
	return x->col < y->col ? -1 : x->col > y->col;
}

int
nsf_config_parse(struct nsf_config **out, const char *name,
    const char *data, size_t len, struct nsf_diags *diags)
{
	struct walker w = { 0 };
	yaml_document_t doc;
	yaml_node_t *root;
	size_t errors = diags->nerrors, first = diags->n;
	struct nsf_config *c;

	c = nsf_xcalloc(1, sizeof(*c));
	c->file = nsf_xstrdup(name);
	set_defaults(c);
	if (parse_document(&doc, name, data, len, diags) < 0) {
		nsf_config_free(c);
		return NSF_EINVAL;
	}
	w.doc = &doc;
	w.file = c->file;
	w.basedir = base_dir(name);
	w.diags = diags;
	w.cfg = c;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		nsf_diags_add(diags, NSF_DIAG_ERROR, name, 1, 1,
		    "missing-key", "add 'repository: { url: "
		    "/srv/git/policy.git }'", "the configuration is empty");
	} else if (want_map(&w, root, "the configuration")) {
		load_top(&w, root);
	}
	yaml_document_delete(&doc);
	free(w.basedir);
	/* In file order, as a reader goes through it. */
	if (diags->n > first) {
		qsort(diags->v + first, diags->n - first, sizeof(*diags->v),
		    diag_cmp);
	}
	if (diags->nerrors > errors) {
		nsf_config_free(c);
		return NSF_EINVAL;
	}
	*out = c;
	return 0;
}

int
nsf_config_load(struct nsf_config **out, const char *path,
    struct nsf_diags *diags)
{
	char *data;
	size_t len;
	int rc;

	rc = nsf_file_read(&data, &len, path, NSF_CONFIG_MAX_BYTES);
	if (rc < 0) {
		return rc;
	}
	rc = nsf_config_parse(out, path, data, len, diags);
	free(data);
	return rc;
}

void
nsf_config_free(struct nsf_config *c)
{
	size_t i;

	if (c == NULL) {
		return;
	}
	free(c->repository.url);
	free(c->repository.branch);
	free(c->repository.path);
	free(c->repository.state_branch);
	for (i = 0; i < c->repository.ngpg_keys; i++) {
		free(c->repository.gpg_keys[i]);
	}
	free(c->repository.gpg_keys);
	free(c->repository.gpg_key_pos);
	free(c->repository.ssh_allowed_signers);
	free(c->cache_dir);
	free(c->state_dir);
	free(c->secrets);
	for (i = 0; i < c->nresolvers; i++) {
		free(c->resolvers[i].host);
	}
	free(c->resolvers);
	free(c->metrics_listen);
	for (i = 0; i < c->nwebhooks; i++) {
		free(c->webhooks[i].name);
		free(c->webhooks[i].url);
		free(c->webhooks[i].url_credential);
		free(c->webhooks[i].secret);
	}
	free(c->webhooks);
	free(c->file);
	free(c);
}

void
nsf_config_apply_log(const struct nsf_config *c)
{
	size_t i;

	nsf_log_set_format(c->log_format);
	for (i = 0; i < NSF_SRC_COUNT; i++) {
		nsf_log_set_level((enum nsf_log_source)i, c->log_levels[i]);
	}
}
