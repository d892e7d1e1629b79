/* epp_xml.c - EPP commands built as libxml2 trees (every value escaped by
 * the library, never pasted into text) and responses parsed and checked by
 * namespace URI and local name, whatever prefixes the server uses. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>

#include "epp.h"

/* ---------------------------------------------------------------- build */

static xmlDocPtr
doc_new(xmlNodePtr *out_epp)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr epp = xmlNewDocNode(doc, NULL, BAD_CAST "epp", NULL);
	xmlNsPtr ns = xmlNewNs(epp, BAD_CAST NSF_EPP_NS, NULL);

	xmlSetNs(epp, ns);
	xmlDocSetRootElement(doc, epp);
	*out_epp = epp;
	return doc;
}

/* Adds <name>text</name> in the parent's namespace; text is escaped. */
static xmlNodePtr
add_text(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	return xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text);
}

static xmlNodePtr
add_elem(xmlNodePtr parent, xmlNsPtr ns, const char *name)
{
	return xmlNewChild(parent, ns, BAD_CAST name, NULL);
}

/* <command><VERB/>...<clTRID/></command>; returns the verb element. */
static xmlNodePtr
command_new(xmlNodePtr epp, const char *verb)
{
	xmlNodePtr cmd = add_elem(epp, epp->ns, "command");

	return add_elem(cmd, epp->ns, verb);
}

static void
command_finish(xmlNodePtr verb, const char *cl_trid)
{
	add_text(verb->parent, verb->ns, "clTRID", cl_trid);
}

/* An object element (domain:update, host:create) with its namespace
 * declared on it and the prefix the RFCs use. */
static xmlNodePtr
object_new(xmlNodePtr verb, const char *uri, const char *prefix,
    const char *name, xmlNsPtr *out_ns)
{
	xmlNodePtr obj = xmlNewChild(verb, NULL, BAD_CAST name, NULL);
	xmlNsPtr ns = xmlNewNs(obj, BAD_CAST uri, BAD_CAST prefix);

	xmlSetNs(obj, ns);
	*out_ns = ns;
	return obj;
}

xmlDocPtr
nsf_epp_build_hello(void)
{
	xmlNodePtr epp;
	xmlDocPtr doc = doc_new(&epp);

	add_elem(epp, epp->ns, "hello");
	return doc;
}

static void
add_uris(xmlNodePtr parent, xmlNsPtr ns, const char *name,
    const struct nsf_strv *uris)
{
	size_t i;

	for (i = 0; uris != NULL && i < uris->n; i++) {
		add_text(parent, ns, name, uris->v[i]);
	}
}

xmlDocPtr
nsf_epp_build_login(const struct nsf_epp_login *l, const char *cl_trid)
{
	xmlNodePtr epp, login, opts, svcs, ext;
	xmlDocPtr doc = doc_new(&epp);

	login = command_new(epp, "login");
	add_text(login, epp->ns, "clID", l->cl_id);
	add_text(login, epp->ns, "pw", l->pw);
	opts = add_elem(login, epp->ns, "options");
	add_text(opts, epp->ns, "version", l->version);
	add_text(opts, epp->ns, "lang", l->lang);
	svcs = add_elem(login, epp->ns, "svcs");
	add_uris(svcs, epp->ns, "objURI", l->obj_uris);
	if (l->ext_uris != NULL && l->ext_uris->n > 0) {
		ext = add_elem(svcs, epp->ns, "svcExtension");
		add_uris(ext, epp->ns, "extURI", l->ext_uris);
	}
	command_finish(login, cl_trid);
	return doc;
}

xmlDocPtr
nsf_epp_build_logout(const char *cl_trid)
{
	xmlNodePtr epp;
	xmlDocPtr doc = doc_new(&epp);

	command_finish(command_new(epp, "logout"), cl_trid);
	return doc;
}

xmlDocPtr
nsf_epp_build_domain_info(const char *domain, const char *cl_trid)
{
	xmlNodePtr epp, verb, info, name;
	xmlNsPtr ns;
	xmlDocPtr doc = doc_new(&epp);

	verb = command_new(epp, "info");
	info = object_new(verb, NSF_EPP_NS_DOMAIN, "domain", "info", &ns);
	name = add_text(info, ns, "name", domain);
	xmlNewProp(name, BAD_CAST "hosts", BAD_CAST "all");
	command_finish(verb, cl_trid);
	return doc;
}

