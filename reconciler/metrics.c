/* metrics.c - the metric registry and its Prometheus text exposition. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "metrics_impl.h"

enum mtype { M_COUNTER, M_GAUGE, M_HISTOGRAM };

#define MAX_LABELS 4

struct family {
	const char *name;
	enum mtype type;
	const char *help;
	const char *labels[MAX_LABELS];         /* NULL-terminated */
	const double *buckets;                  /* histograms: upper bounds,
						 * seconds, ascending */
	size_t nbuckets;
};

static const double probe_buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
static const double registry_buckets[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10, 30, 60, 120 };

#define HIST(b) (b), NSF_ARRAY_SIZE(b)

static const struct family families[F_COUNT] = {
	[F_BUILD_INFO] = { "nsfailover_build_info", M_GAUGE,
	    "Always 1; the version label says which build runs.",
	    { "version" }, NULL, 0 },
	[F_START_TIME] = { "nsfailover_start_time_seconds", M_GAUGE,
	    "When the process started, seconds since the epoch.",
	    { NULL }, NULL, 0 },
	[F_LAST_TICK] = { "nsfailover_last_tick_timestamp_seconds", M_GAUGE,
	    "When the reconcile loop last completed a pass.",
	    { NULL }, NULL, 0 },
	[F_READY] = { "nsfailover_ready", M_GAUGE,
	    "1 once a policy is loaded and the first probe round is done.",
	    { NULL }, NULL, 0 },
	[F_DOMAIN_HEALTH] = { "nsfailover_domain_provider_health", M_GAUGE,
	    "Health of a provider for a domain: 1 up, 0 down, -1 unknown.",
	    { "domain", "provider" }, NULL, 0 },
	[F_PROVIDER_DOMAINS] = { "nsfailover_provider_domains", M_GAUGE,
	    "Domains per provider and health (up, down, unknown).",
	    { "provider", "health" }, NULL, 0 },
	[F_NS_HEALTH] = { "nsfailover_nameserver_health", M_GAUGE,
	    "Health of a nameserver address: 1 answered correctly for "
	    "every domain, 0 failed at least one, -1 unknown.",
	    { "provider", "nameserver", "address" }, NULL, 0 },
	[F_PROBES] = { "nsfailover_probes_total", M_COUNTER,
	    "DNS probes sent, by nameserver address and result.",
	    { "provider", "address", "result" }, NULL, 0 },
	[F_PROBE_DURATION] = { "nsfailover_probe_duration_seconds",
	    M_HISTOGRAM, "Time from query to answer or give-up.",
	    { "provider", "result" }, HIST(probe_buckets) },
	[F_PROBE_ROUNDS] = { "nsfailover_probe_rounds_total", M_COUNTER,
	    "Complete probe rounds over every provider.", { NULL }, NULL, 0 },
	[F_PROBE_ROUND_DURATION] = {
	    "nsfailover_probe_round_duration_seconds", M_GAUGE,
	    "How long the last complete probe round took.",
	    { NULL }, NULL, 0 },
	[F_FAILOVERS] = { "nsfailover_failovers_total", M_COUNTER,
	    "Delegations moved from a group to a backup group.",
	    { "from", "to" }, NULL, 0 },
	[F_FAILBACKS] = { "nsfailover_failbacks_total", M_COUNTER,
	    "Delegations moved back to the primary group.",
	    { "from", "to" }, NULL, 0 },
	[F_REFUSED] = { "nsfailover_changes_refused_total", M_COUNTER,
	    "Changes the planner wanted but a guard refused, by reason.",
	    { "reason" }, NULL, 0 },
	[F_FLAG_ON_BACKUP] = { "nsfailover_domain_on_backup", M_GAUGE,
	    "1 while the domain is delegated to a backup group.",
	    { "domain" }, NULL, 0 },
	[F_FLAG_DRIFT] = { "nsfailover_domain_drift", M_GAUGE,
	    "1 while the live delegation differs from what nsfailover set.",
	    { "domain" }, NULL, 0 },
	[F_FLAG_PENDING] = { "nsfailover_domain_change_pending", M_GAUGE,
	    "1 while the registry holds a change of ours pending.",
	    { "domain" }, NULL, 0 },
	[F_FLAG_BLOCKED] = { "nsfailover_domain_blocked", M_GAUGE,
	    "1 while a registry lock would block a change.",
	    { "domain" }, NULL, 0 },
	[F_FLAG_SUSPENDED] = { "nsfailover_domain_suspended", M_GAUGE,
	    "1 while the policy suspends changes to the domain.",
	    { "domain" }, NULL, 0 },
	[F_COUNT_ON_BACKUP] = { "nsfailover_domains_on_backup", M_GAUGE,
	    "Domains delegated to a backup group.", { NULL }, NULL, 0 },
	[F_COUNT_DRIFT] = { "nsfailover_domains_drifted", M_GAUGE,
	    "Domains whose live delegation differs from ours.",
	    { NULL }, NULL, 0 },
	[F_COUNT_PENDING] = { "nsfailover_domains_change_pending", M_GAUGE,
	    "Domains with a change pending at the registry.",
	    { NULL }, NULL, 0 },
	[F_COUNT_BLOCKED] = { "nsfailover_domains_blocked", M_GAUGE,
	    "Domains a registry lock would keep from failing over.",
	    { NULL }, NULL, 0 },
	[F_COUNT_SUSPENDED] = { "nsfailover_domains_suspended", M_GAUGE,
	    "Domains the policy suspends.", { NULL }, NULL, 0 },
	[F_DRIFT_DETECTED] = { "nsfailover_drift_detected_total", M_COUNTER,
	    "Times a domain was found drifted.", { NULL }, NULL, 0 },
	[F_BLOCKED_DETECTED] = { "nsfailover_blocked_detected_total",
	    M_COUNTER, "Times a registry lock was found in the way.",
	    { NULL }, NULL, 0 },
	[F_PENDING_TOTAL] = { "nsfailover_changes_pending_total", M_COUNTER,
	    "Times the registry answered a change with pending.",
	    { NULL }, NULL, 0 },
	[F_FROZEN] = { "nsfailover_frozen", M_GAUGE,
	    "1 while changes are frozen because the canaries fail (our own "
	    "network is the likely fault).", { NULL }, NULL, 0 },
	[F_FREEZES] = { "nsfailover_freezes_total", M_COUNTER,
	    "Times the daemon froze.", { NULL }, NULL, 0 },
	[F_REGISTRY_OPS] = { "nsfailover_registry_operations_total",
	    M_COUNTER, "Registry operations by result (ok, error).",
	    { "registry", "operation", "result" }, NULL, 0 },
	[F_REGISTRY_ERRORS] = { "nsfailover_registry_errors_total",
	    M_COUNTER, "Registry operations that failed, by result code.",
	    { "registry", "code" }, NULL, 0 },
	[F_REGISTRY_DURATION] = {
	    "nsfailover_registry_operation_duration_seconds", M_HISTOGRAM,
	    "Time a registry operation took.", { "registry", "operation" },
	    HIST(registry_buckets) },
	[F_POLICY_INFO] = { "nsfailover_policy_info", M_GAUGE,
	    "Always 1; the commit label is the policy commit in force.",
	    { "commit" }, NULL, 0 },
	[F_POLICY_LOADED_TS] = { "nsfailover_policy_loaded_timestamp_seconds",
	    M_GAUGE, "When the policy in force was loaded.",
	    { NULL }, NULL, 0 },
	[F_POLICY_LOAD_DURATION] = {
	    "nsfailover_policy_load_duration_seconds", M_GAUGE,
	    "How long reading and checking the policy in force took.",
	    { NULL }, NULL, 0 },
	[F_POLICY_DOMAINS] = { "nsfailover_policy_domains", M_GAUGE,
	    "Domains in the policy in force.", { NULL }, NULL, 0 },
	[F_POLICY_REJECTED] = { "nsfailover_policy_rejected_total",
	    M_COUNTER, "Policy commits that failed validation; the previous "
	    "policy stayed in force.", { NULL }, NULL, 0 },
	[F_POLICY_REJECTED_TS] = {
	    "nsfailover_policy_last_rejected_timestamp_seconds", M_GAUGE,
	    "When a policy commit was last rejected; 0 never.",
	    { NULL }, NULL, 0 },
	[F_AUDIT_PENDING] = { "nsfailover_audit_pending_records", M_GAUGE,
	    "Audit commits made locally but not yet pushed.",
	    { NULL }, NULL, 0 },
	[F_AUDIT_PUSHES] = { "nsfailover_audit_pushes_total", M_COUNTER,
	    "Pushes of the state branch by result (ok, error).",
	    { "result" }, NULL, 0 },
	[F_NOTIFICATIONS] = { "nsfailover_notifications_total", M_COUNTER,
	    "Webhook notifications by result (delivered, failed, dropped).",
	    { "webhook", "result" }, NULL, 0 },
	[F_NOTIFY_QUEUE] = { "nsfailover_notification_queue_length",
	    M_GAUGE, "Notifications waiting for delivery.", { "webhook" },
	    NULL, 0 },
};

