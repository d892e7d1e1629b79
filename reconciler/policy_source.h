/* policy_source.h - the policy read from a git repository at a commit,
 * with last known good, optional signature checks and a fetch interval. */
#ifndef NSF_POLICY_SOURCE_H
#define NSF_POLICY_SOURCE_H

#include "nsf.h"
#include "../schema/policy.h"

struct nsf_policy_source;

struct nsf_policy_source_opts {
	const char *url;        /* local path, file://, git://, https://,
				 * ssh:// */
	const char *ref;        /* NULL: "main"; a branch, a tag, a full
				 * ref name ("refs/...") or a commit id */
	const char *cache_dir;  /* bare cache repository, made if absent */
	const char *path;       /* in the repository; NULL: "policy"; a
				 * directory of *.yaml or one file */
	uint64_t fetch_interval_ms;     /* 0: 60s */
	bool verify_signatures; /* accept only commits signed by a key
				 * below */
	const struct nsf_strv *gpg_key_files;   /* OpenPGP public keys */
	const struct nsf_strv *gpg_fingerprints;        /* trusted; empty:
							 * every key in the
							 * files above */
	const char *ssh_allowed_signers;        /* ssh-keygen format */
};

int nsf_policy_source_open(struct nsf_policy_source **out,
    const struct nsf_policy_source_opts *opts);
void nsf_policy_source_free(struct nsf_policy_source *src);

/*
 * Fetches (when `force` or the interval has passed), resolves the ref
 * and, when it names a new commit, loads the policy from that commit's
 * tree.  A policy replaces the current one only when it is complete,
 * valid and (with verification on) signed by a trusted key; otherwise the
 * last known good stays active and the commit is reported rejected.
 * Returns 0 when the ref's commit is the active policy, NSF_EINVAL when
 * it was rejected, NSF_EUNREACHABLE when the remote could not be reached
 * (the cached commit is used), NSF_ERROR otherwise.  *out_changed (may be
 * NULL) tells whether the active policy changed.
 */
int nsf_policy_source_refresh(struct nsf_policy_source *src, bool force,
    bool *out_changed);

/* The active policy; NULL before the first valid one.  A policy that a
 * refresh replaces stays valid until the next call to refresh, so that
 * callers can close what points into it (registry connections). */
const struct nsf_policy *nsf_policy_source_policy(
    const struct nsf_policy_source *src);
/* Hex id of the active policy's commit; NULL when none. */
const char *nsf_policy_source_commit(const struct nsf_policy_source *src);
/* When the active policy was loaded (epoch ms); 0 when none. */
int64_t nsf_policy_source_loaded_at(const struct nsf_policy_source *src);
/* The last commit refused and its first error; NULL when none since the
 * active policy was loaded. */
const char *nsf_policy_source_rejected_commit(
    const struct nsf_policy_source *src);
const char *nsf_policy_source_rejected_error(
    const struct nsf_policy_source *src);
/* False when the last fetch could not reach the remote; the error says
 * why (NULL when reachable). */
bool nsf_policy_source_reachable(const struct nsf_policy_source *src);
const char *nsf_policy_source_fetch_error(
    const struct nsf_policy_source *src);
/* The bare cache repository's path (for the audit log). */
const char *nsf_policy_source_repo_path(const struct nsf_policy_source *src);

#endif
