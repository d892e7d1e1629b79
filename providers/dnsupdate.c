/* dnsupdate.c - registry driver for a parent zone we may change through
 * TSIG-signed RFC 2136 UPDATE (a delegated subdomain, a lab parent). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/rand.h>

#include "../reconciler/log.h"
#include "dnsupdate.h"
#include "tsig.h"

#define DU_UDP_SIZE 1232        /* EDNS buffer we offer (bytes) */
#define DU_RETRANSMIT_MS 1000   /* first UDP retransmission interval */
#define DU_DEFAULT_TTL 3600     /* seconds, for a brand-new delegation */
#define DU_READBACK_PAUSE_MS 500

struct du_conn {
	struct nsf_registry_conn base;
	struct nsf_tsig_key key;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char server[80];        /* "127.0.30.1:53", for messages */
	char *zone;             /* lower case, no trailing dot */
	uint64_t timeout_ms;    /* per observe or apply, whole operation */
};

static int64_t
remaining(int64_t deadline)
{
	int64_t left = deadline - nsf_mono_ms();

	return left > 0 ? left : 0;
}

/* Waits until `fd` is ready for `events` or the deadline passes. */
static int
wait_fd(int fd, short events, int64_t until)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	for (;;) {
		int64_t left = remaining(until);

		n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0) {
			return 0;
		}
		if (n < 0 && errno != EINTR) {
			return nsf_error_set(NSF_ERROR, "poll: %s",
			    strerror(errno));
		}
		if (n == 0 && remaining(until) == 0) {
			return NSF_ETIMEOUT;
		}
	}
}

static int
du_socket(const struct du_conn *c, int type)
{
	int fd = socket(c->addr.ss_family, type | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);

	if (fd < 0) {
		return nsf_error_set(NSF_ERROR, "socket: %s", strerror(errno));
	}
	return fd;
}

#define DU_OPCODE(hdr) ((hdr)[2] & 0x78)

/* Where the question of a message we built ends (names uncompressed). */
static size_t
question_end(const uint8_t *w, size_t len)
{
	size_t pos = 12;

	while (pos < len && w[pos] != 0) {
		pos += 1 + (size_t)w[pos];
	}
	return pos + 5;
}

/* Same question: the name compared without case, type and class exactly
 * (servers echo the name as received, but may change its case). */
static bool
same_question(const uint8_t *resp, size_t len, const uint8_t *qw,
    size_t qlen)
{
	size_t end = question_end(qw, qlen), i;

	if (end > len || end > qlen || resp[4] != 0 || resp[5] != 1) {
		return false;
	}
	for (i = 12; i < end - 4; i++) {
		if (tolower(resp[i]) != tolower(qw[i])) {
			return false;
		}
	}
	return memcmp(resp + end - 4, qw + end - 4, 4) == 0;
}

/*
 * Is `resp` the answer to our message `q`: same id, the QR bit, the same
 * opcode, and for a query the same question?  An UPDATE's answer is not
 * held to its zone section: servers may leave it out of error answers,
 * and the TSIG signature over it is checked instead.
 */
static bool
is_answer_to(const uint8_t *resp, size_t len, const struct nsf_buf *q)
{
	const uint8_t *qw = (const uint8_t *)q->data;

	if (len < 12 || memcmp(resp, qw, 2) != 0 || (resp[2] & 0x80) == 0 ||
	    DU_OPCODE(resp) != DU_OPCODE(qw)) {
		return false;
	}
	return DU_OPCODE(qw) != 0 || same_question(resp, len, qw, q->len);
}

/* One question over UDP, resent with backoff until the deadline. */
static int
udp_exchange(struct du_conn *c, const struct nsf_buf *q, int64_t until,
    struct nsf_buf *resp)
{
	uint8_t buf[65535];
	int64_t interval = DU_RETRANSMIT_MS, next = 0;
	unsigned ignored = 0;   /* datagrams that were not our answer */
	int fd, rc;
	ssize_t n;

	fd = du_socket(c, SOCK_DGRAM);
	if (fd < 0) {
		return fd;
	}
	if (connect(fd, (struct sockaddr *)&c->addr, c->addrlen) < 0) {
		rc = nsf_error_set(NSF_EUNREACHABLE, "%s: %s", c->server,
		    strerror(errno));
		goto out;
	}
	for (;;) {
		if (nsf_mono_ms() >= next) {
			if (send(fd, q->data, q->len, 0) < 0 &&
			    errno != EAGAIN) {
				rc = nsf_error_set(NSF_EUNREACHABLE, "%s: %s",
				    c->server, strerror(errno));
				goto out;
			}
			next = nsf_mono_ms() + interval;
			interval *= 2;
		}
		rc = wait_fd(fd, POLLIN, next < until ? next : until);
		if (rc == NSF_ETIMEOUT && nsf_mono_ms() < until) {
			continue;
		}
		if (rc < 0) {
			goto out;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == ECONNREFUSED) {
			rc = nsf_error_set(NSF_EUNREACHABLE, "%s: %s",
			    c->server, strerror(errno));
			goto out;
		}
		if (n > 0 && is_answer_to(buf, (size_t)n, q)) {
			nsf_buf_put(resp, buf, (size_t)n);
			rc = 0;
			goto out;
		}
		if (n >= 0) {
			ignored++;
		}
	}

out:
	close(fd);
	if (rc == NSF_ETIMEOUT && ignored > 0) {
		rc = nsf_error_set(NSF_ETIMEOUT, "%s did not answer within "
		    "the registry timeout; %u datagram(s) came back that were "
		    "not the answer to our query (another id, opcode or "
		    "question) and were ignored", c->server, ignored);
	} else if (rc == NSF_ETIMEOUT) {
		rc = nsf_error_set(NSF_ETIMEOUT, "%s did not answer within "
		    "the registry timeout", c->server);
	}
	return rc;
}

static int
tcp_connect(struct du_conn *c, int fd, int64_t until)
{
	int err = 0, rc;
	socklen_t len = sizeof(err);

	if (connect(fd, (struct sockaddr *)&c->addr, c->addrlen) == 0) {
		return 0;
	}
	if (errno != EINPROGRESS) {
		return nsf_error_set(NSF_EUNREACHABLE, "%s: %s", c->server,
		    strerror(errno));
	}
	rc = wait_fd(fd, POLLOUT, until);
	if (rc < 0) {
		return rc == NSF_ETIMEOUT ? NSF_EUNREACHABLE : rc;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err != 0) {
		return nsf_error_set(NSF_EUNREACHABLE, "%s: %s", c->server,
		    strerror(err));
	}
	return 0;
}

