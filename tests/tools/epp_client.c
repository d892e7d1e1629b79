/* epp_client.c - test tooling, not a user command: drives the EPP registry
 * driver from the command line and prints what happened as JSON.
 *
 *   epp_client --server ADDR:PORT --secrets FILE --credentials NAME
 *       [--ca FILE] [--host-model auto|objects|attributes] [--timeout 10s]
 *       [--keepalive 1s] [--frames DIR] [--log FILE]
 *       [--tls-name NAME] COMMAND ...
 *   commands:
 *     observe DOMAIN
 *     apply DOMAIN [--add NAME[=ADDR,ADDR]]... [--rem NAME]...
 *           [--ds-add "TAG ALG TYPE HEX"]... [--ds-rem "..."]...
 *           [--cltrid ID]
 *     poll
 *     hold DOMAIN SECONDS  observe, stay logged in for SECONDS calling
 *                          keepalive every 100 ms, then observe again
 *     raw FILE             send a frame as it is; print the result code
 *     retry DOMAIN COUNT PAUSE
 *                          observe COUNT times, PAUSE (e.g. 1100ms) apart
 *
 * apply prints the outcome; when it is "unknown" it re-reads the domain
 * in the same process, as the caller must, and prints that too.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../providers/epp.h"
#include "../../reconciler/log.h"

struct opts {
	struct nsf_registry reg;
	const char *secrets;
	const char *frames;
	const char *tls_name;
	uint64_t keepalive_ms;
};

static void
put_strv(struct nsf_buf *b, const char *key, const struct nsf_strv *sv)
{
	size_t i;

	nsf_buf_printf(b, "\"%s\":[", key);
	for (i = 0; i < sv->n; i++) {
		nsf_buf_puts(b, i ? "," : "");
		nsf_buf_put_json_string(b, sv->v[i]);
	}
	nsf_buf_puts(b, "]");
}

static void
put_deleg(struct nsf_buf *b, const struct nsf_delegation *d)
{
	size_t i;

	nsf_buf_puts(b, "{");
	put_strv(b, "ns", &d->ns);
	nsf_buf_puts(b, ",");
	put_strv(b, "statuses", &d->statuses);
	nsf_buf_puts(b, ",");
	put_strv(b, "glue", &d->glue);
	nsf_buf_puts(b, ",\"ds\":[");
	for (i = 0; i < d->nds; i++) {
		nsf_buf_printf(b, "%s\"%u %u %u %s\"", i ? "," : "",
		    d->ds[i].keytag, d->ds[i].alg, d->ds[i].digest_type,
		    d->ds[i].digest);
	}
	nsf_buf_puts(b, "]}");
}

static int
do_observe(struct nsf_registry_conn *c, const char *domain,
    struct nsf_buf *b)
{
	struct nsf_delegation d;
	int rc;

	nsf_delegation_init(&d);
	rc = nsf_registry_observe(c, domain, &d);
	if (rc < 0) {
		nsf_buf_puts(b, "{\"error\":");
		nsf_buf_put_json_string(b, nsf_error_last());
		nsf_buf_puts(b, "}");
	} else {
		put_deleg(b, &d);
	}
	nsf_delegation_deinit(&d);
	return rc;
}

/* "name=addr,addr" into a nameserver owned by the caller. */
static struct nsf_nameserver *
ns_parse(const char *arg)
{
	struct nsf_nameserver *ns = nsf_xcalloc(1, sizeof(*ns));
	const char *eq = strchr(arg, '=');
	char *list, *tok, *save = NULL;

	ns->name = eq ? nsf_xstrndup(arg, (size_t)(eq - arg)) :
	    nsf_xstrdup(arg);
	if (eq == NULL) {
		return ns;
	}
	list = nsf_xstrdup(eq + 1);
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		ns->addrs = nsf_xrealloc(ns->addrs,
		    (ns->naddrs + 1) * sizeof(char *));
		ns->addrs[ns->naddrs++] = nsf_xstrdup(tok);
	}
	free(list);
	return ns;
}

