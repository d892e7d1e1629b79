/* notify.c - webhook delivery: one thread and one bounded queue per
 * receiver, so a receiver that hangs or refuses delays only itself. */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify.h"
#include "../reconciler/log.h"
#include "../reconciler/metrics.h"

#define QUEUE_DEFAULT 256
#define BACKOFF_MAX_MS (60 * 1000)

static const char *const event_names[NSF_EVENT_COUNT] = {
	"failover", "failback", "refused", "pending", "drift", "blocked",
	"policy-rejected",
};

/* One event rendered for one receiver. */
struct item {
	char *body;
	char *domain;           /* for logs; may be NULL */
	enum nsf_event type;
	char id[40];            /* X-Nsfailover-Delivery, same on retries */
};

struct target {
	char *name;
	char *url;
	char *key;              /* HMAC key or NULL; wiped on free */
	enum nsf_webhook_format format;
	unsigned events;
	uint64_t timeout_ms;
	unsigned retries;
	uint64_t backoff_ms;

	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;    /* work queued, or stop */
	struct item *ring;      /* `cap` slots, `len` used from `head` */
	size_t head, len, cap;
	bool busy;              /* an item is out of the queue, in flight */
	atomic_bool stop;       /* abort transfers and backoff, then exit */
};

struct nsf_notify {
	struct target *t;
	size_t n;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static atomic_uint_fast64_t delivery_seq;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *
nsf_event_name(enum nsf_event ev)
{
	return ev < NSF_EVENT_COUNT ? event_names[ev] : "unknown";
}

int
nsf_event_parse(enum nsf_event *out, const char *s)
{
	size_t i;

	for (i = 0; i < NSF_EVENT_COUNT; i++) {
		if (strcmp(s, event_names[i]) == 0) {
			*out = (enum nsf_event)i;
			return 0;
		}
	}
	return nsf_error_set(NSF_EINVAL, "unknown event '%s' (use failover, "
	    "failback, refused, pending, drift, blocked or "
	    "policy-rejected)", s);
}

static void
put_field(struct nsf_buf *b, const char *key, const char *value)
{
	nsf_buf_printf(b, ",\"%s\":", key);
	if (value == NULL) {
		nsf_buf_puts(b, "null");
	} else {
		nsf_buf_put_json_string(b, value);
	}
}

/* "failover of example.com from a to b: reason (policy 1a2b3c4d)" */
static void
slack_text(struct nsf_buf *t, const struct nsf_event_info *ev)
{
	nsf_buf_printf(t, "nsfailover: %s", nsf_event_name(ev->type));
	if (ev->domain != NULL) {
		nsf_buf_printf(t, " of %s", ev->domain);
	}
	if (ev->from != NULL) {
		nsf_buf_printf(t, " from %s", ev->from);
	}
	if (ev->to != NULL) {
		nsf_buf_printf(t, " to %s", ev->to);
	}
	if (ev->reason != NULL) {
		nsf_buf_printf(t, ": %s", ev->reason);
	}
	if (ev->policy_commit != NULL) {
		nsf_buf_printf(t, " (policy %.12s)", ev->policy_commit);
	}
}

/* Slack reads &, < and > in a message as markup (<url|label>, entities):
 * a reason such as "<none> answered" must come through as written. */
static char *
slack_escape(const char *s)
{
	struct nsf_buf b;

	nsf_buf_init(&b);
	for (; *s != '\0'; s++) {
		if (*s == '&') {
			nsf_buf_puts(&b, "&amp;");
		} else if (*s == '<') {
			nsf_buf_puts(&b, "&lt;");
		} else if (*s == '>') {
			nsf_buf_puts(&b, "&gt;");
		} else {
			nsf_buf_put(&b, s, 1);
		}
	}
	if (b.data == NULL) {
		nsf_buf_puts(&b, "");
	}
	return nsf_buf_detach(&b);
}

void
nsf_notify_body(struct nsf_buf *out, enum nsf_webhook_format format,
    const struct nsf_event_info *ev)
{
	struct nsf_buf text;
	char *when, *escaped;

	if (format == NSF_WEBHOOK_SLACK) {
		nsf_buf_init(&text);
		slack_text(&text, ev);
		escaped = slack_escape(text.data);
		nsf_buf_puts(out, "{\"text\":");
		nsf_buf_put_json_string(out, escaped);
		free(escaped);
		nsf_buf_puts(out, "}");
		nsf_buf_deinit(&text);
		return;
	}
	when = nsf_time_format(ev->time_ms ? ev->time_ms : nsf_now_ms());
	nsf_buf_puts(out, "{\"event\":");
	nsf_buf_put_json_string(out, nsf_event_name(ev->type));
	put_field(out, "domain", ev->domain);
	put_field(out, "from", ev->from);
	put_field(out, "to", ev->to);
	put_field(out, "reason", ev->reason);
	put_field(out, "time", when);
	put_field(out, "policy_commit", ev->policy_commit);
	nsf_buf_puts(out, "}");
	free(when);
}

void
nsf_notify_signature(char out[72], const char *key, const char *body,
    size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;

	HMAC(EVP_sha256(), key, (int)strlen(key),
	    (const unsigned char *)body, len, mac, &maclen);
	memcpy(out, "sha256=", 7);
	for (i = 0; i < maclen && i < 32; i++) {
		snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
	}
	out[7 + 2 * i] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
}

static void
item_free(struct item *it)
{
	free(it->body);
	free(it->domain);
	memset(it, 0, sizeof(*it));
}

/* Gives up the oldest waiting event to make room; lock held. */
static void
drop_oldest(struct target *t)
{
	struct item *old = &t->ring[t->head];

	nsf_warn(NSF_SRC_NOTIFY, old->domain, "webhook '%s': queue full "
	    "(%zu), dropping the oldest %s event", t->name, t->cap,
	    nsf_event_name(old->type));
	item_free(old);
	t->head = (t->head + 1) % t->cap;
	t->len--;
	nsf_metrics_notification(t->name, "dropped");
}

static void
enqueue(struct target *t, const struct nsf_event_info *ev)
{
	struct item it = { 0 };
	struct nsf_buf body;
	size_t len;

	nsf_buf_init(&body);
	nsf_notify_body(&body, t->format, ev);
	it.body = nsf_buf_detach(&body);
	it.domain = ev->domain ? nsf_xstrdup(ev->domain) : NULL;
	it.type = ev->type;
	snprintf(it.id, sizeof(it.id), "%lld-%llu",
	    (long long)nsf_now_ms(),
	    (unsigned long long)atomic_fetch_add(&delivery_seq, 1));

	pthread_mutex_lock(&t->lock);
	if (t->len == t->cap) {
		drop_oldest(t);
	}
	t->ring[(t->head + t->len) % t->cap] = it;
	t->len++;
	len = t->len;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	nsf_metrics_notify_queue(t->name, len);
}

void
nsf_notify_send(struct nsf_notify *n, const struct nsf_event_info *ev)
{
	size_t i;

	if (n == NULL || ev->type >= NSF_EVENT_COUNT) {
		return;
	}
	for (i = 0; i < n->n; i++) {
		if (n->t[i].events & (1u << ev->type)) {
			enqueue(&n->t[i], ev);
		}
	}
}

size_t
nsf_notify_pending(struct nsf_notify *n)
{
	size_t i, total = 0;

	for (i = 0; n != NULL && i < n->n; i++) {
		pthread_mutex_lock(&n->t[i].lock);
		total += n->t[i].len + (n->t[i].busy ? 1 : 0);
		pthread_mutex_unlock(&n->t[i].lock);
	}
	return total;
}

static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* Aborts a transfer in flight once the notifier is stopping. */
static int
check_stop(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct target *t = arg;

	return atomic_load(&t->stop) ? 1 : 0;
}

static struct curl_slist *
make_headers(const struct target *t, const struct item *it)
{
	struct curl_slist *h = NULL;
	char sig[72], line[128];

	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "User-Agent: nsfailover/" NSF_VERSION);
	h = curl_slist_append(h, "Expect:");
	snprintf(line, sizeof(line), "X-Nsfailover-Event: %s",
	    nsf_event_name(it->type));
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "X-Nsfailover-Delivery: %s", it->id);
	h = curl_slist_append(h, line);
	if (t->key != NULL) {
		nsf_notify_signature(sig, t->key, it->body, strlen(it->body));
		snprintf(line, sizeof(line), "X-Nsfailover-Signature: %s",
		    sig);
		h = curl_slist_append(h, line);
	}
	return h;
}

