/* cmd_config.c - 'nsfailover config' (placeholder until its issue lands). */
#include <stdio.h>

#include "cmd.h"

int
nsf_cmd_config(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "nsfailover config: not built yet\n");
	return 2;
}
