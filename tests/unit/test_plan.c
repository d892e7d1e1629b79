/* test_plan.c - the planner from every side: failover, failback, prune,
 * pin, DNSSEC, drift, guards, and the names it is given in odd forms.
 * Policies are built by hand here so these tests depend on no loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../reconciler/plan.h"

#define NOW 1800000000000LL            /* 2027-01-15, epoch ms */
#define MIN (60 * 1000LL)
#define HOUR (60 * MIN)
#define NPROV 5                         /* providers a b c d e */

/* DS of the zone as the parent publishes it, and a second key's DS. */
#define DS_A "11111 13 2 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define DS_B "22222 13 2 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

struct fx {
	struct nsf_nameserver ns[NPROV][4];
	struct nsf_provider prov[NPROV];
	struct nsf_provider *members[4][NPROV]; /* per group slot */
	struct nsf_group backups[3];
	struct nsf_registry reg;
	struct nsf_domain dom;
	struct nsf_provider_view views[NPROV];
	struct nsf_delegation obs;
	struct nsf_domain_state st;
	int64_t changes[8];
	char *ds_b[1];
	char *shared_ns[NPROV];         /* each ns[1] name as first made */
	struct nsf_plan_input in;
	struct nsf_plan plan;
	struct nsf_strv owned;          /* strings to free at teardown */
};

static char *
own(struct fx *f, char *s)
{
	nsf_strv_push_owned(&f->owned, s);
	return s;
}

static int
prov_index(char name)
{
	return name - 'a';
}

/* Group `slot` (0 primary, 1.. backups) made of providers "a", "a+b". */
static void
fx_group(struct fx *f, struct nsf_group *g, int slot, const char *provs)
{
	size_t n = 0;
	const char *p;

	memset(g, 0, sizeof(*g));
	for (p = provs; *p != '\0'; p++) {
		if (*p != '+') {
			f->members[slot][n++] = &f->prov[prov_index(*p)];
		}
	}
	g->label = own(f, nsf_xstrdup(provs));
	g->providers = f->members[slot];
	g->nproviders = n;
}

static void
fx_provider(struct fx *f, int i)
{
	char name[2] = { (char)('a' + i), '\0' };
	int k;

	f->prov[i].name = own(f, nsf_xstrdup(name));
	f->prov[i].ns = f->ns[i];
	f->prov[i].nns = 2;
	for (k = 0; k < 4; k++) {
		f->ns[i][k].name = own(f, nsf_xasprintf("ns%d.%s.example",
		    k + 1, name));
	}
	f->shared_ns[i] = f->ns[i][1].name;
	f->views[i].provider = &f->prov[i];
	f->views[i].state = NSF_PSTATE_UP;
	f->views[i].up_since_ms = NOW - 24 * HOUR;
	f->views[i].ready = true;
	f->views[i].dnskey_matches_ds = NSF_TRI_UNKNOWN;
	f->views[i].evidence = "2/2 addresses ok";
}

/* Replaces `sv` with the nameservers of the providers named: "a+b". */
static void
fx_set(struct fx *f, struct nsf_strv *sv, const char *provs)
{
	const char *p;
	size_t k;

	nsf_strv_deinit(sv);
	for (p = provs; *p != '\0'; p++) {
		const struct nsf_provider *pr;

		if (*p == '+') {
			continue;
		}
		pr = &f->prov[prov_index(*p)];
		for (k = 0; k < pr->nns; k++) {
			nsf_strv_push(sv, pr->ns[k].name);
		}
	}
	nsf_strv_sort_unique(sv);
}

static void
fx_observe(struct fx *f, const char *provs)
{
	fx_set(f, &f->obs.ns, provs);
}

/* What nsfailover last set: providers and the group label. */
static void
fx_last(struct fx *f, const char *provs, const char *active)
{
	fx_set(f, &f->st.nameservers, provs);
	f->st.active = (char *)active;
}

static void
fx_view(struct fx *f, char prov, enum nsf_pstate s, bool ready,
    const char *evidence)
{
	struct nsf_provider_view *v = &f->views[prov_index(prov)];

	v->state = s;
	v->ready = ready;
	v->evidence = evidence;
	v->up_since_ms = s == NSF_PSTATE_UP ? NOW - 24 * HOUR : 0;
}

static void
fx_publish_ds(struct fx *f, const char *text)
{
	f->obs.ds = nsf_xrealloc(f->obs.ds, (f->obs.nds + 1) *
	    sizeof(*f->obs.ds));
	assert_int_equal(nsf_ds_parse(&f->obs.ds[f->obs.nds], text), 0);
	f->obs.nds++;
}