static int
tcp_write_all(int fd, const uint8_t *p, size_t len, int64_t until)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		int rc;

		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return nsf_error_set(NSF_ERROR, "send: %s",
			    strerror(errno));
		}
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		rc = wait_fd(fd, POLLOUT, until);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

static int
tcp_read_all(int fd, uint8_t *p, size_t len, int64_t until)
{
	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);
		int rc;

		if (n == 0) {
			return nsf_error_set(NSF_ERROR, "the server closed "
			    "the connection before its whole answer came "
			    "(%zu bytes missing)", len);
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return nsf_error_set(NSF_ERROR, "recv: %s",
			    strerror(errno));
		}
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		rc = wait_fd(fd, POLLIN, until);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

/*
 * One message over TCP.  NSF_EUNREACHABLE means nothing was sent; any
 * other failure means the server may have received (and acted on) it.
 */
static int
tcp_exchange(struct du_conn *c, const struct nsf_buf *q, int64_t until,
    struct nsf_buf *resp)
{
	uint8_t len2[2] = { (uint8_t)(q->len >> 8), (uint8_t)q->len };
	uint8_t *body = NULL;
	size_t len;
	int fd, rc;

	fd = du_socket(c, SOCK_STREAM);
	if (fd < 0) {
		return fd;
	}
	rc = tcp_connect(c, fd, until);
	if (rc < 0) {
		goto out;
	}
	rc = tcp_write_all(fd, len2, 2, until);
	if (rc == 0) {
		rc = tcp_write_all(fd, (const uint8_t *)q->data, q->len,
		    until);
	}
	if (rc == 0) {
		rc = tcp_read_all(fd, len2, 2, until);
	}
	if (rc < 0) {
		goto out;
	}
	len = (size_t)len2[0] << 8 | len2[1];
	body = nsf_xmalloc(len ? len : 1);
	rc = tcp_read_all(fd, body, len, until);
	if (rc == 0 && !is_answer_to(body, len, q)) {
		rc = nsf_error_set(NSF_ERROR, "%s answered over TCP with a "
		    "message that is not the answer to ours (another id, "
		    "opcode or question)", c->server);
	}
	if (rc == 0) {
		nsf_buf_put(resp, body, len);
	}

out:
	free(body);
	close(fd);
	if (rc == NSF_ETIMEOUT) {
		rc = nsf_error_set(NSF_ETIMEOUT, "%s did not answer within "
		    "the registry timeout", c->server);
	}
	return rc;
}

/* Seconds since the epoch, as signed into TSIG.  The test build can
 * skew it (NSF_TEST_CLOCK_SKEW, seconds) so that a real server answers
 * BADTIME; the daemon's build has no such switch. */
static int64_t
tsig_clock(void)
{
	int64_t now = nsf_now_ms() / 1000;
#ifdef NSF_TESTING
	const char *skew = getenv("NSF_TEST_CLOCK_SKEW");

	if (skew != NULL) {
		now += strtoll(skew, NULL, 10);
	}
#endif
	return now;
}

static uint16_t
random_id(void)
{
	uint16_t id = 0;

	if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1) {
		id = (uint16_t)(nsf_mono_ms() ^ getpid());
	}
	return id;
}

static int
pkt_to_buf(struct nsf_buf *out, ldns_pkt *p)
{
	uint8_t *wire = NULL;
	size_t size = 0;

	if (ldns_pkt2wire(&wire, p, &size) != LDNS_STATUS_OK) {
		return nsf_error_set(NSF_ERROR, "could not encode a DNS "
		    "message");
	}
	nsf_buf_put(out, wire, size);
	free(wire);
	return 0;
}

/* Asks the primary one question (no recursion), TCP when truncated. */
static int
du_query(ldns_pkt **out, struct du_conn *c, const char *name,
    ldns_rr_type type, int64_t until)
{
	struct nsf_buf q, r;
	ldns_pkt *qp = NULL, *rp = NULL;
	int rc;

	nsf_buf_init(&q);
	nsf_buf_init(&r);
	if (ldns_pkt_query_new_frm_str(&qp, name, type, LDNS_RR_CLASS_IN,
	    0) != LDNS_STATUS_OK) {
		rc = nsf_error_set(NSF_EINVAL, "'%s' is not a domain name",
		    name);
		goto out;
	}
	ldns_pkt_set_id(qp, random_id());
	ldns_pkt_set_edns_udp_size(qp, DU_UDP_SIZE);
	rc = pkt_to_buf(&q, qp);
	if (rc == 0) {
		rc = udp_exchange(c, &q, until, &r);
	}
	if (rc == 0 && ((uint8_t)r.data[2] & 0x02) != 0) {
		nsf_buf_deinit(&r);
		rc = tcp_exchange(c, &q, until, &r);
		if (rc == 0 && ((uint8_t)r.data[2] & 0x02) != 0) {
			rc = nsf_error_set(NSF_ERROR, "%s sent a truncated "
			    "answer for %s even over TCP", c->server, name);
		}
	}
	if (rc < 0) {
		goto out;
	}
	if (ldns_wire2pkt(&rp, (uint8_t *)r.data, r.len) != LDNS_STATUS_OK) {
		rc = nsf_error_set(NSF_ERROR, "%s sent a malformed answer "
		    "for %s", c->server, name);
		goto out;
	}
	if (ldns_pkt_get_rcode(rp) != LDNS_RCODE_NOERROR &&
	    ldns_pkt_get_rcode(rp) != LDNS_RCODE_NXDOMAIN) {
		rc = nsf_error_set(NSF_ERROR, "%s answered %s for %s %s",
		    c->server, ldns_lookup_by_id(ldns_rcodes,
		    ldns_pkt_get_rcode(rp))->name, name,
		    type == LDNS_RR_TYPE_NS ? "NS" : "query");
		ldns_pkt_free(rp);
		goto out;
	}
	*out = rp;

out:
	ldns_pkt_free(qp);
	nsf_buf_deinit(&q);
	nsf_buf_deinit(&r);
	return rc;
}

/* A domain name rdf as we store names: lower case, no trailing dot. */
static char *
dname_text(const ldns_rdf *rdf)
{
	char *s = ldns_rdf2str(rdf), *p;
	size_t n;

	if (s == NULL) {
		return nsf_xstrdup("");
	}
	for (p = s; *p; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			*p = (char)(*p - 'A' + 'a');
		}
	}
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.') {
		s[n - 1] = '\0';
	}
	return s;
}

static bool
owner_is(const ldns_rr *rr, const char *name)
{
	char *o = dname_text(ldns_rr_owner(rr));
	bool same = nsf_name_cmp(o, name) == 0;

	free(o);
	return same;
}

