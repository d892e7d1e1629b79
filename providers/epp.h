/* epp.h - EPP driver internals shared by its transport (epp_tls.c), its
 * XML layer (epp_xml.c), the session (epp.c), tests and test tooling. */
#ifndef NSF_EPP_H
#define NSF_EPP_H

#include <libxml/tree.h>
#include <openssl/ssl.h>

#include "registry.h"

/* Namespaces; responses are matched by these URIs, never by prefix. */
#define NSF_EPP_NS "urn:ietf:params:xml:ns:epp-1.0"
#define NSF_EPP_NS_DOMAIN "urn:ietf:params:xml:ns:domain-1.0"
#define NSF_EPP_NS_HOST "urn:ietf:params:xml:ns:host-1.0"
#define NSF_EPP_NS_SECDNS "urn:ietf:params:xml:ns:secDNS-1.1"

/* Frames larger than this are refused in both directions (bytes,
 * including the 4-byte length header of RFC 5734). */
#define NSF_EPP_MAX_FRAME (4u * 1024 * 1024)

/* ---- transport: TLS over TCP with RFC 5734 framing (epp_tls.c) ---- */

struct nsf_epp_tls_cfg {
	const char *host;       /* IP literal or host name verified in the
				 * server certificate */
	const char *verify_name;        /* NULL: verify `host`; else this
					 * name (also sent as SNI) while
					 * connecting to `host` */
	uint16_t port;
	const char *ca_file;    /* NULL: the system's trust store */
	const char *client_cert;        /* PEM chain file; NULL = none */
	const char *client_key;         /* PEM key file */
	const char *credential;         /* name for messages, never a path */
};

/* One connection.  Every step function is non-blocking and returns 0 when
 * done, NSF_EAGAIN when it would block (wait with nsf_epp_tls_wait), or a
 * negative error with the message set. */
struct nsf_epp_tls {
	int fd;                 /* -1 when closed */
	SSL_CTX *ctx;
	SSL *ssl;
	bool handshake_done;
	int want;               /* POLLIN or POLLOUT: what the last step
				 * waits for */
	/* reading a frame */
	unsigned char hdr[4];
	size_t hdr_got;         /* header bytes read so far (0..4) */
	char *in;               /* payload being read */
	size_t in_len;          /* payload length from the header */
	size_t in_got;
	/* writing a frame */
	unsigned char *out;     /* header + payload */
	size_t out_len;
	size_t out_sent;
};

void nsf_epp_tls_init(struct nsf_epp_tls *t);
/* Starts a TCP connection and prepares TLS; finish with
 * nsf_epp_tls_handshake_step. */
int nsf_epp_tls_connect(struct nsf_epp_tls *t,
    const struct nsf_epp_tls_cfg *cfg);
int nsf_epp_tls_handshake_step(struct nsf_epp_tls *t);
/* Queues one frame; then call nsf_epp_tls_write_step until it returns 0. */
int nsf_epp_tls_queue(struct nsf_epp_tls *t, const char *data, size_t len);
int nsf_epp_tls_write_step(struct nsf_epp_tls *t);
/* Reads one frame; on 0, *out (NUL-terminated) and *out_len are the
 * payload, owned by the caller. */
int nsf_epp_tls_read_step(struct nsf_epp_tls *t, char **out,
    size_t *out_len);
/* Waits until the direction the last step wants is ready or the deadline
 * (monotonic ms) passes: 0, NSF_ETIMEOUT, or an error. */
int nsf_epp_tls_wait(struct nsf_epp_tls *t, int64_t deadline_ms);
/* True when the peer has closed (or sent any EPP data) while we sent no
 * command: an idle EPP session never receives unsolicited frames.  TLS
 * records that carry no data (TLS 1.3 session tickets, key updates) are
 * consumed and leave the session usable. */
bool nsf_epp_tls_peer_gone(struct nsf_epp_tls *t);
void nsf_epp_tls_close(struct nsf_epp_tls *t);

/* Blocking helpers over the step functions, bounded by the deadline. */
int nsf_epp_tls_open(struct nsf_epp_tls *t, const struct nsf_epp_tls_cfg *cfg,
    int64_t deadline_ms);
int nsf_epp_tls_send(struct nsf_epp_tls *t, const char *data, size_t len,
    int64_t deadline_ms);
int nsf_epp_tls_recv(struct nsf_epp_tls *t, char **out, size_t *out_len,
    int64_t deadline_ms);

/* ---- XML: commands built with libxml2 trees, responses parsed by
 * namespace URI (epp_xml.c) ---- */

/* What the greeting offers. */
struct nsf_epp_greeting {
	char *sv_id;
	struct nsf_strv versions;
	struct nsf_strv langs;
	struct nsf_strv obj_uris;
	struct nsf_strv ext_uris;
};

void nsf_epp_greeting_init(struct nsf_epp_greeting *g);
void nsf_epp_greeting_deinit(struct nsf_epp_greeting *g);
int nsf_epp_greeting_parse(struct nsf_epp_greeting *out, const char *xml,
    size_t len);

