/* tsig.c - TSIG (RFC 8945): HMAC signatures on DNS messages. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tsig.h"

#define TSIG_TYPE 250
#define CLASS_ANY 255

static const struct {
	const char *name;       /* as written in the secrets file */
	const char *wire_name;  /* the algorithm's domain name */
	const EVP_MD *(*md)(void);
} tsig_algs[] = {
	{ "hmac-md5", "hmac-md5.sig-alg.reg.int", EVP_md5 },
	{ "hmac-sha1", "hmac-sha1", EVP_sha1 },
	{ "hmac-sha224", "hmac-sha224", EVP_sha224 },
	{ "hmac-sha256", "hmac-sha256", EVP_sha256 },
	{ "hmac-sha384", "hmac-sha384", EVP_sha384 },
	{ "hmac-sha512", "hmac-sha512", EVP_sha512 },
};

static int
alg_index(const char *alg)
{
	size_t i, n = strlen(alg);

	if (n > 0 && alg[n - 1] == '.') {
		n--;
	}
	for (i = 0; i < NSF_ARRAY_SIZE(tsig_algs); i++) {
		if (strncasecmp(alg, tsig_algs[i].name, n) == 0 &&
		    tsig_algs[i].name[n] == '\0') {
			return (int)i;
		}
		if (strncasecmp(alg, tsig_algs[i].wire_name, n) == 0 &&
		    tsig_algs[i].wire_name[n] == '\0') {
			return (int)i;
		}
	}
	return -1;
}

bool
nsf_tsig_alg_known(const char *alg)
{
	return alg_index(alg) >= 0;
}

/* Writes `name` as an uncompressed, lower-case wire-format name. */
static int
name_to_wire(uint8_t *out, size_t *out_len, size_t cap, const char *name)
{
	size_t len = 0, label;
	const char *p = name;

	while (*p != '\0') {
		const char *dot = strchr(p, '.');

		label = dot ? (size_t)(dot - p) : strlen(p);
		if (label == 0 || label > 63 || len + label + 2 > cap) {
			return NSF_EINVAL;
		}
		out[len++] = (uint8_t)label;
		for (size_t i = 0; i < label; i++) {
			out[len++] = (uint8_t)tolower((unsigned char)p[i]);
		}
		p += label;
		if (*p == '.') {
			p++;
		}
	}
	out[len++] = 0;
	*out_len = len;
	return 0;
}

/* Decodes standard base64, refusing anything that is not. */
static int
b64_decode(uint8_t **out, size_t *out_len, const char *in)
{
	size_t n = strlen(in), pad = 0, i;
	uint8_t *buf;
	int got;

	if (n == 0 || n % 4 != 0) {
		return NSF_EINVAL;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '=' && i >= n - 2) {
			pad++;
			continue;
		}
		if (pad > 0 || !(isalnum(c) || c == '+' || c == '/')) {
			return NSF_EINVAL;
		}
	}
	buf = nsf_xmalloc(n / 4 * 3 + 1);
	got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n);
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return NSF_EINVAL;
	}
	*out = buf;
	*out_len = (size_t)got - pad;
	return 0;
}

int
nsf_tsig_key_init(struct nsf_tsig_key *k, const char *name,
    const char *alg, const char *secret_b64)
{
	int ai = alg_index(alg ? alg : "hmac-sha256");

	memset(k, 0, sizeof(*k));
	if (ai < 0) {
		return nsf_error_set(NSF_EINVAL, "TSIG key '%s': unknown "
		    "algorithm '%s' (use hmac-sha256, hmac-sha512, "
		    "hmac-sha384, hmac-sha224, hmac-sha1 or hmac-md5)", name,
		    alg);
	}
	if (name_to_wire(k->name_wire, &k->name_wire_len,
	    sizeof(k->name_wire), name) < 0) {
		return nsf_error_set(NSF_EINVAL, "TSIG key name '%s' is not "
		    "a domain name", name);
	}
	if (b64_decode(&k->secret, &k->secret_len, secret_b64) < 0 ||
	    k->secret_len == 0) {
		return nsf_error_set(NSF_EINVAL, "TSIG key '%s': the secret "
		    "is not base64 (as written by 'keymgr -t' or "
		    "'tsig-keygen')", name);
	}
	name_to_wire(k->alg_wire, &k->alg_wire_len, sizeof(k->alg_wire),
	    tsig_algs[ai].wire_name);
	k->alg = tsig_algs[ai].name;
	k->md = tsig_algs[ai].md();
	k->name = nsf_xstrdup(name);
	return 0;
}

