/* cmd_run.c - 'nsfailover run': the reconciler daemon. */
#define _GNU_SOURCE
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "engine.h"
#include "log.h"
#include "metrics.h"
#include "../providers/notify.h"

/*
 * The loop, once a pass (at most every PASS_MAX_MS):
 *
 *   refresh the policy (fetches on its own interval)
 *   probe the domains whose health interval is due, in one round
 *   for each domain probed: resolve an open intent, observe the registry
 *       when the cached delegation is old, plan, and when the plan
 *       applies: observe again, plan again, then
 *           commit the intent -> apply -> commit the outcome -> verify
 *   check pending changes and verifications in progress
 *   push the audit records that wait
 *
 * Everything happens on this one thread, so a change is never applied
 * twice for a domain; metrics and webhooks have their own threads and
 * never make this one wait.
 */

#define PASS_MAX_MS 1000
#define OBSERVE_EVERY_MS (5 * 60 * 1000)       /* routine drift check */
#define OBSERVE_BUDGET 200      /* routine observations per pass */
#define PENDING_EVERY_MS 5000
#define VERIFY_EVERY_MS 500
#define VERIFY_TIMEOUT_MS (15 * 60 * 1000)
#define VERIFY_QUERY_MS 1000
#define PUSH_EVERY_MS 10000
#define RETRY_MIN_MS 2000
#define RETRY_MAX_MS (5 * 60 * 1000)
#define REFUSED_RETRY_MS (30 * 60 * 1000)
#define SERIALS_EVERY_MS 10000  /* remembered serials written at most */

static const char usage_text[] =
    "usage: nsfailover run [--config FILE] [--log-format plain|json]\n"
    "         [--log-level LEVEL]\n"
    "\n"
    "Runs the reconciler: reads the policy from the configured git\n"
    "repository, probes every provider, and when the live delegation\n"
    "differs from what the policy wants under the observed health,\n"
    "commits an intent to the state branch, applies the smallest\n"
    "nameserver change at the registry, commits the outcome and checks\n"
    "that the parent serves the new set.\n"
    "\n"
    "  --config FILE        daemon configuration (default\n"
    "                       " NSF_CONFIG_DEFAULT_PATH ")\n"
    "  --log-format FMT     plain (default) or json: one event a line\n"
    "  --log-level LEVEL    error, warning, notice, info (default), debug\n"
    "\n"
    "Signals: SIGTERM and SIGINT finish the change in flight and exit;\n"
    "SIGHUP reloads the configuration and the secrets.\n"
    "Exit status: 0 after a signal, 1 when it cannot start.\n";

static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_reload;

static void
on_signal(int sig)
{
	if (sig == SIGHUP) {
		g_reload = 1;
	} else {
		g_stop = 1;
	}
}

/* What the daemon keeps per domain between passes. */
struct dom {
	char *name;
	const struct nsf_domain *d;     /* in the active policy */
	struct nsf_domain_state st;
	bool has_st;
	struct nsf_delegation obs;      /* last read from the registry */
	bool has_obs;
	int64_t obs_at;                 /* monotonic */
	int64_t next_probe;
	int64_t retry_at;       /* no change before this (backoff) */
	unsigned failures;
	char *refused_set;      /* a change the registry refused */
	int64_t next_pending;
	char *said;             /* the last decision logged */
	char *drift_said;       /* the drifted set reported */
	char *blocked_said;
	char *observe_error;
	bool flags[NSF_FLAG_COUNT];
	/* Verification of the last change. */
	bool verifying;
	struct nsf_strv verify_want;
	int64_t verify_ack;
	int64_t verify_next;
	bool verify_registry;   /* the registry read-back matched */
	char *verify_said;
};

struct daemon {
	struct nsf_engine *e;
	const char *config_path;
	const char *log_format_opt;
	const char *log_level_opt;
	struct dom *doms;
	size_t ndoms;
	const struct nsf_policy *pol;   /* the doms were built for it */
	struct nsf_notify *notify;
	char *rejected_said;
	bool frozen_said;
	int64_t next_push;
	int64_t next_poll;
	const char *crash_at;
	unsigned observe_budget;
	char *serials_path;     /* <cache_dir>/serials */
	uint64_t serials_hash;  /* of what was written last */
	int64_t next_serials;   /* not written again before this */
};

/* ---- small helpers ---------------------------------------------------- */

static void
dom_free_fields(struct dom *m)
{
	free(m->name);
	nsf_domain_state_deinit(&m->st);
	nsf_delegation_deinit(&m->obs);
	free(m->refused_set);
	free(m->said);
	free(m->drift_said);
	free(m->blocked_said);
	free(m->observe_error);
	nsf_strv_deinit(&m->verify_want);
	free(m->verify_said);
}

static void
set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = v != NULL ? nsf_xstrdup(v) : NULL;
}

static bool
str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static char *
set_text(const struct nsf_strv *v)
{
	return v->n > 0 ? nsf_strv_join(v, " ") : nsf_xstrdup("(none)");
}

static void
make_intent_id(char out[64])
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		r = (uint32_t)nsf_mono_ms() ^ (uint32_t)getpid();
	}
	snprintf(out, 64, "nsfo-%lld-%08x", (long long)(nsf_now_ms() / 1000),
	    r);
}

static void
crash_point(struct daemon *dm, const char *where)
{
	if (dm->crash_at != NULL && strcmp(dm->crash_at, where) == 0) {
		nsf_warn(NSF_SRC_CONTROL, NULL, "NSF_TEST_CRASH_AT=%s: killing "
		    "this process now (a test of crash recovery)", where);
		kill(getpid(), SIGKILL);
	}
}

static void
set_flag(struct dom *m, enum nsf_domain_flag f, bool on)
{
	if (m->flags[f] != on) {
		m->flags[f] = on;
		nsf_metrics_domain_flag(m->name, f, on);
	}
}

static void
notify(struct daemon *dm, enum nsf_event type, const char *domain,
    const char *from, const char *to, const char *reason)
{
	struct nsf_event_info ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.domain = domain;
	ev.from = from;
	ev.to = to;
	ev.reason = reason;
	ev.policy_commit = nsf_engine_policy_commit(dm->e);
	nsf_notify_send(dm->notify, &ev);
}

static const struct nsf_nameserver *
find_nameserver(const struct nsf_domain *d, const char *name)
{
	size_t g, p, i;

	for (g = 0; g <= d->nbackups; g++) {
		const struct nsf_group *grp = g == 0 ? &d->primary :
		    &d->backups[g - 1];

		for (p = 0; p < grp->nproviders; p++) {
			const struct nsf_provider *pv = grp->providers[p];

			for (i = 0; i < pv->nns; i++) {
				if (nsf_name_cmp(pv->ns[i].name, name) == 0) {
					return &pv->ns[i];
				}
			}
		}
	}
	return NULL;
}

