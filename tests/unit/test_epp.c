/* test_epp.c - the EPP driver's XML layer against the example frames in
 * $NSF_SHARED/epp/examples (server frames parsed, invalid ones rejected)
 * and its own commands against the official schemas. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <dirent.h>

#include <libxml/xmlschemas.h>

#include "../../providers/epp.h"

static const char *
shared(void)
{
	const char *s = getenv("NSF_SHARED");

	return s ? s : "../shared";
}

/* Reads examples/NAME; skips the test when the shared folder is absent. */
static char *
example(const char *name, size_t *len)
{
	char *path = nsf_xasprintf("%s/epp/examples/%s", shared(), name);
	char *data = NULL;

	if (nsf_file_read(&data, len, path, 1 << 20) < 0) {
		free(path);
		print_message("skipped: %s not found (set NSF_SHARED to the "
		    "shared folder)\n", name);
		skip();
	}
	free(path);
	return data;
}

static void
parse_example(struct nsf_epp_response *r, const char *name)
{
	size_t len;
	char *data = example(name, &len);

	nsf_epp_response_init(r);
	assert_int_equal(nsf_epp_response_parse(r, data, len, NULL), 0);
	free(data);
}

static void
test_epp_greeting_offers(void **state)
{
	struct nsf_epp_greeting g;
	size_t len;
	char *data = example("s-greeting.xml", &len);

	(void)state;
	nsf_epp_greeting_init(&g);
	assert_int_equal(nsf_epp_greeting_parse(&g, data, len), 0);
	assert_true(nsf_strv_contains(&g.obj_uris, NSF_EPP_NS_DOMAIN));
	assert_true(nsf_strv_contains(&g.obj_uris, NSF_EPP_NS_HOST));
	assert_true(nsf_strv_contains(&g.ext_uris, NSF_EPP_NS_SECDNS));
	assert_true(nsf_strv_contains(&g.versions, "1.0"));
	assert_string_equal(g.sv_id, "Test Registry EPP server");
	nsf_epp_greeting_deinit(&g);
	free(data);
}

/* Every valid server frame parses, and its result code is the one its
 * file name announces (s-err-2303-..., s-domain-update-1001, ...). */
static void
test_epp_response_parses_every_example(void **state)
{
	char *dir = nsf_xasprintf("%s/epp/examples", shared());
	DIR *d = opendir(dir);
	struct dirent *e;
	struct nsf_epp_response r;
	const char *p;
	int n = 0;

	(void)state;
	free(dir);
	if (d == NULL) {
		print_message("skipped: no examples folder\n");
		skip();
	}
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "s-", 2) != 0 ||
		    strcmp(e->d_name, "s-greeting.xml") == 0) {
			continue;
		}
		parse_example(&r, e->d_name);
		for (p = e->d_name; *p != '\0' && !(p[0] >= '1' &&
		    p[0] <= '2' && strspn(p, "0123456789") == 4); p++) {
		}
		assert_int_equal(r.code, atoi(p));
		assert_non_null(r.sv_trid);
		nsf_epp_response_deinit(&r);
		n++;
	}
	closedir(d);
	assert_true(n >= 20);
}

static void
info_example(struct nsf_epp_domain_info *di, const char *name)
{
	struct nsf_epp_response r;

	parse_example(&r, name);
	nsf_epp_domain_info_init(di);
	assert_int_equal(nsf_epp_domain_info_parse(di, &r), 0);
	nsf_epp_response_deinit(&r);
}

static void
test_epp_domain_info_host_objects(void **state)
{
	struct nsf_epp_domain_info di;

	(void)state;
	info_example(&di, "s-domain-info-1000.xml");
	assert_int_equal(di.deleg.ns.n, 2);
	assert_string_equal(di.deleg.ns.v[0], "ns1.provider-a.test");
	assert_int_equal(di.deleg.nds, 1);
	assert_int_equal(di.deleg.ds[0].keytag, 12345);
	assert_int_equal(di.deleg.ds[0].alg, 13);
	assert_true(nsf_strv_contains(&di.deleg.statuses,
	    "clientTransferProhibited"));
	assert_string_equal(di.cl_id, "nsfo-test");
	assert_false(di.host_attr);
	assert_null(nsf_delegation_blocking_status(&di.deleg));
	nsf_epp_domain_info_deinit(&di);
}

/* Same data under other prefixes and a default namespace: matched by
 * namespace URI, never by prefix. */
static void
test_epp_domain_info_other_prefixes(void **state)
{
	struct nsf_epp_domain_info di;

	(void)state;
	info_example(&di, "s-domain-info-1000-other-prefixes.xml");
	assert_int_equal(di.deleg.ns.n, 2);
	assert_string_equal(di.deleg.ns.v[1], "ns2.provider-a.test");
	assert_int_equal(di.deleg.nds, 1);
	assert_string_equal(di.deleg.ds[0].digest, "27DDD68AB71420A3D95B2715"
	    "2CEE83955DA06A5E96F94191958947F6D0B792D6");
	assert_string_equal(di.cl_id, "nsfo-test");
	nsf_epp_domain_info_deinit(&di);
}

