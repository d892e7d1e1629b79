/* registry.h - one interface for every registry driver (EPP, DNS UPDATE,
 * exec): read the live delegation, apply one atomic change. */
#ifndef NSF_REGISTRY_H
#define NSF_REGISTRY_H

#include "../reconciler/nsf.h"
#include "../reconciler/secrets.h"
#include "../schema/policy.h"

/* A DS record as the parent publishes it. */
struct nsf_ds {
	uint16_t keytag;
	uint8_t alg;
	uint8_t digest_type;
	char *digest;           /* upper-case hex */
};

/* What the registry (or parent zone) holds for a domain today. */
struct nsf_delegation {
	struct nsf_strv ns;     /* nameserver names, lower case, sorted */
	struct nsf_ds *ds;
	size_t nds;
	struct nsf_strv statuses;       /* EPP statuses ("ok",
					 * "clientUpdateProhibited", ...) */
	uint32_t ns_ttl;        /* TTL of the NS set at the parent; 0 unknown */
	struct nsf_strv glue;   /* "name address" lines: the addresses the
				 * parent returns for the nameservers (DNS
				 * UPDATE; empty where unknown) */
};

void nsf_delegation_init(struct nsf_delegation *d);
void nsf_delegation_deinit(struct nsf_delegation *d);
/* Parses "keytag alg digesttype hex" (as written in the policy). */
int nsf_ds_parse(struct nsf_ds *out, const char *text);
void nsf_ds_deinit(struct nsf_ds *ds);
bool nsf_ds_equal(const struct nsf_ds *a, const struct nsf_ds *b);
/* Statuses that make any nameserver change impossible; returns the first
 * one found, or NULL. */
const char *nsf_delegation_blocking_status(const struct nsf_delegation *d);

/* One change to make in a single registry transaction. */
struct nsf_change {
	const char *domain;
	/* Nameservers to add: name plus the glue the policy gives (used only
	 * for names inside `domain`, judged by whole labels). */
	const struct nsf_nameserver *const *add;
	size_t nadd;
	const char *const *rem; /* nameserver names to remove */
	size_t nrem;
	/* The NS set just observed: DNS UPDATE uses it as its prerequisite,
	 * exec passes it on. */
	const struct nsf_strv *observed;
	bool ds_change;         /* also change DS in the same transaction */
	const struct nsf_ds *ds_add;
	size_t nds_add;
	const struct nsf_ds *ds_rem;
	size_t nds_rem;
	const char *target;     /* group label, for exec and logs */
	const char *client_trid;        /* ours; NULL = make one */
};

enum nsf_apply_result {
	NSF_APPLY_DONE = 0,     /* the registry made the change */
	NSF_APPLY_PENDING,      /* accepted, completes later (EPP 1001) */
	NSF_APPLY_REFUSED,      /* permanent refusal; do not retry as is */
	NSF_APPLY_CONFLICT,     /* the observed set changed under us: observe
				 * again and re-plan (DNS UPDATE prereq) */
	NSF_APPLY_UNKNOWN,      /* may or may not have happened: observe
				 * before any retry, never resend blindly */
	NSF_APPLY_FAILED,       /* nothing happened; safe to retry later */
};

struct nsf_outcome {
	enum nsf_apply_result result;
	int code;               /* EPP result code, DNS rcode, exit status */
	char *message;          /* human-readable, no secrets */
	char *client_trid;
	char *server_trid;
	bool config_problem;    /* our side is wrong (bad key, bad login) */
};

void nsf_outcome_init(struct nsf_outcome *o);
void nsf_outcome_deinit(struct nsf_outcome *o);
const char *nsf_apply_result_name(enum nsf_apply_result r);

struct nsf_registry_conn;

struct nsf_registry_ops {
	const char *type;       /* "epp", "dns-update", "exec" */
	int (*open)(struct nsf_registry_conn **out,
	    const struct nsf_registry *cfg, const struct nsf_secrets *secrets);
	/* Fills `out` (initialised by the caller). */
	int (*observe)(struct nsf_registry_conn *c, const char *domain,
	    struct nsf_delegation *out);
	/* Returns 0 whenever `out` says what happened (even a refusal);
	 * a negative value only when not even that is known. */
	int (*apply)(struct nsf_registry_conn *c, const struct nsf_change *chg,
	    struct nsf_outcome *out);
	/* Optional: read queued messages about pending changes (EPP poll).
	 * Writes the domains whose pending change completed into `done`. */
	int (*poll)(struct nsf_registry_conn *c, struct nsf_strv *done);
	/* Optional: keep the session alive; called when idle. */
	int (*keepalive)(struct nsf_registry_conn *c);
	void (*close)(struct nsf_registry_conn *c);
};

/* Every driver's connection starts with this. */
struct nsf_registry_conn {
	const struct nsf_registry_ops *ops;
	const struct nsf_registry *cfg;
};

extern const struct nsf_registry_ops nsf_epp_ops;
extern const struct nsf_registry_ops nsf_dnsupdate_ops;
extern const struct nsf_registry_ops nsf_exec_ops;

/* Opens a connection with the driver the registry's type names. */
int nsf_registry_open(struct nsf_registry_conn **out,
    const struct nsf_registry *cfg, const struct nsf_secrets *secrets);
int nsf_registry_observe(struct nsf_registry_conn *c, const char *domain,
    struct nsf_delegation *out);
int nsf_registry_apply(struct nsf_registry_conn *c,
    const struct nsf_change *chg, struct nsf_outcome *out);
void nsf_registry_close(struct nsf_registry_conn *c);

#endif