xmlDocPtr
nsf_epp_build_host_check(const char *const *names, size_t n,
    const char *cl_trid)
{
	xmlNodePtr epp, verb, chk;
	xmlNsPtr ns;
	xmlDocPtr doc = doc_new(&epp);
	size_t i;

	verb = command_new(epp, "check");
	chk = object_new(verb, NSF_EPP_NS_HOST, "host", "check", &ns);
	for (i = 0; i < n; i++) {
		add_text(chk, ns, "name", names[i]);
	}
	command_finish(verb, cl_trid);
	return doc;
}

static const char *
addr_family(const char *addr)
{
	return strchr(addr, ':') != NULL ? "v6" : "v4";
}

xmlDocPtr
nsf_epp_build_host_create(const struct nsf_nameserver *nsv, bool with_addrs,
    const char *cl_trid)
{
	xmlNodePtr epp, verb, cre, a;
	xmlNsPtr ns;
	xmlDocPtr doc = doc_new(&epp);
	size_t i;

	verb = command_new(epp, "create");
	cre = object_new(verb, NSF_EPP_NS_HOST, "host", "create", &ns);
	add_text(cre, ns, "name", nsv->name);
	for (i = 0; with_addrs && i < nsv->naddrs; i++) {
		a = add_text(cre, ns, "addr", nsv->addrs[i]);
		xmlNewProp(a, BAD_CAST "ip", BAD_CAST addr_family(
		    nsv->addrs[i]));
	}
	command_finish(verb, cl_trid);
	return doc;
}

xmlDocPtr
nsf_epp_build_host_info(const char *name, const char *cl_trid)
{
	xmlNodePtr epp, verb, info;
	xmlNsPtr ns;
	xmlDocPtr doc = doc_new(&epp);

	verb = command_new(epp, "info");
	info = object_new(verb, NSF_EPP_NS_HOST, "host", "info", &ns);
	add_text(info, ns, "name", name);
	command_finish(verb, cl_trid);
	return doc;
}

static void
add_addrs(xmlNodePtr parent, xmlNsPtr ns, const struct nsf_strv *addrs)
{
	xmlNodePtr a;
	size_t i;

	for (i = 0; i < addrs->n; i++) {
		a = add_text(parent, ns, "addr", addrs->v[i]);
		xmlNewProp(a, BAD_CAST "ip", BAD_CAST addr_family(
		    addrs->v[i]));
	}
}

xmlDocPtr
nsf_epp_build_host_update(const char *name, const struct nsf_strv *add,
    const struct nsf_strv *rem, const char *cl_trid)
{
	xmlNodePtr epp, verb, upd;
	xmlNsPtr ns;
	xmlDocPtr doc = doc_new(&epp);

	verb = command_new(epp, "update");
	upd = object_new(verb, NSF_EPP_NS_HOST, "host", "update", &ns);
	add_text(upd, ns, "name", name);
	if (add->n > 0) {
		add_addrs(add_elem(upd, ns, "add"), ns, add);
	}
	if (rem->n > 0) {
		add_addrs(add_elem(upd, ns, "rem"), ns, rem);
	}
	command_finish(verb, cl_trid);
	return doc;
}

/* <domain:ns> with hostObj or hostAttr children for the names to add. */
static void
add_ns_add(xmlNodePtr parent, xmlNsPtr ns, const struct nsf_change *chg,
    bool host_attr)
{
	xmlNodePtr nsel = add_elem(parent, ns, "ns"), attr, a;
	const struct nsf_nameserver *n;
	size_t i, j;

	for (i = 0; i < chg->nadd; i++) {
		n = chg->add[i];
		if (!host_attr) {
			add_text(nsel, ns, "hostObj", n->name);
			continue;
		}
		attr = add_elem(nsel, ns, "hostAttr");
		add_text(attr, ns, "hostName", n->name);
		if (!nsf_name_in_zone(n->name, chg->domain)) {
			continue;       /* glue only inside the domain */
		}
		for (j = 0; j < n->naddrs; j++) {
			a = add_text(attr, ns, "hostAddr", n->addrs[j]);
			xmlNewProp(a, BAD_CAST "ip",
			    BAD_CAST addr_family(n->addrs[j]));
		}
	}
}