static void
test_epp_domain_info_host_attributes(void **state)
{
	struct nsf_epp_domain_info di;

	(void)state;
	info_example(&di, "s-domain-info-1000-hostattr.xml");
	assert_true(di.host_attr);
	assert_int_equal(di.deleg.ns.n, 2);
	assert_string_equal(di.deleg.ns.v[0], "ns1.example.test");
	assert_string_equal(di.deleg.ns.v[1], "ns1.provider-a.test");
	/* glue of the in-domain name, as "name address" lines */
	assert_int_equal(di.deleg.glue.n, 2);
	assert_string_equal(di.deleg.glue.v[0], "ns1.example.test "
	    "192.0.2.53");
	assert_string_equal(di.deleg.glue.v[1], "ns1.example.test "
	    "2001:db8::53");
	nsf_epp_domain_info_deinit(&di);
}

static void
test_epp_domain_info_blocking_statuses(void **state)
{
	struct nsf_epp_domain_info di;

	(void)state;
	info_example(&di, "s-domain-info-1000-locked.xml");
	assert_string_equal(nsf_delegation_blocking_status(&di.deleg),
	    "clientUpdateProhibited");
	nsf_epp_domain_info_deinit(&di);
	info_example(&di, "s-domain-info-1000-rgp.xml");
	assert_string_equal(nsf_delegation_blocking_status(&di.deleg),
	    "pendingDelete");
	assert_int_equal(di.deleg.ns.n, 0);
	nsf_epp_domain_info_deinit(&di);
}

static void
test_epp_host_check_avail(void **state)
{
	struct nsf_epp_response r;
	struct nsf_strv avail;

	(void)state;
	parse_example(&r, "s-host-check-1000.xml");
	assert_int_equal(nsf_epp_host_check_parse(&avail, &r), 0);
	assert_int_equal(avail.n, 1);
	assert_string_equal(avail.v[0], "ns2.provider-b.test");
	nsf_strv_deinit(&avail);
	nsf_epp_response_deinit(&r);
}

static void
test_epp_host_info_addresses(void **state)
{
	struct nsf_epp_response r;
	struct nsf_strv addrs;

	(void)state;
	/* a host without addresses (an external one) */
	parse_example(&r, "s-host-info-1000-linked.xml");
	assert_int_equal(nsf_epp_host_info_parse(&addrs, &r), 0);
	assert_int_equal(addrs.n, 0);
	nsf_strv_deinit(&addrs);
	nsf_epp_response_deinit(&r);
	/* a host:check answer is no host:info answer */
	parse_example(&r, "s-host-check-1000.xml");
	assert_int_not_equal(nsf_epp_host_info_parse(&addrs, &r), 0);
	assert_non_null(strstr(nsf_error_last(), "host:infData"));
	nsf_epp_response_deinit(&r);
}

static void
test_epp_poll_pan_data(void **state)
{
	struct nsf_epp_response r;
	char *domain = NULL;
	bool ok = false;

	(void)state;
	parse_example(&r, "s-poll-1301-pan.xml");
	assert_string_equal(r.msgq_id, "MSG-4711");
	assert_int_equal(r.msgq_count, 1);
	assert_int_equal(nsf_epp_pan_parse(&domain, &ok, &r), 0);
	assert_string_equal(domain, "example.test");
	assert_true(ok);
	free(domain);
	nsf_epp_response_deinit(&r);
}

static void
test_epp_error_details(void **state)
{
	struct nsf_epp_response r;

	(void)state;
	parse_example(&r, "s-err-2304-clientUpdateProhibited.xml");
	assert_string_equal(r.status, "clientUpdateProhibited");
	assert_non_null(strstr(r.reason, "clientUpdateProhibited"));
	nsf_epp_response_deinit(&r);
	parse_example(&r, "s-err-2303-host-does-not-exist.xml");
	assert_string_equal(r.value, "ns2.provider-b.test");
	nsf_epp_response_deinit(&r);
	parse_example(&r, "s-err-2306-ns-count-policy.xml");
	assert_string_equal(r.value, "ns1.provider-b.test");
	assert_non_null(strstr(r.reason, "between 2 and 13"));
	nsf_epp_response_deinit(&r);
}

