/* test_schema_load.c - valid policies load into the structures of policy.h. */
#include "schema_util.h"

static struct nsf_policy *
load_small(void)
{
	struct nsf_policy *p = NULL;
	struct nsf_diags d;
	int rc;

	nsf_diags_init(&d);
	rc = nsf_policy_load_path(&p, "examples/small/policy", &d);
	if (rc != 0) {
		char *t = diags_text(&d);

		print_error("%s\n%s\n", nsf_error_last(), t);
		free(t);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(d.nerrors, 0);
	nsf_diags_deinit(&d);
	return p;
}

static void
test_schema_load_small_example(void **state)
{
	struct nsf_policy *p = load_small();
	const struct nsf_domain *d;
	const struct nsf_provider *pr;

	(void)state;
	assert_int_equal(p->version, 1);
	assert_int_equal(p->ndomains, 4);
	assert_int_equal(p->nproviders, 5);
	assert_int_equal(p->nregistries, 3);
	assert_int_equal(p->nfiles, 4);
	assert_string_equal(p->files[0],
	    "examples/small/policy/00-defaults.yaml");
	/* sorted by name, IDN stored as its A-label */
	assert_string_equal(p->domains[0].name, "example.com");
	assert_string_equal(p->domains[1].name, "example.org");
	assert_string_equal(p->domains[2].name, "shop.example.net");
	assert_string_equal(p->domains[3].name, "xn--bcher-kva.example");

	pr = nsf_policy_provider(p, "provider-b");
	assert_non_null(pr);
	assert_int_equal(pr->nns, 2);
	assert_int_equal(pr->port, 53);
	assert_string_equal(pr->ns[1].name, "ns2.provider-b.example");
	assert_int_equal(pr->ns[1].naddrs, 2);
	assert_string_equal(pr->ns[1].addrs[0], "127.0.0.22");
	assert_string_equal(pr->ns[1].addrs[1], "2001:db8::22");
	assert_int_equal(nsf_policy_provider(p, "provider-c")->port, 5300);
	assert_null(nsf_policy_provider(p, "provider-x"));

	d = nsf_policy_domain(p, "EXAMPLE.com.");
	assert_non_null(d);
	assert_ptr_equal(d, &p->domains[0]);
	assert_string_equal(d->registry->name, "main");
	assert_string_equal(d->primary.label, "provider-a");
	assert_int_equal(d->primary.nproviders, 1);
	assert_int_equal(d->nbackups, 2);
	assert_string_equal(d->backups[0].label, "provider-b");
	assert_string_equal(d->backups[1].label, "provider-c+provider-d");
	assert_int_equal(d->backups[1].nproviders, 2);
	assert_string_equal(d->backups[1].providers[1]->name, "provider-d");
	assert_int_equal(d->backups[0].nds, 1);
	assert_string_equal(d->backups[0].ds[0], "12345 13 2 "
	    "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE3A9E4F2A5B1D2E3F4A5B6C7D");
	assert_int_equal(d->mode, NSF_MODE_FAILOVER);
	/* overrides merge key by key over the defaults */
	assert_int_equal(d->health.fail_after, 2);
	assert_int_equal(d->health.recover_after, 5);
	assert_int_equal(d->health.interval_ms, 10000);
	assert_int_equal(d->health.timeout_ms, 2000);
	assert_int_equal(d->health.retries, 1);
	assert_int_equal(d->health.quorum, 0);
	assert_int_equal(d->failback.mode, NSF_FAILBACK_AUTO);
	assert_int_equal(d->failback.hold_down_ms, 30 * 60 * 1000);
	assert_int_equal(d->flap.max_changes, 4);
	assert_int_equal(d->flap.window_ms, 3600 * 1000);
	assert_int_equal(d->readiness.mode, NSF_READY_SERIAL);
	assert_int_equal(d->drift, NSF_DRIFT_REPORT);
	assert_false(d->suspend);
	assert_null(d->pin);
	assert_int_equal(d->pos.line, 4);
	assert_int_equal(d->pos.col, 3);
	assert_string_equal(d->pos.file,
	    "examples/small/policy/domains.yaml");
	nsf_policy_free(p);
}

static void
test_schema_load_small_registries(void **state)
{
	struct nsf_policy *p = load_small();
	const struct nsf_registry *r;

	(void)state;
	r = nsf_policy_registry(p, "main");
	assert_int_equal(r->type, NSF_REGISTRY_EPP);
	assert_string_equal(r->server.host, "epp.registry.example");
	assert_int_equal(r->server.port, 700);
	assert_string_equal(r->credentials, "main");
	assert_int_equal(r->min_ns, 2);
	assert_int_equal(r->max_ns, 13);
	assert_int_equal(r->timeout_ms, 30000);
	assert_int_equal(r->host_model, NSF_HOST_AUTO);
	assert_int_equal(r->nverify, 2);
	assert_string_equal(r->verify[0].host, "127.0.0.53");
	assert_int_equal(r->verify[0].port, 53);
	assert_int_equal(r->verify[1].port, 5353);

	r = nsf_policy_registry(p, "parent");
	assert_int_equal(r->type, NSF_REGISTRY_DNS_UPDATE);
	assert_string_equal(r->server.host, "127.0.0.2");
	assert_int_equal(r->server.port, 53);
	assert_string_equal(r->zone, "example.net");
	assert_string_equal(r->credentials, "parent-tsig");

	r = nsf_policy_registry(p, "custom");
	assert_int_equal(r->type, NSF_REGISTRY_EXEC);
	assert_int_equal(r->ncommand, 3);
	assert_string_equal(r->command[0], "/usr/local/bin/registrar-hook");
	assert_null(r->command[3]);
	assert_null(r->credentials);
	nsf_policy_free(p);
}

static void
test_schema_load_small_domains(void **state)
{
	struct nsf_policy *p = load_small();
	const struct nsf_domain *d;

	(void)state;
	d = nsf_policy_domain(p, "shop.example.net");
	assert_int_equal(d->mode, NSF_MODE_PRUNE);
	assert_string_equal(d->primary.label, "provider-a+provider-b");
	assert_int_equal(d->nbackups, 0);
	assert_int_equal(d->drift, NSF_DRIFT_CORRECT);

	d = nsf_policy_domain(p, "example.org");
	assert_int_equal(d->failback.mode, NSF_FAILBACK_MANUAL);
	assert_int_equal(d->readiness.mode, NSF_READY_RECORDS);
	assert_int_equal(d->readiness.nrecords, 2);
	assert_string_equal(d->readiness.records[0].name,
	    "_version.example.org");
	assert_int_equal(d->readiness.records[0].type, 16);     /* TXT */
	assert_string_equal(d->readiness.records[1].name, "example.org");
	assert_int_equal(d->readiness.records[1].type, 15);     /* MX */

	d = nsf_policy_domain(p, "bücher.example");
	assert_non_null(d);
	assert_ptr_equal(d, nsf_policy_domain(p, "xn--bcher-kva.example"));
	assert_ptr_equal(d->pin, &d->backups[0]);
	assert_string_equal(d->registry->name, "custom");

	assert_int_equal(p->ncanaries, 2);
	assert_int_equal(p->canary_min_ok, 1);
	assert_string_equal(p->canaries[0].server.host, "127.0.0.9");
	assert_string_equal(p->canaries[0].qname, ".");
	assert_int_equal(p->canaries[0].qtype, 6);
	assert_string_equal(p->canaries[1].server.host, "::1");
	assert_int_equal(p->canaries[1].server.port, 5353);
	nsf_policy_free(p);
}

static void
test_schema_load_group_nameservers(void **state)
{
	struct nsf_policy *p = load_small();
	const struct nsf_domain *d = nsf_policy_domain(p, "example.com");
	struct nsf_strv ns;

	(void)state;
	nsf_group_nameservers(&ns, &d->backups[1]);
	assert_int_equal(ns.n, 4);
	assert_string_equal(ns.v[0], "ns1.provider-c.example");
	assert_string_equal(ns.v[1], "ns1.provider-d.example");
	assert_string_equal(ns.v[3], "ns2.provider-d.example");
	nsf_strv_deinit(&ns);
	nsf_policy_free(p);
}

static void
test_schema_load_builtin_defaults(void **state)
{
	struct nsf_policy *p;
	const struct nsf_domain *d;

	(void)state;
	p = expect_valid(BASE_POLICY "domains:\n  example.com:\n"
	    "    registry: main\n    primary: provider-a\n"
	    "    backups: provider-b\n", NULL);
	d = &p->domains[0];
	assert_int_equal(d->mode, NSF_MODE_FAILOVER);
	assert_int_equal(d->health.interval_ms, 10000);
	assert_int_equal(d->health.timeout_ms, 2000);
	assert_int_equal(d->health.retries, 1);
	assert_int_equal(d->health.fail_after, 3);
	assert_int_equal(d->health.recover_after, 5);
	assert_int_equal(d->failback.hold_down_ms, 15 * 60 * 1000);
	assert_int_equal(d->flap.max_changes, 4);
	assert_int_equal(d->nbackups, 1);
	assert_string_equal(d->backups[0].label, "provider-b");
	assert_int_equal(p->canary_min_ok, 1);
	assert_int_equal(p->ncanaries, 0);
	nsf_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_load_small_example),
		cmocka_unit_test(test_schema_load_small_registries),
		cmocka_unit_test(test_schema_load_small_domains),
		cmocka_unit_test(test_schema_load_group_nameservers),
		cmocka_unit_test(test_schema_load_builtin_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