/* ---- the audit log ---------------------------------------------------- */

static void
push_records(struct daemon *dm)
{
	struct nsf_audit *a = dm->e->audit;
	int rc;

	if (nsf_audit_queued(a) == 0) {
		return;
	}
	rc = nsf_audit_push(a);
	nsf_metrics_audit_push(rc == 0);
	nsf_metrics_audit_pending(nsf_audit_queued(a));
	if (rc < 0) {
		nsf_warn(NSF_SRC_AUDIT, NULL, "%zu audit record(s) wait to be "
		    "pushed: %s", nsf_audit_queued(a), nsf_error_last());
	}
	dm->next_push = nsf_mono_ms() + PUSH_EVERY_MS;
}

/* Commits one record; `st` (may be NULL) becomes the domain's state. */
static int
record(struct daemon *dm, struct dom *m, const char *action,
    const char *subject, const struct nsf_strv *from,
    const struct nsf_strv *to, const char *reason, const char *intent_id,
    const struct nsf_outcome *out, const struct nsf_domain_state *st)
{
	struct nsf_audit_record rec;
	int rc;

	memset(&rec, 0, sizeof(rec));
	rec.domain = m->name;
	rec.action = action;
	rec.subject = subject;
	rec.from = from;
	rec.to = to;
	rec.reason = reason;
	rec.policy_commit = nsf_engine_policy_commit(dm->e);
	rec.intent_id = intent_id;
	rec.client_trid = out != NULL ? out->client_trid : NULL;
	rec.server_trid = out != NULL ? out->server_trid : NULL;
	rec.state = st;
	rc = nsf_audit_record(dm->e->audit, &rec, NULL);
	if (rc < 0) {
		nsf_err(NSF_SRC_AUDIT, m->name, "cannot commit the %s record: "
		    "%s", action, nsf_error_last());
		return rc;
	}
	if (st != NULL) {
		nsf_domain_state_deinit(&m->st);
		nsf_domain_state_copy(&m->st, st);
		m->has_st = true;
	}
	nsf_metrics_audit_pending(nsf_audit_queued(dm->e->audit));
	return 0;
}

/* A copy of the domain's state to change, named even when new. */
static void
state_begin(struct nsf_domain_state *out, const struct dom *m)
{
	if (m->has_st) {
		nsf_domain_state_copy(out, &m->st);
	} else {
		nsf_domain_state_init(out);
		out->domain = nsf_xstrdup(m->name);
	}
}

static void
intent_clear(struct nsf_domain_state *s)
{
	free(s->intent.id);
	free(s->intent.action);
	free(s->intent.target);
	nsf_strv_deinit(&s->intent.from);
	nsf_strv_deinit(&s->intent.to);
	memset(&s->intent, 0, sizeof(s->intent));
	s->has_intent = false;
	s->pending = false;
}

/* ---- observing -------------------------------------------------------- */

static int
observe(struct daemon *dm, struct dom *m)
{
	struct nsf_delegation fresh;
	int rc;

	nsf_delegation_init(&fresh);
	rc = nsf_engine_observe(dm->e, m->d, &fresh);
	if (rc < 0) {
		if (m->observe_error == NULL ||
		    strcmp(m->observe_error, nsf_error_last()) != 0) {
			nsf_warn(NSF_SRC_REGISTRY, m->name, "cannot read the "
			    "live delegation: %s; changing nothing until it "
			    "can be read", nsf_error_last());
			set_str(&m->observe_error, nsf_error_last());
		}
		nsf_delegation_deinit(&fresh);
		return rc;
	}
	if (m->observe_error != NULL) {
		nsf_notice(NSF_SRC_REGISTRY, m->name, "the live delegation "
		    "can be read again");
		set_str(&m->observe_error, NULL);
	}
	nsf_delegation_deinit(&m->obs);
	m->obs = fresh;
	m->has_obs = true;
	m->obs_at = nsf_mono_ms();
	return 0;
}

/* ---- verification ----------------------------------------------------- */

static void
verify_start(struct dom *m, const struct nsf_strv *want)
{
	nsf_strv_deinit(&m->verify_want);
	nsf_strv_copy(&m->verify_want, want);
	m->verifying = true;
	m->verify_ack = nsf_mono_ms();
	m->verify_next = m->verify_ack;
	m->verify_registry = false;
	set_str(&m->verify_said, NULL);
}

static void
verify_step(struct daemon *dm, struct dom *m, int64_t now)
{
	const struct nsf_registry *reg = m->d->registry;
	struct nsf_strv got;
	uint32_t ttl;
	size_t i, serving = 0;
	char *why = NULL;

	if (!m->verifying || now < m->verify_next) {
		return;
	}
	m->verify_next = now + VERIFY_EVERY_MS;
	if (!m->verify_registry && observe(dm, m) == 0) {
		if (nsf_strv_same_set(&m->obs.ns, &m->verify_want)) {
			m->verify_registry = true;
			nsf_info(NSF_SRC_REGISTRY, m->name, "the registry "
			    "holds the new set (read back %lld ms after the "
			    "acknowledgement)", (long long)(now -
			    m->verify_ack));
		}
	}
	for (i = 0; i < reg->nverify; i++) {
		if (nsf_parent_ns(&got, &ttl, &reg->verify[i], m->name,
		    VERIFY_QUERY_MS) < 0) {
			free(why);
			why = nsf_xstrdup(nsf_error_last());
		} else if (nsf_strv_same_set(&got, &m->verify_want)) {
			serving++;
		} else {
			char *s = set_text(&got);

			free(why);
			why = nsf_xasprintf("%s still serves %s",
			    reg->verify[i].host, s);
			free(s);
		}
		nsf_strv_deinit(&got);
	}
	if (m->verify_registry && serving == reg->nverify) {
		if (reg->nverify > 0) {
			nsf_notice(NSF_SRC_REGISTRY, m->name, "parent serves "
			    "the new set %lld ms after the acknowledgement",
			    (long long)(now - m->verify_ack));
		}
		m->verifying = false;
	} else if (now - m->verify_ack > VERIFY_TIMEOUT_MS) {
		nsf_warn(NSF_SRC_REGISTRY, m->name, "the new set is still not "
		    "served %lld s after the change (%s); no longer checking",
		    (long long)((now - m->verify_ack) / 1000),
		    why != NULL ? why : "the registry does not hold it");
		m->verifying = false;
	} else if (why != NULL && !str_eq(why, m->verify_said)) {
		nsf_debug(NSF_SRC_REGISTRY, m->name, "waiting for the parent: "
		    "%s", why);
		set_str(&m->verify_said, why);
	}
	free(why);
}

