/* gitctl.c - drives the audit log and the policy source from shell tests
 * and benchmarks, one operation per run, so they cross process bounds. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../reconciler/audit.h"
#include "../../reconciler/log.h"
#include "../../reconciler/policy_source.h"

static const char usage[] =
    "usage: gitctl record REPO DOMAIN ACTION [options]\n"
    "         --active G --ns a,b --from a,b --to a,b --reason R\n"
    "         --policy-commit C --client-trid T --server-trid T\n"
    "         --intent ID --no-push --count N --no-state\n"
    "         --lock-wait MS   (ACTION intent with --intent ID: an\n"
    "         open intent in the state)\n"
    "       gitctl push REPO\n"
    "       gitctl state REPO DOMAIN\n"
    "       gitctl bench REPO N\n"
    "       gitctl policy URL CACHE [--ref R] [--path P] [--verify]\n"
    "         [--gpg-key FILE] [--gpg-fpr FPR] [--ssh-signers FILE]\n";

static void
split_set(struct nsf_strv *out, const char *csv)
{
	char *copy = strdup(csv), *save = NULL, *t;

	for (t = strtok_r(copy, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		nsf_strv_push(out, t);
	}
	free(copy);
}

static void
print_status(struct nsf_audit *a)
{
	printf("tip %s\nqueued %zu\nreachable %s\n", nsf_audit_tip(a),
	    nsf_audit_queued(a), nsf_audit_reachable(a) ? "yes" : "no");
}

struct rec_args {
	struct nsf_strv ns, from, to;
	struct nsf_audit_record rec;
	struct nsf_domain_state st;
	bool no_state;
	long count;
};

static void
parse_record_opts(struct rec_args *r, struct nsf_audit_opts *o, int argc,
    char **argv)
{
	static const struct option lo[] = {
		{ "active", 1, NULL, 'a' }, { "ns", 1, NULL, 'n' },
		{ "from", 1, NULL, 'f' }, { "to", 1, NULL, 't' },
		{ "reason", 1, NULL, 'r' }, { "policy-commit", 1, NULL, 'p' },
		{ "client-trid", 1, NULL, 'c' },
		{ "server-trid", 1, NULL, 's' }, { "intent", 1, NULL, 'i' },
		{ "no-push", 0, NULL, 'P' }, { "count", 1, NULL, 'N' },
		{ "no-state", 0, NULL, 'S' }, { "lock-wait", 1, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a': r->st.active = strdup(optarg); break;
		case 'n': split_set(&r->ns, optarg); break;
		case 'f': split_set(&r->from, optarg);
			r->rec.from = &r->from; break;
		case 't': split_set(&r->to, optarg); r->rec.to = &r->to; break;
		case 'r': r->rec.reason = optarg; break;
		case 'p': r->rec.policy_commit = optarg; break;
		case 'c': r->rec.client_trid = optarg; break;
		case 's': r->rec.server_trid = optarg; break;
		case 'i': r->rec.intent_id = optarg; break;
		case 'P': o->no_push = true; break;
		case 'N': r->count = atol(optarg); break;
		case 'S': r->no_state = true; break;
		case 'L': o->lock_wait_ms = (uint64_t)atol(optarg); break;
		default: fputs(usage, stderr); exit(2);
		}
	}
}

/* ACTION "intent" with --intent ID leaves an open intent in the state,
 * as the daemon does before a registry change. */
static void
open_intent(struct rec_args *r)
{
	r->st.has_intent = true;
	r->st.intent.id = strdup(r->rec.intent_id);
	r->st.intent.action = strdup("failover");
	if (r->st.active != NULL) {
		r->st.intent.target = strdup(r->st.active);
	}
	nsf_strv_copy(&r->st.intent.from, &r->from);
	nsf_strv_copy(&r->st.intent.to, &r->to);
	r->st.intent.at_ms = nsf_now_ms();
}

