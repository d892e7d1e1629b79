/* test_schema_types.c - keys and values: unknown, missing, wrong, range. */
#include "schema_util.h"

static void
test_schema_types_unknown_key_hint(void **state)
{
	(void)state;
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primay: provider-a\n",
	    15, 5, "unknown key 'primay' in domain");
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    primay: provider-a\n",
	    15, 5, "did you mean 'primary'?");
	/* at every level: top, defaults, health, registry, nameserver */
	expect_error_at("verison: 1\n", 1, 1, "did you mean 'version'?");
	expect_error_at("version: 1\ndefaults:\n  helth: {}\n", 3, 3,
	    "did you mean 'health'?");
	expect_error_at("version: 1\ndefaults:\n  health: { intervall: 5s }\n",
	    3, 13, "did you mean 'interval'?");
	expect_error_at("version: 1\nregistries:\n  r:\n    type: epp\n"
	    "    server: x.example\n    credentails: r\n", 6, 5,
	    "did you mean 'credentials'?");
	expect_error_at("version: 1\nproviders:\n  a:\n    nameservers:\n"
	    "      - { name: ns1.a.example, adresses: [192.0.2.1] }\n", 5, 32,
	    "did you mean 'addresses'?");
	/* far from every key: no guess, a pointer to the reference */
	expect_error_at("version: 1\nzzzzzz: 1\n", 2, 1,
	    "see man 5 nsfailover-policy for the keys of policy");
}

static void
test_schema_types_missing_keys(void **state)
{
	(void)state;
	expect_error_at(BASE_POLICY "domains:\n  example.com:\n"
	    "    primary: provider-a\n", 13, 3,
	    "domain 'example.com' has no 'registry'");
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    backups: [provider-b]\n",
	    13, 3, "domain 'example.com' has no 'primary'");
	expect_error_at("version: 1\nregistries:\n  r:\n"
	    "    server: x.example\n", 3, 3, "registry 'r' has no 'type'");
	expect_error_at("version: 1\nregistries:\n  r:\n    type: epp\n"
	    "    credentials: r\n", 3, 3,
	    "registry 'r' of type epp has no 'server'");
	expect_error_at("version: 1\nregistries:\n  r:\n    type: dns-update\n"
	    "    server: 127.0.0.1\n    credentials: k\n", 3, 3,
	    "has no 'zone'");
	expect_error_at("version: 1\nregistries:\n  r: { type: exec }\n", 3, 3,
	    "registry 'r' of type exec has no 'command'");
	expect_error_at("version: 1\nproviders:\n  a: { port: 53 }\n", 3, 3,
	    "provider 'a' has no 'nameservers'");
	expect_error_at("version: 1\ncanaries: { targets: [ { port: 53 } ] }\n",
	    2, 24, "canary target has no 'address'");
	expect_error_at("providers: {}\n", 1, 1, "the policy has no 'version'");
	/* each says what to add */
	expect_error_at(BASE_POLICY DOMAIN_HEAD "    backups: [provider-b]\n",
	    13, 3, "(add a 'primary:' key; see man 5 nsfailover-policy)");
	expect_error_at("version: 1\nregistries:\n  r: { type: exec }\n", 3, 3,
	    "(add a 'command:' key");
}

static void
test_schema_types_wrong_types(void **state)
{
	(void)state;
	expect_error_at("version: 1\ndefaults: [1]\n", 2, 11,
	    "defaults must be a map, not a list");
	expect_error_at("version: 1\nproviders:\n  a:\n    nameservers: "
	    "ns1.a.example\n", 4, 18, "nameservers must be a list, not a "
	    "string");
	expect_error_at("version: 1\ndefaults:\n  health: { retries: [1] }\n",
	    3, 22, "expected a number, got a list");
	expect_error_at("version: 1\ndefaults:\n  health: { retries: \"1\" }\n",
	    3, 22, "is not a number (it is quoted)");
	expect_error_at("version: 1\ndefaults:\n  health: { retries: }\n",
	    3, 22, "no value is given");
	expect_error_at("version: \"1\"\n", 1, 10, "it is quoted");
	expect_error_at("version: 2\n", 1, 10,
	    "policy version 2 is not supported");
	expect_error_at("version: 1\ndefaults: { mode: failvoer }\n", 2, 19,
	    "did you mean 'failover'?");
	expect_error_at("version: 1\nregistries:\n  r: { type: ftp }\n", 3, 14,
	    "one of: epp, dns-update, exec");
	expect_error_at("version: 1\nregistries:\n  r:\n    type: exec\n"
	    "    command: /bin/hook\n", 5, 14, "command must be a list");
}

static void
test_schema_types_booleans(void **state)
{
	static const char *const not_bools[] = {
		"yes", "no", "on", "off", "True", "FALSE", "y", "1", "\"true\"",
	};
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < NSF_ARRAY_SIZE(not_bools); i++) {
		snprintf(text, sizeof(text), "version: 1\ndefaults:\n"
		    "  suspend: %s\n", not_bools[i]);
		expect_error_at(text, 3, 12, "is not a boolean");
		expect_error_at(text, 3, 12, "write true or false");
	}
	snprintf(text, sizeof(text), "version: 1\ndefaults:\n"
	    "  suspend: true\n");
	nsf_policy_free(expect_valid(text, NULL));
}

