/* plan.c - the planner: from policy, health, registry state and the last
 * record to the desired nameserver set and the smallest change.  Pure:
 * no I/O, no clock, no globals; the same input gives the same plan. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

/* How a group's DNSKEY set stands against the DS the parent publishes. */
enum gds {
	GDS_OK = 0,             /* unsigned zone, or a published DS matches */
	GDS_WITH_DS,            /* matches none, but the policy gives DS */
	GDS_REFUSED,            /* matches none and no DS to add */
};

/* What the planner knows about one group for this pass. */
struct geval {
	const struct nsf_group *g;
	struct nsf_strv ns;     /* its nameservers: lower case, no dot,
				 * sorted, unique */
	enum nsf_pstate state;  /* UP: every provider up; DOWN: any down */
	bool ready;             /* every provider ready */
	int64_t up_since_ms;    /* latest up_since of its providers */
	enum gds ds;
	struct nsf_strv ds_add; /* GDS_WITH_DS: policy DS not yet published */
};

struct pctx {
	const struct nsf_plan_input *in;
	const struct nsf_domain *d;
	struct geval *gv;       /* [0] primary, then backups in order */
	size_t ngv;
	struct nsf_strv observed;       /* normalised */
	struct nsf_strv last_ns;        /* normalised; empty: no record */
	bool has_last;
	bool signed_zone;       /* the parent publishes DS */
	unsigned min_ns;
	unsigned max_ns;
	const struct geval *base;       /* group believed active, or NULL */
	struct nsf_buf why;     /* the decision's clause for the reason */
};

/* Lower case, no trailing dot: the one form names are compared in. */
static char *
norm_name(const char *s)
{
	size_t i, n = strlen(s);
	char *r;

	if (n > 1 && s[n - 1] == '.') {
		n--;
	}
	r = nsf_xstrndup(s, n);
	for (i = 0; i < n; i++) {
		r[i] = (char)tolower((unsigned char)r[i]);
	}
	return r;
}

static void
norm_set(struct nsf_strv *out, char *const *v, size_t n)
{
	size_t i;

	nsf_strv_init(out);
	for (i = 0; i < n; i++) {
		nsf_strv_push_owned(out, norm_name(v[i]));
	}
	nsf_strv_sort_unique(out);
}

static void
group_set(struct nsf_strv *out, const struct nsf_group *g)
{
	size_t i, j;

	nsf_strv_init(out);
	for (i = 0; i < g->nproviders; i++) {
		const struct nsf_provider *pr = g->providers[i];

		for (j = 0; j < pr->nns; j++) {
			nsf_strv_push_owned(out, norm_name(pr->ns[j].name));
		}
	}
	nsf_strv_sort_unique(out);
}

/* a - b into out (initialised by the call); both sorted, normalised. */
static void
set_minus(struct nsf_strv *out, const struct nsf_strv *a,
    const struct nsf_strv *b)
{
	size_t i;

	nsf_strv_init(out);
	for (i = 0; i < a->n; i++) {
		if (!nsf_strv_contains(b, a->v[i])) {
			nsf_strv_push(out, a->v[i]);
		}
	}
}

static const struct nsf_provider_view *
find_view(const struct nsf_plan_input *in, const struct nsf_provider *pr)
{
	size_t i;

	for (i = 0; i < in->nviews; i++) {
		if (in->views[i].provider == pr) {
			return &in->views[i];
		}
	}
	for (i = 0; i < in->nviews; i++) {
		if (in->views[i].provider != NULL &&
		    strcmp(in->views[i].provider->name, pr->name) == 0) {
			return &in->views[i];
		}
	}
	return NULL;
}

static bool
ds_published(const struct nsf_delegation *obs, const struct nsf_ds *ds)
{
	size_t i;

	for (i = 0; i < obs->nds; i++) {
		if (nsf_ds_equal(&obs->ds[i], ds)) {
			return true;
		}
	}
	return false;
}

/* Normalised text of the group's DS that the parent does not publish. */
static int
ds_missing(struct nsf_strv *out, const struct nsf_group *g,
    const struct nsf_delegation *obs)
{
	struct nsf_ds ds;
	size_t i;
	int rc;

	nsf_strv_init(out);
	for (i = 0; i < g->nds; i++) {
		rc = nsf_ds_parse(&ds, g->ds[i]);
		if (rc < 0) {
			nsf_strv_deinit(out);
			return rc;
		}
		if (!ds_published(obs, &ds)) {
			nsf_strv_push_owned(out, nsf_xasprintf("%u %u %u %s",
			    ds.keytag, ds.alg, ds.digest_type, ds.digest));
		}
		nsf_ds_deinit(&ds);
	}
	return 0;
}

static int
eval_dnssec(struct geval *e, const struct pctx *c, bool any_no)
{
	int rc;

	nsf_strv_init(&e->ds_add);
	e->ds = GDS_OK;
	if (!c->signed_zone || !any_no) {
		return 0;
	}
	rc = ds_missing(&e->ds_add, e->g, c->in->observed);
	if (rc < 0) {
		return rc;
	}
	/* DS given but all already published: the keys still match none. */
	e->ds = e->ds_add.n > 0 ? GDS_WITH_DS : GDS_REFUSED;
	return 0;
}