static void
add_ns_rem(xmlNodePtr parent, xmlNsPtr ns, const struct nsf_change *chg,
    bool host_attr)
{
	xmlNodePtr nsel = add_elem(parent, ns, "ns"), attr;
	size_t i;

	for (i = 0; i < chg->nrem; i++) {
		if (!host_attr) {
			add_text(nsel, ns, "hostObj", chg->rem[i]);
			continue;
		}
		attr = add_elem(nsel, ns, "hostAttr");
		add_text(attr, ns, "hostName", chg->rem[i]);
	}
}

static void
add_ds(xmlNodePtr parent, xmlNsPtr ns, const struct nsf_ds *ds)
{
	xmlNodePtr d = add_elem(parent, ns, "dsData");
	char num[16];

	snprintf(num, sizeof(num), "%u", (unsigned)ds->keytag);
	add_text(d, ns, "keyTag", num);
	snprintf(num, sizeof(num), "%u", (unsigned)ds->alg);
	add_text(d, ns, "alg", num);
	snprintf(num, sizeof(num), "%u", (unsigned)ds->digest_type);
	add_text(d, ns, "digestType", num);
	add_text(d, ns, "digest", ds->digest);
}

/* secDNS:update children come in the order rem, add (RFC 5910 5.2.5). */
static void
add_secdns(xmlNodePtr cmd, const struct nsf_change *chg)
{
	xmlNodePtr ext = add_elem(cmd, cmd->ns, "extension"), upd, part;
	xmlNsPtr ns;
	size_t i;

	upd = xmlNewChild(ext, NULL, BAD_CAST "update", NULL);
	ns = xmlNewNs(upd, BAD_CAST NSF_EPP_NS_SECDNS, BAD_CAST "secDNS");
	xmlSetNs(upd, ns);
	if (chg->nds_rem > 0) {
		part = add_elem(upd, ns, "rem");
		for (i = 0; i < chg->nds_rem; i++) {
			add_ds(part, ns, &chg->ds_rem[i]);
		}
	}
	if (chg->nds_add > 0) {
		part = add_elem(upd, ns, "add");
		for (i = 0; i < chg->nds_add; i++) {
			add_ds(part, ns, &chg->ds_add[i]);
		}
	}
}

xmlDocPtr
nsf_epp_build_domain_update(const struct nsf_change *chg, bool host_attr,
    const char *cl_trid)
{
	xmlNodePtr epp, verb, upd;
	xmlNsPtr ns;
	xmlDocPtr doc = doc_new(&epp);

	verb = command_new(epp, "update");
	upd = object_new(verb, NSF_EPP_NS_DOMAIN, "domain", "update", &ns);
	add_text(upd, ns, "name", chg->domain);
	if (chg->nadd > 0) {
		add_ns_add(add_elem(upd, ns, "add"), ns, chg, host_attr);
	}
	if (chg->nrem > 0) {
		add_ns_rem(add_elem(upd, ns, "rem"), ns, chg, host_attr);
	}
	if (chg->ds_change && (chg->nds_add > 0 || chg->nds_rem > 0)) {
		add_secdns(verb->parent, chg);
	}
	command_finish(verb, cl_trid);
	return doc;
}

xmlDocPtr
nsf_epp_build_poll(const char *msg_id, const char *cl_trid)
{
	xmlNodePtr epp, poll;
	xmlDocPtr doc = doc_new(&epp);

	poll = command_new(epp, "poll");
	if (msg_id == NULL) {
		xmlNewProp(poll, BAD_CAST "op", BAD_CAST "req");
	} else {
		xmlNewProp(poll, BAD_CAST "op", BAD_CAST "ack");
		xmlNewProp(poll, BAD_CAST "msgID", BAD_CAST msg_id);
	}
	command_finish(poll, cl_trid);
	return doc;
}

int
nsf_epp_doc_dump(char **out, size_t *out_len, xmlDocPtr doc)
{
	xmlChar *mem = NULL;
	int len = 0;

	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	if (mem == NULL || len <= 0) {
		xmlFree(mem);
		return nsf_error_set(NSF_ERROR, "cannot serialise an EPP "
		    "command");
	}
	*out = nsf_xstrndup((const char *)mem, (size_t)len);
	*out_len = (size_t)len;
	xmlFree(mem);
	return 0;
}

/* ---------------------------------------------------------------- parse */

static bool
is_elem(xmlNodePtr n, const char *uri, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, uri) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr
child(xmlNodePtr parent, const char *uri, const char *name)
{
	xmlNodePtr c;

	for (c = parent ? parent->children : NULL; c != NULL; c = c->next) {
		if (is_elem(c, uri, name)) {
			return c;
		}
	}
	return NULL;
}

