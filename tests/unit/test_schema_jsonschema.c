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
		cmocka_unit_test(test_schema_jsonschema_is_draft_2020_12),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
