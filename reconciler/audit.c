/* audit.c - the audit log on the state branch: records, state reads, the
 * repository lock.  Pushing and replaying lives in audit_push.c. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_int.h"
#include "log.h"

NSF_STATIC bool audit_domain_ok(const char *d);
NSF_STATIC char *audit_message(const struct nsf_audit_record *r);

static const char readme[] =
    "This branch is written by nsfailover.\n\n"
    "Each commit is one decision about one domain and rewrites\n"
    "state/<domain>.yaml; its trailers (Domain, Action, From, To, Reason,\n"
    "Policy-Commit, Client-TRID, Server-TRID, Intent) say what and why.\n"
    "Read it with `git log` or `nsfailover history`; do not edit it by\n"
    "hand: nsfailover treats what it finds here as what it did.\n";

/* ---- the repository lock ---------------------------------------------- */

struct lock_info {
	long pid;
	char host[256];
	long long since;        /* epoch seconds */
};

static int
lock_read(struct lock_info *out, const char *path)
{
	char *data = NULL;
	size_t len;
	int rc;

	rc = nsf_file_read(&data, &len, path, 4096);
	if (rc < 0) {
		return rc;
	}
	memset(out, 0, sizeof(*out));
	if (sscanf(data, "%ld %255s %lld", &out->pid, out->host,
	    &out->since) != 3) {
		free(data);
		return NSF_EAGAIN;      /* being written right now */
	}
	free(data);
	return 0;
}

static int
lock_create(struct nsf_audit *a)
{
	char line[400];
	int fd, n;

	fd = open(a->lock_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644);
	if (fd < 0) {
		return errno == EEXIST ? NSF_ELOCKED :
		    nsf_error_set(NSF_ERROR, "%s: %s", a->lock_path,
		    strerror(errno));
	}
	n = snprintf(line, sizeof(line), "%ld %s %lld\n", (long)getpid(),
	    a->host, (long long)time(NULL));
	if (write(fd, line, (size_t)n) != n || fsync(fd) < 0) {
		close(fd);
		unlink(a->lock_path);
		return nsf_error_set(NSF_ERROR, "%s: %s", a->lock_path,
		    strerror(errno));
	}
	close(fd);
	return 0;
}

/* A lock is stale only when it names this host and a PID that no longer
 * runs; a lock from another host can never be proven stale from here. */
static bool
lock_is_stale(const struct nsf_audit *a, const struct lock_info *li)
{
	if (strcmp(li->host, a->host) != 0 || li->pid <= 0) {
		return false;
	}
	return kill((pid_t)li->pid, 0) < 0 && errno == ESRCH;
}

/* A process killed while moving the branch leaves git's own lock file
 * for that ref, which would block every later update.  Only nsfailover
 * writes the state branch, and only under our lock: a ref lock made
 * while the dead process held it is its leftover. */
static void
ref_locks_remove_stale(struct nsf_audit *a, const struct lock_info *li)
{
	const char *refs[] = { a->local_ref, a->tracking_ref };
	struct stat sb;
	size_t i;
	char *p;

	for (i = 0; i < NSF_ARRAY_SIZE(refs); i++) {
		if (refs[i] == NULL) {
			continue;
		}
		p = nsf_xasprintf("%s%s.lock", git_repository_path(a->repo),
		    refs[i]);
		if (stat(p, &sb) == 0 && sb.st_mtime >= li->since - 1 &&
		    unlink(p) == 0) {
			nsf_warn(NSF_SRC_AUDIT, NULL, "removed %s left by the "
			    "same dead process", p);
		}
		free(p);
	}
}

/* Moves the stale file aside and removes it only if it is still the one
 * we judged stale: another process may have replaced it meanwhile. */
