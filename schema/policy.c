/* policy.c - reading a policy from disk, lookups, fingerprints. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "keys.h"

void
nsf_policy_free(struct nsf_policy *p)
{
	if (p == NULL) {
		return;
	}
	nsf_arena_free(p->arena);
	free(p);
}

static int
name_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

/* Every element type below starts with its name pointer. */
static const void *
find_by_name(const void *base, size_t n, size_t size, const char *name)
{
	return bsearch(name, base, n, size, name_key_cmp);
}

const struct nsf_domain *
nsf_policy_domain(const struct nsf_policy *p, const char *name)
{
	const struct nsf_domain *d;
	char why[160], *norm;

	norm = nsf_name_normalize(name, why, sizeof(why));
	if (norm == NULL) {
		return NULL;
	}
	d = find_by_name(p->domains, p->ndomains, sizeof(*p->domains), norm);
	free(norm);
	return d;
}

const struct nsf_provider *
nsf_policy_provider(const struct nsf_policy *p, const char *name)
{
	return find_by_name(p->providers, p->nproviders,
	    sizeof(*p->providers), name);
}

const struct nsf_registry *
nsf_policy_registry(const struct nsf_policy *p, const char *name)
{
	return find_by_name(p->registries, p->nregistries,
	    sizeof(*p->registries), name);
}

void
nsf_group_nameservers(struct nsf_strv *out, const struct nsf_group *g)
{
	size_t i, j;

	nsf_strv_init(out);
	for (i = 0; i < g->nproviders; i++) {
		for (j = 0; j < g->providers[i]->nns; j++) {
			nsf_strv_push(out, g->providers[i]->ns[j].name);
		}
	}
	nsf_strv_sort_unique(out);
}

static void
fp_group(struct nsf_buf *b, const char *role, const struct nsf_group *g)
{
	size_t i, j, k;

	nsf_buf_printf(b, "group %s %s\n", role, g->label ? g->label : "");
	for (i = 0; i < g->nproviders; i++) {
		const struct nsf_provider *pr = g->providers[i];

		nsf_buf_printf(b, " provider %s port %u\n", pr->name,
		    pr->port);
		for (j = 0; j < pr->nns; j++) {
			nsf_buf_printf(b, "  ns %s", pr->ns[j].name);
			for (k = 0; k < pr->ns[j].naddrs; k++) {
				nsf_buf_printf(b, " %s", pr->ns[j].addrs[k]);
			}
			nsf_buf_puts(b, "\n");
		}
	}
	for (i = 0; i < g->nds; i++) {
		nsf_buf_printf(b, " ds %s\n", g->ds[i]);
	}
}

static void
fp_settings(struct nsf_buf *b, const struct nsf_domain *d)
{
	const struct nsf_health_cfg *h = &d->health;
	size_t i;

	nsf_buf_printf(b, "mode %s\n", nsf_schema_mode_names[d->mode]);
	nsf_buf_printf(b, "health %llu %llu %u %u %u %u\n",
	    (unsigned long long)h->interval_ms,
	    (unsigned long long)h->timeout_ms, h->retries, h->fail_after,
	    h->recover_after, h->quorum);
	nsf_buf_printf(b, "readiness %s\n",
	    nsf_schema_ready_names[d->readiness.mode]);
	for (i = 0; i < d->readiness.nrecords; i++) {
		nsf_buf_printf(b, " record %s %u\n",
		    d->readiness.records[i].name,
		    d->readiness.records[i].type);
	}
	nsf_buf_printf(b, "failback %s %llu\n",
	    nsf_schema_failback_names[d->failback.mode],
	    (unsigned long long)d->failback.hold_down_ms);
	nsf_buf_printf(b, "flap %u %llu\n", d->flap.max_changes,
	    (unsigned long long)d->flap.window_ms);
	nsf_buf_printf(b, "drift %s\nsuspend %d\npin %s\n",
	    nsf_schema_drift_names[d->drift], d->suspend ? 1 : 0,
	    d->pin ? d->pin->label : "-");
}

/* The canonical text the fingerprint is taken over: one fact a line, in
 * a fixed order, with every default resolved. */
void
nsf_domain_canonical(struct nsf_buf *b, const struct nsf_domain *d)
{
	const struct nsf_registry *r = d->registry;
	size_t i;

	nsf_buf_printf(b, "nsfailover-domain-policy 1\ndomain %s\n",
	    d->name);
	if (r != NULL) {
		nsf_buf_printf(b, "registry %s %s %s %u %s\n", r->name,
		    nsf_schema_regtype_names[r->type],
		    r->server.host ? r->server.host : "-", r->server.port,
		    r->zone ? r->zone : "-");
	}
	fp_group(b, "primary", &d->primary);
	for (i = 0; i < d->nbackups; i++) {
		fp_group(b, "backup", &d->backups[i]);
	}
	fp_settings(b, d);
}