static int
eval_group(struct geval *e, const struct pctx *c, const struct nsf_group *g)
{
	bool any_down = false, all_up = true, any_no = false;
	const struct nsf_provider_view *v;
	size_t i;

	memset(e, 0, sizeof(*e));
	e->g = g;
	e->ready = true;
	for (i = 0; i < g->nproviders; i++) {
		v = find_view(c->in, g->providers[i]);
		if (v == NULL) {
			return nsf_error_set(NSF_EINVAL, "%s: no health view "
			    "for provider %s of group %s", c->d->name,
			    g->providers[i]->name, g->label);
		}
		any_down |= v->state == NSF_PSTATE_DOWN;
		all_up &= v->state == NSF_PSTATE_UP;
		e->ready &= v->ready;
		any_no |= v->dnskey_matches_ds == NSF_TRI_NO;
		if (v->up_since_ms > e->up_since_ms) {
			e->up_since_ms = v->up_since_ms;
		}
	}
	e->state = any_down ? NSF_PSTATE_DOWN :
	    all_up && g->nproviders > 0 ? NSF_PSTATE_UP : NSF_PSTATE_UNKNOWN;
	group_set(&e->ns, g);
	return eval_dnssec(e, c, any_no);
}

static bool
candidate(const struct geval *e)
{
	return e->state == NSF_PSTATE_UP && e->ready && e->ds != GDS_REFUSED &&
	    e->ns.n > 0;
}

static void
ctx_deinit(struct pctx *c)
{
	size_t i;

	for (i = 0; i < c->ngv; i++) {
		nsf_strv_deinit(&c->gv[i].ns);
		nsf_strv_deinit(&c->gv[i].ds_add);
	}
	free(c->gv);
	nsf_strv_deinit(&c->observed);
	nsf_strv_deinit(&c->last_ns);
	nsf_buf_deinit(&c->why);
}

static const struct geval *
group_by_set(const struct pctx *c, const struct nsf_strv *set)
{
	size_t i;

	for (i = 0; i < c->ngv; i++) {
		if (set->n > 0 && nsf_strv_same_set(&c->gv[i].ns, set)) {
			return &c->gv[i];
		}
	}
	return NULL;
}

static const struct geval *
group_by_label(const struct pctx *c, const char *label)
{
	size_t i;

	for (i = 0; label != NULL && i < c->ngv; i++) {
		if (strcmp(c->gv[i].g->label, label) == 0) {
			return &c->gv[i];
		}
	}
	return NULL;
}

/*
 * The group believed active: the one nsfailover last set (by its set, or
 * by its label when the policy changed the set since), else on a first run
 * the one the registry delegates to.
 */
static const struct geval *
find_base(const struct pctx *c)
{
	const struct geval *e;

	if (!c->has_last) {
		return group_by_set(c, &c->observed);
	}
	e = group_by_set(c, &c->last_ns);
	if (e == NULL) {
		e = group_by_label(c, c->in->last->active);
	}
	return e;
}

static int
ctx_init(struct pctx *c, const struct nsf_plan_input *in)
{
	const struct nsf_domain *d = in->domain;
	const struct nsf_domain_state *last = in->last;
	size_t i;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	c->in = in;
	c->d = d;
	nsf_buf_init(&c->why);
	norm_set(&c->observed, in->observed->ns.v, in->observed->ns.n);
	norm_set(&c->last_ns, last != NULL ? last->nameservers.v : NULL,
	    last != NULL ? last->nameservers.n : 0);
	c->has_last = c->last_ns.n > 0;
	c->signed_zone = in->observed->nds > 0;
	c->min_ns = d->registry != NULL && d->registry->min_ns > 0 ?
	    d->registry->min_ns : 1;
	c->max_ns = d->registry != NULL && d->registry->max_ns > 0 ?
	    d->registry->max_ns : 13;
	c->gv = nsf_xcalloc(d->nbackups + 1, sizeof(*c->gv));
	for (i = 0; i < d->nbackups + 1 && rc == 0; i++) {
		rc = eval_group(&c->gv[i], c, i == 0 ? &d->primary :
		    &d->backups[i - 1]);
		c->ngv = i + 1;
	}
	if (rc == 0 && d->mode == NSF_MODE_FAILOVER) {
		c->base = find_base(c);
	}
	return rc;
}

/* ---- evidence for reasons ---------------------------------------- */

static const char *
pstate_word(enum nsf_pstate s)
{
	switch (s) {
	case NSF_PSTATE_UP:
		return "up";
	case NSF_PSTATE_DOWN:
		return "down";
	case NSF_PSTATE_UNKNOWN:
		break;
	}
	return "health unknown";
}

static void
put_evidence(struct nsf_buf *b, const struct nsf_provider_view *v)
{
	if (v->evidence != NULL && v->evidence[0] != '\0') {
		nsf_buf_printf(b, ", %s", v->evidence);
	}
}

/* "provider-a: down, timeout x3" for one provider. */
static void
put_provider(struct nsf_buf *b, const struct nsf_provider_view *v,
    const char *sep)
{
	nsf_buf_printf(b, "%s%s: %s", sep, v->provider->name,
	    pstate_word(v->state));
	if (v->state == NSF_PSTATE_UP && !v->ready) {
		nsf_buf_puts(b, " but not ready");
	}
	put_evidence(b, v);
}

/* Every provider of the group with its state and evidence. */
static void
put_health(struct nsf_buf *b, const struct pctx *c, const struct geval *e)
{
	size_t i;

	for (i = 0; i < e->g->nproviders; i++) {
		put_provider(b, find_view(c->in, e->g->providers[i]),
		    i > 0 ? "; " : "");
	}
}

/* What keeps the group from being a target, provider by provider. */
static void
put_lacks(struct nsf_buf *b, const struct pctx *c, const struct geval *e)
{
	const struct nsf_provider_view *v;
	const char *sep = "";
	size_t i;

	for (i = 0; i < e->g->nproviders; i++) {
		v = find_view(c->in, e->g->providers[i]);
		if (v->state != NSF_PSTATE_UP || !v->ready) {
			put_provider(b, v, sep);
			sep = "; ";
		}
	}
	if (e->ns.n == 0) {
		nsf_buf_printf(b, "%s%s: no nameservers", sep, e->g->label);
	} else if (e->state == NSF_PSTATE_UP && e->ready &&
	    e->ds == GDS_REFUSED) {
		nsf_buf_printf(b, "%s%s: DNSKEY matches no published DS and "
		    "the policy gives none to add", sep, e->g->label);
	}
}

