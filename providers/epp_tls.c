/* epp_tls.c - EPP transport: TCP + TLS 1.2 or newer with both sides
 * authenticated, and the RFC 5734 length-prefixed framing, as non-blocking
 * steps (done / would block / error) with blocking wrappers bounded by a
 * deadline. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "epp.h"

void
nsf_epp_tls_init(struct nsf_epp_tls *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
}

/* The last OpenSSL error as text (never contains key material). */
static const char *
ssl_err_text(void)
{
	static __thread char buf[256];
	unsigned long e = ERR_get_error();

	if (e == 0) {
		return "no detail";
	}
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static bool
is_ip_literal(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

static int
ctx_load_client_cert(SSL_CTX *ctx, const struct nsf_epp_tls_cfg *cfg)
{
	if (cfg->client_cert == NULL) {
		return 0;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->client_cert) != 1) {
		return nsf_error_set(NSF_ERROR, "credential '%s': cannot load "
		    "client_cert (%s)", cfg->credential, ssl_err_text());
	}
	if (cfg->client_key == NULL || SSL_CTX_use_PrivateKey_file(ctx,
	    cfg->client_key, SSL_FILETYPE_PEM) != 1) {
		return nsf_error_set(NSF_ERROR, "credential '%s': cannot load "
		    "client_key (%s)", cfg->credential, ssl_err_text());
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		return nsf_error_set(NSF_ERROR, "credential '%s': client_key "
		    "does not match client_cert", cfg->credential);
	}
	return 0;
}

static int
ctx_new(SSL_CTX **out, const struct nsf_epp_tls_cfg *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int rc;

	if (ctx == NULL) {
		return nsf_error_set(NSF_ERROR, "cannot create a TLS context: "
		    "%s", ssl_err_text());
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->ca_file != NULL) {
		rc = SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL);
	} else {
		rc = SSL_CTX_set_default_verify_paths(ctx);
	}
	if (rc != 1) {
		SSL_CTX_free(ctx);
		return nsf_error_set(NSF_ERROR, "cannot load the CA file %s: "
		    "%s", cfg->ca_file ? cfg->ca_file : "(system default)",
		    ssl_err_text());
	}

	rc = ctx_load_client_cert(ctx, cfg);
	if (rc < 0) {
		SSL_CTX_free(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

/* Resolves without ever asking DNS when the host is an IP literal. */
static int
tcp_connect(int *out, const char *host, uint16_t port)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8];
	int fd, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = is_ip_literal(host) ? AI_NUMERICHOST : 0;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		return nsf_error_set(NSF_EUNREACHABLE, "cannot resolve %s: %s",
		    host, gai_strerror(rc));
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(res);
		return nsf_error_set(NSF_ERROR, "socket: %s", strerror(errno));
	}
	if (connect(fd, res->ai_addr, res->ai_addrlen) < 0 &&
	    errno != EINPROGRESS) {
		rc = errno;
		freeaddrinfo(res);
		close(fd);
		return nsf_error_set(NSF_EUNREACHABLE, "cannot connect to "
		    "%s port %u: %s", host, (unsigned)port, strerror(rc));
	}
	freeaddrinfo(res);
	*out = fd;
	return 0;
}

static int
ssl_setup(struct nsf_epp_tls *t, const struct nsf_epp_tls_cfg *cfg)
{
	X509_VERIFY_PARAM *param;
	const char *name;

	t->ssl = SSL_new(t->ctx);
	if (t->ssl == NULL || SSL_set_fd(t->ssl, t->fd) != 1) {
		return nsf_error_set(NSF_ERROR, "cannot set up TLS: %s",
		    ssl_err_text());
	}
	param = SSL_get0_param(t->ssl);
	name = cfg->verify_name ? cfg->verify_name : cfg->host;
	if (is_ip_literal(name)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(param, name) != 1) {
			return nsf_error_set(NSF_ERROR, "cannot verify "
			    "against address %s", name);
		}
		return 0;
	}
	if (SSL_set1_host(t->ssl, name) != 1 ||
	    SSL_set_tlsext_host_name(t->ssl, name) != 1) {
		return nsf_error_set(NSF_ERROR, "cannot verify against "
		    "name %s", name);
	}
	return 0;
}

int
nsf_epp_tls_connect(struct nsf_epp_tls *t, const struct nsf_epp_tls_cfg *cfg)
{
	int rc;

	nsf_epp_tls_close(t);
	rc = ctx_new(&t->ctx, cfg);
	if (rc < 0) {
		return rc;
	}

	rc = tcp_connect(&t->fd, cfg->host, cfg->port);
	if (rc < 0) {
		goto out;
	}

	rc = ssl_setup(t, cfg);
	if (rc < 0) {
		goto out;
	}
	t->want = POLLOUT;
	return 0;
out:
	nsf_epp_tls_close(t);
	return rc;
}

