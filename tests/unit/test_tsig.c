/* test_tsig.c - unit tests for TSIG signing and verification: interop with
 * ldns both ways, answers that must not verify, malformed records, and the
 * errors a server reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <ldns/ldns.h>

#include "../../providers/tsig.h"

#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ="
#define OTHER_SECRET "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXItMTI="

/* The algorithms ldns 1.8.3 signs and verifies with (its hmac-sha224 and
 * hmac-sha384 entries do not work), to check ours against. */
static const char *const ldns_algs[] = {
	"hmac-md5.sig-alg.reg.int.", "hmac-sha1.", "hmac-sha256.",
	"hmac-sha512.",
};
static const char *const our_algs[] = {
	"hmac-md5", "hmac-sha1", "hmac-sha256", "hmac-sha512",
};

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static ldns_pkt *
update_pkt(uint16_t id)
{
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_rr *rr = NULL;
	ldns_pkt *p;

	ldns_rr_new_frm_str(&rr, "child.lab.test. 300 IN NS ns1.b.test.",
	    0, NULL, NULL);
	ldns_rr_list_push_rr(up, rr);
	p = ldns_update_pkt_new(ldns_dname_new_frm_str("lab.test"),
	    LDNS_RR_CLASS_IN, NULL, up, NULL);
	ldns_pkt_set_id(p, id);
	ldns_rr_list_deep_free(up);
	return p;
}

static void
pkt_wire(struct nsf_buf *out, ldns_pkt *p)
{
	uint8_t *w = NULL;
	size_t n = 0;

	assert_int_equal(ldns_pkt2wire(&w, p, &n), LDNS_STATUS_OK);
	nsf_buf_init(out);
	nsf_buf_put(out, w, n);
	free(w);
}

/* The answer a server gives: the update with QR set, sections empty. */
static ldns_pkt *
answer_pkt(uint16_t id, ldns_pkt_rcode rcode)
{
	ldns_rr_list *none = ldns_rr_list_new();
	ldns_pkt *p = ldns_update_pkt_new(ldns_dname_new_frm_str("lab.test"),
	    LDNS_RR_CLASS_IN, none, none, NULL);

	ldns_rr_list_free(none);
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	return p;
}

static void
key_init(struct nsf_tsig_key *k, const char *name, const char *alg,
    const char *secret)
{
	assert_int_equal(nsf_tsig_key_init(k, name, alg, secret), 0);
}

/* An answer signed by ldns (as a server would) to a request whose MAC
 * was `mac`; `secret` and `keyname` may differ from ours. */
static void
ldns_answer(struct nsf_buf *out, const char *keyname, const char *alg,
    const char *secret, const uint8_t *mac, size_t mac_len, uint16_t id)
{
	ldns_pkt *a = answer_pkt(id, LDNS_RCODE_NOERROR);
	uint8_t d[NSF_TSIG_MAC_MAX + 2];
	ldns_rdf *qmac;

	d[0] = (uint8_t)(mac_len >> 8);
	d[1] = (uint8_t)mac_len;
	memcpy(d + 2, mac, mac_len);
	qmac = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, mac_len + 2,
	    d);
	assert_int_equal(ldns_pkt_tsig_sign(a, keyname, secret, 300, alg,
	    qmac), LDNS_STATUS_OK);
	pkt_wire(out, a);
	ldns_rdf_deep_free(qmac);
	ldns_pkt_free(a);
}

static void
test_tsig_signed_request_verifies_in_ldns(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSF_ARRAY_SIZE(our_algs); i++) {
		struct nsf_tsig_key k;
		uint8_t mac[NSF_TSIG_MAC_MAX];
		size_t mac_len = 0;
		struct nsf_buf q;
		ldns_pkt *parsed = NULL, *p = update_pkt(0x4242);

		key_init(&k, "nsf-key.", our_algs[i], SECRET);
		pkt_wire(&q, p);
		assert_int_equal(nsf_tsig_sign(&q, mac, &mac_len, &k,
		    now_s()), 0);
		assert_int_equal(ldns_wire2pkt(&parsed, (uint8_t *)q.data,
		    q.len), LDNS_STATUS_OK);
		assert_true(ldns_pkt_tsig_verify(parsed, (uint8_t *)q.data,
		    q.len, "nsf-key.", SECRET, NULL));
		assert_non_null(ldns_pkt_tsig(parsed));
		ldns_pkt_free(parsed);
		ldns_pkt_free(p);
		nsf_buf_deinit(&q);
		nsf_tsig_key_deinit(&k);
	}
}

