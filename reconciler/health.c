/* health.c - turns probe rounds into verdicts: state machines, readiness,
 * DNSSEC agreement and the canary freeze. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "health.h"
#include "log.h"

#define MAX_PROVIDERS 64        /* per domain; the policy allows fewer */

/* Reachable from unit tests through NSF_STATIC. */
NSF_STATIC char *health_rrset_text(const ldns_rr_list *rrset);

/* ---- the state machine ------------------------------------------------ */

void
nsf_hsm_init(struct nsf_hsm *m)
{
	memset(m, 0, sizeof(*m));
	m->state = NSF_PSTATE_UNKNOWN;
}

static void
hsm_enter(struct nsf_hsm *m, enum nsf_pstate s, int64_t now_ms)
{
	m->state = s;
	m->changed_ms = now_ms;
	m->up_since_ms = s == NSF_PSTATE_UP ? now_ms : 0;
	m->good_run = 0;
	m->bad_run = 0;
}

bool
nsf_hsm_step(struct nsf_hsm *m, bool good, unsigned fail_after,
    unsigned recover_after, int64_t now_ms)
{
	unsigned f = fail_after ? fail_after : 1;
	unsigned rec = recover_after ? recover_after : 1;

	if (good) {
		m->good_run++;
		m->bad_run = 0;
	} else {
		m->bad_run++;
		m->good_run = 0;
	}
	switch (m->state) {
	case NSF_PSTATE_UNKNOWN:
		if (m->good_run >= f) {
			hsm_enter(m, NSF_PSTATE_UP, now_ms);
			return true;
		}
		break;
	case NSF_PSTATE_UP:
		break;
	case NSF_PSTATE_DOWN:
		if (m->good_run >= rec) {
			hsm_enter(m, NSF_PSTATE_UP, now_ms);
			return true;
		}
		return false;
	}
	if (m->bad_run >= f) {
		hsm_enter(m, NSF_PSTATE_DOWN, now_ms);
		return true;
	}
	return false;
}

const char *
nsf_pstate_name(enum nsf_pstate s)
{
	switch (s) {
	case NSF_PSTATE_UP:
		return "up";
	case NSF_PSTATE_DOWN:
		return "down";
	default:
		return "unknown";
	}
}

/* ---- serial numbers (RFC 1982) ---------------------------------------- */

int
nsf_serial_cmp(uint32_t a, uint32_t b)
{
	uint32_t d = b - a;     /* distance from a forward to b, mod 2^32 */

	if (d == 0) {
		return 0;
	}
	if (d == 0x80000000u) {
		return 2;
	}
	return d < 0x80000000u ? -1 : 1;
}

bool
nsf_serial_not_behind(uint32_t candidate, uint32_t reference)
{
	int c = nsf_serial_cmp(candidate, reference);

	return c == 0 || c == 1;
}

/* ---- one address ------------------------------------------------------ */

static bool
domain_lists_ns(const struct nsf_domain *d, const char *name)
{
	size_t g, k, n;

	for (g = 0; g <= d->nbackups; g++) {
		const struct nsf_group *grp = g == 0 ? &d->primary :
		    &d->backups[g - 1];

		for (k = 0; k < grp->nproviders; k++) {
			const struct nsf_provider *pv = grp->providers[k];

			for (n = 0; n < pv->nns; n++) {
				if (nsf_name_cmp(pv->ns[n].name, name) == 0) {
					return true;
				}
			}
		}
	}
	return false;
}

void
nsf_ns_rrset_names(struct nsf_strv *out, const ldns_rr_list *rrset)
{
	size_t i;

	nsf_strv_init(out);
	for (i = 0; rrset != NULL && i < ldns_rr_list_rr_count(rrset); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
		char *s, *c;
		size_t len;

		if (ldns_rr_rd_count(rr) < 1) {
			continue;
		}
		s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		if (s == NULL) {
			continue;
		}
		len = strlen(s);
		if (len > 1 && s[len - 1] == '.') {
			s[len - 1] = '\0';
		}
		for (c = s; *c; c++) {
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		}
		nsf_strv_push_owned(out, s);
	}
}

