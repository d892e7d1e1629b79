/* metrics_demo.c - test driver: serves the metrics endpoint and moves
 * metrics on commands read from standard input, one a line, so a test can
 * scrape before and after a failover without the daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../reconciler/metrics.h"

static const char usage_text[] =
    "usage: metrics_demo LISTEN\n"
    "commands on stdin, answered with 'ok' or 'error: ...':\n"
    "  health DOMAIN PROVIDER up|down|unknown\n"
    "  ns PROVIDER NAME ADDRESS up|down|unknown\n"
    "  probe PROVIDER ADDRESS RESULT MICROSECONDS\n"
    "  round MS | tick INTERVAL_MS | policy COMMIT MS NDOMAINS\n"
    "  failover FROM TO | failback FROM TO | refused REASON\n"
    "  flag DOMAIN on_backup|drift|pending|blocked|suspended on|off\n"
    "  frozen on|off | rejected | audit N | push ok|error\n"
    "  registry NAME OP ok|CODE MS | series all|problems|none\n"
    "  bulk N PROVIDER (N domains d<i>.test, every third one down)\n"
    "  retain-below N (keep domains d<i>.test with i < N)\n"
    "  render (time to render, in microseconds, and bytes) | quit\n";

static int
health(const char *s)
{
	if (strcmp(s, "up") == 0) {
		return NSF_HEALTH_UP;
	}
	return strcmp(s, "down") == 0 ? NSF_HEALTH_DOWN : NSF_HEALTH_UNKNOWN;
}

static int
flag(const char *s)
{
	static const char *const names[] = { "on_backup", "drift",
		"pending", "blocked", "suspended" };
	int i;

	for (i = 0; i < NSF_FLAG_COUNT; i++) {
		if (strcmp(s, names[i]) == 0) {
			return i;
		}
	}
	return -1;
}

static bool
below(const char *domain, void *arg)
{
	long limit = *(long *)arg;

	return domain[0] == 'd' && strtol(domain + 1, NULL, 10) < limit;
}

static void
bulk(long n, const char *provider)
{
	char name[64];
	long i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "d%ld.test", i);
		nsf_metrics_domain_health(name, provider, i % 3 == 0 ?
		    NSF_HEALTH_DOWN : NSF_HEALTH_UP);
	}
}

static void
render(void)
{
	struct nsf_buf b;
	int64_t t0 = nsf_mono_ms();

	nsf_buf_init(&b);
	nsf_metrics_render(&b);
	printf("render %lld ms %zu bytes\n",
	    (long long)(nsf_mono_ms() - t0), b.len);
	nsf_buf_deinit(&b);
}

/* Runs one command; false when it is not understood. */
static bool
command(char **a, int n)
{
	long num;

	if (n == 4 && strcmp(a[0], "health") == 0) {
		nsf_metrics_domain_health(a[1], a[2], health(a[3]));
	} else if (n == 5 && strcmp(a[0], "ns") == 0) {
		nsf_metrics_nameserver_health(a[1], a[2], a[3], health(a[4]));
	} else if (n == 5 && strcmp(a[0], "probe") == 0) {
		nsf_metrics_probe(a[1], a[2], a[3], strtoull(a[4], NULL, 10));
	} else if (n == 2 && strcmp(a[0], "round") == 0) {
		nsf_metrics_probe_round(strtoull(a[1], NULL, 10));
	} else if (n == 2 && strcmp(a[0], "tick") == 0) {
		nsf_metrics_tick(strtoull(a[1], NULL, 10));
	} else if (n == 4 && strcmp(a[0], "policy") == 0) {
		nsf_metrics_policy_loaded(a[1], strtoull(a[2], NULL, 10),
		    strtoul(a[3], NULL, 10));
	} else if (n == 3 && strcmp(a[0], "failover") == 0) {
		nsf_metrics_failover(a[1], a[2]);
	} else if (n == 3 && strcmp(a[0], "failback") == 0) {
		nsf_metrics_failback(a[1], a[2]);
	} else if (n == 2 && strcmp(a[0], "refused") == 0) {
		nsf_metrics_refused(a[1]);
	} else if (n == 4 && strcmp(a[0], "flag") == 0 && flag(a[2]) >= 0) {
		nsf_metrics_domain_flag(a[1], (enum nsf_domain_flag)flag(a[2]),
		    strcmp(a[3], "on") == 0);
	} else if (n == 2 && strcmp(a[0], "frozen") == 0) {
		nsf_metrics_frozen(strcmp(a[1], "on") == 0);
	} else if (n == 1 && strcmp(a[0], "rejected") == 0) {
		nsf_metrics_policy_rejected();
	} else if (n == 2 && strcmp(a[0], "audit") == 0) {
		nsf_metrics_audit_pending(strtoul(a[1], NULL, 10));
	} else if (n == 2 && strcmp(a[0], "push") == 0) {
		nsf_metrics_audit_push(strcmp(a[1], "ok") == 0);
	} else if (n == 5 && strcmp(a[0], "registry") == 0) {
		nsf_metrics_registry_op(a[1], a[2], strcmp(a[3], "ok") == 0,
		    a[3], strtoull(a[4], NULL, 10));
	} else if (n == 2 && strcmp(a[0], "series") == 0) {
		nsf_metrics_set_domain_series(strcmp(a[1], "all") == 0 ?
		    NSF_SERIES_ALL : strcmp(a[1], "none") == 0 ?
		    NSF_SERIES_NONE : NSF_SERIES_PROBLEMS);
	} else if (n == 3 && strcmp(a[0], "bulk") == 0) {
		bulk(strtol(a[1], NULL, 10), a[2]);
	} else if (n == 2 && strcmp(a[0], "retain-below") == 0) {
		num = strtol(a[1], NULL, 10);
		nsf_metrics_domains_retain(below, &num);
	} else if (n == 1 && strcmp(a[0], "render") == 0) {
		render();
	} else {
		return false;
	}
	return true;
}

int
main(int argc, char **argv)
{
	char line[1024], *a[8], *save;
	int n;

	if (argc != 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (nsf_metrics_start(argv[1]) < 0) {
		fprintf(stderr, "metrics_demo: %s\n", nsf_error_last());
		return 1;
	}
	printf("listening %u\n", nsf_metrics_port());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		n = 0;
		for (a[n] = strtok_r(line, " \t\n", &save); a[n] != NULL &&
		    n < 7; a[n] = strtok_r(NULL, " \t\n", &save)) {
			n++;
		}
		if (n > 0 && strcmp(a[0], "quit") == 0) {
			break;
		}
		if (n > 0 && !command(a, n)) {
			printf("error: unknown command '%s'\n", a[0]);
		} else if (n > 0) {
			printf("ok\n");
		}
		fflush(stdout);
	}
	nsf_metrics_stop();
	nsf_metrics_reset();
	return 0;
}
