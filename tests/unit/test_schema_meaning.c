/* test_schema_meaning.c - policies that parse but mean something wrong. */
#include "schema_util.h"

static void
test_schema_meaning_unknown_references(void **state)
{
	(void)state;
	expect_error_at(BASE_POLICY "domains:\n  example.com:\n"
	    "    registry: mian\n    primary: provider-a\n", 14, 15,
	    "unknown registry 'mian' (did you mean 'main'?)");
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primary: provider-x\n",
	    15, 14, "unknown provider 'provider-x'");
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primary: provider-a\n"
	    "    backups: [ provider-b, [provider-c, provdier-a] ]\n", 16, 41,
	    "did you mean 'provider-a'?");
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primary: zzz\n", 15, 14,
	    "define it under providers");
}

static void
test_schema_meaning_primary_in_backups(void **state)
{
	(void)state;
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primary: provider-a\n"
	    "    backups: [provider-b, provider-a]\n", 16, 27,
	    "backup 'provider-a' is the primary group");
	/* the same group written in another order */
	expect_error_at(BASE_POLICY DOMAIN_HEAD
	    "    primary: [provider-a, provider-b]\n"
	    "    backups: [[provider-b, provider-a]]\n", 16, 15,
	    "backup 'provider-b+provider-a' is the primary group");
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primary: provider-a\n"
	    "    backups: [provider-b, provider-b]\n", 16, 27,
	    "backup 'provider-b' is listed twice");
	expect_error_at(BASE_POLICY DOMAIN_HEAD
	    "    primary: [provider-a, provider-a]\n", 15, 27,
	    "provider 'provider-a' is listed twice in one group");
}

static void
test_schema_meaning_same_nameservers(void **state)
{
	(void)state;
	/* provider-c is provider-a under another name */
	expect_error_at("version: 1\nproviders:\n"
	    "  provider-a: { nameservers: [ns1.a.example, ns2.a.example] }\n"
	    "  provider-c: { nameservers: [NS2.a.example., ns1.a.example] }\n"
	    "registries:\n  main: { type: epp, server: r.example, "
	    "credentials: c }\n"
	    "domains:\n  example.com:\n    registry: main\n"
	    "    primary: provider-a\n    backups: [provider-c]\n", 11, 15,
	    "backup 'provider-c' has exactly the primary's nameservers");
}

static void
test_schema_meaning_glue(void **state)
{
	static const char head[] = "version: 1\nproviders:\n"
	    "  own:\n    nameservers:\n"
	    "      - ns1.example.com\n"
	    "      - { name: ns2.example.com, addresses: [192.0.2.2] }\n"
	    "  provider-b: { nameservers: [ns1.b.example, ns2.b.example] }\n"
	    "registries:\n  main: { type: epp, server: r.example, "
	    "credentials: c }\n"
	    "domains:\n";
	char text[1024];

	(void)state;
	/* line 12: the domain's primary names 'own' */
	snprintf(text, sizeof(text), "%s  example.com:\n    registry: main\n"
	    "    primary: own\n    backups: [provider-b]\n", head);
	expect_error_at(text, 13, 14, "nameserver ns1.example.com (provider "
	    "'own', p.yaml:5:9) lies inside example.com and has no glue");
	expect_error_at(text, 13, 14, "addresses: [ ... ]");
	/* the same provider outside its bailiwick needs no glue */
	snprintf(text, sizeof(text), "%s  example.net:\n    registry: main\n"
	    "    primary: own\n    backups: [provider-b]\n", head);
	nsf_policy_free(expect_valid(text, NULL));
}

static void
test_schema_meaning_nameserver_count(void **state)
{
	(void)state;
	expect_error_at("version: 1\nproviders:\n"
	    "  provider-a: { nameservers: [ns1.a.example, ns2.a.example] }\n"
	    "  big: { nameservers: [a.x.example, b.x.example, c.x.example] }\n"
	    "registries:\n  main: { type: epp, server: r.example, "
	    "credentials: c, max_nameservers: 4 }\n"
	    "domains:\n  example.com:\n    registry: main\n"
	    "    primary: provider-a\n    backups: [[provider-a, big]]\n",
	    11, 15, "group 'provider-a+big' has 5 nameservers");
	expect_error_at("version: 1\nproviders:\n"
	    "  one: { nameservers: [ns1.a.example] }\n"
	    "  provider-b: { nameservers: [ns1.b.example, ns2.b.example] }\n"
	    "registries:\n  main: { type: epp, server: r.example, "
	    "credentials: c, min_nameservers: 2 }\n"
	    "domains:\n  example.com:\n    registry: main\n"
	    "    primary: one\n    backups: [provider-b]\n", 10, 14,
	    "group 'one' has only 1 nameserver (registry 'main' takes 2 to "
	    "13 nameservers)");
}

static void
test_schema_meaning_pin(void **state)
{
	struct nsf_policy *p;

	(void)state;
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primary: provider-a\n"
	    "    backups: [provider-b]\n    pin: provider-c\n", 17, 10,
	    "pin 'provider-c' names no group of domain example.com");
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primary: provider-a\n"
	    "    backups: [provider-b]\n    pin: provider-c\n", 17, 10,
	    "did you mean 'provider-a'?");
	p = expect_valid(BASE_POLICY DOMAIN_HEAD "    primary: provider-a\n"
	    "    backups: [[provider-a, provider-b], provider-b]\n"
	    "    pin: provider-b+provider-a\n", NULL);
	assert_ptr_equal(p->domains[0].pin, &p->domains[0].backups[0]);
	nsf_policy_free(p);
}

