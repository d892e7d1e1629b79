/* registry_cli.c - test driver: opens any registry driver from flags and a
 * secrets file, runs observe or apply once, and prints the result as JSON.
 * Test tooling only (uses providers/registry.h alone), not a user command.
 *
 *   registry_cli --type dns-update --server 127.0.30.1:53 --zone lab.test \
 *       --credentials parent --secrets secrets.yaml observe child.lab.test
 *   registry_cli ... apply child.lab.test --observed ns1.a.test,ns2.a.test \
 *       --rem ns1.a.test --add ns1.child.lab.test=127.0.30.9,::1
 *   registry_cli --type exec --timeout 5s ... observe x.test -- ./hook arg
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../providers/registry.h"
#include "../../reconciler/log.h"

struct cli {
	struct nsf_registry reg;
	const char *secrets_path;
	const char *op;
	const char *domain;
	const char *observed;   /* comma list; NULL = observe first */
	struct nsf_strv add;    /* "name[=addr,addr]" */
	struct nsf_strv rem;
	struct nsf_strv ds_add;
	struct nsf_strv ds_rem;
	bool ds_change;
	const char *target;
	const char *trid;
};

static void
usage(void)
{
	fprintf(stderr, "usage: registry_cli --type epp|dns-update|exec "
	    "[--name N] [--server HOST:PORT] [--zone Z]\n"
	    "    [--credentials C] [--secrets FILE] [--timeout DUR] "
	    "[--ca-file F] [--log-level L]\n"
	    "    observe DOMAIN [-- COMMAND ARGS...]\n"
	    "    apply DOMAIN [--observed a,b] [--add NAME[=ADDR,...]] "
	    "[--rem NAME]\n"
	    "        [--ds-add 'TAG ALG TYPE HEX'] [--ds-rem ...] "
	    "[--target L] [--trid ID] [-- COMMAND ARGS...]\n");
	exit(2);
}

static int
parse_type(enum nsf_registry_type *out, const char *s)
{
	if (strcmp(s, "epp") == 0) {
		*out = NSF_REGISTRY_EPP;
	} else if (strcmp(s, "dns-update") == 0) {
		*out = NSF_REGISTRY_DNS_UPDATE;
	} else if (strcmp(s, "exec") == 0) {
		*out = NSF_REGISTRY_EXEC;
	} else {
		return -1;
	}
	return 0;
}

/* "host:port", "[v6]:port", or a bare host (port 0: driver default). */
static void
parse_endpoint(struct nsf_endpoint *ep, const char *s)
{
	const char *colon = strrchr(s, ':');

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL) {
			usage();
		}
		ep->host = nsf_xstrndup(s + 1, (size_t)(end - s - 1));
		ep->port = end[1] == ':' ? (uint16_t)atoi(end + 2) : 0;
		return;
	}
	if (colon != NULL && strchr(s, ':') == colon) {
		ep->host = nsf_xstrndup(s, (size_t)(colon - s));
		ep->port = (uint16_t)atoi(colon + 1);
		return;
	}
	ep->host = nsf_xstrdup(s);
}

static void
parse_flags(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", 1, NULL, 't' }, { "name", 1, NULL, 'n' },
		{ "server", 1, NULL, 's' }, { "zone", 1, NULL, 'z' },
		{ "credentials", 1, NULL, 'c' }, { "secrets", 1, NULL, 'S' },
		{ "timeout", 1, NULL, 'T' }, { "ca-file", 1, NULL, 'C' },
		{ "observed", 1, NULL, 'o' }, { "add", 1, NULL, 'a' },
		{ "rem", 1, NULL, 'r' }, { "ds-add", 1, NULL, 'd' },
		{ "ds-rem", 1, NULL, 'D' }, { "target", 1, NULL, 'g' },
		{ "trid", 1, NULL, 'i' }, { "log-level", 1, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	enum nsf_log_level lvl;
	int ch;

	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (parse_type(&c->reg.type, optarg) < 0) {
				usage();
			}
			break;
		case 'n':
			c->reg.name = optarg;
			break;
		case 's':
			parse_endpoint(&c->reg.server, optarg);
			break;
		case 'z':
			c->reg.zone = optarg;
			break;
		case 'c':
			c->reg.credentials = optarg;
			break;
		case 'S':
			c->secrets_path = optarg;
			break;
		case 'T':
			if (nsf_duration_parse(&c->reg.timeout_ms,
			    optarg) < 0) {
				usage();
			}
			break;
		case 'C':
			c->reg.ca_file = optarg;
			break;
		case 'o':
			c->observed = optarg;
			break;
		case 'a':
			nsf_strv_push(&c->add, optarg);
			break;
		case 'r':
			nsf_strv_push(&c->rem, optarg);
			break;
		case 'd':
			nsf_strv_push(&c->ds_add, optarg);
			c->ds_change = true;
			break;
		case 'D':
			nsf_strv_push(&c->ds_rem, optarg);
			c->ds_change = true;
			break;
		case 'g':
			c->target = optarg;
			break;
		case 'i':
			c->trid = optarg;
			break;
		case 'l':
			if (nsf_log_level_parse(&lvl, optarg) < 0) {
				usage();
			}
			nsf_log_set_level_all(lvl);
			break;
		default:
			usage();
		}
	}
}

