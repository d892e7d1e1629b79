/* probe.c - the DNS prober: builds a round of queries from the policy and
 * runs them through one epoll loop over a rotating pool of UDP sockets. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "../reconciler/log.h"

#define NONE UINT32_MAX
#define POOL_PER_FAMILY 16      /* UDP sockets per address family */
#define POOL_ROTATE 512         /* queries before a socket is replaced */
#define RECV_BATCH 32
#define TX_BATCH 32             /* datagrams per sendmmsg */
#define RECV_BUF 4096           /* larger datagrams are malformed here */
#define EDNS_SIZE 1232          /* the DNS flag day 2020 value */
#define TCP_TAG (1ULL << 32)    /* epoll data: TCP slot vs pool socket */

/* How a datagram relates to the query it claims to answer. */
enum match {
	MATCH_OK = 0,           /* parsed; answers exactly our question */
	MATCH_WRONG_QUESTION,   /* not a response to our question */
	MATCH_MALFORMED,        /* does not parse */
};

/* Reachable from unit tests (tests/unit/test_probe.c) through NSF_STATIC. */
NSF_STATIC int probe_parse_endpoint(struct sockaddr_storage *out,
    socklen_t *out_len, const char *text, uint16_t default_port);
NSF_STATIC int probe_match(ldns_pkt **out, const uint8_t *ans, size_t len,
    const uint8_t *query, size_t qend);
NSF_STATIC enum nsf_probe_result probe_classify(const ldns_pkt *pkt,
    bool soa, bool nxdomain_ok, uint32_t *serial, ldns_rr_list **rrset);
NSF_STATIC uint64_t probe_spread_offset(struct nsf_prober *p, size_t i,
    size_t n);

enum job_what {
	JOB_SOA = 0,
	JOB_NS,
	JOB_DNSKEY,
	JOB_REC,
	JOB_CANARY,
	JOB_RES,
};

enum job_state {
	JS_QUEUED = 0,
	JS_FLIGHT,
	JS_DONE,
};

/* A query template: wire bytes in r->wires, id patched per send. */
struct tmpl {
	uint32_t off;
	uint16_t len;
	uint16_t qend;          /* end of the question section */
};

/* One query to ask, possibly several times. */
struct job {
	uint32_t next;          /* next job in its server's queue; NONE */
	uint32_t server;
	uint32_t owner;         /* obs, canary or resolution index */
	uint32_t tmpl;
	int64_t not_before_us;  /* spread: do not send before (mono µs) */
	uint32_t timeout_ms;    /* per try */
	uint16_t qtype;
	uint8_t what;           /* enum job_what */
	uint8_t rec;            /* record index, or resolver index */
	uint8_t tries;          /* tries sent so far */
	uint8_t max_tries;
	uint8_t state;          /* enum job_state */
	bool saw_bad;           /* a mismatched or broken answer arrived */
};

/* Where queries go: one address and port, with its own rate budget. */
struct server {
	struct sockaddr_storage sa;
	socklen_t salen;
	char *text;             /* textual address, owned */
	uint16_t port;
	double tokens;          /* token bucket, in queries */
	int64_t refill_us;      /* last refill (mono µs) */
	uint32_t head, tail;    /* job queue */
};

/* Datagrams waiting to leave through one pool socket. */
struct txbatch {
	int sock;               /* pool index, valid while n > 0 */
	unsigned n;
	uint32_t slot[TX_BATCH];
	struct mmsghdr msgs[TX_BATCH];
	struct iovec iov[TX_BATCH];
	uint8_t buf[TX_BATCH][512 + 64];
};

/* A query in flight. */
struct slot {
	uint32_t job;           /* NONE when the slot is free */
	uint32_t tprev, tnext;  /* its timeout list */
	uint32_t tlist;
	int64_t sent_us;
	int64_t deadline_us;
	uint16_t id;
	int16_t sock;           /* pool index; -1 over TCP */
	int fd;                 /* TCP socket; -1 */
	uint8_t *tbuf;          /* TCP: query out, then answer in */
	uint32_t tlen;          /* bytes expected in tbuf */
	uint32_t toff;          /* bytes done */
	uint8_t tphase;         /* 0 connect, 1 write, 2 read len, 3 read */
};

/* In-flight slots sharing one timeout, oldest first. */
struct tlist {
	uint32_t timeout_ms;
	uint32_t head, tail;
};

struct psock {
	int fd;                 /* -1 until first use */
	int family;
	uint32_t uses;
	uint32_t inflight;
};

/* A nameserver name resolved through the configured resolvers. */
struct rcache {
	char *name;
	struct nsf_strv addrs;
	int64_t expires_ms;     /* mono ms */
	uint32_t ttl;           /* smallest TTL seen in this resolution */
	unsigned pending;       /* A/AAAA queries still running */
	bool asked;             /* resolved in the round being built */
	char *error;            /* why no address; NULL */
};

struct dom {
	const struct nsf_domain *d;
	size_t first, n;        /* its observations */
	size_t job_first, njobs;
	uint64_t offset_ms;     /* spread offset in the round */
};

struct nsf_round {
	const struct nsf_policy *pol;
	struct nsf_probe_obs *obs;
	size_t nobs, capobs;
	struct dom *doms;
	size_t ndoms;
	struct nsf_canary_obs *can;
	size_t ncan;
	struct server *srv;
	size_t nsrv, capsrv;
	uint32_t *srv_hash;     /* server index + 1; 0 empty */
	size_t srv_hcap;
	struct job *jobs;
	size_t njobs, capjobs;
	struct tmpl *tmpl;
	size_t ntmpl, captmpl;
	uint8_t *wires;
	size_t wlen, wcap;
	struct nsf_probe_stats st;
	size_t pending;         /* jobs not done */
};

struct nsf_prober {
	struct nsf_strv resolvers;
	double rate;
	uint64_t spread_ms;
	struct sockaddr_storage src4, src6;
	bool has_src4, has_src6;
	unsigned max_inflight;
	unsigned queries;
	uint64_t canary_timeout_ms;
	unsigned canary_retries;
	uint64_t resolve_timeout_ms;
	struct rcache *cache;
	size_t ncache;
	/* engine, reused across rounds */
	int ep;
	struct psock pool[2 * POOL_PER_FAMILY];
	unsigned rr4, rr6;      /* round robin cursors */
	struct slot *slots;
	uint32_t *free_slots;
	size_t nfree;
	uint32_t *idmap;        /* slot + 1 keyed by (sock, id); 0 empty */
	size_t idcap;
	struct tlist *tl;
	size_t ntl;
	unsigned inflight;
	struct txbatch *tx;     /* the send batch being filled */
	uint8_t rnd[4096];
	size_t rnd_off;
	struct nsf_round *r;    /* the round being run */
};

/* Random numbers from the kernel's CSPRNG, taken in blocks. */
static uint32_t
rnd32(struct nsf_prober *p)
{
	uint32_t v;

	if (p->rnd_off + sizeof(v) > sizeof(p->rnd)) {
		size_t got = 0;

		while (got < sizeof(p->rnd)) {
			ssize_t n = getrandom(p->rnd + got,
			    sizeof(p->rnd) - got, 0);

			if (n < 0 && errno != EINTR) {
				abort();        /* no kernel randomness */
			}
			got += n > 0 ? (size_t)n : 0;
		}
		p->rnd_off = 0;
	}
	memcpy(&v, p->rnd + p->rnd_off, sizeof(v));
	p->rnd_off += sizeof(v);
	return v;
}

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *
nsf_probe_result_name(enum nsf_probe_result r)
{
	static const char *const names[] = {
		"none", "ok", "timeout", "unreachable", "refused",
		"servfail", "nxdomain", "rcode", "lame", "nodata",
		"tcp-failed", "malformed", "no-address", "network-error",
	};

	if ((size_t)r >= NSF_ARRAY_SIZE(names)) {
		return "invalid";
	}
	return names[r];
}

/* "ADDR", "ADDR:PORT", "[ADDR6]:PORT" or a bare IPv6 address. */
NSF_STATIC int
probe_parse_endpoint(struct sockaddr_storage *out, socklen_t *out_len,
    const char *text, uint16_t default_port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL;
	struct sockaddr_in *s4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
	unsigned long pn = default_port;
	const char *colon = strrchr(text, ':');
	size_t hl;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
			goto bad;
		}
		hl = (size_t)(end - text - 1);
		port = end[1] == ':' ? end + 2 : NULL;
		text++;
	} else if (colon != NULL && strchr(text, ':') == colon) {
		hl = (size_t)(colon - text);
		port = colon + 1;
	} else {
		hl = strlen(text);
	}
	if (hl == 0 || hl >= sizeof(host)) {
		goto bad;
	}
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (port != NULL) {
		char *end;

		pn = strtoul(port, &end, 10);
		if (*port == '\0' || *end != '\0' || pn == 0 || pn > 65535) {
			goto bad;
		}
	}
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)pn);
		*out_len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)pn);
		*out_len = sizeof(*s6);
		return 0;
	}
bad:
	return nsf_error_set(NSF_EINVAL, "'%s' is not an IP address with an "
	    "optional port (write 192.0.2.1, 192.0.2.1:5353 or "
	    "[2001:db8::1]:53)", text);
}

static bool
sockaddr_equal(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family) {
		return false;
	}
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a;
	const struct sockaddr_in6 *y = (const void *)b;

	return x->sin6_port == y->sin6_port &&
	    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static int