struct change_args {
	struct nsf_nameserver *add[32];
	const char *rem[32];
	struct nsf_ds ds_add[8], ds_rem[8];
	size_t nadd, nrem, nds_add, nds_rem;
	const char *cltrid;     /* --cltrid, or NULL: the driver makes one */
};

static int
change_args_parse(struct change_args *a, int argc, char **argv)
{
	int i;

	for (i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--add") == 0 && a->nadd < 32) {
			a->add[a->nadd++] = ns_parse(argv[i + 1]);
		} else if (strcmp(argv[i], "--cltrid") == 0) {
			a->cltrid = argv[i + 1];
		} else if (strcmp(argv[i], "--rem") == 0 && a->nrem < 32) {
			a->rem[a->nrem++] = argv[i + 1];
		} else if (strcmp(argv[i], "--ds-add") == 0 &&
		    a->nds_add < 8) {
			if (nsf_ds_parse(&a->ds_add[a->nds_add++],
			    argv[i + 1]) < 0) {
				return -1;
			}
		} else if (strcmp(argv[i], "--ds-rem") == 0 &&
		    a->nds_rem < 8) {
			if (nsf_ds_parse(&a->ds_rem[a->nds_rem++],
			    argv[i + 1]) < 0) {
				return -1;
			}
		} else {
			return nsf_error_set(NSF_EINVAL, "unknown apply "
			    "argument %s", argv[i]);
		}
	}
	return i == argc ? 0 : nsf_error_set(NSF_EINVAL, "missing value");
}

static void
change_args_free(struct change_args *a)
{
	size_t i, j;

	for (i = 0; i < a->nadd; i++) {
		for (j = 0; j < a->add[i]->naddrs; j++) {
			free(a->add[i]->addrs[j]);
		}
		free(a->add[i]->addrs);
		free(a->add[i]->name);
		free(a->add[i]);
	}
	for (i = 0; i < a->nds_add; i++) {
		nsf_ds_deinit(&a->ds_add[i]);
	}
	for (i = 0; i < a->nds_rem; i++) {
		nsf_ds_deinit(&a->ds_rem[i]);
	}
}

static int
do_apply(struct nsf_registry_conn *c, const char *domain, int argc,
    char **argv, struct nsf_buf *b)
{
	struct change_args a;
	struct nsf_change chg;
	struct nsf_outcome o;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&chg, 0, sizeof(chg));
	rc = change_args_parse(&a, argc, argv);
	if (rc < 0) {
		change_args_free(&a);
		return rc;
	}
	chg.domain = domain;
	chg.add = (const struct nsf_nameserver *const *)a.add;
	chg.nadd = a.nadd;
	chg.rem = a.rem;
	chg.nrem = a.nrem;
	chg.ds_change = a.nds_add > 0 || a.nds_rem > 0;
	chg.ds_add = a.ds_add;
	chg.nds_add = a.nds_add;
	chg.ds_rem = a.ds_rem;
	chg.nds_rem = a.nds_rem;
	chg.client_trid = a.cltrid;
	nsf_outcome_init(&o);
	rc = nsf_registry_apply(c, &chg, &o);
	nsf_buf_printf(b, "{\"result\":\"%s\",\"code\":%d,\"config_problem\""
	    ":%s,\"message\":", nsf_apply_result_name(o.result), o.code,
	    o.config_problem ? "true" : "false");
	nsf_buf_put_json_string(b, o.message ? o.message : "");
	nsf_buf_puts(b, ",\"cltrid\":");
	nsf_buf_put_json_string(b, o.client_trid ? o.client_trid : "");
	nsf_buf_puts(b, ",\"svtrid\":");
	nsf_buf_put_json_string(b, o.server_trid ? o.server_trid : "");
	if (rc == 0 && o.result == NSF_APPLY_UNKNOWN) {
		nsf_buf_puts(b, ",\"reread\":");
		do_observe(c, domain, b);
	}
	nsf_buf_puts(b, "}");
	nsf_outcome_deinit(&o);
	change_args_free(&a);
	return rc;
}

