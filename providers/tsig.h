/* tsig.h - TSIG (RFC 8945) signing and verification of DNS messages. */
#ifndef NSF_TSIG_H
#define NSF_TSIG_H

#include "../reconciler/nsf.h"

/*
 * We sign and verify ourselves, with OpenSSL's HMAC, rather than through
 * ldns: the ldns in Debian 12 (1.8.3) cannot sign with hmac-sha224 or
 * hmac-sha384, and it gives no access to the TSIG error field of an
 * unsigned BADKEY answer, which we need to tell the operator what is wrong.
 */

#define NSF_TSIG_MAC_MAX 64     /* bytes; hmac-sha512 */
#define NSF_TSIG_FUDGE 300      /* seconds of clock skew allowed */

/* TSIG error codes a server puts in its answer (RFC 8945 section 5). */
enum {
	NSF_TSIG_BADSIG = 16,
	NSF_TSIG_BADKEY = 17,
	NSF_TSIG_BADTIME = 18,
	NSF_TSIG_BADTRUNC = 22,
};

struct nsf_tsig_key {
	char *name;             /* key name as written, for messages */
	uint8_t name_wire[256]; /* canonical (lower-case) wire form */
	size_t name_wire_len;
	const char *alg;        /* "hmac-sha256", for messages */
	uint8_t alg_wire[64];   /* algorithm name, wire form */
	size_t alg_wire_len;
	const void *md;         /* OpenSSL EVP_MD of the algorithm */
	uint8_t *secret;        /* decoded key; zeroed on deinit */
	size_t secret_len;
};

/* Sets up a key from its name, algorithm ("hmac-sha256"; NULL means that
 * default) and base64 secret.  Messages name the key, never the secret. */
int nsf_tsig_key_init(struct nsf_tsig_key *k, const char *name,
    const char *alg, const char *secret_b64);
void nsf_tsig_key_deinit(struct nsf_tsig_key *k);
/* True when `alg` names an algorithm we can sign with. */
bool nsf_tsig_alg_known(const char *alg);

/* Appends a TSIG record to the DNS message in `msg` (ARCOUNT raised) and
 * writes the request MAC to `mac` (NSF_TSIG_MAC_MAX bytes) for checking
 * the answer.  `now_s` is the time signed, in seconds since the epoch. */
int nsf_tsig_sign(struct nsf_buf *msg, uint8_t *mac, size_t *mac_len,
    const struct nsf_tsig_key *k, int64_t now_s);

/*
 * Verifies the TSIG record that ends an answer to a request whose MAC was
 * `req_mac` (NULL: the message is itself a request, whose digest has no
 * request MAC).  Returns 0 when it verifies; NSF_ENOTFOUND when it
 * carries no TSIG; NSF_EINVAL when it does not verify (wrong key or
 * algorithm, bad MAC, time outside the fudge); NSF_ECONFLICT when the
 * server reports a TSIG error, left in *out_error (BADKEY, BADSIG, ...).
 * *out_error is always written (0 when the server reported none).
 */
int nsf_tsig_verify(uint16_t *out_error, const uint8_t *wire, size_t len,
    const struct nsf_tsig_key *k, const uint8_t *req_mac,
    size_t req_mac_len, int64_t now_s);

/* "BADKEY", "BADSIG", ... or "TSIG error N". */
const char *nsf_tsig_error_name(uint16_t error);

#endif
