/* epp.c - EPP registry driver (RFC 5730-5732, 5734, 5910): the session
 * (greeting, login, keepalive, logout, reconnect with backoff) and the
 * driver operations observe, apply and poll.
 *
 * Session states:
 *
 *   CLOSED --TCP+TLS, greeting read, login 1000--> READY
 *     ^                                              |
 *     |  EOF, timeout, x5xx answer, protocol error   | command/answer
 *     +----------------------------------------------+ (stays READY)
 *
 * A failed attempt to reach READY waits 1 s, then 2 s, 4 s ... 5 min
 * before the next one.  A command that may change something (host:create,
 * domain:update) is sent at most once: when its answer is lost the outcome
 * is unknown and the caller re-reads with domain:info.  Read-only commands
 * are retried once on a fresh session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../reconciler/log.h"
#include "epp.h"

#define BACKOFF_MIN_MS 1000u
#define BACKOFF_MAX_MS (5u * 60 * 1000)
#define KEEPALIVE_DEFAULT_MS (60u * 1000)
#define POLL_MAX_MESSAGES 64    /* per call, so a flood cannot pin us */
#define LOGOUT_TIMEOUT_MS 5000

struct epp_conn {
	struct nsf_registry_conn base;  /* first: the registry.h handle */
	struct nsf_epp_tls tls;
	struct nsf_epp_tls_cfg tcfg;    /* strings below are owned copies */
	char *host, *ca_file, *cert, *key, *credential;
	char *tls_name;         /* name verified instead of host, or NULL */
	char *username;
	char *password;         /* never logged or traced */
	struct nsf_epp_greeting greeting;
	bool ready;             /* logged in */
	bool host_objects;      /* host-1.0 in use (else hostAttr) */
	bool secdns;            /* secDNS-1.1 offered and announced */
	uint64_t timeout_ms;    /* per operation */
	uint64_t keepalive_ms;  /* idle time before <hello> */
	int64_t last_io_ms;     /* monotonic time of the last answer */
	int64_t next_attempt_ms;        /* monotonic; 0 = now */
	uint64_t backoff_ms;    /* next wait after a failed attempt; 0 =
				 * no failure yet */
	unsigned seq;           /* clTRID counter */
	unsigned logins;
	char *frame_dir;        /* test tooling: copy of every sent frame */
	unsigned frame_seq;
};

static const char *
reg_name(const struct epp_conn *c)
{
	return c->base.cfg->name;
}

static int64_t
deadline(const struct epp_conn *c)
{
	return nsf_mono_ms() + (int64_t)c->timeout_ms;
}

static void
trid_new(struct epp_conn *c, char *buf, size_t len)
{
	snprintf(buf, len, "NSFO-%lld-%ld-%04u",
	    (long long)(nsf_now_ms() / 1000), (long)getpid(), ++c->seq);
}

static void
session_drop(struct epp_conn *c, const char *why)
{
	if (c->ready) {
		nsf_warn(NSF_SRC_REGISTRY, NULL, "session with registry %s "
		    "ended: %s; the next command reconnects", reg_name(c),
		    why);
	}
	nsf_epp_tls_close(&c->tls);
	c->ready = false;
}

/* Puts the registry and the step in front of the error just set, so the
 * message a caller logs says where it happened. */
static int
error_in(const struct epp_conn *c, int rc, const char *step)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", nsf_error_last());
	return nsf_error_set(rc, "registry %s, %s: %s", reg_name(c), step,
	    why);
}

/* Test tooling: keeps a copy of a sent frame (password already masked). */
static void
trace_frame(struct epp_conn *c, const char *what, const char *xml,
    size_t len)
{
	char *path;
	FILE *f;

	if (c->frame_dir == NULL) {
		return;
	}
	path = nsf_xasprintf("%s/%04u-%s.xml", c->frame_dir, ++c->frame_seq,
	    what);
	f = fopen(path, "w");
	if (f != NULL) {
		fwrite(xml, 1, len, f);
		fclose(f);
	}
	free(path);
}

/* Sends `doc` and reads one frame.  `shown` is what may be traced (the
 * login with its password masked); NULL = doc itself.  *sent tells
 * whether the frame may have reached the registry. */
static int
exchange_raw(struct epp_conn *c, xmlDocPtr doc, xmlDocPtr shown,
    const char *what, char **out, size_t *out_len, bool *sent)
{
	char *xml = NULL;
	size_t len;
	int64_t dl = deadline(c);
	int rc;

	*sent = false;
	rc = nsf_epp_doc_dump(&xml, &len, shown ? shown : doc);
	if (rc < 0) {
		return rc;
	}
	trace_frame(c, what, xml, len);
	if (shown != NULL) {
		free(xml);
		rc = nsf_epp_doc_dump(&xml, &len, doc);
		if (rc < 0) {
			return rc;
		}
	}
	nsf_debug(NSF_SRC_REGISTRY, NULL, "sending %s to registry %s", what,
	    reg_name(c));
	*sent = true;
	rc = nsf_epp_tls_send(&c->tls, xml, len, dl);
	if (shown != NULL) {
		explicit_bzero(xml, len);
	}
	free(xml);
	if (rc < 0) {
		return rc;
	}

	rc = nsf_epp_tls_recv(&c->tls, out, out_len, dl);
	if (rc < 0) {
		return rc;
	}
	c->last_io_ms = nsf_mono_ms();
	return 0;
}

/* One command on the current session: send, read, parse, check the
 * transaction ids.  Ends the session on transport or protocol errors and
 * when the registry says it is closing (x5xx). */
static int
exchange(struct epp_conn *c, xmlDocPtr doc, xmlDocPtr shown,
    const char *what, const char *cl_trid, struct nsf_epp_response *r,
    bool *sent)
{
	char *frame = NULL;
	size_t len;
	int rc;

	rc = exchange_raw(c, doc, shown, what, &frame, &len, sent);
	if (rc < 0) {
		session_drop(c, nsf_error_last());
		return error_in(c, rc, what);
	}

	rc = nsf_epp_response_parse(r, frame, len, cl_trid);
	free(frame);
	if (rc < 0) {
		session_drop(c, nsf_error_last());
		return error_in(c, rc, what);
	}
	if (r->code >= 2500 || r->code == 1500) {
		session_drop(c, nsf_epp_code_text(r->code));
	}
	return 0;
}