/* ---- outcomes --------------------------------------------------------- */

static bool
is_failback(const struct nsf_domain *d, const char *target)
{
	return target != NULL && strcmp(target, d->primary.label) == 0;
}

/* The change of `intent` is in place: the closing record. */
static void
finish_success(struct daemon *dm, struct dom *m, const char *reason,
    const struct nsf_outcome *out)
{
	struct nsf_domain_state s;
	const struct nsf_group *g;
	char fp[65];
	char *from_label, *action, *target, *id;
	struct nsf_strv from, to;
	int64_t now = nsf_now_ms();

	state_begin(&s, m);
	action = nsf_xstrdup(s.intent.action ? s.intent.action : "change");
	target = s.intent.target ? nsf_xstrdup(s.intent.target) : NULL;
	id = s.intent.id ? nsf_xstrdup(s.intent.id) : NULL;
	nsf_strv_copy(&from, &s.intent.from);
	nsf_strv_copy(&to, &s.intent.to);
	g = nsf_engine_group_of(m->d, &from);
	from_label = nsf_xstrdup(g != NULL ? g->label : "other");
	intent_clear(&s);
	set_str(&s.active, target);
	nsf_strv_deinit(&s.nameservers);
	nsf_strv_copy(&s.nameservers, &to);
	s.since_ms = now;
	set_str(&s.last_action, action);
	set_str(&s.last_reason, reason);
	set_str(&s.policy_commit, nsf_engine_policy_commit(dm->e));
	nsf_domain_fingerprint(fp, m->d);
	set_str(&s.policy_fingerprint, fp);
	s.changes_ms = nsf_xrealloc(s.changes_ms,
	    (s.nchanges + 1) * sizeof(*s.changes_ms));
	s.changes_ms[s.nchanges++] = now;
	nsf_domain_state_trim_changes(&s, now, m->d->flap.window_ms);
	if (record(dm, m, action, NULL, &from, &to, reason, id, out,
	    &s) == 0) {
		nsf_notice(NSF_SRC_PLAN, m->name, "%s to %s done: %s", action,
		    target ? target : "the wanted set", reason);
		if (is_failback(m->d, target)) {
			nsf_metrics_failback(from_label, target);
			notify(dm, NSF_EVENT_FAILBACK, m->name, from_label,
			    target, reason);
		} else if (strcmp(action, "failover") == 0) {
			nsf_metrics_failover(from_label,
			    target ? target : "mixed");
			notify(dm, NSF_EVENT_FAILOVER, m->name, from_label,
			    target, reason);
		}
		set_flag(m, NSF_FLAG_PENDING, false);
		m->failures = 0;
		m->retry_at = 0;
		set_str(&m->refused_set, NULL);
		verify_start(m, &to);
	}
	push_records(dm);
	nsf_domain_state_deinit(&s);
	nsf_strv_deinit(&from);
	nsf_strv_deinit(&to);
	free(from_label);
	free(action);
	free(target);
	free(id);
}

/* The intent is closed without the change in place. */
static void
finish_without(struct daemon *dm, struct dom *m, const char *action,
    const char *reason, const struct nsf_outcome *out, bool keep_ns)
{
	struct nsf_domain_state s;
	struct nsf_strv from, to;
	char *id;

	state_begin(&s, m);
	id = s.intent.id ? nsf_xstrdup(s.intent.id) : NULL;
	nsf_strv_copy(&from, &s.intent.from);
	nsf_strv_copy(&to, &s.intent.to);
	intent_clear(&s);
	set_str(&s.last_action, action);
	set_str(&s.last_reason, reason);
	if (!keep_ns && m->has_obs) {
		nsf_strv_deinit(&s.nameservers);
		nsf_strv_copy(&s.nameservers, &m->obs.ns);
	}
	record(dm, m, action, NULL, &from, &to, reason, id, out, &s);
	set_flag(m, NSF_FLAG_PENDING, false);
	push_records(dm);
	nsf_domain_state_deinit(&s);
	nsf_strv_deinit(&from);
	nsf_strv_deinit(&to);
	free(id);
}

static void
backoff(struct dom *m)
{
	uint64_t ms = RETRY_MIN_MS;
	unsigned i;

	for (i = 0; i < m->failures && ms < RETRY_MAX_MS; i++) {
		ms *= 2;
	}
	if (ms > RETRY_MAX_MS) {
		ms = RETRY_MAX_MS;
	}
	m->failures++;
	m->retry_at = nsf_mono_ms() + (int64_t)ms;
}

enum resolution {
	UNRESOLVED = 0,         /* the registry could not be read, or the
				 * change is still pending there */
	RESOLVED_DONE,
	RESOLVED_NOT_APPLIED,
	RESOLVED_OTHER,
};

/*
 * An intent whose outcome is not known (after a crash, a lost
 * connection, a pending answer): the registry says what happened.
 */
static enum resolution
resolve_intent(struct daemon *dm, struct dom *m, const char *why)
{
	const struct nsf_intent *in = &m->st.intent;
	enum resolution res;
	char *msg, *got;

	if (observe(dm, m) < 0) {
		return UNRESOLVED;
	}
	got = set_text(&m->obs.ns);
	if (nsf_strv_same_set(&m->obs.ns, &in->to)) {
		msg = nsf_xasprintf("%s; the registry holds the new set, "
		    "confirmed by reading it back", why);
		finish_success(dm, m, msg, NULL);
		res = RESOLVED_DONE;
	} else if (m->st.pending && nsf_strv_same_set(&m->obs.ns, &in->from)) {
		free(got);
		return UNRESOLVED;      /* still pending at the registry */
	} else if (nsf_strv_same_set(&m->obs.ns, &in->from)) {
		msg = nsf_xasprintf("%s; the registry still holds the old set "
		    "(%s): the change was not made; planning again", why,
		    got);
		nsf_notice(NSF_SRC_PLAN, m->name, "intent %s was not applied: "
		    "%s", in->id ? in->id : "?", msg);
		finish_without(dm, m, "not-applied", msg, NULL, true);
		res = RESOLVED_NOT_APPLIED;
	} else {
		msg = nsf_xasprintf("%s; the registry holds neither the old "
		    "nor the wanted set but %s; planning again from it", why,
		    got);
		nsf_warn(NSF_SRC_PLAN, m->name, "intent %s superseded: %s",
		    in->id ? in->id : "?", msg);
		finish_without(dm, m, "superseded", msg, NULL, false);
		res = RESOLVED_OTHER;
	}
	free(msg);
	free(got);
	return res;
}

