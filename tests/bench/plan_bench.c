/* plan_bench.c - the planner and its JSON output over many domains: time
 * per plan (p50, p99, max) and peak memory.  Built and run by plan.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../../reconciler/plan_format.h"

#define NPROVIDERS 100
#define NOW 1800000000000LL

struct world {
	struct nsf_provider prov[NPROVIDERS];
	struct nsf_provider *one[NPROVIDERS][1];
	struct nsf_registry reg;
	struct nsf_domain *dom;
	struct nsf_group *backup;
	struct nsf_delegation *obs;
	struct nsf_provider_view (*views)[2];
	size_t n;
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
make_providers(struct world *w)
{
	size_t i, k;

	for (i = 0; i < NPROVIDERS; i++) {
		w->prov[i].name = nsf_xasprintf("provider-%zu", i);
		w->prov[i].nns = 2;
		w->prov[i].ns = nsf_xcalloc(2, sizeof(*w->prov[i].ns));
		for (k = 0; k < 2; k++) {
			w->prov[i].ns[k].name = nsf_xasprintf(
			    "ns%zu.provider-%zu.example", k + 1, i);
		}
		w->one[i][0] = &w->prov[i];
	}
	w->reg.min_ns = 2;
	w->reg.max_ns = 13;
}

static void
group(struct nsf_group *g, struct world *w, size_t p)
{
	memset(g, 0, sizeof(*g));
	g->label = w->prov[p].name;
	g->providers = w->one[p];
	g->nproviders = 1;
}

/* Domain i: primary i % 100, backup (i + 1) % 100; one in 20 primaries
 * down, so those plans are failovers. */
static void
make_domain(struct world *w, size_t i)
{
	struct nsf_domain *d = &w->dom[i];
	size_t p = i % NPROVIDERS, b = (i + 1) % NPROVIDERS, k;

	d->name = nsf_xasprintf("domain-%zu.example", i);
	d->registry = &w->reg;
	group(&d->primary, w, p);
	group(&w->backup[i], w, b);
	d->backups = &w->backup[i];
	d->nbackups = 1;
	d->failback.hold_down_ms = 900000;
	d->flap.max_changes = 4;
	d->flap.window_ms = 3600000;
	nsf_delegation_init(&w->obs[i]);
	for (k = 0; k < 2; k++) {
		nsf_strv_push(&w->obs[i].ns, w->prov[p].ns[k].name);
	}
	w->views[i][0] = (struct nsf_provider_view){ &w->prov[p],
	    i % 20 == 0 ? NSF_PSTATE_DOWN : NSF_PSTATE_UP, NOW - 86400000,
	    true, NSF_TRI_UNKNOWN, "2/2 addresses ok" };
	w->views[i][1] = (struct nsf_provider_view){ &w->prov[b],
	    NSF_PSTATE_UP, NOW - 86400000, true, NSF_TRI_UNKNOWN,
	    "2/2 addresses ok" };
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
print_times(const char *what, int64_t *t, size_t n)
{
	qsort(t, n, sizeof(*t), cmp_i64);
	printf("%s: p50 %.1f us, p99 %.1f us, max %.1f us per domain\n",
	    what, t[n / 2] / 1000.0, t[n * 99 / 100] / 1000.0,
	    t[n - 1] / 1000.0);
}

int
main(int argc, char **argv)
{
	struct world w = { .n = argc > 1 ? strtoul(argv[1], NULL, 10) :
	    100000 };
	struct nsf_plan *plans;
	struct nsf_plan_report *rep;
	struct nsf_plan_input in = { 0 };
	struct nsf_buf out;
	struct rusage ru;
	int64_t *t, t0, total;
	size_t i, changes = 0;

	make_providers(&w);
	w.dom = nsf_xcalloc(w.n, sizeof(*w.dom));
	w.backup = nsf_xcalloc(w.n, sizeof(*w.backup));
	w.obs = nsf_xcalloc(w.n, sizeof(*w.obs));
	w.views = nsf_xcalloc(w.n, sizeof(*w.views));
	plans = nsf_xcalloc(w.n, sizeof(*plans));
	rep = nsf_xcalloc(w.n, sizeof(*rep));
	t = nsf_xcalloc(w.n, sizeof(*t));
	for (i = 0; i < w.n; i++) {
		make_domain(&w, i);
	}
	total = now_ns();
	for (i = 0; i < w.n; i++) {
		in = (struct nsf_plan_input){ .domain = &w.dom[i],
		    .views = w.views[i], .nviews = 2, .observed = &w.obs[i],
		    .policy_fingerprint = "fp", .now_ms = NOW };
		t0 = now_ns();
		if (nsf_plan_compute(&plans[i], &in) < 0) {
			fprintf(stderr, "plan failed: %s\n", nsf_error_last());
			return 1;
		}
		t[i] = now_ns() - t0;
		changes += nsf_plan_applies(&plans[i]);
		rep[i] = (struct nsf_plan_report){ .domain = w.dom[i].name,
		    .plan = &plans[i], .observed = &w.obs[i],
		    .views = w.views[i], .nviews = 2 };
	}
	total = now_ns() - total;
	printf("planned %zu domains in %.0f ms, %zu failovers\n", w.n,
	    total / 1e6, changes);
	print_times("plan", t, w.n);
	nsf_buf_init(&out);
	t0 = now_ns();
	nsf_plan_format_json(&out, rep, w.n, 0);
	printf("json for all domains: %.0f ms, %.1f MiB\n",
	    (now_ns() - t0) / 1e6, out.len / 1048576.0);
	nsf_buf_deinit(&out);
	t0 = now_ns();
	nsf_plan_format_text(&out, rep, w.n, 0);
	printf("text for all domains: %.0f ms, %.1f MiB\n",
	    (now_ns() - t0) / 1e6, out.len / 1048576.0);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak memory (plans, inputs and output held): %.0f MiB\n",
	    ru.ru_maxrss / 1024.0);
	return 0;
}
