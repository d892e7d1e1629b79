/* test_dnsupdate.c - unit tests for the RFC 2136 driver's pure parts: the
 * UPDATE message one change becomes, and how answers map onto outcomes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../providers/dnsupdate.h"
#include "../../providers/tsig.h"

/* One record of a section as text: "owner class type rdata". */
static char *
rr_text(const ldns_rr *rr)
{
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	char *cls = ldns_rr_class2str(ldns_rr_get_class(rr));
	char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
	char *data = ldns_rr_rd_count(rr) ? ldns_rdf2str(ldns_rr_rdf(rr, 0)) :
	    NULL;
	char *s = nsf_xasprintf("%s %s %s%s%s", owner, cls, type,
	    data ? " " : "", data ? data : "");

	free(owner);
	free(cls);
	free(type);
	free(data);
	return s;
}

/* The section's records as text, one per line. */
static char *
section_text(const ldns_rr_list *list)
{
	struct nsf_buf b;
	size_t i;

	nsf_buf_init(&b);
	for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
		char *t = rr_text(ldns_rr_list_rr(list, i));

		nsf_buf_printf(&b, "%s\n", t);
		free(t);
	}
	return nsf_buf_detach(&b);
}

static void
assert_section(const ldns_rr_list *list, const char *want)
{
	char *got = section_text(list);

	if (strcmp(got, want) != 0) {
		fail_msg("section:\n%s\nwanted:\n%s", got, want);
	}
	free(got);
}

static char addr31[] = "127.0.30.31", addr6[] = "fd00::31";
static char *addrs[] = { addr31, addr6 };
static char name_in[] = "ns1.child.lab.test";
static char name_out[] = "ns2.provider-b.test";
static char name_parent[] = "ns-new.lab.test";
static char addr60[] = "127.0.30.60";
static char *addrs60[] = { addr60 };

static const struct nsf_nameserver ns_in = {
	.name = name_in, .addrs = addrs, .naddrs = 2,
};
static const struct nsf_nameserver ns_out = { .name = name_out };
static const struct nsf_nameserver ns_parent = {
	.name = name_parent, .addrs = addrs60, .naddrs = 1,
};

static void
observed_a(struct nsf_strv *v)
{
	nsf_strv_init(v);
	nsf_strv_push(v, "ns1.provider-a.test");
	nsf_strv_push(v, "ns2.provider-a.test");
}

static void
test_dnsupdate_build_prerequisite_is_the_observed_set(void **state)
{
	const struct nsf_nameserver *adds[] = { &ns_in, &ns_out };
	const char *rems[] = { "ns1.provider-a.test", "ns2.provider-a.test" };
	struct nsf_strv observed, none;
	struct nsf_change chg = {
		.domain = "child.lab.test", .add = adds, .nadd = 2,
		.rem = rems, .nrem = 2, .observed = &observed,
	};
	ldns_pkt *p;

	(void)state;
	observed_a(&observed);
	nsf_strv_init(&none);
	p = dnsupdate_build("lab.test", &chg, 300, &none);
	assert_non_null(p);
	assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
	assert_section(ldns_pkt_question(p), "lab.test. IN SOA\n");
	/* Value-dependent "RRset exists": class IN, TTL 0, every record. */
	assert_section(ldns_pkt_answer(p),
	    "child.lab.test. IN NS ns1.provider-a.test.\n"
	    "child.lab.test. IN NS ns2.provider-a.test.\n");
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(p), 0)),
	    0);
	/* Removals (class NONE), then additions; the in-domain name's glue
	 * is replaced (delete A and AAAA, add the policy's). */
	assert_section(ldns_pkt_authority(p),
	    "child.lab.test. NONE NS ns1.provider-a.test.\n"
	    "child.lab.test. NONE NS ns2.provider-a.test.\n"
	    "child.lab.test. IN NS ns1.child.lab.test.\n"
	    "ns1.child.lab.test. ANY A\n"
	    "ns1.child.lab.test. ANY AAAA\n"
	    "ns1.child.lab.test. IN A 127.0.30.31\n"
	    "ns1.child.lab.test. IN AAAA fd00::31\n"
	    "child.lab.test. IN NS ns2.provider-b.test.\n");
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(p),
	    2)), 300);
	ldns_pkt_free(p);
	nsf_strv_deinit(&observed);
}