void
nsf_tsig_key_deinit(struct nsf_tsig_key *k)
{
	if (k->secret != NULL) {
		OPENSSL_cleanse(k->secret, k->secret_len);
	}
	free(k->secret);
	free(k->name);
	memset(k, 0, sizeof(*k));
}

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void
put16(struct nsf_buf *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	nsf_buf_put(b, x, 2);
}

static void
put48(struct nsf_buf *b, uint64_t v)
{
	uint8_t x[6];
	int i;

	for (i = 5; i >= 0; i--) {
		x[i] = (uint8_t)v;
		v >>= 8;
	}
	nsf_buf_put(b, x, 6);
}

/* The TSIG variables that follow the message in the digest input. */
static void
put_variables(struct nsf_buf *b, const struct nsf_tsig_key *k,
    uint64_t time_signed, unsigned fudge, unsigned error,
    const uint8_t *other, size_t other_len)
{
	nsf_buf_put(b, k->name_wire, k->name_wire_len);
	put16(b, CLASS_ANY);
	put16(b, 0);
	put16(b, 0);            /* TTL 0, as two halves */
	nsf_buf_put(b, k->alg_wire, k->alg_wire_len);
	put48(b, time_signed);
	put16(b, fudge);
	put16(b, error);
	put16(b, (unsigned)other_len);
	if (other_len > 0) {
		nsf_buf_put(b, other, other_len);
	}
}

static int
hmac(uint8_t *mac, size_t *mac_len, const struct nsf_tsig_key *k,
    const struct nsf_buf *input)
{
	unsigned int n = 0;

	if (HMAC(k->md, k->secret, (int)k->secret_len,
	    (const unsigned char *)input->data, input->len, mac,
	    &n) == NULL) {
		return nsf_error_set(NSF_ERROR, "TSIG key '%s': HMAC "
		    "failed in OpenSSL", k->name);
	}
	*mac_len = n;
	return 0;
}

int
nsf_tsig_sign(struct nsf_buf *msg, uint8_t *mac, size_t *mac_len,
    const struct nsf_tsig_key *k, int64_t now_s)
{
	struct nsf_buf in;
	size_t n, rdlen;
	unsigned ar, id;
	uint8_t *h;
	int rc;

	if (msg->len < 12) {
		return nsf_error_set(NSF_EINVAL, "DNS message too short to "
		    "sign");
	}
	nsf_buf_init(&in);
	nsf_buf_put(&in, msg->data, msg->len);
	put_variables(&in, k, (uint64_t)now_s, NSF_TSIG_FUDGE, 0, NULL, 0);
	rc = hmac(mac, &n, k, &in);
	nsf_buf_deinit(&in);
	if (rc < 0) {
		return rc;
	}

	rdlen = k->alg_wire_len + 6 + 2 + 2 + n + 2 + 2 + 2;
	h = (uint8_t *)msg->data;
	id = get16(h);
	nsf_buf_put(msg, k->name_wire, k->name_wire_len);
	put16(msg, TSIG_TYPE);
	put16(msg, CLASS_ANY);
	put16(msg, 0);
	put16(msg, 0);
	put16(msg, (unsigned)rdlen);
	nsf_buf_put(msg, k->alg_wire, k->alg_wire_len);
	put48(msg, (uint64_t)now_s);
	put16(msg, NSF_TSIG_FUDGE);
	put16(msg, (unsigned)n);
	nsf_buf_put(msg, mac, n);
	put16(msg, id);                 /* original id */
	put16(msg, 0);
	put16(msg, 0);
	h = (uint8_t *)msg->data;
	ar = ((unsigned)h[10] << 8 | h[11]) + 1;
	h[10] = (uint8_t)(ar >> 8);
	h[11] = (uint8_t)ar;
	*mac_len = n;
	return 0;
}