static int
read_greeting(struct epp_conn *c, int64_t dl)
{
	char *frame = NULL;
	size_t len;
	int rc;

	rc = nsf_epp_tls_recv(&c->tls, &frame, &len, dl);
	if (rc < 0) {
		return rc;
	}
	nsf_epp_greeting_deinit(&c->greeting);
	rc = nsf_epp_greeting_parse(&c->greeting, frame, len);
	free(frame);
	return rc;
}

/* Picks the services to announce: only what the greeting offers and we
 * use. */
static int
choose_services(struct epp_conn *c, struct nsf_strv *objs,
    struct nsf_strv *exts)
{
	const struct nsf_epp_greeting *g = &c->greeting;
	bool host_offered = nsf_strv_contains(&g->obj_uris, NSF_EPP_NS_HOST);
	enum nsf_host_model model = c->base.cfg->host_model;

	if (!nsf_strv_contains(&g->obj_uris, NSF_EPP_NS_DOMAIN)) {
		return nsf_error_set(NSF_ERROR, "registry %s does not offer "
		    "the domain mapping (%s)", reg_name(c), NSF_EPP_NS_DOMAIN);
	}
	if (model == NSF_HOST_OBJECTS && !host_offered) {
		return nsf_error_set(NSF_EINVAL, "registry %s: host_model is "
		    "objects but the registry does not offer %s",
		    reg_name(c), NSF_EPP_NS_HOST);
	}
	c->host_objects = model == NSF_HOST_OBJECTS ||
	    (model == NSF_HOST_AUTO && host_offered);
	c->secdns = nsf_strv_contains(&g->ext_uris, NSF_EPP_NS_SECDNS);
	nsf_strv_push(objs, NSF_EPP_NS_DOMAIN);
	if (c->host_objects) {
		nsf_strv_push(objs, NSF_EPP_NS_HOST);
	}
	if (c->secdns) {
		nsf_strv_push(exts, NSF_EPP_NS_SECDNS);
	}
	return 0;
}

static int
login_fill(struct epp_conn *c, struct nsf_epp_login *l)
{
	const struct nsf_epp_greeting *g = &c->greeting;
	size_t pwlen = strlen(c->password);

	if (!nsf_strv_contains(&g->versions, "1.0")) {
		return nsf_error_set(NSF_ERROR, "registry %s does not offer "
		    "EPP version 1.0", reg_name(c));
	}
	if (pwlen < 6 || pwlen > 16) {
		return nsf_error_set(NSF_EINVAL, "credential '%s': password "
		    "has %zu characters; EPP allows 6 to 16 (RFC 5730)",
		    c->credential, pwlen);
	}
	l->cl_id = c->username;
	l->pw = c->password;
	l->version = "1.0";
	l->lang = nsf_strv_contains(&g->langs, "en") || g->langs.n == 0 ?
	    "en" : g->langs.v[0];
	return 0;
}

static int
login_result(struct epp_conn *c, const struct nsf_epp_response *r)
{
	if (r->code == 1000) {
		return 0;
	}
	if (r->code == 2200 || r->code == 2501) {
		return nsf_error_set(NSF_EINVAL, "registry %s refused the "
		    "login of '%s' (%d %s%s%s): check credential '%s'",
		    reg_name(c), c->username, r->code,
		    nsf_epp_code_text(r->code), r->reason ? ": " : "",
		    r->reason ? r->reason : "", c->credential);
	}
	return nsf_error_set(NSF_EUNREACHABLE, "registry %s refused the "
	    "login (%d %s: %s)", reg_name(c), r->code,
	    nsf_epp_code_text(r->code), r->msg);
}

static int
login(struct epp_conn *c)
{
	struct nsf_strv objs, exts;
	struct nsf_epp_login l = { 0 };
	struct nsf_epp_response r;
	xmlDocPtr doc = NULL, shown = NULL;
	char trid[64];
	bool sent;
	int rc;

	nsf_strv_init(&objs);
	nsf_strv_init(&exts);
	nsf_epp_response_init(&r);
	rc = choose_services(c, &objs, &exts);
	if (rc < 0) {
		goto out;
	}

	rc = login_fill(c, &l);
	if (rc < 0) {
		goto out;
	}
	l.obj_uris = &objs;
	l.ext_uris = &exts;
	trid_new(c, trid, sizeof(trid));
	doc = nsf_epp_build_login(&l, trid);
	l.pw = "********";
	shown = nsf_epp_build_login(&l, trid);
	rc = exchange(c, doc, shown, "login", trid, &r, &sent);
	if (rc < 0) {
		goto out;
	}
	rc = login_result(c, &r);
out:
	xmlFreeDoc(doc);
	xmlFreeDoc(shown);
	nsf_epp_response_deinit(&r);
	nsf_strv_deinit(&objs);
	nsf_strv_deinit(&exts);
	return rc;
}

static int
session_start(struct epp_conn *c)
{
	int64_t dl = deadline(c);
	int rc;

	rc = nsf_epp_tls_open(&c->tls, &c->tcfg, dl);
	if (rc < 0) {
		return error_in(c, rc, "connecting");
	}

	rc = read_greeting(c, dl);
	if (rc < 0) {
		nsf_epp_tls_close(&c->tls);
		return error_in(c, rc, "greeting");
	}

	rc = login(c);
	if (rc < 0) {
		nsf_epp_tls_close(&c->tls);
		return rc;
	}
	c->ready = true;
	c->logins++;
	c->last_io_ms = nsf_mono_ms();
	nsf_info(NSF_SRC_REGISTRY, NULL, "logged in to registry %s (%s) as "
	    "%s; nameservers as host %s, secDNS %s", reg_name(c),
	    c->greeting.sv_id, c->username,
	    c->host_objects ? "objects" : "attributes",
	    c->secdns ? "offered" : "not offered");
	return 0;
}

/* Makes sure a logged-in session exists, reconnecting when the registry
 * closed the old one; waits out the backoff after failures. */
