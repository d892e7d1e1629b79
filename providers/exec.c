/* exec.c - registry driver (placeholder until its issue lands). */
#include <stddef.h>

#include "registry.h"

static int
stub_open(struct nsf_registry_conn **out, const struct nsf_registry *cfg,
    const struct nsf_secrets *secrets)
{
	(void)out;
	(void)secrets;
	return nsf_error_set(NSF_ERROR, "registry '%s': driver not built yet",
	    cfg->name);
}

const struct nsf_registry_ops nsf_exec_ops = {
	.type = "exec",
	.open = stub_open,
};
