/* test_metrics.c - the metric registry's text: escaping, histograms,
 * aggregates kept right as per-domain series come and go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../reconciler/metrics.h"

static char *
render(void)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	nsf_metrics_render(&b);
	return nsf_buf_detach(&b);
}

static void
expect_line(const char *text, const char *line)
{
	char *want = nsf_xasprintf("\n%s\n", line);

	if (strstr(text, want) == NULL) {
		fail_msg("missing line: %s", line);
	}
	free(want);
}

static int
reset(void **state)
{
	nsf_metrics_reset();
	nsf_metrics_set_domain_series(NSF_SERIES_ALL);
	return 0;
}

static void
test_metrics_fixed_series_exist_from_the_start(void **state)
{
	char *t = render();

	expect_line(t, "nsfailover_build_info{version=\"" NSF_VERSION
	    "\"} 1");
	expect_line(t, "nsfailover_ready 0");
	expect_line(t, "nsfailover_frozen 0");
	expect_line(t, "# TYPE nsfailover_failovers_total counter");
	expect_line(t, "# TYPE nsfailover_probe_duration_seconds histogram");
	free(t);
}

static void
test_metrics_label_values_are_escaped(void **state)
{
	char *t;

	nsf_metrics_refused("a\"b\\c\nd");
	t = render();
	expect_line(t, "nsfailover_changes_refused_total{reason="
	    "\"a\\\"b\\\\c\\nd\"} 1");
	free(t);
}

static void
test_metrics_histogram_is_cumulative(void **state)
{
	char *t;

	nsf_metrics_probe("p", "127.0.0.1", "ok", 3000);
	nsf_metrics_probe("p", "127.0.0.1", "ok", 40000);
	t = render();
	expect_line(t, "nsfailover_probe_duration_seconds_bucket{provider="
	    "\"p\",result=\"ok\",le=\"0.0025\"} 0");
	expect_line(t, "nsfailover_probe_duration_seconds_bucket{provider="
	    "\"p\",result=\"ok\",le=\"0.005\"} 1");
	expect_line(t, "nsfailover_probe_duration_seconds_bucket{provider="
	    "\"p\",result=\"ok\",le=\"0.05\"} 2");
	expect_line(t, "nsfailover_probe_duration_seconds_bucket{provider="
	    "\"p\",result=\"ok\",le=\"+Inf\"} 2");
	expect_line(t, "nsfailover_probe_duration_seconds_sum{provider="
	    "\"p\",result=\"ok\"} 0.043");
	expect_line(t, "nsfailover_probes_total{provider=\"p\",address="
	    "\"127.0.0.1\",result=\"ok\"} 2");
	free(t);
}

static void
test_metrics_aggregates_follow_health_changes(void **state)
{
	char *t;

	nsf_metrics_domain_health("a.test", "p", NSF_HEALTH_UP);
	nsf_metrics_domain_health("b.test", "p", NSF_HEALTH_UNKNOWN);
	nsf_metrics_domain_health("b.test", "p", NSF_HEALTH_DOWN);
	t = render();
	expect_line(t, "nsfailover_provider_domains{provider=\"p\","
	    "health=\"up\"} 1");
	expect_line(t, "nsfailover_provider_domains{provider=\"p\","
	    "health=\"down\"} 1");
	expect_line(t, "nsfailover_provider_domains{provider=\"p\","
	    "health=\"unknown\"} 0");
	free(t);
}

static bool
keep_a(const char *domain, void *arg)
{
	return strcmp(domain, "a.test") == 0;
}

static void
test_metrics_retain_drops_domains_and_counts(void **state)
{
	char *t;

	nsf_metrics_domain_health("a.test", "p", NSF_HEALTH_UP);
	nsf_metrics_domain_health("b.test", "p", NSF_HEALTH_DOWN);
	nsf_metrics_domain_flag("b.test", NSF_FLAG_DRIFT, true);
	nsf_metrics_domains_retain(keep_a, NULL);
	t = render();
	assert_null(strstr(t, "b.test"));
	expect_line(t, "nsfailover_provider_domains{provider=\"p\","
	    "health=\"down\"} 0");
	expect_line(t, "nsfailover_domains_drifted 0");
	expect_line(t, "nsfailover_drift_detected_total 1");
	free(t);
}

static void
test_metrics_flags_count_transitions_once(void **state)
{
	char *t;

	nsf_metrics_domain_flag("a.test", NSF_FLAG_BLOCKED, true);
	nsf_metrics_domain_flag("a.test", NSF_FLAG_BLOCKED, true);
	nsf_metrics_domain_flag("b.test", NSF_FLAG_BLOCKED, true);
	nsf_metrics_domain_flag("b.test", NSF_FLAG_BLOCKED, false);
	nsf_metrics_frozen(true);
	nsf_metrics_frozen(true);
	t = render();
	expect_line(t, "nsfailover_domain_blocked{domain=\"a.test\"} 1");
	expect_line(t, "nsfailover_domains_blocked 1");
	expect_line(t, "nsfailover_blocked_detected_total 2");
	expect_line(t, "nsfailover_freezes_total 1");
	free(t);
}

static void
test_metrics_problems_mode_hides_healthy_pairs(void **state)
{
	char *t;

	nsf_metrics_set_domain_series(NSF_SERIES_PROBLEMS);
	nsf_metrics_domain_health("a.test", "p", NSF_HEALTH_UP);
	nsf_metrics_domain_health("b.test", "p", NSF_HEALTH_DOWN);
	t = render();
	assert_null(strstr(t, "domain=\"a.test\""));
	expect_line(t, "nsfailover_domain_provider_health{domain=\"b.test\","
	    "provider=\"p\"} 0");
	free(t);
}

static void
test_metrics_readiness_needs_policy_and_round(void **state)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	assert_int_equal(nsf_metrics_readyz(&b), 503);
	nsf_metrics_policy_loaded("abc", 5, 3);
	assert_int_equal(nsf_metrics_readyz(&b), 503);
	nsf_metrics_probe_round(10);
	assert_int_equal(nsf_metrics_readyz(&b), 200);
	nsf_metrics_policy_loaded("def", 5, 3);
	nsf_buf_deinit(&b);
	b.data = render();
	assert_null(strstr(b.data, "commit=\"abc\""));
	expect_line(b.data, "nsfailover_policy_info{commit=\"def\"} 1");
	free(b.data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
		    test_metrics_fixed_series_exist_from_the_start, reset),
		cmocka_unit_test_setup(test_metrics_label_values_are_escaped,
		    reset),
		cmocka_unit_test_setup(test_metrics_histogram_is_cumulative,
		    reset),
		cmocka_unit_test_setup(
		    test_metrics_aggregates_follow_health_changes, reset),
		cmocka_unit_test_setup(
		    test_metrics_retain_drops_domains_and_counts, reset),
		cmocka_unit_test_setup(
		    test_metrics_flags_count_transitions_once, reset),
		cmocka_unit_test_setup(
		    test_metrics_problems_mode_hides_healthy_pairs, reset),
		cmocka_unit_test_setup(
		    test_metrics_readiness_needs_policy_and_round, reset),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	nsf_metrics_reset();
	return rc;
}