static int
session_ensure(struct epp_conn *c)
{
	int64_t now = nsf_mono_ms();
	int rc;

	if (c->ready && !nsf_epp_tls_peer_gone(&c->tls)) {
		return 0;
	}
	session_drop(c, "the registry closed the connection or sent data "
	    "nobody asked for");
	if (now < c->next_attempt_ms) {
		return nsf_error_set(NSF_EUNREACHABLE, "registry %s: waiting "
		    "%lld ms before the next connection attempt", reg_name(c),
		    (long long)(c->next_attempt_ms - now));
	}

	rc = session_start(c);
	if (rc < 0) {
		c->backoff_ms = c->backoff_ms == 0 ? BACKOFF_MIN_MS :
		    c->backoff_ms * 2;
		if (c->backoff_ms > BACKOFF_MAX_MS) {
			c->backoff_ms = BACKOFF_MAX_MS;
		}
		c->next_attempt_ms = nsf_mono_ms() + (int64_t)c->backoff_ms;
		nsf_warn(NSF_SRC_REGISTRY, NULL, "cannot open a session with "
		    "registry %s: %s; next attempt in %llu ms", reg_name(c),
		    nsf_error_last(), (unsigned long long)c->backoff_ms);
		return rc;
	}
	c->backoff_ms = 0;
	c->next_attempt_ms = 0;
	return 0;
}

/* A read-only command: retried once on a fresh session when the old one
 * turns out to be dead. */
static int
command_ro(struct epp_conn *c, xmlDocPtr doc, const char *what,
    const char *trid, struct nsf_epp_response *r)
{
	bool sent;
	int rc, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		rc = session_ensure(c);
		if (rc < 0) {
			return rc;
		}

		rc = exchange(c, doc, NULL, what, trid, r, &sent);
		if (rc != NSF_EUNREACHABLE) {
			return rc;
		}
	}
	return rc;
}

/* domain:info; on a refusal *out_code says which. */
static int
domain_info(struct epp_conn *c, const char *domain,
    struct nsf_epp_domain_info *out, int *out_code)
{
	struct nsf_epp_response r;
	char trid[64];
	xmlDocPtr doc;
	int rc;

	*out_code = 0;
	nsf_epp_response_init(&r);
	trid_new(c, trid, sizeof(trid));
	doc = nsf_epp_build_domain_info(domain, trid);
	rc = command_ro(c, doc, "domain-info", trid, &r);
	xmlFreeDoc(doc);
	if (rc < 0) {
		goto out;
	}
	*out_code = r.code;
	if (r.code != 1000) {
		rc = nsf_error_set(r.code == 2303 ? NSF_ENOTFOUND : NSF_ERROR,
		    "domain:info %s at registry %s: %d %s (%s)", domain,
		    reg_name(c), r.code, nsf_epp_code_text(r.code), r.msg);
		goto out;
	}
	rc = nsf_epp_domain_info_parse(out, &r);
out:
	nsf_epp_response_deinit(&r);
	return rc;
}

static int
epp_observe(struct nsf_registry_conn *base, const char *domain,
    struct nsf_delegation *out)
{
	struct epp_conn *c = (struct epp_conn *)base;
	struct nsf_epp_domain_info di;
	int code, rc;

	rc = domain_info(c, domain, &di, &code);
	if (rc < 0) {
		return rc;
	}
	nsf_delegation_deinit(out);
	*out = di.deleg;
	nsf_delegation_init(&di.deleg);
	nsf_epp_domain_info_deinit(&di);
	return 0;
}

static void
outcome_set(struct nsf_outcome *o, enum nsf_apply_result res, int code,
    const struct nsf_epp_response *r, char *message)
{
	o->result = res;
	o->code = code;
	free(o->message);
	o->message = message;
	if (r != NULL && r->sv_trid != NULL) {
		free(o->server_trid);
		o->server_trid = nsf_xstrdup(r->sv_trid);
	}
}

/* The names the change really adds and removes, given the live set:
 * adding a present name or removing an absent one would be refused. */
struct effective {
	const struct nsf_nameserver **add;
	size_t nadd;
	const char **rem;
	size_t nrem;
	struct nsf_ds *ds_add;  /* shallow copies: digests not owned */
	size_t nds_add;
	struct nsf_ds *ds_rem;
	size_t nds_rem;
};

static bool
ds_listed(const struct nsf_delegation *d, const struct nsf_ds *ds)
{
	size_t i;

	for (i = 0; i < d->nds; i++) {
		if (nsf_ds_equal(&d->ds[i], ds)) {
			return true;
		}
	}
	return false;
}

/* The same for DS: adding a listed record or removing an absent one. */
static void
effective_ds(struct effective *e, const struct nsf_change *chg,
    const struct nsf_delegation *live)
{
	size_t i;

	e->ds_add = nsf_xcalloc(chg->nds_add + 1, sizeof(*e->ds_add));
	e->ds_rem = nsf_xcalloc(chg->nds_rem + 1, sizeof(*e->ds_rem));
	e->nds_add = e->nds_rem = 0;
	for (i = 0; chg->ds_change && i < chg->nds_add; i++) {
		if (!ds_listed(live, &chg->ds_add[i])) {
			e->ds_add[e->nds_add++] = chg->ds_add[i];
		}
	}
	for (i = 0; chg->ds_change && i < chg->nds_rem; i++) {
		if (ds_listed(live, &chg->ds_rem[i])) {
			e->ds_rem[e->nds_rem++] = chg->ds_rem[i];
		}
	}
}

static void
effective_compute(struct effective *e, const struct nsf_change *chg,
    const struct nsf_delegation *live)
{
	size_t i;

	e->add = nsf_xcalloc(chg->nadd + 1, sizeof(*e->add));
	e->rem = nsf_xcalloc(chg->nrem + 1, sizeof(*e->rem));
	e->nadd = e->nrem = 0;
	for (i = 0; i < chg->nadd; i++) {
		if (!nsf_strv_contains(&live->ns, chg->add[i]->name)) {
			e->add[e->nadd++] = chg->add[i];
		}
	}
	for (i = 0; i < chg->nrem; i++) {
		if (nsf_strv_contains(&live->ns, chg->rem[i])) {
			e->rem[e->nrem++] = chg->rem[i];
		}
	}
	effective_ds(e, chg, live);
}

/* host:create for one name that does not exist yet.  Returns 0 when the
 * host exists afterwards; otherwise fills `o` (nothing was done to the
 * delegation) and returns 1. */
