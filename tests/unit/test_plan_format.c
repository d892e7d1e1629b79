/* test_plan_format.c - what `plan` and `status` print: text blocks, the
 * markdown pull-request comment and JSON, from plans built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../reconciler/plan_format.h"

#define NOW 1800000000000LL

struct fx {
	struct nsf_provider prov[2];
	struct nsf_provider_view views[2];
	struct nsf_delegation obs;
	struct nsf_plan change;         /* failover a -> b, applies */
	struct nsf_plan held;           /* failover held by the flap budget */
	struct nsf_plan idle;
	struct nsf_domain_state last;
	struct nsf_plan_report r[4];
	struct nsf_buf out;
};

static void
fill_change(struct nsf_plan *p, enum nsf_plan_hold hold)
{
	nsf_plan_init(p);
	p->action = NSF_ACTION_FAILOVER;
	p->hold = hold;
	p->current = nsf_xstrdup("a");
	p->target = nsf_xstrdup("b");
	nsf_strv_push(&p->desired, "ns1.b.example");
	nsf_strv_push(&p->desired, "ns2.b.example");
	nsf_strv_push(&p->add, "ns1.b.example");
	nsf_strv_push(&p->add, "ns2.b.example");
	nsf_strv_push(&p->rem, "ns1.a.example");
	nsf_strv_push(&p->rem, "ns2.a.example");
	p->reason = nsf_xstrdup("fail over to b: a failed (a: down, "
	    "timeout x3 | <udp>)");
	if (hold == NSF_HOLD_FLAP_BUDGET) {
		p->retry_at_ms = NOW + 600000;
	}
}

static int
setup(void **state)
{
	struct fx *f = nsf_xcalloc(1, sizeof(*f));

	f->prov[0].name = "a";
	f->prov[1].name = "b";
	f->views[0] = (struct nsf_provider_view){ &f->prov[0],
	    NSF_PSTATE_DOWN, 0, false, NSF_TRI_UNKNOWN, "timeout x3" };
	f->views[1] = (struct nsf_provider_view){ &f->prov[1],
	    NSF_PSTATE_UP, NOW - 1000, true, NSF_TRI_UNKNOWN, "2/2 ok" };
	nsf_delegation_init(&f->obs);
	nsf_strv_push(&f->obs.ns, "ns1.a.example");
	nsf_strv_push(&f->obs.ns, "ns2.a.example");
	nsf_strv_push(&f->obs.statuses, "ok");
	f->obs.ns_ttl = 3600;
	fill_change(&f->change, NSF_HOLD_NONE);
	fill_change(&f->held, NSF_HOLD_FLAP_BUDGET);
	nsf_plan_init(&f->idle);
	f->idle.current = nsf_xstrdup("a");
	f->idle.target = nsf_xstrdup("a");
	f->idle.reason = nsf_xstrdup("a serves and is healthy");
	nsf_strv_init(&f->last.nameservers);
	f->r[0] = (struct nsf_plan_report){ .domain = "example.com",
	    .plan = &f->change, .observed = &f->obs, .views = f->views,
	    .nviews = 2, .last = &f->last, .child_ns_ttl = 300 };
	f->r[1] = (struct nsf_plan_report){ .domain = "example.net",
	    .plan = &f->held, .observed = &f->obs };
	f->r[2] = (struct nsf_plan_report){ .domain = "example.org",
	    .plan = &f->idle, .observed = &f->obs };
	f->r[3] = (struct nsf_plan_report){ .domain = "example.info",
	    .error = "registry: connection refused" };
	nsf_buf_init(&f->out);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (getenv("FORMAT_DEBUG") != NULL && f->out.data != NULL) {
		/* FORMAT_DEBUG=1 shows each output, to read it as a user. */
		fprintf(stderr, "%s\n", f->out.data);
	}
	nsf_plan_deinit(&f->change);
	nsf_plan_deinit(&f->held);
	nsf_plan_deinit(&f->idle);
	nsf_delegation_deinit(&f->obs);
	nsf_strv_deinit(&f->last.nameservers);
	nsf_buf_deinit(&f->out);
	free(f);
	return 0;
}

