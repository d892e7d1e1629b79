/* keys.c - the key tables of policy format version 1 (see keys.h). */
#include <string.h>

#include "keys.h"

#define KEYS(name, what, ...) \
	static const struct nsf_schema_key name##_keys[] = { __VA_ARGS__ }; \
	const struct nsf_schema_map name = { what, name##_keys, \
	    sizeof(name##_keys) / sizeof(name##_keys[0]) }

/* Indexed by the enums of policy.h, NULL-terminated for the tables. */
const char *const nsf_schema_mode_names[] = { "failover", "prune", NULL };
const char *const nsf_schema_ready_names[] = {
	"serial", "records", "none", NULL,
};
const char *const nsf_schema_failback_names[] = { "auto", "manual", NULL };
const char *const nsf_schema_drift_names[] = { "report", "correct", NULL };
const char *const nsf_schema_regtype_names[] = {
	"epp", "dns-update", "exec", NULL,
};
const char *const nsf_schema_host_model_names[] = {
	"auto", "objects", "attributes", NULL,
};

KEYS(nsf_schema_health, "health",
	{ "interval", NSF_ST_DURATION, 0, NULL, NULL },
	{ "timeout", NSF_ST_DURATION, 0, NULL, NULL },
	{ "retries", NSF_ST_INT, 0, NULL, NULL },
	{ "fail_after", NSF_ST_INT, 0, NULL, NULL },
	{ "recover_after", NSF_ST_INT, 0, NULL, NULL },
	{ "quorum", NSF_ST_OTHER, 0, NULL, NULL },
);

KEYS(nsf_schema_record, "readiness record",
	{ "name", NSF_ST_STRING, NSF_SK_REQUIRED, NULL, NULL },
	{ "type", NSF_ST_STRING, NSF_SK_REQUIRED, NULL, NULL },
);

KEYS(nsf_schema_readiness, "readiness",
	{ "mode", NSF_ST_ENUM, 0, nsf_schema_ready_names, NULL },
	{ "records", NSF_ST_LIST, 0, NULL, &nsf_schema_record },
);

KEYS(nsf_schema_failback, "failback",
	{ "mode", NSF_ST_ENUM, 0, nsf_schema_failback_names, NULL },
	{ "hold_down", NSF_ST_DURATION, 0, NULL, NULL },
);

KEYS(nsf_schema_flap, "flap",
	{ "max_changes", NSF_ST_INT, 0, NULL, NULL },
	{ "window", NSF_ST_DURATION, 0, NULL, NULL },
);

KEYS(nsf_schema_defaults, "defaults",
	{ "mode", NSF_ST_ENUM, 0, nsf_schema_mode_names, NULL },
	{ "health", NSF_ST_MAP, 0, NULL, &nsf_schema_health },
	{ "readiness", NSF_ST_MAP, 0, NULL, &nsf_schema_readiness },
	{ "failback", NSF_ST_MAP, 0, NULL, &nsf_schema_failback },
	{ "flap", NSF_ST_MAP, 0, NULL, &nsf_schema_flap },
	{ "drift", NSF_ST_ENUM, 0, nsf_schema_drift_names, NULL },
	{ "suspend", NSF_ST_BOOL, 0, NULL, NULL },
);

KEYS(nsf_schema_target, "canary target",
	{ "address", NSF_ST_STRING, NSF_SK_REQUIRED, NULL, NULL },
	{ "port", NSF_ST_INT, 0, NULL, NULL },
	{ "name", NSF_ST_STRING, 0, NULL, NULL },
	{ "type", NSF_ST_STRING, 0, NULL, NULL },
);

KEYS(nsf_schema_canaries, "canaries",
	{ "min_ok", NSF_ST_INT, 0, NULL, NULL },
	{ "targets", NSF_ST_LIST, NSF_SK_REQUIRED, NULL, &nsf_schema_target },
);

KEYS(nsf_schema_nameserver, "nameserver",
	{ "name", NSF_ST_NAME, NSF_SK_REQUIRED, NULL, NULL },
	{ "addresses", NSF_ST_LIST, 0, NULL, NULL },
);

KEYS(nsf_schema_provider, "provider",
	{ "port", NSF_ST_INT, 0, NULL, NULL },
	{ "nameservers", NSF_ST_LIST, NSF_SK_REQUIRED, NULL,
	  &nsf_schema_nameserver },
);

KEYS(nsf_schema_registry, "registry",
	{ "type", NSF_ST_ENUM, NSF_SK_REQUIRED, nsf_schema_regtype_names,
	  NULL },
	{ "server", NSF_ST_STRING, 0, NULL, NULL },
	{ "credentials", NSF_ST_STRING, 0, NULL, NULL },
	{ "zone", NSF_ST_NAME, 0, NULL, NULL },
	{ "ca_file", NSF_ST_STRING, 0, NULL, NULL },
	{ "command", NSF_ST_LIST, 0, NULL, NULL },
	{ "min_nameservers", NSF_ST_INT, 0, NULL, NULL },
	{ "max_nameservers", NSF_ST_INT, 0, NULL, NULL },
	{ "host_model", NSF_ST_ENUM, 0, nsf_schema_host_model_names, NULL },
	{ "timeout", NSF_ST_DURATION, 0, NULL, NULL },
	{ "verify", NSF_ST_LIST, 0, NULL, NULL },
);

KEYS(nsf_schema_dnssec, "dnssec",
	{ "ds", NSF_ST_DICT, 0, NULL, NULL },
);

KEYS(nsf_schema_domain, "domain",
	{ "registry", NSF_ST_STRING, NSF_SK_REQUIRED, NULL, NULL },
	{ "primary", NSF_ST_OTHER, NSF_SK_REQUIRED, NULL, NULL },
	{ "backups", NSF_ST_LIST, 0, NULL, NULL },
	{ "mode", NSF_ST_ENUM, 0, nsf_schema_mode_names, NULL },
	{ "health", NSF_ST_MAP, 0, NULL, &nsf_schema_health },
	{ "readiness", NSF_ST_MAP, 0, NULL, &nsf_schema_readiness },
	{ "failback", NSF_ST_MAP, 0, NULL, &nsf_schema_failback },
	{ "flap", NSF_ST_MAP, 0, NULL, &nsf_schema_flap },
	{ "drift", NSF_ST_ENUM, 0, nsf_schema_drift_names, NULL },
	{ "suspend", NSF_ST_BOOL, 0, NULL, NULL },
	{ "pin", NSF_ST_STRING, 0, NULL, NULL },
	{ "dnssec", NSF_ST_MAP, 0, NULL, &nsf_schema_dnssec },
);

KEYS(nsf_schema_top, "policy",
	/* required once per policy, not per file: the loader checks it */
	{ "version", NSF_ST_INT, 0, NULL, NULL },
	{ "defaults", NSF_ST_MAP, 0, NULL, &nsf_schema_defaults },
	{ "canaries", NSF_ST_MAP, 0, NULL, &nsf_schema_canaries },
	{ "providers", NSF_ST_DICT, 0, NULL, &nsf_schema_provider },
	{ "registries", NSF_ST_DICT, 0, NULL, &nsf_schema_registry },
	{ "domains", NSF_ST_DICT, 0, NULL, &nsf_schema_domain },
);

const struct nsf_schema_key *
nsf_schema_find(const struct nsf_schema_map *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nkeys; i++) {
		if (strcmp(m->keys[i].name, name) == 0) {
			return &m->keys[i];
		}
	}
	return NULL;
}
