/* policy_source.c - the policy read from a git repository at a commit,
 * with last known good, optional signature checks and a fetch interval. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "git_verify.h"
#include "gitutil.h"
#include "log.h"
#include "policy_source.h"

/* The loader lives in schema/.  Weak references let a binary built
 * without it link and say so at run time instead of failing to build. */
#pragma weak nsf_policy_load_files
#pragma weak nsf_policy_free
#pragma weak nsf_diags_init
#pragma weak nsf_diags_deinit

#define REF_TIP "refs/nsfailover/policy"
#define REF_TIP_TAG "refs/nsfailover/policy-tag"
#define REF_GOOD "refs/nsfailover/policy-good"

struct nsf_policy_source {
	char *url;
	bool local;             /* a path: read in place, never fetched */
	bool alternate;         /* its objects are an alternate of the
				 * cache */
	char *ref;              /* as configured */
	char *path;             /* in the repository */
	char *cache_dir;
	uint64_t interval_ms;
	git_repository *repo;   /* the bare cache */
	bool verify;
	struct nsf_sigcheck sig;
	struct nsf_policy *policy;      /* active; NULL before the first */
	struct nsf_policy *previous;    /* replaced by the last refresh; kept
					 * until the next one so callers can
					 * let go of pointers into it */
	struct nsf_strv policy_files;   /* names handed to the loader */
	char commit[41];        /* active policy's commit; "" none */
	int64_t loaded_at_ms;
	char *rejected_commit;  /* last refused commit; NULL none */
	char *rejected_error;
	bool reachable;
	char *fetch_error;      /* why the last fetch failed; NULL ok */
	int64_t fetched_mono_ms;        /* last fetch try; 0 never */
};

/* ---- opening ---------------------------------------------------------- */

static int
mkdir_p(const char *dir)
{
	char *tmp = nsf_xstrdup(dir), *p;
	int rc = 0;

	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0700);
			*p = '/';
		}
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
		rc = nsf_error_set(NSF_ERROR, "cannot create %s: %s", dir,
		    strerror(errno));
	}
	free(tmp);
	return rc;
}

/* Local paths become absolute so the cache works from any directory. */
static char *
url_normalize(const char *url)
{
	char real[PATH_MAX];

	if (strstr(url, "://") == NULL && url[0] != '/' &&
	    realpath(url, real) != NULL) {
		return nsf_xstrdup(real);
	}
	return nsf_xstrdup(url);
}

static int
cache_open(struct nsf_policy_source *src)
{
	git_remote *r = NULL;
	int rc = 0;

	if (git_repository_open_bare(&src->repo, src->cache_dir) < 0 &&
	    git_repository_init(&src->repo, src->cache_dir, 1) < 0) {
		return nsf_git_error(NSF_ERROR, "cannot create the cache "
		    "repository %s", src->cache_dir);
	}
	if (git_remote_lookup(&r, src->repo, "origin") < 0) {
		if (git_remote_create(&r, src->repo, "origin", src->url) < 0) {
			rc = nsf_git_error(NSF_ERROR, "cannot add remote %s",
			    src->url);
		}
	} else if (strcmp(git_remote_url(r), src->url) != 0 &&
	    git_remote_set_url(src->repo, "origin", src->url) < 0) {
		rc = nsf_git_error(NSF_ERROR, "cannot set remote %s",
		    src->url);
	}
	git_remote_free(r);
	return rc;
}

void
nsf_policy_source_free(struct nsf_policy_source *src)
{
	if (src == NULL) {
		return;
	}
	if (src->policy != NULL) {
		nsf_policy_free(src->policy);
		nsf_policy_free(src->previous);
	}
	nsf_strv_deinit(&src->policy_files);
	git_repository_free(src->repo);
	if (src->verify) {
		nsf_sigcheck_deinit(&src->sig);
	}
	free(src->url);
	free(src->ref);
	free(src->path);
	free(src->cache_dir);
	free(src->rejected_commit);
	free(src->rejected_error);
	free(src->fetch_error);
	free(src);
}

