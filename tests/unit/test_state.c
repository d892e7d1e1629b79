/* test_state.c - state/<domain>.yaml: writing, reading back, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../reconciler/state.h"

void state_time_format(char out[32], int64_t ms);
int state_time_parse(int64_t *out_ms, const char *s);

static void
fill(struct nsf_domain_state *s)
{
	nsf_domain_state_init(s);
	s->domain = nsf_xstrdup("example.com");
	s->active = nsf_xstrdup("provider-b");
	nsf_strv_push(&s->nameservers, "ns1.provider-b.example");
	nsf_strv_push(&s->nameservers, "ns2.provider-b.example");
	s->since_ms = 1796396400250;    /* 2026-12-04T15:00:00.250Z */
	s->last_action = nsf_xstrdup("failover");
	s->last_reason = nsf_xstrdup("provider-a: 0/2 healthy for 3 rounds"
	    "\nns1: timeout");
	s->policy_commit = nsf_xstrdup("0123456789abcdef0123456789abcdef"
	    "01234567");
	s->policy_fingerprint = nsf_xstrdup("yes");
	s->nchanges = 2;
	s->changes_ms = nsf_xcalloc(2, sizeof(int64_t));
	s->changes_ms[0] = 1796396000000;
	s->changes_ms[1] = 1796396400250;
	s->has_intent = true;
	s->intent.id = nsf_xstrdup("nsf-1-2");
	s->intent.action = nsf_xstrdup("failover");
	s->intent.target = nsf_xstrdup("provider-b");
	nsf_strv_push(&s->intent.from, "ns1.provider-a.example");
	nsf_strv_push(&s->intent.to, "ns1.provider-b.example");
	s->intent.at_ms = 1796396400000;
	s->pending = true;
}

static void
test_state_round_trip_keeps_every_field(void **ctx)
{
	struct nsf_domain_state a, b;
	struct nsf_buf y;

	(void)ctx;
	fill(&a);
	nsf_buf_init(&y);
	nsf_domain_state_format(&a, &y);
	assert_int_equal(nsf_domain_state_parse(&b, y.data, y.len), 0);
	assert_string_equal(b.domain, "example.com");
	assert_string_equal(b.active, "provider-b");
	assert_true(nsf_strv_same_set(&a.nameservers, &b.nameservers));
	assert_int_equal(b.since_ms, a.since_ms);
	assert_string_equal(b.last_reason, a.last_reason);
	assert_string_equal(b.policy_commit, a.policy_commit);
	/* "yes" stays a string, not a boolean. */
	assert_string_equal(b.policy_fingerprint, "yes");
	assert_int_equal(b.nchanges, 2);
	assert_int_equal(b.changes_ms[1], a.changes_ms[1]);
	assert_true(b.has_intent);
	assert_string_equal(b.intent.id, "nsf-1-2");
	assert_string_equal(b.intent.to.v[0], "ns1.provider-b.example");
	assert_int_equal(b.intent.at_ms, a.intent.at_ms);
	assert_true(b.pending);
	nsf_buf_deinit(&y);
	nsf_domain_state_deinit(&a);
	nsf_domain_state_deinit(&b);
}

static void
test_state_empty_fields_read_back_empty(void **ctx)
{
	struct nsf_domain_state a, b;
	struct nsf_buf y;

	(void)ctx;
	nsf_domain_state_init(&a);
	a.domain = nsf_xstrdup("example.org");
	nsf_buf_init(&y);
	nsf_domain_state_format(&a, &y);
	assert_non_null(strstr(y.data, "active: ~"));
	assert_int_equal(nsf_domain_state_parse(&b, y.data, y.len), 0);
	assert_null(b.active);
	assert_int_equal(b.nameservers.n, 0);
	assert_int_equal(b.since_ms, 0);
	assert_false(b.has_intent);
	assert_false(b.pending);
	nsf_buf_deinit(&y);
	nsf_domain_state_deinit(&a);
	nsf_domain_state_deinit(&b);
}

static void
test_state_copy_is_deep(void **ctx)
{
	struct nsf_domain_state a, b;

	(void)ctx;
	fill(&a);
	nsf_domain_state_copy(&b, &a);
	nsf_domain_state_deinit(&a);
	assert_string_equal(b.intent.target, "provider-b");
	assert_int_equal(b.changes_ms[0], 1796396000000);
	nsf_domain_state_deinit(&b);
}

static void
test_state_trim_drops_old_changes(void **ctx)
{
	struct nsf_domain_state a;

	(void)ctx;
	fill(&a);
	nsf_domain_state_trim_changes(&a, 1796396400250 + 1000, 60000);
	assert_int_equal(a.nchanges, 1);
	assert_int_equal(a.changes_ms[0], 1796396400250);
	nsf_domain_state_deinit(&a);
}

