/* cmd_plan.c - 'nsfailover plan' and 'nsfailover status': one dry pass
 * over real probes and registry reads. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "engine.h"
#include "log.h"
#include "plan_format.h"

static const char plan_usage[] =
    "usage: nsfailover plan [DOMAIN...] [--config FILE | --policy PATH]\n"
    "         [--format text|markdown|json] [OPTIONS]\n"
    "\n"
    "One dry pass: probes every provider once, reads the live delegation\n"
    "at each domain's registry and says what the daemon would change and\n"
    "why.  Nothing is changed and nothing is recorded.\n"
    "\n"
    "  --config FILE      daemon configuration: the policy comes from its\n"
    "                     repository, secrets and resolvers from it too\n"
    "                     (default " NSF_CONFIG_DEFAULT_PATH " when it\n"
    "                     exists)\n"
    "  --policy PATH      plan this policy (file or directory) instead,\n"
    "                     e.g. a pull request's checkout\n"
    "  --secrets FILE     registry credentials (default: the config's)\n"
    "  --state-repo PATH  repository holding the state branch (default:\n"
    "                     the daemon's cache, else the remote's)\n"
    "  --resolver ADDR    resolver for nameserver names without glue\n"
    "  --format FMT       text (default), markdown (for a pull-request\n"
    "                     comment) or json\n"
    "  --rounds N         probe rounds (default 1: thresholds count as 1\n"
    "                     and the hold-down as passed)\n"
    "  --all              list domains with nothing to report too\n"
    "\n"
    "Exit status: 0 nothing would change, 2 a change would be applied,\n"
    "1 an error (a domain could not be probed, read or planned).\n";

static const char status_usage[] =
    "usage: nsfailover status [DOMAIN...] [--config FILE | --policy PATH]\n"
    "         [--format text|markdown|json] [OPTIONS]\n"
    "\n"
    "Per domain: the group the registry delegates to, each group's\n"
    "health, the last change recorded, anything pending, registry\n"
    "statuses that would block a change, and how long a switch would take\n"
    "to reach resolvers (from the parent's and the zone's NS TTLs).\n"
    "Health comes from one probe round made now.\n"
    "\n"
    "  --config FILE      daemon configuration (default\n"
    "                     " NSF_CONFIG_DEFAULT_PATH " when it exists)\n"
    "  --policy PATH      use this policy instead of the repository's\n"
    "  --secrets FILE     registry credentials (default: the config's)\n"
    "  --state-repo PATH  repository holding the state branch\n"
    "  --resolver ADDR    resolver for nameserver names without glue\n"
    "  --format FMT       text (default), markdown or json\n"
    "  --rounds N         probe rounds (default 1)\n"
    "\n"
    "Exit status: 0, or 1 when a domain could not be read.\n";

struct plan_args {
	struct nsf_engine_opts eo;
	struct nsf_strv resolvers;
	struct nsf_strv domains;
	enum nsf_plan_format fmt;
	unsigned rounds;
	bool all;
};

static int
parse_args(struct plan_args *a, int argc, char **argv, const char *prog)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'p' },
		{ "secrets", required_argument, NULL, 's' },
		{ "state-repo", required_argument, NULL, 'S' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long v;
	int c;

	memset(a, 0, sizeof(*a));
	nsf_strv_init(&a->resolvers);
	nsf_strv_init(&a->domains);
	a->rounds = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': a->eo.config_path = optarg; break;
		case 'p': a->eo.policy_path = optarg; break;
		case 's': a->eo.secrets_path = optarg; break;
		case 'S': a->eo.state_repo = optarg; break;
		case 'r': nsf_strv_push(&a->resolvers, optarg); break;
		case 'a': a->all = true; break;
		case 'f':
			if (nsf_plan_format_parse(&a->fmt, optarg) < 0) {
				fprintf(stderr, "%s: --format: '%s' is not one "
				    "of text, markdown, json\n", prog, optarg);
				return NSF_EINVAL;
			}
			break;
		case 'n':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 1 || v > 100) {
				fprintf(stderr, "%s: --rounds: '%s' is not a "
				    "number from 1 to 100\n", prog, optarg);
				return NSF_EINVAL;
			}
			a->rounds = (unsigned)v;
			break;
		default:
			fprintf(stderr, "%s: unknown or incomplete option "
			    "'%s'; see '%s --help'\n", prog, argv[optind - 1],
			    prog);
			return NSF_EINVAL;
		}
	}
	for (; optind < argc; optind++) {
		nsf_strv_push(&a->domains, argv[optind]);
	}
	if (a->eo.config_path == NULL &&
	    access(NSF_CONFIG_DEFAULT_PATH, R_OK) == 0) {
		a->eo.config_path = NSF_CONFIG_DEFAULT_PATH;
	}
	if (a->eo.config_path == NULL && a->eo.policy_path == NULL) {
		fprintf(stderr, "%s: no policy: give --config FILE (the daemon "
		    "configuration) or --policy PATH\n", prog);
		return NSF_EINVAL;
	}
	a->eo.resolvers = &a->resolvers;
	return 0;
}

static void
print_diags(const struct nsf_diags *d)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	nsf_diags_format_text(d, &b);
	if (b.len > 0) {
		fputs(b.data, stderr);
	}
	nsf_buf_deinit(&b);
}

static int
run_report(int argc, char **argv, const char *prog, const char *usage,
    unsigned flags)
{
	struct plan_args a;
	struct nsf_engine *e = NULL;
	struct nsf_diags diags;
	int status = 1;

	if (nsf_cmd_wants_help(argc, argv, usage)) {
		return 0;
	}
	nsf_diags_init(&diags);
	/* Commands print their report; the log only says what went wrong. */
	nsf_log_set_level_all(NSF_LOG_WARNING);
	nsf_log_set_level(NSF_SRC_PROBE, NSF_LOG_ERROR);    /* in the report */
	nsf_log_set_level(NSF_SRC_REGISTRY, NSF_LOG_ERROR);
	if (parse_args(&a, argc, argv, prog) < 0) {
		goto out;
	}
	if (nsf_engine_open(&e, &a.eo, &diags) < 0) {
		print_diags(&diags);
		fprintf(stderr, "%s: %s\n", prog, nsf_error_last());
		goto out;
	}
	if (diags.nerrors > 0) {
		print_diags(&diags);
	}
	if (a.all) {
		flags |= NSF_FMT_ALL;
	}
	status = nsf_engine_report(e, &a.domains, a.rounds, (int)a.fmt,
	    flags, prog);
	if ((flags & NSF_FMT_STATUS) && status == 2) {
		status = 0;     /* status reports; only plan signals changes */
	}
out:
	nsf_engine_free(e);
	nsf_diags_deinit(&diags);
	nsf_strv_deinit(&a.resolvers);
	nsf_strv_deinit(&a.domains);
	return status;
}

int
nsf_cmd_plan(int argc, char **argv)
{
	return run_report(argc, argv, "nsfailover plan", plan_usage, 0);
}

int
nsf_cmd_status(int argc, char **argv)
{
	return run_report(argc, argv, "nsfailover status", status_usage,
	    NSF_FMT_STATUS | NSF_FMT_ALL);
}
