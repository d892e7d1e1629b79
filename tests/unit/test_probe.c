/* test_probe.c - unit tests for the prober's pure parts: endpoints, answer
 * matching and the classification of answers, malformed ones included. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "../../providers/probe.h"

int probe_parse_endpoint(struct sockaddr_storage *out, socklen_t *out_len,
    const char *text, uint16_t default_port);
int probe_match(ldns_pkt **out, const uint8_t *ans, size_t len,
    const uint8_t *query, size_t qend);
enum nsf_probe_result probe_classify(const ldns_pkt *pkt, bool soa,
    bool nxdomain_ok, uint32_t *serial, ldns_rr_list **rrset);
uint64_t probe_spread_offset(struct nsf_prober *p, size_t i, size_t n);

enum { MATCH_OK, MATCH_WRONG_QUESTION, MATCH_MALFORMED };

/* A query as the prober sends it, and its question's end. */
struct wire {
	uint8_t *data;
	size_t len;
	size_t qend;
};

static ldns_pkt *
make_pkt(const char *name, ldns_rr_type type, uint16_t flags)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(name), type,
	    LDNS_RR_CLASS_IN, flags);

	ldns_pkt_set_id(p, 0x1234);
	return p;
}

static struct wire
to_wire(ldns_pkt *p, const char *qname)
{
	struct wire w = { NULL, 0, 0 };
	ldns_rdf *d = ldns_dname_new_frm_str(qname);

	assert_int_equal(ldns_pkt2wire(&w.data, p, &w.len), LDNS_STATUS_OK);
	w.qend = 12 + ldns_rdf_size(d) + 4;
	ldns_rdf_deep_free(d);
	ldns_pkt_free(p);
	return w;
}

/* An authoritative answer carrying the SOA of `zone` with `serial`. */
static ldns_pkt *
soa_answer(const char *qname, uint32_t serial, bool aa)
{
	ldns_pkt *p = make_pkt(qname, LDNS_RR_TYPE_SOA, 0);
	char text[256];
	ldns_rr *rr = NULL;

	snprintf(text, sizeof(text), "%s 300 IN SOA ns1.example.test. "
	    "h.example.test. %u 3600 600 86400 300", qname, serial);
	assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL),
	    LDNS_STATUS_OK);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, aa);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	return p;
}

static int
match(const struct wire *q, const struct wire *a, ldns_pkt **out)
{
	return probe_match(out, a->data, a->len, q->data, q->qend);
}

static void
test_probe_parse_endpoint(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	(void)state;
	assert_int_equal(probe_parse_endpoint(&ss, &len, "127.0.10.1", 53), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(s4->sin_port), 53);
	assert_int_equal(probe_parse_endpoint(&ss, &len, "127.0.10.1:5353",
	    53), 0);
	assert_int_equal(ntohs(s4->sin_port), 5353);
	assert_int_equal(probe_parse_endpoint(&ss, &len, "[::1]:5300", 53),
	    0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ntohs(s6->sin6_port), 5300);
	assert_int_equal(probe_parse_endpoint(&ss, &len, "::1", 53), 0);
	assert_int_equal(ntohs(s6->sin6_port), 53);
	assert_int_equal(probe_parse_endpoint(&ss, &len, "ns1.example", 53),
	    NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "ns1.example"));
	assert_int_equal(probe_parse_endpoint(&ss, &len, "127.0.0.1:0", 53),
	    NSF_EINVAL);
	assert_int_equal(probe_parse_endpoint(&ss, &len, "127.0.0.1:99999",
	    53), NSF_EINVAL);
	assert_int_equal(probe_parse_endpoint(&ss, &len, "[::1", 53),
	    NSF_EINVAL);
	assert_int_equal(probe_parse_endpoint(&ss, &len, "", 53), NSF_EINVAL);
}

static void
test_probe_match_accepts_question_any_case(void **state)
{
	struct wire q = to_wire(make_pkt("example.test.", LDNS_RR_TYPE_SOA,
	    0), "example.test.");
	struct wire a = to_wire(soa_answer("ExAmPle.TEST.", 7, true),
	    "example.test.");
	ldns_pkt *pkt = NULL;

	(void)state;
	assert_int_equal(match(&q, &a, &pkt), MATCH_OK);
	assert_non_null(pkt);
	ldns_pkt_free(pkt);
	free(q.data);
	free(a.data);
}