static int
setup(void **state)
{
	struct fx *f = nsf_xcalloc(1, sizeof(*f));
	int i;

	nsf_strv_init(&f->owned);
	for (i = 0; i < NPROV; i++) {
		fx_provider(f, i);
	}
	f->reg.name = "main";
	f->reg.min_ns = 2;
	f->reg.max_ns = 13;
	f->dom.name = "example.com";
	f->dom.registry = &f->reg;
	fx_group(f, &f->dom.primary, 0, "a");
	fx_group(f, &f->backups[0], 1, "b");
	fx_group(f, &f->backups[1], 2, "c");
	f->dom.backups = f->backups;
	f->dom.nbackups = 2;
	f->dom.failback.hold_down_ms = 15 * MIN;
	f->dom.flap.max_changes = 4;
	f->dom.flap.window_ms = HOUR;
	nsf_delegation_init(&f->obs);
	nsf_strv_push(&f->obs.statuses, "ok");
	fx_observe(f, "a");
	nsf_strv_init(&f->st.nameservers);
	f->st.domain = "example.com";
	fx_last(f, "a", "a");
	f->st.policy_fingerprint = "fp-1";
	f->in.domain = &f->dom;
	f->in.views = f->views;
	f->in.nviews = 3;
	f->in.observed = &f->obs;
	f->in.last = &f->st;
	f->in.policy_fingerprint = "fp-1";
	f->in.now_ms = NOW;
	nsf_plan_init(&f->plan);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	nsf_plan_deinit(&f->plan);
	nsf_delegation_deinit(&f->obs);
	nsf_strv_deinit(&f->st.nameservers);
	nsf_strv_deinit(&f->owned);
	free(f);
	return 0;
}

static void
run(struct fx *f)
{
	nsf_plan_deinit(&f->plan);
	assert_int_equal(nsf_plan_compute(&f->plan, &f->in), 0);
	assert_non_null(f->plan.reason);
	if (getenv("PLAN_DEBUG") != NULL) {
		/* PLAN_DEBUG=1 shows every reason, to read them as a user. */
		fprintf(stderr, "%s/%s: %s\n",
		    nsf_plan_action_name(f->plan.action),
		    nsf_plan_hold_name(f->plan.hold), f->plan.reason);
	}
}

static void
assert_set(const struct nsf_strv *sv, const char *want)
{
	char *got = nsf_strv_join(sv, ",");

	if (strcmp(got, want) != 0) {
		fail_msg("set is {%s}, want {%s}", got, want);
	}
	free(got);
}

static void
assert_reason_has(const struct nsf_plan *p, const char *needle)
{
	if (strstr(p->reason, needle) == NULL) {
		fail_msg("reason lacks '%s': %s", needle, p->reason);
	}
}

static void
assert_plan(const struct nsf_plan *p, enum nsf_plan_action a,
    enum nsf_plan_hold h)
{
	if (p->action != a || p->hold != h) {
		fail_msg("plan is %s/%s, want %s/%s: %s",
		    nsf_plan_action_name(p->action),
		    nsf_plan_hold_name(p->hold), nsf_plan_action_name(a),
		    nsf_plan_hold_name(h), p->reason);
	}
}

#define A_SET "ns1.a.example,ns2.a.example"
#define B_SET "ns1.b.example,ns2.b.example"
#define C_SET "ns1.c.example,ns2.c.example"

/* ---- failover ------------------------------------------------------ */

static void
test_plan_healthy_primary_no_change(void **state)
{
	struct fx *f = *state;

	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
	assert_false(nsf_plan_applies(&f->plan));
	assert_int_equal(f->plan.add.n, 0);
	assert_int_equal(f->plan.rem.n, 0);
	assert_set(&f->plan.desired, A_SET);
	assert_string_equal(f->plan.target, "a");
	assert_string_equal(f->plan.current, "a");
	assert_false(f->plan.drift);
	assert_null(f->plan.blocking_status);
	assert_int_equal(f->plan.retry_at_ms, 0);
	assert_reason_has(&f->plan, "a serves and is healthy");
}

static void
test_plan_primary_down_fails_over_to_first_backup(void **state)
{
	struct fx *f = *state;

	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
	assert_true(nsf_plan_applies(&f->plan));
	assert_string_equal(f->plan.target, "b");
	assert_set(&f->plan.desired, B_SET);
	assert_set(&f->plan.add, B_SET);
	assert_set(&f->plan.rem, A_SET);
	assert_reason_has(&f->plan, "a: down, timeout x3");
	assert_reason_has(&f->plan, "moving to b");
}

static void
test_plan_first_backup_down_goes_to_second(void **state)
{
	struct fx *f = *state;

	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	fx_view(f, 'b', NSF_PSTATE_DOWN, false, "refused");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
	assert_string_equal(f->plan.target, "c");
	assert_set(&f->plan.add, C_SET);
	assert_set(&f->plan.rem, A_SET);
}

static void
test_plan_unready_backup_is_skipped(void **state)
{
	struct fx *f = *state;

	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	fx_view(f, 'b', NSF_PSTATE_UP, false, "serial 41 behind 42");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
	assert_string_equal(f->plan.target, "c");

	/* With no other backup, the stale one is refused outright. */
	f->dom.nbackups = 1;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NO_CANDIDATE);
	assert_int_equal(f->plan.add.n, 0);
	assert_int_equal(f->plan.rem.n, 0);
	assert_set(&f->plan.desired, A_SET);
	assert_reason_has(&f->plan, "b: up but not ready, serial 41 behind 42");
}

static void
test_plan_all_down_changes_nothing(void **state)
{
	struct fx *f = *state;

	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	fx_view(f, 'b', NSF_PSTATE_DOWN, false, "servfail");
	fx_view(f, 'c', NSF_PSTATE_DOWN, false, "refused");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NO_CANDIDATE);
	assert_false(nsf_plan_applies(&f->plan));
	assert_int_equal(f->plan.add.n, 0);
	assert_int_equal(f->plan.rem.n, 0);
	assert_reason_has(&f->plan, "b: down, servfail");
	assert_reason_has(&f->plan, "c: down, refused");
}