int
nsf_policy_source_open(struct nsf_policy_source **out,
    const struct nsf_policy_source_opts *o)
{
	struct nsf_policy_source *src = nsf_xcalloc(1, sizeof(*src));
	int rc;

	nsf_git_setup();
	if (o->url == NULL || o->cache_dir == NULL) {
		rc = nsf_error_set(NSF_EINVAL, "policy source needs a url and "
		    "a cache directory");
		goto out;
	}
	src->url = url_normalize(o->url);
	src->local = strstr(src->url, "://") == NULL;
	src->ref = nsf_xstrdup(o->ref ? o->ref : "main");
	src->path = nsf_xstrdup(o->path ? o->path : "policy");
	src->cache_dir = nsf_xstrdup(o->cache_dir);
	src->interval_ms = o->fetch_interval_ms ? o->fetch_interval_ms :
	    60000;
	src->reachable = true;
	nsf_strv_init(&src->policy_files);
	rc = mkdir_p(src->cache_dir);
	if (rc == 0) {
		rc = cache_open(src);
	}
	if (rc == 0 && o->verify_signatures) {
		rc = nsf_sigcheck_init(&src->sig, src->cache_dir,
		    o->gpg_key_files, o->gpg_fingerprints,
		    o->ssh_allowed_signers);
		src->verify = rc == 0;
	}
out:
	if (rc < 0) {
		nsf_policy_source_free(src);
		return rc;
	}
	*out = src;
	return 0;
}

/* ---- fetching --------------------------------------------------------- */

static bool
is_commit_id(const char *s)
{
	return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

/* The refspecs that bring the configured ref into the cache. */
static void
ref_specs(struct nsf_strv *out, const char *ref)
{
	if (is_commit_id(ref)) {
		nsf_strv_push(out, "+refs/heads/*:refs/nsfailover/heads/*");
	} else if (strncmp(ref, "refs/", 5) == 0 || strcmp(ref, "HEAD") == 0) {
		nsf_strv_push_owned(out, nsf_xasprintf("+%s:" REF_TIP, ref));
	} else {
		nsf_strv_push_owned(out, nsf_xasprintf("+refs/heads/%s:"
		    REF_TIP, ref));
		nsf_strv_push_owned(out, nsf_xasprintf("+refs/tags/%s:"
		    REF_TIP_TAG, ref));
	}
}

static void
set_unreachable(struct nsf_policy_source *src, const char *why)
{
	if (src->reachable || src->fetch_error == NULL ||
	    strcmp(src->fetch_error, why) != 0) {
		nsf_warn(NSF_SRC_POLICY, NULL, "cannot %s the policy from "
		    "%s: %s; running on the cached policy%s%.12s",
		    src->local ? "read" : "fetch", src->url, why,
		    src->commit[0] ? " at " : " (none yet)", src->commit);
	}
	free(src->fetch_error);
	src->fetch_error = nsf_xstrdup(why);
	src->reachable = false;
}

/* The fetch rewrites the tip refs; what the remote no longer has (a
 * deleted branch, a ref configured differently last time) must not stay
 * behind, but after a failed fetch the cached tips are all we have. */
struct saved_tips {
	git_oid id[2];
	bool had[2];
};

static const char *const tip_refs[] = { REF_TIP, REF_TIP_TAG };

static void
tips_clear(struct saved_tips *st, git_repository *repo)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		st->had[i] = git_reference_name_to_id(&st->id[i], repo,
		    tip_refs[i]) == 0;
		if (st->had[i]) {
			git_reference_remove(repo, tip_refs[i]);
		}
	}
}

static void
tips_restore(const struct saved_tips *st, git_repository *repo)
{
	git_reference *ref = NULL;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (st->had[i] && git_reference_create(&ref, repo,
		    tip_refs[i], &st->id[i], 1,
		    "nsfailover: keep cache") == 0) {
			git_reference_free(ref);
		}
	}
}

/* ---- a local repository, read in place ------------------------------ */

/* A path names a repository on this machine, often a CI checkout: shallow
 * (libgit2 cannot fetch from one) and with a detached HEAD.  Its objects
 * are read where they are, through an alternate of the cache, and only
 * the configured ref is copied into the cache's tip refs. */

static bool
alternates_has(const char *list, const char *dir)
{
	char *data = NULL, *line, *save = NULL;
	bool found = false;
	size_t len;

	if (nsf_file_read(&data, &len, list, 1u << 20) < 0) {
		nsf_error_clear();
		return false;
	}
	for (line = data ? strtok_r(data, "\n", &save) : NULL;
	    line != NULL && !found; line = strtok_r(NULL, "\n", &save)) {
		found = strcmp(line, dir) == 0;
	}
	free(data);
	return found;
}