static void
handle_outcome(struct daemon *dm, struct dom *m, int rc,
    const struct nsf_outcome *out, const char *reason)
{
	enum nsf_apply_result res = rc < 0 ? NSF_APPLY_UNKNOWN : out->result;
	char *msg;

	if (out->message != NULL || rc < 0) {
		msg = nsf_xasprintf("%s; registry: %s, %s", reason,
		    nsf_apply_result_name(res), out->message != NULL ?
		    out->message : nsf_error_last());
	} else {
		msg = nsf_xasprintf("%s; registry: %s (code %d)", reason,
		    nsf_apply_result_name(res), out->code);
	}
	switch (res) {
	case NSF_APPLY_DONE:
		finish_success(dm, m, msg, out);
		break;
	case NSF_APPLY_PENDING: {
		struct nsf_domain_state s;

		state_begin(&s, m);
		s.pending = true;
		if (record(dm, m, "pending", NULL, &s.intent.from,
		    &s.intent.to, msg, s.intent.id, out, &s) == 0) {
			nsf_notice(NSF_SRC_REGISTRY, m->name, "the registry "
			    "holds the change pending; confirming it by "
			    "reading back every %d s", PENDING_EVERY_MS / 1000);
			notify(dm, NSF_EVENT_PENDING, m->name, NULL,
			    s.intent.target, msg);
			set_flag(m, NSF_FLAG_PENDING, true);
		}
		m->next_pending = nsf_mono_ms() + PENDING_EVERY_MS;
		nsf_domain_state_deinit(&s);
		push_records(dm);
		break;
	}
	case NSF_APPLY_REFUSED:
		nsf_err(NSF_SRC_REGISTRY, m->name, "the registry refused the "
		    "change: %s; not retrying it as is", msg);
		set_str(&m->refused_set, m->st.intent.target);
		m->retry_at = nsf_mono_ms() + REFUSED_RETRY_MS;
		nsf_metrics_refused("registry");
		notify(dm, NSF_EVENT_REFUSED, m->name, NULL,
		    m->st.intent.target, msg);
		finish_without(dm, m, "refused", msg, out, true);
		break;
	case NSF_APPLY_CONFLICT:
		nsf_notice(NSF_SRC_REGISTRY, m->name, "the delegation changed "
		    "under us: %s; observing again and planning again", msg);
		finish_without(dm, m, "conflict", msg, out, true);
		m->has_obs = false;
		break;
	case NSF_APPLY_UNKNOWN:
	case NSF_APPLY_FAILED:
		nsf_warn(NSF_SRC_REGISTRY, m->name, "outcome %s: %s; reading "
		    "the registry before anything else",
		    res == NSF_APPLY_FAILED ? "failed" : "unknown", msg);
		switch (resolve_intent(dm, m, msg)) {
		case UNRESOLVED:
			nsf_warn(NSF_SRC_REGISTRY, m->name, "intent %s stays "
			    "open until the registry can be read",
			    m->st.intent.id ? m->st.intent.id : "?");
			break;
		case RESOLVED_NOT_APPLIED:
			backoff(m);     /* then try once more */
			break;
		case RESOLVED_DONE:
		case RESOLVED_OTHER:
			break;
		}
		break;
	}
	free(msg);
}

/* ---- applying --------------------------------------------------------- */

static void
apply_plan(struct daemon *dm, struct dom *m, const struct nsf_plan *p,
    int64_t decided)
{
	const char *action = nsf_plan_action_name(p->action);
	const struct nsf_nameserver **add;
	struct nsf_registry_conn *conn;
	struct nsf_domain_state s;
	struct nsf_change chg;
	struct nsf_outcome out;
	enum nsf_apply_result res;
	char id[64], code[16], *subject;
	size_t i, nadd = 0;
	int64_t t0;
	int rc;

	make_intent_id(id);
	state_begin(&s, m);
	intent_clear(&s);
	s.has_intent = true;
	s.intent.id = nsf_xstrdup(id);
	s.intent.action = nsf_xstrdup(action);
	s.intent.target = p->target ? nsf_xstrdup(p->target) : NULL;
	nsf_strv_copy(&s.intent.from, &m->obs.ns);
	nsf_strv_copy(&s.intent.to, &p->desired);
	s.intent.at_ms = nsf_now_ms();
	subject = nsf_xasprintf("%s: intent to %s to %s", m->name, action,
	    p->target ? p->target : "the wanted set");
	rc = record(dm, m, "intent", subject, &m->obs.ns, &p->desired,
	    p->reason, id, NULL, &s);
	free(subject);
	nsf_domain_state_deinit(&s);
	if (rc < 0) {
		nsf_err(NSF_SRC_PLAN, m->name, "not changing the registry "
		    "without a committed intent; trying again later");
		backoff(m);
		return;
	}
	nsf_info(NSF_SRC_AUDIT, m->name, "intent %s committed", id);
	crash_point(dm, "after-intent");

	add = nsf_xcalloc(p->add.n + 1, sizeof(*add));
	for (i = 0; i < p->add.n; i++) {
		const struct nsf_nameserver *ns =
		    find_nameserver(m->d, p->add.v[i]);

		if (ns != NULL) {
			add[nadd++] = ns;
		}
	}
	memset(&chg, 0, sizeof(chg));
	chg.domain = m->name;
	chg.add = add;
	chg.nadd = nadd;
	chg.rem = (const char *const *)p->rem.v;
	chg.nrem = p->rem.n;
	chg.observed = &m->obs.ns;
	chg.ds_change = p->ds_change;
	chg.ds_add = p->ds_add_recs;
	chg.nds_add = p->nds_add_recs;
	chg.ds_rem = p->ds_rem_recs;
	chg.nds_rem = p->nds_rem_recs;
	chg.target = p->target;
	chg.client_trid = id;
	nsf_outcome_init(&out);
	t0 = nsf_mono_ms();
	conn = nsf_engine_registry(dm->e, m->d->registry);
	if (conn == NULL) {
		out.result = NSF_APPLY_FAILED;
		out.message = nsf_xstrdup(nsf_error_last());
		rc = 0;
	} else {
		rc = nsf_registry_apply(conn, &chg, &out);
		if (rc < 0 || out.result == NSF_APPLY_UNKNOWN) {
			nsf_engine_registry_failed(dm->e, m->d->registry);
		}
	}
	crash_point(dm, "after-apply");
	res = rc < 0 ? NSF_APPLY_UNKNOWN : out.result;
	snprintf(code, sizeof(code), "%d", out.code);
	nsf_metrics_registry_op(m->d->registry->name, "update",
	    res == NSF_APPLY_DONE || res == NSF_APPLY_PENDING, code,
	    (uint64_t)(nsf_mono_ms() - t0));
	nsf_notice(NSF_SRC_REGISTRY, m->name, "%s acknowledged %s (%s) in "
	    "%lld ms from the decision", m->d->registry->name, action,
	    nsf_apply_result_name(res), (long long)(nsf_mono_ms() - decided));
	handle_outcome(dm, m, rc, &out, p->reason);
	nsf_outcome_deinit(&out);
	free(add);
}

