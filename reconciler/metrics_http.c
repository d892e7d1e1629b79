/* metrics_http.c - the HTTP endpoint (/metrics, /healthz, /readyz) on
 * libmicrohttpd's own thread, so a slow scraper never holds up the loop. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "log.h"
#include "metrics_impl.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static struct MHD_Daemon *daemon_handle;
static uint16_t bound_port;

static const char index_text[] =
    "nsfailover metrics endpoint\n"
    "  /metrics  Prometheus text exposition\n"
    "  /healthz  200 while the reconcile loop ticks\n"
    "  /readyz   200 once a policy is loaded and the first probe round "
    "is done\n";

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *type,
    struct nsf_buf *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = body->len;
	char *data = nsf_buf_detach(body);

	r = MHD_create_response_from_buffer(len, data ? data : "",
	    data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct nsf_buf body;
	int status;

	nsf_buf_init(&body);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		nsf_buf_puts(&body, "only GET and HEAD\n");
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
		    &body);
	}
	if (strcmp(url, "/metrics") == 0) {
		nsf_metrics_render(&body);
		return reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, &body);
	}
	if (strcmp(url, "/healthz") == 0) {
		status = nsf_metrics_healthz(&body);
		return reply(conn, (unsigned)status, "text/plain", &body);
	}
	if (strcmp(url, "/readyz") == 0) {
		status = nsf_metrics_readyz(&body);
		return reply(conn, (unsigned)status, "text/plain", &body);
	}
	if (strcmp(url, "/") == 0) {
		nsf_buf_puts(&body, index_text);
		return reply(conn, MHD_HTTP_OK, "text/plain", &body);
	}
	nsf_buf_puts(&body, "not found; try /metrics, /healthz, /readyz\n");
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", &body);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	nsf_buf_vprintf(&b, fmt, ap);
	while (b.len > 0 && b.data[b.len - 1] == '\n') {
		b.data[--b.len] = '\0';
	}
	nsf_warn(NSF_SRC_METRICS, NULL, "http: %s", b.data ? b.data : "");
	nsf_buf_deinit(&b);
}

/* Fills a socket address from a literal address and port. */
static int
make_addr(struct sockaddr_storage *ss, const struct nsf_endpoint *ep)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ep->host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(ep->port);
		return AF_INET;
	}
	inet_pton(AF_INET6, ep->host, &in6->sin6_addr);
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(ep->port);
	return AF_INET6;
}

int
nsf_metrics_start(const char *listen)
{
	struct sockaddr_storage ss;
	struct nsf_endpoint ep;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	int rc;

	if (daemon_handle != NULL) {
		return nsf_error_set(NSF_ERROR, "metrics endpoint already "
		    "started");
	}
	rc = nsf_config_parse_hostport(&ep, listen, 9153);
	if (rc < 0) {
		return rc;
	}
	if (make_addr(&ss, &ep) == AF_INET6) {
		flags |= MHD_USE_IPv6;
	}
	nsf_metrics_lock();
	nsf_metrics_ensure_init();
	nsf_metrics_unlock();
	/* The logger goes first so every message of MHD's reaches our log. */
	daemon_handle = MHD_start_daemon(flags, ep.port, NULL, NULL, handle,
	    NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)8,
	    MHD_OPTION_END);
	if (daemon_handle == NULL) {
		rc = nsf_error_set(NSF_ERROR, "metrics endpoint: cannot "
		    "listen on %s (address in use or not local?)", listen);
		free(ep.host);
		return rc;
	}
	info = MHD_get_daemon_info(daemon_handle, MHD_DAEMON_INFO_BIND_PORT);
	bound_port = info && info->port ? info->port : ep.port;
	nsf_info(NSF_SRC_METRICS, NULL, "serving /metrics, /healthz and "
	    "/readyz on %s port %u", ep.host, bound_port);
	free(ep.host);
	return 0;
}

uint16_t
nsf_metrics_port(void)
{
	return daemon_handle ? bound_port : 0;
}

void
nsf_metrics_stop(void)
{
	if (daemon_handle == NULL) {
		return;
	}
	MHD_stop_daemon(daemon_handle);
	daemon_handle = NULL;
	bound_port = 0;
}
