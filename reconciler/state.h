/* state.h - what nsfailover last did for a domain, as kept on the state
 * branch in state/<domain>.yaml. */
#ifndef NSF_STATE_H
#define NSF_STATE_H

#include "nsf.h"

/* An intent committed before a registry change; open until its outcome is
 * committed.  An open intent found at start-up is resolved by reading the
 * registry before anything else is done for the domain. */
struct nsf_intent {
	char *id;               /* unique; also our EPP client transaction id */
	char *action;           /* "failover", "failback", ... */
	char *target;           /* group label */
	struct nsf_strv from;   /* NS set observed before the change */
	struct nsf_strv to;     /* NS set wanted after it */
	int64_t at_ms;
};

struct nsf_domain_state {
	char *domain;
	char *active;           /* group label last set; NULL = never set */
	struct nsf_strv nameservers;    /* NS set last set or confirmed */
	int64_t since_ms;       /* when `active` took effect; 0 unknown */
	char *last_action;      /* "failover", "failback", "drift", ... */
	char *last_reason;
	char *policy_commit;    /* policy commit of the last decision */
	char *policy_fingerprint;       /* nsf_domain_fingerprint at the
					 * last failover, for manual failback */
	int64_t *changes_ms;    /* times of recent changes (flap budget),
				 * oldest first */
	size_t nchanges;
	bool has_intent;        /* an intent without an outcome */
	struct nsf_intent intent;
	bool pending;           /* the registry answered "pending" */
};

void nsf_domain_state_init(struct nsf_domain_state *s);
void nsf_domain_state_deinit(struct nsf_domain_state *s);
void nsf_domain_state_copy(struct nsf_domain_state *dst,
    const struct nsf_domain_state *src);
/* A state file is a few hundred bytes; anything near this is hostile. */
#define NSF_STATE_MAX_BYTES (256u * 1024)

/* Serialises to the YAML kept in state/<domain>.yaml, and back. */
void nsf_domain_state_format(const struct nsf_domain_state *s,
    struct nsf_buf *out);
int nsf_domain_state_parse(struct nsf_domain_state *out, const char *data,
    size_t len);
/* Drops change times older than now - window. */
void nsf_domain_state_trim_changes(struct nsf_domain_state *s, int64_t now_ms,
    uint64_t window_ms);

#endif
