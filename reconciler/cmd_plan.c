/* cmd_plan.c - 'nsfailover plan' (placeholder until its issue lands). */
#include <stdio.h>

#include "cmd.h"

int
nsf_cmd_plan(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "nsfailover plan: not built yet\n");
	return 2;
}