static bool
lock_remove_stale(struct nsf_audit *a, const struct lock_info *li)
{
	char *aside = nsf_xasprintf("%s.stale.%ld", a->lock_path,
	    (long)getpid());
	struct lock_info again;

	bool removed = false;

	if (rename(a->lock_path, aside) < 0) {
		free(aside);
		return false;
	}
	if (lock_read(&again, aside) == 0 && again.pid == li->pid &&
	    again.since == li->since && strcmp(again.host, li->host) == 0) {
		nsf_warn(NSF_SRC_AUDIT, NULL, "removed stale lock %s left by "
		    "pid %ld on %s (no longer running); continuing",
		    a->lock_path, li->pid, li->host);
		unlink(aside);
		removed = true;
	} else if (link(aside, a->lock_path) == 0) {
		unlink(aside);
	}
	free(aside);
	return removed;
}

static int
lock_held_error(const struct nsf_audit *a, const struct lock_info *li)
{
	char *since = nsf_time_format((int64_t)li->since * 1000);
	bool same_host = strcmp(li->host, a->host) == 0;
	int rc;

	rc = nsf_error_set(NSF_ELOCKED, "%s is held by pid %ld on host %s "
	    "since %s%s", a->lock_path, li->pid, li->host, since,
	    same_host ? " (that process is running)" :
	    " (another host: remove the file by hand only if that process "
	    "is gone)");
	free(since);
	return rc;
}

int
nsf_audit_lock(struct nsf_audit *a)
{
	int64_t deadline = nsf_mono_ms() + (int64_t)a->lock_wait_ms;
	struct lock_info li, dead = { 0 };
	bool had_dead = false;
	int rc;

	for (;;) {
		rc = lock_create(a);
		if (rc == 0 && had_dead) {
			/* Only now, holding the lock, is it safe. */
			ref_locks_remove_stale(a, &dead);
		}
		if (rc != NSF_ELOCKED) {
			return rc;
		}
		rc = lock_read(&li, a->lock_path);
		if (rc == 0 && lock_is_stale(a, &li)) {
			if (lock_remove_stale(a, &li)) {
				dead = li;
				had_dead = true;
			}
			continue;
		}
		if (nsf_mono_ms() >= deadline) {
			if (rc == 0) {
				return lock_held_error(a, &li);
			}
			return nsf_error_set(NSF_ELOCKED, "%s exists and "
			    "cannot be read", a->lock_path);
		}
		usleep(20000);
	}
}

void
nsf_audit_unlock(struct nsf_audit *a)
{
	unlink(a->lock_path);
}

/* ---- opening ---------------------------------------------------------- */

static void
audit_free_fields(struct nsf_audit *a)
{
	git_repository_free(a->repo);
	free(a->branch);
	free(a->local_ref);
	free(a->tracking_ref);
	free(a->remote);
	free(a->author_name);
	free(a->author_email);
	free(a->lock_path);
	free(a->host);
}

void
nsf_audit_free(struct nsf_audit *a)
{
	if (a == NULL) {
		return;
	}
	audit_free_fields(a);
	free(a);
}

static bool
has_remote(git_repository *repo, const char *name)
{
	git_remote *r = NULL;

	if (name[0] == '\0' || git_remote_lookup(&r, repo, name) < 0) {
		return false;
	}
	git_remote_free(r);
	return true;
}

static void
audit_fill(struct nsf_audit *a, const struct nsf_audit_opts *o)
{
	char host[256] = "localhost";
	const char *remote = o->remote ? o->remote : "origin";

	gethostname(host, sizeof(host) - 1);
	a->host = nsf_xstrdup(host);
	a->branch = nsf_xstrdup(o->branch ? o->branch : NSF_AUDIT_BRANCH);
	a->local_ref = nsf_xasprintf("refs/heads/%s", a->branch);
	if (has_remote(a->repo, remote)) {
		a->remote = nsf_xstrdup(remote);
		a->tracking_ref = nsf_xasprintf("refs/remotes/%s/%s", remote,
		    a->branch);
	}
	a->retries = o->push_retries ? o->push_retries : 5;
	a->lock_wait_ms = o->lock_wait_ms ? o->lock_wait_ms : 30000;
	a->no_push = o->no_push;
	a->author_name = nsf_xstrdup(o->author_name ? o->author_name :
	    "nsfailover");
	a->author_email = o->author_email ? nsf_xstrdup(o->author_email) :
	    nsf_xasprintf("nsfailover@%s", host);
	a->lock_path = nsf_xasprintf("%snsfailover.lock",
	    git_repository_path(a->repo));
	a->reachable = true;
}

