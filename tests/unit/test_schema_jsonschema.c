/* test_schema_jsonschema.c - the editor JSON Schema names the loader's keys. */
#include <jansson.h>

#include "schema_util.h"

#include "../../schema/keys.h"

#define SCHEMA_FILE "schema/nsfailover-policy.schema.json"

static json_t *root;

static int
setup(void **state)
{
	json_error_t err;

	(void)state;
	root = json_load_file(SCHEMA_FILE, 0, &err);
	if (root == NULL) {
		print_error("%s:%d: %s\n", SCHEMA_FILE, err.line, err.text);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	json_decref(root);
	return 0;
}

/* The schema at a JSON pointer such as "/$defs/health/properties/x"
 * (no escapes needed for the names this test uses). */
static json_t *
json_pointer(const char *pointer)
{
	json_t *s = root;
	char *copy = nsf_xstrdup(pointer), *tok, *save;

	for (tok = strtok_r(copy, "/", &save); tok != NULL && s != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		s = json_object_get(s, tok);
	}
	free(copy);
	return s;
}

/* Follows "$ref": "#/$defs/NAME" until a schema without one. */
static json_t *
resolve(json_t *s)
{
	int hops;

	for (hops = 0; s != NULL && hops < 16; hops++) {
		json_t *ref = json_object_get(s, "$ref");
		const char *r;

		if (ref == NULL) {
			return s;
		}
		r = json_string_value(ref);
		assert_non_null(r);
		assert_int_equal(strncmp(r, "#/$defs/", 8), 0);
		s = json_object_get(json_object_get(root, "$defs"), r + 8);
		if (s == NULL) {
			print_error("dangling $ref %s\n", r);
		}
		assert_non_null(s);
	}
	return s;
}

/* The object schema (one with "properties") in s or its alternatives. */
static json_t *
object_in(json_t *s)
{
	static const char *const alts[] = { "oneOf", "anyOf" };
	size_t i, j;

	s = resolve(s);
	if (s == NULL || json_object_get(s, "properties") != NULL) {
		return s;
	}
	for (i = 0; i < NSF_ARRAY_SIZE(alts); i++) {
		json_t *a = json_object_get(s, alts[i]);

		for (j = 0; a != NULL && j < json_array_size(a); j++) {
			json_t *o = object_in(json_array_get(a, j));

			if (o != NULL) {
				return o;
			}
		}
	}
	return NULL;
}

static void
compare_enum(const struct nsf_schema_key *k, json_t *ps, const char *path)
{
	json_t *e = json_object_get(resolve(ps), "enum");
	size_t i, n = 0;

	if (e == NULL) {
		print_error("%s.%s: no enum in the JSON Schema\n", path,
		    k->name);
	}
	assert_non_null(e);
	for (i = 0; k->enums[i] != NULL; i++) {
		n++;
	}
	if (json_array_size(e) != n) {
		print_error("%s.%s: %zu values in the loader, %zu in the "
		    "JSON Schema\n", path, k->name, n, json_array_size(e));
	}
	assert_int_equal(json_array_size(e), n);
	for (i = 0; i < n; i++) {
		assert_string_equal(json_string_value(json_array_get(e, i)),
		    k->enums[i]);
	}
}

static bool
json_has_string(json_t *arr, const char *s)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		if (strcmp(json_string_value(json_array_get(arr, i)), s) == 0) {
			return true;
		}
	}
	return false;
}

static void walk(const struct nsf_schema_map *m, json_t *obj,
    const char *path);

/* True when schema s, or one of its anyOf / oneOf alternatives, has
 * "type": type. */
static bool
allows_type(json_t *s, const char *type)
{
	static const char *const alts[] = { "oneOf", "anyOf" };
	const char *t;
	size_t i, j;

	s = resolve(s);
	t = json_string_value(json_object_get(s, "type"));
	if (t != NULL && strcmp(t, type) == 0) {
		return true;
	}
	for (i = 0; i < NSF_ARRAY_SIZE(alts); i++) {
		json_t *a = json_object_get(s, alts[i]);

		for (j = 0; a != NULL && j < json_array_size(a); j++) {
			if (allows_type(json_array_get(a, j), type)) {
				return true;
			}
		}
	}
	return false;
}

/* The JSON type a key of the loader's type must have; NULL when the
 * loader checks a union by hand. */
static const char *
json_type_of(enum nsf_schema_type t)
{
	switch (t) {
	case NSF_ST_STRING:
	case NSF_ST_NAME:
	case NSF_ST_DURATION:
		return "string";
	case NSF_ST_INT:
		return "integer";
	case NSF_ST_BOOL:
		return "boolean";
	case NSF_ST_MAP:
	case NSF_ST_DICT:
		return "object";
	case NSF_ST_LIST:
		return "array";
	default:
		return NULL;
	}
}

static void
compare_type(const struct nsf_schema_key *k, json_t *ps, const char *path)
{
	const char *want = json_type_of(k->type);
	const char *ref = json_string_value(json_object_get(ps, "$ref"));

	if (want != NULL && !allows_type(ps, want)) {
		print_error("%s.%s: the JSON Schema does not allow %s\n", path,
		    k->name, want);
	}
	assert_true(want == NULL || allows_type(ps, want));
	if (k->type == NSF_ST_DURATION && (ref == NULL ||
	    strcmp(ref, "#/$defs/duration") != 0)) {
		print_error("%s.%s: a duration not written as "
		    "#/$defs/duration\n", path, k->name);
		fail();
	}
}

