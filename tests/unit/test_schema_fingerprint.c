/* test_schema_fingerprint.c - a domain's policy digest: stable and complete. */
#include "schema_util.h"

#include "../../schema/internal.h"

static void
fingerprint_of(char out[65], const char *text, const char *domain)
{
	struct nsf_policy *p = expect_valid(text, NULL);
	const struct nsf_domain *d = nsf_policy_domain(p, domain);

	assert_non_null(d);
	nsf_domain_fingerprint(out, d);
	nsf_policy_free(p);
}

#define PROVIDERS \
	"providers:\n" \
	"  provider-a: { nameservers: [ns1.a.example, ns2.a.example] }\n" \
	"  provider-b: { nameservers: [ns1.b.example, ns2.b.example] }\n" \
	"registries:\n" \
	"  main: { type: epp, server: r.example, credentials: c }\n"

static const char plain[] = "version: 1\n" PROVIDERS
    "domains:\n"
    "  example.com:\n"
    "    registry: main\n"
    "    primary: provider-a\n"
    "    backups: [provider-b]\n";

/* The same policy written another way: other order, flow style, names
 * in upper case, defaults spelt out, another domain beside it. */
static const char rewritten[] = "domains:\n"
    "  other.example: { registry: main, primary: provider-b, "
    "backups: [provider-a] }\n"
    "  EXAMPLE.COM.:\n"
    "    backups:\n      - provider-b\n"
    "    health: { interval: 10s, timeout: 2000ms, retries: 1, "
    "fail_after: 3, recover_after: 5, quorum: majority }\n"
    "    failback: { mode: auto, hold_down: 15m }\n"
    "    primary: provider-a\n"
    "    mode: failover\n"
    "    suspend: false\n"
    "    registry: main\n"
    "defaults: { drift: report }\n"
    "version: 1\n" PROVIDERS;

static void
test_schema_fingerprint_stable(void **state)
{
	char a[65], b[65], c[65];

	(void)state;
	fingerprint_of(a, plain, "example.com");
	fingerprint_of(b, plain, "example.com");
	fingerprint_of(c, rewritten, "example.com");
	assert_int_equal(strlen(a), 64);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);
	assert_string_equal(a, b);
	assert_string_equal(a, c);
}

static void
expect_changed(const char *base_fp, const char *text)
{
	char fp[65];

	fingerprint_of(fp, text, "example.com");
	if (strcmp(fp, base_fp) == 0) {
		print_error("fingerprint unchanged for:\n%s", text);
	}
	assert_string_not_equal(fp, base_fp);
}

static void
test_schema_fingerprint_changes(void **state)
{
	char base[65];

	(void)state;
	fingerprint_of(base, plain, "example.com");
	/* a setting of the domain */
	expect_changed(base, "version: 1\n" PROVIDERS "domains:\n"
	    "  example.com:\n    registry: main\n    primary: provider-a\n"
	    "    backups: [provider-b]\n    health: { fail_after: 4 }\n");
	/* a default the domain inherits */
	expect_changed(base, "version: 1\ndefaults: { failback: { mode: "
	    "manual } }\n" PROVIDERS "domains:\n"
	    "  example.com:\n    registry: main\n    primary: provider-a\n"
	    "    backups: [provider-b]\n");
	/* a nameserver of a provider the domain uses */
	expect_changed(base, "version: 1\nproviders:\n"
	    "  provider-a: { nameservers: [ns1.a.example, ns3.a.example] }\n"
	    "  provider-b: { nameservers: [ns1.b.example, ns2.b.example] }\n"
	    "registries:\n  main: { type: epp, server: r.example, "
	    "credentials: c }\ndomains:\n"
	    "  example.com:\n    registry: main\n    primary: provider-a\n"
	    "    backups: [provider-b]\n");
	/* the pin, suspend, the order of backups */
	expect_changed(base, "version: 1\n" PROVIDERS "domains:\n"
	    "  example.com:\n    registry: main\n    primary: provider-a\n"
	    "    backups: [provider-b]\n    pin: provider-b\n");
	expect_changed(base, "version: 1\n" PROVIDERS "domains:\n"
	    "  example.com:\n    registry: main\n    primary: provider-a\n"
	    "    backups: [provider-b]\n    suspend: true\n");
	expect_changed(base, "version: 1\n" PROVIDERS "domains:\n"
	    "  example.com:\n    registry: main\n    primary: provider-b\n"
	    "    backups: [provider-a]\n");
}

static void
test_schema_fingerprint_canonical_text(void **state)
{
	struct nsf_policy *p = expect_valid(plain, NULL);
	struct nsf_buf b;

	(void)state;
	nsf_buf_init(&b);
	nsf_domain_canonical(&b, &p->domains[0]);
	assert_non_null(strstr(b.data, "domain example.com\n"));
	assert_non_null(strstr(b.data, "group primary provider-a\n"));
	assert_non_null(strstr(b.data, "  ns ns2.a.example\n"));
	assert_non_null(strstr(b.data, "health 10000 2000 1 3 5 0\n"));
	assert_non_null(strstr(b.data, "failback auto 900000\n"));
	nsf_buf_deinit(&b);
	nsf_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_fingerprint_stable),
		cmocka_unit_test(test_schema_fingerprint_changes),
		cmocka_unit_test(test_schema_fingerprint_canonical_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