/* A cut between the zone apex and the domain means the domain is not
 * ours to change in this zone. */
static int
check_cut(struct du_conn *c, const ldns_rr *rr, const char *domain)
{
	char *o = dname_text(ldns_rr_owner(rr));
	int rc = 0;

	if (nsf_name_cmp(o, domain) != 0 && nsf_name_cmp(o, c->zone) != 0 &&
	    nsf_name_in_zone(domain, o)) {
		rc = nsf_error_set(NSF_EINVAL, "%s lies below the delegation "
		    "of %s in zone %s: it must be changed in that zone, not "
		    "in %s", domain, o, c->zone, c->zone);
	}
	free(o);
	return rc;
}

static int
collect_ns(struct du_conn *c, ldns_rr_list *list, const char *domain,
    struct nsf_delegation *d)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS) {
			continue;
		}
		if (check_cut(c, rr, domain) < 0) {
			return NSF_EINVAL;
		}
		if (!owner_is(rr, domain) || ldns_rr_rd_count(rr) < 1) {
			continue;
		}
		nsf_strv_push_owned(&d->ns, dname_text(ldns_rr_rdf(rr, 0)));
		if (d->ns_ttl == 0 || ldns_rr_ttl(rr) < d->ns_ttl) {
			d->ns_ttl = ldns_rr_ttl(rr);
		}
	}
	return 0;
}

/* Address records for the nameservers, from a referral's additional
 * section, kept as "name address" lines. */
static void
collect_glue(ldns_rr_list *list, struct nsf_delegation *d)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		char *owner, *addr;

		if ((t != LDNS_RR_TYPE_A && t != LDNS_RR_TYPE_AAAA) ||
		    ldns_rr_rd_count(rr) < 1) {
			continue;
		}
		owner = dname_text(ldns_rr_owner(rr));
		if (nsf_strv_contains(&d->ns, owner)) {
			addr = ldns_rdf2str(ldns_rr_rdf(rr, 0));
			nsf_strv_push_owned(&d->glue, nsf_xasprintf("%s %s",
			    owner, addr ? addr : "?"));
			free(addr);
		}
		free(owner);
	}
	nsf_strv_sort_unique(&d->glue);
}

static void
push_ds(struct nsf_delegation *d, const ldns_rr *rr)
{
	const ldns_rdf *dig = ldns_rr_rdf(rr, 3);
	struct nsf_buf hex;
	struct nsf_ds ds;
	size_t i;

	nsf_buf_init(&hex);
	for (i = 0; i < ldns_rdf_size(dig); i++) {
		nsf_buf_printf(&hex, "%02X", ldns_rdf_data(dig)[i]);
	}
	ds.keytag = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
	ds.alg = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
	ds.digest_type = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
	ds.digest = nsf_buf_detach(&hex);
	d->ds = nsf_xrealloc(d->ds, (d->nds + 1) * sizeof(*d->ds));
	d->ds[d->nds++] = ds;
}

static int
read_ds(struct du_conn *c, const char *domain, struct nsf_delegation *d,
    int64_t until)
{
	ldns_pkt *p = NULL;
	ldns_rr_list *an;
	size_t i;
	int rc;

	rc = du_query(&p, c, domain, LDNS_RR_TYPE_DS, until);
	if (rc < 0) {
		return rc;
	}
	an = ldns_pkt_answer(p);
	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS &&
		    ldns_rr_rd_count(rr) == 4 && owner_is(rr, domain)) {
			push_ds(d, rr);
		}
	}
	ldns_pkt_free(p);
	return 0;
}

static int
check_domain(const struct du_conn *c, const char *domain)
{
	if (!nsf_name_in_zone(domain, c->zone) ||
	    nsf_name_cmp(domain, c->zone) == 0) {
		return nsf_error_set(NSF_EINVAL, "registry '%s': %s is not "
		    "a child of zone %s, so its delegation is not in that "
		    "zone", c->base.cfg->name, domain, c->zone);
	}
	return 0;
}

/* Reads NS set, TTL, glue and DS of `domain` from the primary. */
static int
read_delegation(struct du_conn *c, const char *domain,
    struct nsf_delegation *d, int64_t until)
{
	ldns_pkt *p = NULL;
	int rc;

	rc = check_domain(c, domain);
	if (rc < 0) {
		return rc;
	}
	rc = du_query(&p, c, domain, LDNS_RR_TYPE_NS, until);
	if (rc < 0) {
		return rc;
	}
	rc = collect_ns(c, ldns_pkt_answer(p), domain, d);
	if (rc == 0) {
		rc = collect_ns(c, ldns_pkt_authority(p), domain, d);
	}
	if (rc == 0) {
		nsf_strv_sort_unique(&d->ns);
		collect_glue(ldns_pkt_additional(p), d);
		rc = read_ds(c, domain, d, until);
	}
	ldns_pkt_free(p);
	return rc;
}

static int
du_observe(struct nsf_registry_conn *base, const char *domain,
    struct nsf_delegation *out)
{
	struct du_conn *c = (struct du_conn *)base;
	struct nsf_delegation d;
	int rc;

	nsf_delegation_init(&d);
	rc = read_delegation(c, domain, &d, nsf_mono_ms() +
	    (int64_t)c->timeout_ms);
	if (rc < 0) {
		nsf_delegation_deinit(&d);
		return rc;
	}
	nsf_strv_deinit(&out->ns);
	nsf_strv_deinit(&out->glue);
	out->ns = d.ns;
	out->glue = d.glue;
	out->ds = d.ds;
	out->nds = d.nds;
	out->ns_ttl = d.ns_ttl;
	nsf_strv_deinit(&d.statuses);
	return 0;
}

static ldns_rr *
rr_new(const char *owner, ldns_rr_type type, ldns_rr_class cls,
    uint32_t ttl)
{
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	ldns_rr *rr;

	if (o == NULL) {
		nsf_error_set(NSF_EINVAL, "'%s' is not a domain name", owner);
		return NULL;
	}
	rr = ldns_rr_new();
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, ttl);
	return rr;
}

/* Appends an NS record (owner `domain`, target `ns`) to `list`. */
static int
push_ns(ldns_rr_list *list, const char *domain, const char *ns,
    ldns_rr_class cls, uint32_t ttl)
{
	ldns_rr *rr = rr_new(domain, LDNS_RR_TYPE_NS, cls, ttl);
	ldns_rdf *target = ldns_dname_new_frm_str(ns);

	if (rr == NULL || target == NULL) {
		ldns_rr_free(rr);
		return nsf_error_set(NSF_EINVAL, "'%s' is not a nameserver "
		    "name", ns);
	}
	ldns_rr_push_rdf(rr, target);
	ldns_rr_list_push_rr(list, rr);
	return 0;
}