static void
test_epp_cltrid_must_match(void **state)
{
	struct nsf_epp_response r;
	size_t len;
	char *data = example("s-login-1000.xml", &len);

	(void)state;
	nsf_epp_response_init(&r);
	assert_int_equal(nsf_epp_response_parse(&r, data, len,
	    "NSFO-20260115T100000Z-0001"), 0);
	nsf_epp_response_deinit(&r);
	assert_int_not_equal(nsf_epp_response_parse(&r, data, len,
	    "NSFO-OTHER-0001"), 0);
	assert_non_null(strstr(nsf_error_last(), "NSFO-OTHER-0001"));
	free(data);
}

/* The negative fixtures: a status RFC 5731 does not define, a response
 * without svTRID, and a result code outside RFC 5730's list (read as a
 * number: x5xx, the session ends and the outcome is unknown). */
static void
test_epp_rejects_invalid_examples(void **state)
{
	struct nsf_epp_response r;
	struct nsf_epp_domain_info di;
	size_t len;
	char *data;

	(void)state;
	parse_example(&r, "invalid/s-domain-info-bad-status.xml");
	nsf_epp_domain_info_init(&di);
	assert_int_not_equal(nsf_epp_domain_info_parse(&di, &r), 0);
	assert_non_null(strstr(nsf_error_last(), "'locked'"));
	nsf_epp_response_deinit(&r);

	data = example("invalid/s-response-without-trid.xml", &len);
	nsf_epp_response_init(&r);
	assert_int_not_equal(nsf_epp_response_parse(&r, data, len, NULL), 0);
	assert_non_null(strstr(nsf_error_last(), "svTRID"));
	free(data);

	parse_example(&r, "invalid/s-result-code-2503.xml");
	assert_int_equal(r.code, 2503);
	assert_false(r.known_code);
	assert_int_equal(nsf_epp_result_class(r.code), NSF_APPLY_UNKNOWN);
	nsf_epp_response_deinit(&r);
}

static void
test_epp_rejects_non_epp_and_doctype(void **state)
{
	static const char dtd[] = "<?xml version=\"1.0\"?><!DOCTYPE epp ["
	    "<!ENTITY a \"aaaa\">]><epp xmlns=\"urn:ietf:params:xml:ns:"
	    "epp-1.0\"><response><result code=\"1000\"><msg>&a;</msg>"
	    "</result><trID><svTRID>X</svTRID></trID></response></epp>";
	static const char other[] = "<epp xmlns=\"urn:example:other\">"
	    "<response/></epp>";
	struct nsf_epp_response r;

	(void)state;
	nsf_epp_response_init(&r);
	assert_int_not_equal(nsf_epp_response_parse(&r, dtd, strlen(dtd),
	    NULL), 0);
	assert_int_not_equal(nsf_epp_response_parse(&r, other, strlen(other),
	    NULL), 0);
	assert_int_not_equal(nsf_epp_response_parse(&r, "<epp", 4, NULL), 0);
	/* the parser's own reason and line reach the message */
	assert_non_null(strstr(nsf_error_last(), "not well-formed XML "
	    "(line 1: "));
}

static void
test_epp_result_class_mapping(void **state)
{
	(void)state;
	assert_int_equal(nsf_epp_result_class(1000), NSF_APPLY_DONE);
	assert_int_equal(nsf_epp_result_class(1001), NSF_APPLY_PENDING);
	assert_int_equal(nsf_epp_result_class(2304), NSF_APPLY_REFUSED);
	assert_int_equal(nsf_epp_result_class(2201), NSF_APPLY_REFUSED);
	assert_int_equal(nsf_epp_result_class(2305), NSF_APPLY_REFUSED);
	assert_int_equal(nsf_epp_result_class(2306), NSF_APPLY_REFUSED);
	assert_int_equal(nsf_epp_result_class(2308), NSF_APPLY_REFUSED);
	assert_int_equal(nsf_epp_result_class(2400), NSF_APPLY_UNKNOWN);
	assert_int_equal(nsf_epp_result_class(2500), NSF_APPLY_UNKNOWN);
	assert_int_equal(nsf_epp_result_class(2502), NSF_APPLY_UNKNOWN);
	assert_int_equal(nsf_epp_result_class(2399), NSF_APPLY_UNKNOWN);
}

/* Validates a built command against epp-all.xsd. */
static void
assert_schema_valid(xmlDocPtr doc)
{
	char *xsd = nsf_xasprintf("%s/epp/xsd/epp-all.xsd", shared());
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(xsd);
	xmlSchemaPtr schema;
	xmlSchemaValidCtxtPtr vc;

	free(xsd);
	schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	if (schema == NULL) {
		print_message("skipped: schemas not found under %s\n",
		    shared());
		skip();
	}
	vc = xmlSchemaNewValidCtxt(schema);
	assert_int_equal(xmlSchemaValidateDoc(vc, doc), 0);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(schema);
}

