/* metrics.h - Prometheus metrics and the /healthz and /readyz endpoints,
 * served by libmicrohttpd on its own thread. */
#ifndef NSF_METRICS_H
#define NSF_METRICS_H

#include "nsf.h"

/*
 * One process-wide registry.  Every update takes one mutex for a few
 * hash-table steps and never waits for the network, so the daemon's loop
 * can call these anywhere.  A scrape renders the text under the same
 * mutex, on libmicrohttpd's thread.  Updates work whether or not the
 * endpoint is started (tests read nsf_metrics_render directly).
 *
 * Label sets stay bounded as domains grow (docs/operations.md):
 *  - per provider, nameserver address, registry, webhook, reason and
 *    result: bounded by the policy and by fixed vocabularies;
 *  - per domain only nsfailover_domain_provider_health (every pair, or
 *    only unhealthy ones, per `metrics.domain_series`) and the
 *    nsfailover_domain_* flags, which exist only while the flag is set.
 * Every per-domain family has an aggregate that is always exported.
 *
 * `result`, `reason`, `operation` and `code` arguments must come from a
 * fixed vocabulary (an enum's names, an EPP result code), never from free
 * text such as an error message.
 */

/* Which per-domain series are exported. */
enum nsf_domain_series {
	NSF_SERIES_ALL = 0,     /* every (domain, provider) pair */
	NSF_SERIES_PROBLEMS,    /* only pairs that are not healthy */
	NSF_SERIES_NONE,        /* per-provider aggregates only */
};

/* Health of a (domain, provider) pair or of a nameserver address. */
enum nsf_health_value {
	NSF_HEALTH_UNKNOWN = -1,
	NSF_HEALTH_DOWN = 0,
	NSF_HEALTH_UP = 1,
};

/* Per-domain conditions worth a series while they hold. */
enum nsf_domain_flag {
	NSF_FLAG_ON_BACKUP = 0, /* delegated to a backup group */
	NSF_FLAG_DRIFT,         /* live delegation differs, not by us */
	NSF_FLAG_PENDING,       /* the registry holds our change pending */
	NSF_FLAG_BLOCKED,       /* a registry lock would block a change */
	NSF_FLAG_SUSPENDED,     /* policy says suspend: observe only */
	NSF_FLAG_COUNT
};

/* Starts the HTTP endpoint on "127.0.0.1:9153", "[::1]:9153" (port 0
 * picks a free port, see nsf_metrics_port).  Fails when it is already
 * started or the address cannot be bound. */
int nsf_metrics_start(const char *listen);
/* The port actually bound; 0 when not started. */
uint16_t nsf_metrics_port(void);
void nsf_metrics_stop(void);
/* Forgets every series (tests; a fresh process starts empty). */
void nsf_metrics_reset(void);
void nsf_metrics_set_domain_series(enum nsf_domain_series mode);

/* The exposition text (format 0.0.4), as a scrape returns it. */
void nsf_metrics_render(struct nsf_buf *out);
/* The status and body /healthz and /readyz return. */
int nsf_metrics_healthz(struct nsf_buf *out);
int nsf_metrics_readyz(struct nsf_buf *out);

/* Liveness: the loop calls this once per pass; /healthz fails when no
 * tick came for three intervals. */
void nsf_metrics_tick(uint64_t interval_ms);

/* Health. */
void nsf_metrics_domain_health(const char *domain, const char *provider,
    enum nsf_health_value value);
void nsf_metrics_nameserver_health(const char *provider,
    const char *nameserver, const char *address,
    enum nsf_health_value value);
/* Drops every series of domains `keep` says no to (after a policy load
 * removed domains). */
void nsf_metrics_domains_retain(bool (*keep)(const char *domain, void *arg),
    void *arg);

/* Probing.  `result`: ok, timeout, refused, servfail, lame, mismatch,
 * network-error, ... (the prober's fixed vocabulary). */
void nsf_metrics_probe(const char *provider, const char *address,
    const char *result, uint64_t latency_us);
/* A full round is done; the first one makes the daemon ready. */
void nsf_metrics_probe_round(uint64_t duration_ms);

/* Changes. */
void nsf_metrics_failover(const char *from, const char *to);
void nsf_metrics_failback(const char *from, const char *to);
void nsf_metrics_refused(const char *reason);
void nsf_metrics_domain_flag(const char *domain, enum nsf_domain_flag flag,
    bool set);
void nsf_metrics_frozen(bool frozen);

/* Registry operations; `code` is the registry's result code ("2302",
 * "NOTAUTH") when ok is false, else ignored. */
void nsf_metrics_registry_op(const char *registry, const char *operation,
    bool ok, const char *code, uint64_t duration_ms);

/* Policy: the commit now in force (makes the daemon ready), a commit
 * that failed validation. */
void nsf_metrics_policy_loaded(const char *commit, uint64_t load_ms,
    size_t ndomains);
void nsf_metrics_policy_rejected(void);

/* Audit log: records committed locally but not yet pushed; a push. */
void nsf_metrics_audit_pending(size_t n);
void nsf_metrics_audit_push(bool ok);

/* Notifications: `result` is delivered, failed or dropped. */
void nsf_metrics_notification(const char *webhook, const char *result);
void nsf_metrics_notify_queue(const char *webhook, size_t length);

#endif