static void
test_probe_match_rejects_other_questions(void **state)
{
	struct wire q = to_wire(make_pkt("example.test.", LDNS_RR_TYPE_SOA,
	    0), "example.test.");
	struct wire other = to_wire(soa_answer("exbmple.test.", 7, true),
	    "exbmple.test.");
	struct wire typ = to_wire(make_pkt("example.test.", LDNS_RR_TYPE_NS,
	    0), "example.test.");
	ldns_pkt *pkt = NULL;

	(void)state;
	assert_int_equal(match(&q, &other, &pkt), MATCH_WRONG_QUESTION);
	typ.data[2] |= 0x80;    /* a response, but for NS */
	assert_int_equal(match(&q, &typ, &pkt), MATCH_WRONG_QUESTION);
	/* our own query echoed back: QR clear */
	assert_int_equal(match(&q, &q, &pkt), MATCH_WRONG_QUESTION);
	typ.data[4] = 0;
	typ.data[5] = 0;        /* no question at all */
	assert_int_equal(match(&q, &typ, &pkt), MATCH_WRONG_QUESTION);
	assert_null(pkt);
	free(q.data);
	free(other.data);
	free(typ.data);
}

static void
test_probe_match_malformed(void **state)
{
	struct wire q = to_wire(make_pkt("example.test.", LDNS_RR_TYPE_SOA,
	    0), "example.test.");
	struct wire a = to_wire(soa_answer("example.test.", 7, true),
	    "example.test.");
	uint8_t garbage[300];
	ldns_pkt *pkt = NULL;

	(void)state;
	/* shorter than a header */
	assert_int_equal(probe_match(&pkt, a.data, 11, q.data, q.qend),
	    MATCH_MALFORMED);
	/* the answer record cut in half */
	assert_int_equal(probe_match(&pkt, a.data, a.len - 10, q.data,
	    q.qend), MATCH_MALFORMED);
	/* an answer count promising records that are not there */
	memcpy(garbage, a.data, q.qend);
	garbage[7] = 9;
	assert_int_equal(probe_match(&pkt, garbage, q.qend, q.data, q.qend),
	    MATCH_MALFORMED);
	/* a compression pointer looping on itself in the answer */
	memcpy(garbage, a.data, q.qend);
	garbage[7] = 1;
	garbage[q.qend] = 0xc0;
	garbage[q.qend + 1] = (uint8_t)q.qend;
	memset(garbage + q.qend + 2, 0, 10);
	assert_int_equal(probe_match(&pkt, garbage, q.qend + 12, q.data,
	    q.qend), MATCH_MALFORMED);
	assert_null(pkt);
	free(q.data);
	free(a.data);
}

static enum nsf_probe_result
classify(ldns_pkt *p, bool soa, bool nxok, uint32_t *serial)
{
	ldns_rr_list *rrset = NULL;
	enum nsf_probe_result r = probe_classify(p, soa, nxok, serial, &rrset);

	if (rrset != NULL) {
		ldns_rr_list_deep_free(rrset);
	}
	ldns_pkt_free(p);
	return r;
}

static void
test_probe_classify_rcodes_and_authority(void **state)
{
	uint32_t serial = 0;
	ldns_pkt *p;

	(void)state;
	assert_int_equal(classify(soa_answer("example.test.", 42, true), true,
	    false, &serial), NSF_PROBE_OK);
	assert_int_equal(serial, 42);
	assert_int_equal(classify(soa_answer("example.test.", 42, false), true,
	    false, &serial), NSF_PROBE_LAME);
	p = soa_answer("example.test.", 42, true);
	ldns_pkt_set_rcode(p, LDNS_RCODE_REFUSED);
	assert_int_equal(classify(p, true, false, &serial),
	    NSF_PROBE_REFUSED);
	p = soa_answer("example.test.", 42, true);
	ldns_pkt_set_rcode(p, LDNS_RCODE_SERVFAIL);
	assert_int_equal(classify(p, true, false, &serial),
	    NSF_PROBE_SERVFAIL);
	p = soa_answer("example.test.", 42, true);
	ldns_pkt_set_rcode(p, LDNS_RCODE_NOTIMPL);
	assert_int_equal(classify(p, true, false, &serial), NSF_PROBE_RCODE);
	p = make_pkt("example.test.", LDNS_RR_TYPE_SOA, 0);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
	assert_int_equal(classify(p, true, false, &serial),
	    NSF_PROBE_NXDOMAIN);
	p = make_pkt("v.example.test.", LDNS_RR_TYPE_TXT, 0);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
	/* a readiness record may legitimately not exist */
	assert_int_equal(classify(p, false, true, &serial), NSF_PROBE_OK);
}

