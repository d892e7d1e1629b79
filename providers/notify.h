/* notify.h - webhooks on failover, failback and other events, delivered
 * on their own threads so a dead receiver never delays a failover. */
#ifndef NSF_NOTIFY_H
#define NSF_NOTIFY_H

#include "../reconciler/nsf.h"

/* What happened.  The names (nsf_event_name) appear in the JSON body, in
 * the configuration's `events:` lists and in metric labels. */
enum nsf_event {
	NSF_EVENT_FAILOVER = 0, /* "failover": moved to a backup group */
	NSF_EVENT_FAILBACK,     /* "failback": back to the primary */
	NSF_EVENT_REFUSED,      /* "refused": a change a guard refused */
	NSF_EVENT_PENDING,      /* "pending": the registry holds a change */
	NSF_EVENT_DRIFT,        /* "drift": live delegation not ours */
	NSF_EVENT_BLOCKED,      /* "blocked": a registry lock would block a
				 * failover (clientUpdateProhibited, ...) */
	NSF_EVENT_POLICY_REJECTED,      /* "policy-rejected": a policy commit
					 * failed validation; the old one
					 * stays in force */
	NSF_EVENT_COUNT
};

#define NSF_EVENT_ALL ((1u << NSF_EVENT_COUNT) - 1)

const char *nsf_event_name(enum nsf_event ev);
int nsf_event_parse(enum nsf_event *out, const char *s);

enum nsf_webhook_format {
	NSF_WEBHOOK_JSON = 0,   /* our JSON document, see nsf_notify_body */
	NSF_WEBHOOK_SLACK,      /* {"text": "..."} for Slack-compatible
				 * incoming webhooks */
};

/* One receiver.  Strings are copied by nsf_notify_new. */
struct nsf_notify_target {
	const char *name;       /* metric label and log field */
	const char *url;        /* http:// or https:// */
	enum nsf_webhook_format format;
	const char *hmac_key;   /* NULL: no X-Nsfailover-Signature header */
	unsigned events;        /* bit mask of 1u << enum nsf_event */
	uint64_t timeout_ms;    /* whole attempt, connect included */
	unsigned retries;       /* attempts after the first */
	uint64_t backoff_ms;    /* wait before the first retry; doubles up
				 * to 60 s; 0 = 1 s */
};

/* The event to send.  Strings are copied; any may be NULL. */
struct nsf_event_info {
	enum nsf_event type;
	const char *domain;     /* NULL for policy-rejected */
	const char *from;       /* group label or NS set before */
	const char *to;         /* group label or NS set wanted */
	const char *reason;     /* one line, for people */
	const char *policy_commit;      /* hex id of the policy in force */
	int64_t time_ms;        /* epoch ms; 0 = now */
};

struct nsf_notify;

/* Starts one delivery thread per target; `queue_max` bounds each target's
 * queue (0 = 256): when it is full the oldest waiting event is dropped and
 * counted (nsfailover_notifications_total{result="dropped"}). */
int nsf_notify_new(struct nsf_notify **out,
    const struct nsf_notify_target *targets, size_t ntargets,
    size_t queue_max);

/*
 * Queues the event for every target that subscribed to its type and
 * returns at once: it takes one short lock per target and never waits for
 * the network.  Safe to call with n == NULL (no webhooks configured).
 */
void nsf_notify_send(struct nsf_notify *n, const struct nsf_event_info *ev);

/* Events waiting or in flight, over all targets (tests, shutdown). */
size_t nsf_notify_pending(struct nsf_notify *n);

/*
 * Stops delivery: waits up to `drain_ms` for the queues to empty, then
 * aborts transfers in flight, joins the threads and frees everything.
 * Safe with n == NULL.
 */
void nsf_notify_free(struct nsf_notify *n, uint64_t drain_ms);

/* Renders the request body for one target's format (tests, docs). */
void nsf_notify_body(struct nsf_buf *out, enum nsf_webhook_format format,
    const struct nsf_event_info *ev);
/* "sha256=<64 lower-case hex>" over body with key, into out. */
void nsf_notify_signature(char out[72], const char *key, const char *body,
    size_t len);

#endif
