/* test_exec.c - unit tests for the exec driver's protocol: the request a
 * hook reads, and how its exit status and reply become an outcome or an
 * observed delegation, bad replies included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "../../providers/exec.h"

static const struct exec_status exited0 = { .exited = true, .code = 0,
	.stderr_head = "" };

static struct nsf_outcome
apply_verdict(const struct exec_status *st, const char *reply)
{
	struct nsf_outcome o;

	nsf_outcome_init(&o);
	exec_apply_outcome(&o, st, reply, strlen(reply));
	return o;
}

static void
assert_apply(const struct exec_status *st, const char *reply,
    enum nsf_apply_result want, const char *in_message)
{
	struct nsf_outcome o = apply_verdict(st, reply);

	assert_int_equal(o.result, want);
	if (in_message != NULL && strstr(o.message, in_message) == NULL) {
		fail_msg("message '%s' lacks '%s'", o.message, in_message);
	}
	nsf_outcome_deinit(&o);
}

static void
test_exec_request_carries_the_change(void **state)
{
	static char addr[] = "192.0.2.1", name[] = "ns1.x.test";
	static char *addrs[] = { addr };
	static const struct nsf_nameserver ns1 = {
		.name = name, .addrs = addrs, .naddrs = 1,
	};
	const struct nsf_nameserver *adds[] = { &ns1 };
	json_t *add0;
	const char *rems[] = { "ns1.a.test", "ns2.a.test" };
	struct nsf_strv observed;
	struct nsf_change chg = {
		.domain = "x.test", .add = adds, .nadd = 1, .rem = rems,
		.nrem = 2, .observed = &observed, .target = "provider-b",
		.client_trid = "CL-1",
	};
	json_t *doc;
	char *text;

	(void)state;
	nsf_strv_init(&observed);
	nsf_strv_push(&observed, "ns1.a.test");
	nsf_strv_push(&observed, "ns2.a.test");
	text = exec_request("apply", "reg", "x.test", &chg);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc,
	    "operation")), "apply");
	assert_int_equal(json_integer_value(json_object_get(doc, "version")),
	    1);
	assert_int_equal(json_array_size(json_object_get(doc, "observed")),
	    2);
	add0 = json_array_get(json_object_get(doc, "add"), 0);
	assert_string_equal(json_string_value(json_object_get(add0, "name")),
	    "ns1.x.test");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(add0, "addresses"), 0)), "192.0.2.1");
	assert_int_equal(json_array_size(json_object_get(doc, "rem")), 2);
	assert_string_equal(json_string_value(json_object_get(doc,
	    "target")), "provider-b");
	assert_false(json_is_true(json_object_get(doc, "ds_change")));
	json_decref(doc);
	free(text);

	/* Observe carries no change fields at all. */
	text = exec_request("observe", "reg", "x.test", NULL);
	doc = json_loads(text, 0, NULL);
	assert_null(json_object_get(doc, "add"));
	assert_string_equal(json_string_value(json_object_get(doc,
	    "domain")), "x.test");
	json_decref(doc);
	free(text);
	nsf_strv_deinit(&observed);
}

/* Values are JSON-escaped, never pasted: a hostile name stays one
 * string. */
static void
test_exec_request_escapes_values(void **state)
{
	char *text = exec_request("observe", "r\"eg", "x\".test\n{", NULL);
	json_t *doc = json_loads(text, 0, NULL);

	(void)state;
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc,
	    "domain")), "x\".test\n{");
	assert_string_equal(json_string_value(json_object_get(doc,
	    "registry")), "r\"eg");
	json_decref(doc);
	free(text);
}

static void
test_exec_apply_results(void **state)
{
	struct exec_status exit1 = exited0;
	struct nsf_outcome o;

	(void)state;
	exit1.code = 1;
	assert_apply(&exited0, "{\"result\":\"done\"}", NSF_APPLY_DONE, NULL);
	assert_apply(&exited0, "{\"result\":\"pending\"}", NSF_APPLY_PENDING,
	    NULL);
	assert_apply(&exit1, "{\"result\":\"refused\",\"message\":\"locked\"}",
	    NSF_APPLY_REFUSED, "locked");
	assert_apply(&exit1, "{\"result\":\"conflict\"}", NSF_APPLY_CONFLICT,
	    NULL);
	assert_apply(&exit1, "{\"result\":\"failed\"}", NSF_APPLY_FAILED,
	    NULL);
	assert_apply(&exited0, "{\"result\":\"unknown\"}", NSF_APPLY_UNKNOWN,
	    NULL);
	/* Success with a failing exit contradicts itself. */
	assert_apply(&exit1, "{\"result\":\"done\"}", NSF_APPLY_UNKNOWN,
	    "but exited 1");
	assert_apply(&exit1, "{\"result\":\"pending\"}", NSF_APPLY_UNKNOWN,
	    "but exited 1");
	o = apply_verdict(&exited0, "{\"result\":\"failed\","
	    "\"config_problem\":true,\"transaction_id\":\"T-1\"}");
	assert_true(o.config_problem);
	assert_string_equal(o.server_trid, "T-1");
	nsf_outcome_deinit(&o);
}

