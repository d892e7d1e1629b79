/* probe.h - the DNS prober: one non-blocking round of queries to every
 * provider's nameserver addresses, classified the way a resolver sees them. */
#ifndef NSF_PROBE_H
#define NSF_PROBE_H

#include <ldns/ldns.h>

#include "../reconciler/nsf.h"
#include "../schema/policy.h"

/*
 * How one query ended.  Only NSF_PROBE_OK means "an authoritative NOERROR
 * answer to exactly the question asked, from the address and port asked".
 */
enum nsf_probe_result {
	NSF_PROBE_NONE = 0,     /* not asked (query kind switched off) */
	NSF_PROBE_OK,
	NSF_PROBE_TIMEOUT,      /* no valid answer within timeout x tries */
	NSF_PROBE_UNREACHABLE,  /* ICMP unreachable / connection refused */
	NSF_PROBE_REFUSED,      /* rcode REFUSED: zone not served there */
	NSF_PROBE_SERVFAIL,
	NSF_PROBE_NXDOMAIN,
	NSF_PROBE_RCODE,        /* another error rcode (FORMERR, NOTIMP...) */
	NSF_PROBE_LAME,         /* NOERROR but AA clear: not authoritative */
	NSF_PROBE_NODATA,       /* authoritative NOERROR without the SOA */
	NSF_PROBE_TCP_FAILED,   /* UDP answer truncated, TCP retry failed */
	NSF_PROBE_MALFORMED,    /* only unparsable or mismatched answers */
	NSF_PROBE_NOADDR,       /* no glue and name resolution failed */
	NSF_PROBE_NETERR,       /* our side could not send (socket error) */
};

/* Which queries a round sends to each address (bit mask). */
enum {
	NSF_PQ_SOA = 1 << 0,    /* always sent */
	NSF_PQ_NS = 1 << 1,     /* apex NS set */
	NSF_PQ_DNSKEY = 1 << 2, /* apex DNSKEY set */
	NSF_PQ_RECORDS = 1 << 3,        /* readiness "records" RRsets */
	NSF_PQ_ALL = 0xf,
};

struct nsf_prober_opts {
	/* Recursive resolvers for nameserver names without glue: "ADDR",
	 * "ADDR:PORT" or "[ADDR6]:PORT".  Never /etc/resolv.conf; NULL or
	 * empty means names without glue get NSF_PROBE_NOADDR. */
	const char *const *resolvers;
	size_t nresolvers;
	double rate_per_server; /* queries/s per server address; 0 = 200 */
	uint64_t spread_ms;     /* spread domains over this; 0 = no spread */
	const char *source4;    /* source address for IPv4; NULL = kernel */
	const char *source6;    /* same for IPv6 */
	unsigned max_inflight;  /* queries in flight at once; 0 = 4096 */
	unsigned queries;       /* NSF_PQ_* mask; 0 = NSF_PQ_ALL */
	uint64_t canary_timeout_ms;     /* per try; 0 = 2s */
	unsigned canary_retries;        /* extra tries; default 0 */
	uint64_t resolve_timeout_ms;    /* per try; 0 = 2s */
};

/* One query's outcome. */
struct nsf_probe_answer {
	enum nsf_probe_result result;
	uint8_t rcode;          /* DNS rcode of the answer kept; 0 if none */
	uint8_t tries;          /* tries sent, UDP and TCP */
	bool tcp;               /* the answer came over TCP */
	uint32_t latency_us;    /* send of the last try to its answer */
	/* Answer RRs of the queried name and type (NS, DNSKEY, records);
	 * NULL for SOA and when there were none. */
	ldns_rr_list *rrset;
};

/* Everything learnt from one (domain, provider, nameserver, address). */
struct nsf_probe_obs {
	const char *domain;     /* owned by the policy */
	const char *provider;
	const char *ns;         /* nameserver name */
	const char *addr;       /* textual address; "-" for NSF_PROBE_NOADDR */
	uint16_t port;
	struct nsf_probe_answer soa;
	uint32_t serial;        /* valid when has_serial */
	bool has_serial;
	struct nsf_probe_answer nsq;
	struct nsf_probe_answer dnskey;
	struct nsf_probe_answer *records;       /* one per readiness rrspec */
	size_t nrecords;
};

struct nsf_canary_obs {
	const struct nsf_canary *canary;
	struct nsf_probe_answer ans;    /* OK when any NOERROR / NXDOMAIN
					 * answer arrived */
};

/* Packets that arrived and were not accepted, by reason. */
struct nsf_probe_stats {
	uint64_t sent;          /* UDP datagrams and TCP queries sent */
	uint64_t received;      /* datagrams read from our sockets */
	uint64_t accepted;      /* answers matched to a query */
	uint64_t retries;
	uint64_t tcp;           /* TCP fallbacks after truncation */
	uint64_t drop_unknown_id;       /* id not in flight on that socket */
	uint64_t drop_wrong_source;     /* right id, wrong address or port */
	uint64_t drop_wrong_question;   /* right source and id, other name,
					 * type or class, or not a response */
	uint64_t drop_malformed;        /* did not parse */
	uint64_t icmp;          /* ICMP errors matched to a query */
	int64_t duration_us;    /* wall time of the round */
	size_t peak_bytes;      /* memory the round held while running */
};

struct nsf_prober;
struct nsf_round;

/* Copies what it needs from opts; resolvers are parsed here. */
int nsf_prober_new(struct nsf_prober **out, const struct nsf_prober_opts *o);
void nsf_prober_free(struct nsf_prober *p);

/*
 * Probes every (domain, provider, nameserver address) once, honouring each
 * domain's health timeout and retries, and the policy's canaries.  Blocks
 * until every query is answered or has timed out (internally one event
 * loop, fully non-blocking).  `domains` NULL means every domain; an
 * unknown name fails with NSF_ENOTFOUND.  The round keeps pointers into
 * `pol`: free the round before the policy.
 */
int nsf_prober_round(struct nsf_prober *p, const struct nsf_policy *pol,
    const char *const *domains, struct nsf_round **out);
void nsf_round_free(struct nsf_round *r);

size_t nsf_round_count(const struct nsf_round *r);
const struct nsf_probe_obs *nsf_round_obs(const struct nsf_round *r,
    size_t i);
/* The observations of one domain (contiguous, in policy order of provider,
 * nameserver and address); NSF_ENOTFOUND when it was not probed. */
int nsf_round_domain(const struct nsf_probe_obs **out, size_t *out_n,
    const struct nsf_round *r, const char *domain);
size_t nsf_round_ncanaries(const struct nsf_round *r);
const struct nsf_canary_obs *nsf_round_canary(const struct nsf_round *r,
    size_t i);
const struct nsf_probe_stats *nsf_round_stats(const struct nsf_round *r);
/* Bytes the round keeps after running (observations; answer RRsets held
 * by ldns not counted).  The peak is in the stats. */
size_t nsf_round_memory(const struct nsf_round *r);

const char *nsf_probe_result_name(enum nsf_probe_result r);

#endif
