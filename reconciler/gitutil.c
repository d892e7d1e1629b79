/* gitutil.c - libgit2 set-up, error messages and child processes shared by
 * the policy source, the audit log and 'nsfailover history'. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gitutil.h"

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static __thread volatile sig_atomic_t deadline_fired;

static int
deadline_signal(void)
{
	return SIGRTMIN + 4;
}

static void
on_deadline(int sig)
{
	(void)sig;
	deadline_fired = 1;
}

static void
shutdown_git(void)
{
	git_libgit2_shutdown();
}

static void
setup(void)
{
	git_libgit2_init();
	atexit(shutdown_git);
	/* Objects, refs and their directories are fsync'ed: an intent
	 * reported committed is still there after a power cut. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	{
		/* No SA_RESTART: the point is to interrupt. */
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_deadline;
		sigemptyset(&sa.sa_mask);
		sigaction(deadline_signal(), &sa, NULL);
	}
	/* libgit2 here is built on mbedTLS, which reads only the system's
	 * CA bundle; honour the variables OpenSSL and curl honour. */
	if (getenv("SSL_CERT_FILE") != NULL || getenv("SSL_CERT_DIR") != NULL) {
		git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
		    getenv("SSL_CERT_FILE"), getenv("SSL_CERT_DIR"));
	}
}

static const char *const ssh_key_names[] = {
	"id_ed25519", "id_ecdsa", "id_rsa",
};

/* The n-th SSH credential to try: the agent, then each key file that
 * exists.  Returns 1 when there is no n-th. */
static int
ssh_candidate(git_credential **out, const char *user, unsigned n)
{
	const char *home = getenv("HOME");
	char *priv, *pub;
	size_t i;
	int rc;

	if (getenv("SSH_AUTH_SOCK") != NULL) {
		if (n == 0) {
			return git_credential_ssh_key_from_agent(out, user);
		}
		n--;
	}
	for (i = 0; home != NULL && i < NSF_ARRAY_SIZE(ssh_key_names); i++) {
		priv = nsf_xasprintf("%s/.ssh/%s", home, ssh_key_names[i]);
		pub = nsf_xasprintf("%s.pub", priv);
		rc = 1;
		if (access(priv, R_OK) == 0 && n-- == 0) {
			rc = git_credential_ssh_key_new(out, user,
			    access(pub, R_OK) == 0 ? pub : NULL, priv, NULL);
		}
		free(priv);
		free(pub);
		if (rc <= 0) {
			return rc;
		}
	}
	return 1;
}

int
nsf_git_credentials(git_credential **out, const char *url,
    const char *username_from_url, unsigned int allowed_types,
    void *payload)
{
	struct nsf_git_cred *st = payload;
	const char *user = username_from_url != NULL &&
	    username_from_url[0] != '\0' ? username_from_url : "git";
	int rc;

	if (allowed_types & GIT_CREDENTIAL_USERNAME) {
		return git_credential_username_new(out, user);
	}
	if (!(allowed_types & GIT_CREDENTIAL_SSH_KEY)) {
		git_error_set_str(GIT_ERROR_NET, "the remote asks for a "
		    "password; nsfailover authenticates with SSH keys only "
		    "(or credentials in the URL)");
		return GIT_EAUTH;
	}
	rc = ssh_candidate(out, user, st->tries++);
	if (rc == 1) {
		git_error_set_str(GIT_ERROR_SSH, "no SSH key was accepted "
		    "(tried the ssh-agent if SSH_AUTH_SOCK is set, then "
		    "~/.ssh/id_ed25519, id_ecdsa and id_rsa)");
		return GIT_EAUTH;
	}
	return rc;
}

void
nsf_git_setup(void)
{
	pthread_once(&setup_once, setup);
}

static uint64_t
deadline_ms(void)
{
	const char *v = getenv("NSF_GIT_TIMEOUT");
	char *end = NULL;
	double secs = v != NULL ? strtod(v, &end) : 0;

	if (v == NULL || end == v || *end != '\0' || secs <= 0) {
		return 60000;
	}
	return (uint64_t)(secs * 1000);
}

void
nsf_git_deadline_start(struct nsf_git_deadline *d)
{
	struct sigevent sev;
	struct itimerspec its;
	timer_t *t = nsf_xcalloc(1, sizeof(*t));
	sigset_t set;

	nsf_git_setup();        /* the handler; unhandled, it would kill */
	memset(d, 0, sizeof(*d));
	d->ms = deadline_ms();
	deadline_fired = 0;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = deadline_signal();
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, t) < 0) {
		free(t);
		return;         /* no deadline: as before, not worse */
	}
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(d->ms / 1000);
	its.it_value.tv_nsec = (long)(d->ms % 1000) * 1000000;
	its.it_interval.tv_nsec = 200 * 1000000;
	sigemptyset(&set);
	sigaddset(&set, deadline_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	timer_settime(*t, 0, &its, NULL);
	d->timer = t;
	d->armed = true;
}