static int
host_create(struct epp_conn *c, const struct nsf_change *chg,
    const struct nsf_nameserver *ns, struct nsf_outcome *o)
{
	bool glue = nsf_name_in_zone(ns->name, chg->domain), sent;
	struct nsf_epp_response r;
	char trid[64];
	xmlDocPtr doc;
	int rc;

	nsf_epp_response_init(&r);
	trid_new(c, trid, sizeof(trid));
	doc = nsf_epp_build_host_create(ns, glue, trid);
	rc = exchange(c, doc, NULL, "host-create", trid, &r, &sent);
	xmlFreeDoc(doc);
	if (rc < 0) {
		outcome_set(o, NSF_APPLY_FAILED, 0, NULL, nsf_xasprintf(
		    "host:create %s failed (%s); the delegation was not "
		    "touched", ns->name, nsf_error_last()));
		return 1;
	}
	if (r.code == 1000 || r.code == 2302) {
		nsf_info(NSF_SRC_REGISTRY, chg->domain, "host %s %s at "
		    "registry %s%s", ns->name, r.code == 1000 ? "created" :
		    "already exists", reg_name(c), glue ? " with glue" : "");
		nsf_epp_response_deinit(&r);
		return 0;
	}
	outcome_set(o, nsf_epp_result_class(r.code) == NSF_APPLY_REFUSED ?
	    NSF_APPLY_REFUSED : NSF_APPLY_FAILED, r.code, &r, nsf_xasprintf(
	    "host %s does not exist and the registry refused to create it: "
	    "%d %s (%s); the delegation was not touched", ns->name, r.code,
	    nsf_epp_code_text(r.code), r.msg));
	nsf_epp_response_deinit(&r);
	return 1;
}

static int
host_check(struct epp_conn *c, const struct effective *e,
    struct nsf_strv *avail, struct nsf_outcome *o)
{
	struct nsf_epp_response r;
	const char **names = nsf_xcalloc(e->nadd + 1, sizeof(*names));
	char trid[64];
	xmlDocPtr doc;
	size_t i;
	int rc;

	for (i = 0; i < e->nadd; i++) {
		names[i] = e->add[i]->name;
	}
	nsf_epp_response_init(&r);
	trid_new(c, trid, sizeof(trid));
	doc = nsf_epp_build_host_check(names, e->nadd, trid);
	free(names);
	rc = command_ro(c, doc, "host-check", trid, &r);
	xmlFreeDoc(doc);
	if (rc == 0 && r.code != 1000) {
		rc = nsf_error_set(NSF_ERROR, "%d %s (%s)", r.code,
		    nsf_epp_code_text(r.code), r.msg);
	}
	if (rc == 0) {
		rc = nsf_epp_host_check_parse(avail, &r);
	}
	if (rc < 0) {
		outcome_set(o, NSF_APPLY_FAILED, r.code, NULL, nsf_xasprintf(
		    "host:check failed: %s; nothing was changed",
		    nsf_error_last()));
	}
	nsf_epp_response_deinit(&r);
	return rc < 0 ? 1 : 0;
}

/* Host attributes: glue rides in the update; a name inside the domain
 * without addresses would be refused, so nothing is sent. */
static int
glue_check(const struct nsf_change *chg, const struct effective *e,
    struct nsf_outcome *o)
{
	size_t i;

	for (i = 0; i < e->nadd; i++) {
		if (nsf_name_in_zone(e->add[i]->name, chg->domain) &&
		    e->add[i]->naddrs == 0) {
			outcome_set(o, NSF_APPLY_REFUSED, 0, NULL,
			    nsf_xasprintf("host %s lies inside %s and needs "
			    "glue addresses, but the policy gives none; "
			    "nothing was sent", e->add[i]->name,
			    chg->domain));
			return 1;
		}
	}
	return 0;
}

/* An address in the registry's usual text form, so "2001:DB8::0:53" and
 * "2001:db8::53" compare equal; text that is no address stays as it is. */
static char *
addr_norm(const char *addr)
{
	unsigned char bin[sizeof(struct in6_addr)];
	char text[INET6_ADDRSTRLEN];
	int af = strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(af, addr, bin) != 1 ||
	    inet_ntop(af, bin, text, sizeof(text)) == NULL) {
		return nsf_xstrdup(addr);
	}
	return nsf_xstrdup(text);
}

/* What host:update must add and remove to turn the registry's addresses
 * (`have`, as it wrote them) into `want` (normalised).  Removals use the
 * registry's own text. */
static void
addr_diff(struct nsf_strv *add, struct nsf_strv *rem,
    const struct nsf_strv *have, const struct nsf_strv *want)
{
	struct nsf_strv norm;
	size_t i;

	nsf_strv_init(&norm);
	for (i = 0; i < have->n; i++) {
		nsf_strv_push_owned(&norm, addr_norm(have->v[i]));
	}
	for (i = 0; i < want->n; i++) {
		if (!nsf_strv_contains(&norm, want->v[i]) &&
		    !nsf_strv_contains(add, want->v[i])) {
			nsf_strv_push(add, want->v[i]);
		}
	}
	for (i = 0; i < have->n; i++) {
		if (!nsf_strv_contains(want, norm.v[i])) {
			nsf_strv_push(rem, have->v[i]);
		}
	}
	nsf_strv_deinit(&norm);
}

/* host:info: the host's addresses as the registry writes them.  0, or
 * fills `o`. */
static int
host_addrs(struct epp_conn *c, const char *name, struct nsf_strv *out,
    struct nsf_outcome *o)
{
	struct nsf_epp_response r;
	char trid[64];
	xmlDocPtr doc;
	int rc;

	nsf_epp_response_init(&r);
	trid_new(c, trid, sizeof(trid));
	doc = nsf_epp_build_host_info(name, trid);
	rc = command_ro(c, doc, "host-info", trid, &r);
	xmlFreeDoc(doc);
	if (rc == 0 && r.code != 1000) {
		rc = nsf_error_set(NSF_ERROR, "%d %s (%s)", r.code,
		    nsf_epp_code_text(r.code), r.msg);
	}
	if (rc == 0) {
		rc = nsf_epp_host_info_parse(out, &r);
	}
	nsf_epp_response_deinit(&r);
	if (rc < 0) {
		outcome_set(o, NSF_APPLY_FAILED, 0, NULL, nsf_xasprintf(
		    "host:info %s failed: %s; nothing was changed", name,
		    nsf_error_last()));
		return 1;
	}
	return 0;
}

