/* plan.h - the planner: a pure function from (policy, health, registry
 * state, last record) to the smallest nameserver change and its reason. */
#ifndef NSF_PLAN_H
#define NSF_PLAN_H

#include "nsf.h"
#include "state.h"
#include "../schema/policy.h"
#include "../providers/registry.h"

enum nsf_pstate {
	NSF_PSTATE_UNKNOWN = 0, /* not enough rounds seen yet */
	NSF_PSTATE_UP,
	NSF_PSTATE_DOWN,
};

enum nsf_tri {
	NSF_TRI_UNKNOWN = 0,
	NSF_TRI_YES,
	NSF_TRI_NO,
};

/* What the health layer concluded about one provider for one domain. */
struct nsf_provider_view {
	const struct nsf_provider *provider;
	enum nsf_pstate state;
	int64_t up_since_ms;    /* when it last became UP; 0 if not UP */
	/* Ready to serve this domain instead of the active group (serial not
	 * behind, or the named records match, or readiness "none"). */
	bool ready;
	/* Its DNSKEY set matches a DS the parent publishes.  UNKNOWN for an
	 * unsigned zone or when the DNSKEY could not be read. */
	enum nsf_tri dnskey_matches_ds;
	const char *evidence;   /* "2/2 addresses ok", "timeout x3", ... */
};

struct nsf_plan_input {
	const struct nsf_domain *domain;
	const struct nsf_provider_view *views;  /* one per provider the
						 * domain lists */
	size_t nviews;
	bool frozen;            /* canaries failed: our network is broken */
	const char *frozen_reason;
	const struct nsf_delegation *observed;  /* live state at registry */
	const struct nsf_domain_state *last;    /* NULL: no record yet */
	const char *policy_fingerprint; /* nsf_domain_fingerprint now */
	int64_t now_ms;
};

enum nsf_plan_action {
	NSF_ACTION_NONE = 0,    /* the registry already holds what we want */
	NSF_ACTION_FAILOVER,    /* away from a failed group */
	NSF_ACTION_FAILBACK,    /* back to the primary after the hold-down */
	NSF_ACTION_PRUNE,       /* prune mode: drop failed providers */
	NSF_ACTION_RESTORE,     /* prune mode: add recovered providers back */
	NSF_ACTION_CONVERGE,    /* the policy changed what it wants */
	NSF_ACTION_PIN,         /* `pin` forces a group */
	NSF_ACTION_CORRECT_DRIFT,       /* undo a change made behind our back */
};

/* Why nothing is applied although something is not as wanted. */
enum nsf_plan_hold {
	NSF_HOLD_NONE = 0,
	NSF_HOLD_FROZEN,        /* canaries down: our own network */
	NSF_HOLD_SUSPENDED,     /* policy says suspend */
	NSF_HOLD_FLAP_BUDGET,   /* too many changes in the window */
	NSF_HOLD_NO_CANDIDATE,  /* no healthy and ready group to move to */
	NSF_HOLD_BLOCKED,       /* a registry status prohibits updates */
	NSF_HOLD_DRIFT,         /* drift found; policy says report only */
	NSF_HOLD_HOLD_DOWN,     /* primary back, waiting out the hold-down */
	NSF_HOLD_MANUAL,        /* failback is manual */
	NSF_HOLD_DNSSEC,        /* target's DNSKEY matches no published DS */
	NSF_HOLD_NS_COUNT,      /* result would break the registry's limits */
	NSF_HOLD_PENDING,       /* a change is still pending at the registry */
	NSF_HOLD_UNKNOWN_HEALTH,        /* not enough probe rounds yet */
};

struct nsf_plan {
	enum nsf_plan_action action;
	enum nsf_plan_hold hold;
	char *target;           /* label of the group wanted; NULL in prune
				 * mode when it is a mix */
	struct nsf_strv desired;        /* the NS set wanted */
	struct nsf_strv add;    /* desired - observed */
	struct nsf_strv rem;    /* observed - desired */
	bool drift;             /* registry differs from what we last set */
	bool ds_change;         /* the change carries a DS update */
	struct nsf_strv ds_add; /* DS text to add ("keytag alg type hex") */
	struct nsf_strv ds_rem;
	const char *blocking_status;    /* registry status that would stop a
					 * change; reported even when idle */
	char *reason;           /* one sentence with the evidence */
	int64_t retry_at_ms;    /* when the answer may change by time alone
				 * (hold-down or flap window end); 0 none */
	char *current;          /* label of the group the registry delegates
				 * to now; NULL when it matches none */
	/* ds_add parsed, ready for struct nsf_change (same order). */
	struct nsf_ds *ds_add_recs;
	size_t nds_add_recs;
	struct nsf_ds *ds_rem_recs;
	size_t nds_rem_recs;
};

/*
 * Reading a plan: `action` is the change wanted (or NONE); `hold` says why
 * it is not applied now.  A hold can come without an action (NO_CANDIDATE:
 * the active group is down and nothing can take over) and the state holds
 * (SUSPENDED, FROZEN, PENDING) are reported even when nothing is wanted.
 * add/rem/desired always describe the wanted change, held or not.
 */

void nsf_plan_init(struct nsf_plan *p);
void nsf_plan_deinit(struct nsf_plan *p);
/* Never fails on valid input; returns NSF_EINVAL on inconsistent input
 * (a view missing for a listed provider). */
int nsf_plan_compute(struct nsf_plan *out, const struct nsf_plan_input *in);
const char *nsf_plan_action_name(enum nsf_plan_action a);
const char *nsf_plan_hold_name(enum nsf_plan_hold h);
/* True when the daemon should apply the plan now: a change is wanted and
 * nothing holds it. */
bool nsf_plan_applies(const struct nsf_plan *p);

#endif