/* A request signed elsewhere verifies with no request MAC (NULL). */
static void
test_tsig_request_signed_by_ldns_verifies(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NSF_ARRAY_SIZE(our_algs); i++) {
		struct nsf_tsig_key k;
		struct nsf_buf q;
		uint16_t err = 99;
		ldns_pkt *p = update_pkt(0x1001);

		key_init(&k, "nsf-key", our_algs[i], SECRET);
		assert_int_equal(ldns_pkt_tsig_sign(p, "nsf-key.", SECRET,
		    300, ldns_algs[i], NULL), LDNS_STATUS_OK);
		pkt_wire(&q, p);
		assert_int_equal(nsf_tsig_verify(&err, (uint8_t *)q.data,
		    q.len, &k, NULL, 0, now_s()), 0);
		assert_int_equal(err, 0);
		/* With a request MAC it is another digest: no match. */
		assert_int_equal(nsf_tsig_verify(&err, (uint8_t *)q.data,
		    q.len, &k, (const uint8_t *)"xx", 2, now_s()),
		    NSF_EINVAL);
		ldns_pkt_free(p);
		nsf_buf_deinit(&q);
		nsf_tsig_key_deinit(&k);
	}
}

/* Signs a request with `k`, then checks an ldns-signed answer to it. */
static int
answer_verdict(const struct nsf_tsig_key *k, const char *keyname,
    const char *alg, const char *secret, bool same_mac, uint16_t *err)
{
	uint8_t mac[NSF_TSIG_MAC_MAX];
	size_t mac_len = 0;
	struct nsf_buf q, a;
	ldns_pkt *p = update_pkt(0x2002);
	int rc;

	pkt_wire(&q, p);
	assert_int_equal(nsf_tsig_sign(&q, mac, &mac_len, k, now_s()), 0);
	ldns_answer(&a, keyname, alg, secret, mac, mac_len, 0x2002);
	if (!same_mac) {
		mac[0] ^= 1;
	}
	rc = nsf_tsig_verify(err, (uint8_t *)a.data, a.len, k, mac, mac_len,
	    now_s());
	ldns_pkt_free(p);
	nsf_buf_deinit(&q);
	nsf_buf_deinit(&a);
	return rc;
}

static void
test_tsig_answer_signed_by_ldns_verifies(void **state)
{
	size_t i;
	uint16_t err;

	(void)state;
	for (i = 0; i < NSF_ARRAY_SIZE(our_algs); i++) {
		struct nsf_tsig_key k;

		key_init(&k, "nsf-key", our_algs[i], SECRET);
		assert_int_equal(answer_verdict(&k, "nsf-key.", ldns_algs[i],
		    SECRET, true, &err), 0);
		/* An answer to another request (other MAC) is refused. */
		assert_int_equal(answer_verdict(&k, "nsf-key.", ldns_algs[i],
		    SECRET, false, &err), NSF_EINVAL);
		assert_non_null(strstr(nsf_error_last(), "does not verify"));
		nsf_tsig_key_deinit(&k);
	}
}

static void
test_tsig_answer_with_wrong_key_is_refused(void **state)
{
	struct nsf_tsig_key k;
	uint16_t err;

	(void)state;
	key_init(&k, "nsf-key", "hmac-sha256", SECRET);
	assert_int_equal(answer_verdict(&k, "nsf-key.", "hmac-sha256.",
	    OTHER_SECRET, true, &err), NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "does not verify with key "
	    "'nsf-key'"));
	assert_int_equal(answer_verdict(&k, "other-key.", "hmac-sha256.",
	    SECRET, true, &err), NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "another key or "
	    "algorithm"));
	assert_int_equal(answer_verdict(&k, "nsf-key.", "hmac-sha512.",
	    SECRET, true, &err), NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "another key or "
	    "algorithm"));
	assert_int_equal(err, 0);
	nsf_tsig_key_deinit(&k);
}

/* Every single-bit change of a signed answer is caught. */
static void
test_tsig_tampered_answer_is_refused(void **state)
{
	struct nsf_tsig_key k;
	uint8_t mac[NSF_TSIG_MAC_MAX];
	size_t mac_len = 0, i;
	struct nsf_buf q, a;
	uint16_t err;
	ldns_pkt *p = update_pkt(7);

	(void)state;
	key_init(&k, "nsf-key", "hmac-sha256", SECRET);
	pkt_wire(&q, p);
	assert_int_equal(nsf_tsig_sign(&q, mac, &mac_len, &k, now_s()), 0);
	ldns_answer(&a, "nsf-key.", "hmac-sha256.", SECRET, mac, mac_len, 7);
	for (i = 0; i < a.len; i++) {
		uint8_t *w = (uint8_t *)a.data;
		int rc;

		w[i] ^= 0x04;
		rc = nsf_tsig_verify(&err, w, a.len, &k, mac, mac_len,
		    now_s());
		if (i < 2) {
			/* The message id is not signed (the original id
			 * is); matching ids is the transport's job. */
			assert_int_equal(rc, 0);
		} else {
			assert_true(rc < 0);
		}
		w[i] ^= 0x04;
	}
	assert_int_equal(nsf_tsig_verify(&err, (uint8_t *)a.data, a.len, &k,
	    mac, mac_len, now_s()), 0);
	ldns_pkt_free(p);
	nsf_buf_deinit(&q);
	nsf_buf_deinit(&a);
	nsf_tsig_key_deinit(&k);
}