static int
alternates_add(const char *list, const char *dir)
{
	char *data = NULL, *all;
	size_t len = 0;
	int rc;

	if (nsf_file_read(&data, &len, list, 1u << 20) < 0) {
		nsf_error_clear();
	}
	all = nsf_xasprintf("%s%s%s\n", data ? data : "",
	    len > 0 && data[len - 1] != '\n' ? "\n" : "", dir);
	rc = nsf_file_write_atomic(list, all, strlen(all), 0644);
	free(all);
	free(data);
	return rc;
}

/* The cache borrows the local repository's objects the way `git clone
 * --shared` does: listed in objects/info/alternates, so that the last
 * known good commit still reads after a restart. */
static int
local_add_alternate(struct nsf_policy_source *src, git_repository *from)
{
	git_odb *odb = NULL;
	char *dir, *list;
	int rc = 0;

	if (src->alternate) {
		return 0;
	}
	dir = nsf_xasprintf("%sobjects", git_repository_commondir(from));
	list = nsf_xasprintf("%sobjects/info/alternates",
	    git_repository_path(src->repo));
	if (alternates_has(list, dir)) {
		src->alternate = true;  /* read when the cache was opened */
		goto out;
	}
	if (git_repository_odb(&odb, src->repo) < 0 ||
	    git_odb_add_disk_alternate(odb, dir) < 0) {
		rc = nsf_git_error(NSF_ERROR, "cannot read objects from %s",
		    dir);
		goto out;
	}
	rc = alternates_add(list, dir);
	src->alternate = rc == 0;
out:
	git_odb_free(odb);
	free(list);
	free(dir);
	return rc;
}

/* The object the configured ref names in `from`, and which tip ref of
 * the cache it belongs in. */
static int
local_resolve(git_oid *out, const char **out_tip, git_repository *from,
    const char *ref)
{
	char *names[2];
	size_t i;
	int rc = NSF_ENOTFOUND;

	if (strncmp(ref, "refs/", 5) == 0 || strcmp(ref, "HEAD") == 0) {
		*out_tip = REF_TIP;
		return git_reference_name_to_id(out, from, ref) < 0 ?
		    NSF_ENOTFOUND : 0;
	}
	names[0] = nsf_xasprintf("refs/heads/%s", ref);
	names[1] = nsf_xasprintf("refs/tags/%s", ref);
	for (i = 0; i < 2 && rc < 0; i++) {
		if (git_reference_name_to_id(out, from, names[i]) == 0) {
			*out_tip = i == 0 ? REF_TIP : REF_TIP_TAG;
			rc = 0;
		}
	}
	free(names[0]);
	free(names[1]);
	return rc;
}

/* Points the cache's tip ref at what the local repository's ref names
 * now (a commit id needs nothing but the objects). */