/* With no local state branch yet (a new machine, a fresh cache), what the
 * remote recorded must be read before anything is decided: its open
 * intents above all.  Unreachable, the branch starts locally and is
 * replayed on the remote's at the first push that gets through. */
static void
start_from_remote(struct nsf_audit *a)
{
	git_oid id;

	if (a->remote == NULL ||
	    git_reference_name_to_id(&id, a->repo, a->local_ref) == 0) {
		return;
	}
	if (nsf_audit_fetch_locked(a) < 0) {
		nsf_error_clear();
	}
}

int
nsf_audit_open(struct nsf_audit **out, const struct nsf_audit_opts *opts)
{
	struct nsf_audit *a = nsf_xcalloc(1, sizeof(*a));
	int rc;

	nsf_git_setup();
	if (git_repository_open(&a->repo, opts->repo_path) < 0) {
		rc = nsf_git_error(NSF_ERROR, "cannot open repository %s",
		    opts->repo_path);
		goto out;
	}
	audit_fill(a, opts);
	if (git_reference_is_valid_name(a->local_ref) != 1) {
		rc = nsf_error_set(NSF_EINVAL, "'%s' is not a valid branch "
		    "name", a->branch);
		goto out;
	}
	rc = nsf_audit_lock(a);
	if (rc < 0) {
		goto out;
	}
	start_from_remote(a);
	rc = nsf_audit_ensure_branch(a);
	if (rc == 0) {
		rc = nsf_audit_refresh_tip(a);
	}
	nsf_audit_unlock(a);
out:
	if (rc < 0) {
		nsf_audit_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

bool
nsf_audit_reachable(const struct nsf_audit *a)
{
	return a->reachable;
}

const char *
nsf_audit_tip(const struct nsf_audit *a)
{
	return a->tip;
}

/* The remote has no state branch yet (or was never reached): every local
 * record waits.  Counting the whole history at each record would grow
 * with it, so only the commits since the last count are walked. */
static int
count_unpushed(struct nsf_audit *a, const git_oid *local)
{
	size_t n = 0;
	int rc;

	if (a->has_counted && (git_oid_equal(&a->counted_tip, local) ||
	    git_graph_descendant_of(a->repo, local, &a->counted_tip) == 1)) {
		rc = nsf_audit_count_commits(&n, a, local, &a->counted_tip);
		n += a->counted;
	} else {
		rc = nsf_audit_count_commits(&n, a, local, NULL);
	}
	if (rc < 0) {
		a->has_counted = false;
		return rc;
	}
	a->queued = n;
	a->counted = n;
	git_oid_cpy(&a->counted_tip, local);
	a->has_counted = true;
	return 0;
}

/* Re-reads the local tip and the number of records the remote lacks. */
int
nsf_audit_refresh_tip(struct nsf_audit *a)
{
	git_oid local, remote;
	size_t ahead = 0, behind = 0;

	a->tip[0] = '\0';
	a->queued = 0;
	if (git_reference_name_to_id(&local, a->repo, a->local_ref) < 0) {
		return 0;
	}
	git_oid_tostr(a->tip, sizeof(a->tip), &local);
	if (a->remote == NULL) {
		return 0;
	}
	if (git_reference_name_to_id(&remote, a->repo, a->tracking_ref) < 0) {
		return count_unpushed(a, &local);
	}
	a->has_counted = false;
	if (git_graph_ahead_behind(&ahead, &behind, a->repo, &local,
	    &remote) < 0) {
		return nsf_git_error(NSF_ERROR, "cannot compare %s with %s",
		    a->local_ref, a->tracking_ref);
	}
	a->queued = ahead;
	return 0;
}

size_t
nsf_audit_queued(struct nsf_audit *a)
{
	return a->queued;
}

/* Commits reachable from `from` and not from `hide` (NULL: none). */
int
nsf_audit_count_commits(size_t *out, struct nsf_audit *a,
    const git_oid *from, const git_oid *hide)
{
	git_revwalk *walk = NULL;
	git_oid id;
	size_t n = 0;
	int rc = 0;

	if (git_revwalk_new(&walk, a->repo) < 0 ||
	    git_revwalk_push(walk, from) < 0 ||
	    (hide != NULL && git_revwalk_hide(walk, hide) < 0)) {
		rc = nsf_git_error(NSF_ERROR, "cannot walk %s", a->local_ref);
		goto out;
	}
	while (git_revwalk_next(&id, walk) == 0) {
		n++;
	}
	*out = n;
out:
	git_revwalk_free(walk);
	return rc;
}

/* ---- building commits ------------------------------------------------- */

/* Domain names become file names: only what a DNS name can hold, and
 * nothing that walks out of state/. */
NSF_STATIC bool
audit_domain_ok(const char *d)
{
	const char *p;

	if (d == NULL || d[0] == '\0' || d[0] == '.' || strlen(d) > 253) {
		return false;
	}
	for (p = d; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_') {
			return false;
		}
	}
	return strstr(d, "..") == NULL;
}

static int
put_blob(git_treebuilder *tb, git_repository *repo, const char *name,
    const char *data, size_t len)
{
	git_oid id;

	if (git_blob_create_from_buffer(&id, repo, data, len) < 0 ||
	    git_treebuilder_insert(NULL, tb, name, &id,
	    GIT_FILEMODE_BLOB) < 0) {
		return nsf_git_error(NSF_ERROR, "cannot write %s", name);
	}
	return 0;
}

/* Writes the tree of `base` (NULL: a new branch) with state/<file> set to
 * `blob`. */
static int
build_tree(git_oid *out, git_repository *repo, const git_tree *base,
    const char *file, const git_oid *blob)
{
	git_treebuilder *top = NULL, *sub = NULL;
	git_tree_entry *ent = NULL;
	git_tree *state = NULL;
	git_oid sub_id;
	int rc = NSF_ERROR;

	if (base != NULL && git_tree_entry_bypath(&ent, base, "state") == 0 &&
	    git_tree_entry_type(ent) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&state, repo, git_tree_entry_id(ent)) < 0) {
		goto fail;
	}
	if (git_treebuilder_new(&sub, repo, state) < 0 ||
	    git_treebuilder_insert(NULL, sub, file, blob,
	    GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&sub_id, sub) < 0 ||
	    git_treebuilder_new(&top, repo, base) < 0 ||
	    git_treebuilder_insert(NULL, top, "state", &sub_id,
	    GIT_FILEMODE_TREE) < 0) {
		goto fail;
	}
	if (base == NULL && put_blob(top, repo, "README.md", readme,
	    strlen(readme)) < 0) {
		goto out;
	}
	if (git_treebuilder_write(out, top) < 0) {
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	rc = nsf_git_error(NSF_ERROR, "cannot build the tree for state/%s",
	    file);
out:
	git_tree_entry_free(ent);
	git_tree_free(state);
	git_treebuilder_free(sub);
	git_treebuilder_free(top);
	return rc;
}

/*
 * Creates a commit on `parent` (NULL: a root) whose tree is the parent's
 * with state/<domain>.yaml set to `blob` (NULL: the tree unchanged, or the
 * README alone for a root), and moves the branch from `parent` to it only
 * if the branch still points at `parent`.
 */
int
nsf_audit_commit_on(git_oid *out, struct nsf_audit *a,
    git_commit *parent, const char *domain, const git_oid *blob,
    const char *message, const git_signature *author, bool move_ref)
{
	git_signature *committer = NULL;
	git_treebuilder *tb = NULL;
	git_reference *ref = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_oid tree_id, id;
	char *file = NULL;
	int rc = NSF_ERROR;

	if (parent != NULL && git_commit_tree(&base, parent) < 0) {
		goto fail;
	}
	if (blob != NULL) {
		file = nsf_xasprintf("%s.yaml", domain);
		rc = build_tree(&tree_id, a->repo, base, file, blob);
		if (rc < 0) {
			goto out;
		}
	} else if (base != NULL) {
		git_oid_cpy(&tree_id, git_tree_id(base));
	} else {
		if (git_treebuilder_new(&tb, a->repo, NULL) < 0 ||
		    put_blob(tb, a->repo, "README.md", readme,
		    strlen(readme)) < 0 ||
		    git_treebuilder_write(&tree_id, tb) < 0) {
			goto fail;
		}
	}
	if (git_tree_lookup(&tree, a->repo, &tree_id) < 0 ||
	    git_signature_now(&committer, a->author_name,
	    a->author_email) < 0) {
		goto fail;
	}
	if (git_commit_create(&id, a->repo, NULL, author ? author : committer,
	    committer, NULL, message, tree, parent ? 1 : 0,
	    (const git_commit **)&parent) < 0) {
		goto fail;
	}
	if (!move_ref) {
		git_oid_cpy(out, &id);
		rc = 0;
		goto out;
	}
	rc = git_reference_create_matching(&ref, a->repo, a->local_ref, &id,
	    parent == NULL ? 0 : 1, parent ? git_commit_id(parent) : NULL,
	    "nsfailover: audit record");
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
		rc = nsf_git_error(NSF_ECONFLICT, "%s was changed by someone "
		    "else while recording", a->local_ref);
		goto out;
	}
	if (rc < 0) {
		goto fail;
	}
	git_oid_cpy(out, &id);
	rc = 0;
	goto out;
fail:
	rc = nsf_git_error(NSF_ERROR, "cannot commit to %s", a->local_ref);
out:
	free(file);
	git_reference_free(ref);
	git_signature_free(committer);
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_tree_free(base);
	return rc;
}