static void
test_dnsupdate_build_new_delegation_requires_none(void **state)
{
	const struct nsf_nameserver *adds[] = { &ns_out };
	struct nsf_strv observed, none;
	struct nsf_change chg = {
		.domain = "fresh.lab.test", .add = adds, .nadd = 1,
		.observed = &observed,
	};
	ldns_pkt *p;

	(void)state;
	nsf_strv_init(&observed);
	nsf_strv_init(&none);
	p = dnsupdate_build("lab.test", &chg, 3600, &none);
	assert_non_null(p);
	assert_section(ldns_pkt_answer(p), "fresh.lab.test. NONE NS\n");
	ldns_pkt_free(p);
}

static void
test_dnsupdate_build_parent_glue_never_overwrites(void **state)
{
	const struct nsf_nameserver *adds[] = { &ns_parent };
	const char *rems[] = { "ns1.child.lab.test" };
	struct nsf_strv observed, parent_glue;
	struct nsf_change chg = {
		.domain = "child.lab.test", .add = adds, .nadd = 1,
		.rem = rems, .nrem = 1, .observed = &observed,
	};
	ldns_pkt *p;

	(void)state;
	observed_a(&observed);
	nsf_strv_push(&observed, "ns1.child.lab.test");
	nsf_strv_init(&parent_glue);
	nsf_strv_push(&parent_glue, "ns-new.lab.test");
	p = dnsupdate_build("lab.test", &chg, 300, &parent_glue);
	assert_non_null(p);
	/* "No A RRset yet" guards the parent-zone address we add. */
	assert_section(ldns_pkt_answer(p),
	    "child.lab.test. IN NS ns1.provider-a.test.\n"
	    "child.lab.test. IN NS ns2.provider-a.test.\n"
	    "child.lab.test. IN NS ns1.child.lab.test.\n"
	    "ns-new.lab.test. NONE A\n");
	/* A removed in-domain name takes its glue with it. */
	assert_section(ldns_pkt_authority(p),
	    "child.lab.test. NONE NS ns1.child.lab.test.\n"
	    "ns1.child.lab.test. ANY A\n"
	    "ns1.child.lab.test. ANY AAAA\n"
	    "child.lab.test. IN NS ns-new.lab.test.\n"
	    "ns-new.lab.test. IN A 127.0.30.60\n");
	ldns_pkt_free(p);
	nsf_strv_deinit(&observed);
	nsf_strv_deinit(&parent_glue);
}

static void
test_dnsupdate_build_ds_change(void **state)
{
	struct nsf_ds add, rem;
	struct nsf_strv observed, none;
	struct nsf_change chg = {
		.domain = "child.lab.test", .observed = &observed,
		.ds_change = true, .ds_add = &add, .nds_add = 1,
		.ds_rem = &rem, .nds_rem = 1,
	};
	ldns_pkt *p;
	char *text;

	(void)state;
	assert_int_equal(nsf_ds_parse(&add, "54321 13 2 00112233"), 0);
	assert_int_equal(nsf_ds_parse(&rem, "12345 13 2 AABBCCDD"), 0);
	observed_a(&observed);
	nsf_strv_init(&none);
	p = dnsupdate_build("lab.test", &chg, 300, &none);
	assert_non_null(p);
	text = section_text(ldns_pkt_authority(p));
	assert_non_null(strstr(text, "child.lab.test. NONE DS 12345\n"));
	assert_non_null(strstr(text, "child.lab.test. IN DS 54321\n"));
	assert_true(strstr(text, "NONE DS") < strstr(text, "IN DS"));
	free(text);
	ldns_pkt_free(p);
	nsf_ds_deinit(&add);
	nsf_ds_deinit(&rem);
	nsf_strv_deinit(&observed);
}