/* One time series: a family and one value per label. */
struct series {
	struct series *hnext;   /* hash chain */
	struct series *prev, *next;     /* the family's list, in creation
					 * order */
	enum fam_id fam;
	char *key;              /* label values joined by '\x1f' */
	double value;           /* counters and gauges */
	uint64_t *counts;       /* histograms: per bucket, not cumulative */
	double sum;             /* histograms: seconds */
	uint64_t count;
};

struct registry {
	pthread_mutex_t lock;
	struct series **table;
	size_t size;            /* buckets, a power of two */
	size_t n;
	struct series *head[F_COUNT], *tail[F_COUNT];
	enum nsf_domain_series mode;
};

static struct registry reg = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
nsf_metrics_lock(void)
{
	pthread_mutex_lock(&reg.lock);
}

void
nsf_metrics_unlock(void)
{
	pthread_mutex_unlock(&reg.lock);
}

static uint64_t
hash(enum fam_id f, const char *key)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)f;

	for (; *key != '\0'; key++) {
		h = (h ^ (unsigned char)*key) * 1099511628211ull;
	}
	return h;
}

static void
table_grow(void)
{
	size_t size = reg.size ? reg.size * 2 : 1024, i;
	struct series **t = nsf_xcalloc(size, sizeof(*t));
	struct series *s, *next;
	uint64_t h;

	for (i = 0; i < reg.size; i++) {
		for (s = reg.table[i]; s != NULL; s = next) {
			next = s->hnext;
			h = hash(s->fam, s->key) & (size - 1);
			s->hnext = t[h];
			t[h] = s;
		}
	}
	free(reg.table);
	reg.table = t;
	reg.size = size;
}