/* Appends an empty record: with class NONE in the prerequisite section
 * it means "RRset does not exist", with class ANY in the update section
 * "delete the RRset". */
static int
push_empty(ldns_rr_list *list, const char *owner, ldns_rr_type type,
    ldns_rr_class cls)
{
	ldns_rr *rr = rr_new(owner, type, cls, 0);

	if (rr == NULL) {
		return NSF_EINVAL;
	}
	ldns_rr_list_push_rr(list, rr);
	return 0;
}

static bool
is_ipv6(const char *addr)
{
	return strchr(addr, ':') != NULL;
}

static int
push_addrs(ldns_rr_list *list, const struct nsf_nameserver *ns,
    uint32_t ttl)
{
	size_t i;

	for (i = 0; i < ns->naddrs; i++) {
		bool v6 = is_ipv6(ns->addrs[i]);
		ldns_rr *rr = rr_new(ns->name, v6 ? LDNS_RR_TYPE_AAAA :
		    LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, ttl);
		ldns_rdf *a = ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA :
		    LDNS_RDF_TYPE_A, ns->addrs[i]);

		if (rr == NULL || a == NULL) {
			ldns_rr_free(rr);
			return nsf_error_set(NSF_EINVAL, "glue address '%s' "
			    "of %s is not an IP address", ns->addrs[i],
			    ns->name);
		}
		ldns_rr_push_rdf(rr, a);
		ldns_rr_list_push_rr(list, rr);
	}
	return 0;
}

static bool
has_family(const struct nsf_nameserver *ns, bool v6)
{
	size_t i;

	for (i = 0; i < ns->naddrs; i++) {
		if (is_ipv6(ns->addrs[i]) == v6) {
			return true;
		}
	}
	return false;
}

static int
push_ds_rr(ldns_rr_list *list, const char *domain, const struct nsf_ds *ds,
    ldns_rr_class cls, uint32_t ttl)
{
	ldns_rr *rr = rr_new(domain, LDNS_RR_TYPE_DS, cls, ttl);
	ldns_rdf *dig = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_HEX, ds->digest);

	if (rr == NULL || dig == NULL) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(dig);
		return nsf_error_set(NSF_EINVAL, "DS digest of key tag %u is "
		    "not hexadecimal", ds->keytag);
	}
	ldns_rr_push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
	    ds->keytag));
	ldns_rr_push_rdf(rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_ALG,
	    ds->alg));
	ldns_rr_push_rdf(rr, ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8,
	    ds->digest_type));
	ldns_rr_push_rdf(rr, dig);
	ldns_rr_list_push_rr(list, rr);
	return 0;
}

static bool
adds_name(const struct nsf_change *chg, const char *name)
{
	size_t i;

	for (i = 0; i < chg->nadd; i++) {
		if (nsf_name_cmp(chg->add[i]->name, name) == 0) {
			return true;
		}
	}
	return false;
}

/* Prerequisites: the NS set is exactly the one observed (RFC 2136 2.4.2,
 * value dependent; 2.4.3 when it was empty), and no address exists yet
 * for the parent-zone names we give addresses to. */
static int
build_prereqs(ldns_rr_list *pr, const struct nsf_change *chg,
    const struct nsf_strv *parent_glue)
{
	size_t i;
	int rc = 0;

	if (chg->observed->n == 0) {
		rc = push_empty(pr, chg->domain, LDNS_RR_TYPE_NS,
		    LDNS_RR_CLASS_NONE);
	}
	for (i = 0; rc == 0 && i < chg->observed->n; i++) {
		rc = push_ns(pr, chg->domain, chg->observed->v[i],
		    LDNS_RR_CLASS_IN, 0);
	}
	for (i = 0; rc == 0 && i < chg->nadd; i++) {
		const struct nsf_nameserver *ns = chg->add[i];

		if (!nsf_strv_contains(parent_glue, ns->name)) {
			continue;
		}
		if (has_family(ns, false)) {
			rc = push_empty(pr, ns->name, LDNS_RR_TYPE_A,
			    LDNS_RR_CLASS_NONE);
		}
		if (rc == 0 && has_family(ns, true)) {
			rc = push_empty(pr, ns->name, LDNS_RR_TYPE_AAAA,
			    LDNS_RR_CLASS_NONE);
		}
	}
	return rc;
}

/* Glue inside the domain belongs to this delegation alone: it is replaced
 * for added names and deleted for removed ones. */
static int
drop_glue(ldns_rr_list *up, const char *name)
{
	int rc = push_empty(up, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_ANY);

	if (rc == 0) {
		rc = push_empty(up, name, LDNS_RR_TYPE_AAAA,
		    LDNS_RR_CLASS_ANY);
	}
	return rc;
}

static int
build_ns_updates(ldns_rr_list *up, const struct nsf_change *chg,
    uint32_t ttl, const struct nsf_strv *parent_glue)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < chg->nrem; i++) {
		const char *name = chg->rem[i];

		rc = push_ns(up, chg->domain, name, LDNS_RR_CLASS_NONE, 0);
		if (rc == 0 && nsf_name_in_zone(name, chg->domain) &&
		    !adds_name(chg, name)) {
			rc = drop_glue(up, name);
		}
	}
	for (i = 0; rc == 0 && i < chg->nadd; i++) {
		const struct nsf_nameserver *ns = chg->add[i];

		rc = push_ns(up, chg->domain, ns->name, LDNS_RR_CLASS_IN, ttl);
		if (rc == 0 && nsf_name_in_zone(ns->name, chg->domain)) {
			rc = drop_glue(up, ns->name);
			if (rc == 0) {
				rc = push_addrs(up, ns, ttl);
			}
		} else if (rc == 0 &&
		    nsf_strv_contains(parent_glue, ns->name)) {
			rc = push_addrs(up, ns, ttl);
		}
	}
	return rc;
}

static int
build_ds_updates(ldns_rr_list *up, const struct nsf_change *chg,
    uint32_t ttl)
{
	size_t i;
	int rc = 0;

	if (!chg->ds_change) {
		return 0;
	}
	for (i = 0; rc == 0 && i < chg->nds_rem; i++) {
		rc = push_ds_rr(up, chg->domain, &chg->ds_rem[i],
		    LDNS_RR_CLASS_NONE, 0);
	}
	for (i = 0; rc == 0 && i < chg->nds_add; i++) {
		rc = push_ds_rr(up, chg->domain, &chg->ds_add[i],
		    LDNS_RR_CLASS_IN, ttl);
	}
	return rc;
}