/* Points the local branch at the remote's when there is one, else makes
 * an orphan root commit holding the README. */
int
nsf_audit_ensure_branch(struct nsf_audit *a)
{
	git_reference *ref = NULL;
	git_oid id;
	int rc;

	if (git_reference_name_to_id(&id, a->repo, a->local_ref) == 0) {
		return 0;
	}
	if (a->tracking_ref != NULL &&
	    git_reference_name_to_id(&id, a->repo, a->tracking_ref) == 0) {
		rc = git_reference_create(&ref, a->repo, a->local_ref, &id, 0,
		    "nsfailover: start from the remote's state branch");
		git_reference_free(ref);
		return rc < 0 ? nsf_git_error(NSF_ERROR, "cannot create %s",
		    a->local_ref) : 0;
	}
	rc = nsf_audit_commit_on(&id, a, NULL, NULL, NULL,
	    "nsfailover: start the state branch\n", NULL, true);
	if (rc == 0) {
		nsf_notice(NSF_SRC_AUDIT, NULL, "created the state branch %s "
		    "in %s", a->branch, git_repository_path(a->repo));
	}
	return rc;
}

/* ---- the record's message --------------------------------------------- */

/* Trailer values are one line: line breaks in a reason become "; ". */
static void
put_trailer(struct nsf_buf *b, const char *key, const char *value)
{
	const char *p;

	if (value == NULL || value[0] == '\0') {
		return;
	}
	nsf_buf_printf(b, "%s: ", key);
	for (p = value; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r') {
			if (p[1] != '\0' && p[1] != '\n' && p[1] != '\r') {
				nsf_buf_puts(b, "; ");
			}
		} else {
			nsf_buf_put(b, p, 1);
		}
	}
	nsf_buf_puts(b, "\n");
}

