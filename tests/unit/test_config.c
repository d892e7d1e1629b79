/* test_config.c - the daemon configuration: defaults, every key, and each
 * kind of mistake reported at its line and column with a useful hint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../reconciler/config.h"

#define MINIMAL "repository:\n  url: /srv/git/policy.git\n"

/* Parses `text` as /etc/nsf/t.yaml; returns the result code. */
static int
parse(struct nsf_config **out, struct nsf_diags *d, const char *text)
{
	nsf_diags_init(d);
	return nsf_config_parse(out, "/etc/nsf/t.yaml", text, strlen(text),
	    d);
}

/* Asserts a diagnostic with this position and code whose message (and
 * hint, when `hint` is not NULL) contain the given words. */
static void
expect_diag(const struct nsf_diags *d, unsigned line, unsigned col,
    const char *code, const char *words, const char *hint)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct nsf_diag *g = &d->v[i];

		if (g->line == line && g->col == col &&
		    strcmp(g->code, code) == 0 &&
		    strstr(g->message, words) != NULL &&
		    (hint == NULL ||
		    (g->hint != NULL && strstr(g->hint, hint) != NULL))) {
			return;
		}
	}
	for (i = 0; i < d->n; i++) {
		print_error("  have %u:%u %s: %s (%s)\n", d->v[i].line,
		    d->v[i].col, d->v[i].code, d->v[i].message,
		    d->v[i].hint ? d->v[i].hint : "-");
	}
	fail_msg("no diagnostic %u:%u %s '%s'", line, col, code, words);
}

/* Parses text that must fail with exactly one error as described. */
static void
expect_one_error(const char *text, unsigned line, unsigned col,
    const char *code, const char *words, const char *hint)
{
	struct nsf_config *c = NULL;
	struct nsf_diags d;

	assert_int_equal(parse(&c, &d, text), NSF_EINVAL);
	assert_null(c);
	assert_int_equal(d.nerrors, 1);
	expect_diag(&d, line, col, code, words, hint);
	nsf_diags_deinit(&d);
}