static void
test_plan_unknown_health_is_never_a_target(void **state)
{
	struct fx *f = *state;

	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	fx_view(f, 'b', NSF_PSTATE_UNKNOWN, true, "1 round seen");
	run(f);
	assert_string_equal(f->plan.target, "c");

	fx_view(f, 'c', NSF_PSTATE_UNKNOWN, true, "1 round seen");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_UNKNOWN_HEALTH);
	assert_int_equal(f->plan.add.n, 0);
	assert_reason_has(&f->plan, "b: health unknown");
}

static void
test_plan_unknown_primary_is_not_a_failure(void **state)
{
	struct fx *f = *state;

	fx_view(f, 'a', NSF_PSTATE_UNKNOWN, false, NULL);
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
	assert_reason_has(&f->plan, "unknown health");
}

static void
test_plan_multi_provider_group(void **state)
{
	struct fx *f = *state;

	fx_group(f, &f->dom.primary, 0, "a+b");
	f->dom.nbackups = 1;
	fx_group(f, &f->backups[0], 1, "c");
	fx_observe(f, "a+b");
	fx_last(f, "a+b", "a+b");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
	assert_string_equal(f->plan.current, "a+b");

	/* One member down takes the whole group down. */
	fx_view(f, 'b', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
	assert_string_equal(f->plan.target, "c");
	assert_set(&f->plan.add, C_SET);
	assert_set(&f->plan.rem, "ns1.a.example,ns1.b.example,"
	    "ns2.a.example,ns2.b.example");
	assert_reason_has(&f->plan, "b: down, timeout x3");
}

static void
test_plan_shared_nameservers_are_left_alone(void **state)
{
	struct fx *f = *state;

	/* b shares ns2.a.example with a (a secondary both contract). */
	f->prov[1].ns[1].name = f->prov[0].ns[1].name;
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
	assert_set(&f->plan.desired, "ns1.b.example,ns2.a.example");
	assert_set(&f->plan.add, "ns1.b.example");
	assert_set(&f->plan.rem, "ns1.a.example");
}

static void
test_plan_names_case_and_trailing_dot(void **state)
{
	struct fx *f = *state;

	nsf_strv_deinit(&f->obs.ns);
	nsf_strv_push(&f->obs.ns, "NS2.A.Example.");
	nsf_strv_push(&f->obs.ns, "ns1.a.EXAMPLE");
	nsf_strv_deinit(&f->st.nameservers);
	nsf_strv_push(&f->st.nameservers, "ns1.a.example.");
	nsf_strv_push(&f->st.nameservers, "Ns2.A.example");
	f->prov[0].ns[0].name = "NS1.A.EXAMPLE.";
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
	assert_false(f->plan.drift);
	assert_string_equal(f->plan.current, "a");

	/* And a failover names the sets in one form, sorted. */
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	f->prov[1].ns[0].name = "NS1.B.EXAMPLE.";
	run(f);
	assert_set(&f->plan.add, B_SET);
	assert_set(&f->plan.rem, A_SET);
}

/* ---- failback ------------------------------------------------------ */

/* On backup b since a failover; a is up again `up_for` ago. */
static void
fx_on_backup(struct fx *f, int64_t up_for)
{
	fx_observe(f, "b");
	fx_last(f, "b", "b");
	f->views[0].up_since_ms = NOW - up_for;
}

static void
test_plan_failback_waits_for_hold_down(void **state)
{
	struct fx *f = *state;

	fx_on_backup(f, 5 * MIN);
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILBACK, NSF_HOLD_HOLD_DOWN);
	assert_false(nsf_plan_applies(&f->plan));
	assert_int_equal(f->plan.retry_at_ms, NOW + 10 * MIN);
	assert_set(&f->plan.add, A_SET);
	assert_set(&f->plan.rem, B_SET);
	assert_reason_has(&f->plan, "15m hold-down");
}

static void
test_plan_failback_done_by_hand_is_accepted(void **state)
{
	struct fx *f = *state;

	/* Someone failed back at the registry during the hold-down. */
	fx_on_backup(f, 5 * MIN);
	fx_observe(f, "a");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
	assert_false(f->plan.drift);
	assert_int_equal(f->plan.retry_at_ms, 0);
	assert_string_equal(f->plan.target, "a");
}

static void
test_plan_failback_after_hold_down(void **state)
{
	struct fx *f = *state;

	fx_on_backup(f, 15 * MIN);
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILBACK, NSF_HOLD_NONE);
	assert_true(nsf_plan_applies(&f->plan));
	assert_string_equal(f->plan.target, "a");
	assert_string_equal(f->plan.current, "b");
	assert_set(&f->plan.add, A_SET);
	assert_set(&f->plan.rem, B_SET);
	assert_int_equal(f->plan.retry_at_ms, 0);
}

static void
test_plan_failback_waits_for_primary_to_catch_up(void **state)
{
	struct fx *f = *state;

	fx_on_backup(f, 2 * HOUR);
	f->views[0].ready = false;
	f->views[0].evidence = "serial 7 behind 9";
	run(f);
	assert_int_not_equal(f->plan.hold, NSF_HOLD_NONE);
	assert_false(nsf_plan_applies(&f->plan));
	assert_reason_has(&f->plan, "not caught up");
	assert_int_equal(f->plan.retry_at_ms, 0);
}

