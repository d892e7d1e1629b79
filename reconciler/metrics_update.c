/* metrics_update.c - the typed calls the daemon makes to move metrics,
 * and the liveness and readiness they imply. */
#include <stdlib.h>
#include <string.h>

#include "metrics_impl.h"

/* Liveness and readiness, guarded by the registry lock. */
static struct {
	bool init;
	int64_t start_mono_ms;
	int64_t last_tick_mono_ms;      /* 0: no tick yet */
	uint64_t interval_ms;           /* 0: no tick yet */
	bool policy_loaded;
	bool probed;
} live;

#define L(...) ((const char *const[]){ __VA_ARGS__ })

static struct series *
get(enum fam_id f, const char *const *values)
{
	return nsf_metrics_series(f, values, true);
}

static void
set(enum fam_id f, const char *const *values, double v)
{
	*nsf_metrics_series_value(get(f, values)) = v;
}

static void
add(enum fam_id f, const char *const *values, double v)
{
	*nsf_metrics_series_value(get(f, values)) += v;
}

void
nsf_metrics_ensure_init(void)
{
	static const enum fam_id zero[] = { F_LAST_TICK, F_READY,
		F_PROBE_ROUNDS, F_PROBE_ROUND_DURATION, F_COUNT_ON_BACKUP,
		F_COUNT_DRIFT, F_COUNT_PENDING, F_COUNT_BLOCKED,
		F_COUNT_SUSPENDED, F_DRIFT_DETECTED, F_BLOCKED_DETECTED,
		F_PENDING_TOTAL, F_FROZEN, F_FREEZES, F_POLICY_LOADED_TS,
		F_POLICY_LOAD_DURATION, F_POLICY_DOMAINS, F_POLICY_REJECTED,
		F_POLICY_REJECTED_TS, F_AUDIT_PENDING };
	size_t i;

	if (live.init) {
		return;
	}
	live.init = true;
	live.start_mono_ms = nsf_mono_ms();
	set(F_BUILD_INFO, L(NSF_VERSION), 1);
	set(F_START_TIME, NULL, (double)nsf_now_ms() / 1000.0);
	for (i = 0; i < NSF_ARRAY_SIZE(zero); i++) {
		get(zero[i], NULL);
	}
}

/* Takes the lock and makes sure the fixed series exist. */
static void
enter(void)
{
	nsf_metrics_lock();
	nsf_metrics_ensure_init();
}

void
nsf_metrics_reset(void)
{
	nsf_metrics_lock();
	nsf_metrics_clear();
	memset(&live, 0, sizeof(live));
	nsf_metrics_unlock();
}

static void
update_ready(void)
{
	set(F_READY, NULL, live.policy_loaded && live.probed ? 1 : 0);
}

void
nsf_metrics_tick(uint64_t interval_ms)
{
	enter();
	live.last_tick_mono_ms = nsf_mono_ms();
	live.interval_ms = interval_ms;
	set(F_LAST_TICK, NULL, (double)nsf_now_ms() / 1000.0);
	nsf_metrics_unlock();
}

int
nsf_metrics_healthz(struct nsf_buf *out)
{
	int64_t now = nsf_mono_ms(), age;
	int status = 200;

	enter();
	if (live.interval_ms == 0) {
		nsf_buf_puts(out, "ok: alive, the loop has not ticked yet\n");
	} else {
		age = now - live.last_tick_mono_ms;
		if (age > (int64_t)(3 * live.interval_ms)) {
			status = 503;
			nsf_buf_printf(out, "stalled: the loop last ticked "
			    "%lld ms ago, its interval is %llu ms\n",
			    (long long)age,
			    (unsigned long long)live.interval_ms);
		} else {
			nsf_buf_printf(out, "ok: the loop ticked %lld ms "
			    "ago\n", (long long)age);
		}
	}
	nsf_metrics_unlock();
	return status;
}

int
nsf_metrics_readyz(struct nsf_buf *out)
{
	int status;

	enter();
	status = live.policy_loaded && live.probed ? 200 : 503;
	if (status == 200) {
		nsf_buf_puts(out, "ready\n");
	} else {
		nsf_buf_printf(out, "not ready:%s%s\n",
		    live.policy_loaded ? "" : " no policy loaded yet;",
		    live.probed ? "" : " first probe round not done");
	}
	nsf_metrics_unlock();
	return status;
}

