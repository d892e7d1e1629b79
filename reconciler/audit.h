/* audit.h - the audit log: one commit per decision on the state branch. */
#ifndef NSF_AUDIT_H
#define NSF_AUDIT_H

#include "nsf.h"
#include "state.h"

/*
 * The state branch (default "nsfailover/state") lives in the same
 * repository as the policy: the policy source's cache repository or any
 * repository path, bare or not.  Every record is one commit that rewrites
 * state/<domain>.yaml and carries git trailers (Domain:, Action:, From:,
 * To:, Reason:, Policy-Commit:, Client-TRID:, Server-TRID:, Intent:).
 * Commits are built from blobs and trees: no index, no working tree, so a
 * person's checkout of the same repository is never touched.
 *
 * A record is durable (fsync'ed objects and ref) when nsf_audit_record
 * returns; pushing to the remote comes after and may fail without losing
 * anything: the local branch is then ahead and nsf_audit_push sends the
 * waiting records later, in order.  A push the remote refuses is fetched,
 * replayed on the new tip and retried a bounded number of times; never
 * forced.
 */

struct nsf_audit;

struct nsf_audit_opts {
	const char *repo_path;  /* repository (bare or work tree) */
	const char *branch;     /* NULL: "nsfailover/state" */
	const char *remote;     /* NULL: "origin"; "" or a repository without
				 * that remote: local only, nothing pushed */
	unsigned push_retries;  /* replays after a refused push; 0: 5 */
	uint64_t lock_wait_ms;  /* wait for a live holder; 0: 30s */
	bool no_push;           /* record only; nsf_audit_push sends later */
	const char *author_name;        /* NULL: "nsfailover" */
	const char *author_email;       /* NULL: "nsfailover@<hostname>" */
};

/* One decision.  `from`, `to` and `state` may be NULL. */
struct nsf_audit_record {
	const char *domain;
	const char *action;     /* failover, failback, prune, restore,
				 * converge, pin, drift, refused, pending,
				 * intent, outcome, ... */
	const char *subject;    /* NULL: made from action and domain */
	const struct nsf_strv *from;    /* NS set before */
	const struct nsf_strv *to;      /* NS set after (or wanted) */
	const char *reason;     /* why, with the health evidence */
	const char *policy_commit;
	const char *client_trid;        /* registry transaction ids */
	const char *server_trid;
	const char *intent_id;  /* links an intent and its outcome */
	const struct nsf_domain_state *state;   /* new state/<domain>.yaml;
						 * NULL: keep the file as is */
};

int nsf_audit_open(struct nsf_audit **out, const struct nsf_audit_opts *opts);
void nsf_audit_free(struct nsf_audit *a);

/* Reads state/<domain>.yaml at the tip of the local branch; NSF_ENOTFOUND
 * when the domain has none. */
int nsf_audit_read_state(struct nsf_audit *a, const char *domain,
    struct nsf_domain_state *out);
/* Reads every domain's state, sorted by domain name. */
int nsf_audit_read_all(struct nsf_audit *a, struct nsf_domain_state **out,
    size_t *out_n);
void nsf_audit_states_free(struct nsf_domain_state *v, size_t n);

/*
 * Commits one record (durable on return) and then pushes unless no_push.
 * Returns 0 once the record is committed locally, even when the push
 * failed (see nsf_audit_queued and nsf_audit_reachable); NSF_ELOCKED when
 * another live process holds the repository lock.  `out_id` (may be NULL)
 * receives the commit id in hex.
 */
int nsf_audit_record(struct nsf_audit *a, const struct nsf_audit_record *rec,
    char out_id[41]);

/* Pushes the waiting records in order: 0 when the remote has them all,
 * NSF_EUNREACHABLE when it could not be reached, NSF_ECONFLICT when it
 * kept refusing after the retries. */
int nsf_audit_push(struct nsf_audit *a);

/* Records committed locally that the remote does not have yet. */
size_t nsf_audit_queued(struct nsf_audit *a);
/* False after the last fetch or push could not reach the remote. */
bool nsf_audit_reachable(const struct nsf_audit *a);
/* The local tip of the state branch in hex; "" before the first record. */
const char *nsf_audit_tip(const struct nsf_audit *a);

#endif
