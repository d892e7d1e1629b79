/* git_verify.c - checks that a commit is signed by a trusted key (OpenPGP
 * through gpg, SSH through ssh-keygen -Y verify). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "git_verify.h"
#include "gitutil.h"

static char *
fpr_normalize(const char *s)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	for (; *s != '\0'; s++) {
		if (isxdigit((unsigned char)*s)) {
			char c = (char)toupper((unsigned char)*s);

			nsf_buf_put(&b, &c, 1);
		}
	}
	return nsf_buf_detach(&b);
}

static int
gpg_run(struct nsf_sigcheck *sc, struct nsf_buf *out, const char *in,
    size_t in_len, char *const extra[])
{
	char *argv[16] = { "gpg", "--batch", "--no-tty", "--homedir",
	    sc->gnupg_home, "--trust-model", "always", "--status-fd", "1" };
	size_t i, n = 9;
	int st, rc;

	for (i = 0; extra[i] != NULL && n < NSF_ARRAY_SIZE(argv) - 1; i++) {
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	rc = nsf_proc_run(&st, argv, in, in_len, out, NULL);
	if (rc < 0) {
		return rc;
	}
	return st == 0 ? 0 : NSF_ERROR;
}

/* Imports one key file and adds its primary fingerprints to `fprs`. */
static int
gpg_import(struct nsf_sigcheck *sc, const char *file, struct nsf_strv *fprs)
{
	char *show[] = { "--with-colons", "--import-options", "show-only",
	    "--import", (char *)file, NULL };
	char *imp[] = { "--import", (char *)file, NULL };
	struct nsf_buf out;
	char *line, *save = NULL;
	bool after_pub = false;
	int rc;

	nsf_buf_init(&out);
	rc = gpg_run(sc, &out, NULL, 0, show);
	if (rc == 0) {
		rc = gpg_run(sc, NULL, NULL, 0, imp);
	}
	if (rc < 0) {
		rc = nsf_error_set(NSF_EINVAL, "cannot import OpenPGP key "
		    "file %s: %.200s", file, out.data ? out.data : "");
		goto out;
	}
	for (line = strtok_r(out.data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "pub:", 4) == 0) {
			after_pub = true;
		} else if (after_pub && strncmp(line, "fpr:", 4) == 0) {
			char *f = line + 4;

			while (*f == ':') {
				f++;
			}
			f[strcspn(f, ":")] = '\0';
			nsf_strv_push_owned(fprs, fpr_normalize(f));
			after_pub = false;
		}
	}
out:
	nsf_buf_deinit(&out);
	return rc;
}

static int
gpg_setup(struct nsf_sigcheck *sc, const char *work_dir,
    const struct nsf_strv *key_files, const struct nsf_strv *fingerprints)
{
	struct nsf_strv from_files;
	size_t i;
	int rc = 0;

	sc->gnupg_home = nsf_xasprintf("%s/gnupg", work_dir);
	if (mkdir(sc->gnupg_home, 0700) < 0 && errno != EEXIST) {
		return nsf_error_set(NSF_ERROR, "%s: %s", sc->gnupg_home,
		    strerror(errno));
	}
	nsf_strv_init(&from_files);
	for (i = 0; i < key_files->n && rc == 0; i++) {
		rc = gpg_import(sc, key_files->v[i], &from_files);
	}
	if (fingerprints != NULL && fingerprints->n > 0) {
		for (i = 0; i < fingerprints->n; i++) {
			nsf_strv_push_owned(&sc->trusted,
			    fpr_normalize(fingerprints->v[i]));
		}
	} else {
		for (i = 0; i < from_files.n; i++) {
			nsf_strv_push(&sc->trusted, from_files.v[i]);
		}
	}
	nsf_strv_deinit(&from_files);
	return rc;
}

