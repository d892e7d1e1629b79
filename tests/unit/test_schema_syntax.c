/* test_schema_syntax.c - YAML-level bad input: each error with its position. */
#include "schema_util.h"

#include "../../schema/internal.h"

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

/* load.c's loader with limits small enough to reach in a test. */
int policy_load_limited(struct nsf_policy **out,
    const struct nsf_policy_file *files, size_t nfiles,
    struct nsf_diags *diags, const struct nsf_policy_limits *lim);

static void
expect_limited(const struct nsf_policy_file *f, size_t nfiles,
    size_t total_bytes, size_t values, const char *file, unsigned line,
    unsigned col, const char *needle)
{
	struct nsf_policy_limits lim = { total_bytes, values };
	struct nsf_policy *p = NULL;
	struct nsf_diags d;
	char *text;

	nsf_diags_init(&d);
	assert_int_equal(policy_load_limited(&p, f, nfiles, &d, &lim),
	    NSF_EINVAL);
	text = diags_text(&d);
	if (d.nerrors != 1 || strstr(text, needle) == NULL ||
	    strcmp(d.v[0].file, file) != 0 || d.v[0].line != line ||
	    d.v[0].col != col) {
		print_error("wanted one error at %s:%u:%u '%s', got:\n%s",
		    file, line, col, needle, text);
		fail();
	}
	assert_string_equal(d.v[0].code, "too-large");
	free(text);
	nsf_diags_deinit(&d);
}

static void
test_schema_syntax_value_limit(void **state)
{
	static const char one[] = "version: 1\nproviders:\n"
	    "  a: { nameservers: [n1.a.example, n2.a.example] }\n";
	static const char two[] = "registries: { r: { type: exec } }\n";
	struct nsf_policy_file f[2] = {
		{ "one.yaml", one, sizeof(one) - 1 },
		{ "two.yaml", two, sizeof(two) - 1 },
	};

	(void)state;
	/* 11 values: root map, 3 keys, 3 scalars and a list of 2, 2
	 * maps; the 11th (n2.a.example) is one too many */
	expect_limited(f, 1, 1000, 10, "one.yaml", 3, 36,
	    "the policy holds more than 10 values");
	/* the budget is the policy's, not each file's: the 4th value of
	 * two.yaml (the key 'r') is the 15th */
	expect_limited(f, 2, 1000, 14, "two.yaml", 1, 15,
	    "more than 14 values");
}

static void
test_schema_syntax_total_limit(void **state)
{
	static const char a[] = "version: 1\n";            /* 11 bytes */
	static const char b[] = "defaults: { drift: report }\n";
	struct nsf_policy_file f[3] = {
		{ "a.yaml", a, sizeof(a) - 1 },
		{ "b.yaml", b, sizeof(b) - 1 },
		{ "c.yaml", a, sizeof(a) - 1 },
	};

	(void)state;
	/* b.yaml brings the total to 39 bytes; c.yaml is not read and
	 * not reported again */
	expect_limited(f, 3, 30, 1000, "b.yaml", 1, 1, "with this file the "
	    "policy is 39 bytes, over the limit of 30 for all files");
}

static void
test_schema_syntax_diagnostics_capped(void **state)
{
	struct nsf_policy *p;
	struct nsf_diags d;
	struct nsf_buf b, out;
	int i;

	(void)state;
	/* 1500 unknown keys: all counted, the first 1000 kept */
	nsf_buf_init(&b);
	nsf_buf_puts(&b, "version: 1\n");
	for (i = 0; i < 1500; i++) {
		nsf_buf_printf(&b, "unknown%d: 1\n", i);
	}
	assert_int_equal(load_text(&p, &d, b.data), NSF_EINVAL);
	assert_int_equal(d.nerrors, 1500);
	assert_int_equal(d.n, NSF_DIAGS_MAX);
	assert_int_equal(d.nhidden, 500);
	assert_int_equal(d.v[999].line, 1001);
	nsf_buf_init(&out);
	nsf_diags_format_text(&d, &out);
	assert_non_null(strstr(out.data, "\nnote: 500 more problems are not "
	    "shown (the first 1000 found are)\n"));
	nsf_buf_deinit(&out);
	nsf_buf_init(&out);
	nsf_diags_format_json(&d, &out);
	assert_non_null(strstr(out.data, "{\"errors\":1500,\"warnings\":0,"
	    "\"not_shown\":500,"));
	nsf_buf_deinit(&out);
	nsf_diags_deinit(&d);
	nsf_buf_deinit(&b);
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
		cmocka_unit_test(test_schema_syntax_value_limit),
		cmocka_unit_test(test_schema_syntax_total_limit),
		cmocka_unit_test(test_schema_syntax_diagnostics_capped),
		cmocka_unit_test(test_schema_syntax_depth_limit),
		cmocka_unit_test(test_schema_syntax_anchor_alias),
		cmocka_unit_test(test_schema_syntax_tags),
		cmocka_unit_test(test_schema_syntax_duplicate_keys),
		cmocka_unit_test(test_schema_syntax_duplicate_keys_large_map),
		cmocka_unit_test(test_schema_syntax_other_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
