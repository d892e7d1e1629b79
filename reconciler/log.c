/* log.c - structured event log: one line an event, plain text or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static const char *const source_names[NSF_SRC_COUNT] = {
	"control", "policy", "probe", "plan", "registry", "audit", "notify",
	"metrics",
};

static const char *const level_names[] = {
	"error", "warning", "notice", "info", "debug",
};

static enum nsf_log_format log_format = NSF_LOG_PLAIN;
static enum nsf_log_level log_levels[NSF_SRC_COUNT] = {
	NSF_LOG_INFO, NSF_LOG_INFO, NSF_LOG_INFO, NSF_LOG_INFO, NSF_LOG_INFO,
	NSF_LOG_INFO, NSF_LOG_INFO, NSF_LOG_INFO,
};
static int log_fd = 2;

void
nsf_log_set_format(enum nsf_log_format fmt)
{
	log_format = fmt;
}

void
nsf_log_set_level(enum nsf_log_source src, enum nsf_log_level level)
{
	if (src < NSF_SRC_COUNT) {
		log_levels[src] = level;
	}
}

void
nsf_log_set_level_all(enum nsf_log_level level)
{
	size_t i;

	for (i = 0; i < NSF_SRC_COUNT; i++) {
		log_levels[i] = level;
	}
}

int
nsf_log_level_parse(enum nsf_log_level *out, const char *s)
{
	size_t i;

	for (i = 0; i < NSF_ARRAY_SIZE(level_names); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum nsf_log_level)i;
			return 0;
		}
	}
	return nsf_error_set(NSF_EINVAL, "unknown log level '%s' (use error, "
	    "warning, notice, info or debug)", s);
}

int
nsf_log_source_parse(enum nsf_log_source *out, const char *s)
{
	size_t i;

	for (i = 0; i < NSF_SRC_COUNT; i++) {
		if (strcasecmp(s, source_names[i]) == 0) {
			*out = (enum nsf_log_source)i;
			return 0;
		}
	}
	return nsf_error_set(NSF_EINVAL, "unknown log source '%s' (use "
	    "control, policy, probe, plan, registry, audit, notify or "
	    "metrics)", s);
}

const char *
nsf_log_source_name(enum nsf_log_source src)
{
	return src < NSF_SRC_COUNT ? source_names[src] : "unknown";
}

bool
nsf_log_enabled(enum nsf_log_source src, enum nsf_log_level level)
{
	return src < NSF_SRC_COUNT && level <= log_levels[src];
}

void
nsf_log_set_fd(int fd)
{
	log_fd = fd;
}

static void
timestamp(char *out, size_t len)
{
	int64_t ms = nsf_now_ms();
	char *t = nsf_time_format(ms);

	/* "2026-12-04T15:00:00Z" -> "2026-12-04T15:00:00.123Z" */
	snprintf(out, len, "%.19s.%03dZ", t, (int)(ms % 1000));
	free(t);
}

void
nsf_log(enum nsf_log_level level, enum nsf_log_source src,
    const char *domain, const char *fmt, ...)
{
	struct nsf_buf line, msg;
	char ts[40];
	va_list ap;

	if (!nsf_log_enabled(src, level)) {
		return;
	}
	nsf_buf_init(&msg);
	va_start(ap, fmt);
	nsf_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	timestamp(ts, sizeof(ts));

	nsf_buf_init(&line);
	if (log_format == NSF_LOG_JSON) {
		nsf_buf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\","
		    "\"source\":\"%s\"", ts, level_names[level],
		    source_names[src]);
		if (domain != NULL) {
			nsf_buf_puts(&line, ",\"domain\":");
			nsf_buf_put_json_string(&line, domain);
		}
		nsf_buf_puts(&line, ",\"msg\":");
		nsf_buf_put_json_string(&line, msg.data ? msg.data : "");
		nsf_buf_puts(&line, "}\n");
	} else {
		nsf_buf_printf(&line, "%s %s %s ", ts, level_names[level],
		    source_names[src]);
		if (domain != NULL) {
			nsf_buf_printf(&line, "[%s] ", domain);
		}
		nsf_buf_printf(&line, "%s\n", msg.data ? msg.data : "");
	}
	/* One write per event so lines from several processes never mix. */
	if (write(log_fd, line.data, line.len) < 0) {
		/* Nowhere left to report a failing log; drop the event. */
	}
	nsf_buf_deinit(&line);
	nsf_buf_deinit(&msg);
}