/* Checks the apex NS set; writes what is wrong into `why`. */
static bool
ns_set_ok(const struct nsf_probe_obs *o, const struct nsf_domain *d,
    const struct nsf_provider *pv, char *why, size_t whylen)
{
	struct nsf_strv names;
	size_t i;
	bool ok = true;

	nsf_ns_rrset_names(&names, o->nsq.rrset);
	for (i = 0; ok && i < pv->nns; i++) {
		if (!nsf_strv_contains(&names, pv->ns[i].name)) {
			snprintf(why, whylen, "wrong NS set: %s missing",
			    pv->ns[i].name);
			ok = false;
		}
	}
	for (i = 0; ok && i < names.n; i++) {
		if (!domain_lists_ns(d, names.v[i])) {
			snprintf(why, whylen, "wrong NS set: %s is no "
			    "provider's", names.v[i]);
			ok = false;
		}
	}
	nsf_strv_deinit(&names);
	return ok;
}

static void
answer_why(char *why, size_t whylen, const char *what,
    const struct nsf_probe_answer *a)
{
	if (a->tries > 1) {
		snprintf(why, whylen, "%s%s x%u", what,
		    nsf_probe_result_name(a->result), a->tries);
	} else {
		snprintf(why, whylen, "%s%s", what,
		    nsf_probe_result_name(a->result));
	}
}

bool
nsf_health_addr_ok(const struct nsf_probe_obs *o,
    const struct nsf_domain *d, const struct nsf_provider *pv,
    char *why, size_t whylen)
{
	if (o->soa.result != NSF_PROBE_OK) {
		answer_why(why, whylen, "", &o->soa);
		return false;
	}
	if (o->nsq.result == NSF_PROBE_NONE) {
		return true;
	}
	if (o->nsq.result != NSF_PROBE_OK) {
		answer_why(why, whylen, "NS query ", &o->nsq);
		return false;
	}
	return ns_set_ok(o, d, pv, why, whylen);
}

/* ---- DNSSEC ----------------------------------------------------------- */

static bool
key_has_ds(const ldns_rr *key, const struct nsf_ds *ds)
{
	ldns_rr *made;
	char *hex;
	bool same;

	if (ldns_rr_get_type(key) != LDNS_RR_TYPE_DNSKEY ||
	    ldns_rr_rd_count(key) < 4 ||
	    ldns_rdf2native_int8(ldns_rr_rdf(key, 2)) != ds->alg ||
	    ldns_calc_keytag(key) != ds->keytag) {
		return false;
	}
	made = ldns_key_rr2ds(key, (ldns_hash)ds->digest_type);
	if (made == NULL || ldns_rr_rd_count(made) < 4) {
		ldns_rr_free(made);
		return false;
	}
	hex = ldns_rdf2str(ldns_rr_rdf(made, 3));
	same = hex != NULL && strcasecmp(hex, ds->digest) == 0;
	free(hex);
	ldns_rr_free(made);
	return same;
}

enum nsf_tri
nsf_health_dnskey_matches_ds(const ldns_rr_list *keys,
    const struct nsf_ds *ds, size_t nds)
{
	size_t i, k;

	if (keys == NULL || nds == 0) {
		return NSF_TRI_UNKNOWN;
	}
	for (i = 0; i < ldns_rr_list_rr_count(keys); i++) {
		for (k = 0; k < nds; k++) {
			if (key_has_ds(ldns_rr_list_rr(keys, i), &ds[k])) {
				return NSF_TRI_YES;
			}
		}
	}
	return NSF_TRI_NO;
}

/* ---- remembered state per (domain, provider) -------------------------- */

struct entry {
	char *domain;           /* key, with provider */
	char *provider;
	struct nsf_hsm m;
	unsigned ok, total;     /* healthy / probed addresses, last round */
	bool good;              /* the last round met the quorum */
	char *evidence;         /* health evidence of the last round */
	bool has_serial;        /* serials of its healthy addresses, last */
	uint32_t min_serial;    /* round: the laggard and the leader */
	uint32_t max_serial;
	bool has_good;          /* serial of its last good round */
	uint32_t good_serial;
	bool dnskey_read;       /* a healthy address answered DNSKEY */
	ldns_rr_list *dnskey;   /* NULL: none published */
	bool rec_read;          /* every healthy address agreed on the
				 * readiness records */
	struct nsf_strv rec;    /* one text per rrspec, last round */
	struct nsf_strv good_rec;       /* from its last good round */
	char *view_evidence;    /* what the last view pointed at */
};

