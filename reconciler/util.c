/* util.c - error messages, allocation, string vectors, buffers, time. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nsf.h"

static __thread char error_msg[1024];

int
nsf_error_set(int code, const char *fmt, ...)
{
	char msg[sizeof(error_msg)];
	va_list ap;

	/* Formatted aside first: callers may pass nsf_error_last() along. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(error_msg, msg, sizeof(error_msg));
	return code;
}

const char *
nsf_error_last(void)
{
	return error_msg[0] ? error_msg : "unknown error";
}

void
nsf_error_clear(void)
{
	error_msg[0] = '\0';
}

static void
out_of_memory(size_t n)
{
	fprintf(stderr, "nsfailover: out of memory (%zu bytes)\n", n);
	abort();
}

void *
nsf_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		out_of_memory(n);
	}
	return p;
}

void *
nsf_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL) {
		out_of_memory(n * size);
	}
	return p;
}

void *
nsf_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL) {
		out_of_memory(n);
	}
	return q;
}

char *
nsf_xstrdup(const char *s)
{
	return nsf_xstrndup(s, strlen(s));
}

char *
nsf_xstrndup(const char *s, size_t n)
{
	char *p = nsf_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
nsf_xasprintf(const char *fmt, ...)
{
	struct nsf_buf b;
	va_list ap;

	nsf_buf_init(&b);
	va_start(ap, fmt);
	nsf_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return nsf_buf_detach(&b);
}

void
nsf_strv_init(struct nsf_strv *sv)
{
	sv->v = NULL;
	sv->n = 0;
	sv->cap = 0;
}

void
nsf_strv_deinit(struct nsf_strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++) {
		free(sv->v[i]);
	}
	free(sv->v);
	nsf_strv_init(sv);
}

void
nsf_strv_push_owned(struct nsf_strv *sv, char *s)
{
	if (sv->n + 2 > sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 4;
		sv->v = nsf_xrealloc(sv->v, sv->cap * sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
nsf_strv_push(struct nsf_strv *sv, const char *s)
{
	nsf_strv_push_owned(sv, nsf_xstrdup(s));
}

bool
nsf_strv_contains(const struct nsf_strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++) {
		if (nsf_name_cmp(sv->v[i], s) == 0) {
			return true;
		}
	}
	return false;
}

static int
strv_cmp(const void *a, const void *b)
{
	return nsf_name_cmp(*(char *const *)a, *(char *const *)b);
}

void
nsf_strv_sort_unique(struct nsf_strv *sv)
{
	size_t i, out = 0;

	if (sv->n == 0) {
		return;
	}
	qsort(sv->v, sv->n, sizeof(*sv->v), strv_cmp);
	for (i = 0; i < sv->n; i++) {
		if (out > 0 && nsf_name_cmp(sv->v[out - 1], sv->v[i]) == 0) {
			free(sv->v[i]);
			continue;
		}
		sv->v[out++] = sv->v[i];
	}
	sv->n = out;
	sv->v[out] = NULL;
}

void
nsf_strv_copy(struct nsf_strv *dst, const struct nsf_strv *src)
{
	size_t i;

	nsf_strv_init(dst);
	for (i = 0; i < src->n; i++) {
		nsf_strv_push(dst, src->v[i]);
	}
}

bool
nsf_strv_same_set(const struct nsf_strv *a, const struct nsf_strv *b)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (!nsf_strv_contains(b, a->v[i])) {
			return false;
		}
	}
	for (i = 0; i < b->n; i++) {
		if (!nsf_strv_contains(a, b->v[i])) {
			return false;
		}
	}
	return true;
}

char *
nsf_strv_join(const struct nsf_strv *sv, const char *sep)
{
	struct nsf_buf b;
	size_t i;

	nsf_buf_init(&b);
	for (i = 0; i < sv->n; i++) {
		if (i > 0) {
			nsf_buf_puts(&b, sep);
		}
		nsf_buf_puts(&b, sv->v[i]);
	}
	return nsf_buf_detach(&b);
}

void
nsf_buf_init(struct nsf_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
nsf_buf_deinit(struct nsf_buf *b)
{
	free(b->data);
	nsf_buf_init(b);
}

static void
buf_reserve(struct nsf_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap) {
		return;
	}
	if (b->cap == 0) {
		b->cap = 64;
	}
	while (b->cap < need) {
		b->cap *= 2;
	}
	b->data = nsf_xrealloc(b->data, b->cap);
}

void
nsf_buf_put(struct nsf_buf *b, const void *data, size_t len)
{
	buf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
nsf_buf_puts(struct nsf_buf *b, const char *s)
{
	nsf_buf_put(b, s, strlen(s));
}

void
nsf_buf_vprintf(struct nsf_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		return;
	}
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
nsf_buf_printf(struct nsf_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nsf_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
nsf_buf_put_json_string(struct nsf_buf *b, const char *s)
{
	const unsigned char *p;

	nsf_buf_put(b, "\"", 1);
	for (p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"':
			nsf_buf_puts(b, "\\\"");
			break;
		case '\\':
			nsf_buf_puts(b, "\\\\");
			break;
		case '\n':
			nsf_buf_puts(b, "\\n");
			break;
		case '\r':
			nsf_buf_puts(b, "\\r");
			break;
		case '\t':
			nsf_buf_puts(b, "\\t");
			break;
		default:
			if (*p < 0x20) {
				nsf_buf_printf(b, "\\u%04x", *p);
			} else {
				nsf_buf_put(b, p, 1);
			}
		}
	}
	nsf_buf_put(b, "\"", 1);
}

char *
nsf_buf_detach(struct nsf_buf *b)
{
	char *p = b->data;

	if (p == NULL) {
		p = nsf_xstrdup("");
	}
	nsf_buf_init(b);
	return p;
}

int64_t
nsf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
nsf_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct {
	char unit;
	uint64_t ms;
} duration_units[] = {
	{ 'd', 86400000ULL },
	{ 'h', 3600000ULL },
	{ 'm', 60000ULL },
	{ 's', 1000ULL },
};

char *
nsf_duration_format(uint64_t ms)
{
	struct nsf_buf b;
	size_t i;

	nsf_buf_init(&b);
	if (ms == 0) {
		nsf_buf_puts(&b, "0s");
	}
	for (i = 0; i < NSF_ARRAY_SIZE(duration_units); i++) {
		uint64_t n = ms / duration_units[i].ms;

		if (n > 0) {
			nsf_buf_printf(&b, "%llu%c", (unsigned long long)n,
			    duration_units[i].unit);
			ms -= n * duration_units[i].ms;
		}
	}
	if (ms > 0) {
		nsf_buf_printf(&b, "%llums", (unsigned long long)ms);
	}
	return nsf_buf_detach(&b);
}

int
nsf_duration_parse(uint64_t *out_ms, const char *s)
{
	uint64_t total = 0;
	const char *p = s;

	if (s == NULL || *s == '\0') {
		return NSF_EINVAL;
	}
	while (*p) {
		uint64_t n = 0, unit = 0;
		const char *digits = p;
		size_t i;

		while (*p >= '0' && *p <= '9') {
			if (n > UINT64_MAX / 10 - 10) {
				return NSF_EINVAL;
			}
			n = n * 10 + (uint64_t)(*p - '0');
			p++;
		}
		if (p == digits) {
			return NSF_EINVAL;
		}
		if (p[0] == 'm' && p[1] == 's') {
			unit = 1;
			p += 2;
		} else {
			for (i = 0; i < NSF_ARRAY_SIZE(duration_units); i++) {
				if (*p == duration_units[i].unit) {
					unit = duration_units[i].ms;
					p++;
					break;
				}
			}
		}
		if (unit == 0 || (n && unit > UINT64_MAX / n) ||
		    total > UINT64_MAX - n * unit) {
			return NSF_EINVAL;
		}
		total += n * unit;
	}
	*out_ms = total;
	return 0;
}

char *
nsf_time_format(int64_t ms)
{
	char out[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return nsf_xstrdup(out);
}

int
nsf_time_parse(int64_t *out_ms, const char *s, int64_t now_ms)
{
	struct tm tm;
	const char *end;
	uint64_t age;

	if (nsf_duration_parse(&age, s) == 0) {
		*out_ms = now_ms - (int64_t)age;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0)) {
		return nsf_error_set(NSF_EINVAL, "'%s' is not a time: use "
		    "2026-12-04, 2026-12-04T15:00:00Z or an age such as 7d",
		    s);
	}
	*out_ms = (int64_t)timegm(&tm) * 1000;
	return 0;
}

int
nsf_file_read(char **out, size_t *out_len, const char *path, size_t max_len)
{
	struct nsf_buf b;
	char chunk[65536];
	ssize_t n;
	int fd;

	struct stat st;

	/* Non-blocking open and a check, so that a FIFO never hangs us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		return nsf_error_set(errno == ENOENT ? NSF_ENOTFOUND :
		    NSF_ERROR, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return nsf_error_set(NSF_ERROR, "%s: not a regular file",
		    path);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	nsf_buf_init(&b);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			nsf_error_set(NSF_ERROR, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (b.len + (size_t)n > max_len) {
			nsf_error_set(NSF_EINVAL, "%s: larger than the limit "
			    "of %zu bytes", path, max_len);
			goto fail;
		}
		nsf_buf_put(&b, chunk, (size_t)n);
	}
	close(fd);
	*out_len = b.len;
	*out = nsf_buf_detach(&b);
	return 0;

fail:
	close(fd);
	nsf_buf_deinit(&b);
	return NSF_ERROR;
}

static size_t
name_len(const char *s)
{
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '.') {
		n--;
	}
	return n;
}

int
nsf_name_cmp(const char *a, const char *b)
{
	size_t la = name_len(a), lb = name_len(b);
	size_t n = la < lb ? la : lb;
	int c = strncasecmp(a, b, n);

	if (c != 0) {
		return c;
	}
	return la < lb ? -1 : la > lb ? 1 : 0;
}

bool
nsf_name_in_zone(const char *name, const char *zone)
{
	size_t ln = name_len(name), lz = name_len(zone);

	if (lz == 1 && zone[0] == '.') {
		return true;
	}
	if (ln < lz || strncasecmp(name + ln - lz, zone, lz) != 0) {
		return false;
	}
	return ln == lz || name[ln - lz - 1] == '.';
}

int
nsf_yaml_depth_check(const char *data, size_t len, unsigned max_depth,
    unsigned *line, unsigned *col)
{
	unsigned depth = 0, ln = 1, cl = 1, indent = 0;
	bool at_start = true, comment = false;
	char quote = 0;
	size_t i;

	for (i = 0; i < len; i++, cl++) {
		char c = data[i];

		if (c == '\n') {
			ln++;
			cl = 0;
			indent = 0;
			at_start = true;
			comment = false;
			continue;       /* a quoted scalar may go on */
		}
		if (comment) {
			continue;
		}
		if (at_start && quote == 0) {
			/* Leading blanks and compact "- " entries nest. */
			if (c == ' ' || (c == '-' && i + 1 < len &&
			    (data[i + 1] == ' ' || data[i + 1] == '\n'))) {
				indent++;
				if (indent > 4 * max_depth) {
					goto deep;
				}
				continue;
			}
			at_start = false;
		}
		if (quote != 0) {
			if (quote == '"' && c == '\\' && i + 1 < len) {
				i++;
				cl++;
			} else if (c == quote) {
				quote = 0;
			}
			continue;
		}
		switch (c) {
		case '"':
		case '\'':
			quote = c;
			break;
		case '#':
			if (i == 0 || data[i - 1] == ' ' ||
			    data[i - 1] == '\t') {
				comment = true;
			}
			break;
		case '[':
		case '{':
			if (++depth > max_depth) {
				goto deep;
			}
			break;
		case ']':
		case '}':
			if (depth > 0) {
				depth--;
			}
			break;
		default:
			break;
		}
	}
	return 0;
deep:
	*line = ln;
	*col = cl;
	return nsf_error_set(NSF_EINVAL, "nested more than %u levels deep",
	    max_depth);
}
