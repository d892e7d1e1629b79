/* exec.c - registry driver that runs a user's program (argv, never a
 * shell) with a JSON request on stdin and reads its JSON reply; for any
 * registrar that only has its own API or CLI.  Protocol:
 * docs/registries.md. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include "../reconciler/log.h"
#include "exec.h"

extern char **environ;

#define EX_MAX_STDOUT (1024 * 1024)     /* bytes of reply we accept */
#define EX_MAX_STDERR (16 * 1024)       /* bytes of stderr we keep */
#define EX_STDERR_LINES 3               /* lines quoted in messages */
#define EX_TICK_MS 50                   /* how often we check for exit */
#define EX_TERM_GRACE_MS 1000           /* SIGTERM, then SIGKILL */

struct ex_conn {
	struct nsf_registry_conn base;
	struct nsf_strv env;    /* NSF_SECRET_<FIELD>=value; zeroed on close */
	struct nsf_strv values; /* the secret values, to scrub messages */
	uint64_t timeout_ms;
};

/* One run of the hook. */
struct ex_run {
	pid_t pid;
	int in, out, err;       /* our ends of the pipes; -1 when closed */
	const char *input;
	size_t input_len, input_off;
	struct nsf_buf stdout_buf;
	struct nsf_buf stderr_buf;
	struct exec_status st;
	bool epipe;             /* the hook closed stdin before reading all */
};

NSF_STATIC char *
exec_secret_var(const char *field)
{
	struct nsf_buf b;
	const char *p;

	nsf_buf_init(&b);
	nsf_buf_puts(&b, "NSF_SECRET_");
	for (p = field; *p; p++) {
		char ch = isalnum((unsigned char)*p) ?
		    (char)toupper((unsigned char)*p) : '_';

		nsf_buf_put(&b, &ch, 1);
	}
	return nsf_buf_detach(&b);
}

static json_t *
strv_json(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_array_append_new(a, json_string(v[i]));
	}
	return a;
}

static json_t *
ds_json(const struct nsf_ds *ds, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_array_append_new(a, json_sprintf("%u %u %u %s",
		    ds[i].keytag, ds[i].alg, ds[i].digest_type,
		    ds[i].digest));
	}
	return a;
}

static json_t *
adds_json(const struct nsf_change *chg)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < chg->nadd; i++) {
		const struct nsf_nameserver *ns = chg->add[i];

		json_array_append_new(a, json_pack("{s:s, s:o}", "name",
		    ns->name, "addresses", strv_json((const char *const *)
		    ns->addrs, ns->naddrs)));
	}
	return a;
}

NSF_STATIC char *
exec_request(const char *operation, const char *registry,
    const char *domain, const struct nsf_change *chg)
{
	json_t *doc = json_pack("{s:i, s:s, s:s, s:s}", "version", 1,
	    "operation", operation, "registry", registry, "domain", domain);
	char *text;

	if (chg != NULL) {
		json_object_set_new(doc, "observed", chg->observed ?
		    strv_json((const char *const *)chg->observed->v,
		    chg->observed->n) : json_array());
		json_object_set_new(doc, "add", adds_json(chg));
		json_object_set_new(doc, "rem", strv_json(chg->rem,
		    chg->nrem));
		json_object_set_new(doc, "target", chg->target ?
		    json_string(chg->target) : json_null());
		json_object_set_new(doc, "ds_change",
		    json_boolean(chg->ds_change));
		json_object_set_new(doc, "ds_add", ds_json(chg->ds_add,
		    chg->nds_add));
		json_object_set_new(doc, "ds_rem", ds_json(chg->ds_rem,
		    chg->nds_rem));
		json_object_set_new(doc, "client_trid", chg->client_trid ?
		    json_string(chg->client_trid) : json_null());
	}
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	return text;
}

/* Our environment without any NSF_SECRET_ variable, plus the hook's
 * secrets.  The array points into environ and c->env; free only it. */
static char **
build_env(const struct ex_conn *c)
{
	size_t n = 0, i, out = 0;
	char **env;

	while (environ[n] != NULL) {
		n++;
	}
	env = nsf_xcalloc(n + c->env.n + 1, sizeof(*env));
	for (i = 0; i < n; i++) {
		if (strncmp(environ[i], "NSF_SECRET_", 11) != 0) {
			env[out++] = environ[i];
		}
	}
	for (i = 0; i < c->env.n; i++) {
		env[out++] = c->env.v[i];
	}
	env[out] = NULL;
	return env;
}

