/* cmd_config.c - 'nsfailover config check|show': the daemon configuration
 * checked the way 'validate' checks a policy. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"

static const char usage_text[] =
    "usage: nsfailover config check [FILE] [--format text|json] "
    "[--syntax-only]\n"
    "       nsfailover config show [FILE]\n\n"
    "check  reports every problem of the daemon configuration as\n"
    "       file:line:col: error: message, then checks what it points\n"
    "       at: the secrets file exists with mode 0600, every webhook\n"
    "       credential is in it, trusted key files are readable.\n"
    "show   prints the effective configuration, defaults filled in;\n"
    "       it holds credential names, never their values.\n\n"
    "FILE defaults to " NSF_CONFIG_DEFAULT_PATH ".\n\n"
    "Options:\n"
    "  --format text|json  how check reports (default text)\n"
    "  --syntax-only       check the file alone, not the files it names\n"
    "  -h, --help          this help\n\n"
    "Exit status: 0 usable (warnings allowed), 1 problems found,\n"
    "2 the file could not be read or the command line is wrong.\n";

struct config_opts {
	const char *action;
	const char *file;
	bool json;
	bool syntax_only;
};

static int
parse_args(struct config_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "syntax-only", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->file = NSF_CONFIG_DEFAULT_PATH;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:", longopts, NULL)) != -1) {
		if (c == 'f' && strcmp(optarg, "json") == 0) {
			o->json = true;
		} else if (c == 'f' && strcmp(optarg, "text") == 0) {
			o->json = false;
		} else if (c == 's') {
			o->syntax_only = true;
		} else {
			if (c == 'f') {
				fprintf(stderr, "nsfailover config: --format "
				    "is text or json, not '%s'\n", optarg);
			}
			return -1;
		}
	}
	return 0;
}

/* Accepts options before and after the positional arguments. */
static int
parse_cmdline(struct config_opts *o, int argc, char **argv)
{
	char **pos = nsf_xcalloc((size_t)argc + 1, sizeof(*pos));
	char **opt = nsf_xcalloc((size_t)argc + 1, sizeof(*opt));
	int npos = 0, nopt = 1, i, rc;

	opt[0] = argv[0];
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			opt[nopt++] = argv[i];
			if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
				opt[nopt++] = argv[++i];
			}
		} else {
			pos[npos++] = argv[i];
		}
	}
	rc = parse_args(o, nopt, opt);
	if (rc == 0 && (npos < 1 || npos > 2)) {
		rc = -1;
	}
	if (rc == 0) {
		o->action = pos[0];
		o->file = npos == 2 ? pos[1] : o->file;
	}
	free(pos);
	free(opt);
	return rc;
}

static void
report(const struct config_opts *o, const struct nsf_diags *d)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	if (o->json) {
		nsf_diags_format_json(d, &b);
		fputs(b.data ? b.data : "", stdout);
	} else {
		nsf_diags_format_text(d, &b);
		fputs(b.data ? b.data : "", stderr);
		if (d->nerrors == 0) {
			printf("%s: ok (%zu warning%s)\n", o->file,
			    d->nwarnings, d->nwarnings == 1 ? "" : "s");
		} else {
			printf("%s: %zu error%s, %zu warning%s\n", o->file,
			    d->nerrors, d->nerrors == 1 ? "" : "s",
			    d->nwarnings, d->nwarnings == 1 ? "" : "s");
		}
	}
	nsf_buf_deinit(&b);
}

static int
run(const struct config_opts *o)
{
	struct nsf_config *cfg = NULL;
	struct nsf_diags d;
	struct nsf_buf b;
	int rc;

	nsf_diags_init(&d);
	rc = nsf_config_load(&cfg, o->file, &d);
	if (rc < 0 && rc != NSF_EINVAL) {
		fprintf(stderr, "nsfailover config: %s\n", nsf_error_last());
		nsf_diags_deinit(&d);
		return 2;
	}
	if (rc == 0 && strcmp(o->action, "check") == 0 && !o->syntax_only) {
		nsf_config_check_files(cfg, &d, NULL);
	}
	if (strcmp(o->action, "check") == 0 || d.nerrors > 0) {
		report(o, &d);
	} else {
		nsf_buf_init(&b);
		nsf_diags_format_text(&d, &b);  /* warnings, if any */
		fputs(b.data ? b.data : "", stderr);
		nsf_buf_deinit(&b);
		nsf_buf_init(&b);
		nsf_config_format(cfg, &b);
		fputs(b.data, stdout);
		nsf_buf_deinit(&b);
	}
	rc = d.nerrors > 0 ? 1 : 0;
	nsf_config_free(cfg);
	nsf_diags_deinit(&d);
	return rc;
}

int
nsf_cmd_config(int argc, char **argv)
{
	struct config_opts o;

	if (nsf_cmd_wants_help(argc, argv, usage_text)) {
		return 0;
	}
	if (parse_cmdline(&o, argc, argv) < 0) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (strcmp(o.action, "check") != 0 && strcmp(o.action, "show") != 0) {
		fprintf(stderr, "nsfailover config: unknown action '%s' (use "
		    "check or show)\n", o.action);
		return 2;
	}
	return run(&o);
}
