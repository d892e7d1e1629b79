/* test_notify.c - webhook bodies and signatures; delivery itself is
 * tested against real receivers in tests/integration/notify.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../providers/notify.h"

static void
test_notify_signature_known_answer(void **state)
{
	const char *data = "what do ya want for nothing?";
	char sig[72];

	/* RFC 4231, test case 2. */
	nsf_notify_signature(sig, "Jefe", data, strlen(data));
	assert_string_equal(sig, "sha256=5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
}

static void
test_notify_json_body_has_every_field(void **state)
{
	struct nsf_event_info ev = {
		.type = NSF_EVENT_FAILOVER, .domain = "example.test",
		.from = "a", .to = "b", .reason = "a \"down\"",
		.policy_commit = "c0ffee", .time_ms = 1796396400000LL,
	};
	struct nsf_buf b;

	nsf_buf_init(&b);
	nsf_notify_body(&b, NSF_WEBHOOK_JSON, &ev);
	assert_string_equal(b.data, "{\"event\":\"failover\","
	    "\"domain\":\"example.test\",\"from\":\"a\",\"to\":\"b\","
	    "\"reason\":\"a \\\"down\\\"\",\"time\":\"2026-12-04T15:00:00Z\","
	    "\"policy_commit\":\"c0ffee\"}");
	nsf_buf_deinit(&b);
}

static void
test_notify_missing_fields_are_null(void **state)
{
	struct nsf_event_info ev = { .type = NSF_EVENT_POLICY_REJECTED,
		.reason = "policy/domains.yaml:3:1: error", .time_ms = 1 };
	struct nsf_buf b;

	nsf_buf_init(&b);
	nsf_notify_body(&b, NSF_WEBHOOK_JSON, &ev);
	assert_non_null(strstr(b.data, "\"event\":\"policy-rejected\","
	    "\"domain\":null,\"from\":null"));
	nsf_buf_deinit(&b);
}

static void
test_notify_slack_body_is_one_text(void **state)
{
	struct nsf_event_info ev = {
		.type = NSF_EVENT_FAILBACK, .domain = "example.test",
		.from = "b", .to = "a", .reason = "a healthy for 15m",
		.policy_commit = "0123456789abcdef",
	};
	struct nsf_buf b;

	nsf_buf_init(&b);
	nsf_notify_body(&b, NSF_WEBHOOK_SLACK, &ev);
	assert_string_equal(b.data, "{\"text\":\"nsfailover: failback of "
	    "example.test from b to a: a healthy for 15m (policy "
	    "0123456789ab)\"}");
	nsf_buf_deinit(&b);
}

static void
test_notify_slack_escapes_markup(void **state)
{
	struct nsf_event_info ev = {
		.type = NSF_EVENT_DRIFT, .domain = "example.test",
		.reason = "registry has <ns9.x> & more",
	};
	struct nsf_buf b;

	nsf_buf_init(&b);
	nsf_notify_body(&b, NSF_WEBHOOK_SLACK, &ev);
	assert_string_equal(b.data, "{\"text\":\"nsfailover: drift of "
	    "example.test: registry has &lt;ns9.x&gt; &amp; more\"}");
	nsf_buf_deinit(&b);
}

static void
test_notify_event_names_round_trip(void **state)
{
	enum nsf_event e;
	int i;

	for (i = 0; i < NSF_EVENT_COUNT; i++) {
		assert_int_equal(nsf_event_parse(&e,
		    nsf_event_name((enum nsf_event)i)), 0);
		assert_int_equal(e, i);
	}
	assert_int_equal(nsf_event_parse(&e, "explode"), NSF_EINVAL);
}

static void
test_notify_send_without_targets_is_harmless(void **state)
{
	struct nsf_event_info ev = { .type = NSF_EVENT_DRIFT };

	nsf_notify_send(NULL, &ev);
	assert_int_equal(nsf_notify_pending(NULL), 0);
	nsf_notify_free(NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_signature_known_answer),
		cmocka_unit_test(test_notify_json_body_has_every_field),
		cmocka_unit_test(test_notify_missing_fields_are_null),
		cmocka_unit_test(test_notify_slack_body_is_one_text),
		cmocka_unit_test(test_notify_slack_escapes_markup),
		cmocka_unit_test(test_notify_event_names_round_trip),
		cmocka_unit_test(test_notify_send_without_targets_is_harmless),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