NSF_STATIC ldns_pkt *
dnsupdate_build(const char *zone, const struct nsf_change *chg,
    uint32_t ttl, const struct nsf_strv *parent_glue)
{
	ldns_rr_list *pr = ldns_rr_list_new(), *up = ldns_rr_list_new();
	ldns_rdf *z = ldns_dname_new_frm_str(zone);
	ldns_pkt *p = NULL;
	int rc;

	if (z == NULL) {
		nsf_error_set(NSF_EINVAL, "'%s' is not a zone name", zone);
		goto out;
	}
	rc = build_prereqs(pr, chg, parent_glue);
	if (rc == 0) {
		rc = build_ns_updates(up, chg, ttl, parent_glue);
	}
	if (rc == 0) {
		rc = build_ds_updates(up, chg, ttl);
	}
	if (rc < 0) {
		goto out;
	}
	/* The packet copies the lists and takes the zone name. */
	p = ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, pr, up, NULL);
	z = NULL;
	ldns_pkt_set_id(p, random_id());

out:
	ldns_rdf_deep_free(z);
	ldns_rr_list_deep_free(pr);
	ldns_rr_list_deep_free(up);
	return p;
}

static void NSF_PRINTF(4, 5)
outcome_set(struct nsf_outcome *out, enum nsf_apply_result r, int code,
    const char *fmt, ...)
{
	struct nsf_buf b;
	va_list ap;

	nsf_buf_init(&b);
	va_start(ap, fmt);
	nsf_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(out->message);
	out->message = nsf_buf_detach(&b);
	out->result = r;
	out->code = code;
}

static const char *
rcode_name(int rcode)
{
	ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, rcode);

	return t ? t->name : "unknown rcode";
}

NSF_STATIC void
dnsupdate_map_rcode(struct nsf_outcome *out, int rcode, uint16_t tsig_error,
    const char *key_name, const char *server)
{
	out->config_problem = false;
	if (tsig_error != 0) {
		out->config_problem = true;
		outcome_set(out, NSF_APPLY_FAILED, rcode, "%s rejected TSIG "
		    "key '%s': %s; nothing was changed: fix the key in the "
		    "secrets file or on the server", server, key_name,
		    nsf_tsig_error_name(tsig_error));
		return;
	}
	switch (rcode) {
	case LDNS_RCODE_NOERROR:
		outcome_set(out, NSF_APPLY_DONE, rcode, "%s applied the "
		    "update", server);
		return;
	case LDNS_RCODE_NXRRSET:
	case LDNS_RCODE_YXRRSET:
	case LDNS_RCODE_NXDOMAIN:
	case LDNS_RCODE_YXDOMAIN:
		outcome_set(out, NSF_APPLY_CONFLICT, rcode, "%s refused the "
		    "update because its prerequisite failed (%s): the "
		    "delegation changed since it was observed; observe again "
		    "and re-plan", server, rcode_name(rcode));
		return;
	case LDNS_RCODE_NOTAUTH:
	case LDNS_RCODE_REFUSED:
	case LDNS_RCODE_NOTZONE:
		out->config_problem = true;
		outcome_set(out, NSF_APPLY_FAILED, rcode, "%s answered %s to "
		    "the update signed with TSIG key '%s': the key may not "
		    "update this zone, or the server is not its primary; "
		    "check the key and the server's update ACL", server,
		    rcode_name(rcode), key_name);
		return;
	case LDNS_RCODE_FORMERR:
	case LDNS_RCODE_NOTIMPL:
		outcome_set(out, NSF_APPLY_REFUSED, rcode, "%s answered %s: "
		    "it cannot process this update", server,
		    rcode_name(rcode));
		return;
	}
	outcome_set(out, NSF_APPLY_UNKNOWN, rcode, "%s answered %s: the "
	    "update may or may not have been applied; observe before any "
	    "retry", server, rcode_name(rcode));
}

/* What the set will be: observed, less the removed, plus the added. */
static void
expected_set(struct nsf_strv *out, const struct nsf_change *chg)
{
	size_t i, j;

	nsf_strv_init(out);
	for (i = 0; i < chg->observed->n; i++) {
		bool removed = false;

		for (j = 0; j < chg->nrem; j++) {
			if (nsf_name_cmp(chg->observed->v[i],
			    chg->rem[j]) == 0) {
				removed = true;
			}
		}
		if (!removed) {
			nsf_strv_push(out, chg->observed->v[i]);
		}
	}
	for (i = 0; i < chg->nadd; i++) {
		nsf_strv_push(out, chg->add[i]->name);
	}
	nsf_strv_sort_unique(out);
}

static int
check_addresses(const struct nsf_nameserver *ns)
{
	unsigned char buf[16];
	size_t i;

	for (i = 0; i < ns->naddrs; i++) {
		if (inet_pton(AF_INET, ns->addrs[i], buf) != 1 &&
		    inet_pton(AF_INET6, ns->addrs[i], buf) != 1) {
			return nsf_error_set(NSF_EINVAL, "glue address '%s' "
			    "of %s is not an IP address", ns->addrs[i],
			    ns->name);
		}
	}
	return 0;
}