static int
make_pipes(int fds[3][2])
{
	int i;

	for (i = 0; i < 3; i++) {
		fds[i][0] = fds[i][1] = -1;
	}
	for (i = 0; i < 3; i++) {
		if (pipe2(fds[i], O_CLOEXEC) < 0) {
			return nsf_error_set(NSF_ERROR, "pipe: %s",
			    strerror(errno));
		}
	}
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Starts the hook in its own process group, pipes on 0, 1 and 2. */
static int
spawn_hook(struct ex_run *r, const struct ex_conn *c)
{
	const struct nsf_registry *cfg = c->base.cfg;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int fds[3][2], i, rc;
	char **env;

	rc = make_pipes(fds);
	if (rc < 0) {
		goto out_pipes;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0][0], 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1][1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[2][1], 2);
	/* Nothing else of ours reaches the hook (a registry's TLS socket,
	 * the repository, a file some library opened without O_CLOEXEC). */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	env = build_env(c);
	rc = posix_spawnp(&r->pid, cfg->command[0], &fa, &attr,
	    cfg->command, env);
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		rc = nsf_error_set(NSF_ERROR, "registry '%s': could not run "
		    "'%s': %s", cfg->name, cfg->command[0], strerror(rc));
		goto out_pipes;
	}
	r->in = fds[0][1];
	r->out = fds[1][0];
	r->err = fds[2][0];
	fds[0][1] = fds[1][0] = fds[2][0] = -1;
	fcntl(r->in, F_SETFL, O_NONBLOCK);
	fcntl(r->out, F_SETFL, O_NONBLOCK);
	fcntl(r->err, F_SETFL, O_NONBLOCK);

out_pipes:
	for (i = 0; i < 3; i++) {
		close_fd(&fds[i][0]);
		close_fd(&fds[i][1]);
	}
	return rc;
}

static void
feed_stdin(struct ex_run *r)
{
	ssize_t n = write(r->in, r->input + r->input_off,
	    r->input_len - r->input_off);

	if (n > 0) {
		r->input_off += (size_t)n;
	} else if (n < 0 && errno == EPIPE) {
		r->epipe = true;
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		r->input_off = r->input_len;
	}
	if (r->epipe || r->input_off == r->input_len) {
		close_fd(&r->in);
	}
}

/* Reads what is there; closes the fd at end of file.  `limit` bounds
 * what is kept; past it the data is dropped (stderr) or flagged. */
static bool
drain(int *fd, struct nsf_buf *b, size_t limit)
{
	char chunk[8192];
	ssize_t n;

	for (;;) {
		n = read(*fd, chunk, sizeof(chunk));
		if (n > 0) {
			if (b->len + (size_t)n > limit) {
				return false;
			}
			nsf_buf_put(b, chunk, (size_t)n);
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close_fd(fd);
		}
		return true;
	}
}

/* True once the hook has exited; it is left a zombie (WNOWAIT) so its
 * process group id cannot be reused before we signal the group. */
static bool
has_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
	    0 && si.si_pid == pid;
}

/* One round of waiting: stdin, stdout, stderr; false when done. */
static bool
pump(struct ex_run *r, int timeout_ms)
{
	struct pollfd p[3];
	int n = 0, i;

	if (r->in >= 0) {
		p[n++] = (struct pollfd){ .fd = r->in, .events = POLLOUT };
	}
	if (r->out >= 0) {
		p[n++] = (struct pollfd){ .fd = r->out, .events = POLLIN };
	}
	if (r->err >= 0) {
		p[n++] = (struct pollfd){ .fd = r->err, .events = POLLIN };
	}
	if (poll(p, (nfds_t)n, timeout_ms) <= 0) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if (p[i].revents == 0) {
			continue;
		}
		if (p[i].fd == r->in) {
			feed_stdin(r);
		} else if (p[i].fd == r->out &&
		    !drain(&r->out, &r->stdout_buf, EX_MAX_STDOUT)) {
			r->st.too_big = true;
		} else if (p[i].fd == r->err) {
			struct nsf_buf *e = &r->stderr_buf;

			if (!drain(&r->err, e, EX_MAX_STDERR)) {
				char junk[8192];

				while (read(r->err, junk, sizeof(junk)) > 0) {
				}
			}
		}
	}
	return true;
}

/* Ends the whole process group (the hook and whatever it left behind):
 * SIGTERM and a grace period when the hook still runs, then SIGKILL; the
 * hook itself is always reaped. */