/* Reads a possibly compressed name at *off into lower-case wire form. */
static int
read_name(uint8_t *out, size_t *out_len, const uint8_t *w, size_t len,
    size_t *off)
{
	size_t pos = *off, n = 0, end = 0;
	int jumps = 0;

	for (;;) {
		uint8_t c;

		if (pos >= len) {
			return NSF_EINVAL;
		}
		c = w[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++jumps > 64) {
				return NSF_EINVAL;
			}
			if (end == 0) {
				end = pos + 2;
			}
			pos = (size_t)(c & 0x3f) << 8 | w[pos + 1];
			continue;
		}
		if ((c & 0xc0) != 0 || pos + 1 + c > len || n + 1 + c > 255) {
			return NSF_EINVAL;
		}
		out[n++] = c;
		for (size_t i = 0; i < c; i++) {
			out[n++] = (uint8_t)tolower(w[pos + 1 + i]);
		}
		pos += 1 + (size_t)c;
		if (c == 0) {
			break;
		}
	}
	*off = end ? end : pos;
	*out_len = n;
	return 0;
}

/* Skips the question and every record but the last; *off ends at the
 * last record of the additional section. */
static int
skip_to_last_rr(size_t *off, const uint8_t *w, size_t len)
{
	uint8_t name[256];
	size_t nlen, pos = 12;
	unsigned qd = get16(w + 4), rrs, i;

	rrs = get16(w + 6) + get16(w + 8) + get16(w + 10) - 1;
	for (i = 0; i < qd; i++) {
		if (read_name(name, &nlen, w, len, &pos) < 0 ||
		    pos + 4 > len) {
			return NSF_EINVAL;
		}
		pos += 4;
	}
	for (i = 0; i < rrs; i++) {
		if (read_name(name, &nlen, w, len, &pos) < 0 ||
		    pos + 10 > len) {
			return NSF_EINVAL;
		}
		pos += 10 + get16(w + pos + 8);
	}
	if (pos > len) {
		return NSF_EINVAL;
	}
	*off = pos;
	return 0;
}

struct tsig_rr {
	uint8_t owner[256];
	size_t owner_len;
	uint8_t alg[256];
	size_t alg_len;
	uint64_t time_signed;   /* seconds since the epoch */
	unsigned fudge;         /* seconds */
	const uint8_t *mac;
	size_t mac_len;
	unsigned orig_id;
	unsigned error;
	const uint8_t *other;
	size_t other_len;
};

/* Parses the TSIG record at `off`; NSF_ENOTFOUND when it is not one. */
static int
parse_tsig(struct tsig_rr *t, const uint8_t *w, size_t len, size_t off)
{
	size_t pos = off, end;
	int i;

	if (read_name(t->owner, &t->owner_len, w, len, &pos) < 0 ||
	    pos + 10 > len) {
		return NSF_EINVAL;
	}
	if (get16(w + pos) != TSIG_TYPE) {
		return NSF_ENOTFOUND;
	}
	/* Class ANY and TTL 0 are fixed (RFC 8945 4.2); the digest assumes
	 * them, so a record with others must not pass as verified. */
	if (get16(w + pos + 2) != CLASS_ANY || get16(w + pos + 4) != 0 ||
	    get16(w + pos + 6) != 0) {
		return NSF_EINVAL;
	}
	end = pos + 10 + get16(w + pos + 8);
	pos += 10;
	if (end > len || read_name(t->alg, &t->alg_len, w, end, &pos) < 0 ||
	    pos + 10 > end) {
		return NSF_EINVAL;
	}
	t->time_signed = 0;
	for (i = 0; i < 6; i++) {
		t->time_signed = t->time_signed << 8 | w[pos++];
	}
	t->fudge = get16(w + pos);
	t->mac_len = get16(w + pos + 2);
	pos += 4;
	if (pos + t->mac_len + 6 > end) {
		return NSF_EINVAL;
	}
	t->mac = w + pos;
	pos += t->mac_len;
	t->orig_id = get16(w + pos);
	t->error = get16(w + pos + 2);
	t->other_len = get16(w + pos + 4);
	t->other = w + pos + 6;
	if (pos + 6 + t->other_len != end) {
		return NSF_EINVAL;
	}
	return 0;
}

