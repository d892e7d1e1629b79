/* cmd_probe.c - 'nsfailover probe' (placeholder until its issue lands). */
#include <stdio.h>

#include "cmd.h"

int
nsf_cmd_probe(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "nsfailover probe: not built yet\n");
	return 2;
}