static void
put_set_trailer(struct nsf_buf *b, const char *key,
    const struct nsf_strv *set)
{
	char *joined;

	if (set == NULL) {
		return;
	}
	joined = set->n > 0 ? nsf_strv_join(set, " ") : nsf_xstrdup("(none)");
	put_trailer(b, key, joined);
	free(joined);
}

static void
put_subject(struct nsf_buf *b, const struct nsf_audit_record *r)
{
	const char *target = r->state != NULL ? r->state->active : NULL;

	if (r->subject != NULL) {
		const char *p;

		for (p = r->subject; *p != '\0'; p++) {
			nsf_buf_put(b, *p == '\n' || *p == '\r' ? " " : p, 1);
		}
		nsf_buf_puts(b, "\n");
		return;
	}
	nsf_buf_printf(b, "%s: %s", r->domain, r->action);
	if (target != NULL) {
		nsf_buf_printf(b, " (active: %s)", target);
	}
	nsf_buf_puts(b, "\n");
}

NSF_STATIC char *
audit_message(const struct nsf_audit_record *r)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	if (r->subject != NULL && r->subject[0] == '\0') {
		/* An empty subject would leave git a message that starts
		 * with a blank line: use the default one. */
		struct nsf_audit_record plain = *r;

		plain.subject = NULL;
		put_subject(&b, &plain);
	} else {
		put_subject(&b, r);
	}
	nsf_buf_puts(&b, "\n");
	put_trailer(&b, "Domain", r->domain);
	put_trailer(&b, "Action", r->action);
	put_set_trailer(&b, "From", r->from);
	put_set_trailer(&b, "To", r->to);
	put_trailer(&b, "Reason", r->reason);
	put_trailer(&b, "Policy-Commit", r->policy_commit);
	put_trailer(&b, "Client-TRID", r->client_trid);
	put_trailer(&b, "Server-TRID", r->server_trid);
	put_trailer(&b, "Intent", r->intent_id);
	return nsf_buf_detach(&b);
}