static void
put_time(struct nsf_buf *b, int64_t ms)
{
	char *t = nsf_time_format(ms);

	nsf_buf_puts(b, t);
	free(t);
}

static void
put_duration(struct nsf_buf *b, uint64_t ms)
{
	char *t = nsf_duration_format(ms);

	nsf_buf_puts(b, t);
	free(t);
}

/* ---- failover mode ----------------------------------------------- */

static void
set_target(struct nsf_plan *p, const struct geval *e)
{
	free(p->target);
	p->target = nsf_xstrdup(e->g->label);
	nsf_strv_deinit(&p->desired);
	nsf_strv_copy(&p->desired, &e->ns);
}

/*
 * No group qualifies: say what each lacks.  UNKNOWN_HEALTH when one of
 * them might qualify once probed enough, DNSSEC when keys are all that
 * stands in the way, else NO_CANDIDATE.
 */
static void
no_candidate(struct nsf_plan *p, struct pctx *c, const struct geval *skip)
{
	enum nsf_plan_hold h = NSF_HOLD_NO_CANDIDATE;
	bool any_unknown = false, any_ds = false;
	const char *sep = "";
	size_t i;

	nsf_buf_puts(&c->why, "no group can take over (");
	for (i = 0; i < c->ngv; i++) {
		const struct geval *e = &c->gv[i];

		if (e == skip) {
			continue;
		}
		any_unknown |= e->state == NSF_PSTATE_UNKNOWN;
		any_ds |= e->state == NSF_PSTATE_UP && e->ready &&
		    e->ds == GDS_REFUSED;
		nsf_buf_puts(&c->why, sep);
		put_lacks(&c->why, c, e);
		sep = "; ";
	}
	nsf_buf_puts(&c->why, *sep == '\0' ? "the policy lists no other "
	    "group)" : ")");
	if (any_ds) {
		h = NSF_HOLD_DNSSEC;
	} else if (any_unknown) {
		h = NSF_HOLD_UNKNOWN_HEALTH;
	}
	p->hold = h;
}

/* First candidate in order of preference (primary, then backups). */
static const struct geval *
first_candidate(const struct pctx *c, const struct geval *skip)
{
	size_t i;

	for (i = 0; i < c->ngv; i++) {
		if (&c->gv[i] != skip && candidate(&c->gv[i])) {
			return &c->gv[i];
		}
	}
	return NULL;
}

/* The active group is down: move to the best group that can serve. */
static void
fail_away(struct nsf_plan *p, struct pctx *c, const struct geval *from)
{
	const struct geval *to = first_candidate(c, from);

	nsf_buf_printf(&c->why, "%s failed (", from->g->label);
	put_lacks(&c->why, c, from);
	nsf_buf_puts(&c->why, "); ");
	if (to == NULL) {
		no_candidate(p, c, from);
		return;
	}
	p->action = NSF_ACTION_FAILOVER;
	set_target(p, to);
	nsf_buf_printf(&c->why, "moving to %s, the first healthy and ready "
	    "group in order (", to->g->label);
	put_health(&c->why, c, to);
	nsf_buf_puts(&c->why, ")");
}

/* No record matches a group: go to the best group there is. */
static void
decide_unanchored(struct nsf_plan *p, struct pctx *c)
{
	const struct geval *to = first_candidate(c, NULL);

	if (c->has_last) {
		nsf_buf_puts(&c->why, "what nsfailover last set matches no "
		    "group of the policy now; ");
	}
	if (to == NULL) {
		no_candidate(p, c, NULL);
		return;
	}
	p->action = NSF_ACTION_CONVERGE;
	set_target(p, to);
	nsf_buf_printf(&c->why, "%s is the first healthy and ready group (",
	    to->g->label);
	put_health(&c->why, c, to);
	nsf_buf_puts(&c->why, ")");
}

static void
stay(struct nsf_plan *p, struct pctx *c, const struct geval *e)
{
	set_target(p, e);
	nsf_buf_printf(&c->why, "%s serves and is %s (", e->g->label,
	    e->state == NSF_PSTATE_UP ? "healthy" :
	    "of unknown health, which is not a failure");
	put_health(&c->why, c, e);
	nsf_buf_puts(&c->why, ")");
}

static bool
fingerprint_changed(const struct pctx *c)
{
	const struct nsf_domain_state *last = c->in->last;

	if (last == NULL || last->policy_fingerprint == NULL ||
	    c->in->policy_fingerprint == NULL) {
		return false;
	}
	return strcmp(last->policy_fingerprint,
	    c->in->policy_fingerprint) != 0;
}

