/* engine.h - what `run`, `plan` and `status` share: the policy, the
 * prober and health verdicts, registry connections, the state records,
 * and one domain's evaluation (observe, views, plan). */
#ifndef NSF_ENGINE_H
#define NSF_ENGINE_H

#include "nsf.h"
#include "audit.h"
#include "config.h"
#include "health.h"
#include "plan.h"
#include "policy_source.h"
#include "state.h"
#include "../providers/probe.h"
#include "../providers/registry.h"

/*
 * Two ways to get a policy:
 *  - from the configured repository (`run`, and `plan`/`status` with
 *    --config): the daemon keeps its cache under cache_dir; the commands
 *    fetch into a private temporary repository so that they never touch
 *    the daemon's;
 *  - from a path on disk (`plan --policy DIR`, for pull-request CI).
 * State records come from the daemon's cache repository when it exists
 * (it holds records not pushed yet), else from the remote's state branch,
 * else there are none.
 */
struct nsf_engine_opts {
	const char *config_path;        /* NULL: no configuration */
	const char *policy_path;        /* NULL: the configured repository */
	const char *secrets_path;       /* NULL: the configuration's */
	const char *state_repo;         /* NULL: see above */
	const struct nsf_strv *resolvers;       /* overrides the config */
	bool daemon;            /* `run`: own cache, audit log writable */
};

/* A registry connection, opened on first use and reopened after a
 * failure (not before retry_at). */
struct nsf_engine_registry {
	const struct nsf_registry *cfg;
	struct nsf_registry_conn *conn;
	int64_t retry_at_ms;    /* monotonic */
	unsigned failures;
	char *error;            /* why the last open failed */
};

struct nsf_engine {
	struct nsf_config *cfg;         /* NULL without --config */
	struct nsf_secrets *secrets;    /* NULL when none could be read */
	char *secrets_error;            /* why not, for messages */
	struct nsf_policy_source *src;  /* NULL with --policy */
	struct nsf_policy *disk_policy; /* --policy */
	struct nsf_audit *audit;        /* NULL: no state records */
	struct nsf_prober *prober;
	struct nsf_health *health;
	struct nsf_engine_registry *regs;       /* one per policy registry */
	size_t nregs;
	const struct nsf_policy *regs_policy;   /* policy regs belong to */
	char *tmpdir;           /* the commands' private repository */
	bool daemon;            /* opened for `run` */
	struct nsf_strv resolver_strs;
};

/* Opens everything the options name.  Errors are printed by the caller
 * from nsf_error_last(); `diags` receives configuration or policy
 * problems (file:line:col). */
int nsf_engine_open(struct nsf_engine **out, const struct nsf_engine_opts *o,
    struct nsf_diags *diags);
void nsf_engine_free(struct nsf_engine *e);

/* The active policy (NULL before the first valid one) and its commit
 * (NULL for a policy read from disk). */
const struct nsf_policy *nsf_engine_policy(const struct nsf_engine *e);
const char *nsf_engine_policy_commit(const struct nsf_engine *e);

/* Closes every registry connection; the next use reopens with the
 * current policy's registry definitions. */
void nsf_engine_registries_reset(struct nsf_engine *e);
/* The connection for a registry of the active policy, opening it when
 * needed; NULL with the reason in nsf_error_last(). */
struct nsf_registry_conn *nsf_engine_registry(struct nsf_engine *e,
    const struct nsf_registry *cfg);
/* Drops a connection after an error so that the next use reopens it. */
void nsf_engine_registry_failed(struct nsf_engine *e,
    const struct nsf_registry *cfg);

/* Reads the live delegation of `d` at its registry (metrics counted). */
int nsf_engine_observe(struct nsf_engine *e, const struct nsf_domain *d,
    struct nsf_delegation *out);

/* The group whose nameserver set equals `ns`; NULL when none does. */
const struct nsf_group *nsf_engine_group_of(const struct nsf_domain *d,
    const struct nsf_strv *ns);

/* One domain's evaluation. */
struct nsf_eval {
	const struct nsf_domain *domain;
	struct nsf_delegation observed;
	bool has_observed;
	struct nsf_provider_view *views;        /* free() */
	size_t nviews;
	struct nsf_plan plan;
	bool planned;
	uint32_t child_ns_ttl;
	bool settled;           /* judge UP providers as up long enough for
				 * the hold-down (one-shot commands) */
	char *error;            /* why it could not be planned */
};

void nsf_eval_init(struct nsf_eval *ev, const struct nsf_domain *d);
void nsf_eval_deinit(struct nsf_eval *ev);

/*
 * Plans `ev->domain` from the health verdicts, `ev->observed` (filled by
 * the caller; has_observed) and the last record (may be NULL).  Sets
 * ev->error and returns a negative value when it cannot.
 */
int nsf_engine_plan(struct nsf_engine *e, struct nsf_eval *ev,
    const struct nsf_domain_state *last, int64_t now_ms);

/* State records sorted by domain, and a lookup in them. */
void nsf_engine_sort_states(struct nsf_domain_state *v, size_t n);
const struct nsf_domain_state *nsf_engine_find_state(
    const struct nsf_domain_state *v, size_t n, const char *name);

/* Child NS TTL as seen in the round (0 when unknown). */
uint32_t nsf_engine_child_ns_ttl(const struct nsf_round *r,
    const char *domain);

/*
 * The last good SOA serial of every (domain, provider), kept by the daemon
 * in <cache_dir>/serials ("domain provider serial" lines), so that a
 * restart during an outage, and `plan` and `status` on the same machine,
 * still judge a backup's readiness against the serial the primary last
 * served.  Load seeds the health verdicts; a missing file is no error.
 * Save writes only when something changed (atomically) and returns true
 * then.
 */
char *nsf_engine_serials_path(const struct nsf_engine *e);
void nsf_engine_serials_load(struct nsf_engine *e, const char *path);
bool nsf_engine_serials_save(struct nsf_engine *e, const char *path,
    uint64_t *last_hash);

/* Reports the round to the metrics registry. */
void nsf_engine_round_metrics(const struct nsf_round *r,
    const struct nsf_policy *pol, struct nsf_health *h);

/*
 * Asks one server of the parent zone for the NS set it serves for
 * `domain` (no recursion; referral or answer).  Fills `out` (sorted,
 * lower case) and *ttl.  Only literal addresses are asked.
 */
int nsf_parent_ns(struct nsf_strv *out, uint32_t *ttl,
    const struct nsf_endpoint *server, const char *domain,
    uint64_t timeout_ms);

/* The commands' shared one-shot pass (plan and status): probes every
 * domain of `names` (all when empty) `rounds` times, then observes and
 * plans each; prints the report in `fmt` and returns the exit status. */
int nsf_engine_report(struct nsf_engine *e, const struct nsf_strv *names,
    unsigned rounds, int fmt, unsigned flags, const char *prog);

#endif