/* One HTTP POST.  Returns 0 when delivered, 1 when worth retrying, -1
 * when the receiver refused it for good (a 4xx other than 408 and 429);
 * `why` says what happened. */
static int
attempt(struct target *t, CURL *c, const struct item *it, char *why,
    size_t whylen)
{
	struct curl_slist *h = make_headers(t, it);
	CURLcode rc;
	long code = 0;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, t->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(it->body));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)t->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)t->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_stop);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
	rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return 1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	snprintf(why, whylen, "HTTP %ld", code);
	if (code >= 200 && code < 300) {
		return 0;
	}
	if (code >= 400 && code < 500 && code != 408 && code != 429) {
		return -1;
	}
	return 1;
}

/* Sleeps for the backoff unless told to stop; returns false on stop. */
static bool
backoff_wait(struct target *t, uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->lock);
	while (!atomic_load(&t->stop)) {
		if (pthread_cond_timedwait(&t->cond, &t->lock, &ts) != 0) {
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return !atomic_load(&t->stop);
}

static void
deliver(struct target *t, CURL *c, const struct item *it)
{
	uint64_t wait = t->backoff_ms ? t->backoff_ms : 1000;
	char why[CURL_ERROR_SIZE + 32];
	unsigned try;
	int rc = 1;

	for (try = 0; try <= t->retries && !atomic_load(&t->stop); try++) {
		rc = attempt(t, c, it, why, sizeof(why));
		if (rc <= 0) {
			break;
		}
		if (try < t->retries) {
			nsf_warn(NSF_SRC_NOTIFY, it->domain, "webhook '%s': "
			    "%s event not delivered (%s); try %u of %u in "
			    "%llu ms", t->name, nsf_event_name(it->type), why,
			    try + 2, t->retries + 1,
			    (unsigned long long)wait);
			if (!backoff_wait(t, wait)) {
				break;
			}
			wait = wait * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			    wait * 2;
		}
	}
	if (rc == 0) {
		nsf_debug(NSF_SRC_NOTIFY, it->domain, "webhook '%s': %s event "
		    "delivered", t->name, nsf_event_name(it->type));
		nsf_metrics_notification(t->name, "delivered");
		return;
	}
	nsf_err(NSF_SRC_NOTIFY, it->domain, "webhook '%s': giving up on the "
	    "%s event (%s)", t->name, nsf_event_name(it->type),
	    atomic_load(&t->stop) ? "shutting down" : why);
	nsf_metrics_notification(t->name, "failed");
}

static void *
worker(void *arg)
{
	struct target *t = arg;
	struct item it;
	size_t len;
	CURL *c = curl_easy_init();

	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (t->len == 0 && !atomic_load(&t->stop)) {
			pthread_cond_wait(&t->cond, &t->lock);
		}
		if (atomic_load(&t->stop)) {
			break;
		}
		it = t->ring[t->head];
		memset(&t->ring[t->head], 0, sizeof(it));
		t->head = (t->head + 1) % t->cap;
		len = --t->len;
		t->busy = true;
		pthread_mutex_unlock(&t->lock);

		nsf_metrics_notify_queue(t->name, len);
		if (c != NULL) {
			deliver(t, c, &it);
		}
		item_free(&it);

		pthread_mutex_lock(&t->lock);
		t->busy = false;
	}
	pthread_mutex_unlock(&t->lock);
	curl_easy_cleanup(c);
	return NULL;
}