/* On a healthy backup with the primary healthy and ready: when to go. */
static void
failback_timing(struct nsf_plan *p, struct pctx *c, const struct geval *pri)
{
	const struct nsf_domain *d = c->d;
	int64_t due = pri->up_since_ms + (int64_t)d->failback.hold_down_ms;

	if (d->failback.mode == NSF_FAILBACK_MANUAL) {
		if (fingerprint_changed(c)) {
			nsf_buf_puts(&c->why, "; failback is manual and the "
			    "domain's policy changed since the failover");
			return;
		}
		p->hold = NSF_HOLD_MANUAL;
		nsf_buf_puts(&c->why, "; failback is manual: it happens on "
		    "the next change to this domain's policy");
		return;
	}
	if (pri->up_since_ms <= 0) {
		/* UP without a time: start the hold-down now, to be safe. */
		due = c->in->now_ms + (int64_t)d->failback.hold_down_ms;
	}
	if (c->in->now_ms < due) {
		p->hold = NSF_HOLD_HOLD_DOWN;
		p->retry_at_ms = due;
		nsf_buf_puts(&c->why, "; up since ");
		if (pri->up_since_ms > 0) {
			put_time(&c->why, pri->up_since_ms);
		} else {
			nsf_buf_puts(&c->why, "an unknown time");
		}
		nsf_buf_puts(&c->why, ", failing back at ");
		put_time(&c->why, due);
		nsf_buf_puts(&c->why, " after the ");
		put_duration(&c->why, d->failback.hold_down_ms);
		nsf_buf_puts(&c->why, " hold-down");
		return;
	}
	nsf_buf_puts(&c->why, "; healthy for longer than the ");
	put_duration(&c->why, d->failback.hold_down_ms);
	nsf_buf_puts(&c->why, " hold-down");
}

/* On a backup that serves: stay, or fail back to the primary. */
static void
decide_on_backup(struct nsf_plan *p, struct pctx *c, const struct geval *b)
{
	const struct geval *pri = &c->gv[0];

	if (pri->state != NSF_PSTATE_UP) {
		stay(p, c, b);
		nsf_buf_printf(&c->why, "; primary %s is not back (",
		    pri->g->label);
		put_lacks(&c->why, c, pri);
		nsf_buf_puts(&c->why, ")");
		return;
	}
	p->action = NSF_ACTION_FAILBACK;
	set_target(p, pri);
	nsf_buf_printf(&c->why, "serving from backup %s; primary %s is "
	    "back (", b->g->label, pri->g->label);
	put_health(&c->why, c, pri);
	nsf_buf_puts(&c->why, ")");
	if (!pri->ready) {
		p->hold = NSF_HOLD_NO_CANDIDATE;
		nsf_buf_puts(&c->why, " but not caught up, so it stays on "
		    "the backup");
		return;
	}
	if (pri->ds == GDS_REFUSED) {
		p->hold = NSF_HOLD_DNSSEC;
		nsf_buf_puts(&c->why, " but its DNSKEY matches no published "
		    "DS and the policy gives none to add");
		return;
	}
	failback_timing(p, c, pri);
}

static void
decide_failover(struct nsf_plan *p, struct pctx *c)
{
	const struct geval *b = c->base;

	if (b == NULL) {
		decide_unanchored(p, c);
	} else if (b->state == NSF_PSTATE_DOWN) {
		fail_away(p, c, b);
	} else if (b == &c->gv[0]) {
		stay(p, c, b);
	} else {
		decide_on_backup(p, c, b);
	}
}

/*
 * `pin` is an explicit instruction: nsfailover never fails away from a
 * pinned group, but it does not move the domain onto a pinned group that
 * cannot serve it (down, unknown, not ready, keys matching no DS).
 */
static void
decide_pin(struct nsf_plan *p, struct pctx *c)
{
	const struct nsf_domain *d = c->d;
	const struct geval *pin = d->pin == &d->primary ? &c->gv[0] :
	    &c->gv[1 + (size_t)(d->pin - d->backups)];
	bool there = nsf_strv_same_set(&pin->ns, &c->observed);

	set_target(p, pin);
	if (!there) {
		p->action = NSF_ACTION_PIN;
	}
	nsf_buf_printf(&c->why, "the policy pins %s (", pin->g->label);
	put_health(&c->why, c, pin);
	nsf_buf_puts(&c->why, ")");
	if (there && pin->state == NSF_PSTATE_DOWN) {
		p->hold = NSF_HOLD_NO_CANDIDATE;
		nsf_buf_puts(&c->why, ", which is down; the pin keeps the "
		    "delegation there: remove the pin to let it fail over");
	} else if (!there && !candidate(pin)) {
		p->hold = pin->state == NSF_PSTATE_UP && pin->ready ?
		    NSF_HOLD_DNSSEC : pin->state == NSF_PSTATE_UNKNOWN ?
		    NSF_HOLD_UNKNOWN_HEALTH : NSF_HOLD_NO_CANDIDATE;
		nsf_buf_puts(&c->why, ", which cannot serve the domain "
		    "yet");
	}
}

/* ---- prune mode --------------------------------------------------- */

struct pprov {
	const struct nsf_provider *pr;
	const struct nsf_provider_view *v;
	struct nsf_strv ns;
	bool in;                /* serves in the set believed active */
	bool serving;           /* the registry delegates to it now */
	bool keep;              /* in the desired set */
	bool due_later;         /* would come back after the hold-down */
	bool ds_ok;
};

static void
provider_set(struct nsf_strv *out, const struct nsf_provider *pr)
{
	size_t i;

	nsf_strv_init(out);
	for (i = 0; i < pr->nns; i++) {
		nsf_strv_push_owned(out, norm_name(pr->ns[i].name));
	}
	nsf_strv_sort_unique(out);
}

static void
prune_free(struct pprov *pv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		nsf_strv_deinit(&pv[i].ns);
	}
	free(pv);
}