static void
test_schema_types_no_implicit_typing(void **state)
{
	struct nsf_policy *p;
	const struct nsf_domain *d;

	(void)state;
	/* providers named like YAML 1.1 booleans and null stay strings */
	p = expect_valid("version: 1\nproviders:\n"
	    "  no: { nameservers: [ns1.no.example, ns2.no.example] }\n"
	    "  off: { nameservers: [ns1.off.example, ns2.off.example] }\n"
	    "  yes: { nameservers: [ns1.yes.example, ns2.yes.example] }\n"
	    "  1.0: { nameservers: [ns1.one.example, ns2.one.example] }\n"
	    "registries:\n  main: { type: epp, server: r.example, "
	    "credentials: c }\n"
	    "domains:\n  example.com:\n    registry: main\n"
	    "    primary: no\n    backups: [off, [yes, 1.0]]\n", NULL);
	assert_non_null(nsf_policy_provider(p, "no"));
	assert_non_null(nsf_policy_provider(p, "off"));
	assert_non_null(nsf_policy_provider(p, "1.0"));
	d = nsf_policy_domain(p, "example.com");
	assert_string_equal(d->primary.label, "no");
	assert_string_equal(d->backups[0].label, "off");
	assert_string_equal(d->backups[1].label, "yes+1.0");
	nsf_policy_free(p);
}

static void
test_schema_types_durations(void **state)
{
	struct nsf_policy *p;

	(void)state;
	expect_error_at("version: 1\ndefaults: { health: { interval: 90 } }\n",
	    2, 33, "duration '90' has no unit");
	expect_error_at("version: 1\ndefaults: { health: { interval: 90 } }\n",
	    2, 33, "add a unit: 90s");
	expect_error_at("version: 1\ndefaults: { health: { interval: 1.5m } }"
	    "\n", 2, 33, "'1.5m' is not a duration");
	expect_error_at("version: 1\ndefaults: { failback: { hold_down: 31d } "
	    "}\n", 2, 36, "duration '31d' is out of range");
	expect_error_at("version: 1\ndefaults: { failback: { hold_down: 31d } "
	    "}\n", 2, 36, "from 0s to 30d");
	p = expect_valid("version: 1\ndefaults:\n  health: { interval: 90s, "
	    "timeout: 250ms }\n  failback: { hold_down: 1h30m }\n"
	    "  flap: { window: 15m }\n", NULL);
	assert_int_equal(p->version, 1);
	nsf_policy_free(p);
}

static void
test_schema_types_ranges(void **state)
{
	(void)state;
	expect_error_at("version: 1\ndefaults: { health: { fail_after: 0 } }\n",
	    2, 35, "0 is out of range");
	expect_error_at("version: 1\ndefaults: { health: { recover_after: 101 "
	    "} }\n", 2, 38, "from 1 to 100");
	expect_error_at("version: 1\ndefaults: { health: { retries: 11 } }\n",
	    2, 32, "11 is out of range");
	expect_error_at("version: 1\ndefaults: { health: { quorum: most } }\n",
	    2, 31, "quorum must be 'majority' or a number");
	expect_error_at("version: 1\ndefaults: { health: { interval: 5s, "
	    "timeout: 5s } }\n", 2, 46, "health timeout 5s is not shorter "
	    "than the interval 5s");
	expect_error_at("version: 1\nproviders:\n  a:\n    port: 70000\n"
	    "    nameservers: [ns1.a.example]\n", 4, 11, "70000 is out of "
	    "range");
	expect_error_at("version: 1\nregistries:\n  r:\n    type: epp\n"
	    "    server: x.example\n    credentials: r\n"
	    "    min_nameservers: 5\n    max_nameservers: 3\n", 8, 22,
	    "allows at least 5 and at most 3");
	expect_error_at("version: 1\ncanaries:\n  min_ok: 2\n"
	    "  targets: [ { address: 127.0.0.9 } ]\n", 3, 11,
	    "2 is out of range");
	expect_error_at("version: 1\ndefaults:\n"
	    "  readiness: { mode: records }\n", 3, 22,
	    "needs a list of records");
	expect_error_at("version: 1\ndefaults:\n  readiness:\n"
	    "    mode: records\n    records: [ { name: _v, type: TXX } ]\n",
	    5, 34, "'TXX' is not a DNS record type");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_types_unknown_key_hint),
		cmocka_unit_test(test_schema_types_missing_keys),
		cmocka_unit_test(test_schema_types_wrong_types),
		cmocka_unit_test(test_schema_types_booleans),
		cmocka_unit_test(test_schema_types_no_implicit_typing),
		cmocka_unit_test(test_schema_types_durations),
		cmocka_unit_test(test_schema_types_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