static const char *
health_name(double v)
{
	return v > 0 ? "up" : v == 0 ? "down" : "unknown";
}

void
nsf_metrics_domain_health(const char *domain, const char *provider,
    enum nsf_health_value value)
{
	struct series *s;
	double *v;

	enter();
	s = nsf_metrics_series(F_DOMAIN_HEALTH, L(domain, provider), false);
	if (s != NULL) {
		v = nsf_metrics_series_value(s);
		add(F_PROVIDER_DOMAINS, L(provider, health_name(*v)), -1);
	} else {
		s = get(F_DOMAIN_HEALTH, L(domain, provider));
	}
	*nsf_metrics_series_value(s) = value;
	add(F_PROVIDER_DOMAINS, L(provider, health_name(value)), 1);
	nsf_metrics_unlock();
}

void
nsf_metrics_nameserver_health(const char *provider,
    const char *nameserver, const char *address,
    enum nsf_health_value value)
{
	enter();
	set(F_NS_HEALTH, L(provider, nameserver, address), value);
	nsf_metrics_unlock();
}

/* The first label of a key: the domain of per-domain series. */
static bool
key_kept(const char *key, bool (*keep)(const char *, void *), void *arg)
{
	const char *sep = strchr(key, '\x1f');
	char *domain = sep ? nsf_xstrndup(key, (size_t)(sep - key)) :
	    nsf_xstrdup(key);
	bool kept = keep(domain, arg);

	free(domain);
	return kept;
}

static void
retain_health(bool (*keep)(const char *, void *), void *arg)
{
	struct series *s, *next;
	const char *key, *provider;

	for (s = nsf_metrics_series_first(F_DOMAIN_HEALTH); s; s = next) {
		next = nsf_metrics_series_next(s);
		key = nsf_metrics_series_key(s);
		if (key_kept(key, keep, arg)) {
			continue;
		}
		provider = strchr(key, '\x1f') + 1;
		add(F_PROVIDER_DOMAINS, L(provider,
		    health_name(*nsf_metrics_series_value(s))), -1);
		nsf_metrics_series_remove(s);
	}
}

void
nsf_metrics_domains_retain(bool (*keep)(const char *domain, void *arg),
    void *arg)
{
	struct series *s, *next;
	size_t flag;

	enter();
	retain_health(keep, arg);
	for (flag = 0; flag < NSF_FLAG_COUNT; flag++) {
		for (s = nsf_metrics_series_first(F_FLAG_ON_BACKUP + flag);
		    s != NULL; s = next) {
			next = nsf_metrics_series_next(s);
			if (!key_kept(nsf_metrics_series_key(s), keep, arg)) {
				add(F_COUNT_ON_BACKUP + flag, NULL, -1);
				nsf_metrics_series_remove(s);
			}
		}
	}
	nsf_metrics_unlock();
}

void
nsf_metrics_probe(const char *provider, const char *address,
    const char *result, uint64_t latency_us)
{
	enter();
	add(F_PROBES, L(provider, address, result), 1);
	nsf_metrics_series_observe(get(F_PROBE_DURATION, L(provider, result)),
	    (double)latency_us / 1e6);
	nsf_metrics_unlock();
}

void
nsf_metrics_probe_round(uint64_t duration_ms)
{
	enter();
	add(F_PROBE_ROUNDS, NULL, 1);
	set(F_PROBE_ROUND_DURATION, NULL, (double)duration_ms / 1000.0);
	live.probed = true;
	update_ready();
	nsf_metrics_unlock();
}

void
nsf_metrics_failover(const char *from, const char *to)
{
	enter();
	add(F_FAILOVERS, L(from, to), 1);
	nsf_metrics_unlock();
}

void
nsf_metrics_failback(const char *from, const char *to)
{
	enter();
	add(F_FAILBACKS, L(from, to), 1);
	nsf_metrics_unlock();
}