/* The element's text, trimmed; a new string. */
static char *
text_of(xmlNodePtr n)
{
	xmlChar *t = xmlNodeGetContent(n);
	const char *s = t ? (const char *)t : "";
	size_t len;
	char *r;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
		s++;
	}
	len = strlen(s);
	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL) {
		len--;
	}
	r = nsf_xstrndup(s, len);
	xmlFree(t);
	return r;
}

static char *
prop_of(xmlNodePtr n, const char *name)
{
	xmlChar *p = xmlGetNoNsProp(n, BAD_CAST name);
	char *r;

	if (p == NULL) {
		return NULL;
	}
	r = nsf_xstrdup((const char *)p);
	xmlFree(p);
	return r;
}

/* Why libxml2 refused a frame: "line N: message", newline trimmed. */
static void
parse_error_text(char *buf, size_t len, xmlParserCtxtPtr ctxt)
{
	const xmlError *e = ctxt ? xmlCtxtGetLastError(ctxt) : NULL;
	size_t n;

	if (e == NULL || e->message == NULL) {
		snprintf(buf, len, "no detail");
		return;
	}
	snprintf(buf, len, "line %d: %s", e->line, e->message);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) {
		buf[--n] = '\0';
	}
}

/* Parses without network access, entity expansion or DTDs. */
static int
doc_parse(xmlDocPtr *out, xmlNodePtr *out_root, const char *xml,
    size_t len, const char *expect)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	xmlNodePtr root;
	char why[160];

	if (len > NSF_EPP_MAX_FRAME) {
		return nsf_error_set(NSF_ERROR, "EPP frame too large");
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		return nsf_error_set(NSF_ERROR, "cannot create an XML parser");
	}
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "epp-frame.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		parse_error_text(why, sizeof(why), ctxt);
		xmlFreeParserCtxt(ctxt);
		return nsf_error_set(NSF_ERROR, "the registry sent a frame "
		    "that is not well-formed XML (%s)", why);
	}
	xmlFreeParserCtxt(ctxt);
	root = xmlDocGetRootElement(doc);
	if (doc->intSubset != NULL || !is_elem(root, NSF_EPP_NS, "epp") ||
	    !is_elem(xmlFirstElementChild(root), NSF_EPP_NS, expect)) {
		xmlFreeDoc(doc);
		return nsf_error_set(NSF_ERROR, "the registry sent a frame "
		    "that is not an EPP %s", expect);
	}
	*out = doc;
	*out_root = xmlFirstElementChild(root);
	return 0;
}

void
nsf_epp_greeting_init(struct nsf_epp_greeting *g)
{
	memset(g, 0, sizeof(*g));
	nsf_strv_init(&g->versions);
	nsf_strv_init(&g->langs);
	nsf_strv_init(&g->obj_uris);
	nsf_strv_init(&g->ext_uris);
}

void
nsf_epp_greeting_deinit(struct nsf_epp_greeting *g)
{
	free(g->sv_id);
	nsf_strv_deinit(&g->versions);
	nsf_strv_deinit(&g->langs);
	nsf_strv_deinit(&g->obj_uris);
	nsf_strv_deinit(&g->ext_uris);
	nsf_epp_greeting_init(g);
}

static void
collect(struct nsf_strv *out, xmlNodePtr parent, const char *uri,
    const char *name)
{
	xmlNodePtr c;

	for (c = parent ? parent->children : NULL; c != NULL; c = c->next) {
		if (is_elem(c, uri, name)) {
			nsf_strv_push_owned(out, text_of(c));
		}
	}
}

int
nsf_epp_greeting_parse(struct nsf_epp_greeting *out, const char *xml,
    size_t len)
{
	struct nsf_epp_greeting g;
	xmlNodePtr greeting, menu, sid;
	xmlDocPtr doc;
	int rc;

	rc = doc_parse(&doc, &greeting, xml, len, "greeting");
	if (rc < 0) {
		return rc;
	}
	menu = child(greeting, NSF_EPP_NS, "svcMenu");
	sid = child(greeting, NSF_EPP_NS, "svID");
	if (menu == NULL || sid == NULL) {
		xmlFreeDoc(doc);
		return nsf_error_set(NSF_ERROR, "the registry's greeting has "
		    "no svID or svcMenu");
	}
	nsf_epp_greeting_init(&g);
	g.sv_id = text_of(sid);
	collect(&g.versions, menu, NSF_EPP_NS, "version");
	collect(&g.langs, menu, NSF_EPP_NS, "lang");
	collect(&g.obj_uris, menu, NSF_EPP_NS, "objURI");
	collect(&g.ext_uris, child(menu, NSF_EPP_NS, "svcExtension"),
	    NSF_EPP_NS, "extURI");
	xmlFreeDoc(doc);
	*out = g;
	return 0;
}

