/* policy.h - the typed delegation policy (format version 1). */
#ifndef NSF_POLICY_H
#define NSF_POLICY_H

#include "../reconciler/nsf.h"

/*
 * A policy is loaded from one YAML file or a directory of *.yaml files
 * merged together (from disk, or from the tree of a git commit).  Every
 * structure below is owned by the nsf_policy it hangs off and freed with
 * nsf_policy_free().  Names (domains, nameservers) are stored in one form:
 * A-labels, lower case, without the trailing dot.  Durations are in
 * milliseconds.  The reference for every key is docs/policy.md.
 */

/* Where a value was written, for messages: "policy/domains.yaml:12:7". */
struct nsf_pos {
	const char *file;       /* path as given to the loader; not owned */
	unsigned line;          /* 1-based; 0 when unknown */
	unsigned col;           /* 1-based */
};

struct nsf_nameserver {
	char *name;             /* A-label, lower case, no trailing dot */
	char **addrs;           /* glue / probe addresses, textual IPv4/6 */
	size_t naddrs;          /* 0: resolve through the resolver */
	struct nsf_pos pos;
};

struct nsf_provider {
	char *name;             /* policy key, e.g. "provider-a" */
	struct nsf_nameserver *ns;
	size_t nns;
	uint16_t port;          /* port to probe, default 53 */
	struct nsf_pos pos;
};

enum nsf_registry_type {
	NSF_REGISTRY_EPP = 0,
	NSF_REGISTRY_DNS_UPDATE,
	NSF_REGISTRY_EXEC,
};

enum nsf_host_model {
	NSF_HOST_AUTO = 0,      /* EPP: objects when host-1.0 is offered */
	NSF_HOST_OBJECTS,
	NSF_HOST_ATTRIBUTES,
};

/* A server to ask: address or host name, and port. */
struct nsf_endpoint {
	char *host;
	uint16_t port;
};

struct nsf_registry {
	char *name;             /* policy key */
	enum nsf_registry_type type;
	struct nsf_endpoint server;     /* epp: registry; dns-update: the
					 * parent's primary; unused by exec */
	char *credentials;      /* name of an entry in the secrets file */
	char *zone;             /* dns-update: the parent zone */
	char *ca_file;          /* epp: CA bundle; NULL = system default */
	char **command;         /* exec: argv, NULL-terminated */
	size_t ncommand;
	uint64_t timeout_ms;    /* per operation, default 30s */
	unsigned min_ns;        /* minimum nameservers per domain, default 2 */
	unsigned max_ns;        /* maximum, default 13 */
	enum nsf_host_model host_model;
	/* Servers of the parent zone asked after a change until they serve
	 * the new set; none = verify only through the registry. */
	struct nsf_endpoint *verify;
	size_t nverify;
	struct nsf_pos pos;
};

enum nsf_mode {
	NSF_MODE_FAILOVER = 0,  /* swap the whole set to one group */
	NSF_MODE_PRUNE,         /* keep every healthy listed provider */
};

enum nsf_readiness_mode {
	NSF_READY_SERIAL = 0,   /* SOA serial not behind (RFC 1982) */
	NSF_READY_RECORDS,      /* the named RRsets must match */
	NSF_READY_NONE,
};

enum nsf_failback_mode {
	NSF_FAILBACK_AUTO = 0,
	NSF_FAILBACK_MANUAL,
};

enum nsf_drift_mode {
	NSF_DRIFT_REPORT = 0,   /* log, record and notify; change nothing */
	NSF_DRIFT_CORRECT,      /* put back what the policy wants */
};

struct nsf_health_cfg {
	uint64_t interval_ms;   /* one probe round, default 10s */
	uint64_t timeout_ms;    /* per query, default 2s */
	unsigned retries;       /* extra tries per query, default 1 */
	unsigned fail_after;    /* bad rounds to go down, default 3 */
	unsigned recover_after; /* good rounds to come back, default 5 */
	unsigned quorum;        /* healthy addresses needed; 0 = majority */
};

struct nsf_rrspec {
	char *name;             /* owner, absolute, lower case; "@" resolved */
	uint16_t type;          /* RR type number (ldns_rr_type) */
};

struct nsf_readiness_cfg {
	enum nsf_readiness_mode mode;
	struct nsf_rrspec *records;     /* NSF_READY_RECORDS only */
	size_t nrecords;
};

struct nsf_failback_cfg {
	enum nsf_failback_mode mode;
	uint64_t hold_down_ms;  /* healthy this long before failing back,
				 * default 15m */
};

struct nsf_flap_cfg {
	unsigned max_changes;   /* changes allowed per window, default 4 */
	uint64_t window_ms;     /* default 1h */
};

/* A group of providers that serve the domain together. */
struct nsf_group {
	char *label;            /* "provider-b" or "provider-a+provider-b" */
	struct nsf_provider **providers;        /* not owned */
	size_t nproviders;
	char **ds;              /* DS records ("keytag alg digesttype hex")
				 * to publish when this group is active */
	size_t nds;
	struct nsf_pos pos;
};