static void
test_plan_failback_stays_while_primary_down(void **state)
{
	struct fx *f = *state;

	fx_on_backup(f, 0);
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
	assert_string_equal(f->plan.target, "b");
	assert_reason_has(&f->plan, "primary a is not back");
}

static void
test_plan_manual_failback_waits_for_policy_change(void **state)
{
	struct fx *f = *state;

	f->dom.failback.mode = NSF_FAILBACK_MANUAL;
	fx_on_backup(f, 10 * HOUR);
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILBACK, NSF_HOLD_MANUAL);
	assert_int_equal(f->plan.retry_at_ms, 0);

	/* No fingerprint recorded: still waits, never guesses. */
	f->st.policy_fingerprint = NULL;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILBACK, NSF_HOLD_MANUAL);

	f->st.policy_fingerprint = "fp-1";
	f->in.policy_fingerprint = "fp-2";
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILBACK, NSF_HOLD_NONE);
	assert_set(&f->plan.add, A_SET);
}

static void
test_plan_backup_fails_moves_on(void **state)
{
	struct fx *f = *state;

	/* Primary still down: the next healthy backup. */
	fx_on_backup(f, 0);
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	fx_view(f, 'b', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
	assert_string_equal(f->plan.target, "c");
	assert_set(&f->plan.rem, B_SET);

	/* Primary healthy and ready, even inside its hold-down: back. */
	fx_view(f, 'a', NSF_PSTATE_UP, true, NULL);
	f->views[0].up_since_ms = NOW - MIN;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
	assert_string_equal(f->plan.target, "a");
}

/* ---- guards -------------------------------------------------------- */

static void
test_plan_frozen_changes_nothing(void **state)
{
	struct fx *f = *state;

	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	f->in.frozen = true;
	f->in.frozen_reason = "0/2 canaries answer";
	run(f);
	assert_int_equal(f->plan.hold, NSF_HOLD_FROZEN);
	assert_false(nsf_plan_applies(&f->plan));
	assert_reason_has(&f->plan, "0/2 canaries answer");

	/* Frozen shows even when nothing would change. */
	fx_view(f, 'a', NSF_PSTATE_UP, true, NULL);
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_FROZEN);
}

static void
test_plan_suspended_reports_would_be_action(void **state)
{
	struct fx *f = *state;

	f->dom.suspend = true;
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_SUSPENDED);
	assert_false(nsf_plan_applies(&f->plan));
	assert_string_equal(f->plan.target, "b");
	assert_set(&f->plan.add, B_SET);
	assert_reason_has(&f->plan, "suspended");
	assert_reason_has(&f->plan, "would fail over to b");
}

static void
test_plan_flap_budget_holds_until_a_slot_frees(void **state)
{
	struct fx *f = *state;

	f->changes[0] = NOW - 3 * HOUR;         /* outside the window */
	f->changes[1] = NOW - 50 * MIN;
	f->changes[2] = NOW - 40 * MIN;
	f->changes[3] = NOW - 30 * MIN;
	f->st.changes_ms = f->changes;
	f->st.nchanges = 4;
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);

	f->changes[4] = NOW - 10 * MIN;
	f->st.nchanges = 5;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_FLAP_BUDGET);
	assert_int_equal(f->plan.retry_at_ms, NOW + 10 * MIN);
	assert_reason_has(&f->plan, "flap budget");

	/* Once the window slides past the oldest change, it goes. */
	f->in.now_ms = f->plan.retry_at_ms;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
}

static void
test_plan_ns_count_limits(void **state)
{
	struct fx *f = *state;

	f->reg.min_ns = 3;
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NS_COUNT);
	assert_reason_has(&f->plan, "allows 3 to 13");

	f->reg.min_ns = 2;
	f->reg.max_ns = 1;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NS_COUNT);

	/* A group without nameservers is never a target, whatever the
	 * registry's minimum says. */
	f->reg.max_ns = 13;
	f->reg.min_ns = 0;
	f->prov[1].nns = 0;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
	assert_string_equal(f->plan.target, "c");
	f->dom.nbackups = 1;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NO_CANDIDATE);
	assert_int_equal(f->plan.rem.n, 0);
}

static void
test_plan_pending_change_is_confirmed_first(void **state)
{
	struct fx *f = *state;

	f->st.pending = true;
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_int_equal(f->plan.hold, NSF_HOLD_PENDING);
	assert_false(nsf_plan_applies(&f->plan));

	/* An open intent, with the registry already half-way there. */
	f->st.pending = false;
	f->st.has_intent = true;
	f->st.intent.target = "b";
	fx_observe(f, "b");
	run(f);
	assert_int_equal(f->plan.hold, NSF_HOLD_PENDING);
	assert_false(nsf_plan_applies(&f->plan));
	assert_reason_has(&f->plan, "change to b is still pending");
}

static void
test_plan_blocking_status_reported_and_holds(void **state)
{
	struct fx *f = *state;

	nsf_strv_push(&f->obs.statuses, "clientUpdateProhibited");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
	assert_non_null(f->plan.blocking_status);
	assert_string_equal(f->plan.blocking_status,
	    "clientUpdateProhibited");
	assert_reason_has(&f->plan, "clientUpdateProhibited");

	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_BLOCKED);
	assert_false(nsf_plan_applies(&f->plan));
}

