/* nsf.h - project-wide conventions: error codes, string vectors, helpers. */
#ifndef NSF_H
#define NSF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NSF_VERSION "0.1.0"

/*
 * One error contract for the whole project: 0 means success, a negative
 * value means failure.  Named codes exist only for the failures a caller
 * branches on.  The human-readable message is set once, where the failure
 * is found (nsf_error_set), and passed up unchanged; read it with
 * nsf_error_last().  Out-parameters are written only on success.
 */
enum {
	NSF_OK = 0,
	NSF_ERROR = -1,         /* generic failure, message says what */
	NSF_ENOTFOUND = -2,     /* the thing asked for does not exist */
	NSF_ECONFLICT = -3,     /* someone else changed it first */
	NSF_EAGAIN = -4,        /* would block; call again when ready */
	NSF_ETIMEOUT = -5,      /* a deadline passed */
	NSF_EINVAL = -6,        /* the input is invalid (policy, flags) */
	NSF_ELOCKED = -7,       /* a lock is held by a live process */
	NSF_EUNREACHABLE = -8,  /* a remote could not be reached */
};

#if defined(__GNUC__)
#define NSF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NSF_PRINTF(f, a)
#endif

/* Sets the thread's last error message; returns `code` for tail calls. */
int nsf_error_set(int code, const char *fmt, ...) NSF_PRINTF(2, 3);
const char *nsf_error_last(void);
void nsf_error_clear(void);

/* Allocation that aborts with a message on exhaustion. */
void *nsf_xmalloc(size_t n);
void *nsf_xcalloc(size_t n, size_t size);
void *nsf_xrealloc(void *p, size_t n);
char *nsf_xstrdup(const char *s);
char *nsf_xstrndup(const char *s, size_t n);
char *nsf_xasprintf(const char *fmt, ...) NSF_PRINTF(1, 2);

/* A growable, NULL-terminated vector of owned strings. */
struct nsf_strv {
	char **v;       /* v[n] == NULL when n > 0 */
	size_t n;
	size_t cap;
};

void nsf_strv_init(struct nsf_strv *sv);
void nsf_strv_deinit(struct nsf_strv *sv);
void nsf_strv_push(struct nsf_strv *sv, const char *s);
void nsf_strv_push_owned(struct nsf_strv *sv, char *s);
bool nsf_strv_contains(const struct nsf_strv *sv, const char *s);
/* Sorts case-insensitively and drops duplicates. */
void nsf_strv_sort_unique(struct nsf_strv *sv);
/* Copies src into dst (dst is initialised by the call). */
void nsf_strv_copy(struct nsf_strv *dst, const struct nsf_strv *src);
/* True when both hold the same names, ignoring order and case. */
bool nsf_strv_same_set(const struct nsf_strv *a, const struct nsf_strv *b);
/* Joins with `sep` into a new string. */
char *nsf_strv_join(const struct nsf_strv *sv, const char *sep);

/* A growable byte buffer, always NUL-terminated. */
struct nsf_buf {
	char *data;
	size_t len;
	size_t cap;
};

void nsf_buf_init(struct nsf_buf *b);
void nsf_buf_deinit(struct nsf_buf *b);
void nsf_buf_put(struct nsf_buf *b, const void *data, size_t len);
void nsf_buf_puts(struct nsf_buf *b, const char *s);
void nsf_buf_printf(struct nsf_buf *b, const char *fmt, ...) NSF_PRINTF(2, 3);
void nsf_buf_vprintf(struct nsf_buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
void nsf_buf_put_json_string(struct nsf_buf *b, const char *s);
/* Hands the data to the caller and resets the buffer. */
char *nsf_buf_detach(struct nsf_buf *b);

/* Time: wall clock and monotonic, in milliseconds. */
int64_t nsf_now_ms(void);
int64_t nsf_mono_ms(void);
/* Formats a duration as "90s", "15m", "1h30m", "250ms" into a new string. */
char *nsf_duration_format(uint64_t ms);
/* Parses "250ms", "90s", "15m", "1h", "2d" (and combinations such as
 * "1h30m"); returns 0 and writes *out_ms, or NSF_EINVAL. */
int nsf_duration_parse(uint64_t *out_ms, const char *s);
/* Formats an epoch-ms time as RFC 3339 UTC ("2026-12-04T15:00:00Z"). */
char *nsf_time_format(int64_t ms);
/* Parses RFC 3339 ("2026-12-04T15:00:00Z", date-only "2026-12-04") or a
 * relative age ("2h", "7d": that long before now). */
int nsf_time_parse(int64_t *out_ms, const char *s, int64_t now_ms);

/* Reads a whole file, refusing files larger than max_len. */
int nsf_file_read(char **out, size_t *out_len, const char *path,
    size_t max_len);

/*
 * Guards the YAML readers that build a whole document at once (state
 * files, the daemon configuration, secrets).  libyaml's time grows with
 * the square of the nesting depth, so a small hostile file could stall
 * the daemon: nesting deeper than `max_depth` ('[' and '{' outside quotes
 * and comments, or block indentation of more than 4 x max_depth columns)
 * is refused before parsing.  Returns 0, or NSF_EINVAL with the message
 * set and *line, *col (1-based) where it went too deep.
 */
#define NSF_YAML_MAX_DEPTH 32
int nsf_yaml_depth_check(const char *data, size_t len, unsigned max_depth,
    unsigned *line, unsigned *col);

/* Case-insensitive comparison of DNS names, ignoring one trailing dot. */
int nsf_name_cmp(const char *a, const char *b);
/* True when name equals zone or lies below it (whole labels). */
bool nsf_name_in_zone(const char *name, const char *zone);

#define NSF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Makes a file-local function reachable from unit tests. */
#ifdef NSF_TESTING
#define NSF_STATIC
#else
#define NSF_STATIC static
#endif

#endif