parse_source(struct sockaddr_storage *out, bool *has, const char *text,
    int family)
{
	socklen_t len;

	if (text == NULL) {
		return 0;
	}
	if (probe_parse_endpoint(out, &len, text, 0) < 0) {
		return NSF_EINVAL;
	}
	if (out->ss_family != family) {
		return nsf_error_set(NSF_EINVAL, "source address '%s' is not "
		    "an %s address", text, family == AF_INET ? "IPv4" :
		    "IPv6");
	}
	*has = true;
	return 0;
}

static void
engine_alloc(struct nsf_prober *p)
{
	size_t i;

	p->slots = nsf_xcalloc(p->max_inflight, sizeof(*p->slots));
	p->free_slots = nsf_xcalloc(p->max_inflight,
	    sizeof(*p->free_slots));
	for (i = 0; i < p->max_inflight; i++) {
		p->slots[i].job = NONE;
		p->slots[i].fd = -1;
		p->free_slots[i] = (uint32_t)(p->max_inflight - 1 - i);
	}
	p->nfree = p->max_inflight;
	p->idcap = 64;
	while (p->idcap < 4 * (size_t)p->max_inflight) {
		p->idcap *= 2;
	}
	p->idmap = nsf_xcalloc(p->idcap, sizeof(*p->idmap));
	for (i = 0; i < NSF_ARRAY_SIZE(p->pool); i++) {
		p->pool[i].fd = -1;
		p->pool[i].family = i < POOL_PER_FAMILY ? AF_INET : AF_INET6;
	}
	p->rnd_off = sizeof(p->rnd);
	p->tx = nsf_xcalloc(1, sizeof(*p->tx));
}

int
nsf_prober_new(struct nsf_prober **out, const struct nsf_prober_opts *o)
{
	struct nsf_prober *p = nsf_xcalloc(1, sizeof(*p));
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;
	int rc = NSF_EINVAL;

	nsf_strv_init(&p->resolvers);
	p->ep = -1;
	for (i = 0; i < o->nresolvers; i++) {
		if (probe_parse_endpoint(&ss, &len, o->resolvers[i], 53) < 0) {
			goto out;
		}
		nsf_strv_push(&p->resolvers, o->resolvers[i]);
	}
	if (parse_source(&p->src4, &p->has_src4, o->source4, AF_INET) < 0 ||
	    parse_source(&p->src6, &p->has_src6, o->source6, AF_INET6) < 0) {
		goto out;
	}
	p->rate = o->rate_per_server > 0 ? o->rate_per_server : 200;
	p->spread_ms = o->spread_ms;
	p->max_inflight = o->max_inflight ? o->max_inflight : 4096;
	if (p->max_inflight > 65535) {
		p->max_inflight = 65535;
	}
	p->queries = (o->queries ? o->queries : NSF_PQ_ALL) | NSF_PQ_SOA;
	p->canary_timeout_ms = o->canary_timeout_ms ? o->canary_timeout_ms :
	    2000;
	p->canary_retries = o->canary_retries;
	p->resolve_timeout_ms = o->resolve_timeout_ms ?
	    o->resolve_timeout_ms : 2000;
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	if (p->ep < 0) {
		rc = nsf_error_set(NSF_ERROR, "epoll_create1: %s",
		    strerror(errno));
		goto out;
	}
	engine_alloc(p);
	*out = p;
	return 0;
out:
	nsf_prober_free(p);
	return rc;
}

static void
pool_close(struct nsf_prober *p, struct psock *ps)
{
	if (ps->fd >= 0) {
		close(ps->fd);      /* also leaves the epoll set */
	}
	ps->fd = -1;
	ps->uses = 0;
	ps->inflight = 0;
}

void
nsf_prober_free(struct nsf_prober *p)
{
	size_t i;

	if (p == NULL) {
		return;
	}
	for (i = 0; i < NSF_ARRAY_SIZE(p->pool); i++) {
		pool_close(p, &p->pool[i]);
	}
	for (i = 0; i < p->ncache; i++) {
		free(p->cache[i].name);
		free(p->cache[i].error);
		nsf_strv_deinit(&p->cache[i].addrs);
	}
	free(p->cache);
	if (p->ep >= 0) {
		close(p->ep);
	}
	free(p->slots);
	free(p->free_slots);
	free(p->idmap);
	free(p->tl);
	free(p->tx);
	nsf_strv_deinit(&p->resolvers);
	free(p);
}

/* ---- the id map: (pool socket, query id) -> slot ---------------------- */

static size_t
idmap_home(const struct nsf_prober *p, int sock, uint16_t id)
{
	uint32_t k = ((uint32_t)sock << 16 | id) * 2654435761u;

	return (k >> 7) & (p->idcap - 1);
}

static uint32_t
idmap_find(const struct nsf_prober *p, int sock, uint16_t id)
{
	size_t i = idmap_home(p, sock, id);

	while (p->idmap[i] != 0) {
		const struct slot *s = &p->slots[p->idmap[i] - 1];

		if (s->sock == sock && s->id == id) {
			return p->idmap[i] - 1;
		}
		i = (i + 1) & (p->idcap - 1);
	}
	return NONE;
}

static void
idmap_put(struct nsf_prober *p, uint32_t slot)
{
	const struct slot *s = &p->slots[slot];
	size_t i = idmap_home(p, s->sock, s->id);

	while (p->idmap[i] != 0) {
		i = (i + 1) & (p->idcap - 1);
	}
	p->idmap[i] = slot + 1;
}

/* Removes with backward shifting, so lookups never need tombstones. */
static void
idmap_del(struct nsf_prober *p, uint32_t slot)
{
	const struct slot *s = &p->slots[slot];
	size_t mask = p->idcap - 1, i = idmap_home(p, s->sock, s->id), j;

	while (p->idmap[i] != slot + 1) {
		i = (i + 1) & mask;
	}
	p->idmap[i] = 0;
	j = i;
	for (;;) {
		const struct slot *o;
		size_t h;

		j = (j + 1) & mask;
		if (p->idmap[j] == 0) {
			return;
		}
		o = &p->slots[p->idmap[j] - 1];
		h = idmap_home(p, o->sock, o->id);
		if (((j - h) & mask) >= ((j - i) & mask)) {
			p->idmap[i] = p->idmap[j];
			p->idmap[j] = 0;
			i = j;
		}
	}
}

/* ---- round building --------------------------------------------------- */

static uint32_t
server_hash(const char *text, uint16_t port)
{
	uint32_t h = 2166136261u ^ port;

	for (; *text; text++) {
		h = (h ^ (uint8_t)*text) * 16777619u;
	}
	return h;
}

static void
server_rehash(struct nsf_round *r)
{
	size_t i, j;

	free(r->srv_hash);
	r->srv_hcap = r->srv_hcap ? r->srv_hcap * 2 : 64;
	r->srv_hash = nsf_xcalloc(r->srv_hcap, sizeof(*r->srv_hash));
	for (i = 0; i < r->nsrv; i++) {
		j = server_hash(r->srv[i].text, r->srv[i].port) &
		    (r->srv_hcap - 1);
		while (r->srv_hash[j] != 0) {
			j = (j + 1) & (r->srv_hcap - 1);
		}
		r->srv_hash[j] = (uint32_t)i + 1;
	}
}

/* Finds or adds the server for an address; NSF_EINVAL when not an IP. */
static int
server_get(uint32_t *out, struct nsf_round *r, const char *addr,
    uint16_t port)
{
	struct server *s;
	size_t j;

	if (2 * (r->nsrv + 1) > r->srv_hcap) {
		server_rehash(r);
	}
	j = server_hash(addr, port) & (r->srv_hcap - 1);
	while (r->srv_hash[j] != 0) {
		s = &r->srv[r->srv_hash[j] - 1];
		if (s->port == port && strcmp(s->text, addr) == 0) {
			*out = r->srv_hash[j] - 1;
			return 0;
		}
		j = (j + 1) & (r->srv_hcap - 1);
	}
	if (r->nsrv == r->capsrv) {
		r->capsrv = r->capsrv ? 2 * r->capsrv : 16;
		r->srv = nsf_xrealloc(r->srv, r->capsrv * sizeof(*r->srv));
	}
	s = &r->srv[r->nsrv];
	memset(s, 0, sizeof(*s));
	if (probe_parse_endpoint(&s->sa, &s->salen, addr, port) < 0) {
		return NSF_EINVAL;
	}
	s->text = nsf_xstrdup(addr);
	s->port = port;
	s->head = s->tail = NONE;
	s->tokens = 1;
	r->srv_hash[j] = (uint32_t)r->nsrv + 1;
	*out = (uint32_t)r->nsrv++;
	return 0;
}

/* Adds a query template for (name, type); rd asks for recursion. */
static int
tmpl_add(uint32_t *out, struct nsf_round *r, const char *name,
    uint16_t qtype, bool rd)
{
	ldns_rdf *dname = ldns_dname_new_frm_str(name);
	ldns_pkt *pkt;
	uint8_t *wire = NULL;
	size_t len = 0, qend;
	struct tmpl *t;

	if (dname == NULL) {
		return nsf_error_set(NSF_EINVAL, "'%s' is not a domain name",
		    name);
	}
	qend = 12 + ldns_rdf_size(dname) + 4;
	pkt = ldns_pkt_query_new(dname, qtype, LDNS_RR_CLASS_IN,
	    rd ? LDNS_RD : 0);
	ldns_pkt_set_edns_udp_size(pkt, EDNS_SIZE);
	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK) {
		ldns_pkt_free(pkt);
		return nsf_error_set(NSF_EINVAL, "cannot build a query for "
		    "'%s'", name);
	}
	ldns_pkt_free(pkt);
	if (r->ntmpl == r->captmpl) {
		r->captmpl = r->captmpl ? 2 * r->captmpl : 64;
		r->tmpl = nsf_xrealloc(r->tmpl, r->captmpl * sizeof(*r->tmpl));
	}
	while (r->wlen + len > r->wcap) {
		r->wcap = r->wcap ? 2 * r->wcap : 4096;
		r->wires = nsf_xrealloc(r->wires, r->wcap);
	}
	t = &r->tmpl[r->ntmpl];
	t->off = (uint32_t)r->wlen;
	t->len = (uint16_t)len;
	t->qend = (uint16_t)qend;
	memcpy(r->wires + r->wlen, wire, len);
	r->wlen += len;
	free(wire);
	*out = (uint32_t)r->ntmpl++;
	return 0;
}