/* Every listed provider once, in the order the policy lists them. */
static size_t
prune_providers(struct pprov **out, const struct pctx *c)
{
	struct pprov *pv = NULL;
	size_t n = 0, i, j, k;

	for (i = 0; i < c->ngv; i++) {
		const struct nsf_group *g = c->gv[i].g;

		for (j = 0; j < g->nproviders; j++) {
			for (k = 0; k < n; k++) {
				if (pv[k].pr == g->providers[j]) {
					break;
				}
			}
			if (k < n) {
				continue;
			}
			pv = nsf_xrealloc(pv, (n + 1) * sizeof(*pv));
			memset(&pv[n], 0, sizeof(*pv));
			pv[n].pr = g->providers[j];
			pv[n].v = find_view(c->in, g->providers[j]);
			pv[n].ds_ok = !c->signed_zone ||
			    pv[n].v->dnskey_matches_ds != NSF_TRI_NO;
			provider_set(&pv[n].ns, g->providers[j]);
			n++;
		}
	}
	*out = pv;
	return n;
}

static bool
subset(const struct nsf_strv *a, const struct nsf_strv *b)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (!nsf_strv_contains(b, a->v[i])) {
			return false;
		}
	}
	return a->n > 0;
}

/* The set believed active is a union of listed providers' sets. */
static bool
prune_covers(const struct pprov *pv, size_t n, const struct nsf_strv *set)
{
	struct nsf_strv u;
	size_t i, j;
	bool ok;

	nsf_strv_init(&u);
	for (i = 0; i < n; i++) {
		if (!subset(&pv[i].ns, set)) {
			continue;
		}
		for (j = 0; j < pv[i].ns.n; j++) {
			nsf_strv_push(&u, pv[i].ns.v[j]);
		}
	}
	ok = set->n > 0 && nsf_strv_same_set(&u, set);
	nsf_strv_deinit(&u);
	return ok;
}

/* A provider outside the set comes back after recovery plus hold-down. */
static void
prune_restore(struct pprov *p, struct nsf_plan *plan, struct pctx *c,
    bool *waiting)
{
	int64_t due = p->v->up_since_ms + (int64_t)c->d->failback.hold_down_ms;

	if (p->v->state != NSF_PSTATE_UP || !p->v->ready || !p->ds_ok) {
		return;
	}
	if (c->in->now_ms >= due) {
		p->keep = true;
		return;
	}
	*waiting = true;
	p->due_later = true;
	if (plan->retry_at_ms == 0 || due < plan->retry_at_ms) {
		plan->retry_at_ms = due;
	}
}

static void
prune_why(struct pctx *c, const struct pprov *pv, size_t n)
{
	const char *sep = "";
	size_t i;

	for (i = 0; i < n; i++) {
		const char *what = pv[i].in && !pv[i].keep ? "removed" :
		    !pv[i].in && pv[i].keep ? "added back" :
		    pv[i].keep ? "kept" : pv[i].due_later ?
		    "back after the hold-down" : "left out";

		nsf_buf_printf(&c->why, "%s%s %s: %s", sep, pv[i].pr->name,
		    what, pstate_word(pv[i].v->state));
		if (pv[i].v->state == NSF_PSTATE_UP && !pv[i].v->ready) {
			nsf_buf_puts(&c->why, " but not ready");
		}
		if (!pv[i].ds_ok && !pv[i].keep) {
			nsf_buf_puts(&c->why, ", DNSKEY matches no DS");
		}
		put_evidence(&c->why, pv[i].v);
		sep = "; ";
	}
}

static void
prune_desired(struct nsf_plan *p, const struct pprov *pv, size_t n,
    bool with_due_later)
{
	size_t i, j;

	nsf_strv_deinit(&p->desired);
	for (i = 0; i < n; i++) {
		if (!pv[i].keep && !(with_due_later && pv[i].due_later)) {
			continue;
		}
		for (j = 0; j < pv[i].ns.n; j++) {
			nsf_strv_push(&p->desired, pv[i].ns.v[j]);
		}
	}
	nsf_strv_sort_unique(&p->desired);
}

static void
prune_decide(struct nsf_plan *p, struct pctx *c, struct pprov *pv,
    size_t n)
{
	bool waiting = false, removes = false, adds = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (pv[i].in && pv[i].serving) {
			pv[i].keep = pv[i].v->state != NSF_PSTATE_DOWN;
			removes |= !pv[i].keep;
		} else if (pv[i].in) {
			/* Ours but gone from the registry (drift): it goes
			 * back only if it could be added afresh. */
			pv[i].keep = pv[i].v->state == NSF_PSTATE_UP &&
			    pv[i].v->ready && pv[i].ds_ok;
			removes |= !pv[i].keep;
		} else {
			prune_restore(&pv[i], p, c, &waiting);
			adds |= pv[i].keep;
		}
	}
	prune_desired(p, pv, n, false);
	prune_why(c, pv, n);
	if (p->desired.n == 0) {
		/* Never empty: keep what is there and say why. */
		p->hold = NSF_HOLD_NO_CANDIDATE;
		nsf_buf_puts(&c->why, "; no provider is left to serve, so "
		    "the delegation stays as it is");
		return;
	}
	p->action = removes ? NSF_ACTION_PRUNE : adds ? NSF_ACTION_RESTORE :
	    NSF_ACTION_NONE;
	if (p->action == NSF_ACTION_NONE && waiting) {
		/* Show the restore that the hold-down is waiting for. */
		prune_desired(p, pv, n, true);
		p->action = NSF_ACTION_RESTORE;
		p->hold = NSF_HOLD_HOLD_DOWN;
		nsf_buf_puts(&c->why, "; a recovered provider comes back "
		    "after the hold-down");
	}
}

static void
decide_prune(struct nsf_plan *p, struct pctx *c)
{
	const struct nsf_strv *cur = c->has_last ? &c->last_ns : &c->observed;
	const struct geval *e;
	struct pprov *pv;
	size_t n, i;

	n = prune_providers(&pv, c);
	for (i = 0; i < n; i++) {
		pv[i].in = subset(&pv[i].ns, cur);
		pv[i].serving = subset(&pv[i].ns, &c->observed);
	}
	prune_decide(p, c, pv, n);
	e = group_by_set(c, &p->desired);
	if (e != NULL) {
		p->target = nsf_xstrdup(e->g->label);
	}
	prune_free(pv, n);
}