/* ---- planning --------------------------------------------------------- */

static void
report_health(const struct dom *m, const struct nsf_eval *ev)
{
	size_t i;

	for (i = 0; i < ev->nviews; i++) {
		const struct nsf_provider_view *v = &ev->views[i];

		nsf_metrics_domain_health(m->name, v->provider->name,
		    v->state == NSF_PSTATE_UP ? NSF_HEALTH_UP :
		    v->state == NSF_PSTATE_DOWN ? NSF_HEALTH_DOWN :
		    NSF_HEALTH_UNKNOWN);
	}
}

/* Logs a decision once, when it changes. */
static void
say_decision(struct dom *m, const struct nsf_plan *p)
{
	char *key;
	bool applies = nsf_plan_applies(p);

	key = nsf_xasprintf("%s|%s|%s", nsf_plan_action_name(p->action),
	    nsf_plan_hold_name(p->hold), p->target ? p->target : "");
	if (str_eq(key, m->said)) {
		free(key);
		return;
	}
	free(m->said);
	m->said = key;
	if (applies) {
		nsf_notice(NSF_SRC_PLAN, m->name, "decided %s to %s: %s",
		    nsf_plan_action_name(p->action),
		    p->target ? p->target : "the wanted set", p->reason);
	} else if (p->action != NSF_ACTION_NONE) {
		nsf_warn(NSF_SRC_PLAN, m->name, "%s to %s held (%s): %s",
		    nsf_plan_action_name(p->action),
		    p->target ? p->target : "the wanted set",
		    nsf_plan_hold_name(p->hold), p->reason);
	} else if (p->hold != NSF_HOLD_NONE) {
		nsf_warn(NSF_SRC_PLAN, m->name, "holding (%s): %s",
		    nsf_plan_hold_name(p->hold), p->reason);
	} else {
		nsf_info(NSF_SRC_PLAN, m->name, "as wanted: %s", p->reason);
	}
}

static void
report_conditions(struct daemon *dm, struct dom *m, const struct nsf_eval *ev)
{
	const struct nsf_plan *p = &ev->plan;

	/* The planner already matched the live set to a group. */
	set_flag(m, NSF_FLAG_ON_BACKUP, p->current != NULL &&
	    strcmp(p->current, m->d->primary.label) != 0);
	set_flag(m, NSF_FLAG_SUSPENDED, m->d->suspend);
	set_flag(m, NSF_FLAG_BLOCKED, p->blocking_status != NULL);
	set_flag(m, NSF_FLAG_DRIFT, p->drift);
	if (p->blocking_status != NULL &&
	    !str_eq(p->blocking_status, m->blocked_said)) {
		nsf_warn(NSF_SRC_REGISTRY, m->name, "registry status %s would "
		    "block any nameserver change; failover is impossible "
		    "until it is lifted", p->blocking_status);
		notify(dm, NSF_EVENT_BLOCKED, m->name, NULL, NULL,
		    p->blocking_status);
	}
	set_str(&m->blocked_said, p->blocking_status);
	if (p->drift && p->hold == NSF_HOLD_DRIFT) {
		char *got = set_text(&m->obs.ns);

		if (!str_eq(got, m->drift_said)) {
			char *had = set_text(&m->st.nameservers);

			nsf_warn(NSF_SRC_PLAN, m->name, "drift: the registry "
			    "holds %s, not %s as last set; reported, not "
			    "corrected (drift: report)", got, had);
			record(dm, m, "drift", NULL, &m->st.nameservers,
			    &m->obs.ns, p->reason, NULL, NULL, NULL);
			notify(dm, NSF_EVENT_DRIFT, m->name, had, got,
			    p->reason);
			set_str(&m->drift_said, got);
			free(had);
			push_records(dm);
		}
		free(got);
	} else if (!p->drift) {
		set_str(&m->drift_said, NULL);
	}
}

static int
plan_once(struct daemon *dm, struct dom *m, struct nsf_eval *ev)
{
	int rc;

	nsf_eval_deinit(ev);
	nsf_eval_init(ev, m->d);
	/* The eval borrows the cached delegation (moved back after). */
	ev->observed = m->obs;
	ev->has_observed = m->has_obs;
	rc = nsf_engine_plan(dm->e, ev, m->has_st ? &m->st : NULL,
	    nsf_now_ms());
	m->obs = ev->observed;
	nsf_delegation_init(&ev->observed);
	ev->has_observed = false;
	return rc;
}

/* Whether any provider of the domain is judged down. */
static bool
in_trouble(struct daemon *dm, const struct dom *m)
{
	struct nsf_provider_view *v = NULL;
	size_t n = 0, i;
	bool down = false;

	if (nsf_health_views(&v, &n, dm->e->health, m->d,
	    m->has_st ? m->st.active : NULL, NULL, 0) < 0) {
		return false;
	}
	for (i = 0; i < n; i++) {
		down = down || v[i].state == NSF_PSTATE_DOWN;
	}
	free(v);
	return down;
}

