/* config_files.c - what the daemon configuration points at: secrets,
 * trusted keys, webhooks; and the effective configuration as YAML. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static void
file_diag(struct nsf_diags *d, enum nsf_diag_severity sev,
    const struct nsf_config *cfg, struct nsf_pos pos, const char *code,
    const char *hint, const char *msg)
{
	nsf_diags_add(d, sev, cfg->file, pos.line, pos.col, code, hint, "%s",
	    msg);
}

/* Reports, at `pos` (where the file is named), a file the daemon cannot
 * read. */
static void
check_readable(struct nsf_diags *d, const struct nsf_config *cfg,
    struct nsf_pos pos, const char *what, const char *path)
{
	struct stat st;
	char *msg;

	errno = 0;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, R_OK) == 0) {
		return;
	}
	msg = nsf_xasprintf("%s %s: %s", what, path, errno ?
	    strerror(errno) : "not a regular file");
	file_diag(d, NSF_DIAG_ERROR, cfg, pos, "file-not-found", NULL, msg);
	free(msg);
}

static void
check_repository_files(const struct nsf_config *cfg, struct nsf_diags *d)
{
	const struct nsf_config_repository *r = &cfg->repository;
	struct stat st;
	char *msg;
	size_t i;

	for (i = 0; i < r->ngpg_keys; i++) {
		check_readable(d, cfg, r->gpg_key_pos[i], "trusted GPG key",
		    r->gpg_keys[i]);
	}
	if (r->ssh_allowed_signers != NULL) {
		check_readable(d, cfg, r->ssh_allowed_signers_pos,
		    "SSH allowed signers file", r->ssh_allowed_signers);
	}
	if (r->url == NULL || r->url[0] != '/' || stat(r->url, &st) == 0) {
		return;
	}
	msg = nsf_xasprintf("repository %s: %s", r->url, strerror(errno));
	file_diag(d, NSF_DIAG_ERROR, cfg, r->url_pos, "file-not-found",
	    "clone or create the policy repository there, or fix "
	    "repository.url", msg);
	free(msg);
}

/* One credential field a webhook needs. */
static void
check_credential(struct nsf_diags *d, const struct nsf_config *cfg,
    const struct nsf_secrets *s, const struct nsf_config_webhook *h,
    const char *cred, struct nsf_pos pos, const char *field)
{
	char *msg, *hint;

	if (nsf_secrets_get(s, cred, field) != NULL) {
		return;
	}
	if (!nsf_secrets_has(s, cred)) {
		msg = nsf_xasprintf("webhook '%s': the secrets file %s has "
		    "no credential '%s'", h->name, cfg->secrets, cred);
	} else {
		msg = nsf_xasprintf("webhook '%s': credential '%s' in %s "
		    "has no field '%s'", h->name, cred, cfg->secrets, field);
	}
	hint = nsf_xasprintf("add '%s: { %s: \"...\" }' to %s", cred,
	    field, cfg->secrets);
	file_diag(d, NSF_DIAG_ERROR, cfg, pos, "unknown-credential", hint,
	    msg);
	free(hint);
	free(msg);
}

static void
check_webhook_credentials(const struct nsf_config *cfg,
    const struct nsf_secrets *s, struct nsf_diags *d)
{
	const struct nsf_config_webhook *h;
	const char *url;
	char *msg;
	size_t i;

	for (i = 0; i < cfg->nwebhooks; i++) {
		h = &cfg->webhooks[i];
		if (h->secret != NULL) {
			check_credential(d, cfg, s, h, h->secret,
			    h->secret_pos, "hmac_key");
		}
		if (h->url_credential == NULL) {
			continue;
		}
		check_credential(d, cfg, s, h, h->url_credential,
		    h->url_credential_pos, "url");
		url = nsf_secrets_get(s, h->url_credential, "url");
		if (url != NULL && strncmp(url, "https://", 8) != 0 &&
		    strncmp(url, "http://", 7) != 0) {
			msg = nsf_xasprintf("webhook '%s': the url of "
			    "credential '%s' is not an http(s) URL", h->name,
			    h->url_credential);
			file_diag(d, NSF_DIAG_ERROR, cfg,
			    h->url_credential_pos, "invalid-value", NULL,
			    msg);
			free(msg);
		}
	}
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct nsf_diag *x = a, *y = b;

	if (x->line != y->line) {
		return x->line < y->line ? -1 : 1;
	}
	return x->col < y->col ? -1 : x->col > y->col;
}