/* A copy of template `base` asking for another type. */
static uint32_t
tmpl_retype(struct nsf_round *r, uint32_t base, uint16_t qtype)
{
	struct tmpl t = r->tmpl[base];
	uint8_t *w;

	if (r->ntmpl == r->captmpl) {
		r->captmpl = 2 * r->captmpl;
		r->tmpl = nsf_xrealloc(r->tmpl, r->captmpl * sizeof(*r->tmpl));
	}
	while (r->wlen + t.len > r->wcap) {
		r->wcap = 2 * r->wcap;
		r->wires = nsf_xrealloc(r->wires, r->wcap);
	}
	w = r->wires + r->wlen;
	memcpy(w, r->wires + t.off, t.len);
	w[t.qend - 4] = (uint8_t)(qtype >> 8);
	w[t.qend - 3] = (uint8_t)qtype;
	t.off = (uint32_t)r->wlen;
	r->wlen += t.len;
	r->tmpl[r->ntmpl] = t;
	return (uint32_t)r->ntmpl++;
}

static struct job *
job_add(struct nsf_round *r, uint32_t server, uint32_t owner,
    uint32_t tmpl, uint8_t what, uint16_t qtype)
{
	struct job *j;

	if (r->njobs == r->capjobs) {
		r->capjobs = r->capjobs ? 2 * r->capjobs : 256;
		r->jobs = nsf_xrealloc(r->jobs, r->capjobs * sizeof(*r->jobs));
	}
	j = &r->jobs[r->njobs++];
	memset(j, 0, sizeof(*j));
	j->next = NONE;
	j->server = server;
	j->owner = owner;
	j->tmpl = tmpl;
	j->what = what;
	j->qtype = qtype;
	j->max_tries = 1;
	j->timeout_ms = 2000;
	r->pending++;
	return j;
}

static void
queue_push(struct nsf_round *r, uint32_t ji, bool front)
{
	struct job *j = &r->jobs[ji];
	struct server *s = &r->srv[j->server];

	j->state = JS_QUEUED;
	if (s->head == NONE) {
		j->next = NONE;
		s->head = s->tail = ji;
	} else if (front) {
		j->next = s->head;
		s->head = ji;
	} else {
		j->next = NONE;
		r->jobs[s->tail].next = ji;
		s->tail = ji;
	}
}

static struct nsf_probe_obs *
obs_add(struct nsf_round *r)
{
	struct nsf_probe_obs *o;

	if (r->nobs == r->capobs) {
		r->capobs = r->capobs ? 2 * r->capobs : 256;
		r->obs = nsf_xrealloc(r->obs, r->capobs * sizeof(*r->obs));
	}
	o = &r->obs[r->nobs++];
	memset(o, 0, sizeof(*o));
	return o;
}


/* ---- the engine: slots, sockets, timeouts ----------------------------- */

static uint32_t
tlist_get(struct nsf_prober *p, uint32_t timeout_ms)
{
	size_t i;

	for (i = 0; i < p->ntl; i++) {
		if (p->tl[i].timeout_ms == timeout_ms) {
			return (uint32_t)i;
		}
	}
	p->tl = nsf_xrealloc(p->tl, (p->ntl + 1) * sizeof(*p->tl));
	p->tl[p->ntl].timeout_ms = timeout_ms;
	p->tl[p->ntl].head = p->tl[p->ntl].tail = NONE;
	return (uint32_t)p->ntl++;
}

/* Appends the slot to its timeout list: deadlines stay in order because
 * every slot in one list waits the same time from a later start. */
static void
tlist_link(struct nsf_prober *p, uint32_t si, int64_t now)
{
	struct slot *s = &p->slots[si];
	const struct job *j = &p->r->jobs[s->job];
	struct tlist *t;

	s->tlist = tlist_get(p, j->timeout_ms);
	t = &p->tl[s->tlist];
	s->sent_us = now;
	s->deadline_us = now + (int64_t)j->timeout_ms * 1000;
	s->tnext = NONE;
	s->tprev = t->tail;
	if (t->tail != NONE) {
		p->slots[t->tail].tnext = si;
	} else {
		t->head = si;
	}
	t->tail = si;
}

static void
tlist_unlink(struct nsf_prober *p, uint32_t si)
{
	struct slot *s = &p->slots[si];
	struct tlist *t = &p->tl[s->tlist];

	if (s->tprev != NONE) {
		p->slots[s->tprev].tnext = s->tnext;
	} else {
		t->head = s->tnext;
	}
	if (s->tnext != NONE) {
		p->slots[s->tnext].tprev = s->tprev;
	} else {
		t->tail = s->tprev;
	}
	s->tprev = s->tnext = NONE;
}

static void
tcp_close(struct slot *s)
{
	if (s->fd >= 0) {
		close(s->fd);
	}
	s->fd = -1;
	free(s->tbuf);
	s->tbuf = NULL;
}

/* Frees an in-flight slot; returns its job. */
static uint32_t
slot_release(struct nsf_prober *p, uint32_t si)
{
	struct slot *s = &p->slots[si];
	uint32_t ji = s->job;

	tlist_unlink(p, si);
	if (s->sock >= 0) {
		idmap_del(p, si);
		p->pool[s->sock].inflight--;
	}
	tcp_close(s);
	s->job = NONE;
	p->free_slots[p->nfree++] = si;
	p->inflight--;
	return ji;
}

static int
pool_open(struct nsf_prober *p, struct psock *ps)
{
	int one = 1, size = 4 << 20;
	bool v4 = ps->family == AF_INET;
	const struct sockaddr_storage *src = v4 ? &p->src4 : &p->src6;
	bool has_src = v4 ? p->has_src4 : p->has_src6;
	struct epoll_event ev = { .events = EPOLLIN };
	int fd = socket(ps->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);

	if (fd < 0) {
		return nsf_error_set(NSF_ERROR, "udp socket: %s",
		    strerror(errno));
	}
	/* Unconnected, so answers from other ports reach us and are
	 * counted; ICMP errors come through the error queue instead. */
	if (v4) {
		setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
	} else {
		setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof(one));
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) < 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	if (has_src && bind(fd, (const struct sockaddr *)src,
	    v4 ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6)) < 0) {
		close(fd);
		return nsf_error_set(NSF_ERROR, "bind to the source address: "
		    "%s", strerror(errno));
	}
	ev.data.u64 = (uint64_t)(ps - p->pool);
	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return nsf_error_set(NSF_ERROR, "epoll_ctl: %s",
		    strerror(errno));
	}
	ps->fd = fd;
	ps->uses = 0;
	ps->inflight = 0;
	return 0;
}

/* Picks a pool socket round robin; a socket that has carried
 * POOL_ROTATE queries is replaced (new port) once it is idle. */
static int
pool_pick(struct nsf_prober *p, int family)
{
	int base = family == AF_INET ? 0 : POOL_PER_FAMILY;
	unsigned *cursor = family == AF_INET ? &p->rr4 : &p->rr6;
	unsigned k;

	for (k = 0; k < 2 * POOL_PER_FAMILY; k++) {
		int idx = base + (int)((*cursor + k) % POOL_PER_FAMILY);
		struct psock *ps = &p->pool[idx];

		if (ps->fd >= 0 && ps->uses >= POOL_ROTATE) {
			if (ps->inflight > 0 && k < POOL_PER_FAMILY) {
				continue;       /* draining */
			}
			if (ps->inflight == 0) {
				pool_close(p, ps);
			}
		}
		if (ps->fd < 0 && pool_open(p, ps) < 0) {
			return -1;
		}
		*cursor = (unsigned)(idx - base + 1) % POOL_PER_FAMILY;
		ps->uses++;
		return idx;
	}
	return -1;
}

static struct nsf_probe_answer *
job_answer(struct nsf_round *r, const struct job *j)
{
	switch (j->what) {
	case JOB_SOA:
		return &r->obs[j->owner].soa;
	case JOB_NS:
		return &r->obs[j->owner].nsq;
	case JOB_DNSKEY:
		return &r->obs[j->owner].dnskey;
	case JOB_REC:
		return &r->obs[j->owner].records[j->rec];
	case JOB_CANARY:
		return &r->can[j->owner].ans;
	default:
		return NULL;
	}
}

static void resolution_done(struct nsf_prober *p, uint32_t ji,
    enum nsf_probe_result res, const ldns_pkt *pkt);

/* Records how a job ended; `pkt` (may be NULL) is the answer accepted. */
static void
job_finish(struct nsf_prober *p, uint32_t ji, enum nsf_probe_result res,
    const ldns_pkt *pkt, ldns_rr_list *rrset, int64_t latency_us)
{
	struct nsf_round *r = p->r;
	struct job *j = &r->jobs[ji];
	struct nsf_probe_answer *a = job_answer(r, j);

	if (j->what == JOB_RES) {
		resolution_done(p, ji, res, pkt);
		return;
	}
	j->state = JS_DONE;
	r->pending--;
	a->result = res;
	a->tries = j->tries;
	a->rcode = pkt != NULL ? (uint8_t)ldns_pkt_get_rcode(pkt) : 0;
	a->latency_us = latency_us > 0 ? (uint32_t)latency_us : 0;
	a->rrset = rrset;
}

