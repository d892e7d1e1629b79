/* cmd_probe.c - 'nsfailover probe': one probe round and its verdicts, as a
 * table, JSON, or a one-screen summary for large policies. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cmd.h"
#include "health.h"
#include "log.h"
#include "../providers/probe.h"
#include "../providers/registry.h"
#include "../schema/policy.h"

static const char usage_text[] =
    "usage: nsfailover probe [DOMAIN...] [--policy PATH]\n"
    "         [--resolver ADDR[:PORT]]... [--format text|json|summary]\n"
    "\n"
    "Runs one probe round: every nameserver address of every provider of\n"
    "the domains (all when none is named) is asked for the domain's SOA,\n"
    "NS and DNSKEY sets (and the readiness records), then prints each\n"
    "address's result, latency and serial, each provider's verdict for\n"
    "this round and its readiness, and the canary verdict.\n"
    "\n"
    "  --policy PATH        policy file or directory (default: policy)\n"
    "  --resolver ADDR      resolver for nameserver names without\n"
    "                       addresses in the policy (repeatable; the\n"
    "                       system resolver is never used)\n"
    "  --format FMT         text (default), json, or summary\n"
    "  --active LABEL       judge readiness against this group (default:\n"
    "                       the primary)\n"
    "  --rate N             queries per second per server (default 200)\n"
    "  --queries LIST       soa,ns,dnskey,records (default: all)\n"
    "  --max-inflight N     queries in flight at once (default 4096)\n"
    "  --source ADDR        source address (one IPv4, one IPv6)\n"
    "  --spread DURATION    start the domains at even, jittered\n"
    "                       offsets over this time (default 0s: all\n"
    "                       at once, within --rate)\n"
    "  --rounds N           run N rounds and show the state machines\n"
    "                       after the last (default 1)\n"
    "  --interval DURATION  pause between rounds (default 0s)\n"
    "\n"
    "Exit status: 0 every provider answered well and the canaries too,\n"
    "1 something did not, 2 usage or policy error.\n";

enum fmt {
	FMT_TEXT = 0,
	FMT_JSON,
	FMT_SUMMARY,
};

struct probe_args {
	const char *policy;
	struct nsf_strv resolvers;
	enum fmt format;
	const char *active;
	struct nsf_prober_opts opts;
	struct nsf_strv domains;
	unsigned rounds;        /* rounds to run; states shown after >1 */
	uint64_t interval_ms;   /* pause between rounds */
	double round_cpu_ms;    /* CPU time of the last round (user and
				 * system), for --format summary */
};

static int
parse_queries(unsigned *out, const char *list)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{ "soa", NSF_PQ_SOA }, { "ns", NSF_PQ_NS },
		{ "dnskey", NSF_PQ_DNSKEY }, { "records", NSF_PQ_RECORDS },
	};
	char *copy = nsf_xstrdup(list), *save = NULL, *tok;
	unsigned mask = NSF_PQ_SOA;
	size_t i;
	int rc = 0;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NSF_ARRAY_SIZE(names); i++) {
			if (strcmp(tok, names[i].name) == 0) {
				mask |= names[i].bit;
				break;
			}
		}
		if (i == NSF_ARRAY_SIZE(names)) {
			fprintf(stderr, "nsfailover probe: --queries: unknown "
			    "query '%s' (write soa,ns,dnskey,records)\n", tok);
			rc = -1;
		}
	}
	free(copy);
	*out = mask;
	return rc;
}