void
nsf_epp_response_init(struct nsf_epp_response *r)
{
	memset(r, 0, sizeof(*r));
}

void
nsf_epp_response_deinit(struct nsf_epp_response *r)
{
	free(r->msg);
	free(r->reason);
	free(r->value);
	free(r->status);
	free(r->cl_trid);
	free(r->sv_trid);
	free(r->msgq_id);
	if (r->doc != NULL) {
		xmlFreeDoc(r->doc);
	}
	nsf_epp_response_init(r);
}

static const struct {
	int code;
	const char *text;
} codes[] = {
	{ 1000, "command completed successfully" },
	{ 1001, "command completed successfully; action pending" },
	{ 1300, "command completed successfully; no messages" },
	{ 1301, "command completed successfully; ack to dequeue" },
	{ 1500, "command completed successfully; ending session" },
	{ 2000, "unknown command" },
	{ 2001, "command syntax error" },
	{ 2002, "command use error" },
	{ 2003, "required parameter missing" },
	{ 2004, "parameter value range error" },
	{ 2005, "parameter value syntax error" },
	{ 2100, "unimplemented protocol version" },
	{ 2101, "unimplemented command" },
	{ 2102, "unimplemented option" },
	{ 2103, "unimplemented extension" },
	{ 2104, "billing failure" },
	{ 2105, "object is not eligible for renewal" },
	{ 2106, "object is not eligible for transfer" },
	{ 2200, "authentication error" },
	{ 2201, "authorization error" },
	{ 2202, "invalid authorization information" },
	{ 2300, "object pending transfer" },
	{ 2301, "object not pending transfer" },
	{ 2302, "object exists" },
	{ 2303, "object does not exist" },
	{ 2304, "object status prohibits operation" },
	{ 2305, "object association prohibits operation" },
	{ 2306, "parameter value policy error" },
	{ 2307, "unimplemented object service" },
	{ 2308, "data management policy violation" },
	{ 2400, "command failed" },
	{ 2500, "command failed; server closing connection" },
	{ 2501, "authentication error; server closing connection" },
	{ 2502, "session limit exceeded; server closing connection" },
};

const char *
nsf_epp_code_text(int code)
{
	size_t i;

	for (i = 0; i < NSF_ARRAY_SIZE(codes); i++) {
		if (codes[i].code == code) {
			return codes[i].text;
		}
	}
	return "unknown result code";
}

enum nsf_apply_result
nsf_epp_result_class(int code)
{
	if (code == 1001) {
		return NSF_APPLY_PENDING;
	}
	if (code >= 1000 && code < 2000) {
		return NSF_APPLY_DONE;
	}
	/* 2400 and every x5xx: the server may have acted before failing
	 * or closing; codes we do not know are treated the same way. */
	if (code == 2400 || code >= 2500 ||
	    strcmp(nsf_epp_code_text(code), "unknown result code") == 0) {
		return NSF_APPLY_UNKNOWN;
	}
	return NSF_APPLY_REFUSED;
}

/* Reads the code attribute as a number; any 1000..2599 is accepted so an
 * unlisted code is still classified by its digits. */
static int
parse_code(int *out, bool *known, xmlNodePtr result)
{
	char *s = prop_of(result, "code"), *end = NULL;
	long v = s ? strtol(s, &end, 10) : 0;
	bool ok = s != NULL && *s != '\0' && *end == '\0' && strlen(s) == 4 &&
	    v >= 1000 && v <= 2599;

	free(s);
	if (!ok) {
		return nsf_error_set(NSF_ERROR, "the registry's response has "
		    "no valid result code");
	}
	*out = (int)v;
	*known = strcmp(nsf_epp_code_text((int)v),
	    "unknown result code") != 0;
	return 0;
}