static void
test_schema_meaning_addresses(void **state)
{
	(void)state;
	expect_error_at("version: 1\nproviders:\n  a:\n    nameservers:\n"
	    "      - { name: ns1.a.example, addresses: [192.0.2.256] }\n"
	    "      - ns2.a.example\n", 5, 44,
	    "'192.0.2.256' is not an IP address");
	expect_error_at("version: 1\nproviders:\n  a:\n    nameservers:\n"
	    "      - { name: ns1.a.example, addresses: [\"2001:db8::g\"] }\n"
	    "      - ns2.a.example\n", 5, 44, "not an IP address");
	expect_error_at("version: 1\ncanaries:\n  targets:\n"
	    "    - { address: dns.example }\n", 4, 18,
	    "'dns.example' is not an IP address");
	expect_error_at("version: 1\nregistries:\n  r:\n    type: epp\n"
	    "    server: r.example:99999\n    credentials: c\n", 5, 13,
	    "'r.example:99999' is not a valid host[:port]");
	expect_error_at("version: 1\nregistries:\n  r:\n    type: epp\n"
	    "    server: r.example\n    credentials: c\n"
	    "    verify: [ 192.0.2.1, ns.example ]\n", 7, 26,
	    "'ns.example' is not a valid address[:port]");
	expect_error_at("version: 1\nproviders:\n  a:\n    nameservers:\n"
	    "      - { name: ns1.a.example, addresses: [127.0.0.9] }\n"
	    "      - ns2.a.example\ncanaries:\n"
	    "  targets: [ { address: 127.0.0.9 } ]\n", 8, 14,
	    "canary 127.0.0.9 is an address of nameserver ns1.a.example");
}

static void
test_schema_meaning_ds(void **state)
{
	(void)state;
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primary: provider-a\n"
	    "    backups: [provider-b]\n"
	    "    dnssec:\n      ds:\n        provider-b: [ \"1 13 2 XYZ\" ]\n",
	    19, 23, "DS digest 'XYZ' must be an even number of hex digits");
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primary: provider-a\n"
	    "    backups: [provider-b]\n"
	    "    dnssec:\n      ds:\n        provider-b: [ \"abc 13 2 AB\" ]\n",
	    19, 23, "is not a DS record");
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primary: provider-a\n"
	    "    backups: [provider-b]\n"
	    "    dnssec:\n      ds:\n        provider-c: [ \"1 13 2 AB\" ]\n",
	    19, 9, "DS group 'provider-c' names no group of domain");
}

static void
test_schema_meaning_warnings(void **state)
{
	size_t nwarn;
	struct nsf_policy *p;

	(void)state;
	expect_warning_at("version: 1\nproviders:\n"
	    "  a: { nameservers: [ns1.a.example] }\n", 3, 3,
	    "provider 'a' has only one nameserver");
	expect_warning_at("version: 1\ndefaults:\n"
	    "  health: { interval: 2m, fail_after: 3 }\n", 3, 39,
	    "failover takes up to 6m4s after a provider fails");
	expect_warning_at("version: 1\ndefaults:\n"
	    "  failback: { hold_down: 10s }\n", 3, 26,
	    "hold_down is shorter than recover_after x interval (50s)");
	expect_warning_at(BASE_POLICY DOMAIN_HEAD "    primary: provider-a\n",
	    13, 3, "domain example.com has no backups");
	/* prune over two providers needs no backups */
	p = expect_valid(BASE_POLICY DOMAIN_HEAD
	    "    primary: [provider-a, provider-b]\n    mode: prune\n",
	    &nwarn);
	assert_int_equal(nwarn, 0);
	nsf_policy_free(p);
	/* a manual failback has no hold-down to compare */
	p = expect_valid("version: 1\ndefaults:\n"
	    "  failback: { mode: manual, hold_down: 0s }\n", &nwarn);
	assert_int_equal(nwarn, 0);
	nsf_policy_free(p);
}

static void
test_schema_meaning_everything_in_one_run(void **state)
{
	struct nsf_policy *p;
	struct nsf_diags d;

	(void)state;
	/* three unrelated mistakes: all three are reported, in order */
	assert_int_equal(load_text(&p, &d, BASE_POLICY DOMAIN_HEAD
	    "    primary: provider-x\n    suspend: yes\n    primay: a\n"),
	    NSF_EINVAL);
	assert_int_equal(d.nerrors, 3);
	assert_int_equal(d.v[0].line, 15);
	assert_string_equal(d.v[0].code, "unknown-provider");
	assert_int_equal(d.v[1].line, 16);
	assert_int_equal(d.v[2].line, 17);
	assert_string_equal(d.v[2].code, "unknown-key");
	nsf_diags_deinit(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_meaning_unknown_references),
		cmocka_unit_test(test_schema_meaning_primary_in_backups),
		cmocka_unit_test(test_schema_meaning_same_nameservers),
		cmocka_unit_test(test_schema_meaning_glue),
		cmocka_unit_test(test_schema_meaning_nameserver_count),
		cmocka_unit_test(test_schema_meaning_pin),
		cmocka_unit_test(test_schema_meaning_addresses),
		cmocka_unit_test(test_schema_meaning_ds),
		cmocka_unit_test(test_schema_meaning_warnings),
		cmocka_unit_test(test_schema_meaning_everything_in_one_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