/* ---- pin ----------------------------------------------------------- */

static void
test_plan_pin_forces_a_group(void **state)
{
	struct fx *f = *state;

	f->dom.pin = &f->backups[1];
	run(f);
	assert_plan(&f->plan, NSF_ACTION_PIN, NSF_HOLD_NONE);
	assert_string_equal(f->plan.target, "c");
	assert_set(&f->plan.add, C_SET);
	assert_set(&f->plan.rem, A_SET);

	/* Once there, the pin holds even against a healthy primary. */
	fx_observe(f, "c");
	fx_last(f, "c", "c");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
}

static void
test_plan_pin_never_moves_onto_a_dead_group(void **state)
{
	struct fx *f = *state;

	f->dom.pin = &f->backups[0];
	fx_view(f, 'b', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_PIN, NSF_HOLD_NO_CANDIDATE);
	assert_false(nsf_plan_applies(&f->plan));

	fx_view(f, 'b', NSF_PSTATE_UNKNOWN, false, NULL);
	run(f);
	assert_plan(&f->plan, NSF_ACTION_PIN, NSF_HOLD_UNKNOWN_HEALTH);

	/* Already on the pinned group when it dies: stays, says so. */
	fx_view(f, 'b', NSF_PSTATE_DOWN, false, "timeout x3");
	fx_observe(f, "b");
	fx_last(f, "b", "b");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NO_CANDIDATE);
	assert_int_equal(f->plan.rem.n, 0);
	assert_reason_has(&f->plan, "remove the pin");
}

/* ---- DNSSEC -------------------------------------------------------- */

static void
test_plan_dnssec_refuses_unmatched_keys(void **state)
{
	struct fx *f = *state;

	fx_publish_ds(f, DS_A);
	f->views[0].dnskey_matches_ds = NSF_TRI_YES;
	f->views[1].dnskey_matches_ds = NSF_TRI_NO;
	f->views[2].dnskey_matches_ds = NSF_TRI_YES;
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
	assert_string_equal(f->plan.target, "c");
	assert_false(f->plan.ds_change);

	f->views[2].dnskey_matches_ds = NSF_TRI_NO;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_DNSSEC);
	assert_reason_has(&f->plan, "matches no published DS");
}

static void
test_plan_dnssec_change_carries_policy_ds(void **state)
{
	struct fx *f = *state;

	fx_publish_ds(f, DS_A);
	f->views[1].dnskey_matches_ds = NSF_TRI_NO;
	f->ds_b[0] = DS_B;
	f->backups[0].ds = f->ds_b;
	f->backups[0].nds = 1;
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
	assert_string_equal(f->plan.target, "b");
	assert_true(f->plan.ds_change);
	assert_int_equal(f->plan.ds_add.n, 1);
	assert_string_equal(f->plan.ds_add.v[0], "22222 13 2 "
	    "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
	assert_int_equal(f->plan.nds_add_recs, 1);
	assert_int_equal(f->plan.ds_add_recs[0].keytag, 22222);
	assert_int_equal(f->plan.ds_rem.n, 0);

	/* The policy's DS already published yet keys match none: refuse. */
	fx_publish_ds(f, DS_B);
	run(f);
	assert_string_equal(f->plan.target, "c");
	assert_false(f->plan.ds_change);
}

static void
test_plan_dnssec_ignored_for_unsigned_zone(void **state)
{
	struct fx *f = *state;

	f->views[1].dnskey_matches_ds = NSF_TRI_NO;
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILOVER, NSF_HOLD_NONE);
	assert_string_equal(f->plan.target, "b");
	assert_false(f->plan.ds_change);
}

/* ---- drift and first run ------------------------------------------ */

static void
test_plan_drift_reported_not_corrected(void **state)
{
	struct fx *f = *state;

	nsf_strv_push(&f->obs.ns, "ns9.elsewhere.example");
	nsf_strv_sort_unique(&f->obs.ns);
	run(f);
	assert_true(f->plan.drift);
	assert_plan(&f->plan, NSF_ACTION_CORRECT_DRIFT, NSF_HOLD_DRIFT);
	assert_false(nsf_plan_applies(&f->plan));
	assert_set(&f->plan.rem, "ns9.elsewhere.example");
	assert_int_equal(f->plan.add.n, 0);
	assert_reason_has(&f->plan, "nsfailover last set");
}

static void
test_plan_drift_corrected_when_policy_says(void **state)
{
	struct fx *f = *state;

	f->dom.drift = NSF_DRIFT_CORRECT;
	fx_observe(f, "c");     /* someone moved it to c by hand */
	run(f);
	assert_true(f->plan.drift);
	assert_plan(&f->plan, NSF_ACTION_CORRECT_DRIFT, NSF_HOLD_NONE);
	assert_true(nsf_plan_applies(&f->plan));
	assert_set(&f->plan.add, A_SET);
	assert_set(&f->plan.rem, C_SET);
}

static void
test_plan_manual_change_we_would_make_is_adopted(void **state)
{
	struct fx *f = *state;

	/* a is down and an operator already moved the domain to b. */
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	fx_observe(f, "b");
	run(f);
	assert_false(f->plan.drift);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
	assert_reason_has(&f->plan, "already delegates");
}