static int
local_sync(struct nsf_policy_source *src)
{
	git_repository *from = NULL;
	git_reference *ref = NULL;
	const char *tip = REF_TIP;
	git_oid id;
	int rc;

	if (git_repository_open_ext(&from, src->url,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		return nsf_git_error(NSF_EUNREACHABLE, "cannot open "
		    "repository %s", src->url);
	}
	rc = local_add_alternate(src, from);
	if (rc < 0 || is_commit_id(src->ref)) {
		goto out;
	}
	git_reference_remove(src->repo, REF_TIP);
	git_reference_remove(src->repo, REF_TIP_TAG);
	if (local_resolve(&id, &tip, from, src->ref) < 0) {
		goto out;       /* resolve_target names what is missing */
	}
	if (git_reference_create(&ref, src->repo, tip, &id, 1,
	    "nsfailover: read in place") < 0) {
		rc = nsf_git_error(NSF_ERROR, "cannot record %s in the "
		    "cache", src->ref);
	}
	git_reference_free(ref);
out:
	git_repository_free(from);
	return rc;
}

static int
fetch_local(struct nsf_policy_source *src)
{
	int rc;

	src->fetched_mono_ms = nsf_mono_ms();
	rc = local_sync(src);
	if (rc < 0) {
		char *why = nsf_xstrdup(nsf_error_last());

		set_unreachable(src, why);
		free(why);
		return nsf_error_set(NSF_EUNREACHABLE, "%s",
		    src->fetch_error);
	}
	if (rc == 0) {
		if (!src->reachable) {
			nsf_notice(NSF_SRC_POLICY, NULL, "policy repository "
			    "%s readable again", src->url);
		}
		src->reachable = true;
		free(src->fetch_error);
		src->fetch_error = NULL;
	}
	return rc;
}

/* ---- a remote, fetched into the cache ------------------------------- */

/* A last known good commit whose objects are gone (the cache once read a
 * local repository that has since been removed) would make every fetch
 * fail; it cannot be loaded anyway. */
static void
good_ref_check(struct nsf_policy_source *src)
{
	git_odb *odb = NULL;
	git_oid id;

	if (git_reference_name_to_id(&id, src->repo, REF_GOOD) < 0 ||
	    git_repository_odb(&odb, src->repo) < 0) {
		return;
	}
	if (!git_odb_exists(odb, &id)) {
		nsf_warn(NSF_SRC_POLICY, NULL, "forgetting last known good "
		    "commit %.12s: its objects are no longer in %s",
		    git_oid_tostr_s(&id), src->cache_dir);
		git_reference_remove(src->repo, REF_GOOD);
	}
	git_odb_free(odb);
}

static int
fetch(struct nsf_policy_source *src)
{
	struct saved_tips saved;
	struct nsf_git_cred cred = { 0 };
	struct nsf_git_deadline dl;
	git_fetch_options fo;
	git_remote *r = NULL;
	struct nsf_strv specs;
	git_strarray arr;
	int rc = 0;

	if (src->local) {
		return fetch_local(src);
	}
	good_ref_check(src);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.credentials = nsf_git_credentials;
	fo.callbacks.payload = &cred;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	nsf_strv_init(&specs);
	ref_specs(&specs, src->ref);
	arr.strings = specs.v;
	arr.count = specs.n;
	src->fetched_mono_ms = nsf_mono_ms();
	tips_clear(&saved, src->repo);
	nsf_git_deadline_start(&dl);
	if (git_remote_lookup(&r, src->repo, "origin") < 0 ||
	    git_remote_fetch(r, &arr, &fo, "nsfailover: fetch policy") < 0) {
		const git_error *e = git_error_last();
		char *why = nsf_git_deadline_stop(&dl) ?
		    nsf_xasprintf("no answer within %.0f s",
		    (double)dl.ms / 1000) :
		    nsf_xstrdup(e ? e->message : "unknown error");

		tips_restore(&saved, src->repo);
		set_unreachable(src, why);
		free(why);
		rc = nsf_error_set(NSF_EUNREACHABLE, "cannot fetch %s: %s",
		    src->url, src->fetch_error);
	} else {
		nsf_git_deadline_stop(&dl);
		if (!src->reachable) {
			nsf_notice(NSF_SRC_POLICY, NULL, "policy remote %s "
			    "reached again", src->url);
		}
		src->reachable = true;
		free(src->fetch_error);
		src->fetch_error = NULL;
	}
	git_remote_free(r);
	nsf_strv_deinit(&specs);
	return rc;
}

/* The commit the configured ref names in the cache (tags peeled). */
static int
resolve_target(git_oid *out, struct nsf_policy_source *src)
{
	git_object *obj = NULL, *peeled = NULL;
	const char *names[] = { REF_TIP, REF_TIP_TAG };
	size_t i;
	int rc;

	if (is_commit_id(src->ref)) {
		rc = git_oid_fromstr(out, src->ref);
		return git_object_lookup(&obj, src->repo, out,
		    GIT_OBJECT_COMMIT) < 0 ? nsf_error_set(NSF_ENOTFOUND,
		    "commit %s is not in %s", src->ref, src->url) :
		    (git_object_free(obj), rc);
	}
	for (i = 0; i < NSF_ARRAY_SIZE(names); i++) {
		if (git_revparse_single(&obj, src->repo, names[i]) == 0) {
			break;
		}
	}
	if (obj == NULL) {
		return nsf_error_set(NSF_ENOTFOUND, "ref '%s' not found in %s "
		    "(tried refs/heads/%s and refs/tags/%s)", src->ref,
		    src->url, src->ref, src->ref);
	}
	rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	if (rc == 0) {
		git_oid_cpy(out, git_object_id(peeled));
	}
	git_object_free(peeled);
	git_object_free(obj);
	return rc < 0 ? nsf_git_error(NSF_ERROR, "'%s' is not a commit",
	    src->ref) : 0;
}

/* ---- loading ---------------------------------------------------------- */

struct blobset {
	git_blob **blobs;
	struct nsf_policy_file *files;
	struct nsf_strv names;
	size_t n;
	uint64_t total;         /* bytes of every blob so far */
};

static void
blobset_free(struct blobset *bs)
{
	size_t i;

	for (i = 0; i < bs->n; i++) {
		git_blob_free(bs->blobs[i]);
	}
	free(bs->blobs);
	free(bs->files);
	nsf_strv_deinit(&bs->names);
}

static bool
is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int
blobset_add(struct blobset *bs, git_repository *repo, const git_oid *id,
    const char *name)
{
	git_blob *b = NULL;

	if (git_blob_lookup(&b, repo, id) < 0) {
		return nsf_git_error(NSF_ERROR, "cannot read %s", name);
	}
	if (git_blob_rawsize(b) > NSF_POLICY_MAX_FILE_BYTES) {
		git_blob_free(b);
		return nsf_error_set(NSF_EINVAL, "%s: larger than %u bytes",
		    name, NSF_POLICY_MAX_FILE_BYTES);
	}
	bs->total += (uint64_t)git_blob_rawsize(b);
	if (bs->total > NSF_POLICY_MAX_TOTAL_BYTES) {
		git_blob_free(b);
		return nsf_error_set(NSF_EINVAL, "%s: the policy's files hold "
		    "more than %u bytes together; not read further", name,
		    NSF_POLICY_MAX_TOTAL_BYTES);
	}
	bs->blobs = nsf_xrealloc(bs->blobs, (bs->n + 1) * sizeof(*bs->blobs));
	bs->blobs[bs->n++] = b;
	nsf_strv_push(&bs->names, name);
	return 0;
}

static int
read_dir(struct blobset *bs, struct nsf_policy_source *src,
    const git_oid *tree_id)
{
	const git_tree_entry *e;
	git_tree *dir = NULL;
	size_t i;
	char *name;
	int rc = 0;

	if (git_tree_lookup(&dir, src->repo, tree_id) < 0) {
		return nsf_git_error(NSF_ERROR, "cannot read %s/", src->path);
	}
	for (i = 0; i < git_tree_entrycount(dir) && rc == 0; i++) {
		e = git_tree_entry_byindex(dir, i);
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
		    !is_yaml_name(git_tree_entry_name(e))) {
			continue;
		}
		name = nsf_xasprintf("%s/%s", src->path,
		    git_tree_entry_name(e));
		if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
			/* As `validate` says of it on disk. */
			rc = nsf_error_set(NSF_EINVAL, "%s: a symbolic link; "
			    "policy files must be regular files", name);
			free(name);
			break;
		}
		rc = blobset_add(bs, src->repo, git_tree_entry_id(e), name);
		free(name);
	}
	git_tree_free(dir);
	if (rc == 0 && bs->n == 0) {
		rc = nsf_error_set(NSF_EINVAL, "%s/ holds no *.yaml file",
		    src->path);
	}
	return rc;
}