static void
test_epp_update_escapes_and_validates(void **state)
{
	char *a1[] = { "192.0.2.53", "2001:db8::53" };
	struct nsf_nameserver in = { .name = "ns1.example.test",
		.addrs = a1, .naddrs = 2 };
	struct nsf_nameserver out = { .name = "ns1.xexample.test",
		.addrs = a1, .naddrs = 1 };
	const struct nsf_nameserver *add[] = { &in, &out };
	const char *rem[] = { "ns1.provider-a.test" };
	struct nsf_ds ds = { 1, 13, 2, (char *)"ABCDEF" };
	struct nsf_change chg = { .domain = "example.test", .add = add,
		.nadd = 2, .rem = rem, .nrem = 1, .ds_change = true,
		.ds_add = &ds, .nds_add = 1 };
	xmlDocPtr doc = nsf_epp_build_domain_update(&chg, true, "T<&>-1");
	char *xml = NULL;
	size_t len;

	(void)state;
	assert_int_equal(nsf_epp_doc_dump(&xml, &len, doc), 0);
	assert_non_null(strstr(xml, "T&lt;&amp;&gt;-1"));
	/* glue for the name inside the domain only (whole labels) */
	assert_non_null(strstr(xml, "<domain:hostAddr ip=\"v6\">"
	    "2001:db8::53</domain:hostAddr>"));
	assert_null(strstr(xml, "ns1.xexample.test</domain:hostName>"
	    "<domain:hostAddr"));
	assert_true(strstr(xml, "<domain:add>") < strstr(xml, "<domain:rem>"));
	assert_non_null(strstr(xml, "<secDNS:update"));
	free(xml);
	assert_schema_valid(doc);
	xmlFreeDoc(doc);
}

static void
test_epp_commands_validate(void **state)
{
	struct nsf_strv objs, exts;
	struct nsf_epp_login l = { "nsfo-test", "p&<w\"d-1", "1.0", "en",
		NULL, NULL };
	const char *names[] = { "ns1.provider-b.test", "ns2.provider-b.test" };
	char *addrs[] = { "198.51.100.53" };
	struct nsf_nameserver ns = { .name = "ns2.example.test",
		.addrs = addrs, .naddrs = 1 };
	struct nsf_strv add, rem;
	xmlDocPtr docs[9];
	size_t i;

	(void)state;
	nsf_strv_init(&objs);
	nsf_strv_init(&exts);
	nsf_strv_init(&add);
	nsf_strv_init(&rem);
	nsf_strv_push(&add, "2001:db8::99");
	nsf_strv_push(&rem, "192.0.2.54");
	nsf_strv_push(&objs, NSF_EPP_NS_DOMAIN);
	nsf_strv_push(&exts, NSF_EPP_NS_SECDNS);
	l.obj_uris = &objs;
	l.ext_uris = &exts;
	docs[0] = nsf_epp_build_login(&l, "NSFO-T-1");
	docs[1] = nsf_epp_build_hello();
	docs[2] = nsf_epp_build_domain_info("example.test", "NSFO-T-2");
	docs[3] = nsf_epp_build_host_check(names, 2, "NSFO-T-3");
	docs[4] = nsf_epp_build_host_create(&ns, true, "NSFO-T-4");
	docs[5] = nsf_epp_build_poll(NULL, "NSFO-T-5");
	docs[6] = nsf_epp_build_poll("MSG-1", "NSFO-T-6");
	docs[7] = nsf_epp_build_host_info("ns2.example.test", "NSFO-T-7");
	docs[8] = nsf_epp_build_host_update("ns2.example.test", &add, &rem,
	    "NSFO-T-8");
	for (i = 0; i < NSF_ARRAY_SIZE(docs); i++) {
		assert_schema_valid(docs[i]);
		xmlFreeDoc(docs[i]);
	}
	nsf_strv_deinit(&objs);
	nsf_strv_deinit(&exts);
	nsf_strv_deinit(&add);
	nsf_strv_deinit(&rem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epp_greeting_offers),
		cmocka_unit_test(test_epp_response_parses_every_example),
		cmocka_unit_test(test_epp_domain_info_host_objects),
		cmocka_unit_test(test_epp_domain_info_other_prefixes),
		cmocka_unit_test(test_epp_domain_info_host_attributes),
		cmocka_unit_test(test_epp_domain_info_blocking_statuses),
		cmocka_unit_test(test_epp_host_check_avail),
		cmocka_unit_test(test_epp_host_info_addresses),
		cmocka_unit_test(test_epp_poll_pan_data),
		cmocka_unit_test(test_epp_error_details),
		cmocka_unit_test(test_epp_cltrid_must_match),
		cmocka_unit_test(test_epp_rejects_invalid_examples),
		cmocka_unit_test(test_epp_rejects_non_epp_and_doctype),
		cmocka_unit_test(test_epp_result_class_mapping),
		cmocka_unit_test(test_epp_update_escapes_and_validates),
		cmocka_unit_test(test_epp_commands_validate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