/* host:update with the address changes; 0, or fills `o`. */
static int
host_update(struct epp_conn *c, const struct nsf_change *chg,
    const char *name, const struct nsf_strv *add,
    const struct nsf_strv *rem, struct nsf_outcome *o)
{
	struct nsf_epp_response r;
	char trid[64];
	xmlDocPtr doc;
	bool sent;
	int rc;

	nsf_epp_response_init(&r);
	trid_new(c, trid, sizeof(trid));
	doc = nsf_epp_build_host_update(name, add, rem, trid);
	rc = exchange(c, doc, NULL, "host-update", trid, &r, &sent);
	xmlFreeDoc(doc);
	if (rc == 0 && r.code == 1000) {
		nsf_notice(NSF_SRC_REGISTRY, chg->domain, "glue of host %s "
		    "changed at registry %s (%zu address(es) added, %zu "
		    "removed)", name, reg_name(c), add->n, rem->n);
	} else if (rc == 0) {
		outcome_set(o, nsf_epp_result_class(r.code) ==
		    NSF_APPLY_REFUSED ? NSF_APPLY_REFUSED : NSF_APPLY_FAILED,
		    r.code, &r, nsf_xasprintf("the registry refused to change "
		    "the glue of host %s: %d %s (%s); the delegation was not "
		    "touched", name, r.code, nsf_epp_code_text(r.code),
		    r.msg));
		rc = 1;
	} else {
		/* the next pass reads the host again before any change */
		outcome_set(o, NSF_APPLY_FAILED, 0, NULL, nsf_xasprintf(
		    "host:update %s failed (%s); the delegation was not "
		    "touched", name, nsf_error_last()));
		rc = 1;
	}
	nsf_epp_response_deinit(&r);
	return rc;
}

/* A host object inside the domain that exists already gets the glue the
 * policy gives it: host:info, then one host:update when they differ.
 * Returns 0 when its glue is right; otherwise fills `o` and returns 1. */
static int
glue_sync(struct epp_conn *c, const struct nsf_change *chg,
    const struct nsf_nameserver *ns, struct nsf_outcome *o)
{
	struct nsf_strv have, want, add, rem;
	size_t i;
	int stop;

	nsf_strv_init(&have);
	nsf_strv_init(&want);
	nsf_strv_init(&add);
	nsf_strv_init(&rem);
	stop = host_addrs(c, ns->name, &have, o);
	if (stop == 0) {
		for (i = 0; i < ns->naddrs; i++) {
			nsf_strv_push_owned(&want, addr_norm(ns->addrs[i]));
		}
		addr_diff(&add, &rem, &have, &want);
	}
	if (stop == 0 && (add.n > 0 || rem.n > 0)) {
		stop = host_update(c, chg, ns->name, &add, &rem, o);
	}
	nsf_strv_deinit(&have);
	nsf_strv_deinit(&want);
	nsf_strv_deinit(&add);
	nsf_strv_deinit(&rem);
	return stop;
}

/* Host objects: every added name must exist before the update, and one
 * inside the domain must carry the policy's glue. */
static int
hosts_ensure(struct epp_conn *c, const struct nsf_change *chg,
    const struct effective *e, struct nsf_outcome *o)
{
	struct nsf_strv avail;
	size_t i;
	int stop = 0;

	if (glue_check(chg, e, o) != 0) {
		return 1;
	}
	if (!c->host_objects || e->nadd == 0) {
		return 0;
	}
	if (host_check(c, e, &avail, o) != 0) {
		return 1;
	}
	for (i = 0; i < e->nadd && stop == 0; i++) {
		if (nsf_strv_contains(&avail, e->add[i]->name)) {
			stop = host_create(c, chg, e->add[i], o);
		} else if (e->add[i]->naddrs > 0 &&
		    nsf_name_in_zone(e->add[i]->name, chg->domain)) {
			stop = glue_sync(c, chg, e->add[i], o);
		}
	}
	nsf_strv_deinit(&avail);
	return stop;
}

/* Which status stopped a 2304: the one the registry named, else the one
 * domain:info shows now. */
static char *
prohibiting_status(struct epp_conn *c, const char *domain,
    const struct nsf_epp_response *r)
{
	static const char *const pending[] = {
		"pendingUpdate", "pendingCreate", "pendingRenew",
	};
	struct nsf_epp_domain_info di;
	const char *s;
	char *found = NULL;
	size_t i;
	int code;

	if (r->status != NULL) {
		return nsf_xstrdup(r->status);
	}
	if (domain_info(c, domain, &di, &code) < 0) {
		return nsf_xstrdup("unknown (domain:info failed)");
	}
	s = nsf_delegation_blocking_status(&di.deleg);
	for (i = 0; s == NULL && i < NSF_ARRAY_SIZE(pending); i++) {
		if (nsf_strv_contains(&di.deleg.statuses, pending[i])) {
			s = pending[i];
		}
	}
	found = nsf_xstrdup(s ? s : "unknown (domain:info shows none)");
	nsf_epp_domain_info_deinit(&di);
	return found;
}

static char *
refusal_message(struct epp_conn *c, const struct nsf_change *chg,
    const struct nsf_epp_response *r)
{
	char *status, *m;

	switch (r->code) {
	case 2304:
		status = prohibiting_status(c, chg->domain, r);
		m = nsf_xasprintf("the registry refused the change: status "
		    "%s prohibits updating %s (2304)", status, chg->domain);
		free(status);
		return m;
	case 2201:
		return nsf_xasprintf("the registry refused the change: we "
		    "are not the sponsoring registrar of %s (2201)",
		    chg->domain);
	default:
		return nsf_xasprintf("the registry refused the change: %d %s"
		    " (%s%s%s%s%s)", r->code, nsf_epp_code_text(r->code),
		    r->msg, r->value ? "; " : "", r->value ? r->value : "",
		    r->reason ? "; " : "", r->reason ? r->reason : "");
	}
}