static void
evaluate(struct daemon *dm, struct dom *m)
{
	int64_t now = nsf_mono_ms();
	struct nsf_eval ev;
	int64_t decided;

	if (m->st.has_intent) {
		if (m->st.pending && now < m->next_pending) {
			return;
		}
		m->next_pending = now + PENDING_EVERY_MS;
		if (resolve_intent(dm, m, m->st.pending ?
		    "the registry held the change pending" :
		    "an intent without an outcome was found") == UNRESOLVED) {
			return;
		}
	}
	nsf_eval_init(&ev, m->d);
	if (!m->has_obs || now - m->obs_at >= OBSERVE_EVERY_MS) {
		bool urgent = false;

		if (dm->observe_budget == 0) {
			/* Routine reads wait for the next pass; a domain with
			 * a provider down is read at once. */
			urgent = in_trouble(dm, m);
		}
		if (urgent || dm->observe_budget > 0) {
			if (dm->observe_budget > 0) {
				dm->observe_budget--;
			}
			observe(dm, m);
		}
	}
	if (!m->has_obs) {
		nsf_eval_deinit(&ev);
		return;
	}
	decided = nsf_mono_ms();
	if (plan_once(dm, m, &ev) < 0) {
		nsf_eval_deinit(&ev);
		return;
	}
	report_health(m, &ev);
	report_conditions(dm, m, &ev);
	say_decision(m, &ev.plan);
	if (nsf_plan_applies(&ev.plan) && (nsf_mono_ms() >= m->retry_at ||
	    (m->refused_set != NULL &&
	    !str_eq(ev.plan.target, m->refused_set)))) {
		/* A refusal holds back that change only, not another one. */
		/* Act only on a fresh reading of the registry. */
		if (now - m->obs_at > 0) {
			if (observe(dm, m) < 0) {
				nsf_eval_deinit(&ev);
				return;
			}
			decided = nsf_mono_ms();
			if (plan_once(dm, m, &ev) < 0) {
				nsf_eval_deinit(&ev);
				return;
			}
			say_decision(m, &ev.plan);
		}
		if (nsf_plan_applies(&ev.plan)) {
			apply_plan(dm, m, &ev.plan, decided);
		}
	}
	nsf_eval_deinit(&ev);
}

/* ---- the domains ------------------------------------------------------ */

static int
dom_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dom *)a)->name,
	    ((const struct dom *)b)->name);
}

static struct dom *
dom_find(struct dom *v, size_t n, const char *name)
{
	struct dom key;

	key.name = (char *)name;
	return n > 0 ? bsearch(&key, v, n, sizeof(*v), dom_cmp) : NULL;
}

/* (Re)builds the per-domain table for a new policy, keeping what is
 * known about domains that stay. */
static void
doms_rebuild(struct daemon *dm, const struct nsf_policy *pol,
    struct nsf_domain_state *states, size_t nstates, bool all_states)
{
	struct dom *old = dm->doms, *v, *o;
	size_t nold = dm->ndoms, i;
	const struct nsf_domain_state *s;
	int64_t now = nsf_mono_ms();
	bool *moved = nsf_xcalloc(nold ? nold : 1, sizeof(*moved));

	v = nsf_xcalloc(pol->ndomains ? pol->ndomains : 1, sizeof(*v));
	for (i = 0; i < pol->ndomains; i++) {
		const struct nsf_domain *d = &pol->domains[i];

		/* `old` stays sorted and whole while it is searched. */
		o = dom_find(old, nold, d->name);
		if (o != NULL) {
			v[i] = *o;
			moved[o - old] = true;
		} else {
			v[i].name = nsf_xstrdup(d->name);
			nsf_domain_state_init(&v[i].st);
			nsf_delegation_init(&v[i].obs);
			nsf_strv_init(&v[i].verify_want);
			s = nsf_engine_find_state(states, nstates, d->name);
			if (s != NULL) {
				nsf_domain_state_copy(&v[i].st, s);
				v[i].has_st = true;
			} else if (!all_states && dm->e->audit != NULL &&
			    nsf_audit_read_state(dm->e->audit, d->name,
			    &v[i].st) == 0) {
				v[i].has_st = true;
			}
			/* Spread the first probes of a new domain. */
			v[i].next_probe = now;
		}
		v[i].d = d;
	}
	qsort(v, pol->ndomains, sizeof(*v), dom_cmp);
	for (i = 0; i < nold; i++) {
		if (!moved[i]) {
			dom_free_fields(&old[i]);
		}
	}
	free(moved);
	free(old);
	dm->doms = v;
	dm->ndoms = pol->ndomains;
	dm->pol = pol;
}

static bool
domain_kept(const char *domain, void *arg)
{
	struct daemon *dm = arg;

	return dom_find(dm->doms, dm->ndoms, domain) != NULL;
}

static void
refresh_policy(struct daemon *dm, bool first)
{
	const struct nsf_policy *pol;
	bool changed = false;
	const char *rej;
	int64_t t0 = nsf_mono_ms();
	int rc;

	rc = nsf_policy_source_refresh(dm->e->src, false, &changed);
	pol = nsf_engine_policy(dm->e);
	if (changed) {
		/* Connections point into the replaced policy: close them
		 * now, while it is still there. */
		nsf_engine_registries_reset(dm->e);
	}
	if (rc == NSF_EINVAL &&
	    (rej = nsf_policy_source_rejected_commit(dm->e->src)) != NULL &&
	    !str_eq(rej, dm->rejected_said)) {
		nsf_metrics_policy_rejected();
		notify(dm, NSF_EVENT_POLICY_REJECTED, NULL, rej,
		    nsf_engine_policy_commit(dm->e),
		    nsf_policy_source_rejected_error(dm->e->src));
		set_str(&dm->rejected_said, rej);
	}
	if (pol != NULL && (changed || first || pol != dm->pol)) {
		struct nsf_domain_state *states = NULL;
		size_t nstates = 0;
		bool all = false;

		if (first && dm->e->audit != NULL) {
			if (nsf_audit_read_all(dm->e->audit, &states,
			    &nstates) == 0) {
				all = true;
			} else {
				nsf_err(NSF_SRC_AUDIT, NULL, "cannot read the "
				    "state records at once: %s; reading them "
				    "one by one", nsf_error_last());
				states = NULL;
				nstates = 0;
			}
		}
		nsf_engine_sort_states(states, nstates);
		doms_rebuild(dm, pol, states, nstates, all);
		nsf_audit_states_free(states, nstates);
		nsf_metrics_domains_retain(domain_kept, dm);
		nsf_metrics_policy_loaded(nsf_engine_policy_commit(dm->e),
		    (uint64_t)(nsf_mono_ms() - t0), pol->ndomains);
		nsf_notice(NSF_SRC_CONTROL, NULL, "reconciling %zu domain(s) "
		    "under policy commit %.12s", pol->ndomains,
		    nsf_engine_policy_commit(dm->e));
	}
}

/* ---- probing ---------------------------------------------------------- */

