/* cmd_validate.c - 'nsfailover validate' (placeholder until its issue lands). */
#include <stdio.h>

#include "cmd.h"

int
nsf_cmd_validate(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "nsfailover validate: not built yet\n");
	return 2;
}