static void
update_result(struct epp_conn *c, const struct nsf_change *chg,
    const struct nsf_epp_response *r, struct nsf_outcome *o)
{
	enum nsf_apply_result res = nsf_epp_result_class(r->code);
	char *m;

	switch (res) {
	case NSF_APPLY_DONE:
		m = nsf_xasprintf("the registry made the change (%d)",
		    r->code);
		break;
	case NSF_APPLY_PENDING:
		m = nsf_xasprintf("the registry accepted the change; it "
		    "completes later (1001); never re-sent, confirmed by "
		    "domain:info or poll");
		break;
	case NSF_APPLY_UNKNOWN:
		m = nsf_xasprintf("outcome unknown: %d %s (%s); re-read with "
		    "domain:info before any retry", r->code,
		    nsf_epp_code_text(r->code), r->msg);
		break;
	default:
		m = refusal_message(c, chg, r);
		/* our request or our credentials are wrong */
		o->config_problem = (r->code >= 2000 && r->code <= 2005) ||
		    (r->code >= 2100 && r->code <= 2103) || r->code == 2200;
		break;
	}
	outcome_set(o, res, r->code, r, m);
	nsf_log(res == NSF_APPLY_DONE || res == NSF_APPLY_PENDING ?
	    NSF_LOG_NOTICE : NSF_LOG_WARNING, NSF_SRC_REGISTRY, chg->domain,
	    "domain:update %s at registry %s: %s (svTRID %s)",
	    nsf_apply_result_name(res), reg_name(c), m, r->sv_trid);
}

/* The added host object a 2303 answer names, or NULL. */
static const struct nsf_nameserver *
vanished_host(const struct epp_conn *c, const struct effective *e,
    const struct nsf_epp_response *r)
{
	size_t i;

	if (r->code != 2303 || !c->host_objects || r->value == NULL) {
		return NULL;
	}
	for (i = 0; i < e->nadd; i++) {
		if (strcasecmp(e->add[i]->name, r->value) == 0) {
			return e->add[i];
		}
	}
	return NULL;
}

/* Sends the update on a live session; *sent as exchange sets it. */
static int
update_exchange(struct epp_conn *c, xmlDocPtr doc, const char *cl_trid,
    struct nsf_epp_response *r, bool *sent)
{
	int rc;

	*sent = false;
	rc = session_ensure(c);
	if (rc < 0) {
		return rc;
	}
	return exchange(c, doc, NULL, "domain-update", cl_trid, r, sent);
}

static void
update_send(struct epp_conn *c, const struct nsf_change *chg,
    const struct effective *e, struct nsf_outcome *o)
{
	const struct nsf_nameserver *gone;
	struct nsf_change eff = *chg;
	struct nsf_epp_response r;
	xmlDocPtr doc;
	bool sent;
	int rc;

	eff.add = (const struct nsf_nameserver *const *)e->add;
	eff.nadd = e->nadd;
	eff.rem = (const char *const *)e->rem;
	eff.nrem = e->nrem;
	eff.ds_add = e->ds_add;
	eff.nds_add = e->nds_add;
	eff.ds_rem = e->ds_rem;
	eff.nds_rem = e->nds_rem;
	eff.ds_change = e->nds_add > 0 || e->nds_rem > 0;
	nsf_epp_response_init(&r);
	doc = nsf_epp_build_domain_update(&eff, !c->host_objects,
	    o->client_trid);
	rc = update_exchange(c, doc, o->client_trid, &r, &sent);
	gone = rc == 0 ? vanished_host(c, e, &r) : NULL;
	if (gone != NULL) {
		/* 2303 is a refusal: nothing was done, so sending again
		 * once the host exists is safe (not a blind resend). */
		nsf_notice(NSF_SRC_REGISTRY, chg->domain, "host %s vanished "
		    "after host:check (2303); creating it and sending the "
		    "update again", gone->name);
		nsf_epp_response_deinit(&r);
		if (host_create(c, chg, gone, o) != 0) {
			xmlFreeDoc(doc);
			return;
		}
		rc = update_exchange(c, doc, o->client_trid, &r, &sent);
	}
	xmlFreeDoc(doc);
	if (rc < 0) {
		outcome_set(o, sent ? NSF_APPLY_UNKNOWN : NSF_APPLY_FAILED, 0,
		    NULL, nsf_xasprintf(sent ? "outcome unknown: %s after "
		    "sending domain:update; re-read with domain:info before "
		    "any retry" : "%s; domain:update was not sent",
		    nsf_error_last()));
		nsf_warn(NSF_SRC_REGISTRY, chg->domain, "%s", o->message);
		return;
	}
	update_result(c, chg, &r, o);
	nsf_epp_response_deinit(&r);
}

/* Reads the domain and checks what makes the change impossible; returns
 * 1 when `o` already says why nothing is sent. */
static int
apply_precheck(struct epp_conn *c, const struct nsf_change *chg,
    struct nsf_epp_domain_info *di, struct nsf_outcome *o)
{
	const char *blocking;
	int code;

	if (domain_info(c, chg->domain, di, &code) < 0) {
		outcome_set(o, code == 0 ? NSF_APPLY_FAILED :
		    nsf_epp_result_class(code) == NSF_APPLY_REFUSED ?
		    NSF_APPLY_REFUSED : NSF_APPLY_FAILED, code, NULL,
		    nsf_xasprintf("%s; nothing was changed",
		    nsf_error_last()));
		return 1;
	}
	blocking = nsf_delegation_blocking_status(&di->deleg);
	if (blocking != NULL) {
		outcome_set(o, NSF_APPLY_REFUSED, 0, NULL, nsf_xasprintf(
		    "status %s prohibits changing the nameservers of %s; "
		    "nothing was sent", blocking, chg->domain));
		return 1;
	}
	if (nsf_strv_contains(&di->deleg.statuses, "pendingUpdate")) {
		/* An earlier update (ours after a 1001, or someone else's)
		 * has not completed: sending another one would be refused
		 * or queued behind it.  Wait for info or poll to show the
		 * outcome, then plan again. */
		outcome_set(o, NSF_APPLY_PENDING, 0, NULL, nsf_xasprintf(
		    "an update of %s is already pending at registry %s "
		    "(pendingUpdate); nothing was sent; domain:info or poll "
		    "shows when it completes", chg->domain, reg_name(c)));
		return 1;
	}
	if (chg->ds_change && !c->secdns) {
		o->config_problem = true;
		outcome_set(o, NSF_APPLY_REFUSED, 0, NULL, nsf_xasprintf(
		    "the change asks for a DS update but registry %s does "
		    "not offer secDNS-1.1; nothing was sent", reg_name(c)));
		return 1;
	}
	return 0;
}

/* The steps up to and including the update; returns true when the
 * update was sent (update_send logs its own outcome). */
