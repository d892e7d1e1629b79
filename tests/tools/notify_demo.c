/* notify_demo.c - test driver: starts the notifier with the receivers
 * given on the command line and sends the events read from standard
 * input, timing each nsf_notify_send call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../providers/notify.h"
#include "../../reconciler/log.h"
#include "../../reconciler/metrics.h"

static const char usage_text[] =
    "usage: notify_demo [-q QUEUE] NAME=URL[,key=K][,format=slack]"
    "[,timeout=MS][,retries=N][,backoff=MS][,events=a+b] ...\n"
    "commands on stdin:\n"
    "  send EVENT DOMAIN FROM TO REASON...  prints 'sent US' (the time\n"
    "                                       nsf_notify_send took)\n"
    "  wait SECONDS    until nothing is pending; prints 'pending N'\n"
    "  metrics         prints the nsfailover_notification* lines\n"
    "  quit [DRAIN_MS] stops; prints 'stopped MS'\n";

/* Fills one target from "name=url,key=value,..."; strings point into
 * `spec`, which is modified. */
static int
parse_target(struct nsf_notify_target *t, char *spec)
{
	char *save, *opt, *eq = strchr(spec, '=');
	enum nsf_event ev;
	char *e, *s2;

	if (eq == NULL) {
		return -1;
	}
	*eq = '\0';
	t->name = spec;
	t->url = strtok_r(eq + 1, ",", &save);
	t->events = NSF_EVENT_ALL;
	while ((opt = strtok_r(NULL, ",", &save)) != NULL) {
		if (strncmp(opt, "key=", 4) == 0) {
			t->hmac_key = opt + 4;
		} else if (strcmp(opt, "format=slack") == 0) {
			t->format = NSF_WEBHOOK_SLACK;
		} else if (strncmp(opt, "timeout=", 8) == 0) {
			t->timeout_ms = strtoull(opt + 8, NULL, 10);
		} else if (strncmp(opt, "retries=", 8) == 0) {
			t->retries = (unsigned)strtoul(opt + 8, NULL, 10);
		} else if (strncmp(opt, "backoff=", 8) == 0) {
			t->backoff_ms = strtoull(opt + 8, NULL, 10);
		} else if (strncmp(opt, "events=", 7) == 0) {
			t->events = 0;
			for (e = strtok_r(opt + 7, "+", &s2); e != NULL;
			    e = strtok_r(NULL, "+", &s2)) {
				if (nsf_event_parse(&ev, e) < 0) {
					return -1;
				}
				t->events |= 1u << ev;
			}
		} else {
			return -1;
		}
	}
	return t->url != NULL ? 0 : -1;
}

/* "send EVENT DOMAIN FROM TO REASON...": times nsf_notify_send. */
static void
cmd_send(struct nsf_notify *n, char **save)
{
	struct nsf_event_info ev = { 0 };
	char *type = strtok_r(NULL, " \n", save);
	enum nsf_event e;
	int64_t t0;

	if (type == NULL || nsf_event_parse(&e, type) < 0) {
		printf("error: unknown event\n");
		return;
	}
	ev.type = e;
	ev.domain = strtok_r(NULL, " \n", save);
	ev.from = strtok_r(NULL, " \n", save);
	ev.to = strtok_r(NULL, " \n", save);
	ev.reason = strtok_r(NULL, "\n", save);
	ev.policy_commit = "0123456789abcdef0123456789abcdef01234567";
	t0 = nsf_mono_ms();
	nsf_notify_send(n, &ev);
	printf("sent %lld\n", (long long)(nsf_mono_ms() - t0));
}

static void
cmd_wait(struct nsf_notify *n, const char *secs)
{
	struct timespec pause = { 0, 20000000L };
	int64_t until = nsf_mono_ms() + 1000 * (secs ? atoi(secs) : 10);

	while (nsf_notify_pending(n) > 0 && nsf_mono_ms() < until) {
		nanosleep(&pause, NULL);
	}
	printf("pending %zu\n", nsf_notify_pending(n));
}

static void
cmd_metrics(void)
{
	struct nsf_buf b;
	char *line, *save;

	nsf_buf_init(&b);
	nsf_metrics_render(&b);
	for (line = strtok_r(b.data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "nsfailover_notification", 23) == 0) {
			printf("%s\n", line);
		}
	}
	printf("end\n");
	nsf_buf_deinit(&b);
}

/* Runs one command line; false after quit. */
static bool
command(struct nsf_notify **n, char *line)
{
	char *save, *cmd = strtok_r(line, " \n", &save), *arg;
	int64_t t0;

	if (cmd == NULL) {
		return true;
	}
	if (strcmp(cmd, "send") == 0) {
		cmd_send(*n, &save);
	} else if (strcmp(cmd, "wait") == 0) {
		cmd_wait(*n, strtok_r(NULL, " \n", &save));
	} else if (strcmp(cmd, "metrics") == 0) {
		cmd_metrics();
	} else if (strcmp(cmd, "quit") == 0) {
		arg = strtok_r(NULL, " \n", &save);
		t0 = nsf_mono_ms();
		nsf_notify_free(*n, arg ? strtoull(arg, NULL, 10) : 0);
		*n = NULL;
		printf("stopped %lld\n", (long long)(nsf_mono_ms() - t0));
		return false;
	} else {
		printf("error: unknown command '%s'\n", cmd);
	}
	return true;
}

int
main(int argc, char **argv)
{
	struct nsf_notify_target t[8] = { { 0 } };
	struct nsf_notify *n = NULL;
	size_t nt = 0, queue = 0;
	char line[2048];
	bool more = true;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0 && i + 1 < argc) {
			queue = strtoul(argv[++i], NULL, 10);
		} else if (nt < 8 && parse_target(&t[nt], argv[i]) == 0) {
			nt++;
		} else {
			fputs(usage_text, stderr);
			return 2;
		}
	}
	nsf_log_set_level(NSF_SRC_NOTIFY, NSF_LOG_DEBUG);
	if (nsf_notify_new(&n, t, nt, queue) < 0) {
		fprintf(stderr, "notify_demo: %s\n", nsf_error_last());
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (more && fgets(line, sizeof(line), stdin) != NULL) {
		more = command(&n, line);
		fflush(stdout);
	}
	nsf_notify_free(n, 0);
	nsf_metrics_reset();
	return 0;
}