int
nsf_sigcheck_init(struct nsf_sigcheck *sc, const char *work_dir,
    const struct nsf_strv *key_files, const struct nsf_strv *fingerprints,
    const char *allowed_signers)
{
	int rc = 0;

	memset(sc, 0, sizeof(*sc));
	nsf_strv_init(&sc->trusted);
	sc->tmp_dir = nsf_xstrdup(work_dir);
	if (key_files != NULL && key_files->n > 0) {
		rc = gpg_setup(sc, work_dir, key_files, fingerprints);
	}
	if (rc == 0 && allowed_signers != NULL) {
		if (access(allowed_signers, R_OK) < 0) {
			rc = nsf_error_set(NSF_EINVAL, "allowed signers file "
			    "%s: %s", allowed_signers, strerror(errno));
		}
		sc->allowed_signers = nsf_xstrdup(allowed_signers);
	}
	if (rc == 0 && sc->gnupg_home == NULL &&
	    sc->allowed_signers == NULL) {
		rc = nsf_error_set(NSF_EINVAL, "signature verification is on "
		    "but no trusted key is configured (OpenPGP key files or "
		    "an SSH allowed signers file)");
	}
	if (rc < 0) {
		nsf_sigcheck_deinit(sc);
	}
	return rc;
}

void
nsf_sigcheck_deinit(struct nsf_sigcheck *sc)
{
	free(sc->gnupg_home);
	nsf_strv_deinit(&sc->trusted);
	free(sc->allowed_signers);
	free(sc->tmp_dir);
	memset(sc, 0, sizeof(*sc));
}

static int
write_temp(char **out_path, const char *dir, const char *data, size_t len)
{
	char *path = nsf_xasprintf("%s/sig.XXXXXX", dir);
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		int rc = nsf_error_set(NSF_ERROR, "%s: %s", path,
		    strerror(errno));

		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(path);
		return rc;
	}
	close(fd);
	*out_path = path;
	return 0;
}

/* ERRSIG <keyid> <algo> <hash> <class> <time> <rc> [<fpr>]: a key we do
 * not hold made the signature; name it as precisely as gpg can. */
static char *
errsig_key(char *rest)
{
	char *f[8], *save = NULL, *t;
	size_t n = 0;

	for (t = strtok_r(rest, " ", &save); t != NULL && n < 8;
	    t = strtok_r(NULL, " ", &save)) {
		f[n++] = t;
	}
	if (n == 0) {
		return NULL;
	}
	return nsf_xasprintf("!%s", n >= 7 && strcmp(f[6], "-") != 0 ?
	    f[6] : f[0]);
}

/* VALIDSIG <signing-key fpr> ... <primary fpr>: either may be trusted. */
static char *
validsig_trusted(const struct nsf_sigcheck *sc, char *status)
{
	char *line, *save = NULL, *save2 = NULL, *f[12], *s2;
	bool good = false;
	char *who = NULL;
	size_t n;

	for (line = strtok_r(status, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "[GNUPG:] GOODSIG ", 17) == 0) {
			good = true;
		}
		if (strncmp(line, "[GNUPG:] ERRSIG ", 16) == 0) {
			return errsig_key(line + 16);
		}
		if (strncmp(line, "[GNUPG:] VALIDSIG ", 18) != 0) {
			continue;
		}
		n = 0;
		for (s2 = strtok_r(line + 18, " ", &save2); s2 != NULL &&
		    n < 12; s2 = strtok_r(NULL, " ", &save2)) {
			f[n++] = s2;
		}
		if (n >= 1 && nsf_strv_contains(&sc->trusted, f[0])) {
			who = f[0];
		} else if (n >= 10 && nsf_strv_contains(&sc->trusted, f[9])) {
			who = f[9];
		} else if (n >= 1) {
			return nsf_xasprintf("!%s", f[n >= 10 ? 9 : 0]);
		}
	}
	return good && who != NULL ? nsf_xstrdup(who) : NULL;
}

