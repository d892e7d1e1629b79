/* log.h - one event a line, with the domain and the source as fields. */
#ifndef NSF_LOG_H
#define NSF_LOG_H

#include "nsf.h"

enum nsf_log_level {
	NSF_LOG_ERROR = 0,
	NSF_LOG_WARNING,
	NSF_LOG_NOTICE,
	NSF_LOG_INFO,
	NSF_LOG_DEBUG,
};

/* Where an event comes from; levels can be set per source. */
enum nsf_log_source {
	NSF_SRC_CONTROL = 0,    /* the daemon itself: start, stop, reload */
	NSF_SRC_POLICY,         /* policy source: fetch, load, reject */
	NSF_SRC_PROBE,          /* DNS prober and health verdicts */
	NSF_SRC_PLAN,           /* planner decisions */
	NSF_SRC_REGISTRY,       /* registry drivers */
	NSF_SRC_AUDIT,          /* state branch commits and pushes */
	NSF_SRC_NOTIFY,         /* webhooks */
	NSF_SRC_METRICS,        /* metrics endpoint */
	NSF_SRC_COUNT
};

enum nsf_log_format {
	NSF_LOG_PLAIN = 0,
	NSF_LOG_JSON,
};

void nsf_log_set_format(enum nsf_log_format fmt);
void nsf_log_set_level(enum nsf_log_source src, enum nsf_log_level level);
void nsf_log_set_level_all(enum nsf_log_level level);
int nsf_log_level_parse(enum nsf_log_level *out, const char *s);
int nsf_log_source_parse(enum nsf_log_source *out, const char *s);
const char *nsf_log_source_name(enum nsf_log_source src);
bool nsf_log_enabled(enum nsf_log_source src, enum nsf_log_level level);
/* Sends events to `fd` (default 2, standard error). */
void nsf_log_set_fd(int fd);

/*
 * Logs one event.  `domain` may be NULL.  The message is lower case, says
 * what happened and what happens next; never put a secret in it.
 * Plain:  2026-12-04T15:00:00.123Z warning registry [example.test] msg
 * JSON:   {"ts":"...","level":"warning","source":"registry",
 *          "domain":"example.test","msg":"..."}
 */
void nsf_log(enum nsf_log_level level, enum nsf_log_source src,
    const char *domain, const char *fmt, ...) NSF_PRINTF(4, 5);

#define nsf_err(src, dom, ...) nsf_log(NSF_LOG_ERROR, src, dom, __VA_ARGS__)
#define nsf_warn(src, dom, ...) \
	nsf_log(NSF_LOG_WARNING, src, dom, __VA_ARGS__)
#define nsf_notice(src, dom, ...) \
	nsf_log(NSF_LOG_NOTICE, src, dom, __VA_ARGS__)
#define nsf_info(src, dom, ...) nsf_log(NSF_LOG_INFO, src, dom, __VA_ARGS__)
#define nsf_debug(src, dom, ...) \
	nsf_log(NSF_LOG_DEBUG, src, dom, __VA_ARGS__)

#endif
