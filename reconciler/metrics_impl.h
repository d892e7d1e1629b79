/* metrics_impl.h - the metric registry's inside, shared by metrics.c (the
 * store and the text format), metrics_update.c (the typed helpers) and
 * metrics_http.c (the endpoint).  Not for other modules. */
#ifndef NSF_METRICS_IMPL_H
#define NSF_METRICS_IMPL_H

#include "metrics.h"

/* Every metric family, in the order a scrape lists them. */
enum fam_id {
	F_BUILD_INFO = 0, F_START_TIME, F_LAST_TICK, F_READY,
	F_DOMAIN_HEALTH, F_PROVIDER_DOMAINS, F_NS_HEALTH,
	F_PROBES, F_PROBE_DURATION, F_PROBE_ROUNDS, F_PROBE_ROUND_DURATION,
	F_FAILOVERS, F_FAILBACKS, F_REFUSED,
	/* one per enum nsf_domain_flag, in its order */
	F_FLAG_ON_BACKUP, F_FLAG_DRIFT, F_FLAG_PENDING, F_FLAG_BLOCKED,
	F_FLAG_SUSPENDED,
	F_COUNT_ON_BACKUP, F_COUNT_DRIFT, F_COUNT_PENDING, F_COUNT_BLOCKED,
	F_COUNT_SUSPENDED,
	F_DRIFT_DETECTED, F_BLOCKED_DETECTED, F_PENDING_TOTAL,
	F_FROZEN, F_FREEZES,
	F_REGISTRY_OPS, F_REGISTRY_ERRORS, F_REGISTRY_DURATION,
	F_POLICY_INFO, F_POLICY_LOADED_TS, F_POLICY_LOAD_DURATION,
	F_POLICY_DOMAINS, F_POLICY_REJECTED, F_POLICY_REJECTED_TS,
	F_AUDIT_PENDING, F_AUDIT_PUSHES,
	F_NOTIFICATIONS, F_NOTIFY_QUEUE,
	F_COUNT
};

struct series;

/* All of these but lock/unlock expect the lock held. */
void nsf_metrics_lock(void);
void nsf_metrics_unlock(void);
/* The series of family f with these label values (as many as the family
 * has labels); created with value 0 when `create`, else NULL. */
struct series *nsf_metrics_series(enum fam_id f, const char *const *values,
    bool create);
void nsf_metrics_series_remove(struct series *s);
struct series *nsf_metrics_series_first(enum fam_id f);
struct series *nsf_metrics_series_next(const struct series *s);
/* Label values joined by '\x1f'. */
const char *nsf_metrics_series_key(const struct series *s);
double *nsf_metrics_series_value(struct series *s);
void nsf_metrics_series_observe(struct series *s, double seconds);
enum nsf_domain_series nsf_metrics_mode(void);
/* Drops every series. */
void nsf_metrics_clear(void);
void nsf_metrics_render_locked(struct nsf_buf *out);
/* Creates the series that exist from the start (unlabelled ones at 0,
 * build info, start time) unless done already. */
void nsf_metrics_ensure_init(void);

#endif