/* value / extValue: the first element inside, its text or status. */
static void
parse_values(struct nsf_epp_response *r, xmlNodePtr result)
{
	xmlNodePtr ev = child(result, NSF_EPP_NS, "extValue");
	xmlNodePtr val = child(result, NSF_EPP_NS, "value"), inner, rs;

	if (val == NULL && ev != NULL) {
		val = child(ev, NSF_EPP_NS, "value");
	}
	rs = ev ? child(ev, NSF_EPP_NS, "reason") : NULL;
	if (rs != NULL) {
		r->reason = text_of(rs);
	}
	inner = val ? xmlFirstElementChild(val) : NULL;
	if (inner == NULL) {
		return;
	}
	r->status = prop_of(inner, "s");
	if (xmlFirstElementChild(inner) != NULL) {
		inner = xmlFirstElementChild(inner);
	}
	r->value = text_of(inner);
}

static int
parse_trid(struct nsf_epp_response *r, xmlNodePtr resp, const char *sent)
{
	xmlNodePtr trid = child(resp, NSF_EPP_NS, "trID"), c, s;

	c = child(trid, NSF_EPP_NS, "clTRID");
	s = child(trid, NSF_EPP_NS, "svTRID");
	if (s == NULL) {
		return nsf_error_set(NSF_ERROR, "the registry's response "
		    "carries no server transaction id (svTRID)");
	}
	r->sv_trid = text_of(s);
	if (c != NULL) {
		r->cl_trid = text_of(c);
	}
	if (sent == NULL) {
		return 0;
	}
	if (r->cl_trid != NULL && strcmp(r->cl_trid, sent) != 0) {
		return nsf_error_set(NSF_ERROR, "the registry answered "
		    "transaction %s while we sent %s", r->cl_trid, sent);
	}
	if (r->cl_trid == NULL && r->code != 2001) {
		return nsf_error_set(NSF_ERROR, "the registry did not echo "
		    "our transaction id %s", sent);
	}
	return 0;
}

static void
parse_msgq(struct nsf_epp_response *r, xmlNodePtr resp)
{
	xmlNodePtr q = child(resp, NSF_EPP_NS, "msgQ");
	char *count;

	if (q == NULL) {
		return;
	}
	r->msgq_id = prop_of(q, "id");
	count = prop_of(q, "count");
	r->msgq_count = count ? (unsigned)strtoul(count, NULL, 10) : 0;
	free(count);
}

int
nsf_epp_response_parse(struct nsf_epp_response *out, const char *xml,
    size_t len, const char *cl_trid)
{
	struct nsf_epp_response r;
	xmlNodePtr resp, result, msg;
	int rc;

	nsf_epp_response_init(&r);
	rc = doc_parse(&r.doc, &resp, xml, len, "response");
	if (rc < 0) {
		return rc;
	}
	result = child(resp, NSF_EPP_NS, "result");
	if (result == NULL) {
		rc = nsf_error_set(NSF_ERROR, "the registry's response has "
		    "no result");
		goto out;
	}

	rc = parse_code(&r.code, &r.known_code, result);
	if (rc < 0) {
		goto out;
	}
	msg = child(result, NSF_EPP_NS, "msg");
	r.msg = msg ? text_of(msg) : nsf_xstrdup("");
	parse_values(&r, result);
	parse_msgq(&r, resp);

	rc = parse_trid(&r, resp, cl_trid);
	if (rc < 0) {
		goto out;
	}
	r.res_data = child(resp, NSF_EPP_NS, "resData");
	r.extension = child(resp, NSF_EPP_NS, "extension");
	*out = r;
	return 0;
out:
	nsf_epp_response_deinit(&r);
	return rc;
}

void
nsf_epp_domain_info_init(struct nsf_epp_domain_info *di)
{
	memset(di, 0, sizeof(*di));
	nsf_delegation_init(&di->deleg);
	nsf_strv_init(&di->subordinates);
}

void
nsf_epp_domain_info_deinit(struct nsf_epp_domain_info *di)
{
	nsf_delegation_deinit(&di->deleg);
	nsf_strv_deinit(&di->subordinates);
	free(di->cl_id);
	nsf_epp_domain_info_init(di);
}