static void
test_plan_first_run_adopts_a_listed_group(void **state)
{
	struct fx *f = *state;

	f->in.last = NULL;
	fx_observe(f, "a");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
	assert_false(f->plan.drift);

	/* On a backup with the primary down: adopted as it is. */
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	fx_observe(f, "c");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
	assert_false(f->plan.drift);
	assert_string_equal(f->plan.current, "c");
}

static void
test_plan_first_run_unlisted_set_is_drift(void **state)
{
	struct fx *f = *state;

	f->in.last = NULL;
	nsf_strv_deinit(&f->obs.ns);
	nsf_strv_push(&f->obs.ns, "ns1.old-host.example");
	nsf_strv_push(&f->obs.ns, "ns2.old-host.example");
	run(f);
	assert_true(f->plan.drift);
	assert_null(f->plan.current);
	assert_plan(&f->plan, NSF_ACTION_CORRECT_DRIFT, NSF_HOLD_DRIFT);
	assert_set(&f->plan.add, A_SET);
	assert_reason_has(&f->plan, "matches no group");
}

static void
test_plan_policy_change_converges(void **state)
{
	struct fx *f = *state;

	/* The policy gave provider a a third nameserver. */
	f->prov[0].nns = 3;
	run(f);
	assert_false(f->plan.drift);
	assert_plan(&f->plan, NSF_ACTION_CONVERGE, NSF_HOLD_NONE);
	assert_set(&f->plan.add, "ns3.a.example");
	assert_int_equal(f->plan.rem.n, 0);

	/* Not before the grown group has been probed. */
	fx_view(f, 'a', NSF_PSTATE_UNKNOWN, true, NULL);
	run(f);
	assert_plan(&f->plan, NSF_ACTION_CONVERGE, NSF_HOLD_UNKNOWN_HEALTH);
	fx_view(f, 'a', NSF_PSTATE_UP, true, NULL);

	/* A new primary: the old one still listed as a backup. */
	f->prov[0].nns = 2;
	fx_group(f, &f->dom.primary, 0, "c");
	fx_group(f, &f->backups[1], 2, "a");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_FAILBACK, NSF_HOLD_NONE);
	assert_set(&f->plan.add, C_SET);
	assert_set(&f->plan.rem, A_SET);
}

/* ---- prune --------------------------------------------------------- */

static void
fx_prune(struct fx *f)
{
	f->dom.mode = NSF_MODE_PRUNE;
	fx_group(f, &f->dom.primary, 0, "a+b+c");
	f->dom.nbackups = 0;
	fx_observe(f, "a+b+c");
	fx_last(f, "a+b+c", "a+b+c");
}

static void
test_plan_prune_removes_failed_provider(void **state)
{
	struct fx *f = *state;

	fx_prune(f);
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);

	fx_view(f, 'b', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_PRUNE, NSF_HOLD_NONE);
	assert_set(&f->plan.rem, B_SET);
	assert_int_equal(f->plan.add.n, 0);
	assert_set(&f->plan.desired, "ns1.a.example,ns1.c.example,"
	    "ns2.a.example,ns2.c.example");
	assert_null(f->plan.target);
	assert_reason_has(&f->plan, "b removed");

	/* Unknown is not down: kept. */
	fx_view(f, 'b', NSF_PSTATE_UNKNOWN, false, NULL);
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
}

static void
test_plan_prune_never_empties(void **state)
{
	struct fx *f = *state;

	fx_prune(f);
	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	fx_view(f, 'b', NSF_PSTATE_DOWN, false, "timeout x3");
	fx_view(f, 'c', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NO_CANDIDATE);
	assert_int_equal(f->plan.rem.n, 0);
	assert_set(&f->plan.desired, "ns1.a.example,ns1.b.example,"
	    "ns1.c.example,ns2.a.example,ns2.b.example,ns2.c.example");

	/* One left with a single nameserver: below the registry minimum. */
	fx_view(f, 'c', NSF_PSTATE_UP, true, NULL);
	f->prov[2].nns = 1;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_PRUNE, NSF_HOLD_NS_COUNT);
}

static void
test_plan_prune_restores_after_hold_down(void **state)
{
	struct fx *f = *state;

	fx_prune(f);
	fx_observe(f, "a+c");
	fx_last(f, "a+c", NULL);
	f->views[1].up_since_ms = NOW - 5 * MIN;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_RESTORE, NSF_HOLD_HOLD_DOWN);
	assert_int_equal(f->plan.retry_at_ms, NOW + 10 * MIN);
	assert_set(&f->plan.add, B_SET);
	assert_int_equal(f->plan.rem.n, 0);

	f->in.now_ms = NOW + 10 * MIN;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_RESTORE, NSF_HOLD_NONE);
	assert_set(&f->plan.add, B_SET);
	assert_int_equal(f->plan.rem.n, 0);

	/* Up but not ready is not added back. */
	f->views[1].ready = false;
	run(f);
	assert_plan(&f->plan, NSF_ACTION_NONE, NSF_HOLD_NONE);
}

/* ---- inputs and determinism --------------------------------------- */

static void
test_plan_missing_view_is_invalid(void **state)
{
	struct fx *f = *state;
	struct nsf_plan p;

	f->in.nviews = 2;       /* c has none */
	nsf_plan_init(&p);
	assert_int_equal(nsf_plan_compute(&p, &f->in), NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "provider c"));
	nsf_plan_deinit(&p);
}