/* Prune mode's anchor: the observed set is made of listed providers. */
static bool
prune_adoptable(const struct pctx *c)
{
	struct pprov *pv;
	size_t n;
	bool ok;

	n = prune_providers(&pv, c);
	ok = prune_covers(pv, n, &c->observed);
	prune_free(pv, n);
	return ok;
}

/* ---- guards applied to every decision ----------------------------- */

/* Drift: the registry holds something nsfailover neither set nor wants. */
static bool
find_drift(const struct pctx *c, const struct nsf_plan *p)
{
	if (nsf_strv_same_set(&c->observed, &p->desired) &&
	    p->desired.n > 0) {
		return false;
	}
	if (c->has_last) {
		return !nsf_strv_same_set(&c->observed, &c->last_ns);
	}
	if (c->d->mode == NSF_MODE_PRUNE && c->d->pin == NULL) {
		return !prune_adoptable(c);
	}
	return group_by_set(c, &c->observed) == NULL;
}

static void
apply_drift(struct nsf_plan *p, struct pctx *c)
{
	char *obs, *last;

	p->drift = find_drift(c, p);
	if (!p->drift) {
		return;
	}
	obs = nsf_strv_join(&c->observed, ", ");
	last = nsf_strv_join(&c->last_ns, ", ");
	if (p->desired.n > 0 && (p->action == NSF_ACTION_NONE ||
	    p->action == NSF_ACTION_CONVERGE)) {
		p->action = NSF_ACTION_CORRECT_DRIFT;
	}
	if (c->has_last) {
		nsf_buf_printf(&c->why, "; the registry delegates to {%s} but "
		    "nsfailover last set {%s}", obs, last);
	} else {
		nsf_buf_printf(&c->why, "; the registry delegates to {%s}, "
		    "which matches no group of the policy", obs);
	}
	if (c->d->drift == NSF_DRIFT_REPORT && p->hold == NSF_HOLD_NONE) {
		p->hold = NSF_HOLD_DRIFT;
	}
	free(obs);
	free(last);
}

/* A set that changed in the policy: converge onto it if it can serve. */
static void
apply_converge(struct nsf_plan *p, struct pctx *c)
{
	const struct geval *t = group_by_label(c, p->target);

	if (p->action != NSF_ACTION_NONE || p->hold != NSF_HOLD_NONE ||
	    nsf_strv_same_set(&c->observed, &p->desired)) {
		return;
	}
	p->action = NSF_ACTION_CONVERGE;
	nsf_buf_puts(&c->why, "; the policy changed its nameservers");
	if (t != NULL && !candidate(t)) {
		p->hold = t->state == NSF_PSTATE_UNKNOWN ?
		    NSF_HOLD_UNKNOWN_HEALTH : NSF_HOLD_NO_CANDIDATE;
		nsf_buf_puts(&c->why, ", but it cannot serve yet (");
		put_lacks(&c->why, c, t);
		nsf_buf_puts(&c->why, ")");
	}
}

/* Drift correction and convergence must also go to a group that serves. */
static void
check_target(struct nsf_plan *p, struct pctx *c)
{
	const struct geval *t = group_by_label(c, p->target);

	if (p->action != NSF_ACTION_CORRECT_DRIFT || t == NULL ||
	    candidate(t) || p->hold != NSF_HOLD_NONE) {
		return;
	}
	p->hold = t->state == NSF_PSTATE_UNKNOWN ? NSF_HOLD_UNKNOWN_HEALTH :
	    t->ds == GDS_REFUSED && t->state == NSF_PSTATE_UP && t->ready ?
	    NSF_HOLD_DNSSEC : NSF_HOLD_NO_CANDIDATE;
	nsf_buf_printf(&c->why, "; %s cannot serve (", t->g->label);
	put_lacks(&c->why, c, t);
	nsf_buf_puts(&c->why, ")");
}

static void
check_count(struct nsf_plan *p, struct pctx *c)
{
	if (p->action == NSF_ACTION_NONE) {
		return;
	}
	if (p->desired.n >= c->min_ns && p->desired.n <= c->max_ns) {
		return;
	}
	if (p->hold != NSF_HOLD_NONE && p->hold != NSF_HOLD_DRIFT) {
		return;
	}
	p->hold = NSF_HOLD_NS_COUNT;
	nsf_buf_printf(&c->why, "; the new set would have %zu nameserver%s "
	    "where the registry allows %u to %u", p->desired.n,
	    p->desired.n == 1 ? "" : "s", c->min_ns, c->max_ns);
}

/* A move onto keys the parent has no DS for carries the policy's DS. */
static void
attach_ds(struct nsf_plan *p, struct pctx *c)
{
	const struct geval *t = group_by_label(c, p->target);
	size_t i;

	/* Prune mode never adds a provider whose keys match no DS. */
	if (p->action == NSF_ACTION_NONE || t == NULL || t->ds != GDS_WITH_DS ||
	    (c->d->mode == NSF_MODE_PRUNE && c->d->pin == NULL)) {
		return;
	}
	p->ds_change = true;
	nsf_strv_copy(&p->ds_add, &t->ds_add);
	p->ds_add_recs = nsf_xcalloc(t->ds_add.n, sizeof(*p->ds_add_recs));
	for (i = 0; i < t->ds_add.n; i++) {
		/* Normalised by ds_missing, so it parses again. */
		(void)nsf_ds_parse(&p->ds_add_recs[i], t->ds_add.v[i]);
	}
	p->nds_add_recs = t->ds_add.n;
	nsf_buf_printf(&c->why, "; the DNSKEY of %s matches no published DS, "
	    "so the change adds the %zu DS the policy gives for it",
	    t->g->label, t->ds_add.n);
}