static void
stop_group(struct ex_run *r)
{
	int64_t until = nsf_mono_ms() + EX_TERM_GRACE_MS;
	int status = 0;

	if (!has_exited(r->pid)) {
		kill(-r->pid, SIGTERM);
		while (!has_exited(r->pid) && nsf_mono_ms() < until) {
			poll(NULL, 0, 20);
		}
	}
	kill(-r->pid, SIGKILL);
	while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR) {
	}
	r->st.exited = WIFEXITED(status);
	r->st.code = WIFEXITED(status) ? WEXITSTATUS(status) :
	    WTERMSIG(status);
}

static void
consume_sigpipe(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	while (sigtimedwait(&set, NULL, &zero) == SIGPIPE) {
	}
}

static void
run_loop(struct ex_run *r, int64_t until)
{
	int rounds;

	for (;;) {
		int64_t left = until - nsf_mono_ms();

		if (has_exited(r->pid)) {
			/* Take what is already written, a bounded amount. */
			for (rounds = 0; rounds < 256 && pump(r, 0);
			    rounds++) {
			}
			break;
		}
		if (r->st.too_big) {
			break;
		}
		if (left <= 0) {
			r->st.timed_out = true;
			break;
		}
		pump(r, (int)(left < EX_TICK_MS ? left : EX_TICK_MS));
	}
	stop_group(r);
}