static bool
apply_steps(struct epp_conn *c, const struct nsf_change *chg,
    struct nsf_epp_domain_info *di, struct effective *e,
    struct nsf_outcome *o)
{
	if (apply_precheck(c, chg, di, o) != 0) {
		return false;
	}
	effective_compute(e, chg, &di->deleg);
	if (e->nadd == 0 && e->nrem == 0 && e->nds_add == 0 &&
	    e->nds_rem == 0) {
		outcome_set(o, NSF_APPLY_DONE, 0, NULL, nsf_xstrdup("the "
		    "registry already holds the wanted nameservers and DS "
		    "records; nothing was sent"));
		return false;
	}
	if (hosts_ensure(c, chg, e, o) != 0) {
		return false;
	}
	update_send(c, chg, e, o);
	return true;
}

static int
epp_apply(struct nsf_registry_conn *base, const struct nsf_change *chg,
    struct nsf_outcome *o)
{
	struct epp_conn *c = (struct epp_conn *)base;
	struct nsf_epp_domain_info di;
	struct effective e = { 0 };
	char trid[64];

	nsf_outcome_deinit(o);
	trid_new(c, trid, sizeof(trid));
	o->client_trid = nsf_xstrdup(chg->client_trid ? chg->client_trid :
	    trid);
	nsf_epp_domain_info_init(&di);
	if (strlen(o->client_trid) < 3 || strlen(o->client_trid) > 64) {
		/* the schema would make the registry answer 2001 */
		o->config_problem = true;
		outcome_set(o, NSF_APPLY_REFUSED, 0, NULL, nsf_xasprintf(
		    "client transaction id '%s' has %zu characters; EPP "
		    "allows 3 to 64 (RFC 5730); nothing was sent",
		    o->client_trid, strlen(o->client_trid)));
		nsf_warn(NSF_SRC_REGISTRY, chg->domain, "%s", o->message);
	} else if (!apply_steps(c, chg, &di, &e, o) &&
	    o->result != NSF_APPLY_DONE) {
		nsf_log(o->result == NSF_APPLY_PENDING ? NSF_LOG_NOTICE :
		    NSF_LOG_WARNING, NSF_SRC_REGISTRY, chg->domain,
		    "change %s: %s", nsf_apply_result_name(o->result),
		    o->message);
	}
	free(e.add);
	free(e.rem);
	free(e.ds_add);
	free(e.ds_rem);
	nsf_epp_domain_info_deinit(&di);
	return 0;
}

/* poll req, then ack of the message read. */
static int
poll_one(struct epp_conn *c, const char *ack_id,
    struct nsf_epp_response *r)
{
	char trid[64];
	xmlDocPtr doc;
	bool sent;
	int rc;

	rc = session_ensure(c);
	if (rc < 0) {
		return rc;
	}
	trid_new(c, trid, sizeof(trid));
	doc = nsf_epp_build_poll(ack_id, trid);
	rc = exchange(c, doc, NULL, ack_id ? "poll-ack" : "poll-req", trid,
	    r, &sent);
	xmlFreeDoc(doc);
	if (rc == 0 && r->code != 1000 && r->code != 1300 &&
	    r->code != 1301) {
		rc = nsf_error_set(NSF_ERROR, "poll at registry %s: %d %s "
		    "(%s)", reg_name(c), r->code, nsf_epp_code_text(r->code),
		    r->msg);
	}
	return rc;
}

static void
poll_note(struct epp_conn *c, const struct nsf_epp_response *r,
    struct nsf_strv *done)
{
	char *domain = NULL;
	bool ok = false;

	if (nsf_epp_pan_parse(&domain, &ok, r) < 0) {
		nsf_info(NSF_SRC_REGISTRY, NULL, "registry %s message %s: %s; "
		    "acknowledged", reg_name(c), r->msgq_id, r->msg);
		return;
	}
	if (ok) {
		nsf_notice(NSF_SRC_REGISTRY, domain, "pending change "
		    "completed at registry %s (message %s)", reg_name(c),
		    r->msgq_id);
		nsf_strv_push(done, domain);
	} else {
		nsf_warn(NSF_SRC_REGISTRY, domain, "pending change was "
		    "rejected by registry %s (message %s); the next pass "
		    "re-reads the domain", reg_name(c), r->msgq_id);
	}
	free(domain);
}

static int
epp_poll(struct nsf_registry_conn *base, struct nsf_strv *done)
{
	struct epp_conn *c = (struct epp_conn *)base;
	struct nsf_epp_response r, ack;
	int i, rc = 0;

	for (i = 0; i < POLL_MAX_MESSAGES; i++) {
		nsf_epp_response_init(&r);
		rc = poll_one(c, NULL, &r);
		if (rc < 0 || r.code != 1301 || r.msgq_id == NULL) {
			nsf_epp_response_deinit(&r);
			break;
		}
		poll_note(c, &r, done);
		nsf_epp_response_init(&ack);
		rc = poll_one(c, r.msgq_id, &ack);
		nsf_epp_response_deinit(&ack);
		nsf_epp_response_deinit(&r);
		if (rc < 0) {
			break;
		}
	}
	return rc;
}

static int
epp_keepalive(struct nsf_registry_conn *base)
{
	struct epp_conn *c = (struct epp_conn *)base;
	struct nsf_epp_greeting g;
	xmlDocPtr doc;
	char *frame = NULL;
	size_t len;
	bool sent;
	int rc;

	if (!c->ready ||
	    nsf_mono_ms() - c->last_io_ms < (int64_t)c->keepalive_ms) {
		return 0;
	}
	if (nsf_epp_tls_peer_gone(&c->tls)) {
		/* nothing to keep: the next command opens a new session */
		session_drop(c, "the registry closed the idle session");
		return 0;
	}
	doc = nsf_epp_build_hello();
	rc = exchange_raw(c, doc, NULL, "hello", &frame, &len, &sent);
	xmlFreeDoc(doc);
	if (rc == 0) {
		nsf_epp_greeting_init(&g);
		rc = nsf_epp_greeting_parse(&g, frame, len);
		nsf_epp_greeting_deinit(&g);
	}
	free(frame);
	if (rc < 0) {
		session_drop(c, nsf_error_last());
		rc = error_in(c, rc, "hello");
	}
	return rc;
}