/* The status values RFC 5731 section 2.3 defines. */
static bool
domain_status_valid(const char *s)
{
	static const char *const valid[] = {
		"clientDeleteProhibited", "clientHold",
		"clientRenewProhibited", "clientTransferProhibited",
		"clientUpdateProhibited", "inactive", "ok", "pendingCreate",
		"pendingDelete", "pendingRenew", "pendingTransfer",
		"pendingUpdate", "serverDeleteProhibited", "serverHold",
		"serverRenewProhibited", "serverTransferProhibited",
		"serverUpdateProhibited",
	};
	size_t i;

	for (i = 0; i < NSF_ARRAY_SIZE(valid); i++) {
		if (strcmp(s, valid[i]) == 0) {
			return true;
		}
	}
	return false;
}

static char *
lower_name(char *s)
{
	size_t len = strlen(s), i;

	if (len > 0 && s[len - 1] == '.') {
		s[len - 1] = '\0';
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z') {
			s[i] = (char)(s[i] - 'A' + 'a');
		}
	}
	return s;
}

/* hostAttr carries its glue: "name address" lines, as registry.h has
 * them. */
static void
attr_glue(struct nsf_epp_domain_info *di, xmlNodePtr attr, const char *name)
{
	xmlNodePtr a;
	char *addr;

	for (a = attr->children; a != NULL; a = a->next) {
		if (!is_elem(a, NSF_EPP_NS_DOMAIN, "hostAddr")) {
			continue;
		}
		addr = text_of(a);
		nsf_strv_push_owned(&di->deleg.glue, nsf_xasprintf("%s %s",
		    name, addr));
		free(addr);
	}
}

static int
parse_ns(struct nsf_epp_domain_info *di, xmlNodePtr nsel)
{
	xmlNodePtr c, hn;

	for (c = nsel ? nsel->children : NULL; c != NULL; c = c->next) {
		if (is_elem(c, NSF_EPP_NS_DOMAIN, "hostObj")) {
			nsf_strv_push_owned(&di->deleg.ns,
			    lower_name(text_of(c)));
		} else if (is_elem(c, NSF_EPP_NS_DOMAIN, "hostAttr")) {
			hn = child(c, NSF_EPP_NS_DOMAIN, "hostName");
			if (hn == NULL) {
				return nsf_error_set(NSF_ERROR, "domain:info: "
				    "hostAttr without hostName");
			}
			di->host_attr = true;
			nsf_strv_push_owned(&di->deleg.ns,
			    lower_name(text_of(hn)));
			attr_glue(di, c, di->deleg.ns.v[di->deleg.ns.n - 1]);
		}
	}
	nsf_strv_sort_unique(&di->deleg.ns);
	nsf_strv_sort_unique(&di->deleg.glue);
	return 0;
}

static int
parse_statuses(struct nsf_epp_domain_info *di, xmlNodePtr inf)
{
	xmlNodePtr c;
	char *s;

	for (c = inf->children; c != NULL; c = c->next) {
		if (!is_elem(c, NSF_EPP_NS_DOMAIN, "status")) {
			continue;
		}
		s = prop_of(c, "s");
		if (s == NULL || !domain_status_valid(s)) {
			nsf_error_set(NSF_ERROR, "domain:info: '%s' is not a "
			    "domain status (RFC 5731 2.3)", s ? s : "");
			free(s);
			return NSF_ERROR;
		}
		nsf_strv_push_owned(&di->deleg.statuses, s);
	}
	return 0;
}

static int
num_of(unsigned long *out, xmlNodePtr parent, const char *name,
    unsigned long max)
{
	xmlNodePtr n = child(parent, NSF_EPP_NS_SECDNS, name);
	char *t, *end;
	unsigned long v;

	if (n == NULL) {
		return nsf_error_set(NSF_ERROR, "secDNS:dsData without %s",
		    name);
	}
	t = text_of(n);
	v = strtoul(t, &end, 10);
	if (*t == '\0' || *end != '\0' || v > max) {
		free(t);
		return nsf_error_set(NSF_ERROR, "secDNS:%s is not a number "
		    "up to %lu", name, max);
	}
	free(t);
	*out = v;
	return 0;
}

static int
parse_one_ds(struct nsf_ds *out, xmlNodePtr dsel)
{
	unsigned long tag, alg, dt;
	xmlNodePtr dg = child(dsel, NSF_EPP_NS_SECDNS, "digest");
	char *text;
	int rc;

	if (num_of(&tag, dsel, "keyTag", 65535) < 0 ||
	    num_of(&alg, dsel, "alg", 255) < 0 ||
	    num_of(&dt, dsel, "digestType", 255) < 0) {
		return NSF_ERROR;
	}
	if (dg == NULL) {
		return nsf_error_set(NSF_ERROR, "secDNS:dsData without "
		    "digest");
	}
	text = text_of(dg);
	{
		char *line = nsf_xasprintf("%lu %lu %lu %s", tag, alg, dt,
		    text);

		rc = nsf_ds_parse(out, line);
		free(line);
	}
	free(text);
	return rc;
}

