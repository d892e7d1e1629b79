/* test_audit.c - the audit log against real repositories made with the
 * git CLI, which also checks what libgit2 wrote. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../reconciler/audit.h"
#include "../../reconciler/log.h"

bool audit_domain_ok(const char *d);
char *audit_message(const struct nsf_audit_record *r);

static char tmp[64];

/* Runs a shell command in the scratch directory; returns its exit code. */
static int
sh(const char *fmt, ...)
{
	char *cmd, *full;
	va_list ap;
	int st;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	full = nsf_xasprintf("cd %s && { %s ; } >>%s/sh.log 2>&1", tmp, cmd,
	    tmp);
	st = system(full);
	free(cmd);
	free(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Reads a shell command's standard output. */
static char *
sh_out(const char *cmd)
{
	char *full = nsf_xasprintf("cd %s && %s 2>/dev/null", tmp, cmd);
	struct nsf_buf b;
	char chunk[4096];
	size_t n;
	FILE *f;

	nsf_buf_init(&b);
	f = popen(full, "r");
	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		nsf_buf_put(&b, chunk, n);
	}
	pclose(f);
	free(full);
	if (b.data == NULL) {
		nsf_buf_puts(&b, "");
	}
	return nsf_buf_detach(&b);
}

static int
setup(void **ctx)
{
	(void)ctx;
	strcpy(tmp, "/tmp/nsf-audit.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	setenv("HOME", tmp, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	nsf_log_set_level_all(NSF_LOG_ERROR);
	assert_int_equal(sh("git init -q --bare remote.git && "
	    "git clone -q remote.git a && git clone -q remote.git b"), 0);
	return 0;
}

static int
teardown(void **ctx)
{
	(void)ctx;
	sh("rm -rf %s", tmp);
	return 0;
}

static struct nsf_audit *
open_repo(const char *name, bool no_push)
{
	char *path = nsf_xasprintf("%s/%s", tmp, name);
	struct nsf_audit_opts o = { .repo_path = path, .no_push = no_push,
	    .lock_wait_ms = 200 };
	struct nsf_audit *a = NULL;

	assert_int_equal(nsf_audit_open(&a, &o), 0);
	free(path);
	return a;
}

static void
record(struct nsf_audit *a, const char *domain, const char *action,
    const char *active)
{
	struct nsf_domain_state st;
	struct nsf_strv to;
	struct nsf_audit_record r = { .domain = domain, .action = action,
	    .reason = "provider-a: 0/2 healthy\nfor 3 rounds", .to = &to,
	    .policy_commit = "abc123", .client_trid = "nsf-1",
	    .server_trid = "srv-9", .state = &st };

	nsf_domain_state_init(&st);
	nsf_strv_init(&to);
	nsf_strv_push(&to, "ns1.b.example");
	nsf_strv_push(&to, "ns2.b.example");
	st.domain = nsf_xstrdup(domain);
	st.active = nsf_xstrdup(active);
	nsf_strv_copy(&st.nameservers, &to);
	assert_int_equal(nsf_audit_record(a, &r, NULL), 0);
	nsf_domain_state_deinit(&st);
	nsf_strv_deinit(&to);
}

static void
test_audit_first_record_creates_branch(void **ctx)
{
	struct nsf_audit *a = open_repo("a", false);
	struct nsf_domain_state st;
	char *out;

	(void)ctx;
	assert_int_equal(sh("git -C remote.git rev-parse -q --verify "
	    "nsfailover/state"), 1);
	record(a, "example.com", "failover", "provider-b");
	assert_int_equal(nsf_audit_read_state(a, "example.com", &st), 0);
	assert_string_equal(st.active, "provider-b");
	nsf_domain_state_deinit(&st);
	assert_int_equal(nsf_audit_queued(a), 0);
	nsf_audit_free(a);
	/* The remote has the root and the record, and git finds it clean. */
	out = sh_out("git -C remote.git log --format=%s nsfailover/state");
	assert_string_equal(out, "example.com: failover (active: provider-b)"
	    "\nnsfailover: start the state branch\n");
	free(out);
	assert_int_equal(sh("git -C remote.git fsck --strict"), 0);
	out = sh_out("git -C remote.git log -1 --format=%B nsfailover/state |"
	    " git interpret-trailers --parse");
	assert_string_equal(out, "Domain: example.com\nAction: failover\n"
	    "To: ns1.b.example ns2.b.example\n"
	    "Reason: provider-a: 0/2 healthy; for 3 rounds\n"
	    "Policy-Commit: abc123\nClient-TRID: nsf-1\nServer-TRID: srv-9\n");
	free(out);
	/* No working tree or index was touched. */
	assert_int_equal(sh("test -z \"$(git -C a status --porcelain)\""), 0);
}

static void
test_audit_read_state_not_found(void **ctx)
{
	struct nsf_audit *a = open_repo("a", true);
	struct nsf_domain_state st;

	(void)ctx;
	assert_int_equal(nsf_audit_read_state(a, "nothing.example", &st),
	    NSF_ENOTFOUND);
	assert_int_equal(nsf_audit_read_state(a, "../etc", &st), NSF_EINVAL);
	nsf_audit_free(a);
}

static void
test_audit_read_all_sorted(void **ctx)
{
	struct nsf_audit *a = open_repo("a", true);
	struct nsf_domain_state *v = NULL;
	size_t n = 0;

	(void)ctx;
	record(a, "b.example", "converge", "provider-a");
	record(a, "a.example", "pin", "provider-b");
	record(a, "b.example", "failover", "provider-b");
	assert_int_equal(nsf_audit_read_all(a, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].domain, "a.example");
	assert_string_equal(v[1].active, "provider-b");
	assert_int_equal(nsf_audit_queued(a), 4);       /* root + 3 */
	nsf_audit_states_free(v, n);
	nsf_audit_free(a);
}

static void
test_audit_refuses_bad_domain(void **ctx)
{
	struct nsf_audit *a = open_repo("a", true);
	struct nsf_audit_record r = { .domain = "../../x", .action = "pin" };

	(void)ctx;
	assert_int_equal(nsf_audit_record(a, &r, NULL), NSF_EINVAL);
	assert_false(audit_domain_ok("a/b.example"));
	assert_false(audit_domain_ok(".."));
	assert_true(audit_domain_ok("xn--bcher-kva.example"));
	nsf_audit_free(a);
}

static void
test_audit_message_has_parseable_trailers(void **ctx)
{
	struct nsf_strv empty;
	struct nsf_audit_record r = { .domain = "example.com",
	    .action = "refused", .from = &empty,
	    .reason = "line one\r\nline two\n", .intent_id = "nsf-7" };
	char *m;

	(void)ctx;
	nsf_strv_init(&empty);
	m = audit_message(&r);
	assert_string_equal(m, "example.com: refused\n\nDomain: example.com\n"
	    "Action: refused\nFrom: (none)\nReason: line one; line two\n"
	    "Intent: nsf-7\n");
	free(m);
}

static void
test_audit_replays_on_a_remote_that_moved(void **ctx)
{
	struct nsf_audit *a = open_repo("a", false);
	struct nsf_audit *b;
	struct nsf_domain_state st;
	char *out;

	(void)ctx;
	record(a, "one.example", "failover", "x");
	b = open_repo("b", true);
	record(b, "two.example", "failover", "y");
	record(a, "one.example", "failback", "z");
	/* b started from the remote's branch: only its record waits. */
	assert_int_equal(nsf_audit_queued(b), 1);
	assert_int_equal(nsf_audit_push(b), 0);
	assert_int_equal(nsf_audit_queued(b), 0);
	out = sh_out("git -C remote.git log --format=%s nsfailover/state");
	assert_string_equal(out, "two.example: failover (active: y)\n"
	    "one.example: failback (active: z)\n"
	    "one.example: failover (active: x)\n"
	    "nsfailover: start the state branch\n");
	free(out);
	/* b now sees a's state too; nothing was forced. */
	assert_int_equal(nsf_audit_read_state(b, "one.example", &st), 0);
	assert_string_equal(st.active, "z");
	nsf_domain_state_deinit(&st);
	assert_int_equal(sh("git -C remote.git fsck --strict"), 0);
	nsf_audit_free(a);
	nsf_audit_free(b);
}

static void
test_audit_queues_while_unreachable(void **ctx)
{
	struct nsf_audit *a;
	char *out;

	(void)ctx;
	a = open_repo("a", false);
	record(a, "q.example", "failover", "first");
	assert_int_equal(sh("mv remote.git remote.off"), 0);
	record(a, "q.example", "failback", "second");
	record(a, "q.example", "failover", "third");
	assert_false(nsf_audit_reachable(a));
	assert_int_equal(nsf_audit_queued(a), 2);
	assert_int_equal(nsf_audit_push(a), NSF_EUNREACHABLE);
	assert_int_equal(sh("mv remote.off remote.git"), 0);
	assert_int_equal(nsf_audit_push(a), 0);
	assert_true(nsf_audit_reachable(a));
	assert_int_equal(nsf_audit_queued(a), 0);
	out = sh_out("git -C remote.git log -3 --format=%s nsfailover/state");
	assert_string_equal(out, "q.example: failover (active: third)\n"
	    "q.example: failback (active: second)\n"
	    "q.example: failover (active: first)\n");
	free(out);
	nsf_audit_free(a);
}

static void
test_audit_stale_lock_is_removed(void **ctx)
{
	struct nsf_audit *a;
	char host[256] = "";

	(void)ctx;
	gethostname(host, sizeof(host) - 1);
	nsf_audit_free(open_repo("a", true));
	/* A PID that ran and is gone (a finished child's), killed while it
	 * was moving the branch: git's ref lock is left too. */
	assert_int_equal(sh("sh -c 'echo $$ >dead.pid'; "
	    "echo \"$(cat dead.pid) %s $(date +%%s)\" "
	    ">a/.git/nsfailover.lock && "
	    "touch a/.git/refs/heads/nsfailover/state.lock", host), 0);
	a = open_repo("a", true);
	record(a, "s.example", "pin", "provider-a");
	assert_int_equal(sh("test ! -e a/.git/nsfailover.lock"), 0);
	assert_int_equal(sh("test ! -e "
	    "a/.git/refs/heads/nsfailover/state.lock"), 0);
	nsf_audit_free(a);
}

static void
test_audit_live_lock_is_reported(void **ctx)
{
	struct nsf_audit_opts o = { .lock_wait_ms = 100 };
	struct nsf_audit *a = NULL;
	char host[256] = "";

	(void)ctx;
	gethostname(host, sizeof(host) - 1);
	o.repo_path = nsf_xasprintf("%s/a", tmp);
	assert_int_equal(sh("echo \"%ld %s 1700000000\" "
	    ">a/.git/nsfailover.lock", (long)getpid(), host), 0);
	assert_int_equal(nsf_audit_open(&a, &o), NSF_ELOCKED);
	assert_non_null(strstr(nsf_error_last(), "held by pid"));
	assert_non_null(strstr(nsf_error_last(), "is running"));
	/* Another host's lock can never be proven stale from here. */
	assert_int_equal(sh("echo \"1 elsewhere.example 1700000000\" "
	    ">a/.git/nsfailover.lock"), 0);
	assert_int_equal(nsf_audit_open(&a, &o), NSF_ELOCKED);
	assert_non_null(strstr(nsf_error_last(), "on host "
	    "elsewhere.example"));
	assert_non_null(strstr(nsf_error_last(), "by hand"));
	assert_int_equal(sh("test -e a/.git/nsfailover.lock"), 0);
	free((char *)o.repo_path);
}

static void
test_audit_message_takes_a_one_line_subject(void **ctx)
{
	struct nsf_audit_record r = { .domain = "example.com",
	    .action = "failback", .subject = "manual failback\nby ops" };
	char *m;

	(void)ctx;
	m = audit_message(&r);
	assert_string_equal(m, "manual failback by ops\n\n"
	    "Domain: example.com\nAction: failback\n");
	free(m);
	r.subject = "";
	m = audit_message(&r);
	assert_string_equal(m, "example.com: failback\n\n"
	    "Domain: example.com\nAction: failback\n");
	free(m);
}

/* What the daemon commits before a registry change: the state with an
 * open intent, and the Intent trailer that links it to its outcome. */
static void
record_intent(struct nsf_audit *a, const char *domain, const char *id)
{
	struct nsf_domain_state st;
	struct nsf_audit_record r = { .domain = domain, .action = "intent",
	    .reason = "provider-a down", .intent_id = id, .state = &st };

	nsf_domain_state_init(&st);
	st.domain = nsf_xstrdup(domain);
	st.active = nsf_xstrdup("provider-a");
	nsf_strv_push(&st.nameservers, "ns1.a.example");
	st.has_intent = true;
	st.intent.id = nsf_xstrdup(id);
	st.intent.action = nsf_xstrdup("failover");
	st.intent.target = nsf_xstrdup("provider-b");
	nsf_strv_push(&st.intent.from, "ns1.a.example");
	nsf_strv_push(&st.intent.to, "ns1.b.example");
	st.intent.at_ms = 1796396400000;
	assert_int_equal(nsf_audit_record(a, &r, NULL), 0);
	nsf_domain_state_deinit(&st);
}

static void
assert_open_intent(struct nsf_audit *a, const char *domain, const char *id)
{
	struct nsf_domain_state st;

	assert_int_equal(nsf_audit_read_state(a, domain, &st), 0);
	assert_true(st.has_intent);
	assert_string_equal(st.intent.id, id);
	assert_string_equal(st.intent.action, "failover");
	assert_string_equal(st.intent.target, "provider-b");
	assert_int_equal(st.intent.from.n, 1);
	assert_string_equal(st.intent.to.v[0], "ns1.b.example");
	assert_int_equal(st.intent.at_ms, 1796396400000);
	assert_string_equal(st.active, "provider-a");
	nsf_domain_state_deinit(&st);
}

static void
test_audit_open_intent_reads_back_after_restart(void **ctx)
{
	struct nsf_audit *a = open_repo("a", true);
	struct nsf_domain_state st;
	char *out;

	(void)ctx;
	record_intent(a, "i.example", "nsf-42");
	/* A new handle, as after a crash and restart. */
	nsf_audit_free(a);
	a = open_repo("a", true);
	assert_open_intent(a, "i.example", "nsf-42");
	out = sh_out("git -C a log -1 --format=%B nsfailover/state | "
	    "git interpret-trailers --parse");
	assert_string_equal(out, "Domain: i.example\nAction: intent\n"
	    "Reason: provider-a down\nIntent: nsf-42\n");
	free(out);
	/* The outcome closes it. */
	record(a, "i.example", "failover", "provider-b");
	assert_int_equal(nsf_audit_read_state(a, "i.example", &st), 0);
	assert_false(st.has_intent);
	assert_string_equal(st.active, "provider-b");
	nsf_domain_state_deinit(&st);
	nsf_audit_free(a);
}

static void
test_audit_open_intent_survives_replay(void **ctx)
{
	struct nsf_audit *a = open_repo("a", true);
	struct nsf_audit *b = open_repo("b", false);

	(void)ctx;
	record(b, "other.example", "converge", "x");
	record_intent(a, "i.example", "nsf-7");
	record(b, "other.example", "converge", "y");
	/* a's intent lands on the remote's new tip, still open, and b
	 * sees it after its next fetch. */
	assert_int_equal(nsf_audit_push(a), 0);
	assert_open_intent(a, "i.example", "nsf-7");
	assert_int_equal(nsf_audit_push(b), 0);
	assert_open_intent(b, "i.example", "nsf-7");
	assert_int_equal(sh("git -C remote.git fsck --strict"), 0);
	nsf_audit_free(a);
	nsf_audit_free(b);
}

/* A new machine: a repository that has the remote configured but never
 * fetched its state branch must read what the remote holds at once. */
static void
test_audit_first_open_reads_the_remote_state(void **ctx)
{
	struct nsf_audit *a = open_repo("a", false);
	struct nsf_audit *c;
	struct nsf_domain_state st;

	(void)ctx;
	record_intent(a, "i.example", "nsf-9");
	nsf_audit_free(a);
	assert_int_equal(sh("git init -q c && "
	    "git -C c remote add origin %s/remote.git && "
	    "git init -q d && git -C d remote add origin %s/nowhere.git",
	    tmp, tmp), 0);
	c = open_repo("c", true);
	assert_open_intent(c, "i.example", "nsf-9");
	assert_int_equal(nsf_audit_queued(c), 0);
	nsf_audit_free(c);
	/* Unreachable at first: a local branch, replayed later. */
	c = open_repo("d", true);
	assert_false(nsf_audit_reachable(c));
	assert_int_equal(nsf_audit_read_state(c, "i.example", &st),
	    NSF_ENOTFOUND);
	assert_int_equal(nsf_audit_queued(c), 1);       /* its root */
	nsf_audit_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_audit_first_record_creates_branch, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_read_state_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_read_all_sorted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_refuses_bad_domain,
		    setup, teardown),
		cmocka_unit_test(test_audit_message_has_parseable_trailers),
		cmocka_unit_test_setup_teardown(
		    test_audit_replays_on_a_remote_that_moved, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_queues_while_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_stale_lock_is_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_live_lock_is_reported, setup, teardown),
		cmocka_unit_test(test_audit_message_takes_a_one_line_subject),
		cmocka_unit_test_setup_teardown(
		    test_audit_open_intent_reads_back_after_restart, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_open_intent_survives_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_first_open_reads_the_remote_state, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