/* Joins label values; '\x1f' inside a value would split it, so it and
 * other control characters but newline become '?'. */
static char *
make_key(const char *const *values, size_t n)
{
	struct nsf_buf b;
	size_t i, j;

	nsf_buf_init(&b);
	for (i = 0; i < n; i++) {
		const char *v = values[i] ? values[i] : "";

		if (i > 0) {
			nsf_buf_put(&b, "\x1f", 1);
		}
		for (j = 0; v[j] != '\0' && j < 256; j++) {
			char c = (unsigned char)v[j] < 0x20 && v[j] != '\n' ?
			    '?' : v[j];

			nsf_buf_put(&b, &c, 1);
		}
	}
	if (b.data == NULL) {
		nsf_buf_puts(&b, "");
	}
	return nsf_buf_detach(&b);
}

static size_t
label_count(enum fam_id f)
{
	size_t n = 0;

	while (n < MAX_LABELS && families[f].labels[n] != NULL) {
		n++;
	}
	return n;
}

struct series *
nsf_metrics_series(enum fam_id f, const char *const *values, bool create)
{
	char *key = make_key(values, label_count(f));
	struct series *s;
	uint64_t h;

	if (reg.size == 0) {
		table_grow();
	}
	h = hash(f, key) & (reg.size - 1);
	for (s = reg.table[h]; s != NULL; s = s->hnext) {
		if (s->fam == f && strcmp(s->key, key) == 0) {
			free(key);
			return s;
		}
	}
	if (!create) {
		free(key);
		return NULL;
	}
	s = nsf_xcalloc(1, sizeof(*s));
	s->fam = f;
	s->key = key;
	if (families[f].type == M_HISTOGRAM) {
		s->counts = nsf_xcalloc(families[f].nbuckets + 1,
		    sizeof(*s->counts));
	}
	s->hnext = reg.table[h];
	reg.table[h] = s;
	s->prev = reg.tail[f];
	if (reg.tail[f] != NULL) {
		reg.tail[f]->next = s;
	} else {
		reg.head[f] = s;
	}
	reg.tail[f] = s;
	if (++reg.n > reg.size) {
		table_grow();
	}
	return s;
}