static int
parse_number(double *out, const char *opt, const char *s, double max)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v > 0) || v > max) {
		fprintf(stderr, "nsfailover probe: %s: '%s' is not a number "
		    "above 0 and at most %.0f\n", opt, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_count(unsigned *out, const char *opt, const char *s, unsigned max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s < '0' || *s > '9' || *end != '\0' || v < 1 || v > max) {
		fprintf(stderr, "nsfailover probe: %s: '%s' is not a whole "
		    "number from 1 to %u\n", opt, s, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int
parse_duration(uint64_t *out, const char *opt, const char *s)
{
	if (nsf_duration_parse(out, s) < 0) {
		fprintf(stderr, "nsfailover probe: %s: '%s' is not a "
		    "duration (write 500ms, 2s, 1m)\n", opt, s);
		return -1;
	}
	return 0;
}

static int
parse_format(enum fmt *out, const char *s)
{
	if (strcmp(s, "text") == 0) {
		*out = FMT_TEXT;
	} else if (strcmp(s, "json") == 0) {
		*out = FMT_JSON;
	} else if (strcmp(s, "summary") == 0) {
		*out = FMT_SUMMARY;
	} else {
		fprintf(stderr, "nsfailover probe: --format: '%s' is not one "
		    "of text, json, summary\n", s);
		return -1;
	}
	return 0;
}

static int
parse_option(struct probe_args *a, int c, const char *arg)
{
	switch (c) {
	case 'p':
		a->policy = arg;
		return 0;
	case 'r':
		nsf_strv_push(&a->resolvers, arg);
		return 0;
	case 'f':
		return parse_format(&a->format, arg);
	case 'a':
		a->active = arg;
		return 0;
	case 'R':
		return parse_number(&a->opts.rate_per_server, "--rate", arg,
		    1e9);
	case 'q':
		return parse_queries(&a->opts.queries, arg);
	case 'm':
		return parse_count(&a->opts.max_inflight, "--max-inflight",
		    arg, 65535);
	case 'n':
		return parse_count(&a->rounds, "--rounds", arg, 1000);
	case 'i':
		return parse_duration(&a->interval_ms, "--interval", arg);
	case 'S':
		return parse_duration(&a->opts.spread_ms, "--spread", arg);
	case ':':
		fprintf(stderr, "nsfailover probe: %s needs a value\n",
		    arg);
		return -1;
	case 's':
		if (strchr(arg, ':') != NULL) {
			a->opts.source6 = arg;
		} else {
			a->opts.source4 = arg;
		}
		return 0;
	default:
		fprintf(stderr, "nsfailover probe: unknown option '%s' (see "
		    "'nsfailover probe --help')\n", arg);
		return -1;
	}
}

static int
parse_args(struct probe_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "active", required_argument, NULL, 'a' },
		{ "rate", required_argument, NULL, 'R' },
		{ "queries", required_argument, NULL, 'q' },
		{ "max-inflight", required_argument, NULL, 'm' },
		{ "source", required_argument, NULL, 's' },
		{ "spread", required_argument, NULL, 'S' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->policy = "policy";
	a->rounds = 1;
	nsf_strv_init(&a->resolvers);
	nsf_strv_init(&a->domains);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		/* on an error, name the argument that caused it */
		const char *arg = c == '?' || c == ':' ? argv[optind - 1] :
		    optarg;

		if (parse_option(a, c, arg) < 0) {
			return -1;
		}
	}
	for (; optind < argc; optind++) {
		nsf_strv_push(&a->domains, argv[optind]);
	}
	a->opts.resolvers = (const char *const *)a->resolvers.v;
	a->opts.nresolvers = a->resolvers.n;
	return 0;
}

static void
args_deinit(struct probe_args *a)
{
	nsf_strv_deinit(&a->resolvers);
	nsf_strv_deinit(&a->domains);
}

/* ---- output ----------------------------------------------------------- */

static const struct nsf_provider *
find_provider(const struct nsf_domain *d, const char *name)
{
	size_t g, k;

	for (g = 0; g <= d->nbackups; g++) {
		const struct nsf_group *grp = g == 0 ? &d->primary :
		    &d->backups[g - 1];

		for (k = 0; k < grp->nproviders; k++) {
			if (strcmp(grp->providers[k]->name, name) == 0) {
				return grp->providers[k];
			}
		}
	}
	return NULL;
}

static const struct nsf_group *
active_group(const struct nsf_domain *d, const char *label)
{
	size_t i;

	for (i = 0; label != NULL && i < d->nbackups; i++) {
		if (strcmp(d->backups[i].label, label) == 0) {
			return &d->backups[i];
		}
	}
	return &d->primary;
}

/* The DS set the policy publishes with the active group: the best this
 * command knows of the parent without asking the registry. */
static size_t
policy_ds(struct nsf_ds **out, const struct nsf_group *g)
{
	struct nsf_ds *ds = nsf_xcalloc(g->nds + 1, sizeof(*ds));
	size_t i, n = 0;

	for (i = 0; i < g->nds; i++) {
		if (nsf_ds_parse(&ds[n], g->ds[i]) == 0) {
			n++;
		}
	}
	*out = ds;
	return n;
}

static void
ds_free(struct nsf_ds *ds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		nsf_ds_deinit(&ds[i]);
	}
	free(ds);
}

static const char *
tri_name(enum nsf_tri t)
{
	return t == NSF_TRI_YES ? "yes" : t == NSF_TRI_NO ? "no" : "unknown";
}

static void
format_latency(char *out, size_t len, const struct nsf_probe_answer *a)
{
	if (a->result == NSF_PROBE_OK || a->latency_us > 0) {
		snprintf(out, len, "%.1fms", a->latency_us / 1000.0);
	} else {
		snprintf(out, len, "-");
	}
}

/* Judges one address; `why` says what was wrong, in the user's terms. */
static bool
addr_verdict(char *why, size_t whylen, const struct nsf_probe_obs *o,
    const struct nsf_domain *d, const struct probe_args *a)
{
	const struct nsf_provider *pv = find_provider(d, o->provider);

	snprintf(why, whylen, "not a provider of %s", d->name);
	if (pv == NULL || nsf_health_addr_ok(o, d, pv, why, whylen)) {
		return pv != NULL;
	}
	if (o->soa.result == NSF_PROBE_NOADDR && a->resolvers.n == 0) {
		snprintf(why, whylen, "no address: none in the policy and no "
		    "--resolver given");
	}
	return false;
}

/* One row of the text table, and the widths of its columns. */
struct row {
	char addr[64], lat[32], serial[16], why[160];
	bool ok;
};

enum { COL_PROVIDER, COL_NS, COL_ADDR, COL_RESULT, COL_LAT, COL_SERIAL,
	NCOLS };

static const char *const col_titles[NCOLS] = {
	"PROVIDER", "NAMESERVER", "ADDRESS", "RESULT", "LATENCY", "SERIAL",
};

static void
row_fill(struct row *w, const struct nsf_probe_obs *o,
    const struct nsf_domain *d, const struct probe_args *a)
{
	w->ok = addr_verdict(w->why, sizeof(w->why), o, d, a);
	format_latency(w->lat, sizeof(w->lat), &o->soa);
	snprintf(w->serial, sizeof(w->serial), o->has_serial ? "%u" : "-",
	    o->serial);
	snprintf(w->addr, sizeof(w->addr), strchr(o->addr, ':') ?
	    "[%s]:%u" : "%s:%u", o->addr, o->port);
}

static void
widen(int *width, const char *cell)
{
	int n = (int)strlen(cell);

	*width = n > *width ? n : *width;
}

/* The address table of one domain, its columns as wide as their
 * widest cell. */
static void
text_table(struct nsf_buf *b, const struct nsf_probe_obs *obs, size_t n,
    const struct nsf_domain *d, const struct probe_args *a)
{
	struct row *rows = nsf_xcalloc(n + 1, sizeof(*rows));
	int w[NCOLS];
	size_t i, c;

	for (c = 0; c < NCOLS; c++) {
		w[c] = (int)strlen(col_titles[c]);
	}
	for (i = 0; i < n; i++) {
		row_fill(&rows[i], &obs[i], d, a);
		widen(&w[COL_PROVIDER], obs[i].provider);
		widen(&w[COL_NS], obs[i].ns);
		widen(&w[COL_ADDR], rows[i].addr);
		widen(&w[COL_RESULT], nsf_probe_result_name(obs[i].soa.result));
		widen(&w[COL_LAT], rows[i].lat);
		widen(&w[COL_SERIAL], rows[i].serial);
	}
	nsf_buf_printf(b, "  %-*s %-*s %-*s %-*s %*s %-*s VERDICT\n",
	    w[0], col_titles[0], w[1], col_titles[1], w[2], col_titles[2],
	    w[3], col_titles[3], w[4], col_titles[4], w[5], col_titles[5]);
	for (i = 0; i < n; i++) {
		nsf_buf_printf(b, "  %-*s %-*s %-*s %-*s %*s %-*s %s%s\n",
		    w[0], obs[i].provider, w[1], obs[i].ns, w[2], rows[i].addr,
		    w[3], nsf_probe_result_name(obs[i].soa.result), w[4],
		    rows[i].lat, w[5], rows[i].serial,
		    obs[i].soa.tcp ? "tcp " : "",
		    rows[i].ok ? "healthy" : rows[i].why);
	}
	free(rows);
}

static const char *const ready_mode_names[] = { "serial", "records", "none" };

/* Views for one domain, judged against the active group. */
static int
domain_views(struct nsf_provider_view **v, size_t *n,
    struct nsf_health *h, const struct nsf_domain *d, const char *active)
{
	const struct nsf_group *g = active_group(d, active);
	struct nsf_ds *ds;
	size_t nds = policy_ds(&ds, g);
	int rc = nsf_health_views(v, n, h, d, g->label, ds, nds);

	ds_free(ds, nds);
	return rc;
}

/* Appends one domain as text; returns false when a provider was bad. */
static bool
text_domain(struct nsf_buf *b, const struct nsf_domain *d,
    const struct nsf_round *r, struct nsf_health *h,
    const struct probe_args *a)
{
	const char *active = a->active;
	unsigned rounds = a->rounds;
	const struct nsf_probe_obs *obs;
	struct nsf_provider_view *v = NULL;
	size_t nobs = 0, nv = 0, i;
	bool all = true;

	nsf_round_domain(&obs, &nobs, r, d->name);
	nsf_buf_printf(b, "%s (readiness %s against %s)\n", d->name,
	    ready_mode_names[d->readiness.mode % 3],
	    active_group(d, active)->label);
	text_table(b, obs, nobs, d, a);
	if (domain_views(&v, &nv, h, d, active) < 0) {
		return false;
	}
	for (i = 0; i < nv; i++) {
		bool good = false;
		const char *ev = "";

		nsf_health_round_verdict(&good, &ev, h, d->name,
		    v[i].provider->name);
		all = all && good;
		nsf_buf_printf(b, "  => %s: %s%s%s, %s, dnssec %s: %s\n",
		    v[i].provider->name, good ? "healthy" : "UNHEALTHY",
		    rounds > 1 ? ", state " : "",
		    rounds > 1 ? nsf_pstate_name(v[i].state) : "",
		    v[i].ready ? "ready" : "NOT READY",
		    tri_name(v[i].dnskey_matches_ds), v[i].evidence);
	}
	free(v);
	nsf_buf_puts(b, "\n");
	return all;
}

static void
json_answer(struct nsf_buf *b, const char *key,
    const struct nsf_probe_answer *a)
{
	nsf_buf_printf(b, ",\"%s\":{\"result\":\"%s\",\"tries\":%u,"
	    "\"tcp\":%s,\"latency_ms\":%.3f}", key,
	    nsf_probe_result_name(a->result), a->tries,
	    a->tcp ? "true" : "false", a->latency_us / 1000.0);
}

static void
json_records(struct nsf_buf *b, const struct nsf_probe_obs *o,
    const struct nsf_domain *d)
{
	size_t i;

	nsf_buf_puts(b, ",\"records\":[");
	for (i = 0; i < o->nrecords && i < d->readiness.nrecords; i++) {
		const struct nsf_probe_answer *a = &o->records[i];
		char *type = ldns_rr_type2str(d->readiness.records[i].type);

		nsf_buf_puts(b, i ? ",{\"name\":" : "{\"name\":");
		nsf_buf_put_json_string(b, d->readiness.records[i].name);
		nsf_buf_printf(b, ",\"type\":\"%s\",\"result\":\"%s\","
		    "\"tcp\":%s,\"count\":%zu}", type ? type : "?",
		    nsf_probe_result_name(a->result),
		    a->tcp ? "true" : "false", a->rrset ?
		    ldns_rr_list_rr_count(a->rrset) : (size_t)0);
		free(type);
	}
	nsf_buf_puts(b, "]");
}

static void
json_address(struct nsf_buf *b, const struct nsf_probe_obs *o,
    const struct nsf_domain *d, const struct probe_args *a)
{
	char why[160];
	bool ok = addr_verdict(why, sizeof(why), o, d, a);

	nsf_buf_puts(b, "{\"provider\":");
	nsf_buf_put_json_string(b, o->provider);
	nsf_buf_puts(b, ",\"nameserver\":");
	nsf_buf_put_json_string(b, o->ns);
	nsf_buf_puts(b, ",\"address\":");
	nsf_buf_put_json_string(b, o->addr);
	nsf_buf_printf(b, ",\"port\":%u,\"result\":\"%s\","
	    "\"latency_ms\":%.3f,\"tries\":%u,\"tcp\":%s", o->port,
	    nsf_probe_result_name(o->soa.result), o->soa.latency_us / 1000.0,
	    o->soa.tries, o->soa.tcp ? "true" : "false");
	if (o->has_serial) {
		nsf_buf_printf(b, ",\"serial\":%u", o->serial);
	} else {
		nsf_buf_puts(b, ",\"serial\":null");
	}
	json_answer(b, "ns", &o->nsq);
	json_answer(b, "dnskey", &o->dnskey);
	json_records(b, o, d);
	nsf_buf_printf(b, ",\"healthy\":%s,\"why\":", ok ? "true" : "false");
	nsf_buf_put_json_string(b, ok ? "" : why);
	nsf_buf_puts(b, "}");
}

static bool
json_domain(struct nsf_buf *b, const struct nsf_domain *d,
    const struct nsf_round *r, struct nsf_health *h,
    const struct probe_args *a)
{
	const char *active = a->active;
	const struct nsf_probe_obs *obs;
	struct nsf_provider_view *v = NULL;
	size_t nobs = 0, nv = 0, i;
	bool all = true;

	nsf_round_domain(&obs, &nobs, r, d->name);
	nsf_buf_puts(b, "{\"domain\":");
	nsf_buf_put_json_string(b, d->name);
	nsf_buf_puts(b, ",\"active\":");
	nsf_buf_put_json_string(b, active_group(d, active)->label);
	nsf_buf_printf(b, ",\"readiness\":\"%s\",\"addresses\":[",
	    ready_mode_names[d->readiness.mode % 3]);
	for (i = 0; i < nobs; i++) {
		nsf_buf_puts(b, i ? "," : "");
		json_address(b, &obs[i], d, a);
	}
	nsf_buf_puts(b, "],\"providers\":[");
	if (domain_views(&v, &nv, h, d, active) < 0) {
		nv = 0;
		all = false;
	}
	for (i = 0; i < nv; i++) {
		bool good = false;
		const char *ev = "";

		nsf_health_round_verdict(&good, &ev, h, d->name,
		    v[i].provider->name);
		all = all && good;
		nsf_buf_puts(b, i ? ",{\"provider\":" : "{\"provider\":");
		nsf_buf_put_json_string(b, v[i].provider->name);
		nsf_buf_printf(b, ",\"healthy\":%s,\"state\":\"%s\","
		    "\"ready\":%s,\"dnskey_matches_ds\":\"%s\","
		    "\"evidence\":", good ? "true" : "false",
		    nsf_pstate_name(v[i].state), v[i].ready ? "true" : "false",
		    tri_name(v[i].dnskey_matches_ds));
		nsf_buf_put_json_string(b, v[i].evidence);
		nsf_buf_puts(b, "}");
	}
	free(v);
	nsf_buf_puts(b, "]}");
	return all;
}

static void
json_stats(struct nsf_buf *b, const struct nsf_probe_stats *s)
{
	nsf_buf_printf(b, "\"stats\":{\"sent\":%llu,\"received\":%llu,"
	    "\"accepted\":%llu,\"retries\":%llu,\"tcp\":%llu,\"icmp\":%llu,"
	    "\"dropped\":{\"unknown_id\":%llu,\"wrong_source\":%llu,"
	    "\"wrong_question\":%llu,\"malformed\":%llu},"
	    "\"duration_ms\":%.3f}",
	    (unsigned long long)s->sent, (unsigned long long)s->received,
	    (unsigned long long)s->accepted, (unsigned long long)s->retries,
	    (unsigned long long)s->tcp, (unsigned long long)s->icmp,
	    (unsigned long long)s->drop_unknown_id,
	    (unsigned long long)s->drop_wrong_source,
	    (unsigned long long)s->drop_wrong_question,
	    (unsigned long long)s->drop_malformed, s->duration_us / 1000.0);
}

static void
json_canaries(struct nsf_buf *b, const struct nsf_round *r,
    const struct nsf_health *h)
{
	const char *reason = NULL;
	bool frozen = nsf_health_frozen(h, &reason);
	size_t i;

	nsf_buf_printf(b, "\"canaries\":{\"frozen\":%s,\"summary\":",
	    frozen ? "true" : "false");
	nsf_buf_put_json_string(b, nsf_health_canary_summary(h));
	nsf_buf_puts(b, ",\"targets\":[");
	for (i = 0; i < nsf_round_ncanaries(r); i++) {
		const struct nsf_canary_obs *c = nsf_round_canary(r, i);

		nsf_buf_puts(b, i ? ",{\"address\":" : "{\"address\":");
		nsf_buf_put_json_string(b, c->canary->server.host);
		nsf_buf_printf(b, ",\"port\":%u,\"name\":",
		    c->canary->server.port ? c->canary->server.port : 53);
		nsf_buf_put_json_string(b, c->canary->qname ?
		    c->canary->qname : ".");
		nsf_buf_printf(b, ",\"result\":\"%s\",\"tries\":%u,"
		    "\"latency_ms\":%.3f}",
		    nsf_probe_result_name(c->ans.result), c->ans.tries,
		    c->ans.latency_us / 1000.0);
	}
	nsf_buf_puts(b, "]}");
}

static void
text_footer(struct nsf_buf *b, const struct nsf_round *r,
    const struct nsf_health *h)
{
	const struct nsf_probe_stats *s = nsf_round_stats(r);
	const char *reason = NULL;

	if (nsf_health_frozen(h, &reason)) {
		nsf_buf_printf(b, "canaries: FROZEN: %s\n", reason);
	} else {
		nsf_buf_printf(b, "canaries: %s\n",
		    nsf_health_canary_summary(h));
	}
	nsf_buf_printf(b, "round: %llu queries in %.1f ms, %llu retries, "
	    "%llu over tcp; dropped %llu unknown id, %llu wrong source, "
	    "%llu wrong question, %llu malformed\n",
	    (unsigned long long)s->sent, s->duration_us / 1000.0,
	    (unsigned long long)s->retries, (unsigned long long)s->tcp,
	    (unsigned long long)s->drop_unknown_id,
	    (unsigned long long)s->drop_wrong_source,
	    (unsigned long long)s->drop_wrong_question,
	    (unsigned long long)s->drop_malformed);
}

/* Counts per result, the rate, and memory: for thousands of domains. */
static bool
summary(struct nsf_buf *b, const struct nsf_round *r, size_t ndomains,
    double cpu_ms)
{
	const struct nsf_probe_stats *s = nsf_round_stats(r);
	size_t counts[NSF_PROBE_NETERR + 1] = { 0 }, i;

	for (i = 0; i < nsf_round_count(r); i++) {
		const struct nsf_probe_obs *o = nsf_round_obs(r, i);

		counts[o->soa.result <= NSF_PROBE_NETERR ? o->soa.result : 0]++;
	}
	nsf_buf_printf(b, "domains %zu addresses %zu queries %llu "
	    "duration_ms %.1f rate_qps %.0f\n", ndomains, nsf_round_count(r),
	    (unsigned long long)s->sent, s->duration_us / 1000.0,
	    s->duration_us > 0 ? s->sent * 1e6 / s->duration_us : 0.0);
	nsf_buf_printf(b, "memory_bytes %zu peak_bytes %zu "
	    "bytes_per_domain %.0f peak_per_domain %.0f\n",
	    nsf_round_memory(r), s->peak_bytes,
	    ndomains ? (double)nsf_round_memory(r) / ndomains : 0.0,
	    ndomains ? (double)s->peak_bytes / ndomains : 0.0);
	nsf_buf_printf(b, "cpu_ms %.1f cpu_us_per_query %.2f\n", cpu_ms,
	    s->sent > 0 ? cpu_ms * 1e3 / (double)s->sent : 0.0);
	nsf_buf_puts(b, "results");
	for (i = 0; i <= NSF_PROBE_NETERR; i++) {
		if (counts[i] > 0) {
			nsf_buf_printf(b, " %s %zu",
			    nsf_probe_result_name((enum nsf_probe_result)i),
			    counts[i]);
		}
	}
	nsf_buf_puts(b, "\n");
	return counts[NSF_PROBE_OK] == nsf_round_count(r);
}

/* Prints the round in the chosen format; returns the exit status. */
static int
report(const struct probe_args *a, const struct nsf_policy *pol,
    const struct nsf_round *r, struct nsf_health *h)
{
	struct nsf_buf b;
	bool all = true;
	size_t i, n = 0;

	nsf_buf_init(&b);
	if (a->format == FMT_JSON) {
		nsf_buf_puts(&b, "{\"domains\":[");
	}
	for (i = 0; i < pol->ndomains; i++) {
		const struct nsf_domain *d = &pol->domains[i];
		const struct nsf_probe_obs *obs;
		size_t nobs;

		if (nsf_round_domain(&obs, &nobs, r, d->name) < 0) {
			continue;
		}
		if (a->format == FMT_JSON) {
			nsf_buf_puts(&b, n ? "," : "");
			all = json_domain(&b, d, r, h, a) && all;
		} else if (a->format == FMT_TEXT) {
			all = text_domain(&b, d, r, h, a) && all;
		}
		n++;
	}
	if (a->format == FMT_JSON) {
		nsf_buf_puts(&b, "],");
		json_canaries(&b, r, h);
		nsf_buf_puts(&b, ",");
		json_stats(&b, nsf_round_stats(r));
		nsf_buf_puts(&b, "}\n");
	} else if (a->format == FMT_TEXT) {
		text_footer(&b, r, h);
	} else {
		all = summary(&b, r, n, a->round_cpu_ms);
	}
	if (b.len > 0) {
		fputs(b.data, stdout);
	}
	nsf_buf_deinit(&b);
	return all && !nsf_health_frozen(h, NULL) ? 0 : 1;
}

static int
load_policy(struct nsf_policy **out, const char *path)
{
	struct nsf_diags diags;
	struct nsf_buf b;
	int rc;

	nsf_diags_init(&diags);
	rc = nsf_policy_load_path(out, path, &diags);
	if (rc < 0 || diags.n > 0) {
		nsf_buf_init(&b);
		nsf_diags_format_text(&diags, &b);
		if (b.len > 0) {
			fputs(b.data, stderr);
		}
		nsf_buf_deinit(&b);
	}
	if (rc < 0 && diags.nerrors == 0) {
		fprintf(stderr, "nsfailover probe: %s\n", nsf_error_last());
	}
	nsf_diags_deinit(&diags);
	return rc;
}

static bool
domain_has_group(const struct nsf_domain *d, const char *label)
{
	size_t i;

	if (strcmp(d->primary.label, label) == 0) {
		return true;
	}
	for (i = 0; i < d->nbackups; i++) {
		if (strcmp(d->backups[i].label, label) == 0) {
			return true;
		}
	}
	return false;
}

/* --active must name a group of every domain probed: readiness judged
 * against a group the domain does not have would mean nothing. */
static int
check_active(const struct probe_args *a, const struct nsf_policy *pol)
{
	size_t i, k;

	if (a->active == NULL) {
		return 0;
	}
	for (i = 0; i < pol->ndomains; i++) {
		const struct nsf_domain *d = &pol->domains[i];
		bool chosen = a->domains.n == 0;

		for (k = 0; k < a->domains.n && !chosen; k++) {
			chosen = nsf_name_cmp(a->domains.v[k], d->name) == 0;
		}
		if (!chosen || domain_has_group(d, a->active)) {
			continue;
		}
		fprintf(stderr, "nsfailover probe: --active: '%s' is not a "
		    "group of %s (its groups: %s", a->active, d->name,
		    d->primary.label);
		for (k = 0; k < d->nbackups; k++) {
			fprintf(stderr, ", %s", d->backups[k].label);
		}
		fprintf(stderr, ")\n");
		return -1;
	}
	return 0;
}

/* CPU time this process has used, user and system, in ms. */
static double
cpu_ms_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* Runs the rounds asked for, feeding each to the health verdicts; the
 * last round is left in *out. */
static int
run_rounds(struct nsf_round **out, struct probe_args *a,
    struct nsf_prober *p, const struct nsf_policy *pol,
    struct nsf_health *h)
{
	double cpu;

	const char *const *domains = a->domains.n ?
	    (const char *const *)a->domains.v : NULL;
	struct nsf_round *r = NULL;
	unsigned i;

	for (i = 0; i < a->rounds; i++) {
		if (i > 0 && a->interval_ms > 0) {
			struct timespec ts = {
				.tv_sec = (time_t)(a->interval_ms / 1000),
				.tv_nsec = (long)(a->interval_ms % 1000) *
				    1000000,
			};

			nanosleep(&ts, NULL);
		}
		nsf_round_free(r);
		r = NULL;
		cpu = cpu_ms_now();
		if (nsf_prober_round(p, pol, domains, &r) < 0) {
			return NSF_ERROR;
		}
		a->round_cpu_ms = cpu_ms_now() - cpu;
		nsf_health_update(h, pol, r, nsf_now_ms());
	}
	*out = r;
	return 0;
}

int
nsf_cmd_probe(int argc, char **argv)
{
	struct probe_args a;
	struct nsf_policy *pol = NULL;
	struct nsf_prober *p = NULL;
	struct nsf_round *r = NULL;
	struct nsf_health *h = NULL;
	int status = 2;

	if (nsf_cmd_wants_help(argc, argv, usage_text)) {
		return 0;
	}
	if (parse_args(&a, argc, argv) < 0) {
		goto out;
	}
	if (load_policy(&pol, a.policy) < 0 || check_active(&a, pol) < 0) {
		goto out;
	}
	if (nsf_prober_new(&p, &a.opts) < 0) {
		fprintf(stderr, "nsfailover probe: %s\n", nsf_error_last());
		goto out;
	}
	nsf_health_new(&h);
	if (run_rounds(&r, &a, p, pol, h) < 0) {
		fprintf(stderr, "nsfailover probe: %s\n", nsf_error_last());
		goto out;
	}
	status = report(&a, pol, r, h);
out:
	nsf_health_free(h);
	nsf_round_free(r);
	nsf_prober_free(p);
	nsf_policy_free(pol);
	args_deinit(&a);
	return status;
}
