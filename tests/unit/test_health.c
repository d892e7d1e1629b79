/* test_health.c - unit tests for health verdicts: the state machine, RFC
 * 1982 serial arithmetic, address judgement and DNSKEY against DS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../reconciler/health.h"

char *health_rrset_text(const ldns_rr_list *rrset);

static int64_t clock_ms;        /* one round a second */

/* Feeds a string of rounds ("ggbbb...") and returns the final state. */
static enum nsf_pstate
feed(struct nsf_hsm *m, const char *rounds, unsigned f, unsigned r)
{
	for (; *rounds; rounds++) {
		clock_ms += 1000;
		nsf_hsm_step(m, *rounds == 'g', f, r, clock_ms);
	}
	return m->state;
}

static void
test_health_hsm_unknown_until_enough_rounds(void **state)
{
	struct nsf_hsm m;

	(void)state;
	nsf_hsm_init(&m);
	assert_int_equal(feed(&m, "gg", 3, 5), NSF_PSTATE_UNKNOWN);
	assert_int_equal(feed(&m, "b", 3, 5), NSF_PSTATE_UNKNOWN);
	assert_int_equal(feed(&m, "b", 3, 5), NSF_PSTATE_UNKNOWN);
	assert_int_equal(feed(&m, "b", 3, 5), NSF_PSTATE_DOWN);
	nsf_hsm_init(&m);
	clock_ms = 0;
	assert_int_equal(feed(&m, "ggg", 3, 5), NSF_PSTATE_UP);
	assert_int_equal(m.up_since_ms, 3000);
}

static void
test_health_hsm_asymmetric_thresholds(void **state)
{
	struct nsf_hsm m;

	(void)state;
	nsf_hsm_init(&m);
	clock_ms = 0;
	assert_int_equal(feed(&m, "ggg", 3, 5), NSF_PSTATE_UP);
	/* two bad rounds and a good one: the bad run starts over */
	assert_int_equal(feed(&m, "bbgbb", 3, 5), NSF_PSTATE_UP);
	assert_int_equal(feed(&m, "b", 3, 5), NSF_PSTATE_DOWN);
	assert_int_equal(m.up_since_ms, 0);
	/* four good rounds are not enough to come back; a bad one resets */
	assert_int_equal(feed(&m, "ggggb", 3, 5), NSF_PSTATE_DOWN);
	assert_int_equal(feed(&m, "gggg", 3, 5), NSF_PSTATE_DOWN);
	assert_int_equal(feed(&m, "g", 3, 5), NSF_PSTATE_UP);
	assert_int_equal(m.up_since_ms, 19000);
	assert_int_equal(m.changed_ms, 19000);
}

static void
test_health_hsm_step_reports_changes(void **state)
{
	struct nsf_hsm m;

	(void)state;
	nsf_hsm_init(&m);
	assert_false(nsf_hsm_step(&m, true, 2, 2, 10));
	assert_true(nsf_hsm_step(&m, true, 2, 2, 20));
	nsf_hsm_init(&m);
	/* thresholds of 0 mean 1 */
	assert_true(nsf_hsm_step(&m, true, 0, 0, 10));
	assert_int_equal(m.state, NSF_PSTATE_UP);
	assert_false(nsf_hsm_step(&m, true, 0, 0, 20));
	assert_true(nsf_hsm_step(&m, false, 0, 0, 30));
	assert_int_equal(m.state, NSF_PSTATE_DOWN);
	assert_string_equal(nsf_pstate_name(m.state), "down");
}

static void
test_health_serial_arithmetic(void **state)
{
	(void)state;
	assert_int_equal(nsf_serial_cmp(1, 1), 0);
	assert_int_equal(nsf_serial_cmp(1, 2), -1);
	assert_int_equal(nsf_serial_cmp(2, 1), 1);
	assert_int_equal(nsf_serial_cmp(2026120401u, 2026120402u), -1);
	/* the largest step forward RFC 1982 allows is 2^31 - 1 */
	assert_int_equal(nsf_serial_cmp(0, 0x7fffffffu), -1);
	assert_int_equal(nsf_serial_cmp(0, 0x80000000u), 2);
	assert_int_equal(nsf_serial_cmp(0x80000000u, 0), 2);
	assert_int_equal(nsf_serial_cmp(0, 0x80000001u), 1);
	assert_true(nsf_serial_not_behind(5, 5));
	assert_true(nsf_serial_not_behind(6, 5));
	assert_false(nsf_serial_not_behind(4, 5));
	assert_false(nsf_serial_not_behind(0x80000000u, 0));
}