/* ---- recording -------------------------------------------------------- */

static int
record_locked(git_oid *out, struct nsf_audit *a,
    const struct nsf_audit_record *r)
{
	git_commit *parent = NULL;
	struct nsf_buf yaml;
	git_oid tip, blob;
	char *msg = NULL;
	int rc;

	nsf_buf_init(&yaml);
	rc = nsf_audit_ensure_branch(a);
	if (rc < 0) {
		goto out;
	}
	if (git_reference_name_to_id(&tip, a->repo, a->local_ref) < 0 ||
	    git_commit_lookup(&parent, a->repo, &tip) < 0) {
		rc = nsf_git_error(NSF_ERROR, "cannot read %s", a->local_ref);
		goto out;
	}
	if (r->state != NULL) {
		nsf_domain_state_format(r->state, &yaml);
		if (git_blob_create_from_buffer(&blob, a->repo, yaml.data,
		    yaml.len) < 0) {
			rc = nsf_git_error(NSF_ERROR, "cannot write the state "
			    "of %s", r->domain);
			goto out;
		}
	}
	msg = audit_message(r);
	rc = nsf_audit_commit_on(out, a, parent, r->domain,
	    r->state ? &blob : NULL, msg, NULL, true);
out:
	free(msg);
	nsf_buf_deinit(&yaml);
	git_commit_free(parent);
	return rc;
}

int
nsf_audit_record(struct nsf_audit *a, const struct nsf_audit_record *rec,
    char out_id[41])
{
	git_oid id;
	int rc;

	if (!audit_domain_ok(rec->domain) || rec->action == NULL ||
	    rec->action[0] == '\0') {
		return nsf_error_set(NSF_EINVAL, "audit record needs a domain "
		    "name and an action (domain '%s')",
		    rec->domain ? rec->domain : "");
	}
	rc = nsf_audit_lock(a);
	if (rc < 0) {
		return rc;
	}
	rc = record_locked(&id, a, rec);
	if (rc == 0) {
		if (out_id != NULL) {
			git_oid_tostr(out_id, 41, &id);
		}
		nsf_info(NSF_SRC_AUDIT, rec->domain, "recorded %s as %.12s",
		    rec->action, git_oid_tostr_s(&id));
		if (!a->no_push && a->remote != NULL) {
			nsf_audit_push_locked(a);
		}
	}
	nsf_audit_refresh_tip(a);
	nsf_audit_unlock(a);
	return rc;
}

/* ---- reading ---------------------------------------------------------- */

