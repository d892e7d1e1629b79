/* cmd_validate.c - 'nsfailover validate': the policy check for CI. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../schema/policy.h"
#include "cmd.h"

static const char usage[] =
    "usage: nsfailover validate [PATH] [--format text|json] [--strict]\n"
    "                           [--quiet]\n\n"
    "Checks a policy's syntax and meaning without touching any network.\n"
    "PATH is one policy file or a directory of *.yaml files merged\n"
    "together (default: ./policy when it exists, else the current\n"
    "directory).  Each problem is printed as FILE:LINE:COL: error: ...\n"
    "with what would be right.\n\n"
    "Options:\n"
    "  --format text|json  how to print the problems (default text)\n"
    "  --strict            warnings fail the check too\n"
    "  -q, --quiet         print problems only, no summary line\n"
    "  -h, --help          show this text\n\n"
    "Exit status: 0 valid, 1 invalid, 2 the policy could not be read\n"
    "(or the command line is wrong).\n";

struct validate_opts {
	const char *path;
	bool json;
	bool strict;
	bool quiet;
};

static int
parse_args(struct validate_opts *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		/* Not nsf_cmd_wants_help: main.c is not linked into the
		 * unit tests, and this file is. */
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			return 1;
		}
		if (strcmp(a, "--format") == 0 && i + 1 < argc) {
			a = argv[++i];
			if (strcmp(a, "json") != 0 && strcmp(a, "text") != 0) {
				fprintf(stderr, "nsfailover validate: --format "
				    "takes text or json, not '%s'\n", a);
				return -1;
			}
			o->json = strcmp(a, "json") == 0;
		} else if (strncmp(a, "--format=", 9) == 0) {
			if (strcmp(a + 9, "json") != 0 &&
			    strcmp(a + 9, "text") != 0) {
				fprintf(stderr, "nsfailover validate: --format "
				    "takes text or json, not '%s'\n", a + 9);
				return -1;
			}
			o->json = strcmp(a + 9, "json") == 0;
		} else if (strcmp(a, "--strict") == 0) {
			o->strict = true;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			o->quiet = true;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "nsfailover validate: unknown option "
			    "'%s' (see --help)\n", a);
			return -1;
		} else if (o->path == NULL) {
			o->path = a;
		} else {
			fprintf(stderr, "nsfailover validate: one PATH only "
			    "(got '%s' and '%s')\n", o->path, a);
			return -1;
		}
	}
	return 0;
}

static const char *
default_path(void)
{
	struct stat st;

	if (stat("policy", &st) == 0 && S_ISDIR(st.st_mode)) {
		return "policy";
	}
	return ".";
}

static void
print_summary(const struct validate_opts *o, const struct nsf_policy *p,
    const struct nsf_diags *d, bool valid)
{
	printf("%s: %s: %zu error%s, %zu warning%s", o->path,
	    valid ? "valid" : "invalid", d->nerrors,
	    d->nerrors == 1 ? "" : "s", d->nwarnings,
	    d->nwarnings == 1 ? "" : "s");
	if (p != NULL) {
		printf(" (%zu domain%s, %zu provider%s, %zu registr%s)",
		    p->ndomains, p->ndomains == 1 ? "" : "s", p->nproviders,
		    p->nproviders == 1 ? "" : "s", p->nregistries,
		    p->nregistries == 1 ? "y" : "ies");
	}
	if (!valid && d->nerrors == 0) {
		printf("; --strict counts warnings as errors");
	}
	printf("\n");
}

static void
print_json(const struct validate_opts *o, const struct nsf_policy *p,
    const struct nsf_diags *d, bool valid)
{
	struct nsf_buf b, diags;

	nsf_buf_init(&b);
	nsf_buf_init(&diags);
	nsf_buf_puts(&b, "{\"path\":");
	nsf_buf_put_json_string(&b, o->path);
	nsf_buf_printf(&b, ",\"valid\":%s,\"strict\":%s,",
	    valid ? "true" : "false", o->strict ? "true" : "false");
	if (p != NULL) {
		nsf_buf_printf(&b, "\"domains\":%zu,\"providers\":%zu,"
		    "\"registries\":%zu,", p->ndomains, p->nproviders,
		    p->nregistries);
	}
	/* The diagnostics document goes on without its opening brace. */
	nsf_diags_format_json(d, &diags);
	nsf_buf_puts(&b, diags.data + 1);
	fputs(b.data, stdout);
	nsf_buf_deinit(&diags);
	nsf_buf_deinit(&b);
}

/* Exit 2 as JSON too, so a CI step that parses stdout always has a
 * document: the reason is in "error", and nothing was checked. */
static void
print_unreadable_json(const struct validate_opts *o, const char *why)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	nsf_buf_puts(&b, "{\"path\":");
	nsf_buf_put_json_string(&b, o->path);
	nsf_buf_printf(&b, ",\"valid\":false,\"strict\":%s,\"error\":",
	    o->strict ? "true" : "false");
	nsf_buf_put_json_string(&b, why);
	nsf_buf_puts(&b, ",\"errors\":0,\"warnings\":0,\"not_shown\":0,"
	    "\"diagnostics\":[]}\n");
	fputs(b.data, stdout);
	nsf_buf_deinit(&b);
}

static int
report(const struct validate_opts *o, const struct nsf_policy *p,
    const struct nsf_diags *d)
{
	bool valid = p != NULL && !(o->strict && d->nwarnings > 0);
	struct nsf_buf b;

	if (o->json) {
		print_json(o, p, d, valid);
		return valid ? 0 : 1;
	}
	nsf_buf_init(&b);
	nsf_diags_format_text(d, &b);
	if (b.len > 0) {
		fputs(b.data, stdout);
	}
	nsf_buf_deinit(&b);
	if (!o->quiet) {
		print_summary(o, p, d, valid);
	}
	return valid ? 0 : 1;
}

int
nsf_cmd_validate(int argc, char **argv)
{
	struct validate_opts o;
	struct nsf_policy *p = NULL;
	struct nsf_diags d;
	int rc;

	rc = parse_args(&o, argc, argv);
	if (rc == 1) {
		fputs(usage, stdout);
		return 0;
	}
	if (rc != 0) {
		return 2;
	}
	if (o.path == NULL) {
		o.path = default_path();
	}
	nsf_diags_init(&d);
	rc = nsf_policy_load_path(&p, o.path, &d);
	if (rc != 0 && rc != NSF_EINVAL) {
		fprintf(stderr, "nsfailover validate: %s\n", nsf_error_last());
		if (o.json) {
			print_unreadable_json(&o, nsf_error_last());
		}
		nsf_diags_deinit(&d);
		return 2;
	}
	rc = report(&o, p, &d);
	nsf_policy_free(p);
	nsf_diags_deinit(&d);
	return rc;
}