static void
assert_has(const struct nsf_buf *b, const char *needle)
{
	if (strstr(b->data, needle) == NULL) {
		fail_msg("output lacks '%s':\n%s", needle, b->data);
	}
}

static void
assert_lacks(const struct nsf_buf *b, const char *needle)
{
	if (strstr(b->data, needle) != NULL) {
		fail_msg("output has '%s':\n%s", needle, b->data);
	}
}

static void
test_plan_format_text_blocks(void **state)
{
	struct fx *f = *state;

	nsf_plan_format_text(&f->out, f->r, 4, 0);
	assert_has(&f->out, "example.com: failover to b\n");
	assert_has(&f->out, "  add:      ns1.b.example ns2.b.example\n");
	assert_has(&f->out, "  remove:   ns1.a.example ns2.a.example\n");
	assert_has(&f->out, "  health:   a: down, timeout x3; b: up, "
	    "ready, 2/2 ok\n");
	assert_has(&f->out, "example.net: would failover to b, held: "
	    "flap-budget\n");
	assert_has(&f->out, "  retry at: 2027-01-15T08:10:00Z\n");
	/* Idle domains take one line unless asked for everything. */
	assert_has(&f->out, "example.org: no change\nexample.info");
	assert_has(&f->out, "example.info: error: registry: connection "
	    "refused\n");
	assert_has(&f->out, "4 domains: 1 to change, 1 held, 0 to look at, "
	    "1 unchanged, 1 error\n");
	assert_lacks(&f->out, "switch:");
}

static void
test_plan_format_text_status(void **state)
{
	struct fx *f = *state;

	f->last.last_action = "failover";
	f->last.active = "a";
	f->last.since_ms = NOW - 3600000;
	f->last.has_intent = true;
	f->last.intent.id = "nsf-42";
	f->last.intent.action = "failover";
	f->last.intent.target = "b";
	f->last.intent.at_ms = NOW;
	nsf_strv_push(&f->obs.statuses, "clientUpdateProhibited");
	f->idle.blocking_status = "clientUpdateProhibited";
	nsf_plan_format_text(&f->out, f->r, 3, NSF_FMT_STATUS);
	assert_has(&f->out, "  last:     failover to a at "
	    "2027-01-15T07:00:00Z\n");
	assert_has(&f->out, "  pending:  intent nsf-42 (failover to b)");
	/* The longer of parent and child NS TTL. */
	assert_has(&f->out, "  switch:   takes effect within 1h (parent NS "
	    "TTL 3600s, child NS TTL 300s)\n");
	assert_has(&f->out, "  warning:  registry status "
	    "clientUpdateProhibited would block any change\n");
	assert_has(&f->out, "1 to look at");
	assert_has(&f->out, "last:     nothing recorded yet");
	assert_has(&f->out, "(parent NS TTL 3600s, child NS TTL unknown)");
}

static void
test_plan_format_markdown_table(void **state)
{
	struct fx *f = *state;

	nsf_plan_format_markdown(&f->out, f->r, 4, 0);
	assert_has(&f->out, "**4 domains: 1 to change, 1 held");
	assert_has(&f->out, "| domain | action | from | to | reason |\n"
	    "|---|---|---|---|---|\n");
	/* Pipes and HTML in a reason cannot break the table. */
	assert_has(&f->out, "| example.com | failover | a | b | fail over "
	    "to b: a failed (a: down, timeout x3 \\| &lt;udp&gt;) |\n");
	assert_has(&f->out, "| example.net | failover (held: flap-budget) "
	    "| a | b |");
	assert_has(&f->out, "| example.info | error | | | registry: "
	    "connection refused |");
	assert_lacks(&f->out, "| example.org");
	assert_has(&f->out, "<details><summary>Details</summary>");
	assert_has(&f->out, "- add: `ns1.b.example`, `ns2.b.example`\n");
	assert_has(&f->out, "</details>\n");
}

