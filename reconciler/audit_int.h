/* audit_int.h - what audit.c and audit_push.c share; not for callers. */
#ifndef NSF_AUDIT_INT_H
#define NSF_AUDIT_INT_H

#include "audit.h"
#include "gitutil.h"

#define NSF_AUDIT_BRANCH "nsfailover/state"

struct nsf_audit {
	git_repository *repo;
	char *branch;           /* "nsfailover/state" */
	char *local_ref;        /* "refs/heads/nsfailover/state" */
	char *remote;           /* remote name; NULL: local only */
	char *tracking_ref;     /* "refs/remotes/origin/nsfailover/state" */
	unsigned retries;       /* replays after a refused push */
	uint64_t lock_wait_ms;
	bool no_push;
	bool reachable;         /* the last fetch or push reached it */
	char *author_name;
	char *author_email;
	char *lock_path;        /* <gitdir>/nsfailover.lock */
	char *host;             /* our host name, written in the lock */
	char tip[41];           /* local tip in hex; "" none */
	size_t queued;          /* local commits the remote lacks */
	git_oid counted_tip;    /* with no remote-tracking branch: the tip */
	size_t counted;         /* when `queued` was last counted whole, */
	bool has_counted;       /* so later counts walk new commits only */
};

int nsf_audit_lock(struct nsf_audit *a);
void nsf_audit_unlock(struct nsf_audit *a);
int nsf_audit_ensure_branch(struct nsf_audit *a);
int nsf_audit_refresh_tip(struct nsf_audit *a);
int nsf_audit_count_commits(size_t *out, struct nsf_audit *a,
    const git_oid *from, const git_oid *hide);
int nsf_audit_commit_on(git_oid *out, struct nsf_audit *a,
    git_commit *parent, const char *domain, const git_oid *blob,
    const char *message, const git_signature *author, bool move_ref);
/* Fetches the remote's state branch into the tracking ref; NSF_EUNREACHABLE
 * (and reachable false) when it cannot.  The lock is held. */
int nsf_audit_fetch_locked(struct nsf_audit *a);
/* Fetches, replays what the remote lacks and pushes; the lock is held. */
int nsf_audit_push_locked(struct nsf_audit *a);

#endif