size_t
nsf_config_check_files(const struct nsf_config *cfg,
    struct nsf_diags *diags, struct nsf_secrets **out_secrets)
{
	struct nsf_secrets *s = NULL;
	size_t before = diags->nerrors, first = diags->n;

	if (nsf_secrets_load(&s, cfg->secrets) < 0) {
		file_diag(diags, NSF_DIAG_ERROR, cfg, cfg->secrets_pos,
		    "secrets", cfg->secrets_pos.line ? NULL :
		    "set 'secrets:' to the file that holds the credentials",
		    nsf_error_last());
		s = NULL;
	} else {
		check_webhook_credentials(cfg, s, diags);
	}
	check_repository_files(cfg, diags);
	/* In file order, like the problems of the file itself. */
	if (diags->n > first) {
		qsort(diags->v + first, diags->n - first, sizeof(*diags->v),
		    diag_cmp);
	}
	if (out_secrets != NULL) {
		*out_secrets = s;
	} else {
		nsf_secrets_free(s);
	}
	return diags->nerrors - before;
}

/* A URL with its password and query string masked: both often carry a
 * token. */
static char *
mask_url(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *auth, *at, *colon, *query;
	struct nsf_buf b;

	nsf_buf_init(&b);
	auth = scheme ? scheme + 3 : url;
	at = strchr(auth, '@');
	colon = strchr(auth, ':');
	if (at != NULL && colon != NULL && colon < at &&
	    strcspn(auth, "/") > (size_t)(at - auth)) {
		nsf_buf_put(&b, url, (size_t)(colon - url));
		nsf_buf_puts(&b, ":****");
		url = at;
	}
	query = strchr(url, '?');
	if (query != NULL) {
		nsf_buf_put(&b, url, (size_t)(query - url));
		nsf_buf_puts(&b, "?****");
	} else {
		nsf_buf_puts(&b, url);
	}
	return nsf_buf_detach(&b);
}

static void
put_kv(struct nsf_buf *out, int indent, const char *key, const char *value)
{
	nsf_buf_printf(out, "%*s%s: ", indent, "", key);
	nsf_buf_put_json_string(out, value);
	nsf_buf_puts(out, "\n");
}

static void
put_duration(struct nsf_buf *out, int indent, const char *key,
    uint64_t ms)
{
	char *s = nsf_duration_format(ms);

	nsf_buf_printf(out, "%*s%s: %s\n", indent, "", key, s);
	free(s);
}

static void
format_repository(const struct nsf_config_repository *r,
    struct nsf_buf *out)
{
	char *url = mask_url(r->url ? r->url : "");
	size_t i;

	nsf_buf_puts(out, "repository:\n");
	put_kv(out, 2, "url", url);
	free(url);
	put_kv(out, 2, "branch", r->branch);
	put_kv(out, 2, "path", r->path);
	put_duration(out, 2, "fetch_interval", r->fetch_interval_ms);
	put_kv(out, 2, "state_branch", r->state_branch);
	nsf_buf_printf(out, "  push: %s\n", r->push ? "true" : "false");
	nsf_buf_printf(out, "  verify_signatures: %s\n",
	    r->verify_signatures ? "true" : "false");
	nsf_buf_puts(out, "  trusted_keys:\n    gpg: [");
	for (i = 0; i < r->ngpg_keys; i++) {
		nsf_buf_puts(out, i ? ", " : "");
		nsf_buf_put_json_string(out, r->gpg_keys[i]);
	}
	nsf_buf_puts(out, "]\n");
	if (r->ssh_allowed_signers != NULL) {
		put_kv(out, 4, "ssh_allowed_signers", r->ssh_allowed_signers);
	}
}

static void
format_log(const struct nsf_config *c, struct nsf_buf *out)
{
	static const char *const levels[] = { "error", "warning", "notice",
		"info", "debug" };
	size_t i;

	nsf_buf_printf(out, "log:\n  format: %s\n  level: %s\n  sources:\n",
	    c->log_format == NSF_LOG_JSON ? "json" : "plain",
	    levels[c->log_level]);
	for (i = 0; i < NSF_SRC_COUNT; i++) {
		nsf_buf_printf(out, "    %s: %s\n",
		    nsf_log_source_name((enum nsf_log_source)i),
		    levels[c->log_levels[i]]);
	}
}

