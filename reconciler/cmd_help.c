/* cmd_help.c - help handling shared by every subcommand (outside main.c
 * so unit tests, which link without main.c, can link the commands). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

int
nsf_cmd_wants_help(int argc, char **argv, const char *text)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			break;
		}
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(text, stdout);
			return 1;
		}
	}
	return 0;
}