/* Refuses, before anything is sent, a change that cannot be right. */
static int
check_change(const struct du_conn *c, const struct nsf_change *chg,
    const struct nsf_strv *expected)
{
	size_t i;
	int rc;

	rc = check_domain(c, chg->domain);
	if (rc < 0) {
		return rc;
	}
	if (expected->n == 0) {
		return nsf_error_set(NSF_EINVAL, "the change would leave %s "
		    "without nameservers", chg->domain);
	}
	for (i = 0; i < chg->nadd; i++) {
		const struct nsf_nameserver *ns = chg->add[i];

		if (nsf_name_in_zone(ns->name, chg->domain) &&
		    ns->naddrs == 0) {
			return nsf_error_set(NSF_EINVAL, "%s lies inside %s, "
			    "so the parent must hold its glue, and the "
			    "policy gives it no address", ns->name,
			    chg->domain);
		}
		rc = check_addresses(ns);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

static bool
answer_has_address(ldns_pkt *p, const char *name)
{
	ldns_rr_list *lists[2] = { ldns_pkt_answer(p),
	    ldns_pkt_additional(p) };
	size_t i, j;

	for (i = 0; i < 2; i++) {
		for (j = 0; j < ldns_rr_list_rr_count(lists[i]); j++) {
			ldns_rr *rr = ldns_rr_list_rr(lists[i], j);
			ldns_rr_type t = ldns_rr_get_type(rr);

			if ((t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) &&
			    owner_is(rr, name)) {
				return true;
			}
		}
	}
	return false;
}

/* Does the parent already hold an address (A or AAAA) for `name`? */
static int
parent_has_address(bool *out, struct du_conn *c, const char *name,
    int64_t until)
{
	static const ldns_rr_type types[] = {
		LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA,
	};
	size_t i;
	bool has = false;

	for (i = 0; i < NSF_ARRAY_SIZE(types) && !has; i++) {
		ldns_pkt *p = NULL;
		int rc = du_query(&p, c, name, types[i], until);

		if (rc < 0) {
			return rc;
		}
		has = answer_has_address(p, name);
		ldns_pkt_free(p);
	}
	*out = has;
	return 0;
}

/*
 * A nameserver inside the parent zone but outside the domain is reached
 * through the parent's own data (or a sibling's glue): without an address
 * there, resolvers could not find it.  Names the parent already has an
 * address for are left alone (other delegations may use them); the others
 * get the policy's addresses, or the change is refused.
 */
static int
find_parent_glue(struct nsf_strv *out, struct du_conn *c,
    const struct nsf_change *chg, int64_t until)
{
	size_t i;

	for (i = 0; i < chg->nadd; i++) {
		const struct nsf_nameserver *ns = chg->add[i];
		bool has;
		int rc;

		if (!nsf_name_in_zone(ns->name, c->zone) ||
		    nsf_name_in_zone(ns->name, chg->domain)) {
			continue;
		}
		rc = parent_has_address(&has, c, ns->name, until);
		if (rc < 0) {
			return rc;
		}
		if (has) {
			continue;
		}
		if (ns->naddrs == 0) {
			return nsf_error_set(NSF_EINVAL, "%s lies in zone %s, "
			    "which holds no address for it, and the policy "
			    "gives none: resolvers could not reach it",
			    ns->name, c->zone);
		}
		nsf_strv_push(out, ns->name);
	}
	return 0;
}

static int
judge_answer(struct du_conn *c, int rcode, int vrc, uint16_t terr,
    struct nsf_outcome *out)
{
	if (vrc == NSF_ECONFLICT) {
		dnsupdate_map_rcode(out, rcode, terr, c->key.name, c->server);
		return NSF_ERROR;
	}
	if (vrc < 0 && rcode != LDNS_RCODE_NOTAUTH &&
	    rcode != LDNS_RCODE_REFUSED) {
		outcome_set(out, NSF_APPLY_UNKNOWN, rcode, "%s answered %s, "
		    "but the answer cannot be trusted: %s; observe before any "
		    "retry", c->server, rcode_name(rcode), nsf_error_last());
		return NSF_ERROR;
	}
	dnsupdate_map_rcode(out, rcode, 0, c->key.name, c->server);
	return rcode == LDNS_RCODE_NOERROR ? 0 : NSF_ERROR;
}

/* Sends the signed update over TCP and judges the answer into `out`.
 * Returns 0 when the server applied it (NOERROR, signature verified). */
static int
send_update(struct du_conn *c, ldns_pkt *p, struct nsf_outcome *out,
    int64_t until)
{
	uint8_t mac[NSF_TSIG_MAC_MAX];
	struct nsf_buf q, r;
	ldns_pkt *rp = NULL;
	uint16_t terr = 0;
	size_t mac_len;
	int rc, vrc;

	nsf_buf_init(&q);
	nsf_buf_init(&r);
	rc = pkt_to_buf(&q, p);
	if (rc == 0) {
		rc = nsf_tsig_sign(&q, mac, &mac_len, &c->key,
		    tsig_clock());
	}
	if (rc == 0 && q.len > 65535) {
		rc = nsf_error_set(NSF_EINVAL, "the update would be %zu "
		    "bytes, more than one DNS message holds (65535): split "
		    "the change", q.len);
	}
	if (rc < 0) {
		outcome_set(out, NSF_APPLY_REFUSED, 0, "%s", nsf_error_last());
		goto out;
	}
	rc = tcp_exchange(c, &q, until, &r);
	if (rc == NSF_EUNREACHABLE) {
		outcome_set(out, NSF_APPLY_FAILED, 0, "the update was not "
		    "sent: %s", nsf_error_last());
		goto out;
	}
	if (rc < 0) {
		outcome_set(out, NSF_APPLY_UNKNOWN, 0, "the update was sent "
		    "but no usable answer came back (%s); the primary may "
		    "have applied it: observe before any retry",
		    nsf_error_last());
		goto out;
	}
	if (ldns_wire2pkt(&rp, (uint8_t *)r.data, r.len) != LDNS_STATUS_OK) {
		rc = NSF_ERROR;
		outcome_set(out, NSF_APPLY_UNKNOWN, 0, "%s sent a malformed "
		    "answer to the update; observe before any retry",
		    c->server);
		goto out;
	}
	vrc = nsf_tsig_verify(&terr, (const uint8_t *)r.data, r.len, &c->key,
	    mac, mac_len, tsig_clock());
	rc = judge_answer(c, ldns_pkt_get_rcode(rp), vrc, terr, out);

out:
	ldns_pkt_free(rp);
	OPENSSL_cleanse(mac, sizeof(mac));
	nsf_buf_deinit(&q);
	nsf_buf_deinit(&r);
	return rc;
}

static bool
ds_has(const struct nsf_delegation *d, const struct nsf_ds *ds)
{
	size_t i;

	for (i = 0; i < d->nds; i++) {
		if (nsf_ds_equal(&d->ds[i], ds)) {
			return true;
		}
	}
	return false;
}

static bool
ds_as_asked(const struct nsf_delegation *d, const struct nsf_change *chg)
{
	size_t i;

	if (!chg->ds_change) {
		return true;
	}
	for (i = 0; i < chg->nds_add; i++) {
		if (!ds_has(d, &chg->ds_add[i])) {
			return false;
		}
	}
	for (i = 0; i < chg->nds_rem; i++) {
		if (ds_has(d, &chg->ds_rem[i])) {
			return false;
		}
	}
	return true;
}

/* The zone's SOA serial after the change: the closest thing DNS has to a
 * server transaction id. */
static char *
zone_serial(struct du_conn *c, int64_t until)
{
	ldns_pkt *p = NULL;
	ldns_rr_list *an;
	char *id = NULL;
	size_t i;

	if (du_query(&p, c, c->zone, LDNS_RR_TYPE_SOA, until) < 0) {
		return NULL;
	}
	an = ldns_pkt_answer(p);
	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_rr_rd_count(rr) >= 3) {
			id = nsf_xasprintf("%s serial %u", c->zone,
			    ldns_rdf2native_int32(ldns_rr_rdf(rr, 2)));
			break;
		}
	}
	ldns_pkt_free(p);
	return id;
}