struct nsf_health {
	struct entry *e;
	size_t n, cap;
	uint32_t *hash;         /* entry index + 1; 0 empty */
	size_t hcap;
	bool frozen;
	char *frozen_reason;
	char *canary_summary;
};

int
nsf_health_new(struct nsf_health **out)
{
	struct nsf_health *h = nsf_xcalloc(1, sizeof(*h));

	h->canary_summary = nsf_xstrdup("no round yet");
	*out = h;
	return 0;
}

static void
entry_deinit(struct entry *e)
{
	free(e->domain);
	free(e->provider);
	free(e->evidence);
	free(e->view_evidence);
	if (e->dnskey != NULL) {
		ldns_rr_list_deep_free(e->dnskey);
	}
	nsf_strv_deinit(&e->rec);
	nsf_strv_deinit(&e->good_rec);
}

void
nsf_health_free(struct nsf_health *h)
{
	size_t i;

	if (h == NULL) {
		return;
	}
	for (i = 0; i < h->n; i++) {
		entry_deinit(&h->e[i]);
	}
	free(h->e);
	free(h->hash);
	free(h->frozen_reason);
	free(h->canary_summary);
	free(h);
}

static uint32_t
key_hash(const char *domain, const char *provider)
{
	uint32_t x = 2166136261u;

	for (; *domain; domain++) {
		x = (x ^ (uint8_t)(*domain | 0x20)) * 16777619u;
	}
	x = (x ^ 0xff) * 16777619u;
	for (; *provider; provider++) {
		x = (x ^ (uint8_t)*provider) * 16777619u;
	}
	return x;
}

static void
rehash(struct nsf_health *h)
{
	size_t i, j;

	free(h->hash);
	h->hcap = h->hcap ? 2 * h->hcap : 256;
	h->hash = nsf_xcalloc(h->hcap, sizeof(*h->hash));
	for (i = 0; i < h->n; i++) {
		j = key_hash(h->e[i].domain, h->e[i].provider) & (h->hcap - 1);
		while (h->hash[j] != 0) {
			j = (j + 1) & (h->hcap - 1);
		}
		h->hash[j] = (uint32_t)i + 1;
	}
}

static struct entry *
entry_find(const struct nsf_health *h, const char *domain,
    const char *provider)
{
	size_t j;

	if (h->hcap == 0) {
		return NULL;
	}
	j = key_hash(domain, provider) & (h->hcap - 1);
	while (h->hash[j] != 0) {
		struct entry *e = &h->e[h->hash[j] - 1];

		if (nsf_name_cmp(e->domain, domain) == 0 &&
		    strcmp(e->provider, provider) == 0) {
			return e;
		}
		j = (j + 1) & (h->hcap - 1);
	}
	return NULL;
}

static struct entry *
entry_get(struct nsf_health *h, const char *domain, const char *provider)
{
	struct entry *e = entry_find(h, domain, provider);

	if (e != NULL) {
		return e;
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->e = nsf_xrealloc(h->e, h->cap * sizeof(*h->e));
	}
	e = &h->e[h->n++];
	memset(e, 0, sizeof(*e));
	e->domain = nsf_xstrdup(domain);
	e->provider = nsf_xstrdup(provider);
	nsf_hsm_init(&e->m);
	nsf_strv_init(&e->rec);
	nsf_strv_init(&e->good_rec);
	if (2 * h->n > h->hcap) {
		rehash(h);
	} else {
		size_t j = key_hash(domain, provider) & (h->hcap - 1);

		while (h->hash[j] != 0) {
			j = (j + 1) & (h->hcap - 1);
		}
		h->hash[j] = (uint32_t)h->n;
	}
	return e;
}