/* Cut at every length, the answer is refused and nothing is overread
 * (the test build runs under AddressSanitizer). */
static void
test_tsig_truncated_answer_is_refused(void **state)
{
	struct nsf_tsig_key k;
	uint8_t mac[NSF_TSIG_MAC_MAX];
	size_t mac_len = 0, n;
	struct nsf_buf q, a;
	uint16_t err;
	ldns_pkt *p = update_pkt(9);

	(void)state;
	key_init(&k, "nsf-key", "hmac-sha256", SECRET);
	pkt_wire(&q, p);
	assert_int_equal(nsf_tsig_sign(&q, mac, &mac_len, &k, now_s()), 0);
	ldns_answer(&a, "nsf-key.", "hmac-sha256.", SECRET, mac, mac_len, 9);
	for (n = 0; n < a.len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, a.data, n);
		assert_true(nsf_tsig_verify(&err, copy, n, &k, mac, mac_len,
		    now_s()) < 0);
		free(copy);
	}
	ldns_pkt_free(p);
	nsf_buf_deinit(&q);
	nsf_buf_deinit(&a);
	nsf_tsig_key_deinit(&k);
}

static void
test_tsig_unsigned_answer_is_not_found(void **state)
{
	struct nsf_tsig_key k;
	struct nsf_buf a;
	uint16_t err;
	ldns_pkt *p = answer_pkt(3, LDNS_RCODE_NOERROR);

	(void)state;
	key_init(&k, "nsf-key", NULL, SECRET);
	assert_string_equal(k.alg, "hmac-sha256");
	pkt_wire(&a, p);
	assert_int_equal(nsf_tsig_verify(&err, (uint8_t *)a.data, a.len, &k,
	    (const uint8_t *)"m", 1, now_s()), NSF_ENOTFOUND);
	assert_non_null(strstr(nsf_error_last(), "not signed"));
	ldns_pkt_free(p);
	nsf_buf_deinit(&a);
	nsf_tsig_key_deinit(&k);
}

/* The answer was signed an hour before the verifier's clock: outside
 * the fudge, however good its MAC. */
static void
test_tsig_answer_outside_fudge_is_refused(void **state)
{
	uint8_t mac[NSF_TSIG_MAC_MAX];
	struct nsf_tsig_key k;
	struct nsf_buf q, a;
	size_t mac_len = 0;
	uint16_t err;
	ldns_pkt *p = update_pkt(5);

	(void)state;
	key_init(&k, "nsf-key", "hmac-sha256", SECRET);
	pkt_wire(&q, p);
	assert_int_equal(nsf_tsig_sign(&q, mac, &mac_len, &k, now_s()), 0);
	ldns_answer(&a, "nsf-key.", "hmac-sha256.", SECRET, mac, mac_len, 5);
	assert_int_equal(nsf_tsig_verify(&err, (uint8_t *)a.data, a.len, &k,
	    mac, mac_len, now_s() + 3600), NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "away from our clock"));
	/* Within the fudge it verifies. */
	assert_int_equal(nsf_tsig_verify(&err, (uint8_t *)a.data, a.len, &k,
	    mac, mac_len, now_s() + 200), 0);
	ldns_pkt_free(p);
	nsf_buf_deinit(&q);
	nsf_buf_deinit(&a);
	nsf_tsig_key_deinit(&k);
}

static void
put_be(struct nsf_buf *b, uint64_t v, int bytes)
{
	uint8_t x[8];
	int i;

	for (i = bytes - 1; i >= 0; i--) {
		x[i] = (uint8_t)v;
		v >>= 8;
	}
	nsf_buf_put(b, x, (size_t)bytes);
}

/* An answer carrying an unsigned TSIG record with an error, as servers
 * send for BADKEY and BADSIG (RFC 8945 5.3.2). */