bool
nsf_git_deadline_stop(struct nsf_git_deadline *d)
{
	timer_t *t = d->timer;

	if (!d->armed) {
		return false;
	}
	timer_delete(*t);
	free(t);
	d->timer = NULL;
	d->armed = false;
	return deadline_fired != 0;
}

int
nsf_git_error(int code, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	va_list ap;
	char *what;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (n < 0) {
		return nsf_error_set(code, "%s", fmt);
	}
	nsf_error_set(code, "%s: %s", what,
	    e != NULL && e->message != NULL ? e->message : "unknown error");
	free(what);
	return code;
}

static void
child_exec(int in_fd, int out_fd, char *const argv[],
    const char *const *env_extra)
{
	size_t i;

	dup2(in_fd, 0);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
	for (i = 0; env_extra != NULL && env_extra[i] != NULL; i++) {
		putenv((char *)env_extra[i]);
	}
	execvp(argv[0], argv);
	_exit(127);
}

/* Feeds `in` and drains the child's output without deadlocking on full
 * pipes. */
static int
pump(int wfd, int rfd, const char *in, size_t in_len, struct nsf_buf *out)
{
	struct pollfd p[2];
	char chunk[4096];
	size_t off = 0;
	ssize_t n;

	if (in_len == 0) {
		close(wfd);
		wfd = -1;
	}
	while (rfd >= 0) {
		p[0] = (struct pollfd){ .fd = wfd, .events = POLLOUT };
		p[1] = (struct pollfd){ .fd = rfd, .events = POLLIN };
		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			break;
		}
		if (wfd >= 0 && (p[0].revents & (POLLOUT | POLLERR))) {
			n = write(wfd, in + off, in_len - off);
			if (n > 0) {
				off += (size_t)n;
			}
			if (n < 0 || off == in_len) {
				close(wfd);
				wfd = -1;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(rfd, chunk, sizeof(chunk));
			if (n <= 0) {
				close(rfd);
				rfd = -1;
			} else if (out != NULL) {
				nsf_buf_put(out, chunk, (size_t)n);
			}
		}
	}
	if (wfd >= 0) {
		close(wfd);
	}
	return 0;
}

int
nsf_proc_run(int *out_status, char *const argv[], const char *in,
    size_t in_len, struct nsf_buf *out, const char *const *env_extra)
{
	int inp[2], outp[2], st;
	void (*old)(int);
	pid_t pid;

	if (pipe2(inp, O_CLOEXEC) < 0) {
		return nsf_error_set(NSF_ERROR, "pipe: %s", strerror(errno));
	}
	if (pipe2(outp, O_CLOEXEC) < 0) {
		close(inp[0]);
		close(inp[1]);
		return nsf_error_set(NSF_ERROR, "pipe: %s", strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		child_exec(inp[0], outp[1], argv, env_extra);
	}
	close(inp[0]);
	close(outp[1]);
	if (pid < 0) {
		close(inp[1]);
		close(outp[0]);
		return nsf_error_set(NSF_ERROR, "fork: %s", strerror(errno));
	}
	old = signal(SIGPIPE, SIG_IGN);
	pump(inp[1], outp[0], in, in_len, out);
	signal(SIGPIPE, old);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	*out_status = WIFEXITED(st) ? WEXITSTATUS(st) :
	    128 + WTERMSIG(st);
	return 0;
}

int
nsf_file_write_atomic(const char *path, const void *data, size_t len,
    int mode)
{
	char *tmp = nsf_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = nsf_error_set(NSF_ERROR, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		rc = nsf_error_set(NSF_ERROR, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		rc = nsf_error_set(NSF_ERROR, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
out:
	free(tmp);
	return rc;
}

#ifdef NSF_TESTING
/* Leaks in the libraries, so the sanitized builds do not report them:
 * libgit2 1.5's regular-expression matcher does not free its pcre2 match
 * data when nothing matches (every config lookup with a pattern), and its
 * ssh:// transport loses a few hundred bytes per connection while reading
 * known_hosts (in libgit2 and libssh2).  No callback of ours runs inside
 * git_remote_connect_ext that could allocate. */
const char *__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\nleak:libssh2.so\n"
	    "leak:git_remote_connect_ext\n";
}
#endif