static int
do_poll(struct nsf_registry_conn *c, struct nsf_buf *b)
{
	struct nsf_strv done;
	int rc;

	nsf_strv_init(&done);
	rc = c->ops->poll(c, &done);
	nsf_buf_puts(b, "{");
	put_strv(b, "done", &done);
	if (rc < 0) {
		nsf_buf_puts(b, ",\"error\":");
		nsf_buf_put_json_string(b, nsf_error_last());
	}
	nsf_buf_puts(b, "}");
	nsf_strv_deinit(&done);
	return rc;
}

static int
do_hold(struct nsf_registry_conn *c, const char *domain, const char *secs,
    struct nsf_buf *b)
{
	int64_t end = nsf_mono_ms() + atoi(secs) * 1000;
	struct nsf_delegation d;
	int rc;

	nsf_delegation_init(&d);
	rc = nsf_registry_observe(c, domain, &d);     /* opens the session */
	nsf_delegation_deinit(&d);

	while (nsf_mono_ms() < end && rc == 0) {
		rc = c->ops->keepalive(c);
		usleep(100000);
	}
	nsf_buf_printf(b, "{\"keepalive\":%s,\"after\":", rc == 0 ?
	    "\"ok\"" : "\"failed\"");
	rc = do_observe(c, domain, b);
	nsf_buf_puts(b, "}");
	return rc;
}

/* COUNT observes, PAUSE apart: shows the reconnection backoff. */
static int
do_retry(struct nsf_registry_conn *c, const char *domain, const char *count,
    const char *pause, struct nsf_buf *b)
{
	uint64_t pause_ms;
	int i, n = atoi(count), rc = 0;

	if (nsf_duration_parse(&pause_ms, pause) < 0) {
		return nsf_error_set(NSF_EINVAL, "retry: bad pause %s", pause);
	}
	nsf_buf_puts(b, "{\"tries\":[");
	for (i = 0; i < n; i++) {
		if (i > 0) {
			usleep((useconds_t)(pause_ms * 1000));
			nsf_buf_puts(b, ",");
		}
		rc = do_observe(c, domain, b);
	}
	nsf_buf_puts(b, "]}");
	return rc;
}

static int
do_raw(struct nsf_registry_conn *c, const char *file, struct nsf_buf *b)
{
	struct nsf_epp_response r;
	char *data = NULL;
	size_t len;
	int rc;

	rc = nsf_file_read(&data, &len, file, NSF_EPP_MAX_FRAME);
	if (rc < 0) {
		return rc;
	}
	nsf_epp_response_init(&r);
	rc = nsf_epp_raw(c, data, len, &r);
	free(data);
	if (rc == 0) {
		nsf_buf_printf(b, "{\"code\":%d}", r.code);
	}
	nsf_epp_response_deinit(&r);
	return rc;
}

static int
run(struct nsf_registry_conn *c, int argc, char **argv, struct nsf_buf *b)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "observe") == 0 && argc == 2) {
		return do_observe(c, argv[1], b);
	}
	if (strcmp(cmd, "apply") == 0 && argc >= 2) {
		return do_apply(c, argv[1], argc - 2, argv + 2, b);
	}
	if (strcmp(cmd, "poll") == 0) {
		return do_poll(c, b);
	}
	if (strcmp(cmd, "hold") == 0 && argc == 3) {
		return do_hold(c, argv[1], argv[2], b);
	}
	if (strcmp(cmd, "retry") == 0 && argc == 4) {
		return do_retry(c, argv[1], argv[2], argv[3], b);
	}
	if (strcmp(cmd, "raw") == 0 && argc == 2) {
		return do_raw(c, argv[1], b);
	}
	return nsf_error_set(NSF_EINVAL, "unknown command %s", cmd);
}