/* The distinct providers a domain lists: primary first, then backups. */
static size_t
domain_providers(const struct nsf_provider **out, size_t max,
    const struct nsf_domain *d)
{
	size_t n = 0, g, k, i;

	for (g = 0; g <= d->nbackups; g++) {
		const struct nsf_group *grp = g == 0 ? &d->primary :
		    &d->backups[g - 1];

		for (k = 0; k < grp->nproviders; k++) {
			for (i = 0; i < n && out[i] != grp->providers[k]; i++) {
				;
			}
			if (i == n && n < max) {
				out[n++] = grp->providers[k];
			}
		}
	}
	return n;
}

/* ---- judging one round ------------------------------------------------ */

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An RRset as comparable text: each record's rdata, sorted, one a line
 * (owner and TTL left out: a TTL change is not a content change). */
NSF_STATIC char *
health_rrset_text(const ldns_rr_list *rrset)
{
	struct nsf_strv lines;
	struct nsf_buf b;
	size_t i, k;
	char *out;

	nsf_strv_init(&lines);
	for (i = 0; rrset != NULL && i < ldns_rr_list_rr_count(rrset); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);

		nsf_buf_init(&b);
		for (k = 0; k < ldns_rr_rd_count(rr); k++) {
			char *s = ldns_rdf2str(ldns_rr_rdf(rr, k));

			nsf_buf_printf(&b, "%s%s", k ? " " : "", s ? s : "?");
			free(s);
		}
		nsf_strv_push_owned(&lines, nsf_buf_detach(&b));
	}
	if (lines.n > 0) {
		qsort(lines.v, lines.n, sizeof(*lines.v), str_cmp);
	}
	out = nsf_strv_join(&lines, "\n");
	nsf_strv_deinit(&lines);
	return out;
}

/* Serial order under RFC 1982; an undefined pair keeps the first. */
static uint32_t
serial_max(uint32_t a, uint32_t b)
{
	return nsf_serial_cmp(a, b) == -1 ? b : a;
}

static uint32_t
serial_min(uint32_t a, uint32_t b)
{
	return nsf_serial_cmp(a, b) == 1 ? b : a;
}

/* Takes serial, DNSKEY and records from one healthy address. */
static void
absorb_healthy(struct entry *e, const struct nsf_probe_obs *o, bool first)
{
	size_t i;

	if (o->has_serial) {
		e->min_serial = e->has_serial ?
		    serial_min(e->min_serial, o->serial) : o->serial;
		e->max_serial = e->has_serial ?
		    serial_max(e->max_serial, o->serial) : o->serial;
		e->has_serial = true;
	}
	if (!e->dnskey_read && o->dnskey.result == NSF_PROBE_OK) {
		e->dnskey_read = true;
		e->dnskey = o->dnskey.rrset != NULL ?
		    ldns_rr_list_clone(o->dnskey.rrset) : NULL;
	}
	for (i = 0; i < o->nrecords; i++) {
		char *t = o->records[i].result == NSF_PROBE_OK ?
		    health_rrset_text(o->records[i].rrset) : NULL;

		if (t == NULL) {
			e->rec_read = false;
		} else if (first) {
			nsf_strv_push_owned(&e->rec, t);
			continue;
		} else if (i >= e->rec.n || strcmp(e->rec.v[i], t) != 0) {
			e->rec_read = false;
		}
		free(t);
	}
	if (first && e->rec.n != o->nrecords) {
		e->rec_read = false;
	}
}

static void
entry_reset_round(struct entry *e)
{
	e->ok = e->total = 0;
	e->has_serial = false;
	e->dnskey_read = false;
	if (e->dnskey != NULL) {
		ldns_rr_list_deep_free(e->dnskey);
	}
	e->dnskey = NULL;
	e->rec_read = true;
	nsf_strv_deinit(&e->rec);
	nsf_strv_init(&e->rec);
}

