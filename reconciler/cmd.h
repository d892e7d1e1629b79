/* cmd.h - the subcommands of the nsfailover binary. */
#ifndef NSF_CMD_H
#define NSF_CMD_H

/*
 * Each subcommand parses its own arguments (argv[0] is the subcommand's
 * name), prints its own --help, and returns the process exit status.
 */
int nsf_cmd_validate(int argc, char **argv);
int nsf_cmd_plan(int argc, char **argv);
int nsf_cmd_run(int argc, char **argv);
int nsf_cmd_status(int argc, char **argv);
int nsf_cmd_history(int argc, char **argv);
int nsf_cmd_probe(int argc, char **argv);
int nsf_cmd_config(int argc, char **argv);

/* True when argv holds -h or --help; prints `usage` to stdout. */
int nsf_cmd_wants_help(int argc, char **argv, const char *usage);

#endif