static void
test_exec_apply_bad_replies_are_unknown(void **state)
{
	static const struct {
		const char *reply;
		const char *why;
	} bad[] = {
		{ "", "no reply on stdout" },
		{ "done", "not JSON" },
		{ "{\"result\":\"done\"", "not JSON" },
		{ "[\"done\"]", "no \"result\"" },
		{ "{\"result\":\"ok\"}", "no \"result\"" },
		{ "{\"result\":1}", "no \"result\"" },
		{ "{\"result\":\"DONE\"}", "no \"result\"" },
		{ "{\"result\":\"failed\",\"result\":\"done\"}", "not JSON" },
		{ "{\"result\":\"done\"} trailing", "not JSON" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NSF_ARRAY_SIZE(bad); i++) {
		assert_apply(&exited0, bad[i].reply, NSF_APPLY_UNKNOWN,
		    bad[i].why);
		assert_apply(&exited0, bad[i].reply, NSF_APPLY_UNKNOWN,
		    "observe before any retry");
	}
}

static void
test_exec_apply_run_failures_are_unknown(void **state)
{
	struct exec_status st = exited0;

	(void)state;
	st.timed_out = true;
	st.exited = false;
	st.code = 9;
	st.stderr_head = "still working";
	assert_apply(&st, "{\"result\":\"done\"}", NSF_APPLY_UNKNOWN,
	    "did not finish within the registry timeout");
	assert_apply(&st, "", NSF_APPLY_UNKNOWN, "stderr: still working");
	st.timed_out = false;
	st.too_big = true;
	assert_apply(&st, "{\"result\":\"done\"}", NSF_APPLY_UNKNOWN,
	    "more than 1048576 bytes");
	st.too_big = false;
	assert_apply(&st, "{\"result\":\"done\"}", NSF_APPLY_UNKNOWN,
	    "killed by signal 9");
}

static int
observe(struct nsf_delegation *d, const struct exec_status *st,
    const char *reply)
{
	nsf_delegation_init(d);
	return exec_observe_reply(d, st, reply, strlen(reply));
}

static void
test_exec_observe_reads_the_reply(void **state)
{
	struct nsf_delegation d;

	(void)state;
	assert_int_equal(observe(&d, &exited0, "{\"result\":\"done\","
	    "\"nameservers\":[\"NS2.B.test.\",\"ns1.b.test\",\"ns1.b.test\"],"
	    "\"ds\":[\"1 13 2 abcd\"],\"statuses\":[\"ok\",3],"
	    "\"ns_ttl\":600}"), 0);
	assert_int_equal(d.ns.n, 2);
	assert_string_equal(d.ns.v[0], "ns1.b.test");
	assert_string_equal(d.ns.v[1], "ns2.b.test");
	assert_int_equal(d.nds, 1);
	assert_string_equal(d.ds[0].digest, "ABCD");
	assert_int_equal(d.statuses.n, 1);
	assert_int_equal(d.ns_ttl, 600);
	nsf_delegation_deinit(&d);
}

static void
test_exec_observe_refuses_bad_replies(void **state)
{
	static const struct {
		const char *reply;
		const char *why;
	} bad[] = {
		{ "", "no reply on stdout" },
		{ "{\"result\":\"done\"}", "no \"nameservers\" array" },
		{ "{\"result\":\"done\",\"nameservers\":\"ns1.b.test\"}",
		    "no \"nameservers\" array" },
		{ "{\"result\":\"done\",\"nameservers\":[1]}",
		    "must hold domain names" },
		{ "{\"result\":\"done\",\"nameservers\":[\"\"]}",
		    "must hold domain names" },
		{ "{\"result\":\"done\",\"nameservers\":[\"ns1 b;rm\"]}",
		    "is not a host name" },
		{ "{\"result\":\"done\",\"nameservers\":[],\"ds\":[\"x\"]}",
		    NULL },
		{ "{\"result\":\"refused\",\"message\":\"no such domain\"}",
		    "no such domain" },
		{ "not json", "not JSON" },
	};
	struct exec_status exit2 = exited0;
	struct nsf_delegation d;
	size_t i;

	(void)state;
	for (i = 0; i < NSF_ARRAY_SIZE(bad); i++) {
		assert_true(observe(&d, &exited0, bad[i].reply) < 0);
		if (bad[i].why != NULL &&
		    strstr(nsf_error_last(), bad[i].why) == NULL) {
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].reply,
			    nsf_error_last(), bad[i].why);
		}
		nsf_delegation_deinit(&d);
	}
	exit2.code = 2;
	assert_true(observe(&d, &exit2, "{\"result\":\"done\","
	    "\"nameservers\":[\"ns1.b.test\"]}") < 0);
	assert_non_null(strstr(nsf_error_last(), "exit 2"));
	nsf_delegation_deinit(&d);
}

static void
test_exec_secret_var_names(void **state)
{
	char *v;

	(void)state;
	v = exec_secret_var("api-token");
	assert_string_equal(v, "NSF_SECRET_API_TOKEN");
	free(v);
	v = exec_secret_var("password");
	assert_string_equal(v, "NSF_SECRET_PASSWORD");
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_request_carries_the_change),
		cmocka_unit_test(test_exec_request_escapes_values),
		cmocka_unit_test(test_exec_apply_results),
		cmocka_unit_test(test_exec_apply_bad_replies_are_unknown),
		cmocka_unit_test(test_exec_apply_run_failures_are_unknown),
		cmocka_unit_test(test_exec_observe_reads_the_reply),
		cmocka_unit_test(test_exec_observe_refuses_bad_replies),
		cmocka_unit_test(test_exec_secret_var_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
