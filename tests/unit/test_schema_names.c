/* test_schema_names.c - DNS names: LDH, lengths, case, IDN, duplicates. */
#include "schema_util.h"

#include "../../schema/internal.h"

static void
expect_name(const char *in, const char *want)
{
	char why[160];
	char *got = nsf_name_normalize(in, why, sizeof(why));

	if (got == NULL) {
		print_error("'%s' refused: %s\n", in, why);
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
expect_bad_name(const char *in, const char *why_part)
{
	char why[160];
	char *got = nsf_name_normalize(in, why, sizeof(why));

	assert_null(got);
	if (strstr(why, why_part) == NULL) {
		print_error("'%s': wanted '%s' in '%s'\n", in, why_part, why);
	}
	assert_non_null(strstr(why, why_part));
}

static void
test_schema_names_normal_form(void **state)
{
	(void)state;
	expect_name("Example.COM.", "example.com");
	expect_name("example.com", "example.com");
	expect_name("xn--bcher-kva.example", "xn--bcher-kva.example");
	expect_name("bücher.example", "xn--bcher-kva.example");
	expect_name("BÜCHER.example.", "xn--bcher-kva.example");
	/* IDNA2008, not 2003: sharp s is kept, not mapped to "ss" */
	expect_name("faß.de", "xn--fa-hia.de");
	expect_name("a-b.c9", "a-b.c9");
}

static void
test_schema_names_ldh_rules(void **state)
{
	char label[80], name[300];
	size_t i;

	(void)state;
	expect_bad_name("under_score.example", "holds '_'");
	expect_bad_name("-lead.example", "starts or ends with '-'");
	expect_bad_name("trail-.example", "starts or ends with '-'");
	expect_bad_name("a..example", "empty label");
	expect_bad_name("", "empty");
	expect_bad_name(".", "empty");
	expect_bad_name("sp ace.example", "holds ' '");
	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(name, sizeof(name), "%s.example", label);
	expect_bad_name(name, "is 64 octets long (at most 63)");
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.example", label);
	expect_name(name, name);
	/* 4 labels of 63 and the dots: 255 octets */
	name[0] = '\0';
	for (i = 0; i < 4; i++) {
		strcat(name, label);
		strcat(name, i < 3 ? "." : "");
	}
	expect_bad_name(name, "255 octets long (at most 253)");
	expect_bad_name("\xe2\x98\x83\xe2\x80\x8d.example",
	    "not a valid internationalised name");
	/* 253 octets is the longest name; 254 is one too many */
	name[0] = '\0';
	for (i = 0; i < 3; i++) {
		strcat(name, label);
		strcat(name, ".");
	}
	strncat(name, label, 61);
	assert_int_equal(strlen(name), 253);
	expect_name(name, name);
	strcat(name, "a");
	expect_bad_name(name, "254 octets long (at most 253)");
}

static void
test_schema_names_alabels(void **state)
{
	(void)state;
	/* an A-label is checked like the Unicode it stands for */
	expect_name("XN--BCHER-KVA.Example", "xn--bcher-kva.example");
	expect_name("xn--55qx5d.example", "xn--55qx5d.example");
	expect_bad_name("xn--zz.example", "label 'xn--zz' is not a valid "
	    "A-label");
	expect_bad_name("ns1.xn--a.example", "label 'xn--a' is not a valid "
	    "A-label");
	expect_bad_name("XN--ZZ.example", "label 'xn--zz' is not a valid "
	    "A-label");
	/* decodes, but to a character IDNA2008 does not allow */
	expect_bad_name("xn--ls8h.example", "not a valid A-label");
	expect_error_at(BASE_POLICY "domains:\n  xn--zz.example:\n"
	    "    registry: main\n    primary: provider-a\n", 13, 3,
	    "'xn--zz.example' is not a valid domain name: label 'xn--zz' "
	    "is not a valid A-label");
}

static void
test_schema_names_in_policy(void **state)
{
	(void)state;
	expect_error_at(BASE_POLICY "domains:\n  bad_name.example:\n"
	    "    registry: main\n    primary: provider-a\n", 13, 3,
	    "'bad_name.example' is not a valid domain name: label "
	    "'bad_name' holds '_'");
	expect_error_at("version: 1\nproviders:\n  a:\n    nameservers: "
	    "[ns1.a.example, -ns2.a.example]\n", 4, 34,
	    "'-ns2.a.example' is not a valid DNS name");
	expect_error_at("version: 1\nproviders:\n  a+b:\n    nameservers: "
	    "[ns1.a.example, ns2.a.example]\n", 3, 3,
	    "provider name 'a+b' is not valid");
}

static void
test_schema_names_duplicate_spellings(void **state)
{
	(void)state;
	expect_error_at(BASE_POLICY "domains:\n"
	    "  example.com:\n    registry: main\n    primary: provider-a\n"
	    "    backups: [provider-b]\n"
	    "  EXAMPLE.com.:\n    registry: main\n    primary: provider-b\n",
	    17, 3, "domain example.com is defined twice (first at "
	    "p.yaml:13:3 as 'example.com')");
	expect_error_at(BASE_POLICY "domains:\n"
	    "  xn--bcher-kva.example:\n    registry: main\n"
	    "    primary: provider-a\n    backups: [provider-b]\n"
	    "  bücher.example:\n    registry: main\n"
	    "    primary: provider-a\n", 17, 3,
	    "domain xn--bcher-kva.example is defined twice");
	expect_error_at("version: 1\nproviders:\n  a:\n    nameservers: "
	    "[ns1.a.example, NS1.A.example.]\n", 4, 34,
	    "nameserver 'ns1.a.example' is listed twice in provider 'a'");
}

static void
test_schema_names_lookup_any_spelling(void **state)
{
	struct nsf_policy *p;

	(void)state;
	p = expect_valid(BASE_POLICY "domains:\n"
	    "  Bücher.Example.:\n    registry: main\n"
	    "    primary: provider-a\n    backups: [provider-b]\n", NULL);
	assert_string_equal(p->domains[0].name, "xn--bcher-kva.example");
	assert_ptr_equal(nsf_policy_domain(p, "bücher.example"),
	    &p->domains[0]);
	assert_ptr_equal(nsf_policy_domain(p, "XN--BCHER-KVA.EXAMPLE."),
	    &p->domains[0]);
	assert_null(nsf_policy_domain(p, "example.com"));
	assert_null(nsf_policy_domain(p, "bad_name"));
	nsf_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_names_normal_form),
		cmocka_unit_test(test_schema_names_ldh_rules),
		cmocka_unit_test(test_schema_names_alabels),
		cmocka_unit_test(test_schema_names_in_policy),
		cmocka_unit_test(test_schema_names_duplicate_spellings),
		cmocka_unit_test(test_schema_names_lookup_any_spelling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