static bool
errno_unreachable(int e)
{
	return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH ||
	    e == EHOSTDOWN || e == ENETDOWN;
}

/* Takes a free slot for job ji on pool socket idx with a fresh random id
 * (unique on that socket), counted in flight from now on. */
static uint32_t
slot_take(struct nsf_prober *p, uint32_t ji, int idx)
{
	uint32_t si = p->free_slots[--p->nfree];
	struct slot *s = &p->slots[si];

	s->job = ji;
	s->sock = (int16_t)idx;
	do {
		s->id = (uint16_t)rnd32(p);
	} while (idmap_find(p, idx, s->id) != NONE);
	idmap_put(p, si);
	p->pool[idx].inflight++;
	p->inflight++;
	return si;
}

/* Gives back a slot whose datagram was never sent; returns its job. */
static uint32_t
slot_untake(struct nsf_prober *p, uint32_t si)
{
	struct slot *s = &p->slots[si];
	uint32_t ji = s->job;

	idmap_del(p, si);
	p->pool[s->sock].inflight--;
	p->pool[s->sock].uses--;
	p->inflight--;
	s->job = NONE;
	p->free_slots[p->nfree++] = si;
	return ji;
}

/* The datagram of slot si left: its timeout starts now. */
static void
slot_sent(struct nsf_prober *p, uint32_t si, int64_t now)
{
	struct job *j = &p->r->jobs[p->slots[si].job];

	tlist_link(p, si, now);
	j->tries++;
	j->state = JS_FLIGHT;
	p->r->st.sent++;
}

/*
 * Sends the queued datagrams with as few system calls as possible: each
 * call wakes the server once for many queries.  Returns NSF_EAGAIN when
 * the socket buffer filled: what was not sent goes back to the front of
 * its server's queue, with its rate token.
 */
static int
batch_flush(struct nsf_prober *p, int64_t now)
{
	struct txbatch *b = p->tx;
	unsigned off = 0, i;
	int n, e, refused = 0, rc = 0;

	while (off < b->n) {
		n = sendmmsg(p->pool[b->sock].fd, b->msgs + off, b->n - off, 0);
		if (n > 0) {
			for (i = off; i < off + (unsigned)n; i++) {
				slot_sent(p, b->slot[i], now);
			}
			off += (unsigned)n;
			continue;
		}
		e = errno;
		if (e == EINTR ||
		    (e == ECONNREFUSED && refused++ <= (int)b->n)) {
			continue;       /* a pending ICMP error, told once */
		}
		if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
			for (i = b->n; i > off; i--) {
				uint32_t ji = slot_untake(p, b->slot[i - 1]);

				queue_push(p->r, ji, true);
				p->r->srv[p->r->jobs[ji].server].tokens += 1;
			}
			rc = NSF_EAGAIN;
			break;
		}
		job_finish(p, slot_untake(p, b->slot[off]),
		    errno_unreachable(e) ? NSF_PROBE_UNREACHABLE :
		    NSF_PROBE_NETERR, NULL, NULL, 0);
		off++;
	}
	b->n = 0;
	return rc;
}

/* Queues one UDP try of job ji in the send batch (flushing it when full
 * or when the address family changes); NSF_EAGAIN when a flush found
 * the socket buffer full. */
static int
batch_add(struct nsf_prober *p, uint32_t ji, int64_t now)
{
	struct nsf_round *r = p->r;
	struct txbatch *b = p->tx;
	const struct server *srv = &r->srv[r->jobs[ji].server];
	const struct tmpl *t = &r->tmpl[r->jobs[ji].tmpl];
	uint32_t si;
	uint8_t *buf;
	int idx;

	if (b->n > 0 && p->pool[b->sock].family != srv->sa.ss_family &&
	    batch_flush(p, now) == NSF_EAGAIN) {
		queue_push(r, ji, true);
		r->srv[r->jobs[ji].server].tokens += 1;
		return NSF_EAGAIN;
	}
	if (b->n == 0) {
		idx = pool_pick(p, srv->sa.ss_family);
		if (idx < 0) {
			nsf_warn(NSF_SRC_PROBE, NULL, "cannot open a probe "
			    "socket, query to %s counts as failed: %s",
			    srv->text, nsf_error_last());
			job_finish(p, ji, NSF_PROBE_NETERR, NULL, NULL, 0);
			return 0;
		}
		b->sock = idx;
	} else {
		idx = b->sock;
		p->pool[idx].uses++;
	}
	si = slot_take(p, ji, idx);
	buf = b->buf[b->n];
	memcpy(buf, r->wires + t->off, t->len);
	buf[0] = (uint8_t)(p->slots[si].id >> 8);
	buf[1] = (uint8_t)p->slots[si].id;
	b->iov[b->n].iov_base = buf;
	b->iov[b->n].iov_len = t->len;
	memset(&b->msgs[b->n], 0, sizeof(b->msgs[b->n]));
	b->msgs[b->n].msg_hdr.msg_name = (void *)&srv->sa;
	b->msgs[b->n].msg_hdr.msg_namelen = srv->salen;
	b->msgs[b->n].msg_hdr.msg_iov = &b->iov[b->n];
	b->msgs[b->n].msg_hdr.msg_iovlen = 1;
	b->slot[b->n++] = si;
	if (b->n == TX_BATCH) {
		return batch_flush(p, now);
	}
	return 0;
}

static void
refill(struct nsf_prober *p, struct server *s, int64_t now)
{
	double burst = p->rate / 50 > 1 ? p->rate / 50 : 1;

	s->tokens += (double)(now - s->refill_us) * p->rate / 1e6;
	if (s->tokens > burst) {
		s->tokens = burst;
	}
	s->refill_us = now;
}

/* Sends what is due, a few per server in turn so no server starves. */
static void
dispatch(struct nsf_prober *p, int64_t now)
{
	struct nsf_round *r = p->r;
	bool progress = true;
	size_t si;
	int k;

	while (progress && p->inflight < p->max_inflight) {
		progress = false;
		for (si = 0; si < r->nsrv; si++) {
			struct server *s = &r->srv[si];

			for (k = 0; k < 8 && s->head != NONE &&
			    p->inflight < p->max_inflight; k++) {
				uint32_t ji = s->head;

				if (r->jobs[ji].not_before_us > now) {
					break;
				}
				refill(p, s, now);
				if (s->tokens < 1) {
					break;
				}
				s->head = r->jobs[ji].next;
				if (s->head == NONE) {
					s->tail = NONE;
				}
				s->tokens -= 1;
				if (batch_add(p, ji, now) == NSF_EAGAIN) {
					return;
				}
				progress = true;
			}
		}
	}
	batch_flush(p, now);
}

/* Milliseconds until something is due: a deadline or a send. */
static int
next_wake_ms(struct nsf_prober *p, int64_t now)
{
	struct nsf_round *r = p->r;
	int64_t wake = now + 1000000;
	size_t i;

	for (i = 0; i < p->ntl; i++) {
		if (p->tl[i].head != NONE &&
		    p->slots[p->tl[i].head].deadline_us < wake) {
			wake = p->slots[p->tl[i].head].deadline_us;
		}
	}
	for (i = 0; p->inflight < p->max_inflight && i < r->nsrv; i++) {
		const struct server *s = &r->srv[i];
		int64_t at;

		if (s->head == NONE) {
			continue;
		}
		at = r->jobs[s->head].not_before_us;
		if (s->tokens < 1) {
			int64_t t = s->refill_us +
			    (int64_t)((1 - s->tokens) * 1e6 / p->rate);

			at = t > at ? t : at;
		}
		wake = at < wake ? at : wake;
	}
	if (wake <= now) {
		return 0;
	}
	return (int)((wake - now + 999) / 1000);
}

/* ---- answers: matching and classification ----------------------------- */

/*
 * Parses, with ldns, what the prober reads of an answer: the header, the
 * question and the answer section.  The authority and additional sections
 * are left out on purpose: nothing here reads them, and servers fill them
 * (NSD sends the NS set with every SOA answer), so parsing them cost as
 * much again as the rest.
 */
static int
parse_answer(ldns_pkt **out, const uint8_t *w, size_t len)
{
	ldns_pkt *pkt = ldns_pkt_new();
	size_t pos = 12, an = (size_t)w[6] << 8 | w[7], i;
	ldns_rr *rr = NULL;

	ldns_pkt_set_id(pkt, (uint16_t)(w[0] << 8 | w[1]));
	ldns_pkt_set_qr(pkt, (w[2] & 0x80) != 0);
	ldns_pkt_set_opcode(pkt, (ldns_pkt_opcode)((w[2] >> 3) & 0xf));
	ldns_pkt_set_aa(pkt, (w[2] & 0x04) != 0);
	ldns_pkt_set_tc(pkt, (w[2] & 0x02) != 0);
	ldns_pkt_set_rd(pkt, (w[2] & 0x01) != 0);
	ldns_pkt_set_ra(pkt, (w[3] & 0x80) != 0);
	ldns_pkt_set_rcode(pkt, w[3] & 0x0f);
	if (ldns_wire2rr(&rr, w, len, &pos, LDNS_SECTION_QUESTION) !=
	    LDNS_STATUS_OK) {
		goto bad;
	}
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, rr);
	for (i = 0; i < an; i++) {
		if (ldns_wire2rr(&rr, w, len, &pos, LDNS_SECTION_ANSWER) !=
		    LDNS_STATUS_OK) {
			goto bad;
		}
		ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
	}
	*out = pkt;
	return MATCH_OK;
bad:
	ldns_pkt_free(pkt);
	return MATCH_MALFORMED;
}

