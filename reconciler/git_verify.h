/* git_verify.h - checks that a commit is signed by a trusted key (OpenPGP
 * through gpg, SSH through ssh-keygen -Y verify). */
#ifndef NSF_GIT_VERIFY_H
#define NSF_GIT_VERIFY_H

#include <git2.h>

#include "nsf.h"

struct nsf_sigcheck {
	char *gnupg_home;       /* our own GNUPGHOME; NULL: no OpenPGP keys */
	struct nsf_strv trusted;        /* fingerprints, upper-case hex */
	char *allowed_signers;  /* ssh-keygen file; NULL: no SSH keys */
	char *tmp_dir;          /* where signatures are written to check */
};

/* Imports the key files into work_dir/gnupg and remembers what is
 * trusted: `fingerprints` when given, else every key in the files. */
int nsf_sigcheck_init(struct nsf_sigcheck *sc, const char *work_dir,
    const struct nsf_strv *key_files, const struct nsf_strv *fingerprints,
    const char *allowed_signers);
void nsf_sigcheck_deinit(struct nsf_sigcheck *sc);

/* 0 when commit `id` carries a good signature by a trusted key (*out_who,
 * may be NULL, names it); NSF_EINVAL with the reason otherwise. */
int nsf_sigcheck_commit(struct nsf_sigcheck *sc, char **out_who,
    git_repository *repo, const git_oid *id);

#endif
