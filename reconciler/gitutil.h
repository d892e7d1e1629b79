/* gitutil.h - libgit2 set-up, error messages and child processes shared by
 * the policy source, the audit log and 'nsfailover history'. */
#ifndef NSF_GITUTIL_H
#define NSF_GITUTIL_H

#include <git2.h>

#include "nsf.h"

/* Initialises libgit2 once per process, with fsync of the git directory
 * on so that a commit reported written survives a crash. */
void nsf_git_setup(void);

/* Credentials for ssh:// remotes, tried in turn on each connection: the
 * ssh-agent at SSH_AUTH_SOCK, then ~/.ssh/id_ed25519, id_ecdsa and id_rsa
 * (the user name is the URL's, else "git").  Zero the struct before each
 * fetch or push and pass it as the callback's payload. */
struct nsf_git_cred {
	unsigned tries;         /* candidates handed out so far */
};

int nsf_git_credentials(git_credential **out, const char *url,
    const char *username_from_url, unsigned int allowed_types,
    void *payload);

/*
 * A deadline for one fetch or push.  libgit2 1.5 has no timeout of its
 * own: a server that accepts the connection and then says nothing would
 * block the caller for ever.  While a deadline runs, a timer signals the
 * calling thread when it expires (and again every 200 ms until stopped);
 * the blocked connect, send or receive fails with EINTR and libgit2
 * returns an error.  The time is NSF_GIT_TIMEOUT seconds from the
 * environment, else 60.
 */
struct nsf_git_deadline {
	bool armed;
	uint64_t ms;            /* the time allowed */
	void *timer;            /* timer_t */
};

void nsf_git_deadline_start(struct nsf_git_deadline *d);
/* Stops the timer; true when it had expired (the operation's error is
 * then best reported as "no answer within N s"). */
bool nsf_git_deadline_stop(struct nsf_git_deadline *d);

/* Sets the nsf error to "<what>: <libgit2's message>" and returns code. */
int nsf_git_error(int code, const char *fmt, ...) NSF_PRINTF(2, 3);

/* Runs argv (no shell) with `in` on standard input; collects standard
 * output into `out` (may be NULL).  Writes the exit status (or 128 + the
 * signal) to *out_status.  Returns 0 when the program ran. */
int nsf_proc_run(int *out_status, char *const argv[], const char *in,
    size_t in_len, struct nsf_buf *out, const char *const *env_extra);

/* Writes data to path through a temporary file, fsync and rename. */
int nsf_file_write_atomic(const char *path, const void *data, size_t len,
    int mode);

#endif
