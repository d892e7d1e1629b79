/* schema_util.h - helpers shared by the test_schema_*.c unit tests. */
#ifndef NSF_TEST_SCHEMA_UTIL_H
#define NSF_TEST_SCHEMA_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../schema/policy.h"

/* A policy with everything a domain needs, for tests to extend. */
#define BASE_POLICY \
	"version: 1\n" \
	"providers:\n" \
	"  provider-a:\n" \
	"    nameservers: [ns1.a.example, ns2.a.example]\n" \
	"  provider-b:\n" \
	"    nameservers: [ns1.b.example, ns2.b.example]\n" \
	"registries:\n" \
	"  main:\n" \
	"    type: epp\n" \
	"    server: epp.registry.example\n" \
	"    credentials: main\n"

/* Lines 12-14: a domain whose keys continue at line 15, column 5. */
#define DOMAIN_HEAD \
	"domains:\n" \
	"  example.com:\n" \
	"    registry: main\n"

/* Asserts that `text` loads with a warning at line:col containing
 * `needle`. */
#define expect_warning_at(text, line, col, needle) \
	expect_diag_at(text, NSF_DIAG_WARNING, line, col, needle)
#define expect_error_at(text, line, col, needle) \
	expect_diag_at(text, NSF_DIAG_ERROR, line, col, needle)

/* Loads one in-memory file named "p.yaml"; returns the load result. */
static inline int
load_text(struct nsf_policy **out, struct nsf_diags *d, const char *text)
{
	struct nsf_policy_file f = { "p.yaml", text, strlen(text) };

	nsf_diags_init(d);
	*out = NULL;
	return nsf_policy_load_files(out, &f, 1, d);
}

/* The diagnostics as text, one per line (caller frees). */
static inline char *
diags_text(const struct nsf_diags *d)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	nsf_diags_format_text(d, &b);
	return nsf_buf_detach(&b);
}

/*
 * Asserts that loading `text` gives a diagnostic of severity `sev` at
 * line:col whose "message (hint)" contains `needle`; an error must
 * also make the load fail, a warning must not.
 */
static inline void
expect_diag_at(const char *text, enum nsf_diag_severity sev, unsigned line,
    unsigned col, const char *needle)
{
	struct nsf_policy *p;
	struct nsf_diags d;
	char *all;
	size_t i;
	bool found = false;
	int rc = load_text(&p, &d, text);

	all = diags_text(&d);
	if (sev == NSF_DIAG_ERROR && rc != NSF_EINVAL) {
		print_error("loaded without error:\n%s", all);
	}
	assert_int_equal(rc, sev == NSF_DIAG_ERROR ? NSF_EINVAL : 0);
	nsf_policy_free(p);
	for (i = 0; i < d.n; i++) {
		const struct nsf_diag *g = &d.v[i];

		char *full = nsf_xasprintf("%s (%s)", g->message,
		    g->hint ? g->hint : "");

		if (g->severity == sev && g->line == line &&
		    g->col == col && strstr(full, needle) != NULL) {
			found = true;
		}
		free(full);
	}
	if (!found) {
		print_error("wanted %u:%u '%s' in:\n%s", line, col, needle,
		    all);
	}
	free(all);
	nsf_diags_deinit(&d);
	assert_true(found);
}

/* Asserts that `text` loads, and returns the policy (caller frees). */
static inline struct nsf_policy *
expect_valid(const char *text, size_t *nwarnings)
{
	struct nsf_policy *p;
	struct nsf_diags d;
	char *all;
	int rc = load_text(&p, &d, text);

	all = diags_text(&d);
	if (rc != 0) {
		print_error("unexpected errors:\n%s", all);
	}
	free(all);
	if (nwarnings != NULL) {
		*nwarnings = d.nwarnings;
	}
	nsf_diags_deinit(&d);
	assert_int_equal(rc, 0);
	return p;
}

#endif
