/* audit_push.c - sends the state branch to the remote: fetch, replay what
 * the remote lacks on its tip, push without force, retry when refused. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"
#include "log.h"

static void
mark_unreachable(struct nsf_audit *a, const char *what)
{
	if (a->reachable) {
		nsf_warn(NSF_SRC_AUDIT, NULL, "%s; %zu record(s) stay queued "
		    "locally and are pushed when it is back", what,
		    a->queued);
	}
	a->reachable = false;
}

int
nsf_audit_fetch_locked(struct nsf_audit *a)
{
	struct nsf_git_cred cred = { 0 };
	struct nsf_git_deadline dl;
	git_fetch_options fo;
	git_remote *r = NULL;
	char *spec = nsf_xasprintf("+%s:%s", a->local_ref, a->tracking_ref);
	git_strarray specs = { &spec, 1 };
	int rc = 0;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.credentials = nsf_git_credentials;
	fo.callbacks.payload = &cred;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	if (git_remote_lookup(&r, a->repo, a->remote) < 0) {
		rc = nsf_git_error(NSF_ERROR, "no remote '%s'", a->remote);
		goto out;
	}
	nsf_git_deadline_start(&dl);
	rc = git_remote_fetch(r, &specs, &fo, "nsfailover: fetch state");
	if (nsf_git_deadline_stop(&dl) && rc < 0) {
		rc = nsf_error_set(NSF_EUNREACHABLE, "cannot fetch %s from "
		    "remote %s (%s): no answer within %.0f s", a->branch,
		    a->remote, git_remote_url(r), (double)dl.ms / 1000);
		mark_unreachable(a, nsf_error_last());
	} else if (rc < 0) {
		rc = nsf_git_error(NSF_EUNREACHABLE, "cannot fetch %s from "
		    "remote %s (%s)", a->branch, a->remote, git_remote_url(r));
		mark_unreachable(a, nsf_error_last());
	}
out:
	git_remote_free(r);
	free(spec);
	return rc;
}

/* The record's domain, from its Domain: trailer (NULL: not a record). */
static char *
commit_domain(const git_commit *c)
{
	git_message_trailer_array arr = { 0 };
	char *domain = NULL;
	size_t i;

	if (git_message_trailers(&arr, git_commit_message(c)) < 0) {
		return NULL;
	}
	for (i = 0; i < arr.count; i++) {
		if (strcmp(arr.trailers[i].key, "Domain") == 0) {
			domain = nsf_xstrdup(arr.trailers[i].value);
			break;
		}
	}
	git_message_trailer_array_free(&arr);
	return domain;
}

static int
file_blob(git_oid *out, const git_commit *c, const char *path)
{
	git_tree_entry *e = NULL;
	git_tree *t = NULL;
	int rc = -1;

	if (git_commit_tree(&t, c) == 0 &&
	    git_tree_entry_bypath(&e, t, path) == 0) {
		git_oid_cpy(out, git_tree_entry_id(e));
		rc = 0;
	}
	git_tree_entry_free(e);
	git_tree_free(t);
	return rc;
}

/* The blob a record wrote to its state file, or false when the record
 * left the file as it was (then the remote's newer file must stay). */
static bool
record_change(git_oid *out, const git_commit *c, const char *path)
{
	git_commit *parent = NULL;
	git_oid mine, before;
	bool changed;

	if (file_blob(&mine, c, path) < 0) {
		return false;
	}
	if (git_commit_parentcount(c) == 0 ||
	    git_commit_parent(&parent, c, 0) < 0) {
		changed = true;
	} else {
		changed = file_blob(&before, parent, path) < 0 ||
		    !git_oid_equal(&mine, &before);
	}
	git_commit_free(parent);
	git_oid_cpy(out, &mine);
	return changed;
}

