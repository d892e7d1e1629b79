/* plan_format.h - how `plan` and `status` show plans: text for a terminal,
 * markdown for a pull-request comment, JSON for programs.  Works on plans
 * however they were produced; reads only what it is given. */
#ifndef NSF_PLAN_FORMAT_H
#define NSF_PLAN_FORMAT_H

#include <jansson.h>

#include "plan.h"

/* One domain's line in a report.  Everything but `domain` may be NULL. */
struct nsf_plan_report {
	const char *domain;
	const struct nsf_plan *plan;    /* NULL when `error` says why not */
	const struct nsf_delegation *observed;
	const struct nsf_provider_view *views;
	size_t nviews;
	const struct nsf_domain_state *last;    /* shown with NSF_FMT_STATUS */
	uint32_t child_ns_ttl;  /* the zone's own NS TTL, seconds; 0 unknown */
	const char *error;      /* the domain could not be planned */
};

enum nsf_plan_format {
	NSF_FORMAT_TEXT = 0,
	NSF_FORMAT_MARKDOWN,
	NSF_FORMAT_JSON,
};

/* Flags for the formatters. */
#define NSF_FMT_STATUS 0x1      /* add last change, pending intent and the
				 * time a switch needs to take effect */
#define NSF_FMT_ALL 0x2         /* text/markdown: list idle domains too */

struct nsf_plan_summary {
	size_t domains;
	size_t changes;         /* would be applied now */
	size_t held;            /* a change wanted but held */
	size_t attention;       /* no change, yet a hold, drift or a blocking
				 * status worth a look */
	size_t idle;            /* nothing to say */
	size_t errors;
};

/* "text", "markdown" (or "md"), "json"; NSF_EINVAL otherwise. */
int nsf_plan_format_parse(enum nsf_plan_format *out, const char *name);
void nsf_plan_summarize(struct nsf_plan_summary *out,
    const struct nsf_plan_report *r, size_t n);
/* What `plan` exits with: 1 if a domain failed, 2 if a change would be
 * applied, 0 otherwise. */
int nsf_plan_exit_code(const struct nsf_plan_report *r, size_t n);

void nsf_plan_format_text(struct nsf_buf *out,
    const struct nsf_plan_report *r, size_t n, unsigned flags);
void nsf_plan_format_markdown(struct nsf_buf *out,
    const struct nsf_plan_report *r, size_t n, unsigned flags);
void nsf_plan_format_json(struct nsf_buf *out,
    const struct nsf_plan_report *r, size_t n, unsigned flags);
/* One domain as a JSON object (new reference), to embed elsewhere. */
json_t *nsf_plan_report_json(const struct nsf_plan_report *r,
    unsigned flags);
/* Dispatches on `fmt`. */
void nsf_plan_format(struct nsf_buf *out, enum nsf_plan_format fmt,
    const struct nsf_plan_report *r, size_t n, unsigned flags);

#endif