static int
cmd_record(int argc, char **argv)
{
	struct nsf_audit_opts o = { .repo_path = argv[1] };
	struct nsf_audit *a = NULL;
	struct rec_args r;
	char id[41];
	long i;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	nsf_domain_state_init(&r.st);
	nsf_strv_init(&r.ns);
	nsf_strv_init(&r.from);
	nsf_strv_init(&r.to);
	r.count = 1;
	r.rec.domain = argv[2];
	r.rec.action = argv[3];
	optind = 4;
	parse_record_opts(&r, &o, argc, argv);
	r.st.domain = strdup(argv[2]);
	r.st.last_action = strdup(argv[3]);
	nsf_strv_copy(&r.st.nameservers, &r.ns);
	if (r.rec.intent_id != NULL && strcmp(argv[3], "intent") == 0) {
		open_intent(&r);
	}
	r.rec.state = r.no_state ? NULL : &r.st;
	rc = nsf_audit_open(&a, &o);
	if (rc < 0) {
		fprintf(stderr, "gitctl: %s\n", nsf_error_last());
		goto out;
	}
	for (i = 0; i < r.count && rc == 0; i++) {
		r.st.since_ms = nsf_now_ms();
		rc = nsf_audit_record(a, &r.rec, id);
		if (rc == 0) {
			printf("commit %s\n", id);
			fflush(stdout);
		}
	}
	if (rc < 0) {
		fprintf(stderr, "gitctl: %s\n", nsf_error_last());
	}
	print_status(a);
	nsf_audit_free(a);
out:
	nsf_domain_state_deinit(&r.st);
	nsf_strv_deinit(&r.ns);
	nsf_strv_deinit(&r.from);
	nsf_strv_deinit(&r.to);
	return rc == NSF_ELOCKED ? 3 : rc < 0 ? 1 : 0;
}

static int
cmd_push(int argc, char **argv)
{
	struct nsf_audit_opts o = { .repo_path = argv[1] };
	struct nsf_audit *a = NULL;
	int rc;

	if (nsf_audit_open(&a, &o) < 0) {
		fprintf(stderr, "gitctl: %s\n", nsf_error_last());
		return 1;
	}
	rc = nsf_audit_push(a);
	if (rc < 0) {
		fprintf(stderr, "gitctl: %s\n", nsf_error_last());
	}
	print_status(a);
	nsf_audit_free(a);
	return rc == NSF_EUNREACHABLE ? 4 : rc < 0 ? 1 : 0;
}

static int
cmd_state(int argc, char **argv)
{
	struct nsf_audit_opts o = { .repo_path = argv[1], .remote = "" };
	struct nsf_domain_state st;
	struct nsf_audit *a = NULL;
	struct nsf_buf b;
	int rc;

	if (nsf_audit_open(&a, &o) < 0) {
		fprintf(stderr, "gitctl: %s\n", nsf_error_last());
		return 1;
	}
	rc = nsf_audit_read_state(a, argv[2], &st);
	if (rc == 0) {
		nsf_buf_init(&b);
		nsf_domain_state_format(&st, &b);
		fputs(b.data, stdout);
		nsf_buf_deinit(&b);
		nsf_domain_state_deinit(&st);
	} else {
		fprintf(stderr, "gitctl: %s\n", nsf_error_last());
	}
	nsf_audit_free(a);
	return rc == NSF_ENOTFOUND ? 5 : rc < 0 ? 1 : 0;
}

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Times N records, one domain each of 50, on a local-only branch; prints
 * the mean and the slowest record in milliseconds. */