static void
logout(struct epp_conn *c)
{
	struct nsf_epp_response r;
	uint64_t saved = c->timeout_ms;
	char trid[64];
	xmlDocPtr doc;
	bool sent;

	if (!c->ready || nsf_epp_tls_peer_gone(&c->tls)) {
		return;
	}
	c->ready = false;        /* ending on purpose: nothing to warn of */
	c->timeout_ms = saved < LOGOUT_TIMEOUT_MS ? saved : LOGOUT_TIMEOUT_MS;
	nsf_epp_response_init(&r);
	trid_new(c, trid, sizeof(trid));
	doc = nsf_epp_build_logout(trid);
	if (exchange(c, doc, NULL, "logout", trid, &r, &sent) == 0) {
		nsf_debug(NSF_SRC_REGISTRY, NULL, "logged out of registry %s "
		    "(%d)", reg_name(c), r.code);
	}
	xmlFreeDoc(doc);
	nsf_epp_response_deinit(&r);
	c->timeout_ms = saved;
}

static void
epp_close(struct nsf_registry_conn *base)
{
	struct epp_conn *c = (struct epp_conn *)base;

	logout(c);
	c->ready = false;
	nsf_epp_tls_close(&c->tls);
	nsf_epp_greeting_deinit(&c->greeting);
	free(c->host);
	free(c->ca_file);
	free(c->cert);
	free(c->key);
	free(c->credential);
	free(c->tls_name);
	free(c->username);
	if (c->password != NULL) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->frame_dir);
	free(c);
}

static char *
dup_or_null(const char *s)
{
	return s ? nsf_xstrdup(s) : NULL;
}

/* A private key others can read is no secret: refuse it, as the secrets
 * file itself is refused unless its mode is 0600. */
static int
key_file_check(const char *path, const char *credential)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		return nsf_error_set(NSF_EINVAL, "credential '%s': cannot "
		    "read the client_key file: %s", credential,
		    strerror(errno));
	}
	if ((st.st_mode & 077) != 0) {
		return nsf_error_set(NSF_EINVAL, "credential '%s': the "
		    "client_key file can be read by group or others (mode "
		    "%04o); make it 0600 or 0400", credential,
		    (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

static int
conn_secrets(struct epp_conn *c, const struct nsf_registry *cfg,
    const struct nsf_secrets *secrets)
{
	const char *user, *pw;

	if (cfg->credentials == NULL) {
		return nsf_error_set(NSF_EINVAL, "registry %s: no "
		    "credentials named", cfg->name);
	}
	if (nsf_secrets_require(&user, secrets, cfg->credentials,
	    "username") < 0 || nsf_secrets_require(&pw, secrets,
	    cfg->credentials, "password") < 0) {
		return NSF_EINVAL;
	}
	c->username = nsf_xstrdup(user);
	c->password = nsf_xstrdup(pw);
	c->cert = dup_or_null(nsf_secrets_get(secrets, cfg->credentials,
	    "client_cert"));
	c->key = dup_or_null(nsf_secrets_get(secrets, cfg->credentials,
	    "client_key"));
	if ((c->cert == NULL) != (c->key == NULL)) {
		return nsf_error_set(NSF_EINVAL, "credential '%s': give both "
		    "client_cert and client_key, or neither",
		    cfg->credentials);
	}
	return c->key ? key_file_check(c->key, cfg->credentials) : 0;
}

static int
epp_open(struct nsf_registry_conn **out, const struct nsf_registry *cfg,
    const struct nsf_secrets *secrets)
{
	struct epp_conn *c = nsf_xcalloc(1, sizeof(*c));
	int rc;

	c->base.ops = &nsf_epp_ops;
	c->base.cfg = cfg;
	nsf_epp_tls_init(&c->tls);
	nsf_epp_greeting_init(&c->greeting);
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 30000;
	c->keepalive_ms = KEEPALIVE_DEFAULT_MS;
	rc = conn_secrets(c, cfg, secrets);
	if (rc < 0) {
		goto out;
	}
	c->host = nsf_xstrdup(cfg->server.host);
	c->ca_file = dup_or_null(cfg->ca_file);
	c->credential = nsf_xstrdup(cfg->credentials);
	c->tcfg.host = c->host;
	c->tcfg.port = cfg->server.port ? cfg->server.port : 700;
	c->tcfg.ca_file = c->ca_file;
	c->tcfg.client_cert = c->cert;
	c->tcfg.client_key = c->key;
	c->tcfg.credential = c->credential;
	/* The session opens with the first command, so a registry that is
	 * down at start-up delays nothing but its own domains. */
	*out = &c->base;
	return 0;
out:
	epp_close(&c->base);
	return rc;
}

void
nsf_epp_set_keepalive_interval(struct nsf_registry_conn *base, uint64_t ms)
{
	((struct epp_conn *)base)->keepalive_ms = ms;
}

void
nsf_epp_set_tls_name(struct nsf_registry_conn *base, const char *name)
{
	struct epp_conn *c = (struct epp_conn *)base;

	free(c->tls_name);
	c->tls_name = dup_or_null(name);
	c->tcfg.verify_name = c->tls_name;
}

void
nsf_epp_set_frame_dir(struct nsf_registry_conn *base, const char *dir)
{
	struct epp_conn *c = (struct epp_conn *)base;

	free(c->frame_dir);
	c->frame_dir = dup_or_null(dir);
}

unsigned
nsf_epp_login_count(const struct nsf_registry_conn *base)
{
	return ((const struct epp_conn *)base)->logins;
}

int
nsf_epp_raw(struct nsf_registry_conn *base, const char *xml, size_t len,
    struct nsf_epp_response *out)
{
	struct epp_conn *c = (struct epp_conn *)base;
	char *frame = NULL;
	size_t flen;
	int64_t dl = deadline(c);
	int rc;

	rc = session_ensure(c);
	if (rc < 0) {
		return rc;
	}
	rc = nsf_epp_tls_send(&c->tls, xml, len, dl);
	if (rc == 0) {
		rc = nsf_epp_tls_recv(&c->tls, &frame, &flen, dl);
	}
	if (rc < 0) {
		session_drop(c, nsf_error_last());
		return rc;
	}
	rc = nsf_epp_response_parse(out, frame, flen, NULL);
	free(frame);
	return rc;
}

const struct nsf_registry_ops nsf_epp_ops = {
	.type = "epp",
	.open = epp_open,
	.observe = epp_observe,
	.apply = epp_apply,
	.poll = epp_poll,
	.keepalive = epp_keepalive,
	.close = epp_close,
};
