/* cmd_history.c - 'nsfailover history' (placeholder until its issue lands). */
#include <stdio.h>

#include "cmd.h"

int
nsf_cmd_history(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "nsfailover history: not built yet\n");
	return 2;
}
