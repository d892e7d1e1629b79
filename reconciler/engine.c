/* engine.c - the machinery `run`, `plan` and `status` share. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <ldns/ldns.h>

#include "engine.h"
#include "gitutil.h"
#include "log.h"
#include "metrics.h"
#include "plan_format.h"

#define REPO_NAME "repository.git"
#define REGISTRY_BACKOFF_MAX_MS 60000

/* ---- opening ---------------------------------------------------------- */

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int
load_config(struct nsf_engine *e, const char *path, struct nsf_diags *diags)
{
	int rc;

	rc = nsf_config_load(&e->cfg, path, diags);
	if (rc < 0) {
		if (diags->nerrors > 0) {
			return nsf_error_set(NSF_EINVAL, "%s: the "
			    "configuration has %zu error(s)", path,
			    diags->nerrors);
		}
		return rc;
	}
	return 0;
}

static void
load_secrets(struct nsf_engine *e, const struct nsf_engine_opts *o,
    struct nsf_diags *diags)
{
	if (o->secrets_path != NULL) {
		if (nsf_secrets_load(&e->secrets, o->secrets_path) < 0) {
			e->secrets_error = nsf_xstrdup(nsf_error_last());
		}
		return;
	}
	if (e->cfg == NULL) {
		e->secrets_error = nsf_xstrdup("no secrets file given "
		    "(--secrets FILE or --config FILE)");
		return;
	}
	if (nsf_config_check_files(e->cfg, diags, &e->secrets) > 0 &&
	    e->secrets == NULL) {
		e->secrets_error = nsf_xasprintf("the secrets file %s could "
		    "not be used (see the errors above)", e->cfg->secrets);
	}
}

static int
open_disk_policy(struct nsf_engine *e, const char *path,
    struct nsf_diags *diags)
{
	int rc = nsf_policy_load_path(&e->disk_policy, path, diags);

	if (rc < 0 && diags->nerrors > 0) {
		return nsf_error_set(NSF_EINVAL, "%s: the policy has %zu "
		    "error(s); nothing is planned on an invalid policy", path,
		    diags->nerrors);
	}
	return rc;
}

/* Opens the policy source on `cache` at `ref` (NULL: the configured
 * branch), with the configuration's trust settings. */
static int
source_open(struct nsf_engine *e, const char *cache, const char *ref)
{
	const struct nsf_config_repository *r = &e->cfg->repository;
	struct nsf_policy_source_opts so;
	struct nsf_strv keys;
	size_t i;
	int rc;

	nsf_strv_init(&keys);
	for (i = 0; i < r->ngpg_keys; i++) {
		nsf_strv_push(&keys, r->gpg_keys[i]);
	}
	memset(&so, 0, sizeof(so));
	so.url = r->url;
	so.ref = ref != NULL ? ref : r->branch;
	so.cache_dir = cache;
	so.path = r->path;
	so.fetch_interval_ms = r->fetch_interval_ms;
	so.verify_signatures = r->verify_signatures;
	so.gpg_key_files = &keys;
	so.ssh_allowed_signers = r->ssh_allowed_signers;
	rc = nsf_policy_source_open(&e->src, &so);
	nsf_strv_deinit(&keys);
	return rc;
}

