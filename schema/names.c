/* names.c - DNS names, IP addresses and did-you-mean hints for the loader. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <idn2.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NAME_MAX_OCTETS 253
#define LABEL_MAX_OCTETS 63

static bool
has_non_ascii(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s >= 0x80) {
			return true;
		}
	}
	return false;
}

/* Checks one label of an ASCII name against the LDH rule. */
static bool
label_ok(const char *l, size_t len, char *why, size_t whylen)
{
	size_t i;

	if (len == 0) {
		snprintf(why, whylen, "it has an empty label");
		return false;
	}
	if (len > LABEL_MAX_OCTETS) {
		snprintf(why, whylen, "label '%.*s' is %zu octets long "
		    "(at most %d)", (int)len, l, len, LABEL_MAX_OCTETS);
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)l[i];

		if (!isalnum(c) && c != '-') {
			snprintf(why, whylen, "label '%.*s' holds '%c' (only "
			    "letters, digits and '-' are allowed)", (int)len,
			    l, c);
			return false;
		}
	}
	if (l[0] == '-' || l[len - 1] == '-') {
		snprintf(why, whylen, "label '%.*s' starts or ends with '-'",
		    (int)len, l);
		return false;
	}
	return true;
}

static char *
ldh_check(char *s, char *why, size_t whylen)
{
	size_t len = strlen(s);
	char *p, *dot;

	if (len > 1 && s[len - 1] == '.') {
		s[--len] = '\0';
	}
	if (len == 0 || strcmp(s, ".") == 0) {
		snprintf(why, whylen, "it is empty");
		return NULL;
	}
	if (len > NAME_MAX_OCTETS) {
		snprintf(why, whylen, "it is %zu octets long (at most %d)",
		    len, NAME_MAX_OCTETS);
		return NULL;
	}
	for (p = s; p != NULL; p = dot ? dot + 1 : NULL) {
		dot = strchr(p, '.');

		if (!label_ok(p, dot ? (size_t)(dot - p) : strlen(p), why,
		    whylen)) {
			return NULL;
		}
	}
	for (p = s; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
	}
	return s;
}

/*
 * An ASCII label starting with "xn--" (the name is lower case by now)
 * claims to be an A-label: libidn2 decodes it and checks the Unicode it
 * stands for, so a made-up one such as "xn--zz" is refused like any
 * other invalid label.
 */
static bool
alabels_ok(const char *s, char *why, size_t whylen)
{
	const char *p, *dot;

	for (p = s; p != NULL; p = dot ? dot + 1 : NULL) {
		size_t len;
		char *label, *ace = NULL;
		int rc;

		dot = strchr(p, '.');
		len = dot ? (size_t)(dot - p) : strlen(p);
		if (len < 4 || strncmp(p, "xn--", 4) != 0) {
			continue;
		}
		label = nsf_xstrndup(p, len);
		rc = idn2_to_ascii_8z(label, &ace,
		    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		idn2_free(ace);
		if (rc != IDN2_OK) {
			snprintf(why, whylen, "label '%s' is not a valid "
			    "A-label: %s", label, idn2_strerror(rc));
			free(label);
			return false;
		}
		free(label);
	}
	return true;
}

char *
nsf_name_normalize(const char *in, char *why, size_t whylen)
{
	char *s;
	int rc;

	if (!has_non_ascii(in)) {
		s = nsf_xstrdup(in);
	} else {
		char *ace = NULL;

		rc = idn2_to_ascii_8z(in, &ace,
		    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK) {
			snprintf(why, whylen, "it is not a valid "
			    "internationalised name: %s", idn2_strerror(rc));
			return NULL;
		}
		s = nsf_xstrdup(ace);
		idn2_free(ace);
	}
	if (ldh_check(s, why, whylen) == NULL ||
	    !alabels_ok(s, why, whylen)) {
		free(s);
		return NULL;
	}
	return s;
}

bool
nsf_ip_parse(const char *s, char canon[64])
{
	unsigned char bin[16];
	char tmp[64];

	if (inet_pton(AF_INET, s, bin) == 1) {
		if (canon != NULL) {
			inet_ntop(AF_INET, bin, tmp, sizeof(tmp));
			strcpy(canon, tmp);
		}
		return true;
	}
	if (inet_pton(AF_INET6, s, bin) == 1) {
		if (canon != NULL) {
			inet_ntop(AF_INET6, bin, tmp, sizeof(tmp));
			strcpy(canon, tmp);
		}
		return true;
	}
	return false;
}

/* Optimal string alignment distance: insertions, deletions,
 * substitutions and swaps of neighbours ("mian" is one edit from
 * "main"), ignoring case. */
size_t
nsf_edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d;
	size_t *m;

	if ((la > lb ? la - lb : lb - la) > cap || la > 64 || lb > 64) {
		return cap + 1;
	}
	m = nsf_xmalloc((la + 1) * (lb + 1) * sizeof(*m));
#define M(x, y) m[(x) * (lb + 1) + (y)]
	for (i = 0; i <= la; i++) {
		M(i, 0) = i;
	}
	for (j = 0; j <= lb; j++) {
		M(0, j) = j;
	}
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);

			d = M(i - 1, j - 1) + (ca != cb);
			if (M(i - 1, j) + 1 < d) {
				d = M(i - 1, j) + 1;
			}
			if (M(i, j - 1) + 1 < d) {
				d = M(i, j - 1) + 1;
			}
			if (i > 1 && j > 1 && ca == tolower((unsigned char)
			    b[j - 2]) && tolower((unsigned char)a[i - 2]) ==
			    cb && M(i - 2, j - 2) + 1 < d) {
				d = M(i - 2, j - 2) + 1;
			}
			M(i, j) = d;
		}
	}
	d = M(la, lb);
#undef M
	free(m);
	return d > cap ? cap + 1 : d;
}

const char *
nsf_did_you_mean(const char *word, const char *const *cands, size_t ncands)
{
	size_t len = strlen(word), i, best_d;
	/* A third of the word may be wrong, at least one and at most three
	 * edits: close enough to be a typo, far enough not to guess. */
	size_t cap = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
	const char *best = NULL;

	best_d = cap + 1;
	for (i = 0; i < ncands; i++) {
		size_t d = nsf_edit_distance(word, cands[i], cap);

		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best;
}

uint16_t
nsf_rr_type_parse(const char *s)
{
	return (uint16_t)ldns_get_rr_type_by_name(s);
}

void
nsf_rr_type_name(char out[16], uint16_t type)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);

	if (d != NULL && d->_name != NULL) {
		snprintf(out, 16, "%s", d->_name);
	} else {
		snprintf(out, 16, "TYPE%u", type);
	}
}