/* Judges one provider's addresses; builds the evidence text. */
static void
judge_provider(struct entry *e, const struct nsf_domain *d,
    const struct nsf_provider *pv, const struct nsf_probe_obs *obs,
    size_t nobs)
{
	struct nsf_buf bad;
	unsigned listed = 0;
	char why[160];
	size_t i;

	entry_reset_round(e);
	nsf_buf_init(&bad);
	for (i = 0; i < nobs; i++) {
		const struct nsf_probe_obs *o = &obs[i];

		if (strcmp(o->provider, pv->name) != 0) {
			continue;
		}
		e->total++;
		if (nsf_health_addr_ok(o, d, pv, why, sizeof(why))) {
			absorb_healthy(e, o, e->ok == 0);
			e->ok++;
		} else if (listed++ < 3) {
			nsf_buf_printf(&bad, "%s%s %s %s",
			    bad.len ? ", " : ": ", o->ns, o->addr, why);
		}
	}
	if (e->ok == 0) {
		e->rec_read = false;
	}
	if (listed > 3) {
		nsf_buf_printf(&bad, ", +%u more", listed - 3);
	}
	free(e->evidence);
	e->evidence = nsf_xasprintf("%u/%u addresses ok%s", e->ok, e->total,
	    bad.len ? bad.data : "");
	nsf_buf_deinit(&bad);
}

static bool
round_good(const struct entry *e, const struct nsf_domain *d)
{
	unsigned need = d->health.quorum ? d->health.quorum :
	    e->total / 2 + 1;

	if (need > e->total) {
		need = e->total;
	}
	return e->total > 0 && e->ok >= need;
}

static void
step_entry(struct entry *e, const struct nsf_domain *d, bool good,
    int64_t now_ms)
{
	enum nsf_pstate was = e->m.state;

	if (good) {
		if (e->has_serial) {
			e->has_good = true;
			e->good_serial = e->max_serial;
		}
		if (e->rec_read && e->rec.n > 0) {
			nsf_strv_deinit(&e->good_rec);
			nsf_strv_copy(&e->good_rec, &e->rec);
		}
	}
	if (!nsf_hsm_step(&e->m, good, d->health.fail_after,
	    d->health.recover_after, now_ms)) {
		return;
	}
	if (e->m.state == NSF_PSTATE_DOWN) {
		nsf_warn(NSF_SRC_PROBE, d->name, "provider %s is down (was "
		    "%s): %s; the planner moves away from it if the policy "
		    "allows",
		    e->provider, nsf_pstate_name(was), e->evidence);
	} else {
		nsf_notice(NSF_SRC_PROBE, d->name, "provider %s is %s (was "
		    "%s): %s", e->provider, nsf_pstate_name(e->m.state),
		    nsf_pstate_name(was), e->evidence);
	}
}

static void
update_domain(struct nsf_health *h, const struct nsf_domain *d,
    const struct nsf_round *r, int64_t now_ms)
{
	const struct nsf_provider *pv[MAX_PROVIDERS];
	const struct nsf_probe_obs *obs;
	size_t nobs, npv, i;

	if (nsf_round_domain(&obs, &nobs, r, d->name) < 0) {
		return;         /* not in this round */
	}
	npv = domain_providers(pv, NSF_ARRAY_SIZE(pv), d);
	for (i = 0; i < npv; i++) {
		struct entry *e = entry_get(h, d->name, pv[i]->name);

		judge_provider(e, d, pv[i], obs, nobs);
		e->good = round_good(e, d);
		if (!h->frozen) {
			step_entry(e, d, e->good, now_ms);
		}
	}
}

/* Judges the canaries: too few answers means our own network is broken,
 * and then no round says anything about the providers. */
static void
judge_canaries(struct nsf_health *h, const struct nsf_policy *pol,
    const struct nsf_round *r)
{
	size_t n = nsf_round_ncanaries(r), ok = 0, i;
	unsigned need = pol->canary_min_ok ? pol->canary_min_ok : 1;
	struct nsf_buf bad;
	bool was = h->frozen;

	free(h->canary_summary);
	free(h->frozen_reason);
	h->frozen_reason = NULL;
	if (n == 0) {
		h->frozen = false;
		h->canary_summary = nsf_xstrdup("no canaries configured");
		return;
	}
	need = need > n ? (unsigned)n : need;
	nsf_buf_init(&bad);
	for (i = 0; i < n; i++) {
		const struct nsf_canary_obs *c = nsf_round_canary(r, i);

		if (c->ans.result == NSF_PROBE_OK) {
			ok++;
			continue;
		}
		nsf_buf_printf(&bad, "%s%s %s", bad.len ? ", " : ": ",
		    c->canary->server.host,
		    nsf_probe_result_name(c->ans.result));
	}
	h->frozen = ok < need;
	h->canary_summary = nsf_xasprintf("%zu/%zu canaries answered (need "
	    "%u)%s", ok, n, need, bad.len ? bad.data : "");
	nsf_buf_deinit(&bad);
	if (h->frozen) {
		h->frozen_reason = nsf_xasprintf("our own network looks "
		    "broken: %s", h->canary_summary);
	}
	if (h->frozen && !was) {
		nsf_warn(NSF_SRC_PROBE, NULL, "%s; health is frozen, no "
		    "provider changes state until canaries answer",
		    h->frozen_reason);
	} else if (!h->frozen && was) {
		nsf_notice(NSF_SRC_PROBE, NULL, "canaries answer again (%s); "
		    "health verdicts resume", h->canary_summary);
	}
}