static void
pause_ms(int64_t ms, int64_t until)
{
	int64_t left = remaining(until);

	ms = ms < left ? ms : left;
	if (ms > 0) {
		poll(NULL, 0, (int)ms);
	}
}

/* An address in the form ldns prints it, so that "FD00:0::31" and
 * "fd00::31" compare equal; the text itself when it is not one. */
static void
canonical_addr(char *out, size_t n, const char *addr)
{
	unsigned char bin[16];
	int af = is_ipv6(addr) ? AF_INET6 : AF_INET;

	if (inet_pton(af, addr, bin) != 1 ||
	    inet_ntop(af, bin, out, (socklen_t)n) == NULL) {
		snprintf(out, n, "%s", addr);
	}
}

/* Does the parent hold exactly the policy's addresses as glue for each
 * added name inside the domain?  Names the glue is wrong for go into
 * `wrong`. */
static bool
glue_as_asked(const struct nsf_delegation *d, const struct nsf_change *chg,
    struct nsf_strv *wrong)
{
	size_t i, j, held;

	for (i = 0; i < chg->nadd; i++) {
		const struct nsf_nameserver *ns = chg->add[i];
		size_t nlen = strlen(ns->name);
		bool ok = true;

		if (!nsf_name_in_zone(ns->name, chg->domain)) {
			continue;
		}
		for (j = 0; ok && j < ns->naddrs; j++) {
			char want[INET6_ADDRSTRLEN + 256], a[INET6_ADDRSTRLEN];

			canonical_addr(a, sizeof(a), ns->addrs[j]);
			snprintf(want, sizeof(want), "%s %s", ns->name, a);
			ok = nsf_strv_contains(&d->glue, want);
		}
		for (j = 0, held = 0; j < d->glue.n; j++) {
			if (strncmp(d->glue.v[j], ns->name, nlen) == 0 &&
			    d->glue.v[j][nlen] == ' ') {
				held++;
			}
		}
		if (!ok || held != ns->naddrs) {
			nsf_strv_push(wrong, ns->name);
		}
	}
	return wrong->n == 0;
}

/*
 * Reads the set back: a server can answer NOERROR and keep the old data
 * (a broken update policy, a secondary that forwards nowhere).  One second
 * look after a short pause covers a primary that commits asynchronously.
 */
static void
read_back(struct du_conn *c, const struct nsf_change *chg,
    const struct nsf_strv *expected, struct nsf_outcome *out,
    int64_t until)
{
	struct nsf_delegation now;
	struct nsf_strv bad_glue;
	char *got;
	int attempt, rc = 0;

	nsf_strv_init(&bad_glue);
	for (attempt = 0; attempt < 2; attempt++) {
		nsf_delegation_init(&now);
		nsf_strv_deinit(&bad_glue);
		rc = read_delegation(c, chg->domain, &now, until);
		if (rc == 0 && nsf_strv_same_set(&now.ns, expected) &&
		    ds_as_asked(&now, chg) &&
		    glue_as_asked(&now, chg, &bad_glue)) {
			free(out->server_trid);
			out->server_trid = zone_serial(c, until);
			nsf_delegation_deinit(&now);
			return;
		}
		if (rc < 0 || attempt == 1) {
			break;
		}
		nsf_delegation_deinit(&now);
		pause_ms(DU_READBACK_PAUSE_MS, until);
	}
	if (rc < 0) {
		outcome_set(out, NSF_APPLY_UNKNOWN, out->code, "%s answered "
		    "NOERROR, but reading the delegation back failed (%s); "
		    "observe before any retry", c->server, nsf_error_last());
		goto out;
	}
	got = nsf_strv_join(&now.ns, ", ");
	if (nsf_strv_same_set(&now.ns, chg->observed) &&
	    !nsf_strv_same_set(chg->observed, expected)) {
		outcome_set(out, NSF_APPLY_FAILED, out->code, "%s answered "
		    "NOERROR but still serves the old nameservers (%s): the "
		    "update was not applied", c->server, got);
	} else if (nsf_strv_same_set(&now.ns, expected) &&
	    !ds_as_asked(&now, chg)) {
		outcome_set(out, NSF_APPLY_FAILED, out->code, "%s answered "
		    "NOERROR and serves the new nameservers, but not the DS "
		    "records asked for", c->server);
	} else if (nsf_strv_same_set(&now.ns, expected)) {
		char *names = nsf_strv_join(&bad_glue, ", ");

		outcome_set(out, NSF_APPLY_FAILED, out->code, "%s answered "
		    "NOERROR and serves the new nameservers, but not the glue "
		    "addresses the policy gives for %s", c->server, names);
		free(names);
	} else {
		outcome_set(out, NSF_APPLY_UNKNOWN, out->code, "%s answered "
		    "NOERROR but now serves %s, neither the old set nor the "
		    "new one; observe and re-plan", c->server,
		    got[0] ? got : "no nameservers");
	}
	free(got);

out:
	nsf_strv_deinit(&bad_glue);
	nsf_delegation_deinit(&now);
}

static char *
names_text(const struct nsf_change *chg, bool adds)
{
	struct nsf_strv v;
	size_t i;
	char *s;

	nsf_strv_init(&v);
	for (i = 0; adds && i < chg->nadd; i++) {
		nsf_strv_push(&v, chg->add[i]->name);
	}
	for (i = 0; !adds && i < chg->nrem; i++) {
		nsf_strv_push(&v, chg->rem[i]);
	}
	s = v.n ? nsf_strv_join(&v, " ") : nsf_xstrdup("nothing");
	nsf_strv_deinit(&v);
	return s;
}

static void
log_outcome(const struct du_conn *c, const struct nsf_change *chg,
    const struct nsf_outcome *out)
{
	if (out->result == NSF_APPLY_DONE) {
		nsf_notice(NSF_SRC_REGISTRY, chg->domain, "dns update "
		    "applied at %s and read back (%s)", c->server,
		    out->server_trid ? out->server_trid : "serial unknown");
		return;
	}
	nsf_log(out->result == NSF_APPLY_CONFLICT ? NSF_LOG_WARNING :
	    NSF_LOG_ERROR, NSF_SRC_REGISTRY, chg->domain, "dns update %s: "
	    "%s", nsf_apply_result_name(out->result), out->message);
}

