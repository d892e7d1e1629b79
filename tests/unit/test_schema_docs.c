/* test_schema_docs.c - the reference and the man page name every key. */
#include "schema_util.h"

#include "../../schema/keys.h"

#define REFERENCE "docs/policy.md"
#define MANPAGE "docs/man/nsfailover-policy.5"

static char *reference;
static char *manpage;

static char *
slurp(const char *path)
{
	char *data = NULL;
	size_t len;

	if (nsf_file_read(&data, &len, path, 1 << 20) != 0) {
		print_error("%s: %s\n", path, nsf_error_last());
		return NULL;
	}
	return data;
}

static int
setup(void **state)
{
	(void)state;
	reference = slurp(REFERENCE);
	manpage = slurp(MANPAGE);
	return reference != NULL && manpage != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	free(reference);
	free(manpage);
	return 0;
}

/* A word in roff: '-' is written '\-'. */
static char *
roff_word(const char *word)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	for (; *word; word++) {
		nsf_buf_puts(&b, *word == '-' ? "\\-" : (char[]){ *word, 0 });
	}
	return nsf_buf_detach(&b);
}

/* True when `line` is one of the man page's lines. */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p += n) {
		if ((p == text || p[-1] == '\n') &&
		    (p[n] == '\n' || p[n] == '\0')) {
			return true;
		}
	}
	return false;
}

/* The man page sets a term in bold: on a ".B word" line of its own,
 * first on a ".BR word ..." line, or inline as \fBword\fR. */
static bool
man_has_bold(const char *word)
{
	char *w = roff_word(word);
	char *b = nsf_xasprintf(".B %s", w);
	char *br = nsf_xasprintf("\n.BR %s ", w);
	char *in = nsf_xasprintf("\\fB%s\\fR", w);
	bool found = has_line(manpage, b) || strstr(manpage, br) != NULL ||
	    strstr(manpage, in) != NULL;

	free(w);
	free(b);
	free(br);
	free(in);
	return found;
}

/* The reference gives a key a row of a table: "| `key` |". */
static bool
reference_has_row(const char *key)
{
	char *row = nsf_xasprintf("| `%s` |", key);
	bool found = strstr(reference, row) != NULL;

	free(row);
	return found;
}

static bool
reference_has_code(const char *word)
{
	char *code = nsf_xasprintf("`%s`", word);
	bool found = strstr(reference, code) != NULL;

	free(code);
	return found;
}

static void
check_key(const struct nsf_schema_key *k, const char *path)
{
	size_t i;

	if (!reference_has_row(k->name)) {
		print_error("%s.%s: no '| `%s` |' row in %s\n", path,
		    k->name, k->name, REFERENCE);
	}
	assert_true(reference_has_row(k->name));
	if (!man_has_bold(k->name)) {
		print_error("%s.%s: not set in bold in %s\n", path, k->name,
		    MANPAGE);
	}
	assert_true(man_has_bold(k->name));
	for (i = 0; k->enums != NULL && k->enums[i] != NULL; i++) {
		if (!reference_has_code(k->enums[i]) ||
		    !man_has_bold(k->enums[i])) {
			print_error("%s.%s: value '%s' missing from %s or "
			    "%s\n", path, k->name, k->enums[i], REFERENCE,
			    MANPAGE);
		}
		assert_true(reference_has_code(k->enums[i]));
		assert_true(man_has_bold(k->enums[i]));
	}
}

static void
walk(const struct nsf_schema_map *m, const char *path)
{
	char sub[256];
	size_t i;

	for (i = 0; i < m->nkeys; i++) {
		check_key(&m->keys[i], path);
		if (m->keys[i].map != NULL) {
			snprintf(sub, sizeof(sub), "%s.%s", path,
			    m->keys[i].name);
			walk(m->keys[i].map, sub);
		}
	}
}

static void
test_schema_docs_every_key(void **state)
{
	(void)state;
	walk(&nsf_schema_top, "policy");
}

/* The checks must be able to fail: a key the format does not have is
 * found in neither document. */
static void
test_schema_docs_check_can_fail(void **state)
{
	(void)state;
	assert_false(reference_has_row("fail_afterwards"));
	assert_false(man_has_bold("fail_afterwards"));
	assert_true(reference_has_row("fail_after"));
	assert_true(man_has_bold("fail_after"));
	assert_true(man_has_bold("dns-update"));
}

/* The built-in defaults the documents state are the loader's. */
static void
test_schema_docs_defaults(void **state)
{
	static const char *const rows[] = {
		"| `interval` | duration | `10s` |",
		"| `timeout` | duration | `2s` |",
		"| `retries` | integer | `1` |",
		"| `fail_after` | integer | `3` |",
		"| `recover_after` | integer | `5` |",
		"| `quorum` | `majority` or integer | `majority` |",
		"| `hold_down` | duration | `15m` |",
		"| `max_changes` | integer | `4` |",
		"| `window` | duration | `1h` |",
		"| `min_nameservers` | integer | `2` |",
		"| `max_nameservers` | integer | `13` |",
		"| `timeout` | duration | `30s` |",
	};
	struct nsf_policy *p;
	const struct nsf_domain *d;
	const struct nsf_registry *r;
	size_t i;

	(void)state;
	for (i = 0; i < NSF_ARRAY_SIZE(rows); i++) {
		if (strstr(reference, rows[i]) == NULL) {
			print_error("no '%s' in %s\n", rows[i], REFERENCE);
		}
		assert_non_null(strstr(reference, rows[i]));
	}
	p = expect_valid(BASE_POLICY DOMAIN_HEAD "    primary: provider-a\n"
	    "    backups: [provider-b]\n", NULL);
	d = &p->domains[0];
	r = d->registry;
	assert_int_equal(d->health.interval_ms, 10000);
	assert_int_equal(d->health.timeout_ms, 2000);
	assert_int_equal(d->health.retries, 1);
	assert_int_equal(d->health.fail_after, 3);
	assert_int_equal(d->health.recover_after, 5);
	assert_int_equal(d->health.quorum, 0);
	assert_int_equal(d->failback.hold_down_ms, 15 * 60 * 1000);
	assert_int_equal(d->flap.max_changes, 4);
	assert_int_equal(d->flap.window_ms, 3600 * 1000);
	assert_int_equal(r->min_ns, 2);
	assert_int_equal(r->max_ns, 13);
	assert_int_equal(r->timeout_ms, 30000);
	nsf_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_docs_every_key),
		cmocka_unit_test(test_schema_docs_check_can_fail),
		cmocka_unit_test(test_schema_docs_defaults),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