/* Runs the hook once with `input` on stdin, within the timeout. */
static int
run_hook(struct ex_run *r, const struct ex_conn *c, const char *input)
{
	sigset_t pipe_set, old;
	bool was_pending;
	int rc;

	memset(r, 0, sizeof(*r));
	r->in = r->out = r->err = -1;
	r->input = input;
	r->input_len = strlen(input);
	nsf_buf_init(&r->stdout_buf);
	nsf_buf_init(&r->stderr_buf);
	/* A hook that exits without reading stdin must not kill us with
	 * SIGPIPE: block it for this thread while we write. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pipe_set);
	was_pending = sigismember(&pipe_set, SIGPIPE);
	rc = spawn_hook(r, c);
	if (rc == 0) {
		run_loop(r, nsf_mono_ms() + (int64_t)c->timeout_ms);
	}
	close_fd(&r->in);
	close_fd(&r->out);
	close_fd(&r->err);
	if (r->epipe && !was_pending) {
		consume_sigpipe();
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void
run_deinit(struct ex_run *r)
{
	nsf_buf_deinit(&r->stdout_buf);
	nsf_buf_deinit(&r->stderr_buf);
}

/* Replaces every secret value in `s` with "[secret]". */
static char *
scrub(const struct ex_conn *c, const char *s)
{
	char *text = nsf_xstrdup(s);
	size_t i;

	for (i = 0; i < c->values.n; i++) {
		const char *v = c->values.v[i];
		struct nsf_buf b;
		char *p, *from;

		if (strlen(v) < 4 || strstr(text, v) == NULL) {
			continue;
		}
		nsf_buf_init(&b);
		for (from = text; (p = strstr(from, v)) != NULL;
		    from = p + strlen(v)) {
			nsf_buf_put(&b, from, (size_t)(p - from));
			nsf_buf_puts(&b, "[secret]");
		}
		nsf_buf_puts(&b, from);
		free(text);
		text = nsf_buf_detach(&b);
	}
	return text;
}

/* The first lines of stderr, joined with " | ", secrets scrubbed. */
static char *
stderr_head(const struct ex_conn *c, const struct nsf_buf *err)
{
	struct nsf_buf b;
	const char *p = err->data ? err->data : "";
	char *out;
	int lines = 0;

	nsf_buf_init(&b);
	while (*p && lines < EX_STDERR_LINES) {
		size_t n = strcspn(p, "\n");

		if (n > 0) {
			if (b.len > 0) {
				nsf_buf_puts(&b, " | ");
			}
			nsf_buf_put(&b, p, n > 200 ? 200 : n);
			lines++;
		}
		p += n + (p[n] ? 1 : 0);
	}
	out = scrub(c, b.data ? b.data : "");
	nsf_buf_deinit(&b);
	return out;
}

static const struct {
	const char *name;
	enum nsf_apply_result result;
} reply_results[] = {
	{ "done", NSF_APPLY_DONE },
	{ "pending", NSF_APPLY_PENDING },
	{ "refused", NSF_APPLY_REFUSED },
	{ "conflict", NSF_APPLY_CONFLICT },
	{ "unknown", NSF_APPLY_UNKNOWN },
	{ "failed", NSF_APPLY_FAILED },
};

/* Parses the reply: a JSON object whose "result" is one of the above. */
static int
parse_reply(json_t **out, enum nsf_apply_result *result, const char *text,
    size_t len)
{
	json_error_t err;
	json_t *doc;
	const char *r;
	size_t i;

	if (len == 0) {
		return nsf_error_set(NSF_EINVAL, "no reply on stdout");
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL) {
		return nsf_error_set(NSF_EINVAL, "the reply is not JSON "
		    "(line %d, column %d: %s)", err.line, err.column,
		    err.text);
	}
	r = json_string_value(json_object_get(doc, "result"));
	for (i = 0; r != NULL && i < NSF_ARRAY_SIZE(reply_results); i++) {
		if (strcmp(r, reply_results[i].name) == 0) {
			*result = reply_results[i].result;
			*out = doc;
			return 0;
		}
	}
	json_decref(doc);
	return nsf_error_set(NSF_EINVAL, "the reply has no \"result\" of "
	    "done, pending, refused, conflict, unknown or failed");
}

/* Why a run gave no usable reply, for messages; NULL when it did. */
static char *
run_failure(const struct exec_status *st)
{
	if (st->timed_out) {
		return nsf_xstrdup("did not finish within the registry "
		    "timeout and was killed");
	}
	if (st->too_big) {
		return nsf_xasprintf("wrote more than %d bytes on stdout and "
		    "was killed", EX_MAX_STDOUT);
	}
	if (!st->exited) {
		return nsf_xasprintf("was killed by signal %d", st->code);
	}
	return NULL;
}

static void
set_message(struct nsf_outcome *out, const struct exec_status *st,
    const char *what)
{
	free(out->message);
	if (out->result != NSF_APPLY_DONE && st->stderr_head != NULL &&
	    st->stderr_head[0] != '\0') {
		out->message = nsf_xasprintf("%s (stderr: %s)", what,
		    st->stderr_head);
	} else {
		out->message = nsf_xstrdup(what);
	}
}

static void
apply_from_reply(struct nsf_outcome *out, const struct exec_status *st,
    json_t *doc, enum nsf_apply_result r)
{
	const char *msg = json_string_value(json_object_get(doc, "message"));
	const char *trid = json_string_value(json_object_get(doc,
	    "transaction_id"));
	char *what;

	out->result = r;
	out->config_problem = json_is_true(json_object_get(doc,
	    "config_problem"));
	if (trid != NULL) {
		out->server_trid = nsf_xstrdup(trid);
	}
	if (st->code != 0 && (r == NSF_APPLY_DONE ||
	    r == NSF_APPLY_PENDING)) {
		/* A reply of success with a failing exit contradicts itself:
		 * the change may or may not be there. */
		out->result = NSF_APPLY_UNKNOWN;
		what = nsf_xasprintf("the hook replied \"%s\" but exited %d; "
		    "observe before any retry", nsf_apply_result_name(r),
		    st->code);
	} else {
		what = nsf_xasprintf("the hook replied \"%s\"%s%s",
		    nsf_apply_result_name(r), msg ? ": " : "", msg ? msg : "");
	}
	set_message(out, st, what);
	free(what);
}

NSF_STATIC void
exec_apply_outcome(struct nsf_outcome *out, const struct exec_status *st,
    const char *reply, size_t len)
{
	enum nsf_apply_result r;
	char *why = run_failure(st), *what;
	json_t *doc = NULL;

	out->code = st->code;
	if (why == NULL && parse_reply(&doc, &r, reply, len) == 0) {
		apply_from_reply(out, st, doc, r);
		json_decref(doc);
		return;
	}
	/* No usable reply: the hook may have acted before it died or
	 * garbled its answer, so the outcome is unknown. */
	if (why == NULL) {
		why = nsf_xasprintf("exited %d without a usable reply: %s",
		    st->code, nsf_error_last());
	}
	what = nsf_xasprintf("the hook %s; the change may or may not have "
	    "been made: observe before any retry", why);
	out->result = NSF_APPLY_UNKNOWN;
	set_message(out, st, what);
	free(what);
	free(why);
}

/* A nameserver name from the reply: lower case, no trailing dot. */
static int
reply_name(char **out, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n, i;
	char *name;

	n = s ? strlen(s) : 0;
	if (n > 1 && s[n - 1] == '.') {
		n--;
	}
	if (n == 0 || n > 253) {
		return nsf_error_set(NSF_EINVAL, "the reply's \"nameservers\" "
		    "must hold domain names");
	}
	name = nsf_xstrndup(s, n);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (!isalnum(ch) && ch != '-' && ch != '.' && ch != '_') {
			free(name);
			return nsf_error_set(NSF_EINVAL, "the reply's "
			    "nameserver '%s' is not a host name", s);
		}
		name[i] = (char)tolower(ch);
	}
	*out = name;
	return 0;
}