static void
probe_due(struct daemon *dm)
{
	int64_t now = nsf_mono_ms();
	struct nsf_strv due;
	struct nsf_round *r = NULL;
	const char *reason = NULL;
	bool frozen;
	size_t i;

	nsf_strv_init(&due);
	for (i = 0; i < dm->ndoms; i++) {
		if (dm->doms[i].next_probe <= now) {
			nsf_strv_push(&due, dm->doms[i].name);
		}
	}
	if (due.n == 0) {
		nsf_strv_deinit(&due);
		return;
	}
	if (nsf_prober_round(dm->e->prober, dm->pol,
	    (const char *const *)due.v, &r) < 0) {
		nsf_err(NSF_SRC_PROBE, NULL, "probe round failed: %s; trying "
		    "again next pass", nsf_error_last());
		for (i = 0; i < dm->ndoms; i++) {
			if (dm->doms[i].next_probe <= now) {
				dm->doms[i].next_probe = now + 1000;
			}
		}
		nsf_strv_deinit(&due);
		return;
	}
	nsf_health_update(dm->e->health, dm->pol, r, nsf_now_ms());
	nsf_engine_round_metrics(r, dm->pol, dm->e->health);
	frozen = nsf_health_frozen(dm->e->health, &reason);
	if (frozen != dm->frozen_said) {
		if (frozen) {
			nsf_warn(NSF_SRC_PROBE, NULL, "health frozen: %s; our "
			    "own network looks broken, so no provider is "
			    "judged and nothing is changed", reason ? reason :
			    "the canaries failed");
		} else {
			nsf_notice(NSF_SRC_PROBE, NULL, "canaries answer "
			    "again (%s); health is judged again",
			    nsf_health_canary_summary(dm->e->health));
		}
		dm->frozen_said = frozen;
	}
	nsf_round_free(r);
	/* A large round's memory goes back to the system, not only to
	 * malloc's free lists: the next round and the tables can reuse it,
	 * and what the daemon holds between rounds stays small. */
	malloc_trim(0);
	if (now >= dm->next_serials &&
	    nsf_engine_serials_save(dm->e, dm->serials_path,
	    &dm->serials_hash)) {
		dm->next_serials = now + SERIALS_EVERY_MS;
	}
	dm->observe_budget = OBSERVE_BUDGET;
	for (i = 0; i < dm->ndoms && !g_stop; i++) {
		struct dom *m = &dm->doms[i];

		if (m->next_probe > now) {
			continue;
		}
		m->next_probe = now + (int64_t)m->d->health.interval_ms;
		evaluate(dm, m);
	}
	nsf_strv_deinit(&due);
}

/* Pending changes and verifications between rounds. */
static void
follow_up(struct daemon *dm)
{
	int64_t now = nsf_mono_ms();
	size_t i;

	for (i = 0; i < dm->ndoms && !g_stop; i++) {
		struct dom *m = &dm->doms[i];

		if (m->st.has_intent && m->st.pending &&
		    now >= m->next_pending) {
			m->next_pending = now + PENDING_EVERY_MS;
			resolve_intent(dm, m, "the registry held the change "
			    "pending");
		}
		verify_step(dm, m, now);
	}
}

static void
keep_sessions(struct daemon *dm)
{
	size_t i;
	struct nsf_strv done;
	bool pending = false;

	if (nsf_mono_ms() < dm->next_poll) {
		return;
	}
	dm->next_poll = nsf_mono_ms() + PENDING_EVERY_MS;
	for (i = 0; i < dm->ndoms && !pending; i++) {
		pending = dm->doms[i].st.pending;
	}
	for (i = 0; i < dm->e->nregs; i++) {
		struct nsf_registry_conn *c = dm->e->regs[i].conn;

		if (c == NULL) {
			continue;
		}
		/* The poll queue tells about pending changes. */
		if (pending && c->ops->poll != NULL) {
			nsf_strv_init(&done);
			c->ops->poll(c, &done);
			nsf_strv_deinit(&done);
		}
		if (c->ops->keepalive != NULL && c->ops->keepalive(c) < 0) {
			nsf_engine_registry_failed(dm->e, dm->e->regs[i].cfg);
		}
	}
}

/* ---- configuration ---------------------------------------------------- */

static void
apply_log_options(const struct daemon *dm)
{
	enum nsf_log_level lvl;

	if (dm->e != NULL && dm->e->cfg != NULL) {
		nsf_config_apply_log(dm->e->cfg);
	}
	if (dm->log_format_opt != NULL) {
		nsf_log_set_format(strcmp(dm->log_format_opt, "json") == 0 ?
		    NSF_LOG_JSON : NSF_LOG_PLAIN);
	}
	if (dm->log_level_opt != NULL &&
	    nsf_log_level_parse(&lvl, dm->log_level_opt) == 0) {
		nsf_log_set_level_all(lvl);
	}
}

static void
start_notify(struct daemon *dm)
{
	if (nsf_config_notify_new(&dm->notify, dm->e->cfg,
	    dm->e->secrets) < 0) {
		nsf_err(NSF_SRC_NOTIFY, NULL, "webhooks not started: %s",
		    nsf_error_last());
		dm->notify = NULL;
	}
}

static void
reload(struct daemon *dm)
{
	struct nsf_config *cfg = NULL;
	struct nsf_secrets *secrets = NULL;
	struct nsf_diags diags;
	struct nsf_buf b;
	const char *old_listen = dm->e->cfg->metrics_listen;

	nsf_diags_init(&diags);
	if (nsf_config_load(&cfg, dm->config_path, &diags) < 0 ||
	    nsf_config_check_files(cfg, &diags, &secrets) > 0) {
		nsf_buf_init(&b);
		nsf_diags_format_text(&diags, &b);
		nsf_err(NSF_SRC_CONTROL, NULL, "SIGHUP: the configuration %s "
		    "has problems, keeping the running one: %s",
		    dm->config_path, b.len ? b.data : nsf_error_last());
		nsf_buf_deinit(&b);
		nsf_config_free(cfg);
		nsf_secrets_free(secrets);
		nsf_diags_deinit(&diags);
		return;
	}
	nsf_diags_deinit(&diags);
	if (strcmp(cfg->repository.url, dm->e->cfg->repository.url) != 0 ||
	    strcmp(cfg->cache_dir, dm->e->cfg->cache_dir) != 0) {
		nsf_warn(NSF_SRC_CONTROL, NULL, "SIGHUP: the repository or "
		    "cache directory changed; that takes a restart");
	}
	nsf_notify_free(dm->notify, 2000);
	dm->notify = NULL;
	if (!str_eq(old_listen, cfg->metrics_listen)) {
		nsf_metrics_stop();
		if (cfg->metrics_listen != NULL &&
		    nsf_metrics_start(cfg->metrics_listen) < 0) {
			nsf_err(NSF_SRC_METRICS, NULL, "cannot serve metrics "
			    "on %s: %s", cfg->metrics_listen,
			    nsf_error_last());
		}
	}
	nsf_metrics_set_domain_series(cfg->metrics_domain_series);
	nsf_secrets_free(dm->e->secrets);
	dm->e->secrets = secrets;
	nsf_config_free(dm->e->cfg);
	dm->e->cfg = cfg;
	nsf_engine_registries_reset(dm->e);
	apply_log_options(dm);
	start_notify(dm);
	nsf_notice(NSF_SRC_CONTROL, NULL, "SIGHUP: configuration and secrets "
	    "reloaded from %s", dm->config_path);
}