/* Re-creates one local record on top of `tip`; *tip moves to it. */
static int
replay_one(struct nsf_audit *a, git_commit **tip, const git_oid *id)
{
	git_commit *c = NULL, *next = NULL;
	char *domain = NULL, *path = NULL;
	git_oid blob, new_id;
	bool changed;
	int rc = 0;

	if (git_commit_lookup(&c, a->repo, id) < 0) {
		return nsf_git_error(NSF_ERROR, "cannot read record %s",
		    git_oid_tostr_s(id));
	}
	domain = commit_domain(c);
	if (domain == NULL) {
		goto out;       /* the branch's root: the remote has its own */
	}
	path = nsf_xasprintf("state/%s.yaml", domain);
	changed = record_change(&blob, c, path);
	rc = nsf_audit_commit_on(&new_id, a, *tip, domain,
	    changed ? &blob : NULL, git_commit_message(c),
	    git_commit_author(c), false);
	if (rc == 0 && git_commit_lookup(&next, a->repo, &new_id) < 0) {
		rc = nsf_git_error(NSF_ERROR, "cannot read %s",
		    git_oid_tostr_s(&new_id));
	}
	if (rc == 0) {
		git_commit_free(*tip);
		*tip = next;
	}
out:
	free(path);
	free(domain);
	git_commit_free(c);
	return rc;
}

static int
collect_local(git_oid **out, size_t *out_n, struct nsf_audit *a,
    const git_oid *local, const git_oid *remote)
{
	git_revwalk *walk = NULL;
	git_oid *v = NULL, id;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (git_revwalk_new(&walk, a->repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL |
	    GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, local) < 0 ||
	    git_revwalk_hide(walk, remote) < 0) {
		rc = nsf_git_error(NSF_ERROR, "cannot walk %s", a->local_ref);
		goto out;
	}
	while (git_revwalk_next(&id, walk) == 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = nsf_xrealloc(v, cap * sizeof(*v));
		}
		git_oid_cpy(&v[n++], &id);
	}
	*out = v;
	*out_n = n;
	v = NULL;
out:
	free(v);
	git_revwalk_free(walk);
	return rc;
}

/* The remote moved on: put our waiting records on its tip, in order. */
static int
replay(struct nsf_audit *a, const git_oid *local, const git_oid *remote)
{
	git_reference *ref = NULL;
	git_commit *tip = NULL;
	git_oid *ids = NULL;
	size_t i, n = 0;
	int rc;

	rc = collect_local(&ids, &n, a, local, remote);
	if (rc < 0) {
		return rc;
	}
	if (git_commit_lookup(&tip, a->repo, remote) < 0) {
		rc = nsf_git_error(NSF_ERROR, "cannot read %s",
		    a->tracking_ref);
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++) {
		rc = replay_one(a, &tip, &ids[i]);
	}
	if (rc < 0) {
		goto out;
	}
	if (git_reference_create_matching(&ref, a->repo, a->local_ref,
	    git_commit_id(tip), 1, local, "nsfailover: replay on remote") < 0) {
		rc = nsf_git_error(NSF_ECONFLICT, "cannot move %s",
		    a->local_ref);
		goto out;
	}
	nsf_notice(NSF_SRC_AUDIT, NULL, "replayed %zu queued record(s) on the "
	    "remote's %s", n, a->branch);
out:
	git_reference_free(ref);
	git_commit_free(tip);
	free(ids);
	return rc;
}

/* Brings the local branch level with or ahead of the remote's. */
static int
integrate(struct nsf_audit *a)
{
	git_reference *ref = NULL;
	git_oid local, remote;
	int rc;

	if (git_reference_name_to_id(&remote, a->repo, a->tracking_ref) < 0) {
		return 0;       /* the remote has no state branch yet */
	}
	if (git_reference_name_to_id(&local, a->repo, a->local_ref) < 0) {
		return nsf_audit_ensure_branch(a);
	}
	if (git_oid_equal(&local, &remote) ||
	    git_graph_descendant_of(a->repo, &local, &remote) == 1) {
		return 0;
	}
	if (git_graph_descendant_of(a->repo, &remote, &local) != 1) {
		return replay(a, &local, &remote);
	}
	rc = git_reference_create_matching(&ref, a->repo, a->local_ref,
	    &remote, 1, &local, "nsfailover: fast-forward to remote");
	git_reference_free(ref);
	return rc < 0 ? nsf_git_error(NSF_ECONFLICT, "cannot move %s",
	    a->local_ref) : 0;
}

struct push_status {
	char *refused;          /* the remote's reason; NULL accepted */
	struct nsf_git_cred cred;
};

static int
push_credentials(git_credential **out, const char *url,
    const char *username_from_url, unsigned int allowed_types,
    void *payload)
{
	struct push_status *st = payload;

	return nsf_git_credentials(out, url, username_from_url,
	    allowed_types, &st->cred);
}