static void
test_health_serial_wraparound(void **state)
{
	(void)state;
	/* 4294967295 + 1 wraps to 0: 0 is after the largest serial */
	assert_int_equal(nsf_serial_cmp(0xffffffffu, 0), -1);
	assert_int_equal(nsf_serial_cmp(0, 0xffffffffu), 1);
	assert_true(nsf_serial_not_behind(3, 0xfffffff0u));
	assert_false(nsf_serial_not_behind(0xfffffff0u, 3));
	assert_true(nsf_serial_not_behind(0x7ffffffeu, 0xffffffffu));
	/* exactly half the space apart: undefined, so not "not behind" */
	assert_false(nsf_serial_not_behind(0x7fffffffu, 0xffffffffu));
}

static ldns_rr_list *
rrs(const char *const *texts)
{
	ldns_rr_list *l = ldns_rr_list_new();

	for (; *texts; texts++) {
		ldns_rr *rr = NULL;

		assert_int_equal(ldns_rr_new_frm_str(&rr, *texts, 0, NULL,
		    NULL), LDNS_STATUS_OK);
		ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

/* A domain with provider a (ns1.a, ns2.a) and backup b (ns1.b). */
struct fixture {
	struct nsf_nameserver ans[2], bns[1];
	struct nsf_provider a, b;
	struct nsf_provider *pa, *pb;
	struct nsf_group backup;
	struct nsf_domain d;
};

static void
fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->ans[0].name = "ns1.a.test";
	f->ans[1].name = "ns2.a.test";
	f->bns[0].name = "ns1.b.test";
	f->a = (struct nsf_provider){ .name = "a", .ns = f->ans, .nns = 2 };
	f->b = (struct nsf_provider){ .name = "b", .ns = f->bns, .nns = 1 };
	f->pa = &f->a;
	f->pb = &f->b;
	f->d.name = "example.test";
	f->d.primary = (struct nsf_group){ .label = "a",
	    .providers = &f->pa, .nproviders = 1 };
	f->backup = (struct nsf_group){ .label = "b", .providers = &f->pb,
	    .nproviders = 1 };
	f->d.backups = &f->backup;
	f->d.nbackups = 1;
}

static void
test_health_addr_ok_needs_soa_and_ns_set(void **state)
{
	static const char *const good[] = {
		"example.test. 300 IN NS ns1.a.test.",
		"example.test. 300 IN NS NS2.A.TEST.",
		"example.test. 300 IN NS ns1.b.test.", NULL,
	};
	static const char *const missing[] = {
		"example.test. 300 IN NS ns1.a.test.", NULL,
	};
	static const char *const stranger[] = {
		"example.test. 300 IN NS ns1.a.test.",
		"example.test. 300 IN NS ns2.a.test.",
		"example.test. 300 IN NS ns9.old.test.", NULL,
	};
	struct fixture f;
	struct nsf_probe_obs o;
	char why[160];

	(void)state;
	fixture_init(&f);
	memset(&o, 0, sizeof(o));
	o.soa.result = NSF_PROBE_TIMEOUT;
	o.soa.tries = 2;
	assert_false(nsf_health_addr_ok(&o, &f.d, &f.a, why, sizeof(why)));
	assert_string_equal(why, "timeout x2");
	o.soa.result = NSF_PROBE_OK;
	o.soa.tries = 1;
	assert_true(nsf_health_addr_ok(&o, &f.d, &f.a, why, sizeof(why)));
	o.nsq.result = NSF_PROBE_OK;
	o.nsq.rrset = rrs(good);
	assert_true(nsf_health_addr_ok(&o, &f.d, &f.a, why, sizeof(why)));
	ldns_rr_list_deep_free(o.nsq.rrset);
	o.nsq.rrset = rrs(missing);
	assert_false(nsf_health_addr_ok(&o, &f.d, &f.a, why, sizeof(why)));
	assert_string_equal(why, "wrong NS set: ns2.a.test missing");
	ldns_rr_list_deep_free(o.nsq.rrset);
	o.nsq.rrset = rrs(stranger);
	assert_false(nsf_health_addr_ok(&o, &f.d, &f.a, why, sizeof(why)));
	assert_string_equal(why, "wrong NS set: ns9.old.test is no "
	    "provider's");
	ldns_rr_list_deep_free(o.nsq.rrset);
	o.nsq.rrset = NULL;
	o.nsq.result = NSF_PROBE_LAME;
	assert_false(nsf_health_addr_ok(&o, &f.d, &f.a, why, sizeof(why)));
	assert_string_equal(why, "NS query lame");
}

/* The example of RFC 6605 section 6.1: a P-256 KSK and its SHA-256 DS. */
static void
test_health_dnskey_against_ds(void **state)
{
	static const char *const keys[] = {
		"example.net. 3600 IN DNSKEY 257 3 13 "
		"GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb"
		"krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
		"example.net. 3600 IN DNSKEY 256 3 13 "
		"aRS/DcPWGQj2wVJydT8EcAVoC0kXn5pDVm2IZ/5x0yIZ"
		"Sx2anMgPtRHkg0LY9b/o7Zw4uPAaPK6C45w6FpVvzw==",
		NULL,
	};
	ldns_rr_list *l = rrs(keys);
	struct nsf_ds want = {
		.keytag = 55648, .alg = 13, .digest_type = 2,
		.digest = "B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6"
		    "D6E37DF61D17",
	};
	struct nsf_ds other = want;

	(void)state;
	assert_int_equal(nsf_health_dnskey_matches_ds(l, &want, 1),
	    NSF_TRI_YES);
	other.digest = "00";
	assert_int_equal(nsf_health_dnskey_matches_ds(l, &other, 1),
	    NSF_TRI_NO);
	other = want;
	other.keytag++;
	assert_int_equal(nsf_health_dnskey_matches_ds(l, &other, 1),
	    NSF_TRI_NO);
	other = want;
	other.digest_type = 1;  /* a SHA-1 DS with a SHA-256 digest */
	assert_int_equal(nsf_health_dnskey_matches_ds(l, &other, 1),
	    NSF_TRI_NO);
	assert_int_equal(nsf_health_dnskey_matches_ds(l, NULL, 0),
	    NSF_TRI_UNKNOWN);
	assert_int_equal(nsf_health_dnskey_matches_ds(NULL, &want, 1),
	    NSF_TRI_UNKNOWN);
	ldns_rr_list_deep_free(l);
}

static void
test_health_rrset_text_ignores_order_and_ttl(void **state)
{
	static const char *const x[] = {
		"v.example.test. 300 IN TXT \"b\"",
		"v.example.test. 300 IN TXT \"a\"", NULL,
	};
	static const char *const y[] = {
		"V.example.test. 60 IN TXT \"a\"",
		"v.example.test. 60 IN TXT \"b\"", NULL,
	};
	ldns_rr_list *lx = rrs(x), *ly = rrs(y);
	char *tx = health_rrset_text(lx), *ty = health_rrset_text(ly);
	char *empty = health_rrset_text(NULL);

	(void)state;
	assert_string_equal(tx, ty);
	assert_string_equal(tx, "\"a\"\n\"b\"");
	assert_string_equal(empty, "");
	free(tx);
	free(ty);
	free(empty);
	ldns_rr_list_deep_free(lx);
	ldns_rr_list_deep_free(ly);
}

/* A remembered serial counts until a newer one is seen, never older,
 * and does not make a domain count as probed. */
static void
test_health_seeded_serial(void **state)
{
	struct nsf_health *h = NULL;
	uint32_t serial = 0;

	(void)state;
	assert_int_equal(nsf_health_new(&h), 0);
	assert_false(nsf_health_good_serial(h, "x.test", "a", &serial));
	nsf_health_seed_serial(h, "x.test", "a", 2026120401u);
	assert_true(nsf_health_good_serial(h, "x.test", "a", &serial));
	assert_int_equal(serial, 2026120401u);
	nsf_health_seed_serial(h, "x.test", "a", 2026120400u);
	assert_true(nsf_health_good_serial(h, "x.test", "a", &serial));
	assert_int_equal(serial, 2026120401u);
	/* Across the wrap: 1 comes after 4294967295. */
	nsf_health_seed_serial(h, "y.test", "a", 4294967295u);
	nsf_health_seed_serial(h, "y.test", "a", 1u);
	assert_true(nsf_health_good_serial(h, "y.test", "a", &serial));
	assert_int_equal(serial, 1u);
	assert_false(nsf_health_good_serial(h, "x.test", "b", &serial));
	nsf_health_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_hsm_unknown_until_enough_rounds),
		cmocka_unit_test(test_health_hsm_asymmetric_thresholds),
		cmocka_unit_test(test_health_hsm_step_reports_changes),
		cmocka_unit_test(test_health_serial_arithmetic),
		cmocka_unit_test(test_health_serial_wraparound),
		cmocka_unit_test(test_health_seeded_serial),
		cmocka_unit_test(test_health_addr_ok_needs_soa_and_ns_set),
		cmocka_unit_test(test_health_dnskey_against_ds),
		cmocka_unit_test(test_health_rrset_text_ignores_order_and_ttl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