/* One response, checked: result code, svTRID present, clTRID echoed. */
struct nsf_epp_response {
	int code;               /* result code, 1000..2599 */
	bool known_code;        /* listed in RFC 5730 section 3 */
	char *msg;
	char *reason;           /* extValue/reason, or NULL */
	char *value;            /* text of the first value/extValue element
				 * (a host name, a domain name), or NULL */
	char *status;           /* an s="..." status named in a value */
	char *cl_trid;          /* NULL when the server echoed none */
	char *sv_trid;
	char *msgq_id;          /* poll: the message id, or NULL */
	unsigned msgq_count;
	xmlDocPtr doc;          /* whole response, for resData/extension */
	xmlNodePtr res_data;    /* <resData> or NULL */
	xmlNodePtr extension;   /* <extension> or NULL */
};

void nsf_epp_response_init(struct nsf_epp_response *r);
void nsf_epp_response_deinit(struct nsf_epp_response *r);
/* Parses and checks; `cl_trid` is what we sent (NULL: none). */
int nsf_epp_response_parse(struct nsf_epp_response *out, const char *xml,
    size_t len, const char *cl_trid);

/* The contents of domain:infData and secDNS:infData. */
struct nsf_epp_domain_info {
	struct nsf_delegation deleg;    /* ns, ds, statuses */
	char *cl_id;            /* sponsoring registrar */
	bool host_attr;         /* nameservers came as hostAttr */
	struct nsf_strv subordinates;   /* domain:host names */
};

void nsf_epp_domain_info_init(struct nsf_epp_domain_info *di);
void nsf_epp_domain_info_deinit(struct nsf_epp_domain_info *di);
int nsf_epp_domain_info_parse(struct nsf_epp_domain_info *out,
    const struct nsf_epp_response *r);
/* host:chkData: the names that do not exist yet (avail="1"). */
int nsf_epp_host_check_parse(struct nsf_strv *avail,
    const struct nsf_epp_response *r);
/* host:infData: the host's addresses as the registry wrote them. */
int nsf_epp_host_info_parse(struct nsf_strv *addrs,
    const struct nsf_epp_response *r);
/* domain:panData: the domain and whether the pending action succeeded. */
int nsf_epp_pan_parse(char **out_domain, bool *out_ok,
    const struct nsf_epp_response *r);

/* Command builders.  Every value goes in through the libxml2 tree API.
 * Each returns a new document; the caller frees it with xmlFreeDoc. */
struct nsf_epp_login {
	const char *cl_id;
	const char *pw;
	const char *version;
	const char *lang;
	const struct nsf_strv *obj_uris;
	const struct nsf_strv *ext_uris;
};

xmlDocPtr nsf_epp_build_hello(void);
xmlDocPtr nsf_epp_build_login(const struct nsf_epp_login *l,
    const char *cl_trid);
xmlDocPtr nsf_epp_build_logout(const char *cl_trid);
xmlDocPtr nsf_epp_build_domain_info(const char *domain, const char *cl_trid);
xmlDocPtr nsf_epp_build_host_check(const char *const *names, size_t n,
    const char *cl_trid);
xmlDocPtr nsf_epp_build_host_create(const struct nsf_nameserver *ns,
    bool with_addrs, const char *cl_trid);
xmlDocPtr nsf_epp_build_host_info(const char *name, const char *cl_trid);
/* host:update adding and removing addresses (glue). */
xmlDocPtr nsf_epp_build_host_update(const char *name,
    const struct nsf_strv *add, const struct nsf_strv *rem,
    const char *cl_trid);
/* One domain:update with add and rem, and secDNS:update when
 * chg->ds_change; host_attr selects the hostAttr form (glue only for names
 * inside the domain). */
xmlDocPtr nsf_epp_build_domain_update(const struct nsf_change *chg,
    bool host_attr, const char *cl_trid);
xmlDocPtr nsf_epp_build_poll(const char *msg_id, const char *cl_trid);

/* Serialises a document for the wire (UTF-8). */
int nsf_epp_doc_dump(char **out, size_t *out_len, xmlDocPtr doc);

/* Maps a result code of a domain:update to an outcome class. */
enum nsf_apply_result nsf_epp_result_class(int code);
/* The RFC 5730 text for a code, or "unknown result code". */
const char *nsf_epp_code_text(int code);

/* ---- driver extras for the integrator and test tooling (epp.c) ---- */

/* How long a session may stay idle before keepalive sends <hello>
 * (default 60 s: well within the 10 minutes or more registries allow). */
void nsf_epp_set_keepalive_interval(struct nsf_registry_conn *c,
    uint64_t ms);
/* Writes a copy of every frame we send to DIR/NNNN-<command>.xml with the
 * password masked (test tooling: the frames are validated with xmllint). */
void nsf_epp_set_frame_dir(struct nsf_registry_conn *c, const char *dir);
/* Sends a raw command frame (test tooling) and parses the answer. */
int nsf_epp_raw(struct nsf_registry_conn *c, const char *xml, size_t len,
    struct nsf_epp_response *out);
/* Connect to the configured address but verify (and send as SNI) this
 * host name in the registry's certificate; NULL restores the default. */
void nsf_epp_set_tls_name(struct nsf_registry_conn *c, const char *name);
/* How many times this connection has logged in (reconnects + 1). */
unsigned nsf_epp_login_count(const struct nsf_registry_conn *c);

#endif