static void
test_plan_is_deterministic(void **state)
{
	struct fx *f = *state;
	struct nsf_provider_view tmp;
	char *first;

	fx_view(f, 'a', NSF_PSTATE_DOWN, false, "timeout x3");
	run(f);
	first = nsf_xstrdup(f->plan.reason);
	/* Views in another order, names in another order. */
	tmp = f->views[0];
	f->views[0] = f->views[2];
	f->views[2] = tmp;
	nsf_strv_deinit(&f->obs.ns);
	nsf_strv_push(&f->obs.ns, "ns2.a.example");
	nsf_strv_push(&f->obs.ns, "ns1.a.example");
	run(f);
	assert_string_equal(f->plan.reason, first);
	assert_set(&f->plan.add, B_SET);
	free(first);
}

static void
test_plan_names(void **state)
{
	(void)state;
	assert_string_equal(nsf_plan_action_name(NSF_ACTION_CORRECT_DRIFT),
	    "correct-drift");
	assert_string_equal(nsf_plan_hold_name(NSF_HOLD_UNKNOWN_HEALTH),
	    "unknown-health");
	assert_string_equal(nsf_plan_hold_name((enum nsf_plan_hold)99),
	    "invalid");
}


/* ---- invariants over random inputs --------------------------------- */

static uint64_t rng_state;

static unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng_state >> 33) % n;
}

static const char *const random_sets[] = {
	"a", "b", "c", "a+b", "a+b+c", "b+c", "a+c", "d", "",
};

static void
fx_randomize(struct fx *f)
{
	static const enum nsf_pstate states[] = {
		NSF_PSTATE_UP, NSF_PSTATE_UP, NSF_PSTATE_DOWN,
		NSF_PSTATE_UNKNOWN,
	};
	static const enum nsf_tri tris[] = {
		NSF_TRI_UNKNOWN, NSF_TRI_YES, NSF_TRI_NO,
	};
	int i;

	for (i = 0; i < 3; i++) {
		f->prov[i].nns = 1 + rnd(3);
		f->prov[i].ns[1].name = f->shared_ns[i];
		f->views[i].state = states[rnd(4)];
		f->views[i].ready = rnd(4) != 0;
		f->views[i].up_since_ms = f->views[i].state == NSF_PSTATE_UP ?
		    NOW - (int64_t)rnd(120) * MIN : 0;
		f->views[i].dnskey_matches_ds = tris[rnd(3)];
	}
	f->dom.mode = rnd(3) == 0 ? NSF_MODE_PRUNE : NSF_MODE_FAILOVER;
	f->dom.failback.mode = rnd(3) == 0 ? NSF_FAILBACK_MANUAL :
	    NSF_FAILBACK_AUTO;
	f->dom.drift = rnd(2) ? NSF_DRIFT_CORRECT : NSF_DRIFT_REPORT;
	f->dom.suspend = rnd(10) == 0;
	f->dom.pin = rnd(8) == 0 ? &f->backups[rnd(2)] : NULL;
	f->reg.min_ns = 1 + rnd(3);
	f->reg.max_ns = rnd(8) == 0 ? 3 : 13;
	f->in.frozen = rnd(10) == 0;
	f->in.policy_fingerprint = rnd(2) ? "fp-1" : "fp-2";
	f->st.pending = rnd(10) == 0;
	f->st.nchanges = rnd(6);
	for (i = 0; i < (int)f->st.nchanges; i++) {
		f->changes[i] = NOW - (int64_t)rnd(90) * MIN;
	}
	f->st.changes_ms = f->changes;
	if (rnd(8) == 0) {
		/* b shares its second nameserver with a. */
		f->prov[1].ns[1].name = f->prov[0].ns[1].name;
	}
	f->in.last = rnd(4) == 0 ? NULL : &f->st;
	fx_last(f, random_sets[rnd(NSF_ARRAY_SIZE(random_sets))], NULL);
	fx_observe(f, random_sets[rnd(NSF_ARRAY_SIZE(random_sets))]);
	if (rnd(10) == 0) {
		nsf_strv_push(&f->obs.statuses, "serverUpdateProhibited");
	}
	if (f->obs.nds == 0 && rnd(3) == 0) {
		fx_publish_ds(f, DS_A);
	}
	f->ds_b[0] = DS_B;
	f->backups[0].ds = rnd(2) ? f->ds_b : NULL;
	f->backups[0].nds = f->backups[0].ds != NULL;
}

/* A provider that lists `name` can serve: up, ready, keys matching. */
static bool
name_served(const struct fx *f, const struct nsf_plan *p, const char *name)
{
	size_t i, j;

	for (i = 0; i < 3; i++) {
		const struct nsf_provider_view *v = &f->views[i];
		bool keys = f->obs.nds == 0 || p->ds_change ||
		    v->dnskey_matches_ds != NSF_TRI_NO;

		for (j = 0; j < f->prov[i].nns; j++) {
			if (nsf_name_cmp(f->prov[i].ns[j].name, name) == 0 &&
			    v->state == NSF_PSTATE_UP && v->ready && keys) {
				return true;
			}
		}
	}
	return false;
}