/* Reads what is needed before the update: the TTL of the NS set and
 * which parent-zone names lack an address.  Fills `out` on failure. */
static int
prepare(struct du_conn *c, const struct nsf_change *chg, uint32_t *ttl,
    struct nsf_strv *parent_glue, struct nsf_outcome *out, int64_t until)
{
	struct nsf_delegation before;
	int rc;

	nsf_delegation_init(&before);
	rc = read_delegation(c, chg->domain, &before, until);
	if (rc == 0) {
		*ttl = before.ns_ttl ? before.ns_ttl : DU_DEFAULT_TTL;
		rc = find_parent_glue(parent_glue, c, chg, until);
		if (rc == NSF_EINVAL) {
			outcome_set(out, NSF_APPLY_REFUSED, 0, "%s",
			    nsf_error_last());
		}
	}
	if (rc < 0 && rc != NSF_EINVAL) {
		outcome_set(out, NSF_APPLY_FAILED, 0, "nothing was sent: "
		    "could not read the delegation before the update: %s",
		    nsf_error_last());
	}
	nsf_delegation_deinit(&before);
	return rc;
}

static int
du_apply(struct nsf_registry_conn *base, const struct nsf_change *chg,
    struct nsf_outcome *out)
{
	struct du_conn *c = (struct du_conn *)base;
	int64_t until = nsf_mono_ms() + (int64_t)c->timeout_ms;
	struct nsf_strv expected, parent_glue;
	struct nsf_strv none = { 0 };
	struct nsf_change ch = *chg;
	char *adds = NULL, *rems = NULL;
	ldns_pkt *p = NULL;
	uint32_t ttl = DU_DEFAULT_TTL;

	ch.observed = chg->observed ? chg->observed : &none;
	out->client_trid = chg->client_trid ? nsf_xstrdup(chg->client_trid) :
	    nsf_xasprintf("nsf-%04x%04x", random_id(), random_id());
	nsf_strv_init(&parent_glue);
	expected_set(&expected, &ch);
	if (chg->observed == NULL) {
		outcome_set(out, NSF_APPLY_REFUSED, 0, "a DNS update needs "
		    "the observed nameserver set as its prerequisite");
		goto out;
	}
	if (check_change(c, &ch, &expected) < 0) {
		outcome_set(out, NSF_APPLY_REFUSED, 0, "%s", nsf_error_last());
		goto out;
	}
	if (prepare(c, &ch, &ttl, &parent_glue, out, until) < 0) {
		goto out;
	}
	p = dnsupdate_build(c->zone, &ch, ttl, &parent_glue);
	if (p == NULL) {
		outcome_set(out, NSF_APPLY_REFUSED, 0, "%s", nsf_error_last());
		goto out;
	}
	adds = names_text(&ch, true);
	rems = names_text(&ch, false);
	nsf_info(NSF_SRC_REGISTRY, chg->domain, "sending dns update to %s "
	    "with key '%s': add %s, remove %s, if the set is still the %zu "
	    "observed", c->server, c->key.name, adds, rems, ch.observed->n);
	if (send_update(c, p, out, until) == 0) {
		read_back(c, &ch, &expected, out, until);
	}

out:
	log_outcome(c, chg, out);
	free(adds);
	free(rems);
	ldns_pkt_free(p);
	nsf_strv_deinit(&expected);
	nsf_strv_deinit(&parent_glue);
	return 0;
}

static int
resolve_server(struct du_conn *c, const struct nsf_endpoint *ep)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", ep->port ? ep->port : 53);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	rc = getaddrinfo(ep->host, port, &hints, &res);
	if (rc != 0) {
		/* A name, not an address: resolved once, here. */
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(ep->host, port, &hints, &res);
	}
	if (rc != 0) {
		return nsf_error_set(NSF_EINVAL, "registry '%s': server "
		    "'%s': %s", c->base.cfg->name, ep->host,
		    gai_strerror(rc));
	}
	memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
	c->addrlen = res->ai_addrlen;
	snprintf(c->server, sizeof(c->server), strchr(ep->host, ':') ?
	    "[%s]:%s" : "%s:%s", ep->host, port);
	freeaddrinfo(res);
	return 0;
}

static int
load_key(struct du_conn *c, const struct nsf_registry *cfg,
    const struct nsf_secrets *secrets)
{
	const char *name, *secret, *alg;
	int rc;

	if (cfg->credentials == NULL) {
		return nsf_error_set(NSF_EINVAL, "registry '%s': dns-update "
		    "needs 'credentials:' naming a TSIG key in the secrets "
		    "file", cfg->name);
	}
	rc = nsf_secrets_require(&name, secrets, cfg->credentials,
	    "tsig_name");
	if (rc == 0) {
		rc = nsf_secrets_require(&secret, secrets, cfg->credentials,
		    "tsig_secret");
	}
	if (rc < 0) {
		return rc;
	}
	alg = nsf_secrets_get(secrets, cfg->credentials, "tsig_algorithm");
	return nsf_tsig_key_init(&c->key, name, alg, secret);
}

static void du_close(struct nsf_registry_conn *base);

static int
du_open(struct nsf_registry_conn **out, const struct nsf_registry *cfg,
    const struct nsf_secrets *secrets)
{
	struct du_conn *c;
	int rc;

	if (cfg->zone == NULL || cfg->server.host == NULL) {
		return nsf_error_set(NSF_EINVAL, "registry '%s': dns-update "
		    "needs 'zone:' (the parent zone) and 'server:' (its "
		    "primary)", cfg->name);
	}
	c = nsf_xcalloc(1, sizeof(*c));
	c->base.ops = &nsf_dnsupdate_ops;
	c->base.cfg = cfg;
	c->zone = nsf_xstrdup(cfg->zone);
	if (strlen(c->zone) > 1 && c->zone[strlen(c->zone) - 1] == '.') {
		c->zone[strlen(c->zone) - 1] = '\0';
	}
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 30000;
	rc = resolve_server(c, &cfg->server);
	if (rc == 0) {
		rc = load_key(c, cfg, secrets);
	}
	if (rc < 0) {
		du_close(&c->base);
		return rc;
	}
	*out = &c->base;
	return 0;
}

static void
du_close(struct nsf_registry_conn *base)
{
	struct du_conn *c = (struct du_conn *)base;

	if (c == NULL) {
		return;
	}
	nsf_tsig_key_deinit(&c->key);
	free(c->zone);
	free(c);
}

const struct nsf_registry_ops nsf_dnsupdate_ops = {
	.type = "dns-update",
	.open = du_open,
	.observe = du_observe,
	.apply = du_apply,
	.close = du_close,
};