static void
check_flap(struct nsf_plan *p, struct pctx *c)
{
	const struct nsf_domain_state *last = c->in->last;
	const struct nsf_flap_cfg *f = &c->d->flap;
	int64_t from = c->in->now_ms - (int64_t)f->window_ms, oldest = 0;
	size_t i, n = 0;

	/* max_changes 0: no budget is kept. */
	if (p->action == NSF_ACTION_NONE || last == NULL ||
	    f->max_changes == 0) {
		return;
	}
	for (i = 0; i < last->nchanges; i++) {
		if (last->changes_ms[i] > from) {
			if (n == 0 || last->changes_ms[i] < oldest) {
				oldest = last->changes_ms[i];
			}
			n++;
		}
	}
	if (n < f->max_changes || p->hold != NSF_HOLD_NONE) {
		return;
	}
	p->hold = NSF_HOLD_FLAP_BUDGET;
	p->retry_at_ms = oldest + (int64_t)f->window_ms;
	nsf_buf_printf(&c->why, "; %zu changes in the last ", n);
	put_duration(&c->why, f->window_ms);
	nsf_buf_puts(&c->why, " use up the flap budget, next change allowed "
	    "at ");
	put_time(&c->why, p->retry_at_ms);
}

/* The holds that are states of the domain, reported even when idle. */
static void
state_holds(struct nsf_plan *p, struct pctx *c)
{
	const struct nsf_domain_state *last = c->in->last;

	if (last != NULL && (last->pending || last->has_intent)) {
		p->hold = NSF_HOLD_PENDING;
	}
	if (c->in->frozen) {
		p->hold = NSF_HOLD_FROZEN;
	}
	if (c->d->suspend) {
		p->hold = NSF_HOLD_SUSPENDED;
	}
}

static void
state_why(struct nsf_buf *b, const struct nsf_plan *p, const struct pctx *c)
{
	const struct nsf_domain_state *last = c->in->last;

	switch (p->hold) {
	case NSF_HOLD_SUSPENDED:
		nsf_buf_puts(b, "suspended by the policy, so nothing is "
		    "changed; ");
		break;
	case NSF_HOLD_FROZEN:
		nsf_buf_printf(b, "frozen: the canaries are down (%s), so "
		    "health is not trusted and nothing is changed; ",
		    c->in->frozen_reason != NULL ? c->in->frozen_reason :
		    "no detail");
		break;
	case NSF_HOLD_PENDING:
		nsf_buf_printf(b, "a change%s%s is still pending at the "
		    "registry and is confirmed first; ",
		    last->has_intent && last->intent.target != NULL ?
		    " to " : "", last->has_intent &&
		    last->intent.target != NULL ? last->intent.target : "");
		break;
	default:
		break;
	}
}

static const char *
action_verb(enum nsf_plan_action a)
{
	switch (a) {
	case NSF_ACTION_FAILOVER:
		return "fail over to";
	case NSF_ACTION_FAILBACK:
		return "fail back to";
	case NSF_ACTION_PRUNE:
		return "prune to";
	case NSF_ACTION_RESTORE:
		return "restore to";
	case NSF_ACTION_CONVERGE:
		return "converge on";
	case NSF_ACTION_PIN:
		return "move to the pinned";
	case NSF_ACTION_CORRECT_DRIFT:
		return "correct the drift back to";
	case NSF_ACTION_NONE:
		break;
	}
	return "keep";
}

static void
finish_reason(struct nsf_plan *p, struct pctx *c)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	state_why(&b, p, c);
	if (p->action != NSF_ACTION_NONE && p->hold == NSF_HOLD_NONE) {
		nsf_buf_printf(&b, "%s %s: ", action_verb(p->action),
		    p->target != NULL ? p->target : "the healthy providers");
	} else if (p->action != NSF_ACTION_NONE) {
		nsf_buf_printf(&b, "would %s %s, held (%s): ",
		    action_verb(p->action),
		    p->target != NULL ? p->target : "the healthy providers",
		    nsf_plan_hold_name(p->hold));
	}
	nsf_buf_put(&b, c->why.data, c->why.len);
	if (p->blocking_status != NULL) {
		nsf_buf_printf(&b, "; registry status %s would block any "
		    "change", p->blocking_status);
	}
	p->reason = nsf_buf_detach(&b);
}

static void
free_ds_array(struct nsf_ds *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		nsf_ds_deinit(&v[i]);
	}
	free(v);
}

static void
clear_ds(struct nsf_plan *p)
{
	p->ds_change = false;
	nsf_strv_deinit(&p->ds_add);
	free_ds_array(p->ds_add_recs, p->nds_add_recs);
	p->ds_add_recs = NULL;
	p->nds_add_recs = 0;
}

static void
finish_sets(struct nsf_plan *p, struct pctx *c)
{
	if (p->action == NSF_ACTION_NONE) {
		nsf_strv_deinit(&p->desired);
		nsf_strv_copy(&p->desired, &c->observed);
		if (c->base != NULL && c->base->g != NULL &&
		    nsf_strv_same_set(&c->base->ns, &c->observed)) {
			free(p->target);
			p->target = nsf_xstrdup(c->base->g->label);
		}
	}
	nsf_strv_sort_unique(&p->desired);
	set_minus(&p->add, &p->desired, &c->observed);
	set_minus(&p->rem, &c->observed, &p->desired);
	if (p->action != NSF_ACTION_NONE && p->add.n == 0 && p->rem.n == 0) {
		/* Nothing to do after all: no hold about it either.  DS
		 * travel only with a move of the delegation. */
		clear_ds(p);
		p->action = NSF_ACTION_NONE;
		p->hold = NSF_HOLD_NONE;
		p->retry_at_ms = 0;
		nsf_buf_puts(&c->why, "; the registry already delegates to "
		    "that set");
	}
}