static void
format_webhook(const struct nsf_config_webhook *h, struct nsf_buf *out)
{
	char *url;
	size_t i;
	int first = 1;

	put_kv(out, 4, "- name", h->name);
	if (h->url != NULL) {
		url = mask_url(h->url);
		put_kv(out, 6, "url", url);
		free(url);
	} else {
		put_kv(out, 6, "url_credential", h->url_credential);
	}
	nsf_buf_printf(out, "      format: %s\n",
	    h->format == NSF_WEBHOOK_SLACK ? "slack" : "json");
	if (h->secret != NULL) {
		put_kv(out, 6, "secret", h->secret);
	}
	nsf_buf_puts(out, "      events: [");
	for (i = 0; i < NSF_EVENT_COUNT; i++) {
		if (h->events & (1u << i)) {
			nsf_buf_printf(out, "%s%s", first ? "" : ", ",
			    nsf_event_name((enum nsf_event)i));
			first = 0;
		}
	}
	nsf_buf_puts(out, "]\n");
	put_duration(out, 6, "timeout", h->timeout_ms);
	nsf_buf_printf(out, "      retries: %u\n", h->retries);
}

void
nsf_config_format(const struct nsf_config *c, struct nsf_buf *out)
{
	static const char *const series[] = { "all", "problems", "none" };
	size_t i;

	nsf_buf_puts(out, "# effective configuration of ");
	nsf_buf_puts(out, c->file);
	nsf_buf_puts(out, " (defaults filled in)\n");
	format_repository(&c->repository, out);
	put_kv(out, 0, "cache_dir", c->cache_dir);
	put_kv(out, 0, "state_dir", c->state_dir);
	put_kv(out, 0, "secrets", c->secrets);
	nsf_buf_puts(out, "resolvers: [");
	for (i = 0; i < c->nresolvers; i++) {
		nsf_buf_printf(out, strchr(c->resolvers[i].host, ':') ?
		    "%s\"[%s]:%u\"" : "%s\"%s:%u\"", i ? ", " : "",
		    c->resolvers[i].host, c->resolvers[i].port);
	}
	nsf_buf_printf(out, "]\nprobe:\n  max_rate_per_server: %u\n",
	    c->probe_max_rate);
	nsf_buf_puts(out, "metrics:\n");
	put_kv(out, 2, "listen", c->metrics_listen ? c->metrics_listen :
	    "off");
	nsf_buf_printf(out, "  domain_series: %s\n",
	    series[c->metrics_domain_series]);
	format_log(c, out);
	nsf_buf_printf(out, "notifications:\n  webhooks:%s\n",
	    c->nwebhooks ? "" : " []");
	for (i = 0; i < c->nwebhooks; i++) {
		format_webhook(&c->webhooks[i], out);
	}
}

int
nsf_config_notify_new(struct nsf_notify **out, const struct nsf_config *c,
    const struct nsf_secrets *secrets)
{
	struct nsf_notify_target *t;
	const struct nsf_config_webhook *h;
	struct nsf_notify *n = NULL;
	size_t i;
	int rc = 0;

	if (c->nwebhooks == 0) {
		*out = NULL;
		return 0;
	}
	t = nsf_xcalloc(c->nwebhooks, sizeof(*t));
	for (i = 0; i < c->nwebhooks && rc == 0; i++) {
		h = &c->webhooks[i];
		t[i].name = h->name;
		t[i].url = h->url;
		t[i].format = h->format;
		t[i].events = h->events;
		t[i].timeout_ms = h->timeout_ms;
		t[i].retries = h->retries;
		if (h->url_credential != NULL) {
			rc = nsf_secrets_require(&t[i].url, secrets,
			    h->url_credential, "url");
		}
		if (rc == 0 && h->secret != NULL) {
			rc = nsf_secrets_require(&t[i].hmac_key, secrets,
			    h->secret, "hmac_key");
		}
	}
	if (rc == 0) {
		rc = nsf_notify_new(&n, t, c->nwebhooks, 0);
	}
	free(t);
	if (rc < 0) {
		return rc;
	}
	*out = n;
	return 0;
}