static int
verify_gpg(struct nsf_sigcheck *sc, char **out_who, const git_buf *sig,
    const git_buf *data, const char *commit)
{
	struct nsf_buf out;
	char *path = NULL, *who = NULL;
	int rc;

	if (sc->gnupg_home == NULL) {
		return nsf_error_set(NSF_EINVAL, "commit %s has an OpenPGP "
		    "signature but no OpenPGP key is trusted", commit);
	}
	rc = write_temp(&path, sc->tmp_dir, sig->ptr, sig->size);
	if (rc < 0) {
		return rc;
	}
	nsf_buf_init(&out);
	{
		char *args[] = { "--verify", path, "-", NULL };

		gpg_run(sc, &out, data->ptr, data->size, args);
	}
	who = out.data ? validsig_trusted(sc, out.data) : NULL;
	if (who == NULL) {
		rc = nsf_error_set(NSF_EINVAL, "commit %s: OpenPGP signature "
		    "is not good", commit);
	} else if (who[0] == '!') {
		rc = nsf_error_set(NSF_EINVAL, "commit %s is signed by key %s, "
		    "which is not trusted", commit, who + 1);
	} else {
		*out_who = who;
		who = NULL;
	}
	free(who);
	unlink(path);
	free(path);
	nsf_buf_deinit(&out);
	return rc;
}

static int
ssh_principal(struct nsf_sigcheck *sc, char **out, const char *sigpath)
{
	char *argv[] = { "ssh-keygen", "-Y", "find-principals", "-s",
	    (char *)sigpath, "-f", sc->allowed_signers, NULL };
	struct nsf_buf b;
	int st, rc;

	nsf_buf_init(&b);
	rc = nsf_proc_run(&st, argv, NULL, 0, &b, NULL);
	if (rc == 0 && (st != 0 || b.len == 0)) {
		rc = NSF_EINVAL;
	}
	if (rc == 0) {
		b.data[strcspn(b.data, "\r\n")] = '\0';
		*out = nsf_xstrdup(b.data);
	}
	nsf_buf_deinit(&b);
	return rc;
}

static int
verify_ssh(struct nsf_sigcheck *sc, char **out_who, const git_buf *sig,
    const git_buf *data, const char *commit)
{
	char *path = NULL, *principal = NULL;
	int rc, st = 1;

	if (sc->allowed_signers == NULL) {
		return nsf_error_set(NSF_EINVAL, "commit %s has an SSH "
		    "signature but no SSH key is trusted", commit);
	}
	rc = write_temp(&path, sc->tmp_dir, sig->ptr, sig->size);
	if (rc < 0) {
		return rc;
	}
	if (ssh_principal(sc, &principal, path) < 0) {
		rc = nsf_error_set(NSF_EINVAL, "commit %s is signed by an SSH "
		    "key that is not in %s", commit, sc->allowed_signers);
		goto out;
	}
	{
		char *argv[] = { "ssh-keygen", "-Y", "verify", "-f",
		    sc->allowed_signers, "-I", principal, "-n", "git", "-s",
		    path, NULL };

		rc = nsf_proc_run(&st, argv, data->ptr, data->size, NULL,
		    NULL);
	}
	if (rc == 0 && st != 0) {
		rc = nsf_error_set(NSF_EINVAL, "commit %s: SSH signature by "
		    "%s is not good", commit, principal);
	}
	if (rc == 0) {
		*out_who = principal;
		principal = NULL;
	}
out:
	free(principal);
	unlink(path);
	free(path);
	return rc;
}

int
nsf_sigcheck_commit(struct nsf_sigcheck *sc, char **out_who,
    git_repository *repo, const git_oid *id)
{
	git_buf sig = { 0 }, data = { 0 };
	char commit[13], *who = NULL;
	int rc;

	git_oid_tostr(commit, sizeof(commit), id);
	if (git_commit_extract_signature(&sig, &data, repo, (git_oid *)id,
	    NULL) < 0) {
		return nsf_error_set(NSF_EINVAL, "commit %s is not signed",
		    commit);
	}
	if (strstr(sig.ptr, "-----BEGIN PGP SIGNATURE-----") == sig.ptr) {
		rc = verify_gpg(sc, &who, &sig, &data, commit);
	} else if (strstr(sig.ptr, "-----BEGIN SSH SIGNATURE-----") ==
	    sig.ptr) {
		rc = verify_ssh(sc, &who, &sig, &data, commit);
	} else {
		rc = nsf_error_set(NSF_EINVAL, "commit %s has a signature of "
		    "a kind nsfailover cannot check (X.509?)", commit);
	}
	if (rc == 0 && out_who != NULL) {
		*out_who = who;
		who = NULL;
	}
	free(who);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return rc;
}