void
nsf_health_update(struct nsf_health *h, const struct nsf_policy *pol,
    const struct nsf_round *r, int64_t now_ms)
{
	size_t i;

	judge_canaries(h, pol, r);
	for (i = 0; i < pol->ndomains; i++) {
		update_domain(h, &pol->domains[i], r, now_ms);
	}
}

int
nsf_health_round_verdict(bool *good, const char **evidence,
    const struct nsf_health *h, const char *domain, const char *provider)
{
	const struct entry *e = entry_find(h, domain,
	    provider);

	if (e == NULL || e->evidence == NULL) {
		return NSF_ENOTFOUND;
	}
	*good = e->good;
	*evidence = e->evidence;
	return 0;
}

bool
nsf_health_frozen(const struct nsf_health *h, const char **reason)
{
	if (reason != NULL) {
		*reason = h->frozen_reason;
	}
	return h->frozen;
}

const char *
nsf_health_canary_summary(const struct nsf_health *h)
{
	return h->canary_summary;
}

/* ---- views for the planner -------------------------------------------- */

static const struct nsf_group *
find_group(const struct nsf_domain *d, const char *label)
{
	size_t i;

	if (label == NULL) {
		return &d->primary;
	}
	if (strcmp(d->primary.label, label) == 0) {
		return &d->primary;
	}
	for (i = 0; i < d->nbackups; i++) {
		if (strcmp(d->backups[i].label, label) == 0) {
			return &d->backups[i];
		}
	}
	return &d->primary;
}

bool
nsf_health_good_serial(const struct nsf_health *h, const char *domain,
    const char *provider, uint32_t *out)
{
	const struct entry *e = entry_find(h, domain, provider);

	if (e == NULL || !e->has_good) {
		return false;
	}
	*out = e->good_serial;
	return true;
}

void
nsf_health_seed_serial(struct nsf_health *h, const char *domain,
    const char *provider, uint32_t serial)
{
	struct entry *e = entry_get(h, domain, provider);

	if (!e->has_good || nsf_serial_cmp(serial, e->good_serial) == 1) {
		e->has_good = true;
		e->good_serial = serial;
	}
}

/* The active group's serial: the newest any member serves now, else the
 * newest of its last good rounds. */
static bool
reference_serial(uint32_t *out, struct nsf_health *h,
    const struct nsf_domain *d, const struct nsf_group *g)
{
	bool now = false, old = false;
	uint32_t best = 0, last = 0;
	size_t i;

	for (i = 0; i < g->nproviders; i++) {
		const struct entry *a = entry_find(h, d->name,
		    g->providers[i]->name);

		if (a != NULL && a->has_serial) {
			best = now ? serial_max(best, a->max_serial) :
			    a->max_serial;
			now = true;
		} else if (a != NULL && a->has_good) {
			last = old ? serial_max(last, a->good_serial) :
			    a->good_serial;
			old = true;
		}
	}
	if (now || old) {
		*out = now ? best : last;
		return true;
	}
	return false;
}

static bool
ready_serial(struct nsf_health *h, const struct nsf_domain *d,
    const struct nsf_group *g, const struct entry *e, struct nsf_buf *why)
{
	uint32_t ref;

	if (!reference_serial(&ref, h, d, g)) {
		nsf_buf_printf(why, "; ready: serial of %s never seen",
		    g->label);
		return true;
	}
	if (!e->has_serial) {
		nsf_buf_puts(why, "; not ready: no serial read");
		return false;
	}
	if (!nsf_serial_not_behind(e->min_serial, ref)) {
		nsf_buf_printf(why, "; not ready: serial %u behind %s's %u",
		    e->min_serial, g->label, ref);
		return false;
	}
	return true;
}