/*
 * Checks that `ans` answers exactly the question in `query` (header bit
 * QR, opcode QUERY, one question with the same name ignoring case, type
 * and class), then parses it.  The id and source are checked by the
 * caller, which knows where the datagram came from.
 */
NSF_STATIC int
probe_match(ldns_pkt **out, const uint8_t *ans, size_t len,
    const uint8_t *query, size_t qend)
{
	ldns_pkt *pkt = NULL;
	size_t i;

	if (len < 12) {
		return MATCH_MALFORMED;
	}
	if ((ans[2] & 0x80) == 0 || ((ans[2] >> 3) & 0xf) != 0 ||
	    ans[4] != 0 || ans[5] != 1 || len < qend) {
		return MATCH_WRONG_QUESTION;
	}
	/* The question is the first name, so it is never compressed;
	 * label lengths are below 64 and so never fold. */
	for (i = 12; i < qend; i++) {
		if (tolower(ans[i]) != tolower(query[i])) {
			return MATCH_WRONG_QUESTION;
		}
	}
	if (parse_answer(&pkt, ans, len) != MATCH_OK) {
		return MATCH_MALFORMED;
	}
	*out = pkt;
	return MATCH_OK;
}

static enum nsf_probe_result
rcode_result(ldns_pkt_rcode rc)
{
	switch (rc) {
	case LDNS_RCODE_NOERROR:
		return NSF_PROBE_OK;
	case LDNS_RCODE_REFUSED:
		return NSF_PROBE_REFUSED;
	case LDNS_RCODE_SERVFAIL:
		return NSF_PROBE_SERVFAIL;
	case LDNS_RCODE_NXDOMAIN:
		return NSF_PROBE_NXDOMAIN;
	default:
		return NSF_PROBE_RCODE;
	}
}

/* The first SOA record of `owner` in the answer section, not copied. */
static const ldns_rr *
answer_soa(const ldns_pkt *pkt, const ldns_rdf *owner)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0) {
			return rr;
		}
	}
	return NULL;
}

/*
 * Classifies an accepted answer to an authoritative probe.  For SOA it
 * extracts the serial; for NS, DNSKEY and records it hands the answer
 * RRset of the question's name and type to *rrset (NULL when empty).
 */
NSF_STATIC enum nsf_probe_result
probe_classify(const ldns_pkt *pkt, bool soa, bool nxdomain_ok,
    uint32_t *serial, ldns_rr_list **rrset)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
	const ldns_rr *soa_rr;

	*rrset = NULL;
	if (rc != LDNS_RCODE_NOERROR &&
	    !(rc == LDNS_RCODE_NXDOMAIN && nxdomain_ok)) {
		return rcode_result(rc);
	}
	if (!ldns_pkt_aa(pkt)) {
		return NSF_PROBE_LAME;
	}
	if (!soa) {
		*rrset = ldns_pkt_rr_list_by_name_and_type(pkt,
		    ldns_rr_owner(q), ldns_rr_get_type(q), LDNS_SECTION_ANSWER);
		return NSF_PROBE_OK;
	}
	soa_rr = answer_soa(pkt, ldns_rr_owner(q));
	if (soa_rr == NULL) {
		return NSF_PROBE_NODATA;
	}
	if (ldns_rr_rd_count(soa_rr) < 3) {
		return NSF_PROBE_MALFORMED;
	}
	*serial = ldns_rdf2native_int32(ldns_rr_rdf(soa_rr, 2));
	return NSF_PROBE_OK;
}

static void tcp_start(struct nsf_prober *p, uint32_t si, int64_t now);

/* An accepted, matched answer for the query in slot si. */
static void
answer_accepted(struct nsf_prober *p, uint32_t si, ldns_pkt *pkt,
    bool tcp, int64_t now)
{
	struct nsf_round *r = p->r;
	struct slot *s = &p->slots[si];
	struct job *j = &r->jobs[s->job];
	int64_t latency = now - s->sent_us;
	enum nsf_probe_result res;
	ldns_rr_list *rrset = NULL;
	uint32_t serial = 0;
	uint32_t ji;

	r->st.accepted++;
	if (ldns_pkt_tc(pkt) && !tcp) {
		r->st.tcp++;
		tcp_start(p, si, now);
		return;
	}
	if (j->what == JOB_CANARY || j->what == JOB_RES) {
		ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);

		res = rc == LDNS_RCODE_NXDOMAIN ? NSF_PROBE_OK :
		    rcode_result(rc);
	} else {
		res = probe_classify(pkt, j->what == JOB_SOA,
		    j->what == JOB_REC, &serial, &rrset);
		if (j->what == JOB_NS && res == NSF_PROBE_OK &&
		    rrset == NULL) {
			res = NSF_PROBE_NODATA;
		}
	}
	if (j->what == JOB_SOA && res == NSF_PROBE_OK) {
		r->obs[j->owner].serial = serial;
		r->obs[j->owner].has_serial = true;
	}
	ji = slot_release(p, si);
	if (job_answer(r, j) != NULL) {
		job_answer(r, j)->tcp = tcp;
	}
	job_finish(p, ji, res, pkt, rrset, latency);
}

/* A reply that matched an in-flight id but not its question or did not
 * parse: counted, remembered, and the query keeps waiting. */
static void
answer_rejected(struct nsf_prober *p, uint32_t si, int why)
{
	struct nsf_round *r = p->r;

	r->jobs[p->slots[si].job].saw_bad = true;
	if (why == MATCH_MALFORMED) {
		r->st.drop_malformed++;
	} else {
		r->st.drop_wrong_question++;
	}
}

static void
udp_datagram(struct nsf_prober *p, int sock,
    const struct sockaddr_storage *from, const uint8_t *buf, size_t len,
    int64_t now)
{
	struct nsf_round *r = p->r;
	const struct tmpl *t;
	const struct job *j;
	ldns_pkt *pkt = NULL;
	uint32_t si;
	int m;

	if (len < 2) {
		r->st.drop_malformed++;
		return;
	}
	si = idmap_find(p, sock, (uint16_t)(buf[0] << 8 | buf[1]));
	if (si == NONE) {
		r->st.drop_unknown_id++;
		return;
	}
	j = &r->jobs[p->slots[si].job];
	if (!sockaddr_equal(from, &r->srv[j->server].sa)) {
		r->st.drop_wrong_source++;
		return;
	}
	t = &r->tmpl[j->tmpl];
	m = probe_match(&pkt, buf, len, r->wires + t->off, t->qend);
	if (m != MATCH_OK) {
		answer_rejected(p, si, m);
		return;
	}
	answer_accepted(p, si, pkt, false, now);
	ldns_pkt_free(pkt);
}

struct rxbuf {
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	struct sockaddr_storage from[RECV_BATCH];
	uint8_t data[RECV_BATCH][RECV_BUF];
};

static void
pool_readable(struct nsf_prober *p, int sock, struct rxbuf *rx)
{
	int fd = p->pool[sock].fd, n, i;
	int64_t now;

	for (;;) {
		for (i = 0; i < RECV_BATCH; i++) {
			rx->iov[i].iov_base = rx->data[i];
			rx->iov[i].iov_len = RECV_BUF;
			memset(&rx->msgs[i].msg_hdr, 0,
			    sizeof(rx->msgs[i].msg_hdr));
			rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
			rx->msgs[i].msg_hdr.msg_iovlen = 1;
			rx->msgs[i].msg_hdr.msg_name = &rx->from[i];
			rx->msgs[i].msg_hdr.msg_namelen = sizeof(rx->from[i]);
		}
		n = recvmmsg(fd, rx->msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR || errno_unreachable(errno)) {
				continue;       /* a pending ICMP error */
			}
			return;
		}
		now = mono_us();
		for (i = 0; i < n; i++) {
			p->r->st.received++;
			if (rx->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				p->r->st.drop_malformed++;
				continue;
			}
			udp_datagram(p, sock, &rx->from[i], rx->data[i],
			    rx->msgs[i].msg_len, now);
			if (p->pool[sock].fd != fd) {
				return;
			}
		}
		if (n < RECV_BATCH) {
			return;
		}
	}
}

/* ICMP errors for our datagrams: the error queue hands back the original
 * destination and the start of the query, so id and server both match. */
static void
pool_errqueue(struct nsf_prober *p, int sock)
{
	struct nsf_round *r = p->r;
	uint8_t data[64], ctl[512];
	struct sockaddr_storage dst;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	for (;;) {
		const struct sock_extended_err *ee = NULL;
		uint32_t si;

		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &dst;
		msg.msg_namelen = sizeof(dst);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		n = recvmsg(p->pool[sock].fd, &msg,
		    MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0) {
			return;
		}
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if ((c->cmsg_level == SOL_IP &&
			    c->cmsg_type == IP_RECVERR) ||
			    (c->cmsg_level == SOL_IPV6 &&
			    c->cmsg_type == IPV6_RECVERR)) {
				ee = (const void *)CMSG_DATA(c);
			}
		}
		if (ee == NULL || n < 2 ||
		    !errno_unreachable((int)ee->ee_errno)) {
			continue;
		}
		si = idmap_find(p, sock, (uint16_t)(data[0] << 8 | data[1]));
		if (si == NONE || !sockaddr_equal(&dst,
		    &r->srv[r->jobs[p->slots[si].job].server].sa)) {
			continue;
		}
		r->st.icmp++;
		job_finish(p, slot_release(p, si), NSF_PROBE_UNREACHABLE,
		    NULL, NULL, 0);
	}
}

/* ---- TCP after truncation --------------------------------------------- */

