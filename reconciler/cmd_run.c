/* cmd_run.c - 'nsfailover run' (placeholder until its issue lands). */
#include <stdio.h>

#include "cmd.h"

int
nsf_cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "nsfailover run: not built yet\n");
	return 2;
}
