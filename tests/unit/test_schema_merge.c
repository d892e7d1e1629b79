/* test_schema_merge.c - a directory of files merged into one policy. */
#include <sys/stat.h>
#include <unistd.h>

#include "schema_util.h"

static const char providers_yaml[] =
    "providers:\n"
    "  provider-a: { nameservers: [ns1.a.example, ns2.a.example] }\n"
    "  provider-b: { nameservers: [ns1.b.example, ns2.b.example] }\n";
static const char registries_yaml[] =
    "version: 1\n"
    "registries:\n"
    "  main: { type: epp, server: r.example, credentials: c }\n";
static const char domains1_yaml[] =
    "domains:\n"
    "  a.test: { registry: main, primary: provider-a, "
    "backups: [provider-b] }\n";
static const char domains2_yaml[] =
    "version: 1\n"
    "domains:\n"
    "  b.test: { registry: main, primary: provider-b, "
    "backups: [provider-a] }\n"
    "defaults:\n"
    "  health: { fail_after: 7 }\n";

static int
load_four(struct nsf_policy **p, struct nsf_diags *d, const char *extra,
    const char *extra_name)
{
	struct nsf_policy_file f[5] = {
		{ "policy/domains1.yaml", domains1_yaml,
		  sizeof(domains1_yaml) - 1 },
		{ "policy/domains2.yaml", domains2_yaml,
		  sizeof(domains2_yaml) - 1 },
		{ "policy/providers.yaml", providers_yaml,
		  sizeof(providers_yaml) - 1 },
		{ "policy/registries.yaml", registries_yaml,
		  sizeof(registries_yaml) - 1 },
		{ extra_name, extra, extra ? strlen(extra) : 0 },
	};

	nsf_diags_init(d);
	*p = NULL;
	return nsf_policy_load_files(p, f, extra ? 5 : 4, d);
}

static void
test_schema_merge_sections(void **state)
{
	struct nsf_policy *p;
	struct nsf_diags d;

	(void)state;
	assert_int_equal(load_four(&p, &d, NULL, NULL), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(p->ndomains, 2);
	assert_int_equal(p->nproviders, 2);
	assert_int_equal(p->nfiles, 4);
	/* references cross files; defaults from one file reach all */
	assert_string_equal(p->domains[0].registry->name, "main");
	assert_int_equal(p->domains[0].health.fail_after, 7);
	assert_string_equal(p->domains[0].pos.file, "policy/domains1.yaml");
	assert_string_equal(p->domains[1].pos.file, "policy/domains2.yaml");
	assert_string_equal(p->domains[1].primary.providers[0]->pos.file,
	    "policy/providers.yaml");
	nsf_policy_free(p);
	nsf_diags_deinit(&d);
}

static void
expect_merge_error(const char *extra, unsigned line, unsigned col,
    const char *needle)
{
	struct nsf_policy *p;
	struct nsf_diags d;
	char *text;

	assert_int_equal(load_four(&p, &d, extra, "policy/zz.yaml"),
	    NSF_EINVAL);
	text = diags_text(&d);
	if (strstr(text, needle) == NULL) {
		print_error("wanted '%s' in:\n%s", needle, text);
	}
	assert_non_null(strstr(text, needle));
	assert_string_equal(d.v[0].file, "policy/zz.yaml");
	assert_int_equal(d.v[0].line, line);
	assert_int_equal(d.v[0].col, col);
	free(text);
	nsf_diags_deinit(&d);
}

static void
test_schema_merge_duplicates_name_both_files(void **state)
{
	(void)state;
	expect_merge_error("providers:\n  provider-b: { nameservers: "
	    "[ns1.c.example, ns2.c.example] }\n", 2, 3,
	    "policy/zz.yaml:2:3: error: provider 'provider-b' is defined "
	    "twice (first at policy/providers.yaml:3:3)");
	/* one domain spelled two ways in two files */
	expect_merge_error("domains:\n\n  A.Test.: { registry: main, "
	    "primary: provider-a }\n", 3, 3, "domain a.test is defined "
	    "twice (first at policy/domains1.yaml:2:3 as 'a.test')");
	expect_merge_error("defaults:\n  health: { interval: 5s }\n", 2, 3,
	    "defaults key 'health' is defined twice (first at "
	    "policy/domains2.yaml:5:3)");
	expect_merge_error("version: 2\n", 1, 10, "policy version 2");
}

static void
test_schema_merge_syntax_error_in_one_file(void **state)
{
	struct nsf_policy *p;
	struct nsf_diags d;

	(void)state;
	/* the broken file is reported; the others do not drown it in
	 * "unknown provider" errors for what it failed to define */
	assert_int_equal(load_four(&p, &d, "providers:\n  x: [\n",
	    "policy/zz.yaml"), NSF_EINVAL);
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].file, "policy/zz.yaml");
	assert_string_equal(d.v[0].code, "syntax");
	nsf_diags_deinit(&d);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *path = nsf_xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void
test_schema_merge_directory(void **state)
{
	char dir[] = "/tmp/nsf-merge-XXXXXX";
	struct nsf_policy *p = NULL;
	struct nsf_diags d;
	char *cmd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "providers.yaml", providers_yaml);
	write_file(dir, "registries.yaml", registries_yaml);
	write_file(dir, "domains.yaml", domains1_yaml);
	/* not *.yaml, or hidden: not read */
	write_file(dir, "notes.txt", "garbage: [");
	write_file(dir, ".draft.yaml", "garbage: [");
	write_file(dir, "old.yml", "garbage: [");
	nsf_diags_init(&d);
	assert_int_equal(nsf_policy_load_path(&p, dir, &d), 0);
	assert_int_equal(p->nfiles, 3);
	assert_non_null(strstr(p->files[0], "/domains.yaml"));
	assert_non_null(strstr(p->files[2], "/registries.yaml"));
	assert_int_equal(p->ndomains, 1);
	nsf_policy_free(p);
	nsf_diags_deinit(&d);

	/* one file, directly */
	cmd = nsf_xasprintf("%s/registries.yaml", dir);
	nsf_diags_init(&d);
	assert_int_equal(nsf_policy_load_path(&p, cmd, &d), 0);
	assert_int_equal(p->nfiles, 1);
	nsf_policy_free(p);
	nsf_diags_deinit(&d);
	free(cmd);

	cmd = nsf_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void
test_schema_merge_unreadable(void **state)
{
	char dir[] = "/tmp/nsf-merge-XXXXXX";
	struct nsf_policy *p = NULL;
	struct nsf_diags d;

	(void)state;
	nsf_diags_init(&d);
	assert_int_equal(nsf_policy_load_path(&p, "/nonexistent/policy", &d),
	    NSF_ENOTFOUND);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(nsf_policy_load_path(&p, dir, &d), NSF_ENOTFOUND);
	assert_non_null(strstr(nsf_error_last(), "no *.yaml files"));
	assert_null(p);
	assert_int_equal(d.n, 0);
	rmdir(dir);
	nsf_diags_deinit(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_merge_sections),
		cmocka_unit_test(test_schema_merge_duplicates_name_both_files),
		cmocka_unit_test(test_schema_merge_syntax_error_in_one_file),
		cmocka_unit_test(test_schema_merge_directory),
		cmocka_unit_test(test_schema_merge_unreadable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