static void
test_state_bad_yaml_says_where(void **ctx)
{
	static const char bad[] = "domain: example.com\nsince: [1\n";
	static const char notime[] = "domain: example.com\nsince: soon\n";
	struct nsf_domain_state s;

	(void)ctx;
	assert_int_equal(nsf_domain_state_parse(&s, bad, strlen(bad)),
	    NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "line "));
	assert_int_equal(nsf_domain_state_parse(&s, notime, strlen(notime)),
	    NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "line 2 column 8"));
	assert_int_equal(nsf_domain_state_parse(&s, "x: 1\n", 5),
	    NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "no 'domain'"));
}

static void
test_state_unknown_keys_are_ignored(void **ctx)
{
	static const char y[] = "domain: example.net\nfuture: [a, b]\n"
	    "active: provider-a\n";
	struct nsf_domain_state s;

	(void)ctx;
	assert_int_equal(nsf_domain_state_parse(&s, y, strlen(y)), 0);
	assert_string_equal(s.active, "provider-a");
	nsf_domain_state_deinit(&s);
}

static void
test_state_time_keeps_milliseconds(void **ctx)
{
	char t[32];
	int64_t ms;

	(void)ctx;
	state_time_format(t, 1796396400250);
	assert_string_equal(t, "2026-12-04T15:00:00.250Z");
	state_time_format(t, 1796396400000);
	assert_string_equal(t, "2026-12-04T15:00:00Z");
	assert_int_equal(state_time_parse(&ms, "2026-12-04T15:00:00.25Z"), 0);
	assert_int_equal(ms, 1796396400250);
	assert_int_equal(state_time_parse(&ms, "2026-12-04 15:00"),
	    NSF_EINVAL);
}

/* A hostile state file is refused before libyaml builds it: deep flow
 * nesting, deep block nesting, a file larger than any state can be. */
static void
test_state_hostile_files_refused(void **state)
{
	struct nsf_domain_state st;
	struct nsf_buf b;
	size_t i;
	unsigned ln = 0, col = 0;

	(void)state;
	nsf_buf_init(&b);
	nsf_buf_puts(&b, "domain: x.test\nnameservers: ");
	for (i = 0; i < 100000; i++) {
		nsf_buf_puts(&b, "[");
	}
	for (i = 0; i < 100000; i++) {
		nsf_buf_puts(&b, "]");
	}
	assert_int_equal(nsf_domain_state_parse(&st, b.data, b.len),
	    NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "line 2 column 46"));
	assert_non_null(strstr(nsf_error_last(), "nested more than"));
	nsf_buf_deinit(&b);

	nsf_buf_init(&b);
	nsf_buf_puts(&b, "domain: x.test\nnameservers:\n");
	for (i = 0; i < 200; i++) {
		nsf_buf_puts(&b, "- ");
	}
	nsf_buf_puts(&b, "a\n");
	assert_int_equal(nsf_domain_state_parse(&st, b.data, b.len),
	    NSF_EINVAL);
	nsf_buf_deinit(&b);

	nsf_buf_init(&b);
	nsf_buf_puts(&b, "domain: x.test\nlast_reason: \"");
	for (i = 0; i < NSF_STATE_MAX_BYTES; i++) {
		nsf_buf_puts(&b, "x");
	}
	nsf_buf_puts(&b, "\"\n");
	assert_int_equal(nsf_domain_state_parse(&st, b.data, b.len),
	    NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "bytes"));
	nsf_buf_deinit(&b);

	/* Brackets inside quotes and comments do not count. */
	{
		const char *ok = "a: \"[[[[[[\" # {{{{{{{\n";
		const char *deep = "a: [[[[x]]]]\n";

		assert_int_equal(nsf_yaml_depth_check(ok, strlen(ok), 3, &ln,
		    &col), 0);
		assert_int_equal(nsf_yaml_depth_check(deep, strlen(deep), 3,
		    &ln, &col), NSF_EINVAL);
	}
	assert_int_equal(ln, 1);
	assert_int_equal(col, 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_round_trip_keeps_every_field),
		cmocka_unit_test(test_state_empty_fields_read_back_empty),
		cmocka_unit_test(test_state_copy_is_deep),
		cmocka_unit_test(test_state_trim_drops_old_changes),
		cmocka_unit_test(test_state_bad_yaml_says_where),
		cmocka_unit_test(test_state_unknown_keys_are_ignored),
		cmocka_unit_test(test_state_time_keeps_milliseconds),
		cmocka_unit_test(test_state_hostile_files_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