static void
test_plan_format_markdown_nothing_to_do(void **state)
{
	struct fx *f = *state;

	nsf_plan_format_markdown(&f->out, &f->r[2], 1, 0);
	assert_has(&f->out, "**1 domain: 0 to change, 0 held, 0 to look "
	    "at, 1 unchanged, 0 errors**\n");
	assert_lacks(&f->out, "| domain |");
	assert_lacks(&f->out, "<details>");

	nsf_buf_deinit(&f->out);
	nsf_plan_format_markdown(&f->out, &f->r[2], 1, NSF_FMT_ALL);
	assert_has(&f->out, "| example.org | none | a |  | a serves");
}

static void
test_plan_format_json_round_trip(void **state)
{
	struct fx *f = *state;
	json_error_t err;
	json_t *doc, *d0, *d3;

	nsf_plan_format(&f->out, NSF_FORMAT_JSON, f->r, 4, NSF_FMT_STATUS);
	doc = json_loads(f->out.data, 0, &err);
	if (doc == NULL) {
		fail_msg("not JSON: %s\n%s", err.text, f->out.data);
	}
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    doc, "summary"), "changes")), 1);
	d0 = json_array_get(json_object_get(doc, "domains"), 0);
	assert_string_equal(json_string_value(json_object_get(d0, "action")),
	    "failover");
	assert_true(json_is_true(json_object_get(d0, "applies")));
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(d0, "add"), 1)), "ns2.b.example");
	assert_true(json_is_null(json_object_get(d0, "blocking_status")));
	assert_int_equal(json_integer_value(json_object_get(d0,
	    "switch_within")), 3600);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(json_object_get(d0, "providers"), 0), "state")),
	    "down");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(json_object_get(doc, "domains"), 1),
	    "retry_at")), "2027-01-15T08:10:00Z");
	d3 = json_array_get(json_object_get(doc, "domains"), 3);
	assert_string_equal(json_string_value(json_object_get(d3, "error")),
	    "registry: connection refused");
	assert_null(json_object_get(d3, "action"));
	json_decref(doc);
}

static void
test_plan_format_json_empty(void **state)
{
	struct fx *f = *state;
	json_error_t err;
	json_t *doc;

	nsf_plan_format_json(&f->out, NULL, 0, 0);
	doc = json_loads(f->out.data, 0, &err);
	if (doc == NULL) {
		fail_msg("not JSON: %s\n%s", err.text, f->out.data);
	}
	assert_int_equal(json_array_size(json_object_get(doc, "domains")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    doc, "summary"), "domains")), 0);
	json_decref(doc);
}

static void
test_plan_format_exit_code(void **state)
{
	struct fx *f = *state;

	assert_int_equal(nsf_plan_exit_code(&f->r[2], 1), 0);
	assert_int_equal(nsf_plan_exit_code(&f->r[1], 2), 0);
	assert_int_equal(nsf_plan_exit_code(f->r, 3), 2);
	assert_int_equal(nsf_plan_exit_code(f->r, 4), 1);
}

static void
test_plan_format_parse_names(void **state)
{
	enum nsf_plan_format fmt = NSF_FORMAT_TEXT;

	(void)state;
	assert_int_equal(nsf_plan_format_parse(&fmt, "md"), 0);
	assert_int_equal(fmt, NSF_FORMAT_MARKDOWN);
	assert_int_equal(nsf_plan_format_parse(&fmt, "json"), 0);
	assert_int_equal(fmt, NSF_FORMAT_JSON);
	assert_int_equal(nsf_plan_format_parse(&fmt, "yaml"), NSF_EINVAL);
	assert_int_equal(fmt, NSF_FORMAT_JSON);
	assert_non_null(strstr(nsf_error_last(), "'yaml'"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_plan_format_text_blocks),
		T(test_plan_format_text_status),
		T(test_plan_format_markdown_table),
		T(test_plan_format_markdown_nothing_to_do),
		T(test_plan_format_json_round_trip),
		T(test_plan_format_json_empty),
		T(test_plan_format_exit_code),
		T(test_plan_format_parse_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