/* Every policy blob of the commit, read whole before anything is parsed. */
static int
read_blobs(struct blobset *bs, struct nsf_policy_source *src,
    const git_commit *c)
{
	git_tree_entry *ent = NULL;
	git_tree *tree = NULL;
	size_t i;
	int rc;

	if (git_commit_tree(&tree, c) < 0) {
		return nsf_git_error(NSF_ERROR, "cannot read the commit's "
		    "tree");
	}
	if (git_tree_entry_bypath(&ent, tree, src->path) < 0) {
		rc = nsf_error_set(NSF_EINVAL, "no '%s' in the commit (the "
		    "policy path)", src->path);
	} else if (git_tree_entry_type(ent) == GIT_OBJECT_TREE) {
		rc = read_dir(bs, src, git_tree_entry_id(ent));
	} else {
		rc = blobset_add(bs, src->repo, git_tree_entry_id(ent),
		    src->path);
	}
	git_tree_entry_free(ent);
	git_tree_free(tree);
	if (rc < 0) {
		return rc;
	}
	bs->files = nsf_xcalloc(bs->n, sizeof(*bs->files));
	for (i = 0; i < bs->n; i++) {
		bs->files[i].name = bs->names.v[i];
		bs->files[i].data = git_blob_rawcontent(bs->blobs[i]);
		bs->files[i].len = (size_t)git_blob_rawsize(bs->blobs[i]);
	}
	return 0;
}