static void
decide(struct nsf_plan *p, struct pctx *c)
{
	const struct geval *cur = group_by_set(c, &c->observed);

	if (cur != NULL) {
		p->current = nsf_xstrdup(cur->g->label);
	}
	if (c->d->pin != NULL) {
		decide_pin(p, c);
	} else if (c->d->mode == NSF_MODE_PRUNE) {
		decide_prune(p, c);
	} else {
		decide_failover(p, c);
	}
	apply_drift(p, c);
	apply_converge(p, c);
	check_target(p, c);
	finish_sets(p, c);
	check_count(p, c);
	attach_ds(p, c);
	p->blocking_status = nsf_delegation_blocking_status(c->in->observed);
	if (p->action != NSF_ACTION_NONE && p->hold == NSF_HOLD_NONE &&
	    p->blocking_status != NULL) {
		p->hold = NSF_HOLD_BLOCKED;
	}
	check_flap(p, c);
	state_holds(p, c);
	if (p->hold != NSF_HOLD_HOLD_DOWN && p->hold != NSF_HOLD_FLAP_BUDGET &&
	    !(p->hold == NSF_HOLD_NONE && c->d->mode == NSF_MODE_PRUNE)) {
		p->retry_at_ms = 0;
	}
	finish_reason(p, c);
}

static int
check_input(const struct nsf_plan_input *in)
{
	const struct nsf_domain *d = in->domain;

	if (d == NULL || in->observed == NULL) {
		return nsf_error_set(NSF_EINVAL, "plan: no domain or no "
		    "observed delegation given");
	}
	if (d->pin != NULL && d->pin != &d->primary &&
	    (d->pin < d->backups || d->pin >= d->backups + d->nbackups)) {
		return nsf_error_set(NSF_EINVAL, "%s: the pinned group is not "
		    "one of the domain's groups", d->name);
	}
	return 0;
}

int
nsf_plan_compute(struct nsf_plan *out, const struct nsf_plan_input *in)
{
	struct nsf_plan p;
	struct pctx c;
	int rc;

	rc = check_input(in);
	if (rc < 0) {
		return rc;
	}
	rc = ctx_init(&c, in);
	if (rc < 0) {
		goto out;
	}
	nsf_plan_init(&p);
	decide(&p, &c);
	*out = p;
out:
	ctx_deinit(&c);
	return rc;
}

/* ---- the plan object ---------------------------------------------- */

void
nsf_plan_init(struct nsf_plan *p)
{
	memset(p, 0, sizeof(*p));
	nsf_strv_init(&p->desired);
	nsf_strv_init(&p->add);
	nsf_strv_init(&p->rem);
	nsf_strv_init(&p->ds_add);
	nsf_strv_init(&p->ds_rem);
}

void
nsf_plan_deinit(struct nsf_plan *p)
{
	free(p->target);
	free(p->current);
	free(p->reason);
	nsf_strv_deinit(&p->desired);
	nsf_strv_deinit(&p->add);
	nsf_strv_deinit(&p->rem);
	nsf_strv_deinit(&p->ds_add);
	nsf_strv_deinit(&p->ds_rem);
	free_ds_array(p->ds_add_recs, p->nds_add_recs);
	free_ds_array(p->ds_rem_recs, p->nds_rem_recs);
	nsf_plan_init(p);
}

bool
nsf_plan_applies(const struct nsf_plan *p)
{
	return p->action != NSF_ACTION_NONE && p->hold == NSF_HOLD_NONE;
}

const char *
nsf_plan_action_name(enum nsf_plan_action a)
{
	static const char *const names[] = {
		[NSF_ACTION_NONE] = "none",
		[NSF_ACTION_FAILOVER] = "failover",
		[NSF_ACTION_FAILBACK] = "failback",
		[NSF_ACTION_PRUNE] = "prune",
		[NSF_ACTION_RESTORE] = "restore",
		[NSF_ACTION_CONVERGE] = "converge",
		[NSF_ACTION_PIN] = "pin",
		[NSF_ACTION_CORRECT_DRIFT] = "correct-drift",
	};

	if ((size_t)a >= NSF_ARRAY_SIZE(names)) {
		return "invalid";
	}
	return names[a];
}

const char *
nsf_plan_hold_name(enum nsf_plan_hold h)
{
	static const char *const names[] = {
		[NSF_HOLD_NONE] = "none",
		[NSF_HOLD_FROZEN] = "frozen",
		[NSF_HOLD_SUSPENDED] = "suspended",
		[NSF_HOLD_FLAP_BUDGET] = "flap-budget",
		[NSF_HOLD_NO_CANDIDATE] = "no-candidate",
		[NSF_HOLD_BLOCKED] = "blocked",
		[NSF_HOLD_DRIFT] = "drift",
		[NSF_HOLD_HOLD_DOWN] = "hold-down",
		[NSF_HOLD_MANUAL] = "manual",
		[NSF_HOLD_DNSSEC] = "dnssec",
		[NSF_HOLD_NS_COUNT] = "ns-count",
		[NSF_HOLD_PENDING] = "pending",
		[NSF_HOLD_UNKNOWN_HEALTH] = "unknown-health",
	};

	if ((size_t)h >= NSF_ARRAY_SIZE(names)) {
		return "invalid";
	}
	return names[h];
}