/* What an OpenSSL error most likely means for the operator, or "". */
static const char *
ssl_hint(unsigned long e)
{
	if (ERR_GET_LIB(e) != ERR_LIB_SSL) {
		return "";
	}
	switch (ERR_GET_REASON(e)) {
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
	case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
	case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
	case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
		return "; the registry did not accept our client certificate "
		    "(client_cert and client_key of the credential)";
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
		return "; the registry does not offer TLS 1.2 or newer";
	default:
		return "";
	}
}

/* Turns an SSL_ERROR_* into the three-way result. */
static int
ssl_result(struct nsf_epp_tls *t, int ret, const char *what)
{
	int err = SSL_get_error(t->ssl, ret);
	const char *hint;

	switch (err) {
	case SSL_ERROR_WANT_READ:
		t->want = POLLIN;
		return NSF_EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		t->want = POLLOUT;
		return NSF_EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return nsf_error_set(NSF_EUNREACHABLE, "the registry closed "
		    "the connection while %s", what);
	case SSL_ERROR_SYSCALL:
		return nsf_error_set(NSF_EUNREACHABLE, "connection lost while "
		    "%s: %s", what, errno ? strerror(errno) : "end of file");
	default:
		hint = ssl_hint(ERR_peek_error());
		return nsf_error_set(NSF_EUNREACHABLE, "TLS error while %s: "
		    "%s%s", what, ssl_err_text(), hint);
	}
}

int
nsf_epp_tls_handshake_step(struct nsf_epp_tls *t)
{
	long vr;
	int ret;

	if (t->handshake_done) {
		return 0;
	}
	ret = SSL_connect(t->ssl);
	if (ret == 1) {
		t->handshake_done = true;
		return 0;
	}
	vr = SSL_get_verify_result(t->ssl);
	if (vr != X509_V_OK) {
		return nsf_error_set(NSF_ERROR, "the registry's certificate "
		    "was not accepted: %s",
		    X509_verify_cert_error_string(vr));
	}
	return ssl_result(t, ret, "negotiating TLS");
}

int
nsf_epp_tls_queue(struct nsf_epp_tls *t, const char *data, size_t len)
{
	size_t total = len + 4;

	if (total > NSF_EPP_MAX_FRAME) {
		return nsf_error_set(NSF_EINVAL, "frame of %zu bytes is over "
		    "the limit of %u", total, NSF_EPP_MAX_FRAME);
	}
	free(t->out);
	t->out = nsf_xmalloc(total);
	t->out[0] = (unsigned char)(total >> 24);
	t->out[1] = (unsigned char)(total >> 16);
	t->out[2] = (unsigned char)(total >> 8);
	t->out[3] = (unsigned char)total;
	memcpy(t->out + 4, data, len);
	t->out_len = total;
	t->out_sent = 0;
	return 0;
}

int
nsf_epp_tls_write_step(struct nsf_epp_tls *t)
{
	int ret;

	while (t->out_sent < t->out_len) {
		ret = SSL_write(t->ssl, t->out + t->out_sent,
		    (int)(t->out_len - t->out_sent));
		if (ret <= 0) {
			return ssl_result(t, ret, "sending a frame");
		}
		t->out_sent += (size_t)ret;
	}
	free(t->out);
	t->out = NULL;
	t->out_len = t->out_sent = 0;
	return 0;
}

/* Reads into buf until `want` bytes are there. */
static int
read_some(struct nsf_epp_tls *t, void *buf, size_t want, size_t *got)
{
	int ret;

	while (*got < want) {
		ret = SSL_read(t->ssl, (char *)buf + *got,
		    (int)(want - *got));
		if (ret <= 0) {
			return ssl_result(t, ret, "reading a frame");
		}
		*got += (size_t)ret;
	}
	return 0;
}

static int
header_done(struct nsf_epp_tls *t)
{
	uint32_t total = (uint32_t)t->hdr[0] << 24 | (uint32_t)t->hdr[1] << 16
	    | (uint32_t)t->hdr[2] << 8 | t->hdr[3];

	if (total <= 4 || total > NSF_EPP_MAX_FRAME) {
		return nsf_error_set(NSF_ERROR, "the registry announced a "
		    "frame of %u bytes (allowed: 5 to %u)", total,
		    NSF_EPP_MAX_FRAME);
	}
	t->in_len = total - 4;
	t->in = nsf_xmalloc(t->in_len + 1);
	t->in_got = 0;
	return 0;
}

/* A read failed or timed out: when part of a frame had arrived, say how
 * much ("truncated" when the connection broke, "incomplete" when the
 * registry stopped sending). */