void
nsf_metrics_series_remove(struct series *s)
{
	struct series **pp;
	uint64_t h = hash(s->fam, s->key) & (reg.size - 1);

	for (pp = &reg.table[h]; *pp != s; pp = &(*pp)->hnext) {
	}
	*pp = s->hnext;
	if (s->prev != NULL) {
		s->prev->next = s->next;
	} else {
		reg.head[s->fam] = s->next;
	}
	if (s->next != NULL) {
		s->next->prev = s->prev;
	} else {
		reg.tail[s->fam] = s->prev;
	}
	reg.n--;
	free(s->counts);
	free(s->key);
	free(s);
}

struct series *
nsf_metrics_series_first(enum fam_id f)
{
	return reg.head[f];
}

struct series *
nsf_metrics_series_next(const struct series *s)
{
	return s->next;
}

const char *
nsf_metrics_series_key(const struct series *s)
{
	return s->key;
}

double *
nsf_metrics_series_value(struct series *s)
{
	return &s->value;
}

void
nsf_metrics_series_observe(struct series *s, double seconds)
{
	const struct family *f = &families[s->fam];
	size_t i;

	for (i = 0; i < f->nbuckets && seconds > f->buckets[i]; i++) {
	}
	s->counts[i]++;
	s->sum += seconds;
	s->count++;
}

enum nsf_domain_series
nsf_metrics_mode(void)
{
	return reg.mode;
}

void
nsf_metrics_set_domain_series(enum nsf_domain_series mode)
{
	nsf_metrics_lock();
	reg.mode = mode;
	nsf_metrics_unlock();
}

void
nsf_metrics_clear(void)
{
	size_t f;

	for (f = 0; f < F_COUNT; f++) {
		while (reg.head[f] != NULL) {
			nsf_metrics_series_remove(reg.head[f]);
		}
	}
	free(reg.table);
	reg.table = NULL;
	reg.size = 0;
	reg.n = 0;
}

static void
put_value(struct nsf_buf *out, double v)
{
	if (isinf(v)) {
		nsf_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
	} else if (isnan(v)) {
		nsf_buf_puts(out, "NaN");
	} else if (fabs(v) < 1e15 && v == (double)(int64_t)v) {
		/* The range test comes first: converting a double beyond
		 * int64_t's range is undefined. */
		nsf_buf_printf(out, "%lld", (long long)v);
	} else {
		nsf_buf_printf(out, "%.15g", v);
	}
}