/* "file:line:col: message" of the first error, for status and logs. */
static char *
first_error(const struct nsf_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct nsf_diag *g = &d->v[i];

		if (g->severity == NSF_DIAG_ERROR) {
			return nsf_xasprintf("%s:%u:%u: %s", g->file ? g->file :
			    "?", g->line, g->col, g->message);
		}
	}
	return nsf_xstrdup(nsf_error_last());
}

static int
parse_blobs(struct nsf_policy **out, char **out_err, struct blobset *bs)
{
	struct nsf_diags diags;
	int rc;

	if (nsf_policy_load_files == NULL) {
		*out_err = nsf_xstrdup("this build has no policy loader");
		return NSF_ERROR;
	}
	nsf_diags_init(&diags);
	rc = nsf_policy_load_files(out, bs->files, bs->n, &diags);
	if (rc < 0) {
		*out_err = first_error(&diags);
	}
	nsf_diags_deinit(&diags);
	return rc < 0 ? rc : 0;
}

/* Loads the commit completely into a new policy, or says why not. */
static int
load_commit(struct nsf_policy **out, struct nsf_strv *out_names,
    char **out_err, struct nsf_policy_source *src, const git_oid *id)
{
	struct blobset bs;
	git_commit *c = NULL;
	int rc;

	memset(&bs, 0, sizeof(bs));
	nsf_strv_init(&bs.names);
	if (src->verify) {
		rc = nsf_sigcheck_commit(&src->sig, NULL, src->repo, id);
		if (rc < 0) {
			*out_err = nsf_xstrdup(nsf_error_last());
			return rc;
		}
	}
	if (git_commit_lookup(&c, src->repo, id) < 0) {
		rc = nsf_git_error(NSF_ERROR, "cannot read commit %s",
		    git_oid_tostr_s(id));
		*out_err = nsf_xstrdup(nsf_error_last());
		return rc;
	}
	rc = read_blobs(&bs, src, c);
	if (rc < 0) {
		*out_err = nsf_xstrdup(nsf_error_last());
	} else {
		rc = parse_blobs(out, out_err, &bs);
	}
	if (rc == 0) {
		*out_names = bs.names;
		nsf_strv_init(&bs.names);
	}
	blobset_free(&bs);
	git_commit_free(c);
	return rc;
}

/* ---- refreshing ------------------------------------------------------- */

static void
activate(struct nsf_policy_source *src, struct nsf_policy *p,
    struct nsf_strv *names, const git_oid *id)
{
	git_reference *ref = NULL;

	if (src->policy != NULL) {
		nsf_policy_free(src->previous);
		src->previous = src->policy;
	}
	nsf_strv_deinit(&src->policy_files);
	src->policy = p;
	src->policy_files = *names;
	git_oid_tostr(src->commit, sizeof(src->commit), id);
	src->loaded_at_ms = nsf_now_ms();
	free(src->rejected_commit);
	free(src->rejected_error);
	src->rejected_commit = NULL;
	src->rejected_error = NULL;
	/* Remembered so that a restart on a bad tip still has a policy. */
	if (git_reference_create(&ref, src->repo, REF_GOOD, id, 1,
	    "nsfailover: last known good policy") < 0) {
		nsf_warn(NSF_SRC_POLICY, NULL, "cannot remember commit %.12s "
		    "as last known good: %s", src->commit,
		    git_error_last() ? git_error_last()->message : "?");
	}
	git_reference_free(ref);
	nsf_notice(NSF_SRC_POLICY, NULL, "policy at commit %.12s loaded",
	    src->commit);
}

static void
reject(struct nsf_policy_source *src, const git_oid *id, char *err)
{
	char hex[41];

	git_oid_tostr(hex, sizeof(hex), id);
	if (src->rejected_commit == NULL ||
	    strcmp(src->rejected_commit, hex) != 0) {
		nsf_err(NSF_SRC_POLICY, NULL, "rejected policy commit %.12s: "
		    "%s; %s%.12s", hex, err, src->commit[0] ?
		    "keeping the last known good commit " :
		    "no valid policy yet, changing nothing", src->commit);
	}
	free(src->rejected_commit);
	free(src->rejected_error);
	src->rejected_commit = nsf_xstrdup(hex);
	src->rejected_error = err;
}