static int
open_source(struct nsf_engine *e, bool daemon)
{
	char *cache;
	int rc;

	if (daemon) {
		cache = nsf_xasprintf("%s/%s", e->cfg->cache_dir, REPO_NAME);
	} else {
		const char *tmp = getenv("TMPDIR");

		e->tmpdir = nsf_xasprintf("%s/nsfailover.XXXXXX",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
		if (mkdtemp(e->tmpdir) == NULL) {
			rc = nsf_error_set(NSF_ERROR, "cannot make a temporary "
			    "directory %s: %s", e->tmpdir, strerror(errno));
			free(e->tmpdir);
			e->tmpdir = NULL;
			return rc;
		}
		cache = nsf_xasprintf("%s/%s", e->tmpdir, REPO_NAME);
	}
	rc = source_open(e, cache, NULL);
	free(cache);
	return rc;
}

/* Copies the remote's state branch into the commands' private
 * repository; quietly does nothing when the remote has none. */
static void
fetch_state_branch(struct nsf_engine *e)
{
	const char *branch = e->cfg->repository.state_branch;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_fetch_options fo;
	struct nsf_git_cred cred;
	struct nsf_git_deadline dl;
	char *spec = nsf_xasprintf("+refs/heads/%s:refs/heads/%s", branch,
	    branch);
	git_strarray specs = { &spec, 1 };
	bool late;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	memset(&cred, 0, sizeof(cred));
	fo.callbacks.credentials = nsf_git_credentials;
	fo.callbacks.payload = &cred;
	if (git_repository_open(&repo,
	    nsf_policy_source_repo_path(e->src)) < 0 ||
	    git_remote_create_anonymous(&remote, repo,
	    e->cfg->repository.url) < 0) {
		goto out;
	}
	nsf_git_deadline_start(&dl);
	if (git_remote_fetch(remote, &specs, &fo, NULL) < 0) {
		late = nsf_git_deadline_stop(&dl);
		nsf_warn(NSF_SRC_AUDIT, NULL, "no state records from %s: %s",
		    e->cfg->repository.url, late ? "no answer in time" :
		    git_error_last() ? git_error_last()->message : "?");
	} else {
		nsf_git_deadline_stop(&dl);
	}
out:
	git_remote_free(remote);
	git_repository_free(repo);
	free(spec);
}

static int
open_audit(struct nsf_engine *e, const struct nsf_engine_opts *o)
{
	struct nsf_audit_opts ao;
	char *daemon_repo = NULL;
	const char *path = o->state_repo;
	int rc;

	memset(&ao, 0, sizeof(ao));
	if (e->cfg != NULL) {
		ao.branch = e->cfg->repository.state_branch;
	}
	if (o->daemon) {
		ao.repo_path = nsf_policy_source_repo_path(e->src);
		ao.remote = e->cfg->repository.push ? "origin" : "";
		ao.no_push = true;      /* pushed after the outcome */
		return nsf_audit_open(&e->audit, &ao);
	}
	ao.remote = "";
	ao.no_push = true;
	ao.lock_wait_ms = 5000;
	if (path == NULL && e->cfg != NULL) {
		daemon_repo = nsf_xasprintf("%s/%s", e->cfg->cache_dir,
		    REPO_NAME);
		if (is_dir(daemon_repo)) {
			path = daemon_repo;
		} else if (e->src != NULL) {
			fetch_state_branch(e);
			path = nsf_policy_source_repo_path(e->src);
		}
	}
	if (path == NULL) {
		free(daemon_repo);
		return 0;       /* no state records: plans start fresh */
	}
	ao.repo_path = path;
	rc = nsf_audit_open(&e->audit, &ao);
	free(daemon_repo);
	return rc;
}

/*
 * The branch's tip is rejected: like the daemon, the commands then use
 * the newest commit before it whose policy is valid (at most 50 back
 * along first parents), and say so.
 */
static int
fall_back(struct nsf_engine *e)
{
	char *rejected = nsf_xstrdup(nsf_policy_source_rejected_commit(e->src));
	char *why = nsf_xstrdup(nsf_policy_source_rejected_error(e->src));
	char *cache = nsf_xasprintf("%s/%s", e->tmpdir, REPO_NAME);
	git_repository *repo = NULL;
	git_commit *c = NULL, *parent;
	char hex[41];
	int rc = NSF_EINVAL, i;

	if (git_repository_open(&repo, cache) == 0) {
		git_oid id;

		if (git_oid_fromstr(&id, rejected) == 0) {
			git_commit_lookup(&c, repo, &id);
		}
	}
	for (i = 0; c != NULL && i < 50 && rc < 0; i++) {
		if (git_commit_parent(&parent, c, 0) < 0) {
			break;
		}
		git_commit_free(c);
		c = parent;
		git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
		nsf_policy_source_free(e->src);
		e->src = NULL;
		if (source_open(e, cache, hex) == 0) {
			rc = nsf_policy_source_refresh(e->src, false, NULL);
		}
	}
	git_commit_free(c);
	git_repository_free(repo);
	if (rc == 0) {
		fprintf(stderr, "warning: the policy at the tip (%.12s) is "
		    "rejected: %s; showing commit %.12s, the newest valid one "
		    "before it, as the daemon keeps using its last good "
		    "policy\n", rejected, why, hex);
	} else {
		rc = nsf_error_set(NSF_EINVAL, "policy commit %.12s rejected: "
		    "%s; no valid commit found before it", rejected, why);
	}
	free(rejected);
	free(why);
	free(cache);
	return rc;
}

static int
open_prober(struct nsf_engine *e, const struct nsf_engine_opts *o)
{
	struct nsf_prober_opts po;
	size_t i;

	nsf_strv_init(&e->resolver_strs);
	if (o->resolvers != NULL && o->resolvers->n > 0) {
		for (i = 0; i < o->resolvers->n; i++) {
			nsf_strv_push(&e->resolver_strs, o->resolvers->v[i]);
		}
	} else if (e->cfg != NULL) {
		for (i = 0; i < e->cfg->nresolvers; i++) {
			const struct nsf_endpoint *ep = &e->cfg->resolvers[i];

			nsf_strv_push_owned(&e->resolver_strs,
			    strchr(ep->host, ':') != NULL ?
			    nsf_xasprintf("[%s]:%u", ep->host, ep->port) :
			    nsf_xasprintf("%s:%u", ep->host, ep->port));
		}
	}
	memset(&po, 0, sizeof(po));
	po.resolvers = (const char *const *)e->resolver_strs.v;
	po.nresolvers = e->resolver_strs.n;
	if (e->cfg != NULL && e->cfg->probe_max_rate > 0) {
		po.rate_per_server = e->cfg->probe_max_rate;
	}
	if (nsf_prober_new(&e->prober, &po) < 0) {
		return NSF_ERROR;
	}
	return nsf_health_new(&e->health);
}

int
nsf_engine_open(struct nsf_engine **out, const struct nsf_engine_opts *o,
    struct nsf_diags *diags)
{
	struct nsf_engine *e = nsf_xcalloc(1, sizeof(*e));
	int rc = 0;

	e->daemon = o->daemon;
	if (o->config_path != NULL) {
		rc = load_config(e, o->config_path, diags);
	}
	if (rc == 0) {
		load_secrets(e, o, diags);
		if (o->daemon && e->secrets == NULL) {
			rc = nsf_error_set(NSF_EINVAL, "%s; the daemon does "
			    "not start without its secrets", e->secrets_error);
		}
	}
	if (rc == 0 && o->policy_path != NULL) {
		rc = open_disk_policy(e, o->policy_path, diags);
	} else if (rc == 0 && e->cfg != NULL) {
		rc = open_source(e, o->daemon);
	} else if (rc == 0) {
		rc = nsf_error_set(NSF_EINVAL, "no policy: give --config FILE "
		    "(the daemon configuration, which names the repository) "
		    "or --policy PATH");
	}
	if (rc == 0) {
		rc = open_prober(e, o);
	}
	if (rc == 0 && e->src != NULL) {
		rc = nsf_policy_source_refresh(e->src, true, NULL);
		if (rc == NSF_EUNREACHABLE && nsf_engine_policy(e) != NULL) {
			rc = 0;         /* the cached policy is used */
		} else if (rc == NSF_EINVAL && !o->daemon) {
			rc = fall_back(e);
		} else if (rc < 0 && !o->daemon) {
			/* keep the message refresh set */
		} else if (rc < 0) {
			rc = 0; /* the daemon waits for a valid policy */
		}
	}
	if (rc == 0) {
		rc = open_audit(e, o);
	}
	if (rc < 0) {
		char *msg = nsf_xstrdup(nsf_error_last());

		nsf_engine_free(e);
		nsf_error_set(rc, "%s", msg);
		free(msg);
		return rc;
	}
	*out = e;
	return 0;
}

void
nsf_engine_free(struct nsf_engine *e)
{
	if (e == NULL) {
		return;
	}
	nsf_engine_registries_reset(e);
	nsf_audit_free(e->audit);
	nsf_health_free(e->health);
	nsf_prober_free(e->prober);
	nsf_strv_deinit(&e->resolver_strs);
	nsf_policy_source_free(e->src);
	nsf_policy_free(e->disk_policy);
	nsf_secrets_free(e->secrets);
	free(e->secrets_error);
	nsf_config_free(e->cfg);
	if (e->tmpdir != NULL) {
		nftw(e->tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(e->tmpdir);
	}
	free(e);
}

const struct nsf_policy *
nsf_engine_policy(const struct nsf_engine *e)
{
	if (e->disk_policy != NULL) {
		return e->disk_policy;
	}
	return e->src != NULL ? nsf_policy_source_policy(e->src) : NULL;
}

const char *
nsf_engine_policy_commit(const struct nsf_engine *e)
{
	return e->src != NULL ? nsf_policy_source_commit(e->src) : NULL;
}

/* ---- registries ------------------------------------------------------- */

void
nsf_engine_registries_reset(struct nsf_engine *e)
{
	size_t i;

	for (i = 0; i < e->nregs; i++) {
		if (e->regs[i].conn != NULL) {
			nsf_registry_close(e->regs[i].conn);
		}
		free(e->regs[i].error);
	}
	free(e->regs);
	e->regs = NULL;
	e->nregs = 0;
	e->regs_policy = NULL;
}

static struct nsf_engine_registry *
registry_slot(struct nsf_engine *e, const struct nsf_registry *cfg)
{
	const struct nsf_policy *pol = nsf_engine_policy(e);
	size_t i;

	if (pol != e->regs_policy) {
		nsf_engine_registries_reset(e);
		e->regs_policy = pol;
		e->nregs = pol->nregistries;
		e->regs = nsf_xcalloc(e->nregs ? e->nregs : 1,
		    sizeof(*e->regs));
		for (i = 0; i < e->nregs; i++) {
			e->regs[i].cfg = &pol->registries[i];
		}
	}
	for (i = 0; i < e->nregs; i++) {
		if (e->regs[i].cfg == cfg) {
			return &e->regs[i];
		}
	}
	return NULL;
}

struct nsf_registry_conn *
nsf_engine_registry(struct nsf_engine *e, const struct nsf_registry *cfg)
{
	struct nsf_engine_registry *r = registry_slot(e, cfg);
	uint64_t backoff;

	if (r == NULL) {
		nsf_error_set(NSF_ERROR, "registry '%s' is not in the active "
		    "policy", cfg->name);
		return NULL;
	}
	if (r->conn != NULL) {
		return r->conn;
	}
	if (r->error != NULL && !e->daemon) {
		/* A command tries each registry once. */
		nsf_error_set(NSF_EUNREACHABLE, "registry '%s': %s", cfg->name,
		    r->error);
		return NULL;
	}
	if (r->retry_at_ms > nsf_mono_ms()) {
		nsf_error_set(NSF_EUNREACHABLE, "registry '%s': %s (next try "
		    "in %lld ms)", cfg->name, r->error ? r->error : "failed",
		    (long long)(r->retry_at_ms - nsf_mono_ms()));
		return NULL;
	}
	if (nsf_registry_open(&r->conn, cfg, e->secrets) < 0) {
		free(r->error);
		r->error = nsf_xstrdup(nsf_error_last());
		r->failures++;
		backoff = 1000u << (r->failures < 7 ? r->failures - 1 : 6);
		if (backoff > REGISTRY_BACKOFF_MAX_MS) {
			backoff = REGISTRY_BACKOFF_MAX_MS;
		}
		r->retry_at_ms = nsf_mono_ms() + (int64_t)backoff;
		r->conn = NULL;
		nsf_warn(NSF_SRC_REGISTRY, NULL, "cannot open registry '%s': "
		    "%s; next try in %llu ms", cfg->name, r->error,
		    (unsigned long long)backoff);
		nsf_error_set(NSF_EUNREACHABLE, "registry '%s': %s", cfg->name,
		    r->error);
		return NULL;
	}
	r->failures = 0;
	free(r->error);
	r->error = NULL;
	return r->conn;
}

void
nsf_engine_registry_failed(struct nsf_engine *e,
    const struct nsf_registry *cfg)
{
	struct nsf_engine_registry *r = registry_slot(e, cfg);

	if (r != NULL && r->conn != NULL) {
		nsf_registry_close(r->conn);
		r->conn = NULL;
	}
}

int
nsf_engine_observe(struct nsf_engine *e, const struct nsf_domain *d,
    struct nsf_delegation *out)
{
	struct nsf_registry_conn *c = nsf_engine_registry(e, d->registry);
	int64_t t0 = nsf_mono_ms();
	int rc;

	if (c == NULL) {
		return NSF_EUNREACHABLE;
	}
	rc = nsf_registry_observe(c, d->name, out);
	nsf_metrics_registry_op(d->registry->name, "observe", rc == 0,
	    rc == 0 ? NULL : "error", (uint64_t)(nsf_mono_ms() - t0));
	if (rc < 0 && rc != NSF_ENOTFOUND) {
		/* The connection may be broken: reopen next time. */
		char *msg = nsf_xstrdup(nsf_error_last());

		nsf_engine_registry_failed(e, d->registry);
		nsf_error_set(rc, "%s", msg);
		free(msg);
	}
	return rc;
}

/* ---- evaluation -------------------------------------------------------- */

const struct nsf_group *
nsf_engine_group_of(const struct nsf_domain *d, const struct nsf_strv *ns)
{
	struct nsf_strv g;
	const struct nsf_group *found = NULL;
	size_t i;

	for (i = 0; i <= d->nbackups && found == NULL; i++) {
		const struct nsf_group *grp = i == 0 ? &d->primary :
		    &d->backups[i - 1];

		nsf_group_nameservers(&g, grp);
		if (nsf_strv_same_set(&g, ns)) {
			found = grp;
		}
		nsf_strv_deinit(&g);
	}
	return found;
}

void
nsf_eval_init(struct nsf_eval *ev, const struct nsf_domain *d)
{
	memset(ev, 0, sizeof(*ev));
	ev->domain = d;
	nsf_delegation_init(&ev->observed);
	nsf_plan_init(&ev->plan);
}

void
nsf_eval_deinit(struct nsf_eval *ev)
{
	nsf_delegation_deinit(&ev->observed);
	nsf_plan_deinit(&ev->plan);
	free(ev->views);
	free(ev->error);
	memset(ev, 0, sizeof(*ev));
}

int
nsf_engine_plan(struct nsf_engine *e, struct nsf_eval *ev,
    const struct nsf_domain_state *last, int64_t now_ms)
{
	const struct nsf_domain *d = ev->domain;
	const struct nsf_group *cur;
	struct nsf_plan_input in;
	const char *active = NULL, *frozen_reason = NULL;
	char fp[65];
	int rc;

	if (!ev->has_observed) {
		if (ev->error == NULL) {
			ev->error = nsf_xstrdup("the live delegation could not "
			    "be read");
		}
		return NSF_ERROR;
	}
	if (last != NULL && last->active != NULL) {
		active = last->active;
	} else if ((cur = nsf_engine_group_of(d, &ev->observed.ns)) != NULL) {
		active = cur->label;
	}
	free(ev->views);
	ev->views = NULL;
	rc = nsf_health_views(&ev->views, &ev->nviews, e->health, d, active,
	    ev->observed.ds, ev->observed.nds);
	if (rc < 0) {
		free(ev->error);
		ev->error = nsf_xstrdup("not probed yet");
		return rc;
	}
	for (size_t i = 0; ev->settled && i < ev->nviews; i++) {
		if (ev->views[i].state == NSF_PSTATE_UP) {
			ev->views[i].up_since_ms = 1;   /* long enough */
		}
	}
	nsf_domain_fingerprint(fp, d);
	memset(&in, 0, sizeof(in));
	in.domain = d;
	in.views = ev->views;
	in.nviews = ev->nviews;
	in.frozen = nsf_health_frozen(e->health, &frozen_reason);
	in.frozen_reason = frozen_reason;
	in.observed = &ev->observed;
	in.last = last;
	in.policy_fingerprint = fp;
	in.now_ms = now_ms;
	nsf_plan_deinit(&ev->plan);
	nsf_plan_init(&ev->plan);
	rc = nsf_plan_compute(&ev->plan, &in);
	if (rc < 0) {
		free(ev->error);
		ev->error = nsf_xasprintf("cannot plan: %s", nsf_error_last());
		return rc;
	}
	ev->planned = true;
	return 0;
}

uint32_t
nsf_engine_child_ns_ttl(const struct nsf_round *r, const char *domain)
{
	const struct nsf_probe_obs *o;
	size_t n, i;

	if (r == NULL || nsf_round_domain(&o, &n, r, domain) < 0) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (o[i].nsq.result == NSF_PROBE_OK &&
		    o[i].nsq.rrset != NULL &&
		    ldns_rr_list_rr_count(o[i].nsq.rrset) > 0) {
			return ldns_rr_ttl(ldns_rr_list_rr(o[i].nsq.rrset, 0));
		}
	}
	return 0;
}

void
nsf_engine_round_metrics(const struct nsf_round *r,
    const struct nsf_policy *pol, struct nsf_health *h)
{
	const struct nsf_probe_stats *st = nsf_round_stats(r);
	size_t i, n = nsf_round_count(r);
	char why[160];

	for (i = 0; i < n; i++) {
		const struct nsf_probe_obs *o = nsf_round_obs(r, i);
		const struct nsf_domain *d = nsf_policy_domain(pol, o->domain);
		const struct nsf_provider *pv =
		    nsf_policy_provider(pol, o->provider);
		bool ok = d != NULL && pv != NULL &&
		    nsf_health_addr_ok(o, d, pv, why, sizeof(why));

		nsf_metrics_probe(o->provider, o->addr,
		    nsf_probe_result_name(o->soa.result),
		    o->soa.latency_us);
		nsf_metrics_nameserver_health(o->provider, o->ns, o->addr,
		    ok ? NSF_HEALTH_UP : NSF_HEALTH_DOWN);
	}
	nsf_metrics_frozen(nsf_health_frozen(h, NULL));
	nsf_metrics_probe_round((uint64_t)(st->duration_us / 1000));
}

/* ---- remembered serials ------------------------------------------------ */

char *
nsf_engine_serials_path(const struct nsf_engine *e)
{
	if (e->cfg == NULL || e->cfg->cache_dir == NULL) {
		return NULL;
	}
	return nsf_xasprintf("%s/serials", e->cfg->cache_dir);
}

void
nsf_engine_serials_load(struct nsf_engine *e, const char *path)
{
	char domain[256], provider[256], *line, *save = NULL, *data = NULL;
	unsigned long serial;
	size_t len, bad = 0, good = 0;

	if (path == NULL || nsf_file_read(&data, &len, path,
	    256u * 1024 * 1024) < 0) {
		return;         /* none yet: nothing remembered */
	}
	for (line = strtok_r(data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#') {
			continue;
		}
		if (sscanf(line, "%255s %255s %lu", domain, provider,
		    &serial) != 3 || serial > UINT32_MAX) {
			bad++;
			continue;
		}
		nsf_health_seed_serial(e->health, domain, provider,
		    (uint32_t)serial);
		good++;
	}
	if (bad > 0) {
		nsf_warn(NSF_SRC_PROBE, NULL, "%s: %zu line(s) not understood "
		    "and skipped", path, bad);
	}
	nsf_debug(NSF_SRC_PROBE, NULL, "%s: %zu serial(s) remembered", path,
	    good);
	free(data);
}

bool
nsf_engine_serials_save(struct nsf_engine *e, const char *path,
    uint64_t *last_hash)
{
	const struct nsf_policy *pol = nsf_engine_policy(e);
	uint64_t hash = 1469598103934665603ull;     /* FNV-1a */
	struct nsf_buf b;
	char *tmp;
	size_t i, g, p, k;
	uint32_t serial;
	FILE *f;
	bool ok;

	if (path == NULL || pol == NULL) {
		return false;
	}
	nsf_buf_init(&b);
	nsf_buf_puts(&b, "# nsfailover: the SOA serial of each provider's "
	    "last good round, per domain\n");
	for (i = 0; i < pol->ndomains; i++) {
		const struct nsf_domain *d = &pol->domains[i];

		for (g = 0; g <= d->nbackups; g++) {
			const struct nsf_group *grp = g == 0 ? &d->primary :
			    &d->backups[g - 1];

			for (p = 0; p < grp->nproviders; p++) {
				const char *pv = grp->providers[p]->name;

				if (nsf_health_good_serial(e->health, d->name,
				    pv, &serial)) {
					nsf_buf_printf(&b, "%s %s %u\n",
					    d->name, pv, serial);
				}
			}
		}
	}
	for (k = 0; k < b.len; k++) {
		hash = (hash ^ (unsigned char)b.data[k]) * 1099511628211ull;
	}
	if (hash == *last_hash) {
		nsf_buf_deinit(&b);
		return false;
	}
	tmp = nsf_xasprintf("%s.tmp", path);
	f = fopen(tmp, "w");
	ok = f != NULL && fwrite(b.data, 1, b.len, f) == b.len;
	if (f != NULL && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
		ok = false;
	}
	if (f != NULL && fclose(f) != 0) {
		ok = false;
	}
	if (ok && rename(tmp, path) == 0) {
		*last_hash = hash;
	} else {
		nsf_warn(NSF_SRC_PROBE, NULL, "cannot write %s: %s; a restart "
		    "during an outage will not know the primary's last serial",
		    path, strerror(errno));
		unlink(tmp);
		ok = false;
	}
	free(tmp);
	nsf_buf_deinit(&b);
	return ok;
}

/* ---- asking the parent ------------------------------------------------- */

int
nsf_parent_ns(struct nsf_strv *out, uint32_t *ttl,
    const struct nsf_endpoint *server, const char *domain,
    uint64_t timeout_ms)
{
	ldns_resolver *res = ldns_resolver_new();
	ldns_rdf *addr, *name = NULL;
	ldns_pkt *pkt = NULL;
	ldns_rr_list *lists[2], *mine;
	struct timeval tv;
	size_t l, i;
	int rc = 0;

	nsf_strv_init(out);
	*ttl = 0;
	addr = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, server->host);
	if (addr == NULL) {
		addr = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, server->host);
	}
	if (res == NULL || addr == NULL) {
		rc = nsf_error_set(NSF_EINVAL, "'%s' is not an IP address: "
		    "verify servers are given as addresses", server->host);
		goto out;
	}
	ldns_resolver_push_nameserver(res, addr);     /* copies it */
	ldns_rdf_deep_free(addr);
	addr = NULL;
	ldns_resolver_set_port(res, server->port ? server->port : 53);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_random(res, true);
	tv.tv_sec = (time_t)(timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	ldns_resolver_set_timeout(res, tv);
	name = ldns_dname_new_frm_str(domain);
	if (name == NULL) {
		rc = nsf_error_set(NSF_EINVAL, "'%s' is not a domain name",
		    domain);
		goto out;
	}
	if (ldns_resolver_send(&pkt, res, name, LDNS_RR_TYPE_NS,
	    LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK || pkt == NULL) {
		rc = nsf_error_set(NSF_ETIMEOUT, "no answer from %s about %s",
		    server->host, domain);
		goto out;
	}
	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR) {
		char *rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(pkt));

		rc = nsf_error_set(NSF_ERROR, "%s answered %s about %s",
		    server->host, rcode ? rcode : "an error", domain);
		free(rcode);
		goto out;
	}
	lists[0] = ldns_pkt_answer(pkt);
	lists[1] = ldns_pkt_authority(pkt);
	mine = ldns_rr_list_new();
	for (l = 0; l < 2; l++) {
		for (i = 0; i < ldns_rr_list_rr_count(lists[l]); i++) {
			ldns_rr *rr = ldns_rr_list_rr(lists[l], i);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
			    ldns_dname_compare(ldns_rr_owner(rr), name) == 0) {
				ldns_rr_list_push_rr(mine, rr);
				*ttl = ldns_rr_ttl(rr);
			}
		}
	}
	nsf_strv_deinit(out);
	nsf_ns_rrset_names(out, mine);
	ldns_rr_list_free(mine);        /* the RRs stay the packet's */
	nsf_strv_sort_unique(out);