static int
on_update_reference(const char *refname, const char *status, void *data)
{
	struct push_status *st = data;

	if (status != NULL && st->refused == NULL) {
		st->refused = nsf_xasprintf("%s: %s", refname, status);
	}
	return 0;
}

static int
push_once(struct nsf_audit *a)
{
	git_push_options po;
	struct push_status st = { NULL, { 0 } };
	git_reference *ref = NULL;
	git_remote *r = NULL;
	char *spec = nsf_xasprintf("%s:%s", a->local_ref, a->local_ref);
	git_strarray specs = { &spec, 1 };
	struct nsf_git_deadline dl;
	git_oid local;
	bool late;
	int rc, err;

	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	po.callbacks.push_update_reference = on_update_reference;
	po.callbacks.credentials = push_credentials;
	po.callbacks.payload = &st;
	if (git_remote_lookup(&r, a->repo, a->remote) < 0 ||
	    git_reference_name_to_id(&local, a->repo, a->local_ref) < 0) {
		rc = nsf_git_error(NSF_ERROR, "cannot prepare the push");
		goto out;
	}
	nsf_git_deadline_start(&dl);
	err = git_remote_push(r, &specs, &po);
	late = nsf_git_deadline_stop(&dl);
	if (st.refused != NULL || err == GIT_ENONFASTFORWARD) {
		rc = nsf_error_set(NSF_ECONFLICT, "remote %s refused %s",
		    a->remote, st.refused ? st.refused : "a non-fast-forward");
		goto out;
	}
	if (err < 0) {
		rc = late ? nsf_error_set(NSF_EUNREACHABLE, "cannot push %s to "
		    "remote %s (%s): no answer within %.0f s", a->branch,
		    a->remote, git_remote_url(r), (double)dl.ms / 1000) :
		    nsf_git_error(NSF_EUNREACHABLE, "cannot push %s to "
		    "remote %s (%s)", a->branch, a->remote, git_remote_url(r));
		mark_unreachable(a, nsf_error_last());
		goto out;
	}
	rc = git_reference_create(&ref, a->repo, a->tracking_ref, &local, 1,
	    "nsfailover: pushed");
	rc = rc < 0 ? nsf_git_error(NSF_ERROR, "cannot update %s",
	    a->tracking_ref) : 0;
out:
	free(st.refused);
	free(spec);
	git_reference_free(ref);
	git_remote_free(r);
	return rc;
}

static bool
level_with_remote(struct nsf_audit *a)
{
	git_oid local, remote;

	return git_reference_name_to_id(&local, a->repo, a->local_ref) == 0 &&
	    git_reference_name_to_id(&remote, a->repo, a->tracking_ref) == 0 &&
	    git_oid_equal(&local, &remote);
}

int
nsf_audit_push_locked(struct nsf_audit *a)
{
	unsigned attempt;
	int rc = 0;

	if (a->remote == NULL) {
		return 0;
	}
	for (attempt = 0; attempt <= a->retries; attempt++) {
		rc = nsf_audit_fetch_locked(a);
		if (rc == 0) {
			rc = integrate(a);
		}
		if (rc == 0 && level_with_remote(a)) {
			break;
		}
		if (rc == 0) {
			rc = push_once(a);
		}
		if (rc != NSF_ECONFLICT) {
			break;
		}
		nsf_notice(NSF_SRC_AUDIT, NULL, "%s; fetching and replaying "
		    "(attempt %u of %u)", nsf_error_last(), attempt + 1,
		    a->retries + 1);
	}
	if (rc == 0) {
		if (!a->reachable) {
			nsf_notice(NSF_SRC_AUDIT, NULL, "remote %s reached "
			    "again; queued records pushed", a->remote);
		}
		a->reachable = true;
	} else if (rc == NSF_ECONFLICT) {
		rc = nsf_error_set(NSF_ECONFLICT, "remote %s kept refusing %s "
		    "after %u attempts; records stay queued locally",
		    a->remote, a->branch, a->retries + 1);
		nsf_warn(NSF_SRC_AUDIT, NULL, "%s", nsf_error_last());
	}
	nsf_audit_refresh_tip(a);
	return rc;
}

int
nsf_audit_push(struct nsf_audit *a)
{
	int rc;

	rc = nsf_audit_lock(a);
	if (rc < 0) {
		return rc;
	}
	rc = nsf_audit_push_locked(a);
	nsf_audit_unlock(a);
	return rc;
}