static void
tcp_failed(struct nsf_prober *p, uint32_t si, int64_t now)
{
	struct job *j = &p->r->jobs[p->slots[si].job];

	if (j->tries < j->max_tries) {
		p->r->st.retries++;
		tcp_close(&p->slots[si]);
		tcp_start(p, si, now);
		return;
	}
	job_finish(p, slot_release(p, si), NSF_PROBE_TCP_FAILED, NULL, NULL,
	    0);
}

/* Moves the query in slot si to a new TCP connection to its server. */
static void
tcp_start(struct nsf_prober *p, uint32_t si, int64_t now)
{
	struct nsf_round *r = p->r;
	struct slot *s = &p->slots[si];
	struct job *j = &r->jobs[s->job];
	const struct server *srv = &r->srv[j->server];
	const struct tmpl *t = &r->tmpl[j->tmpl];
	bool v4 = srv->sa.ss_family == AF_INET;
	struct epoll_event ev = { .events = EPOLLOUT };
	int fd;

	if (s->sock >= 0) {
		idmap_del(p, si);
		p->pool[s->sock].inflight--;
		s->sock = -1;
	}
	tlist_unlink(p, si);
	tlist_link(p, si, now);
	j->tries++;
	r->st.sent++;
	fd = socket(srv->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		goto fail;
	}
	s->fd = fd;
	if ((v4 ? p->has_src4 : p->has_src6) &&
	    bind(fd, (const struct sockaddr *)(v4 ? &p->src4 : &p->src6),
	    v4 ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6)) < 0) {
		goto fail;
	}
	if (connect(fd, (const struct sockaddr *)&srv->sa, srv->salen) < 0 &&
	    errno != EINPROGRESS) {
		goto fail;
	}
	s->tbuf = nsf_xmalloc(2 + (size_t)t->len);
	s->tbuf[0] = (uint8_t)(t->len >> 8);
	s->tbuf[1] = (uint8_t)t->len;
	memcpy(s->tbuf + 2, r->wires + t->off, t->len);
	s->id = (uint16_t)rnd32(p);
	s->tbuf[2] = (uint8_t)(s->id >> 8);
	s->tbuf[3] = (uint8_t)s->id;
	s->tlen = 2 + (uint32_t)t->len;
	s->toff = 0;
	s->tphase = 0;
	ev.data.u64 = TCP_TAG | si;
	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		goto fail;
	}
	return;
fail:
	tcp_failed(p, si, now);
}

/* Writes the query; returns false when the connection failed. */
static bool
tcp_write(struct nsf_prober *p, uint32_t si)
{
	struct slot *s = &p->slots[si];
	struct epoll_event ev = { .events = EPOLLIN };
	int err = 0;
	socklen_t elen = sizeof(err);
	ssize_t n;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 ||
	    err != 0) {
		return false;
	}
	n = write(s->fd, s->tbuf + s->toff, s->tlen - s->toff);
	if (n < 0) {
		return errno == EAGAIN || errno == EINTR;
	}
	s->toff += (uint32_t)n;
	if (s->toff < s->tlen) {
		return true;
	}
	s->tphase = 2;
	s->toff = 0;
	s->tlen = 2;
	ev.data.u64 = TCP_TAG | si;
	return epoll_ctl(p->ep, EPOLL_CTL_MOD, s->fd, &ev) == 0;
}

/* Reads the length, then the answer; true while all is well. */
static bool
tcp_read(struct nsf_prober *p, uint32_t si, bool *complete)
{
	struct slot *s = &p->slots[si];
	ssize_t n;

	for (;;) {
		n = read(s->fd, s->tbuf + s->toff, s->tlen - s->toff);
		if (n < 0) {
			return errno == EAGAIN || errno == EINTR;
		}
		if (n == 0) {
			return false;
		}
		s->toff += (uint32_t)n;
		if (s->toff < s->tlen) {
			continue;
		}
		if (s->tphase == 3) {
			*complete = true;
			return true;
		}
		s->tlen = (uint32_t)s->tbuf[0] << 8 | s->tbuf[1];
		if (s->tlen < 12) {
			return false;
		}
		s->tbuf = nsf_xrealloc(s->tbuf, s->tlen);
		s->toff = 0;
		s->tphase = 3;
	}
}

static void
tcp_event(struct nsf_prober *p, uint32_t si, uint32_t events)
{
	struct nsf_round *r = p->r;
	struct slot *s = &p->slots[si];
	int64_t now = mono_us();
	const struct tmpl *t;
	ldns_pkt *pkt = NULL;
	bool complete = false;
	int m;

	if (s->job == NONE || s->fd < 0) {
		return;
	}
	if (s->tphase < 2) {
		if (!tcp_write(p, si)) {
			tcp_failed(p, si, now);
		}
		return;
	}
	if (!tcp_read(p, si, &complete)) {
		tcp_failed(p, si, now);
		return;
	}
	if (!complete) {
		return;
	}
	r->st.received++;
	t = &r->tmpl[r->jobs[s->job].tmpl];
	m = probe_match(&pkt, s->tbuf, s->tlen, r->wires + t->off, t->qend);
	if (m == MATCH_OK && (s->tbuf[0] << 8 | s->tbuf[1]) != s->id) {
		ldns_pkt_free(pkt);
		r->st.drop_unknown_id++;
		m = MATCH_WRONG_QUESTION;
	} else if (m != MATCH_OK) {
		answer_rejected(p, si, m);
	}
	if (m != MATCH_OK) {
		tcp_failed(p, si, now);
		return;
	}
	answer_accepted(p, si, pkt, true, now);
	ldns_pkt_free(pkt);
}

/* ---- the loop --------------------------------------------------------- */

static void
expire(struct nsf_prober *p, int64_t now)
{
	struct nsf_round *r = p->r;
	size_t i;

	for (i = 0; i < p->ntl; i++) {
		while (p->tl[i].head != NONE &&
		    p->slots[p->tl[i].head].deadline_us <= now) {
			uint32_t si = p->tl[i].head, ji;
			struct job *j;

			if (p->slots[si].sock < 0) {
				tcp_failed(p, si, now);
				continue;
			}
			ji = slot_release(p, si);
			j = &r->jobs[ji];
			if (j->tries < j->max_tries) {
				r->st.retries++;
				queue_push(r, ji, true);
				continue;
			}
			job_finish(p, ji, j->saw_bad ? NSF_PROBE_MALFORMED :
			    NSF_PROBE_TIMEOUT, NULL, NULL, 0);
		}
	}
}

static void
engine_run(struct nsf_prober *p)
{
	struct epoll_event ev[64];
	struct rxbuf *rx = nsf_xmalloc(sizeof(*rx));
	int64_t now;
	int n, i;

	while (p->r->pending > 0) {
		now = mono_us();
		expire(p, now);
		dispatch(p, now);
		if (p->r->pending == 0) {
			break;
		}
		n = epoll_wait(p->ep, ev, NSF_ARRAY_SIZE(ev),
		    next_wake_ms(p, mono_us()));
		for (i = 0; i < n; i++) {
			uint64_t d = ev[i].data.u64;

			if (d & TCP_TAG) {
				tcp_event(p, (uint32_t)d, ev[i].events);
				continue;
			}
			if (ev[i].events & EPOLLERR) {
				pool_errqueue(p, (int)d);
			}
			if (ev[i].events & EPOLLIN) {
				pool_readable(p, (int)d, rx);
				/* refill what was answered at once: the
				 * server works while we read the rest */
				dispatch(p, mono_us());
			}
		}
	}
	free(rx);
}

/* ---- nameserver names without glue ------------------------------------ */

static struct rcache *
cache_get(struct nsf_prober *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->ncache; i++) {
		if (nsf_name_cmp(p->cache[i].name, name) == 0) {
			return &p->cache[i];
		}
	}
	p->cache = nsf_xrealloc(p->cache, (p->ncache + 1) * sizeof(*p->cache));
	memset(&p->cache[p->ncache], 0, sizeof(*p->cache));
	p->cache[p->ncache].name = nsf_xstrdup(name);
	nsf_strv_init(&p->cache[p->ncache].addrs);
	return &p->cache[p->ncache++];
}

static void
collect_addrs(struct rcache *c, const ldns_pkt *pkt)
{
	ldns_rr_list *an = ldns_pkt_answer(pkt);
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		char *text;

		if ((t != LDNS_RR_TYPE_A && t != LDNS_RR_TYPE_AAAA) ||
		    ldns_rr_rd_count(rr) < 1) {
			continue;
		}
		text = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		if (text != NULL && !nsf_strv_contains(&c->addrs, text)) {
			nsf_strv_push(&c->addrs, text);
		}
		free(text);
		if (ldns_rr_ttl(rr) < c->ttl) {
			c->ttl = ldns_rr_ttl(rr);
		}
	}
}

/* A resolver query ended: keep the addresses, or ask the next resolver. */
static void
resolution_done(struct nsf_prober *p, uint32_t ji,
    enum nsf_probe_result res, const ldns_pkt *pkt)
{
	struct nsf_round *r = p->r;
	struct job *j = &r->jobs[ji];
	struct rcache *c = &p->cache[j->owner];
	uint32_t next;

	if (res != NSF_PROBE_OK && (size_t)j->rec + 1 < p->resolvers.n &&
	    server_get(&next, r, p->resolvers.v[j->rec + 1], 53) == 0) {
		j->rec++;
		j->server = next;
		j->tries = 0;
		j->saw_bad = false;
		queue_push(r, ji, false);
		return;
	}
	j->state = JS_DONE;
	r->pending--;
	c->pending--;
	if (res == NSF_PROBE_OK && pkt != NULL) {
		collect_addrs(c, pkt);
	} else if (c->error == NULL) {
		c->error = nsf_xasprintf("%s lookup: %s",
		    j->qtype == LDNS_RR_TYPE_A ? "A" : "AAAA",
		    nsf_probe_result_name(res));
	}
}