static int
frame_cut(struct nsf_epp_tls *t, int rc)
{
	const char *word = rc == NSF_ETIMEOUT ? "incomplete" : "truncated";
	char why[256];

	if (rc == NSF_EAGAIN || (t->in == NULL && t->hdr_got == 0)) {
		return rc;
	}
	snprintf(why, sizeof(why), "%s", nsf_error_last());
	if (t->in == NULL) {
		return nsf_error_set(rc, "%s frame (%zu of the 4 header "
		    "bytes): %s", word, t->hdr_got, why);
	}
	return nsf_error_set(rc, "%s frame (%zu of the %zu bytes "
	    "announced): %s", word, t->in_got, t->in_len, why);
}

int
nsf_epp_tls_read_step(struct nsf_epp_tls *t, char **out, size_t *out_len)
{
	int rc;

	if (t->in == NULL) {
		rc = read_some(t, t->hdr, 4, &t->hdr_got);
		if (rc < 0) {
			return frame_cut(t, rc);
		}

		rc = header_done(t);
		if (rc < 0) {
			return rc;
		}
	}

	rc = read_some(t, t->in, t->in_len, &t->in_got);
	if (rc < 0) {
		return frame_cut(t, rc);
	}
	t->in[t->in_len] = '\0';
	*out = t->in;
	*out_len = t->in_len;
	t->in = NULL;
	t->hdr_got = 0;
	return 0;
}

int
nsf_epp_tls_wait(struct nsf_epp_tls *t, int64_t deadline_ms)
{
	struct pollfd pfd;
	int64_t left;
	int rc;

	for (;;) {
		left = deadline_ms - nsf_mono_ms();
		if (left <= 0) {
			return nsf_error_set(NSF_ETIMEOUT, "the registry did "
			    "not answer in time");
		}
		pfd.fd = t->fd;
		pfd.events = (short)t->want;
		pfd.revents = 0;
		rc = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
		if (rc > 0) {
			return 0;
		}
		if (rc < 0 && errno != EINTR) {
			return nsf_error_set(NSF_ERROR, "poll: %s",
			    strerror(errno));
		}
	}
}

bool
nsf_epp_tls_peer_gone(struct nsf_epp_tls *t)
{
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	char byte;
	int ret;

	if (t->fd < 0) {
		return true;
	}
	if (SSL_pending(t->ssl) == 0 && poll(&pfd, 1, 0) == 0) {
		return false;
	}
	/* Readable: TLS 1.3 session tickets and key updates are records
	 * too, and leave the session usable; end of file, an alert or
	 * unexpected data mean it is gone. */
	ret = SSL_peek(t->ssl, &byte, 1);
	if (ret <= 0 && SSL_get_error(t->ssl, ret) == SSL_ERROR_WANT_READ) {
		return false;
	}
	ERR_clear_error();
	return true;
}

void
nsf_epp_tls_close(struct nsf_epp_tls *t)
{
	if (t->ssl != NULL) {
		if (t->handshake_done) {
			SSL_shutdown(t->ssl);
		}
		SSL_free(t->ssl);
	}
	if (t->ctx != NULL) {
		SSL_CTX_free(t->ctx);
	}
	if (t->fd >= 0) {
		close(t->fd);
	}
	free(t->in);
	free(t->out);
	ERR_clear_error();
	nsf_epp_tls_init(t);
}

int
nsf_epp_tls_open(struct nsf_epp_tls *t, const struct nsf_epp_tls_cfg *cfg,
    int64_t deadline_ms)
{
	int rc;

	rc = nsf_epp_tls_connect(t, cfg);
	if (rc < 0) {
		return rc;
	}
	while ((rc = nsf_epp_tls_handshake_step(t)) == NSF_EAGAIN) {
		rc = nsf_epp_tls_wait(t, deadline_ms);
		if (rc < 0) {
			break;
		}
	}
	if (rc < 0) {
		nsf_epp_tls_close(t);
	}
	return rc;
}

int
nsf_epp_tls_send(struct nsf_epp_tls *t, const char *data, size_t len,
    int64_t deadline_ms)
{
	int rc;

	rc = nsf_epp_tls_queue(t, data, len);
	if (rc < 0) {
		return rc;
	}
	while ((rc = nsf_epp_tls_write_step(t)) == NSF_EAGAIN) {
		rc = nsf_epp_tls_wait(t, deadline_ms);
		if (rc < 0) {
			return rc;
		}
	}
	return rc;
}

int
nsf_epp_tls_recv(struct nsf_epp_tls *t, char **out, size_t *out_len,
    int64_t deadline_ms)
{
	int rc;

	while ((rc = nsf_epp_tls_read_step(t, out, out_len)) == NSF_EAGAIN) {
		rc = nsf_epp_tls_wait(t, deadline_ms);
		if (rc < 0) {
			return frame_cut(t, rc);
		}
	}
	return rc;
}