static void
target_deinit(struct target *t)
{
	size_t i;

	if (t->started) {
		pthread_join(t->thread, NULL);
	}
	if (t->len > 0) {
		nsf_warn(NSF_SRC_NOTIFY, NULL, "webhook '%s': %zu event(s) "
		    "not sent at shutdown", t->name, t->len);
	}
	for (i = 0; i < t->len; i++) {
		item_free(&t->ring[(t->head + i) % t->cap]);
	}
	free(t->ring);
	if (t->key != NULL) {
		OPENSSL_cleanse(t->key, strlen(t->key));
		free(t->key);
	}
	free(t->name);
	free(t->url);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
}

static int
target_init(struct target *t, const struct nsf_notify_target *src,
    size_t cap)
{
	t->name = nsf_xstrdup(src->name ? src->name : "webhook");
	t->url = nsf_xstrdup(src->url ? src->url : "");
	t->key = src->hmac_key ? nsf_xstrdup(src->hmac_key) : NULL;
	t->format = src->format;
	t->events = src->events;
	t->timeout_ms = src->timeout_ms ? src->timeout_ms : 5000;
	t->retries = src->retries;
	t->backoff_ms = src->backoff_ms;
	t->cap = cap;
	t->ring = nsf_xcalloc(cap, sizeof(*t->ring));
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	atomic_init(&t->stop, false);
	if (pthread_create(&t->thread, NULL, worker, t) != 0) {
		return nsf_error_set(NSF_ERROR, "webhook '%s': cannot start "
		    "its delivery thread", t->name);
	}
	t->started = true;
	nsf_metrics_notify_queue(t->name, 0);
	return 0;
}

int
nsf_notify_new(struct nsf_notify **out,
    const struct nsf_notify_target *targets, size_t ntargets,
    size_t queue_max)
{
	struct nsf_notify *n;
	size_t i;
	int rc = 0;

	pthread_once(&curl_once, curl_init_once);
	n = nsf_xcalloc(1, sizeof(*n));
	n->t = nsf_xcalloc(ntargets ? ntargets : 1, sizeof(*n->t));
	for (i = 0; i < ntargets && rc == 0; i++) {
		rc = target_init(&n->t[i], &targets[i],
		    queue_max ? queue_max : QUEUE_DEFAULT);
		n->n = i + 1;
	}
	if (rc < 0) {
		nsf_notify_free(n, 0);
		return rc;
	}
	*out = n;
	return 0;
}

void
nsf_notify_free(struct nsf_notify *n, uint64_t drain_ms)
{
	int64_t deadline;
	struct timespec pause = { 0, 20 * 1000000L };
	size_t i;

	if (n == NULL) {
		return;
	}
	deadline = nsf_mono_ms() + (int64_t)drain_ms;
	while (nsf_notify_pending(n) > 0 && nsf_mono_ms() < deadline) {
		nanosleep(&pause, NULL);
	}
	for (i = 0; i < n->n; i++) {
		pthread_mutex_lock(&n->t[i].lock);
		atomic_store(&n->t[i].stop, true);
		pthread_cond_broadcast(&n->t[i].cond);
		pthread_mutex_unlock(&n->t[i].lock);
	}
	for (i = 0; i < n->n; i++) {
		target_deinit(&n->t[i]);
	}
	free(n->t);
	free(n);
}