static void
put_label_value(struct nsf_buf *out, const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (v[i] == '\\' || v[i] == '"') {
			nsf_buf_put(out, "\\", 1);
			nsf_buf_put(out, &v[i], 1);
		} else if (v[i] == '\n') {
			nsf_buf_puts(out, "\\n");
		} else {
			nsf_buf_put(out, &v[i], 1);
		}
	}
}

/* Writes {a="x",b="y"[,le="0.5"]}; nothing when there are no labels. */
static void
put_labels(struct nsf_buf *out, const struct family *f, const char *key,
    const char *le)
{
	const char *v = key, *end;
	size_t i;
	bool any = false;

	for (i = 0; i < MAX_LABELS && f->labels[i] != NULL; i++) {
		end = strchr(v, '\x1f');
		if (end == NULL) {
			end = v + strlen(v);
		}
		nsf_buf_printf(out, "%s%s=\"", any ? "," : "{", f->labels[i]);
		put_label_value(out, v, (size_t)(end - v));
		nsf_buf_puts(out, "\"");
		any = true;
		v = *end ? end + 1 : end;
	}
	if (le != NULL) {
		nsf_buf_printf(out, "%sle=\"%s\"", any ? "," : "{", le);
		any = true;
	}
	if (any) {
		nsf_buf_puts(out, "}");
	}
}

static void
render_histogram(struct nsf_buf *out, const struct family *f,
    const struct series *s)
{
	uint64_t cum = 0;
	char le[32];
	size_t i;

	for (i = 0; i <= f->nbuckets; i++) {
		cum += s->counts[i];
		if (i < f->nbuckets) {
			snprintf(le, sizeof(le), "%g", f->buckets[i]);
		} else {
			snprintf(le, sizeof(le), "+Inf");
		}
		nsf_buf_printf(out, "%s_bucket", f->name);
		put_labels(out, f, s->key, le);
		nsf_buf_printf(out, " %llu\n", (unsigned long long)cum);
	}
	nsf_buf_printf(out, "%s_sum", f->name);
	put_labels(out, f, s->key, NULL);
	nsf_buf_puts(out, " ");
	put_value(out, s->sum);
	nsf_buf_printf(out, "\n%s_count", f->name);
	put_labels(out, f, s->key, NULL);
	nsf_buf_printf(out, " %llu\n", (unsigned long long)s->count);
}

/* Per-domain series the configured mode hides. */
static bool
hidden(enum fam_id f, const struct series *s)
{
	if (f == F_DOMAIN_HEALTH) {
		return reg.mode == NSF_SERIES_NONE ||
		    (reg.mode == NSF_SERIES_PROBLEMS && s->value == 1);
	}
	return f >= F_FLAG_ON_BACKUP && f <= F_FLAG_SUSPENDED &&
	    reg.mode == NSF_SERIES_NONE;
}

void
nsf_metrics_render_locked(struct nsf_buf *out)
{
	static const char *const types[] = { "counter", "gauge",
		"histogram" };
	const struct family *f;
	const struct series *s;
	size_t i;

	for (i = 0; i < F_COUNT; i++) {
		f = &families[i];
		nsf_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name,
		    f->help, f->name, types[f->type]);
		for (s = reg.head[i]; s != NULL; s = s->next) {
			if (hidden((enum fam_id)i, s)) {
				continue;
			}
			if (f->type == M_HISTOGRAM) {
				render_histogram(out, f, s);
				continue;
			}
			nsf_buf_puts(out, f->name);
			put_labels(out, f, s->key, NULL);
			nsf_buf_puts(out, " ");
			put_value(out, s->value);
			nsf_buf_puts(out, "\n");
		}
	}
}

void
nsf_metrics_render(struct nsf_buf *out)
{
	nsf_metrics_lock();
	nsf_metrics_ensure_init();
	nsf_metrics_render_locked(out);
	nsf_metrics_unlock();
}
