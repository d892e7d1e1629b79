/* keys.h - the policy format's key tables: what the loader accepts. */
#ifndef NSF_SCHEMA_KEYS_H
#define NSF_SCHEMA_KEYS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Every map of the format has a table of the keys it accepts.  The loader
 * reports unknown and missing keys from these tables, and a unit test
 * walks them side by side with schema/nsfailover-policy.schema.json so the
 * editor schema and the loader cannot drift apart.
 */
enum nsf_schema_type {
	NSF_ST_STRING = 0,
	NSF_ST_NAME,            /* a DNS name */
	NSF_ST_INT,
	NSF_ST_BOOL,
	NSF_ST_DURATION,        /* "90s", "15m", "1h", "250ms" */
	NSF_ST_ENUM,            /* one of `enums` */
	NSF_ST_MAP,             /* fixed keys: `map` */
	NSF_ST_DICT,            /* keys chosen by the user; values: `map` */
	NSF_ST_LIST,            /* items: `map` when maps, else scalars */
	NSF_ST_OTHER,           /* a union the loader checks by hand */
};

#define NSF_SK_REQUIRED 0x1u

struct nsf_schema_map;

struct nsf_schema_key {
	const char *name;
	enum nsf_schema_type type;
	unsigned flags;                         /* NSF_SK_* */
	const char *const *enums;               /* NULL-terminated */
	const struct nsf_schema_map *map;       /* nested keys, or NULL */
};

struct nsf_schema_map {
	const char *what;       /* "health", "registry", ... for messages */
	const struct nsf_schema_key *keys;
	size_t nkeys;
};

/* The top level of a policy file; every other table hangs off it. */
extern const struct nsf_schema_map nsf_schema_top;

/* Named tables the loader checks maps against. */
extern const struct nsf_schema_map nsf_schema_defaults;
extern const struct nsf_schema_map nsf_schema_health;
extern const struct nsf_schema_map nsf_schema_readiness;
extern const struct nsf_schema_map nsf_schema_record;
extern const struct nsf_schema_map nsf_schema_failback;
extern const struct nsf_schema_map nsf_schema_flap;
extern const struct nsf_schema_map nsf_schema_canaries;
extern const struct nsf_schema_map nsf_schema_target;
extern const struct nsf_schema_map nsf_schema_provider;
extern const struct nsf_schema_map nsf_schema_nameserver;
extern const struct nsf_schema_map nsf_schema_registry;
extern const struct nsf_schema_map nsf_schema_domain;
extern const struct nsf_schema_map nsf_schema_dnssec;

extern const char *const nsf_schema_mode_names[];      /* by nsf_mode */
extern const char *const nsf_schema_ready_names[];
extern const char *const nsf_schema_failback_names[];
extern const char *const nsf_schema_drift_names[];
extern const char *const nsf_schema_regtype_names[];
extern const char *const nsf_schema_host_model_names[];

const struct nsf_schema_key *nsf_schema_find(const struct nsf_schema_map *m,
    const char *name);

#endif