/* With no active policy (a restart), fall back to the last known good. */
static bool
load_last_good(struct nsf_policy_source *src, const git_oid *rejected)
{
	bool loaded = false;
	struct nsf_strv names;
	struct nsf_policy *p = NULL;
	char *err = NULL;
	git_oid good;

	if (src->policy != NULL ||
	    git_reference_name_to_id(&good, src->repo, REF_GOOD) < 0 ||
	    git_oid_equal(&good, rejected)) {
		return false;
	}
	if (load_commit(&p, &names, &err, src, &good) == 0) {
		activate(src, p, &names, &good);
		loaded = true;
	}
	free(err);
	return loaded;
}

static int
try_commit(struct nsf_policy_source *src, const git_oid *id, bool *changed)
{
	struct nsf_strv names;
	struct nsf_policy *p = NULL;
	char *err = NULL;
	int rc;

	rc = load_commit(&p, &names, &err, src, id);
	if (rc == 0) {
		activate(src, p, &names, id);
		*changed = true;
		return 0;
	}
	*changed = load_last_good(src, id);
	reject(src, id, err);
	return nsf_error_set(NSF_EINVAL, "policy commit %.12s rejected: %s",
	    src->rejected_commit, src->rejected_error);
}

int
nsf_policy_source_refresh(struct nsf_policy_source *src, bool force,
    bool *out_changed)
{
	bool changed = false;
	int fetch_rc = 0, rc;
	git_oid target;
	char hex[41];

	nsf_policy_free(src->previous);
	src->previous = NULL;
	if (force || src->fetched_mono_ms == 0 ||
	    nsf_mono_ms() - src->fetched_mono_ms >=
	    (int64_t)src->interval_ms) {
		fetch_rc = fetch(src);
	}
	rc = resolve_target(&target, src);
	if (rc < 0 && fetch_rc < 0) {
		return nsf_error_set(fetch_rc, "cannot fetch %s (%s) and "
		    "nothing is cached", src->url, src->fetch_error);
	}
	if (rc < 0) {
		nsf_err(NSF_SRC_POLICY, NULL, "%s; changing nothing",
		    nsf_error_last());
		return rc;
	}
	git_oid_tostr(hex, sizeof(hex), &target);
	if (strcmp(hex, src->commit) == 0) {
		rc = 0;
	} else if (src->rejected_commit != NULL &&
	    strcmp(hex, src->rejected_commit) == 0) {
		rc = nsf_error_set(NSF_EINVAL, "policy commit %.12s rejected: "
		    "%s", hex, src->rejected_error);
	} else {
		rc = try_commit(src, &target, &changed);
	}
	if (out_changed != NULL) {
		*out_changed = changed;
	}
	if (fetch_rc < 0 && rc == 0) {
		return nsf_error_set(NSF_EUNREACHABLE, "cannot fetch %s: %s",
		    src->url, src->fetch_error);
	}
	return rc;
}

/* ---- accessors -------------------------------------------------------- */

const struct nsf_policy *
nsf_policy_source_policy(const struct nsf_policy_source *src)
{
	return src->policy;
}

const char *
nsf_policy_source_commit(const struct nsf_policy_source *src)
{
	return src->commit[0] ? src->commit : NULL;
}

int64_t
nsf_policy_source_loaded_at(const struct nsf_policy_source *src)
{
	return src->loaded_at_ms;
}

const char *
nsf_policy_source_rejected_commit(const struct nsf_policy_source *src)
{
	return src->rejected_commit;
}

const char *
nsf_policy_source_rejected_error(const struct nsf_policy_source *src)
{
	return src->rejected_error;
}

bool
nsf_policy_source_reachable(const struct nsf_policy_source *src)
{
	return src->reachable;
}

const char *
nsf_policy_source_fetch_error(const struct nsf_policy_source *src)
{
	return src->fetch_error;
}

const char *
nsf_policy_source_repo_path(const struct nsf_policy_source *src)
{
	return git_repository_path(src->repo);
}