static int
parse_secdns(struct nsf_epp_domain_info *di, xmlNodePtr ext)
{
	xmlNodePtr inf = child(ext, NSF_EPP_NS_SECDNS, "infData"), c;
	struct nsf_delegation *d = &di->deleg;
	int rc;

	for (c = inf ? inf->children : NULL; c != NULL; c = c->next) {
		if (!is_elem(c, NSF_EPP_NS_SECDNS, "dsData")) {
			continue;
		}
		d->ds = nsf_xrealloc(d->ds, (d->nds + 1) * sizeof(*d->ds));
		rc = parse_one_ds(&d->ds[d->nds], c);
		if (rc < 0) {
			return rc;
		}
		d->nds++;
	}
	return 0;
}

int
nsf_epp_domain_info_parse(struct nsf_epp_domain_info *out,
    const struct nsf_epp_response *r)
{
	struct nsf_epp_domain_info di;
	xmlNodePtr inf = child(r->res_data, NSF_EPP_NS_DOMAIN, "infData"), n;
	int rc;

	if (inf == NULL) {
		return nsf_error_set(NSF_ERROR, "domain:info answer without "
		    "domain:infData");
	}
	nsf_epp_domain_info_init(&di);
	rc = parse_statuses(&di, inf);
	if (rc < 0) {
		goto out;
	}

	rc = parse_ns(&di, child(inf, NSF_EPP_NS_DOMAIN, "ns"));
	if (rc < 0) {
		goto out;
	}
	collect(&di.subordinates, inf, NSF_EPP_NS_DOMAIN, "host");
	n = child(inf, NSF_EPP_NS_DOMAIN, "clID");
	di.cl_id = n ? text_of(n) : NULL;

	rc = parse_secdns(&di, r->extension);
	if (rc < 0) {
		goto out;
	}
	*out = di;
	return 0;
out:
	nsf_epp_domain_info_deinit(&di);
	return rc;
}

static bool
truthy(const char *s)
{
	return s != NULL && (strcmp(s, "1") == 0 || strcmp(s, "true") == 0);
}

int
nsf_epp_host_check_parse(struct nsf_strv *avail,
    const struct nsf_epp_response *r)
{
	xmlNodePtr chk = child(r->res_data, NSF_EPP_NS_HOST, "chkData"), cd;
	xmlNodePtr name;
	char *a;

	if (chk == NULL) {
		return nsf_error_set(NSF_ERROR, "host:check answer without "
		    "host:chkData");
	}
	nsf_strv_init(avail);
	for (cd = chk->children; cd != NULL; cd = cd->next) {
		name = is_elem(cd, NSF_EPP_NS_HOST, "cd") ?
		    child(cd, NSF_EPP_NS_HOST, "name") : NULL;
		if (name == NULL) {
			continue;
		}
		a = prop_of(name, "avail");
		if (truthy(a)) {
			nsf_strv_push_owned(avail, lower_name(text_of(name)));
		}
		free(a);
	}
	return 0;
}

int
nsf_epp_host_info_parse(struct nsf_strv *addrs,
    const struct nsf_epp_response *r)
{
	xmlNodePtr inf = child(r->res_data, NSF_EPP_NS_HOST, "infData");

	if (inf == NULL) {
		return nsf_error_set(NSF_ERROR, "host:info answer without "
		    "host:infData");
	}
	nsf_strv_init(addrs);
	collect(addrs, inf, NSF_EPP_NS_HOST, "addr");
	return 0;
}

int
nsf_epp_pan_parse(char **out_domain, bool *out_ok,
    const struct nsf_epp_response *r)
{
	xmlNodePtr pan = child(r->res_data, NSF_EPP_NS_DOMAIN, "panData");
	xmlNodePtr name = child(pan, NSF_EPP_NS_DOMAIN, "name");
	char *res;

	if (name == NULL) {
		return nsf_error_set(NSF_ENOTFOUND, "poll message without "
		    "domain:panData");
	}
	res = prop_of(name, "paResult");
	*out_ok = truthy(res);
	free(res);
	*out_domain = lower_name(text_of(name));
	return 0;
}