static void
error_answer(struct nsf_buf *out, const char *alg_wire, size_t alg_len,
    unsigned error)
{
	static const uint8_t name[] = "\007nsf-key";
	ldns_pkt *p = answer_pkt(11, LDNS_RCODE_NOTAUTH);
	uint8_t *w;

	pkt_wire(out, p);
	nsf_buf_put(out, name, sizeof(name));
	put_be(out, 250, 2);
	put_be(out, 255, 2);
	put_be(out, 0, 4);
	put_be(out, alg_len + 6 + 2 + 2 + 0 + 2 + 2 + 2, 2);
	nsf_buf_put(out, alg_wire, alg_len);
	put_be(out, (uint64_t)now_s(), 6);
	put_be(out, 300, 2);
	put_be(out, 0, 2);              /* no MAC */
	put_be(out, 11, 2);
	put_be(out, error, 2);
	put_be(out, 0, 2);
	w = (uint8_t *)out->data;
	w[11] = 1;                      /* ARCOUNT */
	ldns_pkt_free(p);
}

static void
test_tsig_server_errors_are_reported(void **state)
{
	static const uint8_t alg[] = "\013hmac-sha256";
	static const unsigned errors[] = {
		NSF_TSIG_BADSIG, NSF_TSIG_BADKEY, NSF_TSIG_BADTIME,
	};
	static const char *const names[] = { "BADSIG", "BADKEY", "BADTIME" };
	struct nsf_tsig_key k;
	size_t i;

	(void)state;
	key_init(&k, "NSF-Key.", "HMAC-SHA256", SECRET);
	for (i = 0; i < NSF_ARRAY_SIZE(errors); i++) {
		struct nsf_buf a;
		uint16_t err = 0;

		error_answer(&a, (const char *)alg, sizeof(alg), errors[i]);
		assert_int_equal(nsf_tsig_verify(&err, (uint8_t *)a.data,
		    a.len, &k, (const uint8_t *)"m", 1, now_s()),
		    NSF_ECONFLICT);
		assert_int_equal(err, errors[i]);
		assert_non_null(strstr(nsf_error_last(), names[i]));
		assert_non_null(strstr(nsf_error_last(), "'NSF-Key.'"));
		assert_null(strstr(nsf_error_last(), SECRET));
		nsf_buf_deinit(&a);
	}
	assert_string_equal(nsf_tsig_error_name(99), "TSIG error 99");
	nsf_tsig_key_deinit(&k);
}

static void
test_tsig_key_init_refuses_bad_input(void **state)
{
	struct nsf_tsig_key k;

	(void)state;
	assert_int_equal(nsf_tsig_key_init(&k, "k", "hmac-sha3", SECRET),
	    NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "unknown algorithm "
	    "'hmac-sha3'"));
	assert_int_equal(nsf_tsig_key_init(&k, "k", NULL, "not base64!"),
	    NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "not base64"));
	assert_null(strstr(nsf_error_last(), "not base64!"));
	assert_int_equal(nsf_tsig_key_init(&k, "k", NULL, "QQ=="), 0);
	assert_int_equal(k.secret_len, 1);
	nsf_tsig_key_deinit(&k);
	assert_int_equal(nsf_tsig_key_init(&k, "k", NULL, "Q=Q="),
	    NSF_EINVAL);
	assert_int_equal(nsf_tsig_key_init(&k, "k", NULL, ""), NSF_EINVAL);
	assert_int_equal(nsf_tsig_key_init(&k, "a..b", NULL, SECRET),
	    NSF_EINVAL);
	assert_non_null(strstr(nsf_error_last(), "not a domain name"));
	/* Algorithm names as ldns, BIND and Knot write them. */
	assert_true(nsf_tsig_alg_known("hmac-md5.sig-alg.reg.int."));
	assert_true(nsf_tsig_alg_known("HMAC-SHA384"));
	assert_true(nsf_tsig_alg_known("hmac-sha224."));
	assert_false(nsf_tsig_alg_known("hmac-sha"));
	assert_false(nsf_tsig_alg_known("hmac-sha2560"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsig_signed_request_verifies_in_ldns),
		cmocka_unit_test(test_tsig_request_signed_by_ldns_verifies),
		cmocka_unit_test(test_tsig_answer_signed_by_ldns_verifies),
		cmocka_unit_test(test_tsig_answer_with_wrong_key_is_refused),
		cmocka_unit_test(test_tsig_tampered_answer_is_refused),
		cmocka_unit_test(test_tsig_truncated_answer_is_refused),
		cmocka_unit_test(test_tsig_unsigned_answer_is_not_found),
		cmocka_unit_test(test_tsig_answer_outside_fudge_is_refused),
		cmocka_unit_test(test_tsig_server_errors_are_reported),
		cmocka_unit_test(test_tsig_key_init_refuses_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
