/* secrets.h - credentials kept outside git, in a file only we can read. */
#ifndef NSF_SECRETS_H
#define NSF_SECRETS_H

#include "nsf.h"

/*
 * The secrets file is YAML: a map from credential name (what the policy's
 * `credentials:` key names) to a map of string fields.  It must be a regular
 * file with mode 0600 or stricter, owned by the user running nsfailover.
 *
 *   registry-main:            # EPP
 *     username: nsfo-test
 *     password: "..."
 *     client_cert: /etc/nsfailover/epp-client.pem
 *     client_key: /etc/nsfailover/epp-client.key
 *   lab-parent:               # RFC 2136 TSIG
 *     tsig_name: nsfailover-key
 *     tsig_algorithm: hmac-sha256
 *     tsig_secret: "base64..."
 *
 * Values are never logged, committed or put on a command line.
 */
struct nsf_secrets;

/* Loads the file; checks mode and ownership first. */
int nsf_secrets_load(struct nsf_secrets **out, const char *path);
/* Parses YAML text already in memory (tests; no mode check). */
int nsf_secrets_parse(struct nsf_secrets **out, const char *name,
    const char *data, size_t len);
void nsf_secrets_free(struct nsf_secrets *s);

/* A field of a credential, or NULL when the credential or the field is
 * missing. */
const char *nsf_secrets_get(const struct nsf_secrets *s,
    const char *credential, const char *field);
bool nsf_secrets_has(const struct nsf_secrets *s, const char *credential);
/* Like nsf_secrets_get, but sets a clear error naming the file, the
 * credential and the field when it is missing. */
int nsf_secrets_require(const char **out, const struct nsf_secrets *s,
    const char *credential, const char *field);
/* The field names of one credential, in file order (none when the
 * credential is missing); the exec driver passes each on. */
void nsf_secrets_fields(const struct nsf_secrets *s, const char *credential,
    struct nsf_strv *out);
/* Every secret value, for tests and log scrubbing. */
void nsf_secrets_values(const struct nsf_secrets *s, struct nsf_strv *out);

#endif
