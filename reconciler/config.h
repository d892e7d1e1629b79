/* config.h - the daemon configuration (nsfailover.yaml): where the policy
 * lives, where state goes, how to log, what to expose and whom to tell. */
#ifndef NSF_CONFIG_H
#define NSF_CONFIG_H

#include "nsf.h"
#include "log.h"
#include "metrics.h"
#include "secrets.h"
#include "../schema/policy.h"
#include "../providers/notify.h"

/*
 * The configuration is separate from the policy: the policy (in git) says
 * what the delegations should be; this file says how this one daemon runs.
 * docs/configuration.md documents every key.  Paths are absolute after
 * loading: relative paths in the file are taken relative to the directory
 * of the configuration file.  Durations are in milliseconds.
 */
#define NSF_CONFIG_DEFAULT_PATH "/etc/nsfailover/nsfailover.yaml"
#define NSF_CONFIG_MAX_BYTES (1024 * 1024)

struct nsf_config_repository {
	char *url;              /* local path (made absolute) or URL */
	char *branch;           /* policy branch, default "main" */
	char *path;             /* file or directory inside the repository,
				 * default "policy" */
	uint64_t fetch_interval_ms;     /* default 1m */
	char *state_branch;     /* audit log branch, "nsfailover/state" */
	bool push;              /* push the state branch, default true */
	bool verify_signatures; /* refuse unsigned policy commits */
	char **gpg_keys;        /* armoured public key files */
	struct nsf_pos *gpg_key_pos;    /* where each is named */
	size_t ngpg_keys;
	char *ssh_allowed_signers;      /* NULL when not set */
	struct nsf_pos ssh_allowed_signers_pos;
	struct nsf_pos url_pos; /* of the url's value */
	struct nsf_pos pos;     /* of the repository map */
};

struct nsf_config_webhook {
	char *name;
	char *url;              /* NULL when url_credential is used */
	char *url_credential;   /* secrets entry whose `url` field holds the
				 * URL (tokens in the path), or NULL */
	enum nsf_webhook_format format;
	char *secret;           /* secrets entry whose `hmac_key` field signs
				 * the body, or NULL (unsigned) */
	unsigned events;        /* bit mask of 1u << enum nsf_event */
	uint64_t timeout_ms;    /* default 5s */
	unsigned retries;       /* default 3 */
	struct nsf_pos pos;
	struct nsf_pos secret_pos;      /* of `secret:`; line 0 if unset */
	struct nsf_pos url_credential_pos;
};

struct nsf_config {
	char *file;             /* path the configuration was read from */
	struct nsf_config_repository repository;
	char *cache_dir;        /* default /var/lib/nsfailover */
	char *state_dir;        /* default: cache_dir */
	char *secrets;          /* default /etc/nsfailover/secrets.yaml */
	struct nsf_pos secrets_pos;     /* line 0 when defaulted */
	struct nsf_endpoint *resolvers; /* literal addresses; default
					 * 127.0.0.1:53 */
	size_t nresolvers;
	unsigned probe_max_rate;        /* queries/s per server, default 50 */
	char *metrics_listen;   /* "127.0.0.1:9153"; NULL = off */
	enum nsf_domain_series metrics_domain_series;
	enum nsf_log_format log_format;
	enum nsf_log_level log_level;   /* for every source not listed */
	enum nsf_log_level log_levels[NSF_SRC_COUNT];   /* effective */
	struct nsf_config_webhook *webhooks;
	size_t nwebhooks;
};

/*
 * Reads and checks the file.  Returns 0 and sets *out when it is usable
 * (warnings allowed), NSF_EINVAL with the problems in `diags` when it is
 * not, NSF_ENOTFOUND or NSF_ERROR (message in nsf_error_last) when the
 * file cannot be read.  Does not look at other files; see
 * nsf_config_check_files.
 */
int nsf_config_load(struct nsf_config **out, const char *path,
    struct nsf_diags *diags);
/* The same from text in memory; `name` is used in messages and to make
 * relative paths absolute. */
int nsf_config_parse(struct nsf_config **out, const char *name,
    const char *data, size_t len, struct nsf_diags *diags);
void nsf_config_free(struct nsf_config *cfg);

/*
 * Checks what the configuration points at: the secrets file exists, is a
 * regular file of mode 0600 owned by us and parses; every webhook's secret
 * and url_credential name a credential with the right field; trusted key
 * files are readable.  Adds diagnostics; returns the number of errors
 * added.  When `out_secrets` is not NULL the loaded secrets are handed
 * over (NULL when they could not be loaded).
 */
size_t nsf_config_check_files(const struct nsf_config *cfg,
    struct nsf_diags *diags, struct nsf_secrets **out_secrets);

/* Writes the effective configuration, defaults filled in, as YAML.  It
 * holds no secret: credential names only, and URL passwords and query
 * strings are masked. */
void nsf_config_format(const struct nsf_config *cfg, struct nsf_buf *out);

/* Sets the log format and per-source levels from the configuration. */
void nsf_config_apply_log(const struct nsf_config *cfg);

/* Starts the notifier for the configured webhooks, with keys and URLs
 * from the secrets.  *out is NULL (and 0 returned) when none is set. */
int nsf_config_notify_new(struct nsf_notify **out,
    const struct nsf_config *cfg, const struct nsf_secrets *secrets);

/* Parses "127.0.0.1:53", "[::1]:9153", "::1" or "127.0.0.1" (port
 * `default_port`) into a literal address and port. */
int nsf_config_parse_hostport(struct nsf_endpoint *out, const char *s,
    uint16_t default_port);

/* Edit distance, for "did you mean" hints. */
size_t nsf_config_distance(const char *a, const char *b);

#endif