/* Operation and domain may sit among the flags: parse in two rounds. */
static void
parse_args(struct cli *c, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			c->reg.command = argv + i + 1;
			c->reg.ncommand = (size_t)(argc - i - 1);
			argc = i;
			break;
		}
	}
	parse_flags(c, argc, argv);
	if (optind + 2 > argc) {
		usage();
	}
	c->op = argv[optind];
	c->domain = argv[optind + 1];
	optind += 2;
	parse_flags(c, argc, argv);
	if (optind != argc) {
		usage();
	}
}

static json_t *
strv_json(const struct nsf_strv *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < v->n; i++) {
		json_array_append_new(a, json_string(v->v[i]));
	}
	return a;
}

static void
print_json(json_t *doc)
{
	char *s = json_dumps(doc, JSON_SORT_KEYS);

	printf("%s\n", s);
	free(s);
	json_decref(doc);
}

static int
do_observe(struct nsf_registry_conn *conn, const char *domain,
    struct nsf_delegation *d, bool print)
{
	json_t *doc, *ds;
	size_t i;
	int rc;

	rc = nsf_registry_observe(conn, domain, d);
	if (rc < 0) {
		fprintf(stderr, "registry_cli: observe %s: %s\n", domain,
		    nsf_error_last());
		return rc;
	}
	if (!print) {
		return 0;
	}
	ds = json_array();
	for (i = 0; i < d->nds; i++) {
		json_array_append_new(ds, json_sprintf("%u %u %u %s",
		    d->ds[i].keytag, d->ds[i].alg, d->ds[i].digest_type,
		    d->ds[i].digest));
	}
	doc = json_pack("{s:s, s:o, s:i, s:o, s:o, s:o}", "domain", domain,
	    "nameservers", strv_json(&d->ns), "ns_ttl", (json_int_t)d->ns_ttl,
	    "glue", strv_json(&d->glue), "statuses", strv_json(&d->statuses),
	    "ds", ds);
	print_json(doc);
	return 0;
}

/* "name=addr,addr" into a nameserver the driver can take. */
static void
parse_ns(struct nsf_nameserver *ns, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char *list, *tok, *save = NULL;

	memset(ns, 0, sizeof(*ns));
	ns->name = eq ? nsf_xstrndup(spec, (size_t)(eq - spec)) :
	    nsf_xstrdup(spec);
	if (eq == NULL) {
		return;
	}
	list = nsf_xstrdup(eq + 1);
	for (tok = strtok_r(list, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		ns->addrs = nsf_xrealloc(ns->addrs,
		    (ns->naddrs + 1) * sizeof(char *));
		ns->addrs[ns->naddrs++] = nsf_xstrdup(tok);
	}
	free(list);
}

static void
split_list(struct nsf_strv *out, const char *s)
{
	char *copy = nsf_xstrdup(s), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		nsf_strv_push(out, tok);
	}
	free(copy);
}

static int
parse_ds_list(struct nsf_ds **out, size_t *n, const struct nsf_strv *v)
{
	size_t i;

	*out = nsf_xcalloc(v->n + 1, sizeof(**out));
	for (i = 0; i < v->n; i++) {
		if (nsf_ds_parse(&(*out)[i], v->v[i]) < 0) {
			fprintf(stderr, "registry_cli: %s\n", nsf_error_last());
			return -1;
		}
	}
	*n = v->n;
	return 0;
}