static void
test_dnsupdate_build_refuses_bad_values(void **state)
{
	static char bad[] = "300.1.2.3";
	static char *bads[] = { bad };
	static const struct nsf_nameserver ns_bad = {
		.name = name_in, .addrs = bads, .naddrs = 1,
	};
	const struct nsf_nameserver *adds[] = { &ns_bad };
	struct nsf_strv observed, none;
	struct nsf_change chg = {
		.domain = "child.lab.test", .add = adds, .nadd = 1,
		.observed = &observed,
	};

	(void)state;
	observed_a(&observed);
	nsf_strv_init(&none);
	assert_null(dnsupdate_build("lab.test", &chg, 300, &none));
	assert_non_null(strstr(nsf_error_last(), "'300.1.2.3' of "
	    "ns1.child.lab.test is not an IP address"));
	nsf_strv_deinit(&observed);
}

static void
test_dnsupdate_map_rcode_outcomes(void **state)
{
	static const struct {
		int rcode;
		uint16_t tsig;
		enum nsf_apply_result result;
		bool config;
	} cases[] = {
		{ LDNS_RCODE_NOERROR, 0, NSF_APPLY_DONE, false },
		{ LDNS_RCODE_NXRRSET, 0, NSF_APPLY_CONFLICT, false },
		{ LDNS_RCODE_YXRRSET, 0, NSF_APPLY_CONFLICT, false },
		{ LDNS_RCODE_NXDOMAIN, 0, NSF_APPLY_CONFLICT, false },
		{ LDNS_RCODE_YXDOMAIN, 0, NSF_APPLY_CONFLICT, false },
		{ LDNS_RCODE_NOTAUTH, 0, NSF_APPLY_FAILED, true },
		{ LDNS_RCODE_REFUSED, 0, NSF_APPLY_FAILED, true },
		{ LDNS_RCODE_NOTZONE, 0, NSF_APPLY_FAILED, true },
		{ LDNS_RCODE_NOTAUTH, NSF_TSIG_BADKEY, NSF_APPLY_FAILED, true },
		{ LDNS_RCODE_NOTAUTH, NSF_TSIG_BADSIG, NSF_APPLY_FAILED, true },
		{ LDNS_RCODE_NOTAUTH, NSF_TSIG_BADTIME, NSF_APPLY_FAILED,
		    true },
		{ LDNS_RCODE_FORMERR, 0, NSF_APPLY_REFUSED, false },
		{ LDNS_RCODE_NOTIMPL, 0, NSF_APPLY_REFUSED, false },
		{ LDNS_RCODE_SERVFAIL, 0, NSF_APPLY_UNKNOWN, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NSF_ARRAY_SIZE(cases); i++) {
		struct nsf_outcome o;

		nsf_outcome_init(&o);
		dnsupdate_map_rcode(&o, cases[i].rcode, cases[i].tsig,
		    "nsf-key", "127.0.30.1:53");
		assert_int_equal(o.result, cases[i].result);
		assert_int_equal(o.config_problem, cases[i].config);
		assert_int_equal(o.code, cases[i].rcode);
		assert_non_null(strstr(o.message, "127.0.30.1:53"));
		if (cases[i].config) {
			assert_non_null(strstr(o.message, "'nsf-key'"));
		}
		if (cases[i].result == NSF_APPLY_CONFLICT) {
			assert_non_null(strstr(o.message, "observe again"));
		}
		nsf_outcome_deinit(&o);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_dnsupdate_build_prerequisite_is_the_observed_set),
		cmocka_unit_test(
		    test_dnsupdate_build_new_delegation_requires_none),
		cmocka_unit_test(
		    test_dnsupdate_build_parent_glue_never_overwrites),
		cmocka_unit_test(test_dnsupdate_build_ds_change),
		cmocka_unit_test(test_dnsupdate_build_refuses_bad_values),
		cmocka_unit_test(test_dnsupdate_map_rcode_outcomes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
