/* test_schema_syntax.c - YAML-level bad input: each error with its position. */
#include "schema_util.h"

static void
test_schema_syntax_tab_indent(void **state)
{
	(void)state;
	expect_error_at("version: 1\nproviders:\n  a:\n\t  nameservers: []\n",
	    4, 1, "tab character in indentation");
	expect_error_at("version: 1\nproviders:\n  \tx: 1\n", 3, 3,
	    "indent with spaces");
}

static void
test_schema_syntax_unterminated_quote(void **state)
{
	(void)state;
	expect_error_at("version: 1\nproviders:\n  a:\n"
	    "    nameservers: [\"ns1.a.example]\n", 4, 19,
	    "quoted string is never closed");
	expect_error_at("version: 1\ndefaults: { drift: 'report }\n", 2, 20,
	    "never closed");
}

static void
test_schema_syntax_empty_file(void **state)
{
	(void)state;
	expect_error_at("", 1, 1, "file is empty");
	expect_error_at("# only a comment\n\n", 1, 1, "file is empty");
	expect_error_at("---\n", 1, 1, "file is empty");
}

static void
test_schema_syntax_invalid_utf8(void **state)
{
	(void)state;
	/* 0xe9 alone (Latin-1 e acute) on line 3, after "  # caf" */
	expect_error_at("version: 1\nproviders: {}\n  # caf\xe9\n", 3, 8,
	    "byte 0xe9 at offset 32 is not valid UTF-8");
	/* an overlong encoding of '/' */
	expect_error_at("version: 1\n# \xc0\xaf\n", 2, 3,
	    "byte 0xc0 at offset 13");
	/* a UTF-16 surrogate encoded in UTF-8 */
	expect_error_at("version: 1\n#\xed\xa0\x80\n", 2, 2, "offset 12");
}

static void
test_schema_syntax_size_limit(void **state)
{
	struct nsf_policy_file f;
	struct nsf_policy *p = NULL;
	struct nsf_diags d;
	size_t len = NSF_POLICY_MAX_FILE_BYTES + 1;
	char *big = malloc(len);

	(void)state;
	memset(big, '#', len);
	f.name = "big.yaml";
	f.data = big;
	f.len = len;
	nsf_diags_init(&d);
	assert_int_equal(nsf_policy_load_files(&p, &f, 1, &d), NSF_EINVAL);
	assert_null(p);
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].code, "too-large");
	assert_int_equal(d.v[0].line, 1);
	assert_int_equal(d.v[0].col, 1);
	assert_non_null(strstr(d.v[0].message, "over the limit of 16777216"));
	nsf_diags_deinit(&d);
	free(big);
}

static void
test_schema_syntax_depth_limit(void **state)
{
	struct nsf_buf b;
	int i;

	(void)state;
	/* The top-level map is level 1, so the 32nd '[' (column 11 + 31
	 * of line 2) opens level 33. */
	nsf_buf_init(&b);
	nsf_buf_puts(&b, "version: 1\ndefaults: ");
	for (i = 0; i < 40; i++) {
		nsf_buf_puts(&b, "[");
	}
	for (i = 0; i < 40; i++) {
		nsf_buf_puts(&b, "]");
	}
	nsf_buf_puts(&b, "\n");
	expect_error_at(b.data, 2, 11 + 31, "nesting deeper than 32 levels");
	nsf_buf_deinit(&b);
}

static void
test_schema_syntax_anchor_alias(void **state)
{
	(void)state;
	expect_error_at("version: 1\nproviders:\n  a: &common\n"
	    "    nameservers: [ns1.a.example]\n", 3, 6,
	    "anchors ('&common') are not allowed");
	/* a "billion laughs" document is refused at its first anchor */
	expect_error_at("version: 1\nx: &a [1, 1]\ny: &b [*a, *a]\n", 2, 4,
	    "anchors ('&a')");
	expect_error_at("version: 1\ndefaults: *nothing\n", 2, 11,
	    "aliases ('*nothing') are not allowed");
}

static void
test_schema_syntax_tags(void **state)
{
	(void)state;
	expect_error_at("version: 1\ndefaults: { drift: !!str report }\n", 2,
	    20, "tags ('tag:yaml.org,2002:str') are not allowed");
}

static void
test_schema_syntax_duplicate_keys(void **state)
{
	(void)state;
	/* top level */
	expect_error_at("version: 1\nversion: 1\n", 2, 1,
	    "duplicate key 'version' (first defined at p.yaml:1:1)");
	/* deep: inside a domain's health map */
	expect_error_at(BASE_POLICY DOMAIN_HEAD
	    "    primary: provider-a\n"
	    "    health:\n"
	    "      interval: 10s\n"
	    "      timeout: 1s\n"
	    "      interval: 20s\n", 19, 7,
	    "duplicate key 'interval' (first defined at p.yaml:17:7)");
	/* in a flow map */
	expect_error_at("version: 1\ndefaults: { drift: report, drift: "
	    "correct }\n", 2, 28, "first defined at p.yaml:2:13");
}

static void
test_schema_syntax_duplicate_keys_large_map(void **state)
{
	struct nsf_buf b;
	int i;

	(void)state;
	nsf_buf_init(&b);
	nsf_buf_puts(&b, "version: 1\nproviders:\n");
	for (i = 0; i < 50; i++) {
		nsf_buf_printf(&b, "  p%d: { nameservers: [ns1.p%d.example, "
		    "ns2.p%d.example] }\n", i, i, i);
	}
	/* line 53: p7 again (first at line 10) */
	nsf_buf_puts(&b, "  p7: { nameservers: [ns1.x.example] }\n");
	expect_error_at(b.data, 53, 3,
	    "duplicate key 'p7' (first defined at p.yaml:10:3)");
	nsf_buf_deinit(&b);
}

static void
test_schema_syntax_other_errors(void **state)
{
	(void)state;
	expect_error_at("version: 1\n---\nversion: 1\n", 2, 1,
	    "one YAML document");
	expect_error_at("- version\n- 1\n", 1, 1,
	    "the top level must be a map");
	expect_error_at("version: 1\nproviders:\n  a: [\n", 4, 1,
	    "invalid YAML");
	expect_error_at("version: 1\n? [a, b]\n: 1\n", 2, 3,
	    "a key must be a string");
	expect_error_at("version: 1\ndefaults: { drift: \"rep\\0ort\" }\n",
	    2, 20, "a value holds a NUL character (remove the \\0 escape)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_syntax_tab_indent),
		cmocka_unit_test(test_schema_syntax_unterminated_quote),
		cmocka_unit_test(test_schema_syntax_empty_file),
		cmocka_unit_test(test_schema_syntax_invalid_utf8),
		cmocka_unit_test(test_schema_syntax_size_limit),
		cmocka_unit_test(test_schema_syntax_depth_limit),
		cmocka_unit_test(test_schema_syntax_anchor_alias),
		cmocka_unit_test(test_schema_syntax_tags),
		cmocka_unit_test(test_schema_syntax_duplicate_keys),
		cmocka_unit_test(test_schema_syntax_duplicate_keys_large_map),
		cmocka_unit_test(test_schema_syntax_other_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
