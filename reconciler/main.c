/* main.c - the nsfailover binary: dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "nsf.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "validate", nsf_cmd_validate,
	  "check a policy's syntax and meaning (for pull-request CI)" },
	{ "plan", nsf_cmd_plan,
	  "one dry pass: what would change now, and why" },
	{ "run", nsf_cmd_run, "run the reconciler daemon" },
	{ "status", nsf_cmd_status,
	  "per domain: active group, health, last change, blockers" },
	{ "history", nsf_cmd_history,
	  "read the audit log on the state branch" },
	{ "probe", nsf_cmd_probe,
	  "one probe round: every nameserver's answer and verdicts" },
	{ "config", nsf_cmd_config,
	  "check or show the daemon configuration (check, show)" },
};

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: nsfailover COMMAND [OPTIONS]\n\n"
	    "Keeps domains reachable when a DNS provider fails: reads the\n"
	    "delegation policy from git, probes every provider, and moves\n"
	    "the delegation at the registry when the policy says so.\n\n"
	    "Commands:\n");
	for (i = 0; i < NSF_ARRAY_SIZE(commands); i++) {
		fprintf(out, "  %-9s %s\n", commands[i].name,
		    commands[i].summary);
	}
	fprintf(out, "\nRun 'nsfailover COMMAND --help' for a command's "
	    "options.\n");
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("nsfailover %s\n", NSF_VERSION);
		return 0;
	}
	for (i = 0; i < NSF_ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			return commands[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "nsfailover: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
