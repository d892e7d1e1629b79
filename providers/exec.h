/* exec.h - the exec driver's internals that unit tests reach. */
#ifndef NSF_EXEC_H
#define NSF_EXEC_H

#include "registry.h"

/* How a run of the hook ended, apart from its reply. */
struct exec_status {
	bool exited;            /* exited on its own (see code) */
	int code;               /* exit status, or the signal that killed it */
	bool timed_out;         /* killed by us at the registry timeout */
	bool too_big;           /* killed: stdout passed the limit */
	const char *stderr_head;        /* first lines of stderr, may be "" */
};

/* The JSON document the hook reads on stdin.  `chg` is NULL for observe.
 * Returns a new string. */
NSF_STATIC char *exec_request(const char *operation, const char *registry,
    const char *domain, const struct nsf_change *chg);

/* Judges an apply: exit status plus reply (stdout) into an outcome. */
NSF_STATIC void exec_apply_outcome(struct nsf_outcome *out,
    const struct exec_status *st, const char *reply, size_t len);

/* Judges an observe: fills `out` (initialised by the caller) from the
 * reply, or returns a negative code with the error set. */
NSF_STATIC int exec_observe_reply(struct nsf_delegation *out,
    const struct exec_status *st, const char *reply, size_t len);

/* "NSF_SECRET_" plus the field name, upper case, other characters '_'. */
NSF_STATIC char *exec_secret_var(const char *field);

#endif