static void
test_probe_classify_soa_missing_is_nodata(void **state)
{
	uint32_t serial = 0;
	ldns_pkt *p = make_pkt("example.test.", LDNS_RR_TYPE_SOA, 0);
	ldns_rr *rr = NULL;

	(void)state;
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	/* a SOA, but of another zone: not the domain's */
	assert_int_equal(ldns_rr_new_frm_str(&rr, "other.test. 300 IN SOA "
	    "a. b. 9 1 1 1 1", 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	assert_int_equal(classify(p, true, false, &serial),
	    NSF_PROBE_NODATA);
	assert_int_equal(serial, 0);
}

/* NSD answers a SOA query with the NS set in the authority section and
 * an OPT record: the serial is read; the sections after the answer are
 * not parsed at all. */
static void
test_probe_match_server_shaped_answer(void **state)
{
	struct wire q = to_wire(make_pkt("example.test.", LDNS_RR_TYPE_SOA,
	    0), "example.test.");
	ldns_pkt *a = soa_answer("EXAMPLE.test.", 2026120401, true);
	ldns_pkt *pkt = NULL;
	ldns_rr *ns = NULL;
	struct wire w;
	uint32_t serial = 0;

	(void)state;
	assert_int_equal(ldns_rr_new_frm_str(&ns, "example.test. 300 IN NS "
	    "ns1.example.test.", 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_pkt_push_rr(a, LDNS_SECTION_AUTHORITY, ns);
	ldns_pkt_set_edns_udp_size(a, 1232);
	w = to_wire(a, "example.test.");
	assert_int_equal(match(&q, &w, &pkt), MATCH_OK);
	assert_int_equal(ldns_pkt_ancount(pkt), 1);
	assert_int_equal(ldns_pkt_nscount(pkt), 0);
	assert_true(ldns_pkt_aa(pkt));
	/* owner names compare without regard to case */
	assert_int_equal(classify(pkt, true, false, &serial), NSF_PROBE_OK);
	assert_int_equal(serial, 2026120401);
	free(q.data);
	free(w.data);
}

/* Domain i of n starts within its own share of the spread, at a moment
 * that differs from one round to the next. */
static void
test_probe_spread_offsets_even_with_jitter(void **state)
{
	struct nsf_prober_opts o = { .spread_ms = 1000 };
	struct nsf_prober *p = NULL;
	uint64_t first[10];
	size_t i, same = 0;

	(void)state;
	assert_int_equal(nsf_prober_new(&p, &o), 0);
	for (i = 0; i < 10; i++) {
		first[i] = probe_spread_offset(p, i, 10);
		assert_true(first[i] >= 100 * i && first[i] < 100 * (i + 1));
	}
	for (i = 0; i < 10; i++) {
		same += probe_spread_offset(p, i, 10) == first[i];
	}
	assert_true(same < 10);
	assert_int_equal(probe_spread_offset(p, 0, 0), 0);
	nsf_prober_free(p);
	o.spread_ms = 0;
	assert_int_equal(nsf_prober_new(&p, &o), 0);
	assert_int_equal(probe_spread_offset(p, 5, 10), 0);
	nsf_prober_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_parse_endpoint),
		cmocka_unit_test(test_probe_match_accepts_question_any_case),
		cmocka_unit_test(test_probe_match_rejects_other_questions),
		cmocka_unit_test(test_probe_match_malformed),
		cmocka_unit_test(test_probe_classify_rcodes_and_authority),
		cmocka_unit_test(test_probe_classify_soa_missing_is_nodata),
		cmocka_unit_test(test_probe_match_server_shaped_answer),
		cmocka_unit_test(test_probe_spread_offsets_even_with_jitter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