static int
parse_server(struct nsf_endpoint *ep, const char *arg)
{
	const char *colon = strrchr(arg, ':');

	if (colon == NULL) {
		return nsf_error_set(NSF_EINVAL, "--server wants ADDR:PORT");
	}
	ep->host = nsf_xstrndup(arg, (size_t)(colon - arg));
	ep->port = (uint16_t)atoi(colon + 1);
	return 0;
}

static int
parse_opt(struct opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 's':
		return parse_server(&o->reg.server, arg);
	case 'S':
		o->secrets = arg;
		return 0;
	case 'c':
		o->reg.credentials = (char *)arg;
		return 0;
	case 'a':
		o->reg.ca_file = (char *)arg;
		return 0;
	case 'm':
		o->reg.host_model = strcmp(arg, "objects") == 0 ?
		    NSF_HOST_OBJECTS : strcmp(arg, "attributes") == 0 ?
		    NSF_HOST_ATTRIBUTES : NSF_HOST_AUTO;
		return 0;
	case 't':
		return nsf_duration_parse(&o->reg.timeout_ms, arg);
	case 'k':
		return nsf_duration_parse(&o->keepalive_ms, arg);
	case 'f':
		o->frames = arg;
		return 0;
	case 'n':
		o->tls_name = arg;
		return 0;
	case 'l':
		nsf_log_set_fd(open(arg, O_WRONLY | O_CREAT | O_APPEND,
		    0644));
		return 0;
	default:
		return nsf_error_set(NSF_EINVAL, "unknown option");
	}
}

static int
parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "server", 1, 0, 's' }, { "secrets", 1, 0, 'S' },
		{ "credentials", 1, 0, 'c' }, { "ca", 1, 0, 'a' },
		{ "host-model", 1, 0, 'm' }, { "timeout", 1, 0, 't' },
		{ "keepalive", 1, 0, 'k' }, { "frames", 1, 0, 'f' },
		{ "log", 1, 0, 'l' }, { "tls-name", 1, 0, 'n' },
		{ 0, 0, 0, 0 },
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->reg.name = "test-registry";
	o->reg.type = NSF_REGISTRY_EPP;
	o->reg.timeout_ms = 10000;
	while ((opt = getopt_long(argc, argv, "+", lopts, NULL)) != -1) {
		if (parse_opt(o, opt, optarg) < 0) {
			return -1;
		}
	}
	if (optind >= argc || o->secrets == NULL) {
		return nsf_error_set(NSF_EINVAL, "usage: see epp_client.c");
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct nsf_secrets *sec = NULL;
	struct nsf_registry_conn *c = NULL;
	struct nsf_buf b;
	int rc;

	nsf_buf_init(&b);
	nsf_log_set_level_all(NSF_LOG_DEBUG);
	rc = parse_args(&o, argc, argv);
	if (rc < 0) {
		goto out;
	}

	rc = nsf_secrets_load(&sec, o.secrets);
	if (rc < 0) {
		goto out;
	}

	rc = nsf_registry_open(&c, &o.reg, sec);
	if (rc < 0) {
		goto out;
	}
	if (o.keepalive_ms > 0) {
		nsf_epp_set_keepalive_interval(c, o.keepalive_ms);
	}
	nsf_epp_set_frame_dir(c, o.frames);
	nsf_epp_set_tls_name(c, o.tls_name);
	rc = run(c, argc - optind, argv + optind, &b);
	if (b.len > 0) {
		b.data[b.len - 1] = '\0';       /* reopen the object */
		printf("%s,\"logins\":%u}\n", b.data, nsf_epp_login_count(c));
	}
out:
	if (rc < 0 && b.len == 0) {
		printf("{\"error\":");
		nsf_buf_put_json_string(&b, nsf_error_last());
		printf("%s}\n", b.data);
	}
	nsf_registry_close(c);
	nsf_secrets_free(sec);
	nsf_buf_deinit(&b);
	free(o.reg.server.host);
	return rc < 0 ? 1 : 0;
}