struct nsf_domain {
	char *name;             /* A-label, lower case, no trailing dot */
	struct nsf_registry *registry;  /* not owned */
	struct nsf_group primary;
	struct nsf_group *backups;      /* in order of preference */
	size_t nbackups;
	enum nsf_mode mode;
	struct nsf_health_cfg health;
	struct nsf_readiness_cfg readiness;
	struct nsf_failback_cfg failback;
	struct nsf_flap_cfg flap;
	enum nsf_drift_mode drift;
	bool suspend;           /* observe and report, never change */
	const struct nsf_group *pin;    /* NULL, &primary or &backups[i] */
	struct nsf_pos pos;
};

struct nsf_canary {
	struct nsf_endpoint server;     /* address (literal IP) and port */
	char *qname;            /* default "." */
	uint16_t qtype;         /* default SOA */
	struct nsf_pos pos;
};

struct nsf_policy {
	unsigned version;       /* 1 */
	struct nsf_provider *providers;
	size_t nproviders;
	struct nsf_registry *registries;
	size_t nregistries;
	struct nsf_domain *domains;     /* sorted by name */
	size_t ndomains;
	struct nsf_canary *canaries;
	size_t ncanaries;
	unsigned canary_min_ok; /* canaries that must answer; default 1 */
	char **files;           /* the files read, for nsf_pos.file */
	size_t nfiles;
	void *arena;            /* private: where everything above lives */
};

enum nsf_diag_severity {
	NSF_DIAG_ERROR = 0,
	NSF_DIAG_WARNING,
	NSF_DIAG_NOTE,          /* extra context for the diagnostic before */
};

/* One problem found in a policy, reported compiler-style:
 *   policy/domains.yaml:12:7: error: unknown key 'primay'
 *       (did you mean 'primary'?) */
struct nsf_diag {
	enum nsf_diag_severity severity;
	char *file;
	unsigned line;
	unsigned col;
	char *code;             /* stable identifier, e.g. "unknown-key" */
	char *message;
	char *hint;             /* what would be right; may be NULL */
};

/* Diagnostics kept; beyond them a hostile input (a million unknown
 * keys) is counted, not stored, so reporting it stays cheap. */
#define NSF_DIAGS_MAX 1000

struct nsf_diags {
	struct nsf_diag *v;
	size_t n;
	size_t cap;
	size_t nerrors;         /* all found, kept or not */
	size_t nwarnings;
	size_t nhidden;         /* found past NSF_DIAGS_MAX: counted only */
};

void nsf_diags_init(struct nsf_diags *d);
void nsf_diags_deinit(struct nsf_diags *d);
void nsf_diags_add(struct nsf_diags *d, enum nsf_diag_severity sev,
    const char *file, unsigned line, unsigned col, const char *code,
    const char *hint, const char *fmt, ...) NSF_PRINTF(8, 9);
/* Writes the diagnostics as text ("file:line:col: error: msg") or as a
 * JSON document into `out`; either says how many were not kept. */
void nsf_diags_format_text(const struct nsf_diags *d, struct nsf_buf *out);
void nsf_diags_format_json(const struct nsf_diags *d, struct nsf_buf *out);

/* One input file held in memory (from disk or a git blob). */
struct nsf_policy_file {
	const char *name;       /* shown in messages */
	const char *data;
	size_t len;
};

/* Hard limits a hostile policy cannot pass: they bound the memory and
 * time a check may take (a generated policy of 100,000 domains is about
 * 13 MiB and 1.5 million values). */
#define NSF_POLICY_MAX_FILE_BYTES (16u * 1024 * 1024)
#define NSF_POLICY_MAX_TOTAL_BYTES (64u * 1024 * 1024)  /* all files */
#define NSF_POLICY_MAX_VALUES 5000000u  /* keys, values and list items */
#define NSF_POLICY_MAX_DEPTH 32

/*
 * Loads and checks a policy.  Returns 0 and sets *out when it is valid
 * (warnings are allowed), NSF_EINVAL with the problems in `diags` when it
 * is not, or NSF_ERROR / NSF_ENOTFOUND when the files could not be read.
 * `diags` may collect diagnostics either way.
 */
int nsf_policy_load_files(struct nsf_policy **out,
    const struct nsf_policy_file *files, size_t nfiles,
    struct nsf_diags *diags);
/* `path` is a file or a directory of *.yaml files (not recursive). */
int nsf_policy_load_path(struct nsf_policy **out, const char *path,
    struct nsf_diags *diags);
void nsf_policy_free(struct nsf_policy *p);

const struct nsf_domain *nsf_policy_domain(const struct nsf_policy *p,
    const char *name);
const struct nsf_provider *nsf_policy_provider(const struct nsf_policy *p,
    const char *name);
const struct nsf_registry *nsf_policy_registry(const struct nsf_policy *p,
    const char *name);

/* A stable digest of everything the policy says about one domain
 * (lower-case hex SHA-256, 64 characters and a NUL): a manual failback
 * waits until this changes. */
void nsf_domain_fingerprint(char out[65], const struct nsf_domain *d);

/* Collects every nameserver name of a group into `out` (initialised by
 * the call), sorted and unique. */
void nsf_group_nameservers(struct nsf_strv *out, const struct nsf_group *g);

#endif
