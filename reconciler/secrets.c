/* secrets.c - load credentials from a mode-0600 YAML file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "secrets.h"

#define SECRETS_MAX_BYTES (1024 * 1024)

struct secret_field {
	char *credential;
	char *field;
	char *value;
};

struct nsf_secrets {
	char *path;
	struct secret_field *v;
	size_t n;
	size_t cap;
};

static void
secrets_add(struct nsf_secrets *s, const char *cred, const char *field,
    const char *value)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = nsf_xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n].credential = nsf_xstrdup(cred);
	s->v[s->n].field = nsf_xstrdup(field);
	s->v[s->n].value = nsf_xstrdup(value);
	s->n++;
}

static const char *
scalar(yaml_document_t *doc, yaml_node_t *node)
{
	if (node == NULL || node->type != YAML_SCALAR_NODE) {
		return NULL;
	}
	(void)doc;
	return (const char *)node->data.scalar.value;
}

/* The file is a map of maps of scalars; anything else is refused with the
 * position, never with the value (it may be a secret). */
static int
secrets_walk(struct nsf_secrets *s, yaml_document_t *doc)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	yaml_node_pair_t *p, *q;

	if (root == NULL) {
		return nsf_error_set(NSF_EINVAL, "%s: the file is empty",
		    s->path);
	}
	if (root->type != YAML_MAPPING_NODE) {
		return nsf_error_set(NSF_EINVAL, "%s:%zu:%zu: expected a map "
		    "of credential names", s->path,
		    root->start_mark.line + 1, root->start_mark.column + 1);
	}
	for (p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *cred = scalar(doc, k);

		if (cred == NULL || v == NULL ||
		    v->type != YAML_MAPPING_NODE) {
			return nsf_error_set(NSF_EINVAL, "%s:%zu:%zu: each "
			    "credential must be a map of fields", s->path,
			    k->start_mark.line + 1,
			    k->start_mark.column + 1);
		}
		if (nsf_secrets_has(s, cred)) {
			return nsf_error_set(NSF_EINVAL, "%s:%zu:%zu: "
			    "credential '%s' is defined twice", s->path,
			    k->start_mark.line + 1,
			    k->start_mark.column + 1, cred);
		}
		for (q = v->data.mapping.pairs.start;
		    q < v->data.mapping.pairs.top; q++) {
			yaml_node_t *fk = yaml_document_get_node(doc, q->key);
			yaml_node_t *fv = yaml_document_get_node(doc,
			    q->value);
			const char *field = scalar(doc, fk);
			const char *value = scalar(doc, fv);

			if (field == NULL || value == NULL) {
				return nsf_error_set(NSF_EINVAL,
				    "%s:%zu:%zu: field of '%s' must be a "
				    "plain string", s->path,
				    fk->start_mark.line + 1,
				    fk->start_mark.column + 1, cred);
			}
			secrets_add(s, cred, field, value);
		}
	}
	return 0;
}

int
nsf_secrets_parse(struct nsf_secrets **out, const char *name,
    const char *data, size_t len)
{
	struct nsf_secrets *s;
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc;

	{
		unsigned ln, cl;

		if (nsf_yaml_depth_check(data, len, NSF_YAML_MAX_DEPTH, &ln,
		    &cl) < 0) {
			return nsf_error_set(NSF_EINVAL, "%s:%u:%u: %s", name,
			    ln, cl, nsf_error_last());
		}
	}
	s = nsf_xcalloc(1, sizeof(*s));
	s->path = nsf_xstrdup(name);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data,
	    len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = nsf_error_set(NSF_EINVAL, "%s:%zu:%zu: %s", name,
		    parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1,
		    parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		nsf_secrets_free(s);
		return rc;
	}
	rc = secrets_walk(s, &doc);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc < 0) {
		nsf_secrets_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int
nsf_secrets_load(struct nsf_secrets **out, const char *path)
{
	struct stat st;
	size_t len;
	char *data;
	int rc;

	if (stat(path, &st) < 0) {
		return nsf_error_set(errno == ENOENT ? NSF_ENOTFOUND :
		    NSF_ERROR, "secrets file %s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		return nsf_error_set(NSF_EINVAL, "secrets file %s: not a "
		    "regular file", path);
	}
	if ((st.st_mode & 077) != 0) {
		return nsf_error_set(NSF_EINVAL, "secrets file %s: mode %03o "
		    "lets others read it; run 'chmod 600 %s'", path,
		    (unsigned)(st.st_mode & 0777), path);
	}
	if (st.st_uid != geteuid()) {
		return nsf_error_set(NSF_EINVAL, "secrets file %s: owned by "
		    "uid %u, not by the user running nsfailover (uid %u)",
		    path, (unsigned)st.st_uid, (unsigned)geteuid());
	}
	rc = nsf_file_read(&data, &len, path, SECRETS_MAX_BYTES);
	if (rc < 0) {
		return rc;
	}
	rc = nsf_secrets_parse(out, path, data, len);
	explicit_bzero(data, len);
	free(data);
	return rc;
}

void
nsf_secrets_free(struct nsf_secrets *s)
{
	size_t i;

	if (s == NULL) {
		return;
	}
	for (i = 0; i < s->n; i++) {
		explicit_bzero(s->v[i].value, strlen(s->v[i].value));
		free(s->v[i].credential);
		free(s->v[i].field);
		free(s->v[i].value);
	}
	free(s->v);
	free(s->path);
	free(s);
}

const char *
nsf_secrets_get(const struct nsf_secrets *s, const char *credential,
    const char *field)
{
	size_t i;

	if (s == NULL) {
		return NULL;
	}
	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].credential, credential) == 0 &&
		    strcmp(s->v[i].field, field) == 0) {
			return s->v[i].value;
		}
	}
	return NULL;
}

bool
nsf_secrets_has(const struct nsf_secrets *s, const char *credential)
{
	size_t i;

	for (i = 0; s != NULL && i < s->n; i++) {
		if (strcmp(s->v[i].credential, credential) == 0) {
			return true;
		}
	}
	return false;
}

int
nsf_secrets_require(const char **out, const struct nsf_secrets *s,
    const char *credential, const char *field)
{
	const char *v = nsf_secrets_get(s, credential, field);

	if (v != NULL) {
		*out = v;
		return 0;
	}
	if (s == NULL) {
		return nsf_error_set(NSF_ENOTFOUND, "credential '%s' needs "
		    "a secrets file (secrets: in the daemon configuration)",
		    credential);
	}
	if (!nsf_secrets_has(s, credential)) {
		return nsf_error_set(NSF_ENOTFOUND, "%s: no credential "
		    "named '%s'", s->path, credential);
	}
	return nsf_error_set(NSF_ENOTFOUND, "%s: credential '%s' has no "
	    "field '%s'", s->path, credential, field);
}

void
nsf_secrets_fields(const struct nsf_secrets *s, const char *credential,
    struct nsf_strv *out)
{
	size_t i;

	for (i = 0; s != NULL && i < s->n; i++) {
		if (strcmp(s->v[i].credential, credential) == 0) {
			nsf_strv_push(out, s->v[i].field);
		}
	}
}

void
nsf_secrets_values(const struct nsf_secrets *s, struct nsf_strv *out)
{
	size_t i;

	for (i = 0; s != NULL && i < s->n; i++) {
		nsf_strv_push(out, s->v[i].value);
	}
}