static void
resolve_start(struct nsf_prober *p, struct nsf_round *r, struct rcache *c,
    uint64_t now_ms)
{
	static const uint16_t types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	uint32_t server, tmpl;
	size_t i;

	nsf_strv_deinit(&c->addrs);
	nsf_strv_init(&c->addrs);
	free(c->error);
	c->error = NULL;
	c->ttl = UINT32_MAX;
	c->expires_ms = (int64_t)now_ms;
	c->asked = true;
	if (p->resolvers.n == 0) {
		c->error = nsf_xstrdup("no glue in the policy and no resolver "
		    "configured");
		return;
	}
	if (server_get(&server, r, p->resolvers.v[0], 53) < 0 ||
	    tmpl_add(&tmpl, r, c->name, LDNS_RR_TYPE_A, true) < 0) {
		c->error = nsf_xstrdup(nsf_error_last());
		return;
	}
	for (i = 0; i < NSF_ARRAY_SIZE(types); i++) {
		struct job *j = job_add(r, server, (uint32_t)(c - p->cache),
		    i == 0 ? tmpl : tmpl_retype(r, tmpl, types[i]), JOB_RES,
		    types[i]);

		j->timeout_ms = (uint32_t)p->resolve_timeout_ms;
		j->max_tries = 2;
		queue_push(r, (uint32_t)(j - r->jobs), false);
		c->pending++;
	}
}

static bool
ns_needs_resolution(const struct nsf_nameserver *ns)
{
	return ns->naddrs == 0;
}

/* Resolves every glueless nameserver of the chosen domains whose cached
 * addresses have expired, through the configured resolvers only. */
static void
resolve_names(struct nsf_prober *p, struct nsf_round *r)
{
	int64_t now = nsf_mono_ms();
	size_t i, g, k, n;

	for (i = 0; i < r->ndoms; i++) {
		const struct nsf_domain *d = r->doms[i].d;

		for (g = 0; g <= d->nbackups; g++) {
			const struct nsf_group *grp = g == 0 ? &d->primary :
			    &d->backups[g - 1];

			for (k = 0; k < grp->nproviders; k++) {
				const struct nsf_provider *pv =
				    grp->providers[k];

				for (n = 0; n < pv->nns; n++) {
					struct rcache *c;

					if (!ns_needs_resolution(&pv->ns[n])) {
						continue;
					}
					c = cache_get(p, pv->ns[n].name);
					if (c->expires_ms > now ||
					    c->pending > 0) {
						continue;
					}
					resolve_start(p, r, c, (uint64_t)now);
				}
			}
		}
	}
	engine_run(p);
	for (i = 0; i < p->ncache; i++) {
		struct rcache *c = &p->cache[i];
		/* The TTL is honoured as given (0: ask again next round);
		 * a day at most, so a renumbered server is found. */
		uint32_t ttl = c->ttl > 86400 ? 86400 : c->ttl;

		if (!c->asked) {
			continue;
		}
		c->asked = false;
		if (c->addrs.n > 0) {
			free(c->error);
			c->error = NULL;
			c->expires_ms = now + (int64_t)ttl * 1000;
		} else if (c->error == NULL) {
			c->error = nsf_xstrdup("the resolvers know no address");
		}
	}
}

/* ---- building and running a round ------------------------------------- */

/* The distinct providers a domain lists, in order of first mention. */
static size_t
domain_providers(const struct nsf_provider **out, size_t max,
    const struct nsf_domain *d)
{
	size_t n = 0, g, k, i;

	for (g = 0; g <= d->nbackups; g++) {
		const struct nsf_group *grp = g == 0 ? &d->primary :
		    &d->backups[g - 1];

		for (k = 0; k < grp->nproviders; k++) {
			for (i = 0; i < n && out[i] != grp->providers[k]; i++) {
				;
			}
			if (i == n && n < max) {
				out[n++] = grp->providers[k];
			}
		}
	}
	return n;
}

struct dom_tmpls {
	uint32_t soa, ns, dnskey;
	uint32_t *rec;
};

static void
obs_jobs(struct nsf_prober *p, struct nsf_round *r, uint32_t oi,
    uint32_t server, const struct nsf_domain *d, const struct dom_tmpls *t)
{
	struct nsf_probe_obs *o = &r->obs[oi];
	size_t i, first = r->njobs;
	bool records = d->readiness.mode == NSF_READY_RECORDS &&
	    (p->queries & NSF_PQ_RECORDS);

	job_add(r, server, oi, t->soa, JOB_SOA, LDNS_RR_TYPE_SOA);
	if (p->queries & NSF_PQ_NS) {
		job_add(r, server, oi, t->ns, JOB_NS, LDNS_RR_TYPE_NS);
	}
	if (p->queries & NSF_PQ_DNSKEY) {
		job_add(r, server, oi, t->dnskey, JOB_DNSKEY,
		    LDNS_RR_TYPE_DNSKEY);
	}
	if (records && d->readiness.nrecords > 0) {
		o->nrecords = d->readiness.nrecords;
		o->records = nsf_xcalloc(o->nrecords, sizeof(*o->records));
		for (i = 0; i < o->nrecords; i++) {
			struct job *j = job_add(r, server, oi, t->rec[i],
			    JOB_REC, d->readiness.records[i].type);

			j->rec = (uint8_t)i;
		}
	}
	for (i = first; i < r->njobs; i++) {
		r->jobs[i].timeout_ms = (uint32_t)d->health.timeout_ms;
		r->jobs[i].max_tries = (uint8_t)(d->health.retries < 254 ?
		    d->health.retries + 1 : 255);
	}
}

static int
dom_tmpls_make(struct dom_tmpls *t, const struct nsf_prober *p,
    struct nsf_round *r, const struct nsf_domain *d)
{
	size_t i;

	if (tmpl_add(&t->soa, r, d->name, LDNS_RR_TYPE_SOA, false) < 0) {
		return NSF_EINVAL;
	}
	t->ns = t->dnskey = NONE;
	if (p->queries & NSF_PQ_NS) {
		t->ns = tmpl_retype(r, t->soa, LDNS_RR_TYPE_NS);
	}
	if (p->queries & NSF_PQ_DNSKEY) {
		t->dnskey = tmpl_retype(r, t->soa, LDNS_RR_TYPE_DNSKEY);
	}
	t->rec = NULL;
	if (d->readiness.mode != NSF_READY_RECORDS) {
		return 0;
	}
	t->rec = nsf_xcalloc(d->readiness.nrecords + 1, sizeof(*t->rec));
	for (i = 0; i < d->readiness.nrecords; i++) {
		if (tmpl_add(&t->rec[i], r, d->readiness.records[i].name,
		    d->readiness.records[i].type, false) < 0) {
			free(t->rec);
			return NSF_EINVAL;
		}
	}
	return 0;
}

/* One observation per address of one nameserver. */
static void
build_ns(struct nsf_prober *p, struct nsf_round *r, struct dom *dm,
    const struct nsf_provider *pv, const struct nsf_nameserver *ns,
    const struct dom_tmpls *t)
{
	const char *const *addrs = (const char *const *)ns->addrs;
	size_t n = ns->naddrs, i;
	const char *why = NULL;
	struct nsf_probe_obs *o;
	uint32_t server;

	if (n == 0) {
		struct rcache *c = cache_get(p, ns->name);

		addrs = (const char *const *)c->addrs.v;
		n = c->addrs.n;
		why = c->error;
	}
	for (i = 0; i < n || (n == 0 && i == 0); i++) {
		o = obs_add(r);
		o->domain = dm->d->name;
		o->provider = pv->name;
		o->ns = ns->name;
		o->port = pv->port ? pv->port : 53;
		o->addr = "-";
		o->soa.result = NSF_PROBE_NOADDR;
		if (n == 0) {
			nsf_debug(NSF_SRC_PROBE, dm->d->name, "no address for "
			    "%s: %s", ns->name, why ? why : "unknown");
			continue;
		}
		if (server_get(&server, r, addrs[i], o->port) < 0) {
			continue;
		}
		o->addr = r->srv[server].text;
		o->soa.result = NSF_PROBE_NONE;
		obs_jobs(p, r, (uint32_t)(r->nobs - 1), server, dm->d, t);
	}
}

/* Domain `i` of `n` starts at a random moment of its own equal share of
 * the spread: evenly spread over the round, yet never in lock step with
 * another prober or the previous round. */
NSF_STATIC uint64_t
probe_spread_offset(struct nsf_prober *p, size_t i, size_t n)
{
	uint64_t share, jitter;

	if (p->spread_ms == 0 || n == 0) {
		return 0;
	}
	share = p->spread_ms * 1000 / n;        /* µs */
	jitter = share > 0 ? rnd32(p) % share : 0;
	return (share * i + jitter) / 1000;
}

static int
build_domain(struct nsf_prober *p, struct nsf_round *r, struct dom *dm)
{
	const struct nsf_provider *pv[64];
	struct dom_tmpls t;
	size_t npv, i, n;

	if (dom_tmpls_make(&t, p, r, dm->d) < 0) {
		return NSF_EINVAL;
	}
	npv = domain_providers(pv, NSF_ARRAY_SIZE(pv), dm->d);
	dm->first = r->nobs;
	dm->job_first = r->njobs;
	for (i = 0; i < npv; i++) {
		for (n = 0; n < pv[i]->nns; n++) {
			build_ns(p, r, dm, pv[i], &pv[i]->ns[n], &t);
		}
	}
	dm->n = r->nobs - dm->first;
	dm->njobs = r->njobs - dm->job_first;
	dm->offset_ms = probe_spread_offset(p, (size_t)(dm - r->doms),
	    r->ndoms);
	free(t.rec);
	return 0;
}