/* The active group's text for record i: now, else its last good round. */
static const char *
reference_record(struct nsf_health *h, const struct nsf_domain *d,
    const struct nsf_group *g, size_t i)
{
	const char *old = NULL;
	size_t k;

	for (k = 0; k < g->nproviders; k++) {
		const struct entry *a = entry_find(h, d->name,
		    g->providers[k]->name);

		if (a != NULL && a->rec_read && i < a->rec.n) {
			return a->rec.v[i];
		}
		if (a != NULL && old == NULL && i < a->good_rec.n) {
			old = a->good_rec.v[i];
		}
	}
	return old;
}

static bool
ready_records(struct nsf_health *h, const struct nsf_domain *d,
    const struct nsf_group *g, const struct entry *e, struct nsf_buf *why)
{
	size_t i;

	for (i = 0; i < d->readiness.nrecords; i++) {
		const struct nsf_rrspec *rs = &d->readiness.records[i];
		const char *ref = reference_record(h, d, g, i);
		char *type = ldns_rr_type2str(rs->type);

		if (ref != NULL && (!e->rec_read || i >= e->rec.n ||
		    strcmp(e->rec.v[i], ref) != 0)) {
			nsf_buf_printf(why, "; not ready: %s %s %s", rs->name,
			    type ? type : "?", e->rec_read ? "differs from "
			    "the active group" : "not read consistently");
			free(type);
			return false;
		}
		free(type);
	}
	return true;
}

static void
fill_view(struct nsf_provider_view *v, struct nsf_health *h,
    const struct nsf_domain *d, const struct nsf_group *g,
    struct entry *e, const struct nsf_ds *ds, size_t nds)
{
	struct nsf_buf why;
	ldns_rr_list *none = NULL;

	nsf_buf_init(&why);
	v->state = e->m.state;
	v->up_since_ms = e->m.up_since_ms;
	switch (d->readiness.mode) {
	case NSF_READY_SERIAL:
		v->ready = ready_serial(h, d, g, e, &why);
		break;
	case NSF_READY_RECORDS:
		v->ready = ready_records(h, d, g, e, &why);
		break;
	default:
		v->ready = true;
		break;
	}
	if (e->dnskey_read && e->dnskey == NULL) {
		none = ldns_rr_list_new();      /* served, but no keys */
	}
	v->dnskey_matches_ds = nsf_health_dnskey_matches_ds(e->dnskey_read ?
	    (none ? none : e->dnskey) : NULL, ds, nds);
	ldns_rr_list_free(none);
	free(e->view_evidence);
	e->view_evidence = nsf_xasprintf("%s%s", e->evidence ? e->evidence :
	    "not probed yet", why.len ? why.data : "");
	v->evidence = e->view_evidence;
	nsf_buf_deinit(&why);
}

int
nsf_health_views(struct nsf_provider_view **out, size_t *out_n,
    struct nsf_health *h, const struct nsf_domain *d, const char *active,
    const struct nsf_ds *ds, size_t nds)
{
	const struct nsf_provider *pv[MAX_PROVIDERS];
	const struct nsf_group *g = find_group(d, active);
	size_t npv = domain_providers(pv, NSF_ARRAY_SIZE(pv), d), i;
	struct nsf_provider_view *v = nsf_xcalloc(npv + 1, sizeof(*v));
	size_t seen = 0;

	for (i = 0; i < npv; i++) {
		struct entry *e = entry_find(h, d->name, pv[i]->name);

		v[i].provider = pv[i];
		if (e == NULL || e->evidence == NULL) {
			/* none, or only a seeded serial */
			v[i].evidence = "not probed yet";
			continue;
		}
		fill_view(&v[i], h, d, g, e, ds, nds);
		seen++;
	}
	if (seen == 0) {
		free(v);
		return nsf_error_set(NSF_ENOTFOUND, "domain %s has not been "
		    "probed yet", d->name);
	}
	*out = v;
	*out_n = npv;
	return 0;
}
