/* dnsupdate.h - the RFC 2136 driver's internals that unit tests reach. */
#ifndef NSF_DNSUPDATE_H
#define NSF_DNSUPDATE_H

#include <ldns/ldns.h>

#include "registry.h"

/*
 * Builds the UPDATE message for one change (unsigned; TSIG is added on the
 * wire).  `ttl` is the TTL for the records added (seconds).
 * `parent_glue` lists the nameservers being added that lie inside the
 * parent zone but outside the domain and for which the parent holds no
 * address yet: their policy addresses are added under the prerequisite
 * that no such address RRset exists, so nothing is ever overwritten.
 * Returns NULL with the error set when a name or value is invalid.
 */
NSF_STATIC ldns_pkt *dnsupdate_build(const char *zone,
    const struct nsf_change *chg, uint32_t ttl,
    const struct nsf_strv *parent_glue);

/* Maps an UPDATE's rcode (and the TSIG error the server reported, 0 when
 * none) onto an outcome; the message names the key, never its secret. */
NSF_STATIC void dnsupdate_map_rcode(struct nsf_outcome *out, int rcode,
    uint16_t tsig_error, const char *key_name, const char *server);

#endif