static int
check_mac(const struct tsig_rr *t, const uint8_t *w, size_t tsig_off,
    const struct nsf_tsig_key *k, const uint8_t *req_mac,
    size_t req_mac_len)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	struct nsf_buf in;
	unsigned ar;
	size_t n;
	uint8_t *h;
	int rc;

	nsf_buf_init(&in);
	if (req_mac != NULL) {
		put16(&in, (unsigned)req_mac_len);
		nsf_buf_put(&in, req_mac, req_mac_len);
	}
	nsf_buf_put(&in, w, tsig_off);
	h = (uint8_t *)in.data + (in.len - tsig_off);
	h[0] = (uint8_t)(t->orig_id >> 8);
	h[1] = (uint8_t)t->orig_id;
	ar = get16(w + 10) - 1;
	h[10] = (uint8_t)(ar >> 8);
	h[11] = (uint8_t)ar;
	put_variables(&in, k, t->time_signed, t->fudge, t->error, t->other,
	    t->other_len);
	rc = hmac(mac, &n, k, &in);
	nsf_buf_deinit(&in);
	if (rc < 0) {
		return rc;
	}
	if (t->mac_len != n || CRYPTO_memcmp(mac, t->mac, n) != 0) {
		return nsf_error_set(NSF_EINVAL, "the answer's TSIG signature "
		    "does not verify with key '%s'", k->name);
	}
	return 0;
}

int
nsf_tsig_verify(uint16_t *out_error, const uint8_t *wire, size_t len,
    const struct nsf_tsig_key *k, const uint8_t *req_mac,
    size_t req_mac_len, int64_t now_s)
{
	struct tsig_rr t;
	size_t off;
	int64_t skew;
	int rc;

	*out_error = 0;
	if (len < 12 || get16(wire + 10) == 0) {
		return nsf_error_set(NSF_ENOTFOUND, "the answer is not "
		    "signed (TSIG key '%s' expected)", k->name);
	}
	rc = skip_to_last_rr(&off, wire, len);
	if (rc == 0) {
		rc = parse_tsig(&t, wire, len, off);
	}
	if (rc == NSF_ENOTFOUND) {
		return nsf_error_set(NSF_ENOTFOUND, "the answer is not "
		    "signed (TSIG key '%s' expected)", k->name);
	}
	if (rc < 0) {
		return nsf_error_set(NSF_EINVAL, "the answer's TSIG record "
		    "is malformed");
	}
	if (t.owner_len != k->name_wire_len ||
	    memcmp(t.owner, k->name_wire, t.owner_len) != 0 ||
	    t.alg_len != k->alg_wire_len ||
	    memcmp(t.alg, k->alg_wire, t.alg_len) != 0) {
		return nsf_error_set(NSF_EINVAL, "the answer is signed with "
		    "another key or algorithm than '%s' (%s)", k->name,
		    k->alg);
	}
	if (t.error != 0) {
		*out_error = (uint16_t)t.error;
		return nsf_error_set(NSF_ECONFLICT, "the server rejected "
		    "TSIG key '%s' (%s): %s", k->name, k->alg,
		    nsf_tsig_error_name((uint16_t)t.error));
	}
	rc = check_mac(&t, wire, off, k, req_mac, req_mac_len);
	if (rc < 0) {
		return rc;
	}
	skew = now_s - (int64_t)t.time_signed;
	if (skew > (int64_t)t.fudge || -skew > (int64_t)t.fudge) {
		return nsf_error_set(NSF_EINVAL, "the answer signed with key "
		    "'%s' is %lld s away from our clock (fudge %u s)",
		    k->name, (long long)skew, t.fudge);
	}
	return 0;
}

const char *
nsf_tsig_error_name(uint16_t error)
{
	static __thread char other[32];

	switch (error) {
	case NSF_TSIG_BADSIG:
		return "BADSIG (the signature did not verify: wrong secret)";
	case NSF_TSIG_BADKEY:
		return "BADKEY (the server does not know this key name or "
		    "algorithm)";
	case NSF_TSIG_BADTIME:
		return "BADTIME (our clock and the server's differ by more "
		    "than the fudge)";
	case NSF_TSIG_BADTRUNC:
		return "BADTRUNC";
	}
	snprintf(other, sizeof(other), "TSIG error %u", error);
	return other;
}
