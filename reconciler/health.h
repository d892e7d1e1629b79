/* health.h - verdicts from probe rounds: address health, the per (domain,
 * provider) state machine, readiness, DNSSEC and the canary freeze. */
#ifndef NSF_HEALTH_H
#define NSF_HEALTH_H

#include "nsf.h"
#include "plan.h"
#include "../providers/probe.h"
#include "../providers/registry.h"

/*
 * One state machine per (domain, provider).  A round is "good" when at
 * least quorum of the provider's addresses are healthy (quorum 0 means a
 * majority).  Thresholds are asymmetric so that failing is quick and
 * coming back is slow: F = fail_after, R = recover_after.
 *
 *                    F good rounds in a row
 *           +---------------------------------------+
 *           |                                       v
 *      +---------+   F bad rounds in a row    +----------+
 *      | UNKNOWN |--------------+             |    UP    |<--+
 *      +---------+              |             +----------+   |
 *       (start; no evidence)    |               |   good     |
 *                               v               |   (resets  |
 *                          +----------+         |    the bad |
 *                          |   DOWN   |<--------+    count)  |
 *                          +----------+  F bad rounds        |
 *                            |   bad      in a row           |
 *                            |  (resets                      |
 *                            |   the good count)             |
 *                            +-------------------------------+
 *                                 R good rounds in a row
 *
 * While the canaries fail (our own network is broken) no machine moves:
 * rounds are not evidence about providers then.  up_since_ms is set when a
 * machine enters UP and cleared when it leaves.
 */
struct nsf_hsm {
	enum nsf_pstate state;
	unsigned good_run;      /* consecutive good rounds */
	unsigned bad_run;       /* consecutive bad rounds */
	int64_t up_since_ms;    /* epoch ms of entering UP; 0 if not UP */
	int64_t changed_ms;     /* epoch ms of the last change; 0 never */
};

void nsf_hsm_init(struct nsf_hsm *m);
/* Feeds one round; returns true when the state changed.  Thresholds of 0
 * count as 1. */
bool nsf_hsm_step(struct nsf_hsm *m, bool good, unsigned fail_after,
    unsigned recover_after, int64_t now_ms);
const char *nsf_pstate_name(enum nsf_pstate s);

/*
 * RFC 1982 serial number arithmetic (SERIAL_BITS 32).  Returns -1 when a
 * is before b, 0 when equal, 1 when after, and 2 when the comparison is
 * undefined (the two are exactly 2^31 apart).
 */
int nsf_serial_cmp(uint32_t a, uint32_t b);
/* True when `candidate` is equal to or after `reference`. */
bool nsf_serial_not_behind(uint32_t candidate, uint32_t reference);

/*
 * Judges one address: healthy when the SOA query got an authoritative
 * NOERROR answer with the domain's SOA in time and, when the NS set was
 * asked, it holds every nameserver of `pv` and no name outside the
 * providers the domain lists.  Writes a short reason ("timeout x2",
 * "wrong NS set: ns9.old.example") into `why` when not.
 */
bool nsf_health_addr_ok(const struct nsf_probe_obs *o,
    const struct nsf_domain *d, const struct nsf_provider *pv,
    char *why, size_t whylen);

/* The names an NS RRset points to (initialises `out`): lower case,
 * without the final dot, in RRset order. */
void nsf_ns_rrset_names(struct nsf_strv *out, const ldns_rr_list *rrset);

/* Whether some key of `keys` (a DNSKEY RRset) has a DS in `ds`: YES, NO,
 * or UNKNOWN when keys is NULL or the parent publishes no DS. */
enum nsf_tri nsf_health_dnskey_matches_ds(const ldns_rr_list *keys,
    const struct nsf_ds *ds, size_t nds);

struct nsf_health;

int nsf_health_new(struct nsf_health **out);
void nsf_health_free(struct nsf_health *h);

/*
 * Feeds one probe round: judges the canaries first, then, unless they
 * failed, steps the state machine of every (domain, provider) the round
 * probed and remembers each provider's last good serial and records.
 */
void nsf_health_update(struct nsf_health *h, const struct nsf_policy *pol,
    const struct nsf_round *r, int64_t now_ms);

/* This round's verdict for one provider of one domain, before any
 * threshold (what `nsfailover probe` shows); NSF_ENOTFOUND when the
 * round did not probe it.  *evidence lives until the next update. */
int nsf_health_round_verdict(bool *good, const char **evidence,
    const struct nsf_health *h, const char *domain, const char *provider);

/*
 * The SOA serial of a provider's last good round for a domain: what a
 * backup's readiness is judged against once the active group stops
 * answering.  The daemon keeps these across restarts (see engine.h), and
 * the one-shot commands read them, by seeding: a seeded serial counts
 * until a good round gives a newer one.
 */
bool nsf_health_good_serial(const struct nsf_health *h, const char *domain,
    const char *provider, uint32_t *out);
void nsf_health_seed_serial(struct nsf_health *h, const char *domain,
    const char *provider, uint32_t serial);

/* True when the last round's canaries failed; `reason` says which. */
bool nsf_health_frozen(const struct nsf_health *h, const char **reason);
/* "2/2 canaries answered", "no canaries configured", ... */
const char *nsf_health_canary_summary(const struct nsf_health *h);

/*
 * Fills one view per provider `d` lists (primary first, then backups in
 * order, each once) into a new array (free() it).  Readiness is judged
 * against the group labelled `active` (NULL or unknown: the primary);
 * `ds` is the DS set the parent publishes (nds 0: unsigned).  Evidence
 * strings live in `h` until the next call for this domain or update.
 * NSF_ENOTFOUND when no round has probed the domain yet.
 */
int nsf_health_views(struct nsf_provider_view **out, size_t *out_n,
    struct nsf_health *h, const struct nsf_domain *d, const char *active,
    const struct nsf_ds *ds, size_t nds);

#endif