static int
read_blob_state(struct nsf_domain_state *out, git_repository *repo,
    const git_oid *blob_id, const char *what)
{
	git_blob *blob = NULL;
	int rc;

	if (git_blob_lookup(&blob, repo, blob_id) < 0) {
		return nsf_git_error(NSF_ERROR, "cannot read %s", what);
	}
	rc = nsf_domain_state_parse(out, git_blob_rawcontent(blob),
	    (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	if (rc < 0) {
		return nsf_error_set(rc, "%s: %s", what, nsf_error_last());
	}
	return 0;
}

static int
tip_tree(git_tree **out, struct nsf_audit *a)
{
	git_commit *c = NULL;
	git_oid id;
	int rc;

	if (git_reference_name_to_id(&id, a->repo, a->local_ref) < 0) {
		return nsf_error_set(NSF_ENOTFOUND, "no state branch %s",
		    a->branch);
	}
	rc = git_commit_lookup(&c, a->repo, &id);
	if (rc == 0) {
		rc = git_commit_tree(out, c);
	}
	git_commit_free(c);
	return rc < 0 ? nsf_git_error(NSF_ERROR, "cannot read %s",
	    a->local_ref) : 0;
}

int
nsf_audit_read_state(struct nsf_audit *a, const char *domain,
    struct nsf_domain_state *out)
{
	git_tree_entry *ent = NULL;
	git_tree *tree = NULL;
	char *path;
	int rc;

	if (!audit_domain_ok(domain)) {
		return nsf_error_set(NSF_EINVAL, "'%s' is not a domain name",
		    domain ? domain : "");
	}
	path = nsf_xasprintf("state/%s.yaml", domain);
	rc = tip_tree(&tree, a);
	if (rc < 0) {
		goto out;
	}
	if (git_tree_entry_bypath(&ent, tree, path) < 0) {
		rc = nsf_error_set(NSF_ENOTFOUND, "no state recorded for %s",
		    domain);
		goto out;
	}
	rc = read_blob_state(out, a->repo, git_tree_entry_id(ent), path);
out:
	git_tree_entry_free(ent);
	git_tree_free(tree);
	free(path);
	return rc;
}

void
nsf_audit_states_free(struct nsf_domain_state *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		nsf_domain_state_deinit(&v[i]);
	}
	free(v);
}

static int
read_state_tree(struct nsf_domain_state **out, size_t *out_n,
    struct nsf_audit *a, const git_tree *dir)
{
	size_t i, n = 0, count = git_tree_entrycount(dir);
	struct nsf_domain_state *v = nsf_xcalloc(count + 1, sizeof(*v));
	const git_tree_entry *e;
	char *what;
	int rc = 0;

	for (i = 0; i < count && rc == 0; i++) {
		e = git_tree_entry_byindex(dir, i);
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
			continue;
		}
		what = nsf_xasprintf("state/%s", git_tree_entry_name(e));
		rc = read_blob_state(&v[n], a->repo, git_tree_entry_id(e),
		    what);
		free(what);
		if (rc == 0) {
			n++;
		} else if (rc == NSF_EINVAL) {
			/* One bad file must not hide the others. */
			nsf_err(NSF_SRC_AUDIT, NULL, "%s; that domain is "
			    "treated as having no record", nsf_error_last());
			rc = 0;
		}
	}
	if (rc < 0) {
		nsf_audit_states_free(v, n);
		return rc;
	}
	*out = v;
	*out_n = n;
	return 0;
}

int
nsf_audit_read_all(struct nsf_audit *a, struct nsf_domain_state **out,
    size_t *out_n)
{
	git_tree_entry *ent = NULL;
	git_tree *tree = NULL, *dir = NULL;
	int rc;

	rc = tip_tree(&tree, a);
	if (rc < 0) {
		return rc;
	}
	if (git_tree_entry_bypath(&ent, tree, "state") < 0) {
		*out = NULL;
		*out_n = 0;
		goto out;
	}
	if (git_tree_lookup(&dir, a->repo, git_tree_entry_id(ent)) < 0) {
		rc = nsf_git_error(NSF_ERROR, "cannot read state/");
		goto out;
	}
	rc = read_state_tree(out, out_n, a, dir);
out:
	git_tree_free(dir);
	git_tree_entry_free(ent);
	git_tree_free(tree);
	return rc;
}