void
nsf_domain_fingerprint(char out[65], const struct nsf_domain *d)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct nsf_buf b;

	nsf_buf_init(&b);
	nsf_domain_canonical(&b, d);
	EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++) {
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	}
	out[64] = '\0';
	nsf_buf_deinit(&b);
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files a policy path names: itself, or the *.yaml in it, sorted. */
static int
list_files(struct nsf_strv *out, const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *dir;
	size_t plen = strlen(path);

	if (stat(path, &st) != 0) {
		return nsf_error_set(errno == ENOENT ? NSF_ENOTFOUND :
		    NSF_ERROR, "%s: %s", path, strerror(errno));
	}
	nsf_strv_init(out);
	if (!S_ISDIR(st.st_mode)) {
		nsf_strv_push(out, path);
		return 0;
	}
	dir = opendir(path);
	if (dir == NULL) {
		return nsf_error_set(NSF_ERROR, "%s: %s", path,
		    strerror(errno));
	}
	while (plen > 1 && path[plen - 1] == '/') {
		plen--;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t n = strlen(de->d_name);
		char *full;
		int rc;

		if (de->d_name[0] == '.' || n < 6 ||
		    strcmp(de->d_name + n - 5, ".yaml") != 0) {
			continue;
		}
		full = strcmp(path, ".") == 0 ? nsf_xstrdup(de->d_name) :
		    nsf_xasprintf("%.*s/%s", (int)plen, path, de->d_name);
		/* Only regular files: a link would read differently from
		 * git (which stores its target), a FIFO would block. */
		rc = lstat(full, &st) != 0 ? nsf_error_set(NSF_ERROR,
		    "%s: %s", full, strerror(errno)) :
		    S_ISDIR(st.st_mode) ? 1 :
		    S_ISLNK(st.st_mode) ? nsf_error_set(NSF_ERROR, "%s: a "
		    "symbolic link; policy files must be regular files, as "
		    "they are in git", full) :
		    !S_ISREG(st.st_mode) ? nsf_error_set(NSF_ERROR, "%s: not "
		    "a regular file", full) : 0;
		if (rc < 0) {
			free(full);
			closedir(dir);
			nsf_strv_deinit(out);
			return rc;
		}
		if (rc == 1) {
			free(full);     /* subdirectories are not read */
			continue;
		}
		nsf_strv_push_owned(out, full);
	}
	closedir(dir);
	if (out->n == 0) {
		nsf_strv_deinit(out);
		return nsf_error_set(NSF_ENOTFOUND, "%s: no *.yaml files in "
		    "this directory", path);
	}
	qsort(out->v, out->n, sizeof(*out->v), path_cmp);
	return 0;
}

/* Reads one file; one over the size limit, or one that brings the files
 * before it over the policy's limit, is not read at all: the loader sees
 * only its size and reports it. */
static int
read_one(struct nsf_policy_file *f, char **buf, const char *name,
    uint64_t *total)
{
	struct stat st;
	size_t len;
	int rc;

	f->name = name;
	*buf = NULL;
	if (stat(name, &st) == 0) {
		*total += (uint64_t)st.st_size;
		if ((uint64_t)st.st_size > NSF_POLICY_MAX_FILE_BYTES ||
		    *total > NSF_POLICY_MAX_TOTAL_BYTES) {
			f->data = "";
			f->len = (size_t)st.st_size;
			return 0;
		}
	}
	rc = nsf_file_read(buf, &len, name, NSF_POLICY_MAX_FILE_BYTES);
	if (rc != 0) {
		return rc;
	}
	f->data = *buf;
	f->len = len;
	return 0;
}

int
nsf_policy_load_path(struct nsf_policy **out, const char *path,
    struct nsf_diags *diags)
{
	struct nsf_policy_file *files = NULL;
	struct nsf_strv names;
	char **bufs = NULL;
	uint64_t total = 0;
	size_t i;
	int rc;

	rc = list_files(&names, path);
	if (rc != 0) {
		return rc;
	}
	files = nsf_xcalloc(names.n, sizeof(*files));
	bufs = nsf_xcalloc(names.n, sizeof(*bufs));
	for (i = 0; i < names.n; i++) {
		rc = read_one(&files[i], &bufs[i], names.v[i], &total);
		if (rc != 0) {
			goto out;
		}
	}
	rc = nsf_policy_load_files(out, files, names.n, diags);

out:
	for (i = 0; i < names.n; i++) {
		free(bufs[i]);
	}
	free(bufs);
	free(files);
	nsf_strv_deinit(&names);
	return rc;
}