static int
observe_fields(struct nsf_delegation *d, json_t *doc)
{
	json_t *ns = json_object_get(doc, "nameservers");
	json_t *ds = json_object_get(doc, "ds");
	json_t *statuses = json_object_get(doc, "statuses");
	json_t *v;
	size_t i;
	char *name = NULL;

	if (!json_is_array(ns)) {
		return nsf_error_set(NSF_EINVAL, "the reply has no "
		    "\"nameservers\" array");
	}
	json_array_foreach(ns, i, v) {
		if (reply_name(&name, v) < 0) {
			return NSF_EINVAL;
		}
		nsf_strv_push_owned(&d->ns, name);
	}
	nsf_strv_sort_unique(&d->ns);
	json_array_foreach(statuses, i, v) {
		if (json_is_string(v)) {
			nsf_strv_push(&d->statuses, json_string_value(v));
		}
	}
	json_array_foreach(ds, i, v) {
		struct nsf_ds one;

		if (nsf_ds_parse(&one, json_is_string(v) ?
		    json_string_value(v) : "") < 0) {
			return NSF_EINVAL;
		}
		d->ds = nsf_xrealloc(d->ds, (d->nds + 1) * sizeof(*d->ds));
		d->ds[d->nds++] = one;
	}
	if (json_is_integer(json_object_get(doc, "ns_ttl"))) {
		d->ns_ttl = (uint32_t)json_integer_value(json_object_get(doc,
		    "ns_ttl"));
	}
	return 0;
}

NSF_STATIC int
exec_observe_reply(struct nsf_delegation *out, const struct exec_status *st,
    const char *reply, size_t len)
{
	struct nsf_delegation d;
	enum nsf_apply_result r;
	char *why = run_failure(st);
	json_t *doc = NULL;
	const char *msg;
	int rc;

	if (why != NULL) {
		rc = nsf_error_set(st->timed_out ? NSF_ETIMEOUT : NSF_ERROR,
		    "the hook %s", why);
		free(why);
		return rc;
	}
	rc = parse_reply(&doc, &r, reply, len);
	if (rc < 0) {
		/* A copy: the message is formatted into the error buffer. */
		why = nsf_xstrdup(nsf_error_last());
		rc = nsf_error_set(rc, "the hook exited %d without a usable "
		    "reply: %s%s%s", st->code, why,
		    st->stderr_head && st->stderr_head[0] ? "; stderr: " : "",
		    st->stderr_head ? st->stderr_head : "");
		free(why);
		return rc;
	}
	if (r != NSF_APPLY_DONE || st->code != 0) {
		msg = json_string_value(json_object_get(doc, "message"));
		rc = nsf_error_set(NSF_ERROR, "the hook could not observe "
		    "(exit %d, result \"%s\")%s%s", st->code,
		    nsf_apply_result_name(r), msg ? ": " : "", msg ? msg : "");
		json_decref(doc);
		return rc;
	}
	nsf_delegation_init(&d);
	rc = observe_fields(&d, doc);
	json_decref(doc);
	if (rc < 0) {
		nsf_delegation_deinit(&d);
		return rc;
	}
	nsf_delegation_deinit(out);
	*out = d;
	return 0;
}

/* Runs one operation; `st` and the reply stay valid until run_deinit. */
static int
ex_call(struct ex_run *r, char **head, struct ex_conn *c, const char *op,
    const char *domain, const struct nsf_change *chg)
{
	char *input = exec_request(op, c->base.cfg->name, domain, chg);
	int rc;

	nsf_debug(NSF_SRC_REGISTRY, domain, "running hook '%s' for %s",
	    c->base.cfg->command[0], op);
	rc = run_hook(r, c, input);
	free(input);
	if (rc < 0) {
		return rc;
	}
	*head = stderr_head(c, &r->stderr_buf);
	r->st.stderr_head = *head;
	return 0;
}