static int
cmd_bench(int argc, char **argv)
{
	struct nsf_audit_opts o = { .repo_path = argv[1], .remote = "" };
	struct nsf_audit_record rec = { .action = "converge" };
	struct nsf_domain_state st;
	struct nsf_audit *a = NULL;
	long i, n = atol(argv[2]);
	double total = 0, worst = 0, us;
	char domain[64];
	int64_t t0;
	int rc = 0;

	nsf_log_set_level_all(NSF_LOG_WARNING);
	if (n <= 0 || nsf_audit_open(&a, &o) < 0) {
		fprintf(stderr, "gitctl: %s\n", n <= 0 ? "N must be positive" :
		    nsf_error_last());
		return 1;
	}
	nsf_domain_state_init(&st);
	nsf_strv_push(&st.nameservers, "ns1.provider-a.example");
	nsf_strv_push(&st.nameservers, "ns2.provider-a.example");
	st.active = strdup("provider-a");
	rec.state = &st;
	rec.reason = "bench: provider-a healthy 5/5 rounds";
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(domain, sizeof(domain), "d%ld.example", i % 50);
		free(st.domain);
		st.domain = strdup(domain);
		st.since_ms = nsf_now_ms();
		rec.domain = domain;
		t0 = mono_us();
		rc = nsf_audit_record(a, &rec, NULL);
		us = (double)(mono_us() - t0);
		total += us;
		worst = us > worst ? us : worst;
	}
	if (rc < 0) {
		fprintf(stderr, "gitctl: %s\n", nsf_error_last());
	} else {
		printf("%.3f %.3f\n", total / (double)n / 1000.0,
		    worst / 1000.0);
	}
	nsf_domain_state_deinit(&st);
	nsf_audit_free(a);
	return rc < 0 ? 1 : 0;
}

static void
print_policy_status(struct nsf_policy_source *s, int rc)
{
	const struct nsf_policy *p = nsf_policy_source_policy(s);

	printf("result %d\n", rc);
	if (rc < 0) {
		printf("error %s\n", nsf_error_last());
	}
	printf("commit %s\n", nsf_policy_source_commit(s) ?
	    nsf_policy_source_commit(s) : "-");
	printf("domains %zu\n", p ? p->ndomains : (size_t)0);
	printf("rejected %s\n", nsf_policy_source_rejected_commit(s) ?
	    nsf_policy_source_rejected_commit(s) : "-");
	printf("rejected-error %s\n", nsf_policy_source_rejected_error(s) ?
	    nsf_policy_source_rejected_error(s) : "-");
	printf("reachable %s\n", nsf_policy_source_reachable(s) ? "yes" :
	    "no");
}

static int
cmd_policy(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ref", 1, NULL, 'r' }, { "path", 1, NULL, 'p' },
		{ "verify", 0, NULL, 'v' }, { "gpg-key", 1, NULL, 'k' },
		{ "gpg-fpr", 1, NULL, 'f' }, { "ssh-signers", 1, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct nsf_policy_source_opts o = { .url = argv[1],
	    .cache_dir = argv[2] };
	struct nsf_strv keys, fprs;
	struct nsf_policy_source *s = NULL;
	int c, rc;

	nsf_strv_init(&keys);
	nsf_strv_init(&fprs);
	o.gpg_key_files = &keys;
	o.gpg_fingerprints = &fprs;
	optind = 3;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'r': o.ref = optarg; break;
		case 'p': o.path = optarg; break;
		case 'v': o.verify_signatures = true; break;
		case 'k': nsf_strv_push(&keys, optarg); break;
		case 'f': nsf_strv_push(&fprs, optarg); break;
		case 's': o.ssh_allowed_signers = optarg; break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (nsf_policy_source_open(&s, &o) < 0) {
		fprintf(stderr, "gitctl: %s\n", nsf_error_last());
		return 1;
	}
	rc = nsf_policy_source_refresh(s, true, NULL);
	print_policy_status(s, rc);
	nsf_policy_source_free(s);
	nsf_strv_deinit(&keys);
	nsf_strv_deinit(&fprs);
	return 0;
}

int
main(int argc, char **argv)
{
	nsf_log_set_level_all(NSF_LOG_INFO);
	if (argc >= 4 && strcmp(argv[1], "record") == 0) {
		return cmd_record(argc - 1, argv + 1);
	}
	if (argc == 3 && strcmp(argv[1], "push") == 0) {
		return cmd_push(argc - 1, argv + 1);
	}
	if (argc == 4 && strcmp(argv[1], "state") == 0) {
		return cmd_state(argc - 1, argv + 1);
	}
	if (argc == 4 && strcmp(argv[1], "bench") == 0) {
		return cmd_bench(argc - 1, argv + 1);
	}
	if (argc >= 4 && strcmp(argv[1], "policy") == 0) {
		return cmd_policy(argc - 1, argv + 1);
	}
	fputs(usage, stderr);
	return 2;
}