out:
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(name);
	ldns_rdf_deep_free(addr);
	if (res != NULL) {
		ldns_resolver_deep_free(res);
	}
	return rc;
}

/* ---- the commands' one-shot pass --------------------------------------- */

static int
state_cmp(const void *a, const void *b)
{
	const struct nsf_domain_state *x = a, *y = b;

	return strcmp(x->domain, y->domain);
}

void
nsf_engine_sort_states(struct nsf_domain_state *v, size_t n)
{
	if (n > 1) {
		qsort(v, n, sizeof(*v), state_cmp);
	}
}

const struct nsf_domain_state *
nsf_engine_find_state(const struct nsf_domain_state *v, size_t n,
    const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid].domain, name);

		if (c == 0) {
			return &v[mid];
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

static bool
wanted(const struct nsf_strv *names, const char *domain)
{
	size_t i;

	if (names == NULL || names->n == 0) {
		return true;
	}
	for (i = 0; i < names->n; i++) {
		if (nsf_name_cmp(names->v[i], domain) == 0) {
			return true;
		}
	}
	return false;
}

/* Where the status came from: the policy, the records, the canaries. */
static void
status_header(struct nsf_buf *b, const struct nsf_engine *e)
{
	const char *frozen_reason = NULL;

	if (e->src != NULL) {
		nsf_buf_printf(b, "policy:   commit %.12s of %s (%s)\n",
		    nsf_engine_policy_commit(e), e->cfg->repository.url,
		    e->cfg->repository.branch);
	} else {
		nsf_buf_printf(b, "policy:   read from disk\n");
	}
	if (e->audit != NULL && nsf_audit_tip(e->audit)[0] != '\0') {
		nsf_buf_printf(b, "records:  state branch at %.12s\n",
		    nsf_audit_tip(e->audit));
	} else {
		nsf_buf_printf(b, "records:  none found\n");
	}
	if (nsf_health_frozen(e->health, &frozen_reason)) {
		nsf_buf_printf(b, "canaries: FROZEN: %s\n", frozen_reason ?
		    frozen_reason : "the canaries failed");
	} else {
		nsf_buf_printf(b, "canaries: %s\n",
		    nsf_health_canary_summary(e->health));
	}
	nsf_buf_puts(b, "\n");
}

int
nsf_engine_report(struct nsf_engine *e, const struct nsf_strv *names,
    unsigned rounds, int fmt, unsigned flags, const char *prog)
{
	const struct nsf_policy *pol = nsf_engine_policy(e);
	struct nsf_policy *mpol = (struct nsf_policy *)pol;
	struct nsf_domain_state *states = NULL;
	struct nsf_plan_report *rep;
	struct nsf_eval *ev;
	struct nsf_round *r = NULL;
	struct nsf_strv sel;
	size_t nstates = 0, n = 0, i;
	unsigned k;
	struct nsf_buf b;
	int status;

	if (pol == NULL) {
		fprintf(stderr, "%s: no valid policy to plan with\n", prog);
		return 1;
	}
	nsf_strv_init(&sel);
	for (i = 0; names != NULL && i < names->n; i++) {
		if (nsf_policy_domain(pol, names->v[i]) == NULL) {
			fprintf(stderr, "%s: %s is not in the policy\n", prog,
			    names->v[i]);
			nsf_strv_deinit(&sel);
			return 1;
		}
		nsf_strv_push(&sel, nsf_policy_domain(pol,
		    names->v[i])->name);
	}
	/*
	 * One round is judged as it stands: thresholds count as 1, and a
	 * provider that is up counts as up long enough for the hold-down
	 * (set below), so the report says what the daemon will do once
	 * those have passed.  With more rounds the thresholds hold.
	 */
	{
		char *sp = nsf_engine_serials_path(e);

		nsf_engine_serials_load(e, sp);
		free(sp);
	}
	if (rounds <= 1) {
		for (i = 0; i < pol->ndomains; i++) {
			mpol->domains[i].health.fail_after = 1;
			mpol->domains[i].health.recover_after = 1;
		}
	}
	for (k = 0; k < (rounds ? rounds : 1); k++) {
		nsf_round_free(r);
		r = NULL;
		if (nsf_prober_round(e->prober, pol, sel.n ?
		    (const char *const *)sel.v : NULL, &r) < 0) {
			fprintf(stderr, "%s: probing failed: %s\n", prog,
			    nsf_error_last());
			nsf_strv_deinit(&sel);
			return 1;
		}
		nsf_health_update(e->health, pol, r, nsf_now_ms());
	}
	if (e->audit != NULL && nsf_audit_read_all(e->audit, &states,
	    &nstates) < 0) {
		fprintf(stderr, "%s: cannot read the state records: %s\n",
		    prog, nsf_error_last());
		states = NULL;
		nstates = 0;
	}
	nsf_engine_sort_states(states, nstates);
	ev = nsf_xcalloc(pol->ndomains ? pol->ndomains : 1, sizeof(*ev));
	rep = nsf_xcalloc(pol->ndomains ? pol->ndomains : 1, sizeof(*rep));
	for (i = 0; i < pol->ndomains; i++) {
		const struct nsf_domain *d = &pol->domains[i];
		const struct nsf_domain_state *last = NULL;

		if (!wanted(&sel, d->name)) {
			continue;
		}
		last = nsf_engine_find_state(states, nstates, d->name);
		nsf_eval_init(&ev[n], d);
		if (nsf_engine_observe(e, d, &ev[n].observed) == 0) {
			ev[n].has_observed = true;
		} else {
			ev[n].error = nsf_xasprintf("cannot read the live "
			    "delegation: %s", nsf_error_last());
		}
		ev[n].settled = rounds <= 1;    /* see above */
		if (ev[n].has_observed) {
			nsf_engine_plan(e, &ev[n], last, nsf_now_ms());
		}
		ev[n].child_ns_ttl = nsf_engine_child_ns_ttl(r, d->name);
		rep[n].domain = d->name;
		rep[n].plan = ev[n].planned ? &ev[n].plan : NULL;
		rep[n].observed = ev[n].has_observed ? &ev[n].observed : NULL;
		rep[n].views = ev[n].views;
		rep[n].nviews = ev[n].nviews;
		rep[n].last = last;
		rep[n].child_ns_ttl = ev[n].child_ns_ttl;
		rep[n].error = ev[n].planned ? NULL : ev[n].error;
		n++;
	}
	nsf_buf_init(&b);
	if ((flags & NSF_FMT_STATUS) && fmt == NSF_FORMAT_TEXT) {
		status_header(&b, e);
	}
	nsf_plan_format(&b, (enum nsf_plan_format)fmt, rep, n, flags);
	fwrite(b.data, 1, b.len, stdout);
	nsf_buf_deinit(&b);
	status = nsf_plan_exit_code(rep, n);
	for (i = 0; i < n; i++) {
		nsf_eval_deinit(&ev[i]);
	}
	free(ev);
	free(rep);
	nsf_audit_states_free(states, nstates);
	nsf_round_free(r);
	nsf_strv_deinit(&sel);
	return status;
}