/* Everything the change adds is served by a provider that can serve. */
static void
check_target_serves(const struct fx *f, const struct nsf_plan *p)
{
	size_t i;

	for (i = 0; i < p->add.n; i++) {
		if (!name_served(f, p, p->add.v[i])) {
			fail_msg("adds %s, which no healthy, ready provider "
			    "serves (b %d/%d/%d, nds %zu, ds_change %d): %s",
			    p->add.v[i], f->views[1].state, f->views[1].ready,
			    f->views[1].dnskey_matches_ds, f->obs.nds,
			    p->ds_change, p->reason);
		}
	}
}

static void
check_flap_budget(const struct fx *f)
{
	size_t i, n = 0;

	if (f->in.last == NULL) {
		return;
	}
	for (i = 0; i < f->st.nchanges; i++) {
		n += f->changes[i] > NOW - HOUR;
	}
	assert_true(n < f->dom.flap.max_changes);
}

static void
check_invariants(const struct fx *f, const struct nsf_plan *p)
{
	size_t i;

	for (i = 0; i < p->add.n; i++) {
		assert_true(nsf_strv_contains(&p->desired, p->add.v[i]));
		assert_false(nsf_strv_contains(&p->rem, p->add.v[i]));
		assert_false(nsf_strv_contains(&f->obs.ns, p->add.v[i]));
	}
	for (i = 0; i < p->rem.n; i++) {
		assert_false(nsf_strv_contains(&p->desired, p->rem.v[i]));
		assert_true(nsf_strv_contains(&f->obs.ns, p->rem.v[i]));
	}
	if (p->action == NSF_ACTION_NONE) {
		assert_int_equal(p->add.n + p->rem.n, 0);
	}
	if (!nsf_plan_applies(p)) {
		return;
	}
	if (p->add.n + p->rem.n == 0) {
		fail_msg("applies without a change: %s", p->reason);
	}
	assert_true(p->desired.n >= f->reg.min_ns);
	assert_true(p->desired.n <= f->reg.max_ns);
	assert_false(f->in.frozen);
	assert_false(f->dom.suspend);
	assert_false(f->in.last != NULL && f->st.pending);
	assert_null(p->blocking_status);
	assert_false(p->drift && f->dom.drift == NSF_DRIFT_REPORT);
	check_target_serves(f, p);
	check_flap_budget(f);
}

static void
test_plan_invariants_hold_for_random_inputs(void **state)
{
	struct fx *f = *state;
	struct nsf_plan again;
	unsigned round;

	/* Fixed for CI; NSF_TEST_SEED explores other inputs. */
	rng_state = getenv("NSF_TEST_SEED") != NULL ?
	    strtoull(getenv("NSF_TEST_SEED"), NULL, 10) : 20261204;
	for (round = 0; round < 20000; round++) {
		nsf_delegation_deinit(&f->obs);
		nsf_delegation_init(&f->obs);
		fx_randomize(f);
		run(f);
		check_invariants(f, &f->plan);
		nsf_plan_init(&again);
		assert_int_equal(nsf_plan_compute(&again, &f->in), 0);
		assert_string_equal(again.reason, f->plan.reason);
		nsf_plan_deinit(&again);
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_plan_healthy_primary_no_change),
		T(test_plan_primary_down_fails_over_to_first_backup),
		T(test_plan_first_backup_down_goes_to_second),
		T(test_plan_unready_backup_is_skipped),
		T(test_plan_all_down_changes_nothing),
		T(test_plan_unknown_health_is_never_a_target),
		T(test_plan_unknown_primary_is_not_a_failure),
		T(test_plan_multi_provider_group),
		T(test_plan_shared_nameservers_are_left_alone),
		T(test_plan_names_case_and_trailing_dot),
		T(test_plan_failback_waits_for_hold_down),
		T(test_plan_failback_done_by_hand_is_accepted),
		T(test_plan_failback_after_hold_down),
		T(test_plan_failback_waits_for_primary_to_catch_up),
		T(test_plan_failback_stays_while_primary_down),
		T(test_plan_manual_failback_waits_for_policy_change),
		T(test_plan_backup_fails_moves_on),
		T(test_plan_frozen_changes_nothing),
		T(test_plan_suspended_reports_would_be_action),
		T(test_plan_flap_budget_holds_until_a_slot_frees),
		T(test_plan_ns_count_limits),
		T(test_plan_pending_change_is_confirmed_first),
		T(test_plan_blocking_status_reported_and_holds),
		T(test_plan_pin_forces_a_group),
		T(test_plan_pin_never_moves_onto_a_dead_group),
		T(test_plan_dnssec_refuses_unmatched_keys),
		T(test_plan_dnssec_change_carries_policy_ds),
		T(test_plan_dnssec_ignored_for_unsigned_zone),
		T(test_plan_drift_reported_not_corrected),
		T(test_plan_drift_corrected_when_policy_says),
		T(test_plan_manual_change_we_would_make_is_adopted),
		T(test_plan_first_run_adopts_a_listed_group),
		T(test_plan_first_run_unlisted_set_is_drift),
		T(test_plan_policy_change_converges),
		T(test_plan_prune_removes_failed_provider),
		T(test_plan_prune_never_empties),
		T(test_plan_prune_restores_after_hold_down),
		T(test_plan_missing_view_is_invalid),
		T(test_plan_is_deterministic),
		T(test_plan_names),
		T(test_plan_invariants_hold_for_random_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