void
nsf_metrics_refused(const char *reason)
{
	enter();
	add(F_REFUSED, L(reason), 1);
	nsf_metrics_unlock();
}

void
nsf_metrics_domain_flag(const char *domain, enum nsf_domain_flag flag,
    bool on)
{
	static const enum fam_id detected[NSF_FLAG_COUNT] = {
		[NSF_FLAG_ON_BACKUP] = F_COUNT,
		[NSF_FLAG_DRIFT] = F_DRIFT_DETECTED,
		[NSF_FLAG_PENDING] = F_PENDING_TOTAL,
		[NSF_FLAG_BLOCKED] = F_BLOCKED_DETECTED,
		[NSF_FLAG_SUSPENDED] = F_COUNT,
	};
	enum fam_id f = F_FLAG_ON_BACKUP + flag;
	struct series *s;

	if (flag >= NSF_FLAG_COUNT) {
		return;
	}
	enter();
	s = nsf_metrics_series(f, L(domain), false);
	if (on && s == NULL) {
		set(f, L(domain), 1);
		add(F_COUNT_ON_BACKUP + flag, NULL, 1);
		if (detected[flag] != F_COUNT) {
			add(detected[flag], NULL, 1);
		}
	} else if (!on && s != NULL) {
		nsf_metrics_series_remove(s);
		add(F_COUNT_ON_BACKUP + flag, NULL, -1);
	}
	nsf_metrics_unlock();
}

void
nsf_metrics_frozen(bool frozen)
{
	double *v;

	enter();
	v = nsf_metrics_series_value(get(F_FROZEN, NULL));
	if (frozen && *v == 0) {
		add(F_FREEZES, NULL, 1);
	}
	*v = frozen ? 1 : 0;
	nsf_metrics_unlock();
}

void
nsf_metrics_registry_op(const char *registry, const char *operation,
    bool ok, const char *code, uint64_t duration_ms)
{
	enter();
	add(F_REGISTRY_OPS, L(registry, operation, ok ? "ok" : "error"), 1);
	if (!ok) {
		add(F_REGISTRY_ERRORS, L(registry, code ? code : "unknown"),
		    1);
	}
	nsf_metrics_series_observe(get(F_REGISTRY_DURATION,
	    L(registry, operation)), (double)duration_ms / 1000.0);
	nsf_metrics_unlock();
}

void
nsf_metrics_policy_loaded(const char *commit, uint64_t load_ms,
    size_t ndomains)
{
	struct series *s;

	enter();
	while ((s = nsf_metrics_series_first(F_POLICY_INFO)) != NULL) {
		nsf_metrics_series_remove(s);
	}
	set(F_POLICY_INFO, L(commit ? commit : "unknown"), 1);
	set(F_POLICY_LOADED_TS, NULL, (double)nsf_now_ms() / 1000.0);
	set(F_POLICY_LOAD_DURATION, NULL, (double)load_ms / 1000.0);
	set(F_POLICY_DOMAINS, NULL, (double)ndomains);
	live.policy_loaded = true;
	update_ready();
	nsf_metrics_unlock();
}

void
nsf_metrics_policy_rejected(void)
{
	enter();
	add(F_POLICY_REJECTED, NULL, 1);
	set(F_POLICY_REJECTED_TS, NULL, (double)nsf_now_ms() / 1000.0);
	nsf_metrics_unlock();
}

void
nsf_metrics_audit_pending(size_t n)
{
	enter();
	set(F_AUDIT_PENDING, NULL, (double)n);
	nsf_metrics_unlock();
}

void
nsf_metrics_audit_push(bool ok)
{
	enter();
	add(F_AUDIT_PUSHES, L(ok ? "ok" : "error"), 1);
	nsf_metrics_unlock();
}

void
nsf_metrics_notification(const char *webhook, const char *result)
{
	enter();
	add(F_NOTIFICATIONS, L(webhook, result), 1);
	nsf_metrics_unlock();
}

void
nsf_metrics_notify_queue(const char *webhook, size_t length)
{
	enter();
	set(F_NOTIFY_QUEUE, L(webhook), (double)length);
	nsf_metrics_unlock();
}