static int
ex_observe(struct nsf_registry_conn *base, const char *domain,
    struct nsf_delegation *out)
{
	struct ex_conn *c = (struct ex_conn *)base;
	struct ex_run r;
	char *head = NULL;
	int rc;

	rc = ex_call(&r, &head, c, "observe", domain, NULL);
	if (rc == 0) {
		rc = exec_observe_reply(out, &r.st, r.stdout_buf.data,
		    r.stdout_buf.len);
	}
	if (rc < 0) {
		char *msg = scrub(c, nsf_error_last());

		nsf_error_set(rc, "registry '%s': %s", base->cfg->name, msg);
		free(msg);
	}
	free(head);
	run_deinit(&r);
	return rc;
}

static int
ex_apply(struct nsf_registry_conn *base, const struct nsf_change *chg,
    struct nsf_outcome *out)
{
	struct ex_conn *c = (struct ex_conn *)base;
	struct nsf_change ch = *chg;
	struct ex_run r;
	char *head = NULL, *msg;
	int rc;

	out->client_trid = chg->client_trid ? nsf_xstrdup(chg->client_trid) :
	    nsf_xasprintf("nsf-%lld-%d", (long long)nsf_now_ms(), getpid());
	ch.client_trid = out->client_trid;
	rc = ex_call(&r, &head, c, "apply", chg->domain, &ch);
	if (rc < 0) {
		/* It never ran: nothing can have happened. */
		out->result = NSF_APPLY_FAILED;
		out->config_problem = true;
		out->message = nsf_xstrdup(nsf_error_last());
		goto out;
	}
	exec_apply_outcome(out, &r.st, r.stdout_buf.data, r.stdout_buf.len);
	msg = scrub(c, out->message);
	free(out->message);
	out->message = msg;

out:
	nsf_log(out->result == NSF_APPLY_DONE ? NSF_LOG_NOTICE :
	    NSF_LOG_WARNING, NSF_SRC_REGISTRY, chg->domain, "exec hook "
	    "apply %s: %s", nsf_apply_result_name(out->result),
	    out->message);
	free(head);
	run_deinit(&r);
	return 0;
}

static void
load_secrets(struct ex_conn *c, const struct nsf_secrets *secrets,
    const char *cred)
{
	struct nsf_strv fields;
	size_t i;

	nsf_strv_init(&fields);
	nsf_secrets_fields(secrets, cred, &fields);
	for (i = 0; i < fields.n; i++) {
		const char *v = nsf_secrets_get(secrets, cred, fields.v[i]);
		char *var = exec_secret_var(fields.v[i]);

		nsf_strv_push_owned(&c->env, nsf_xasprintf("%s=%s", var, v));
		nsf_strv_push(&c->values, v);
		free(var);
	}
	nsf_strv_deinit(&fields);
}

static int
ex_open(struct nsf_registry_conn **out, const struct nsf_registry *cfg,
    const struct nsf_secrets *secrets)
{
	struct ex_conn *c;

	if (cfg->command == NULL || cfg->ncommand == 0 ||
	    cfg->command[0] == NULL) {
		return nsf_error_set(NSF_EINVAL, "registry '%s': exec needs "
		    "'command:' (the program and its arguments, as a list)",
		    cfg->name);
	}
	if (cfg->credentials != NULL &&
	    !nsf_secrets_has(secrets, cfg->credentials)) {
		const char *unused;

		return nsf_secrets_require(&unused, secrets,
		    cfg->credentials, "any");
	}
	c = nsf_xcalloc(1, sizeof(*c));
	c->base.ops = &nsf_exec_ops;
	c->base.cfg = cfg;
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 30000;
	nsf_strv_init(&c->env);
	nsf_strv_init(&c->values);
	if (cfg->credentials != NULL) {
		load_secrets(c, secrets, cfg->credentials);
	}
	*out = &c->base;
	return 0;
}

static void
wipe(struct nsf_strv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		explicit_bzero(v->v[i], strlen(v->v[i]));
	}
	nsf_strv_deinit(v);
}

static void
ex_close(struct nsf_registry_conn *base)
{
	struct ex_conn *c = (struct ex_conn *)base;

	if (c == NULL) {
		return;
	}
	wipe(&c->env);
	wipe(&c->values);
	free(c);
}

const struct nsf_registry_ops nsf_exec_ops = {
	.type = "exec",
	.open = ex_open,
	.observe = ex_observe,
	.apply = ex_apply,
	.close = ex_close,
};
