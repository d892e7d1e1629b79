/* registry.c - driver dispatch and the types every driver shares. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry.h"

void
nsf_delegation_init(struct nsf_delegation *d)
{
	memset(d, 0, sizeof(*d));
	nsf_strv_init(&d->ns);
	nsf_strv_init(&d->statuses);
	nsf_strv_init(&d->glue);
}

void
nsf_delegation_deinit(struct nsf_delegation *d)
{
	size_t i;

	for (i = 0; i < d->nds; i++) {
		nsf_ds_deinit(&d->ds[i]);
	}
	free(d->ds);
	nsf_strv_deinit(&d->ns);
	nsf_strv_deinit(&d->statuses);
	nsf_strv_deinit(&d->glue);
	nsf_delegation_init(d);
}

int
nsf_ds_parse(struct nsf_ds *out, const char *text)
{
	unsigned long keytag, alg, dtype;
	char hex[1025];
	size_t i, len;

	if (sscanf(text, "%lu %lu %lu %1024s", &keytag, &alg, &dtype,
	    hex) != 4 || keytag > 65535 || alg > 255 || dtype > 255) {
		return nsf_error_set(NSF_EINVAL, "'%s' is not a DS record "
		    "(write: keytag algorithm digest-type hex-digest)", text);
	}
	len = strlen(hex);
	if (len == 0 || len % 2 != 0) {
		return nsf_error_set(NSF_EINVAL, "DS digest '%s' must be an "
		    "even number of hex digits", hex);
	}
	for (i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)hex[i])) {
			return nsf_error_set(NSF_EINVAL, "DS digest '%s' is "
			    "not hexadecimal", hex);
		}
		hex[i] = (char)toupper((unsigned char)hex[i]);
	}
	out->keytag = (uint16_t)keytag;
	out->alg = (uint8_t)alg;
	out->digest_type = (uint8_t)dtype;
	out->digest = nsf_xstrdup(hex);
	return 0;
}

void
nsf_ds_deinit(struct nsf_ds *ds)
{
	free(ds->digest);
	ds->digest = NULL;
}

bool
nsf_ds_equal(const struct nsf_ds *a, const struct nsf_ds *b)
{
	return a->keytag == b->keytag && a->alg == b->alg &&
	    a->digest_type == b->digest_type &&
	    strcasecmp(a->digest, b->digest) == 0;
}

const char *
nsf_delegation_blocking_status(const struct nsf_delegation *d)
{
	static const char *const blocking[] = {
		"clientUpdateProhibited", "serverUpdateProhibited",
		"pendingDelete", "pendingTransfer",
	};
	size_t i, j;

	for (i = 0; i < NSF_ARRAY_SIZE(blocking); i++) {
		for (j = 0; j < d->statuses.n; j++) {
			if (strcmp(d->statuses.v[j], blocking[i]) == 0) {
				return blocking[i];
			}
		}
	}
	return NULL;
}

void
nsf_outcome_init(struct nsf_outcome *o)
{
	memset(o, 0, sizeof(*o));
	o->result = NSF_APPLY_FAILED;
}

void
nsf_outcome_deinit(struct nsf_outcome *o)
{
	free(o->message);
	free(o->client_trid);
	free(o->server_trid);
	nsf_outcome_init(o);
}

const char *
nsf_apply_result_name(enum nsf_apply_result r)
{
	switch (r) {
	case NSF_APPLY_DONE:
		return "done";
	case NSF_APPLY_PENDING:
		return "pending";
	case NSF_APPLY_REFUSED:
		return "refused";
	case NSF_APPLY_CONFLICT:
		return "conflict";
	case NSF_APPLY_UNKNOWN:
		return "unknown";
	case NSF_APPLY_FAILED:
		return "failed";
	}
	return "invalid";
}

static const struct nsf_registry_ops *
ops_for(enum nsf_registry_type type)
{
	switch (type) {
	case NSF_REGISTRY_EPP:
		return &nsf_epp_ops;
	case NSF_REGISTRY_DNS_UPDATE:
		return &nsf_dnsupdate_ops;
	case NSF_REGISTRY_EXEC:
		return &nsf_exec_ops;
	}
	return NULL;
}

int
nsf_registry_open(struct nsf_registry_conn **out,
    const struct nsf_registry *cfg, const struct nsf_secrets *secrets)
{
	const struct nsf_registry_ops *ops = ops_for(cfg->type);

	if (ops == NULL || ops->open == NULL) {
		return nsf_error_set(NSF_EINVAL, "registry '%s': no driver "
		    "for its type", cfg->name);
	}
	return ops->open(out, cfg, secrets);
}

int
nsf_registry_observe(struct nsf_registry_conn *c, const char *domain,
    struct nsf_delegation *out)
{
	return c->ops->observe(c, domain, out);
}

int
nsf_registry_apply(struct nsf_registry_conn *c, const struct nsf_change *chg,
    struct nsf_outcome *out)
{
	return c->ops->apply(c, chg, out);
}

void
nsf_registry_close(struct nsf_registry_conn *c)
{
	if (c != NULL) {
		c->ops->close(c);
	}
}
