/* test_policy_source.c - the policy source's fetch interval and what a
 * refresh reports, against a bare repository over file:// made with the
 * git CLI. */
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

#include "../../reconciler/log.h"
#include "../../reconciler/policy_source.h"

static char tmp[64];

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

/* Commits a valid policy whose one domain is `domain` and pushes it. */
static void
commit_policy(const char *domain)
{
	assert_int_equal(sh("mkdir -p w/policy && printf 'version: 1\\n"
	    "providers:\\n"
	    "  a:\\n    nameservers: [ns1.a.example, ns2.a.example]\\n"
	    "  b:\\n    nameservers: [ns1.b.example, ns2.b.example]\\n"
	    "registries:\\n  main:\\n    type: epp\\n"
	    "    server: 127.0.40.9:700\\n    credentials: main\\n"
	    "domains:\\n  %s:\\n    registry: main\\n    primary: a\\n"
	    "    backups: [b]\\n' >w/policy/p.yaml && git -C w add -A && "
	    "git -C w commit -q -m '%s' && git -C w push -q origin main",
	    domain, domain), 0);
}

static char *
remote_tip(void)
{
	char *cmd = nsf_xasprintf("git -C %s/remote.git rev-parse main", tmp);
	char line[64] = "";
	FILE *f = popen(cmd, "r");

	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	pclose(f);
	free(cmd);
	line[strcspn(line, "\n")] = '\0';
	return nsf_xstrdup(line);
}

static int
setup(void **ctx)
{
	(void)ctx;
	strcpy(tmp, "/tmp/nsf-psrc.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	setenv("HOME", tmp, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	nsf_log_set_level_all(NSF_LOG_ERROR);
	assert_int_equal(sh("git config --global user.name t && "
	    "git config --global user.email t@example.invalid && "
	    "git init -q --bare -b main remote.git && "
	    "git clone -q remote.git w && git -C w checkout -q -b main"), 0);
	commit_policy("one.example");
	return 0;
}

static int
teardown(void **ctx)
{
	(void)ctx;
	sh("rm -rf %s", tmp);
	return 0;
}

static struct nsf_policy_source *
open_source(uint64_t interval_ms)
{
	char *url = nsf_xasprintf("file://%s/remote.git", tmp);
	char *cache = nsf_xasprintf("%s/cache", tmp);
	struct nsf_policy_source_opts o = { .url = url, .cache_dir = cache,
	    .fetch_interval_ms = interval_ms };
	struct nsf_policy_source *src = NULL;

	assert_int_equal(nsf_policy_source_open(&src, &o), 0);
	free(url);
	free(cache);
	return src;
}

static void
test_policy_source_fetches_only_when_the_interval_passed(void **ctx)
{
	struct nsf_policy_source *src = open_source(3600000);
	char *first = remote_tip(), *second;
	bool changed = false;

	(void)ctx;
	assert_int_equal(nsf_policy_source_refresh(src, false, &changed), 0);
	assert_true(changed);
	assert_string_equal(nsf_policy_source_commit(src), first);
	assert_int_equal(nsf_policy_source_policy(src)->ndomains, 1);
	commit_policy("two.example");
	second = remote_tip();
	/* Within the interval the remote is not asked. */
	assert_int_equal(nsf_policy_source_refresh(src, false, &changed), 0);
	assert_false(changed);
	assert_string_equal(nsf_policy_source_commit(src), first);
	/* Forced, it is. */
	assert_int_equal(nsf_policy_source_refresh(src, true, &changed), 0);
	assert_true(changed);
	assert_string_equal(nsf_policy_source_commit(src), second);
	assert_true(nsf_policy_source_loaded_at(src) > 0);
	assert_true(nsf_policy_source_reachable(src));
	assert_null(nsf_policy_source_fetch_error(src));
	free(first);
	free(second);
	nsf_policy_source_free(src);
}

static void
test_policy_source_fetches_again_after_the_interval(void **ctx)
{
	struct nsf_policy_source *src = open_source(100);
	char *second;
	bool changed = false;

	(void)ctx;
	assert_int_equal(nsf_policy_source_refresh(src, false, &changed), 0);
	commit_policy("two.example");
	second = remote_tip();
	usleep(150 * 1000);
	assert_int_equal(nsf_policy_source_refresh(src, false, &changed), 0);
	assert_true(changed);
	assert_string_equal(nsf_policy_source_commit(src), second);
	/* Nothing new: the same commit stays, unchanged. */
	usleep(150 * 1000);
	assert_int_equal(nsf_policy_source_refresh(src, false, &changed), 0);
	assert_false(changed);
	free(second);
	nsf_policy_source_free(src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_policy_source_fetches_only_when_the_interval_passed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_policy_source_fetches_again_after_the_interval,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