static void
test_config_minimal_takes_defaults(void **state)
{
	struct nsf_config *c = NULL;
	struct nsf_diags d;

	assert_int_equal(parse(&c, &d, MINIMAL), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(c->repository.url, "/srv/git/policy.git");
	assert_string_equal(c->repository.branch, "main");
	assert_string_equal(c->repository.path, "policy");
	assert_int_equal(c->repository.fetch_interval_ms, 60000);
	assert_string_equal(c->repository.state_branch, "nsfailover/state");
	assert_true(c->repository.push);
	assert_false(c->repository.verify_signatures);
	assert_string_equal(c->cache_dir, "/var/lib/nsfailover");
	assert_string_equal(c->state_dir, "/var/lib/nsfailover");
	assert_string_equal(c->secrets, "/etc/nsfailover/secrets.yaml");
	assert_int_equal(c->nresolvers, 1);
	assert_string_equal(c->resolvers[0].host, "127.0.0.1");
	assert_int_equal(c->resolvers[0].port, 53);
	assert_int_equal(c->probe_max_rate, 50);
	assert_string_equal(c->metrics_listen, "127.0.0.1:9153");
	assert_int_equal(c->log_format, NSF_LOG_PLAIN);
	assert_int_equal(c->log_levels[NSF_SRC_REGISTRY], NSF_LOG_INFO);
	assert_int_equal(c->nwebhooks, 0);
	nsf_config_free(c);
	nsf_diags_deinit(&d);
}

static const char full[] =
    "repository:\n"
    "  url: git@git.example:dns/policy.git\n"
    "  branch: production\n"
    "  path: ./zones/policy/\n"
    "  fetch_interval: 1m30s\n"
    "  state_branch: audit/log\n"
    "  push: false\n"
    "  verify_signatures: true\n"
    "  trusted_keys:\n"
    "    gpg: [keys/ops.asc, /etc/nsf/dns.asc]\n"
    "    ssh_allowed_signers: allowed_signers\n"
    "cache_dir: /var/cache/nsf\n"
    "state_dir: state\n"
    "secrets: secrets.yaml\n"
    "resolvers: [\"127.0.50.1\", \"[::1]:5353\", \"::1\"]\n"
    "probe: { max_rate_per_server: 20 }\n"
    "metrics: { listen: \"[::1]:9100\", domain_series: problems }\n"
    "log:\n"
    "  format: json\n"
    "  level: warning\n"
    "  sources: { registry: debug, probe: error }\n"
    "notifications:\n"
    "  webhooks:\n"
    "    - name: pager\n"
    "      url: https://pager.example/hook\n"
    "      secret: pager-hmac\n"
    "      events: [failover, policy-rejected]\n"
    "      timeout: 2s\n"
    "      retries: 5\n"
    "    - name: chat\n"
    "      url_credential: chat-url\n"
    "      format: slack\n";

static void
test_config_full_reads_every_key(void **state)
{
	struct nsf_config *c = NULL;
	struct nsf_diags d;

	assert_int_equal(parse(&c, &d, full), 0);
	assert_int_equal(d.nerrors, 0);
	assert_string_equal(c->repository.url,
	    "git@git.example:dns/policy.git");
	assert_string_equal(c->repository.branch, "production");
	assert_string_equal(c->repository.path, "zones/policy");
	assert_int_equal(c->repository.fetch_interval_ms, 90000);
	assert_string_equal(c->repository.state_branch, "audit/log");
	assert_false(c->repository.push);
	assert_true(c->repository.verify_signatures);
	assert_int_equal(c->repository.ngpg_keys, 2);
	assert_string_equal(c->repository.gpg_keys[0],
	    "/etc/nsf/keys/ops.asc");
	assert_string_equal(c->repository.gpg_keys[1], "/etc/nsf/dns.asc");
	assert_string_equal(c->repository.ssh_allowed_signers,
	    "/etc/nsf/allowed_signers");
	assert_string_equal(c->cache_dir, "/var/cache/nsf");
	assert_string_equal(c->state_dir, "/etc/nsf/state");
	assert_string_equal(c->secrets, "/etc/nsf/secrets.yaml");
	assert_int_equal(c->nresolvers, 3);
	assert_string_equal(c->resolvers[1].host, "::1");
	assert_int_equal(c->resolvers[1].port, 5353);
	assert_int_equal(c->resolvers[2].port, 53);
	assert_int_equal(c->probe_max_rate, 20);
	assert_string_equal(c->metrics_listen, "[::1]:9100");
	assert_int_equal(c->metrics_domain_series, NSF_SERIES_PROBLEMS);
	assert_int_equal(c->log_format, NSF_LOG_JSON);
	assert_int_equal(c->log_levels[NSF_SRC_REGISTRY], NSF_LOG_DEBUG);
	assert_int_equal(c->log_levels[NSF_SRC_PROBE], NSF_LOG_ERROR);
	assert_int_equal(c->log_levels[NSF_SRC_AUDIT], NSF_LOG_WARNING);
	assert_int_equal(c->nwebhooks, 2);
	assert_string_equal(c->webhooks[0].secret, "pager-hmac");
	assert_int_equal(c->webhooks[0].events,
	    (1u << NSF_EVENT_FAILOVER) | (1u << NSF_EVENT_POLICY_REJECTED));
	assert_int_equal(c->webhooks[0].timeout_ms, 2000);
	assert_int_equal(c->webhooks[0].retries, 5);
	assert_int_equal(c->webhooks[0].secret_pos.line, 26);
	assert_null(c->webhooks[1].url);
	assert_string_equal(c->webhooks[1].url_credential, "chat-url");
	assert_int_equal(c->webhooks[1].format, NSF_WEBHOOK_SLACK);
	assert_int_equal(c->webhooks[1].events, NSF_EVENT_ALL);
	assert_int_equal(c->webhooks[1].timeout_ms, 5000);
	nsf_config_free(c);
	nsf_diags_deinit(&d);
}

static void
test_config_unknown_key_suggests(void **state)
{
	expect_one_error(MINIMAL "  brnch: main\n", 3, 3, "unknown-key",
	    "unknown key 'brnch' in repository", "did you mean 'branch'?");
	expect_one_error(MINIMAL "fetch_interval: 1m\n", 3, 1, "unknown-key",
	    "unknown key 'fetch_interval'", "belongs under 'repository'");
	expect_one_error(MINIMAL "log: { sources: { registy: debug } }\n", 3,
	    19, "unknown-key", "'registy' in log.sources",
	    "did you mean 'registry'?");
	expect_one_error(MINIMAL "zzz: 1\n", 3, 1, "unknown-key",
	    "unknown key 'zzz'", NULL);
}

static void
test_config_wrong_type_says_what_is_expected(void **state)
{
	expect_one_error("repository: /srv/git\n", 1, 13, "wrong-type",
	    "'repository' must be a map", NULL);
	expect_one_error(MINIMAL "  push: yes\n", 3, 9, "wrong-type",
	    "'repository.push' must be true or false, not 'yes'",
	    "use true or false");
	expect_one_error(MINIMAL "resolvers: 127.0.0.1\n", 3, 12,
	    "wrong-type", "'resolvers' must be a list", NULL);
	expect_one_error(MINIMAL "probe: { max_rate_per_server: fast }\n",
	    3, 31, "wrong-type", "must be a whole number, not 'fast'", NULL);
	expect_one_error(MINIMAL "cache_dir: [a, b]\n", 3, 12, "wrong-type",
	    "'cache_dir' must be a single value, not a list", NULL);
	expect_one_error(MINIMAL "probe: { max_rate_per_server: 0 }\n", 3,
	    31, "out-of-range", "between 1 and 100000", NULL);
}

static void
test_config_missing_required_keys(void **state)
{
	expect_one_error("cache_dir: /tmp\n", 1, 1, "missing-key",
	    "missing required key 'repository'", "add 'repository:");
	expect_one_error("repository: { branch: main }\n", 1, 13,
	    "missing-key", "missing required key 'url' in repository", NULL);
	expect_one_error("", 1, 1, "missing-key",
	    "the configuration is empty", NULL);
	expect_one_error(MINIMAL "notifications:\n  webhooks:\n"
	    "    - url: https://x.example/\n", 5, 7, "missing-key",
	    "missing required key 'name' in webhook", NULL);
	expect_one_error(MINIMAL "notifications:\n  webhooks:\n"
	    "    - name: a\n", 5, 7, "missing-key",
	    "exactly one of 'url' and 'url_credential'", "url_credential");
}

static void
test_config_duplicate_keys_name_first_line(void **state)
{
	expect_one_error(MINIMAL "cache_dir: /a\ncache_dir: /b\n", 4, 1,
	    "duplicate-key", "duplicate key 'cache_dir' (first set at line "
	    "3)", NULL);
	expect_one_error(MINIMAL "notifications:\n  webhooks:\n"
	    "    - { name: a, url: \"https://a.example\" }\n"
	    "    - { name: a, url: \"https://b.example\" }\n", 6, 15,
	    "duplicate-name", "a webhook named 'a' is already defined at "
	    "line 5", NULL);
}

static void
test_config_durations_are_checked(void **state)
{
	expect_one_error(MINIMAL "  fetch_interval: 30 s\n", 3, 19,
	    "invalid-duration", "is not a duration: '30 s'", "30s");
	expect_one_error(MINIMAL "  fetch_interval: 100ms\n", 3, 19,
	    "out-of-range", "between 1s and", NULL);
	expect_one_error(MINIMAL "notifications:\n  webhooks:\n"
	    "    - name: a\n      url: https://a.example\n"
	    "      timeout: 1h\n", 7, 16, "out-of-range",
	    "'notifications.webhooks[0].timeout' is 1h", NULL);
}

static void
test_config_enums_suggest_the_closest(void **state)
{
	expect_one_error(MINIMAL "log: { format: jsno }\n", 3, 16,
	    "invalid-value", "use one of: plain, json",
	    "did you mean 'json'?");
	expect_one_error(MINIMAL "log: { level: verbose }\n", 3, 15,
	    "invalid-value", "'log.level' is 'verbose'", NULL);
	expect_one_error(MINIMAL "notifications:\n  webhooks:\n"
	    "    - name: a\n      url: https://a.example\n"
	    "      events: [failover, failovr]\n", 7, 26, "invalid-value",
	    "'failovr'", "did you mean 'failover'?");
}

static void
test_config_addresses_must_be_literal(void **state)
{
	expect_one_error(MINIMAL "resolvers: [ dns.example ]\n", 3, 14,
	    "invalid-address", "resolver 'dns.example'", "system resolver");
	expect_one_error(MINIMAL "resolvers: [ \"127.0.0.1:99999\" ]\n", 3,
	    14, "invalid-address", "127.0.0.1:99999", NULL);
	expect_one_error(MINIMAL "metrics: { listen: localhost:9153 }\n", 3,
	    20, "invalid-address", "'metrics.listen'", NULL);
}

static void
test_config_warnings_do_not_fail(void **state)
{
	struct nsf_config *c = NULL;
	struct nsf_diags d;

	assert_int_equal(parse(&c, &d, MINIMAL
	    "metrics: { listen: \"0.0.0.0:9153\" }\n"
	    "notifications:\n  webhooks:\n"
	    "    - { name: a, url: \"http://hooks.example/x\" }\n"), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.nwarnings, 2);
	expect_diag(&d, 3, 20, "metrics-exposed", "beyond this host", NULL);
	expect_diag(&d, 6, 23, "insecure-transport", "unencrypted", NULL);
	nsf_config_free(c);
	nsf_diags_deinit(&d);
}

static void
test_config_metrics_off(void **state)
{
	struct nsf_config *c = NULL;
	struct nsf_diags d;

	assert_int_equal(parse(&c, &d, MINIMAL "metrics: { listen: off }\n"),
	    0);
	assert_null(c->metrics_listen);
	nsf_config_free(c);
	nsf_diags_deinit(&d);
}

static void
test_config_repository_rules(void **state)
{
	expect_one_error(MINIMAL "  state_branch: main\n", 3, 17,
	    "invalid-value", "must differ from 'repository.branch'", NULL);
	expect_one_error(MINIMAL "  verify_signatures: true\n", 3, 22,
	    "missing-key", "no trusted key is given", "ssh_allowed_signers");
	expect_one_error(MINIMAL "  branch: \"my branch\"\n", 3, 11,
	    "invalid-value", "not a valid branch name", NULL);
	expect_one_error(MINIMAL "  path: ../elsewhere\n", 3, 9,
	    "invalid-value", "must stay inside the repository", NULL);
	expect_one_error("repository: { url: \"ftp://h/p\" }\n", 1, 20,
	    "invalid-value", "unsupported repository URL scheme", NULL);
}

static void
test_config_yaml_syntax_error_has_position(void **state)
{
	expect_one_error("repository:\n  url: [a\n", 3, 1, "yaml-syntax",
	    "", NULL);
	expect_one_error(MINIMAL "---\ncache_dir: /x\n", 3, 1, "yaml-syntax",
	    "more than one YAML document", NULL);
}

static void
test_config_relative_paths_follow_the_file(void **state)
{
	struct nsf_config *c = NULL;
	struct nsf_diags d;
	const char *text = "repository: { url: ../git/policy }\n"
	    "cache_dir: ./cache\n";

	nsf_diags_init(&d);
	assert_int_equal(nsf_config_parse(&c, "/etc/nsf/conf/a.yaml", text,
	    strlen(text), &d), 0);
	assert_string_equal(c->repository.url, "/etc/nsf/conf/../git/policy");
	assert_string_equal(c->cache_dir, "/etc/nsf/conf/cache");
	nsf_config_free(c);
	nsf_diags_deinit(&d);
}

static void
test_config_parse_hostport(void **state)
{
	struct nsf_endpoint ep;

	assert_int_equal(nsf_config_parse_hostport(&ep, "127.0.50.1:53", 9),
	    0);
	assert_string_equal(ep.host, "127.0.50.1");
	assert_int_equal(ep.port, 53);
	free(ep.host);
	assert_int_equal(nsf_config_parse_hostport(&ep, "[::1]:80", 9), 0);
	assert_string_equal(ep.host, "::1");
	assert_int_equal(ep.port, 80);
	free(ep.host);
	assert_int_equal(nsf_config_parse_hostport(&ep, "fe80::1", 9), 0);
	assert_int_equal(ep.port, 9);
	free(ep.host);
	assert_int_equal(nsf_config_parse_hostport(&ep, "host:53", 9),
	    NSF_EINVAL);
	assert_int_equal(nsf_config_parse_hostport(&ep, "[::1", 9),
	    NSF_EINVAL);
	assert_int_equal(nsf_config_parse_hostport(&ep, "1.2.3.4:", 9),
	    NSF_EINVAL);
}

/* A scratch directory with a secrets file of the given mode. */
static char *
scratch_with_secrets(const char *text, mode_t mode)
{
	char tmpl[] = "/tmp/nsf-config-XXXXXX";
	char *dir = nsf_xstrdup(mkdtemp(tmpl));
	char *path = nsf_xasprintf("%s/secrets.yaml", dir);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	free(path);
	return dir;
}

static void
remove_scratch(char *dir)
{
	char *path = nsf_xasprintf("%s/secrets.yaml", dir);

	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

static struct nsf_config *
config_in(const char *dir, struct nsf_diags *d, const char *text)
{
	struct nsf_config *c = NULL;
	char *name = nsf_xasprintf("%s/nsfailover.yaml", dir);

	nsf_diags_init(d);
	assert_int_equal(nsf_config_parse(&c, name, text, strlen(text), d),
	    0);
	free(name);
	return c;
}

static const char hooks[] =
    "repository: { url: \"https://git.example/policy.git\" }\n"
    "secrets: secrets.yaml\n"
    "notifications:\n  webhooks:\n"
    "    - name: a\n      url: https://a.example\n"
    "      secret: hook-a\n"
    "    - name: b\n      url_credential: hook-b\n";

static void
test_config_check_files_finds_credentials(void **state)
{
	char *dir = scratch_with_secrets("hook-a: { hmac_key: k1 }\n"
	    "hook-b: { url: \"https://b.example/T0/B0/x\" }\n", 0600);
	struct nsf_secrets *s = NULL;
	struct nsf_config *c;
	struct nsf_diags d;

	c = config_in(dir, &d, hooks);
	assert_int_equal(nsf_config_check_files(c, &d, &s), 0);
	assert_non_null(s);
	assert_string_equal(nsf_secrets_get(s, "hook-a", "hmac_key"), "k1");
	nsf_secrets_free(s);
	nsf_config_free(c);
	nsf_diags_deinit(&d);
	remove_scratch(dir);
}

static void
test_config_check_files_reports_missing_credential(void **state)
{
	char *dir = scratch_with_secrets("hook-a: { key: wrong-field }\n",
	    0600);
	struct nsf_config *c;
	struct nsf_diags d;

	c = config_in(dir, &d, hooks);
	assert_int_equal(nsf_config_check_files(c, &d, NULL), 2);
	expect_diag(&d, 7, 15, "unknown-credential",
	    "credential 'hook-a'", "hmac_key");
	expect_diag(&d, 9, 23, "unknown-credential",
	    "has no credential 'hook-b'", NULL);
	nsf_config_free(c);
	nsf_diags_deinit(&d);
	remove_scratch(dir);
}

static void
test_config_check_files_refuses_open_secrets(void **state)
{
	char *dir = scratch_with_secrets("hook-a: { hmac_key: k1 }\n", 0644);
	struct nsf_config *c;
	struct nsf_diags d;

	c = config_in(dir, &d, hooks);
	assert_int_equal(nsf_config_check_files(c, &d, NULL), 1);
	expect_diag(&d, 2, 10, "secrets", "mode 644", NULL);
	nsf_config_free(c);
	nsf_diags_deinit(&d);
	remove_scratch(dir);
}

static void
test_config_check_files_points_at_unreadable_keys(void **state)
{
	char *dir = scratch_with_secrets("x: { y: z }\n", 0600);
	struct nsf_config *c;
	struct nsf_diags d;

	c = config_in(dir, &d, "repository:\n"
	    "  url: no-such-repo.git\n"
	    "  trusted_keys:\n"
	    "    gpg: [ ops.asc ]\n"
	    "    ssh_allowed_signers: signers\n"
	    "secrets: secrets.yaml\n");
	assert_int_equal(nsf_config_check_files(c, &d, NULL), 3);
	expect_diag(&d, 2, 8, "file-not-found", "no-such-repo.git",
	    "fix repository.url");
	expect_diag(&d, 4, 12, "file-not-found", "trusted GPG key", NULL);
	expect_diag(&d, 5, 26, "file-not-found", "SSH allowed signers",
	    NULL);
	nsf_config_free(c);
	nsf_diags_deinit(&d);
	remove_scratch(dir);
}

static void
test_config_format_hides_secrets(void **state)
{
	struct nsf_config *c = NULL;
	struct nsf_diags d;
	struct nsf_buf b;

	assert_int_equal(parse(&c, &d, "repository: { url: "
	    "\"https://bot:tok3n@git.example/p.git\" }\n"
	    "notifications:\n  webhooks:\n"
	    "    - { name: a, url: \"https://h.example/x?token=s3cr3t\" }\n"),
	    0);
	nsf_buf_init(&b);
	nsf_config_format(c, &b);
	assert_null(strstr(b.data, "tok3n"));
	assert_null(strstr(b.data, "s3cr3t"));
	assert_non_null(strstr(b.data, "https://bot:****@git.example/p.git"));
	assert_non_null(strstr(b.data, "https://h.example/x?****"));
	assert_non_null(strstr(b.data, "fetch_interval: 1m"));
	nsf_buf_deinit(&b);
	nsf_config_free(c);
	nsf_diags_deinit(&d);
}

static void
test_config_distance(void **state)
{
	assert_int_equal(nsf_config_distance("branch", "brnch"), 1);
	assert_int_equal(nsf_config_distance("", "abc"), 3);
	assert_int_equal(nsf_config_distance("kitten", "sitting"), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_minimal_takes_defaults),
		cmocka_unit_test(test_config_full_reads_every_key),
		cmocka_unit_test(test_config_unknown_key_suggests),
		cmocka_unit_test(test_config_wrong_type_says_what_is_expected),
		cmocka_unit_test(test_config_missing_required_keys),
		cmocka_unit_test(test_config_duplicate_keys_name_first_line),
		cmocka_unit_test(test_config_durations_are_checked),
		cmocka_unit_test(test_config_enums_suggest_the_closest),
		cmocka_unit_test(test_config_addresses_must_be_literal),
		cmocka_unit_test(test_config_warnings_do_not_fail),
		cmocka_unit_test(test_config_metrics_off),
		cmocka_unit_test(test_config_repository_rules),
		cmocka_unit_test(test_config_yaml_syntax_error_has_position),
		cmocka_unit_test(test_config_relative_paths_follow_the_file),
		cmocka_unit_test(test_config_parse_hostport),
		cmocka_unit_test(test_config_check_files_finds_credentials),
		cmocka_unit_test(
		    test_config_check_files_reports_missing_credential),
		cmocka_unit_test(test_config_check_files_refuses_open_secrets),
		cmocka_unit_test(
		    test_config_check_files_points_at_unreadable_keys),
		cmocka_unit_test(test_config_format_hides_secrets),
		cmocka_unit_test(test_config_distance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