static void
build_canaries(struct nsf_prober *p, struct nsf_round *r)
{
	const struct nsf_policy *pol = r->pol;
	size_t i;

	r->ncan = pol->ncanaries;
	r->can = nsf_xcalloc(r->ncan + 1, sizeof(*r->can));
	for (i = 0; i < r->ncan; i++) {
		const struct nsf_canary *c = &pol->canaries[i];
		uint32_t server, tmpl;
		struct job *j;

		r->can[i].canary = c;
		if (server_get(&server, r, c->server.host,
		    c->server.port ? c->server.port : 53) < 0 ||
		    tmpl_add(&tmpl, r, c->qname ? c->qname : ".",
		    c->qtype ? c->qtype : LDNS_RR_TYPE_SOA, true) < 0) {
			r->can[i].ans.result = NSF_PROBE_NETERR;
			continue;
		}
		j = job_add(r, server, (uint32_t)i, tmpl, JOB_CANARY,
		    c->qtype ? c->qtype : LDNS_RR_TYPE_SOA);
		j->timeout_ms = (uint32_t)p->canary_timeout_ms;
		j->max_tries = (uint8_t)(p->canary_retries + 1);
		queue_push(r, (uint32_t)(j - r->jobs), false);
	}
}

static int
dom_offset_cmp(const void *a, const void *b)
{
	const struct dom *x = *(const struct dom *const *)a;
	const struct dom *y = *(const struct dom *const *)b;

	return x->offset_ms < y->offset_ms ? -1 : x->offset_ms > y->offset_ms;
}

/* Queues every domain's jobs at its spread offset, earliest first, so
 * each server's queue stays in time order. */
static void
enqueue_domains(struct nsf_round *r, int64_t start_us)
{
	struct dom **order = nsf_xcalloc(r->ndoms + 1, sizeof(*order));
	size_t i, k;

	for (i = 0; i < r->ndoms; i++) {
		order[i] = &r->doms[i];
	}
	qsort(order, r->ndoms, sizeof(*order), dom_offset_cmp);
	for (i = 0; i < r->ndoms; i++) {
		for (k = 0; k < order[i]->njobs; k++) {
			uint32_t ji = (uint32_t)(order[i]->job_first + k);

			r->jobs[ji].not_before_us = start_us +
			    (int64_t)order[i]->offset_ms * 1000;
			queue_push(r, ji, false);
		}
	}
	free(order);
}

static const struct nsf_domain *
find_domain(const struct nsf_policy *pol, const char *name)
{
	size_t i;

	for (i = 0; i < pol->ndomains; i++) {
		if (nsf_name_cmp(pol->domains[i].name, name) == 0) {
			return &pol->domains[i];
		}
	}
	return NULL;
}

static int
select_domains(struct nsf_round *r, const char *const *domains)
{
	const struct nsf_policy *pol = r->pol;
	size_t i, n = 0;

	if (domains == NULL) {
		r->doms = nsf_xcalloc(pol->ndomains + 1, sizeof(*r->doms));
		for (i = 0; i < pol->ndomains; i++) {
			r->doms[i].d = &pol->domains[i];
		}
		r->ndoms = pol->ndomains;
		return 0;
	}
	while (domains[n] != NULL) {
		n++;
	}
	r->doms = nsf_xcalloc(n + 1, sizeof(*r->doms));
	for (i = 0; i < n; i++) {
		r->doms[i].d = find_domain(pol, domains[i]);
		if (r->doms[i].d == NULL) {
			return nsf_error_set(NSF_ENOTFOUND, "domain '%s' is "
			    "not in the policy", domains[i]);
		}
	}
	r->ndoms = n;
	return 0;
}

/* Sizes the arrays exactly: at 10,000 domains doubling would waste a
 * third of the round's memory. */
static void
round_reserve(struct nsf_prober *p, struct nsf_round *r)
{
	const struct nsf_provider *pv[64];
	size_t nobs = 0, kinds = 1, i, k, n, npv;

	kinds += (p->queries & NSF_PQ_NS) ? 1 : 0;
	kinds += (p->queries & NSF_PQ_DNSKEY) ? 1 : 0;
	for (i = 0; i < r->ndoms; i++) {
		npv = domain_providers(pv, NSF_ARRAY_SIZE(pv), r->doms[i].d);
		for (k = 0; k < npv; k++) {
			for (n = 0; n < pv[k]->nns; n++) {
				const struct nsf_nameserver *ns = &pv[k]->ns[n];
				size_t na = ns->naddrs ? ns->naddrs :
				    cache_get(p, ns->name)->addrs.n;

				nobs += na ? na : 1;
			}
		}
	}
	/* the resolution jobs are all done: their slots can be reused */
	r->njobs = 0;
	r->capobs = nobs + 1;
	r->obs = nsf_xrealloc(r->obs, r->capobs * sizeof(*r->obs));
	r->capjobs = nobs * kinds + r->pol->ncanaries + 1;
	r->jobs = nsf_xrealloc(r->jobs, r->capjobs * sizeof(*r->jobs));
}

static size_t
round_bytes(const struct nsf_round *r)
{
	size_t b = sizeof(*r) + r->capobs * sizeof(*r->obs) +
	    (r->ndoms + 1) * sizeof(*r->doms) +
	    (r->ncan + 1) * sizeof(*r->can) + r->capsrv * sizeof(*r->srv) +
	    r->srv_hcap * sizeof(*r->srv_hash) +
	    r->capjobs * sizeof(*r->jobs) + r->captmpl * sizeof(*r->tmpl) +
	    r->wcap;
	size_t i;

	for (i = 0; i < r->nobs; i++) {
		b += r->obs[i].nrecords * sizeof(*r->obs[i].records);
	}
	return b;
}

/* Keeps observations only: the queries' bookkeeping goes. */
static void
round_trim(struct nsf_round *r)
{
	r->st.peak_bytes = round_bytes(r);
	free(r->jobs);
	r->jobs = NULL;
	r->njobs = r->capjobs = 0;
	free(r->tmpl);
	r->tmpl = NULL;
	r->ntmpl = r->captmpl = 0;
	free(r->wires);
	r->wires = NULL;
	r->wlen = r->wcap = 0;
	free(r->srv_hash);
	r->srv_hash = NULL;
	r->srv_hcap = 0;
}

int
nsf_prober_round(struct nsf_prober *p, const struct nsf_policy *pol,
    const char *const *domains, struct nsf_round **out)
{
	struct nsf_round *r = nsf_xcalloc(1, sizeof(*r));
	int64_t start = mono_us();
	size_t i;
	int rc;

	r->pol = pol;
	p->r = r;
	rc = select_domains(r, domains);
	if (rc < 0) {
		goto out;
	}
	resolve_names(p, r);
	round_reserve(p, r);
	for (i = 0; i < r->ndoms; i++) {
		rc = build_domain(p, r, &r->doms[i]);
		if (rc < 0) {
			goto out;
		}
	}
	build_canaries(p, r);
	enqueue_domains(r, mono_us());
	engine_run(p);
	r->st.duration_us = mono_us() - start;
	round_trim(r);
	*out = r;
	r = NULL;
out:
	p->r = NULL;
	nsf_round_free(r);
	return rc;
}

static void
answer_deinit(struct nsf_probe_answer *a)
{
	if (a->rrset != NULL) {
		ldns_rr_list_deep_free(a->rrset);
	}
	a->rrset = NULL;
}

void
nsf_round_free(struct nsf_round *r)
{
	size_t i, k;

	if (r == NULL) {
		return;
	}
	for (i = 0; i < r->nobs; i++) {
		answer_deinit(&r->obs[i].nsq);
		answer_deinit(&r->obs[i].dnskey);
		for (k = 0; k < r->obs[i].nrecords; k++) {
			answer_deinit(&r->obs[i].records[k]);
		}
		free(r->obs[i].records);
	}
	for (i = 0; i < r->nsrv; i++) {
		free(r->srv[i].text);
	}
	round_trim(r);
	free(r->obs);
	free(r->doms);
	free(r->can);
	free(r->srv);
	free(r);
}

size_t
nsf_round_count(const struct nsf_round *r)
{
	return r->nobs;
}

const struct nsf_probe_obs *
nsf_round_obs(const struct nsf_round *r, size_t i)
{
	return i < r->nobs ? &r->obs[i] : NULL;
}

int
nsf_round_domain(const struct nsf_probe_obs **out, size_t *out_n,
    const struct nsf_round *r, const char *domain)
{
	size_t lo = 0, hi = r->ndoms, i;

	/* Rounds over the whole policy keep its order (sorted by name). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = nsf_name_cmp(r->doms[mid].d->name, domain);

		if (c == 0) {
			*out = r->obs + r->doms[mid].first;
			*out_n = r->doms[mid].n;
			return 0;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	for (i = 0; i < r->ndoms; i++) {
		if (nsf_name_cmp(r->doms[i].d->name, domain) == 0) {
			*out = r->obs + r->doms[i].first;
			*out_n = r->doms[i].n;
			return 0;
		}
	}
	return NSF_ENOTFOUND;
}

size_t
nsf_round_ncanaries(const struct nsf_round *r)
{
	return r->ncan;
}

const struct nsf_canary_obs *
nsf_round_canary(const struct nsf_round *r, size_t i)
{
	return i < r->ncan ? &r->can[i] : NULL;
}

const struct nsf_probe_stats *
nsf_round_stats(const struct nsf_round *r)
{
	return &r->st;
}

size_t
nsf_round_memory(const struct nsf_round *r)
{
	return round_bytes(r);
}