static void
print_outcome(const struct nsf_outcome *o)
{
	json_t *doc = json_pack("{s:s, s:i, s:s?, s:s?, s:s?, s:b}",
	    "result", nsf_apply_result_name(o->result), "code", o->code,
	    "message", o->message, "client_trid", o->client_trid,
	    "server_trid", o->server_trid, "config_problem",
	    o->config_problem);

	print_json(doc);
}

static int
do_apply(struct nsf_registry_conn *conn, struct cli *c)
{
	struct nsf_nameserver *ns = nsf_xcalloc(c->add.n + 1, sizeof(*ns));
	const struct nsf_nameserver **adds;
	struct nsf_change chg = { .domain = c->domain };
	struct nsf_delegation d;
	struct nsf_outcome o;
	struct nsf_strv observed;
	size_t i;
	int rc = -1;

	nsf_delegation_init(&d);
	nsf_outcome_init(&o);
	nsf_strv_init(&observed);
	adds = nsf_xcalloc(c->add.n + 1, sizeof(*adds));
	for (i = 0; i < c->add.n; i++) {
		parse_ns(&ns[i], c->add.v[i]);
		adds[i] = &ns[i];
	}
	if (c->observed != NULL) {
		split_list(&observed, c->observed);
	} else if (do_observe(conn, c->domain, &d, false) < 0) {
		goto out;
	} else {
		nsf_strv_copy(&observed, &d.ns);
	}
	chg.add = adds;
	chg.nadd = c->add.n;
	chg.rem = (const char *const *)c->rem.v;
	chg.nrem = c->rem.n;
	chg.observed = &observed;
	chg.ds_change = c->ds_change;
	chg.target = c->target;
	chg.client_trid = c->trid;
	if (parse_ds_list((struct nsf_ds **)&chg.ds_add, &chg.nds_add,
	    &c->ds_add) < 0 || parse_ds_list((struct nsf_ds **)&chg.ds_rem,
	    &chg.nds_rem, &c->ds_rem) < 0) {
		goto out;
	}
	rc = nsf_registry_apply(conn, &chg, &o);
	if (rc < 0) {
		fprintf(stderr, "registry_cli: apply %s: %s\n", c->domain,
		    nsf_error_last());
		goto out;
	}
	print_outcome(&o);

out:
	for (i = 0; i < c->add.n; i++) {
		for (size_t j = 0; j < ns[i].naddrs; j++) {
			free(ns[i].addrs[j]);
		}
		free(ns[i].addrs);
		free(ns[i].name);
	}
	for (i = 0; i < chg.nds_add; i++) {
		nsf_ds_deinit((struct nsf_ds *)&chg.ds_add[i]);
	}
	for (i = 0; i < chg.nds_rem; i++) {
		nsf_ds_deinit((struct nsf_ds *)&chg.ds_rem[i]);
	}
	free((void *)chg.ds_add);
	free((void *)chg.ds_rem);
	free(ns);
	free(adds);
	nsf_strv_deinit(&observed);
	nsf_delegation_deinit(&d);
	nsf_outcome_deinit(&o);
	return rc < 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct cli c = { .reg = { .name = "test", .timeout_ms = 10000,
	    .min_ns = 2, .max_ns = 13 } };
	struct nsf_secrets *secrets = NULL;
	struct nsf_registry_conn *conn = NULL;
	struct nsf_delegation d;
	int rc = 1;

	nsf_delegation_init(&d);
	parse_args(&c, argc, argv);
	if (c.secrets_path != NULL &&
	    nsf_secrets_load(&secrets, c.secrets_path) < 0) {
		fprintf(stderr, "registry_cli: %s\n", nsf_error_last());
		goto out;
	}
	if (nsf_registry_open(&conn, &c.reg, secrets) < 0) {
		fprintf(stderr, "registry_cli: open: %s\n", nsf_error_last());
		goto out;
	}
	if (strcmp(c.op, "observe") == 0) {
		rc = do_observe(conn, c.domain, &d, true) < 0 ? 1 : 0;
	} else if (strcmp(c.op, "apply") == 0) {
		rc = do_apply(conn, &c) < 0 ? 1 : 0;
	} else {
		usage();
	}

out:
	nsf_registry_close(conn);
	nsf_secrets_free(secrets);
	nsf_delegation_deinit(&d);
	free(c.reg.server.host);
	nsf_strv_deinit(&c.add);
	nsf_strv_deinit(&c.rem);
	nsf_strv_deinit(&c.ds_add);
	nsf_strv_deinit(&c.ds_rem);
	return rc;
}