static void
descend(const struct nsf_schema_key *k, json_t *ps, const char *path)
{
	char sub[256];
	json_t *child = resolve(ps);

	snprintf(sub, sizeof(sub), "%s.%s", path, k->name);
	if (k->type == NSF_ST_DICT) {
		child = json_object_get(child, "additionalProperties");
	} else if (k->type == NSF_ST_LIST) {
		child = json_object_get(child, "items");
	}
	child = object_in(child);
	if (child == NULL) {
		print_error("%s: no object schema for its keys\n", sub);
	}
	assert_non_null(child);
	walk(k->map, child, sub);
}

/* Both sides must name the same keys, the same required keys and the
 * same enum values; unknown keys must be refused on both. */
static void
walk(const struct nsf_schema_map *m, json_t *obj, const char *path)
{
	json_t *props = json_object_get(obj, "properties");
	json_t *req = json_object_get(obj, "required");
	const char *name;
	json_t *v;
	size_t i;

	assert_non_null(props);
	if (!json_is_false(json_object_get(obj, "additionalProperties"))) {
		print_error("%s: additionalProperties is not false\n", path);
	}
	assert_true(json_is_false(json_object_get(obj,
	    "additionalProperties")));
	json_object_foreach(props, name, v) {
		if (nsf_schema_find(m, name) == NULL) {
			print_error("%s.%s: in the JSON Schema only\n", path,
			    name);
		}
		assert_non_null(nsf_schema_find(m, name));
	}
	for (i = 0; i < m->nkeys; i++) {
		const struct nsf_schema_key *k = &m->keys[i];
		json_t *ps = json_object_get(props, k->name);
		bool required = (k->flags & NSF_SK_REQUIRED) != 0;

		if (ps == NULL) {
			print_error("%s.%s: in the loader only\n", path,
			    k->name);
		}
		assert_non_null(ps);
		if (required != json_has_string(req, k->name)) {
			print_error("%s.%s: required in one and not the "
			    "other\n", path, k->name);
		}
		assert_int_equal(required, json_has_string(req, k->name));
		compare_type(k, ps, path);
		if (k->type == NSF_ST_ENUM) {
			compare_enum(k, ps, path);
		}
		if (k->map != NULL) {
			descend(k, ps, path);
		}
	}
	assert_int_equal(json_object_size(props), m->nkeys);
}

static void
test_schema_jsonschema_same_keys(void **state)
{
	(void)state;
	walk(&nsf_schema_top, root, "policy");
}

/* Where each integer key of the JSON Schema sits in a policy: the loader
 * must accept its minimum and maximum and refuse one beyond each. */
static const struct {
	const char *pointer;    /* into the JSON Schema */
	const char *policy;     /* with %u where the value goes */
} ranges[] = {
	{ "/$defs/health/properties/retries",
	  "version: 1\ndefaults: { health: { retries: %u } }\n" },
	{ "/$defs/health/properties/fail_after",
	  "version: 1\ndefaults: { health: { fail_after: %u } }\n" },
	{ "/$defs/health/properties/recover_after",
	  "version: 1\ndefaults: { health: { recover_after: %u }, "
	  "failback: { mode: manual } }\n" },
	{ "/$defs/flap/properties/max_changes",
	  "version: 1\ndefaults: { flap: { max_changes: %u } }\n" },
	{ "/$defs/provider/properties/port",
	  "version: 1\nproviders: { a: { port: %u, nameservers: "
	  "[ns1.a.example, ns2.a.example] } }\n" },
	{ "/$defs/target/properties/port",
	  "version: 1\ncanaries: { targets: [ { address: 192.0.2.9, "
	  "port: %u } ] }\n" },
	{ "/$defs/registry/properties/min_nameservers",
	  "version: 1\nregistries: { r: { type: exec, command: [x], "
	  "min_nameservers: %u } }\n" },
	{ "/$defs/registry/properties/max_nameservers",
	  "version: 1\nregistries: { r: { type: exec, command: [x], "
	  "min_nameservers: 1, max_nameservers: %u } }\n" },
};

static bool
loads(const char *fmt, unsigned v)
{
	struct nsf_policy *p;
	struct nsf_diags d;
	const char *at = strstr(fmt, "%u");
	char text[512];
	int rc;

	assert_non_null(at);
	snprintf(text, sizeof(text), "%.*s%u%s", (int)(at - fmt), fmt, v,
	    at + 2);
	rc = load_text(&p, &d, text);
	nsf_policy_free(p);
	nsf_diags_deinit(&d);
	return rc == 0;
}

static void
test_schema_jsonschema_same_ranges(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSF_ARRAY_SIZE(ranges); i++) {
		json_t *s = json_pointer(ranges[i].pointer);
		json_int_t min, max;

		assert_non_null(s);
		min = json_integer_value(json_object_get(s, "minimum"));
		max = json_integer_value(json_object_get(s, "maximum"));
		if (!json_is_integer(json_object_get(s, "maximum")) ||
		    !loads(ranges[i].policy, (unsigned)min) ||
		    !loads(ranges[i].policy, (unsigned)max) ||
		    (min > 0 && loads(ranges[i].policy, (unsigned)min - 1)) ||
		    loads(ranges[i].policy, (unsigned)max + 1)) {
			print_error("%s: the loader's range is not %lld to "
			    "%lld\n", ranges[i].pointer, (long long)min,
			    (long long)max);
			fail();
		}
	}
}

static void
test_schema_jsonschema_is_draft_2020_12(void **state)
{
	(void)state;
	assert_string_equal(json_string_value(json_object_get(root,
	    "$schema")), "https://json-schema.org/draft/2020-12/schema");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_jsonschema_same_keys),
		cmocka_unit_test(test_schema_jsonschema_same_ranges),
		cmocka_unit_test(test_schema_jsonschema_is_draft_2020_12),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