/* ---- the command ------------------------------------------------------ */

static int
parse_args(struct daemon *dm, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	enum nsf_log_level lvl;
	int c;

	optind = 1;
	opterr = 0;
	dm->config_path = NSF_CONFIG_DEFAULT_PATH;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			dm->config_path = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "plain") != 0 &&
			    strcmp(optarg, "json") != 0) {
				fprintf(stderr, "nsfailover run: --log-format: "
				    "'%s' is not plain or json\n", optarg);
				return NSF_EINVAL;
			}
			dm->log_format_opt = optarg;
			break;
		case 'l':
			if (nsf_log_level_parse(&lvl, optarg) < 0) {
				fprintf(stderr, "nsfailover run: --log-level: "
				    "'%s' is not error, warning, notice, info "
				    "or debug\n", optarg);
				return NSF_EINVAL;
			}
			dm->log_level_opt = optarg;
			break;
		default:
			fprintf(stderr, "nsfailover run: unknown or incomplete "
			    "option '%s'; see 'nsfailover run --help'\n",
			    argv[optind - 1]);
			return NSF_EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nsfailover run: unexpected argument '%s'\n",
		    argv[optind]);
		return NSF_EINVAL;
	}
	return 0;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static uint64_t
shortest_interval(const struct daemon *dm)
{
	uint64_t best = 10000;
	size_t i;

	for (i = 0; i < dm->ndoms; i++) {
		if (i == 0 || dm->doms[i].d->health.interval_ms < best) {
			best = dm->doms[i].d->health.interval_ms;
		}
	}
	return best;
}

static void
sleep_until_next(const struct daemon *dm, int64_t pass_start)
{
	int64_t until = pass_start + PASS_MAX_MS, now;
	size_t i;

	for (i = 0; i < dm->ndoms; i++) {
		if (dm->doms[i].next_probe < until) {
			until = dm->doms[i].next_probe;
		}
		if (dm->doms[i].verifying &&
		    dm->doms[i].verify_next < until) {
			until = dm->doms[i].verify_next;
		}
	}
	while (!g_stop && !g_reload && (now = nsf_mono_ms()) < until) {
		int64_t step = until - now > 100 ? 100 : until - now;
		struct timespec ts = { 0, (long)step * 1000000L };

		nanosleep(&ts, NULL);
	}
}

int
nsf_cmd_run(int argc, char **argv)
{
	struct daemon dm;
	struct nsf_engine_opts eo;
	struct nsf_diags diags;
	struct nsf_buf b;
	size_t i;
	int status = 1;

	if (nsf_cmd_wants_help(argc, argv, usage_text)) {
		return 0;
	}
	memset(&dm, 0, sizeof(dm));
	if (parse_args(&dm, argc, argv) < 0) {
		return 1;
	}
	apply_log_options(&dm);
	install_signals();
	dm.crash_at = getenv("NSF_TEST_CRASH_AT");
	memset(&eo, 0, sizeof(eo));
	eo.config_path = dm.config_path;
	eo.daemon = true;
	nsf_diags_init(&diags);
	if (nsf_engine_open(&dm.e, &eo, &diags) < 0) {
		nsf_buf_init(&b);
		nsf_diags_format_text(&diags, &b);
		if (b.len > 0) {
		fputs(b.data, stderr);
	}
		nsf_buf_deinit(&b);
		nsf_err(NSF_SRC_CONTROL, NULL, "cannot start: %s",
		    nsf_error_last());
		nsf_diags_deinit(&diags);
		return 1;
	}
	nsf_diags_deinit(&diags);
	apply_log_options(&dm);
	nsf_metrics_set_domain_series(dm.e->cfg->metrics_domain_series);
	if (dm.e->cfg->metrics_listen != NULL &&
	    nsf_metrics_start(dm.e->cfg->metrics_listen) < 0) {
		nsf_err(NSF_SRC_CONTROL, NULL, "cannot serve metrics on %s: "
		    "%s", dm.e->cfg->metrics_listen, nsf_error_last());
		goto out;
	}
	start_notify(&dm);
	nsf_notice(NSF_SRC_CONTROL, NULL, "nsfailover %s started (pid %ld, "
	    "configuration %s)", NSF_VERSION, (long)getpid(),
	    dm.config_path);
	/* Level with the remote's state branch before reading it. */
	if (dm.e->cfg->repository.push && nsf_audit_push(dm.e->audit) < 0) {
		nsf_warn(NSF_SRC_AUDIT, NULL, "cannot reach the state branch's "
		    "remote: %s; going on with the local records",
		    nsf_error_last());
	}
	dm.serials_path = nsf_engine_serials_path(dm.e);
	nsf_engine_serials_load(dm.e, dm.serials_path);
	refresh_policy(&dm, true);
	while (!g_stop) {
		int64_t pass_start = nsf_mono_ms();

		if (g_reload) {
			g_reload = 0;
			reload(&dm);
		}
		refresh_policy(&dm, false);
		if (dm.pol == NULL) {
			sleep_until_next(&dm, pass_start);
			continue;
		}
		probe_due(&dm);
		follow_up(&dm);
		keep_sessions(&dm);
		if (dm.e->cfg->repository.push &&
		    nsf_mono_ms() >= dm.next_push) {
			push_records(&dm);
		}
		nsf_metrics_tick(shortest_interval(&dm));
		sleep_until_next(&dm, pass_start);
	}
	nsf_notice(NSF_SRC_CONTROL, NULL, "stopping on a signal; no change "
	    "is in flight");
	if (dm.e->cfg->repository.push) {
		dm.next_push = 0;
		push_records(&dm);
	}
	status = 0;
out:
	nsf_notify_free(dm.notify, 2000);
	nsf_metrics_stop();
	for (i = 0; i < dm.ndoms; i++) {
		dom_free_fields(&dm.doms[i]);
	}
	free(dm.doms);
	free(dm.rejected_said);
	free(dm.serials_path);
	nsf_engine_free(dm.e);
	return status;
}
