/* cmd_history.c - 'nsfailover history': reads the audit records on the
 * state branch of a clone, a bare repository or a shallow checkout. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "gitutil.h"

static const char usage[] =
    "usage: nsfailover history [DOMAIN] [--repo PATH] [--branch B]\n"
    "                          [--since TIME] [--format text|json]\n\n"
    "Prints the audit records on the state branch, newest first: one\n"
    "line per record (commit, time, subject) and the trailers that say\n"
    "what changed and why.  DOMAIN keeps that domain's records only.\n\n"
    "  --repo PATH     a clone, a bare repository or a shallow checkout\n"
    "                  (default: the repository around the current\n"
    "                  directory)\n"
    "  --branch B      the state branch (default nsfailover/state; its\n"
    "                  local branch, else origin's or any remote's)\n"
    "  --since TIME    2026-12-04, 2026-12-04T15:00:00Z or an age (7d)\n"
    "  --format F      text (default) or json (an array of records)\n\n"
    "In a shallow clone the history stops where the clone was cut; the\n"
    "output says so.  Plain git reads the same records:\n"
    "  git log nsfailover/state -- state/example.com.yaml\n";

struct hist_opts {
	const char *domain;     /* NULL: every domain */
	const char *repo;
	const char *branch;
	int64_t since_ms;       /* 0: from the beginning */
	bool json;
};

/* The trailers a record carries, in the order they are printed. */
static const char *const trailer_keys[] = {
	"Domain", "Action", "From", "To", "Reason", "Policy-Commit",
	"Client-TRID", "Server-TRID", "Intent",
};

struct record {
	char id[41];
	int64_t time_ms;        /* author time: when it was decided */
	int64_t committed_ms;   /* later when a replay re-committed it */
	char *subject;
	const char *values[NSF_ARRAY_SIZE(trailer_keys)];
	git_message_trailer_array trailers;
};

/* Like nsf_cmd_wants_help, which lives in main.c and so is not linked
 * into the unit tests that link this file. */
static bool
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			return true;
		}
	}
	return false;
}

static int
parse_args(struct hist_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "repo", 1, NULL, 'r' }, { "branch", 1, NULL, 'b' },
		{ "since", 1, NULL, 's' }, { "format", 1, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->repo = ".";
	o->branch = "nsfailover/state";
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'r') {
			o->repo = optarg;
		} else if (c == 'b') {
			o->branch = optarg;
		} else if (c == 's') {
			if (nsf_time_parse(&o->since_ms, optarg,
			    nsf_now_ms()) < 0) {
				fprintf(stderr, "nsfailover history: --since: "
				    "%s\n", nsf_error_last());
				return -1;
			}
		} else if (c == 'f' && (strcmp(optarg, "json") == 0 ||
		    strcmp(optarg, "text") == 0)) {
			o->json = strcmp(optarg, "json") == 0;
		} else {
			fprintf(stderr, "nsfailover history: bad option; "
			    "--format takes text or json\n%s", usage);
			return -1;
		}
	}
	if (optind < argc) {
		o->domain = argv[optind++];
	}
	if (optind < argc) {
		fprintf(stderr, "nsfailover history: unexpected '%s'\n%s",
		    argv[optind], usage);
		return -1;
	}
	return 0;
}

/* The local branch, else a remote-tracking one (origin's first). */
static int
find_tip(git_oid *out, char **out_ref, git_repository *repo,
    const char *branch)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	char *names[2];
	size_t i, blen = strlen(branch);
	int rc = NSF_ENOTFOUND;

	names[0] = nsf_xasprintf("refs/heads/%s", branch);
	names[1] = nsf_xasprintf("refs/remotes/origin/%s", branch);
	for (i = 0; i < 2 && rc < 0; i++) {
		if (git_reference_name_to_id(out, repo, names[i]) == 0) {
			*out_ref = nsf_xstrdup(names[i]);
			rc = 0;
		}
	}
	if (rc < 0 && git_reference_iterator_glob_new(&it, repo,
	    "refs/remotes/*") == 0) {
		while (rc < 0 && git_reference_next(&ref, it) == 0) {
			const char *n = git_reference_name(ref);
			size_t len = strlen(n);

			if (len > blen + 1 && n[len - blen - 1] == '/' &&
			    strcmp(n + len - blen, branch) == 0 &&
			    git_reference_name_to_id(out, repo, n) == 0) {
				*out_ref = nsf_xstrdup(n);
				rc = 0;
			}
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	free(names[0]);
	free(names[1]);
	return rc;
}

/* Commits whose parents a shallow clone left out (.git/shallow). */
static void
read_shallow(struct nsf_strv *out, git_repository *repo)
{
	char *path = nsf_xasprintf("%sshallow", git_repository_path(repo));
	char *data = NULL, *line, *save = NULL;
	size_t len;

	if (nsf_file_read(&data, &len, path, 64u * 1024 * 1024) == 0) {
		for (line = strtok_r(data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			nsf_strv_push(out, line);
		}
	}
	free(data);
	free(path);
	nsf_error_clear();
}

static void
record_load(struct record *r, const git_commit *c)
{
	const char *msg = git_commit_message(c);
	size_t i, k;

	memset(r, 0, sizeof(*r));
	git_oid_tostr(r->id, sizeof(r->id), git_commit_id(c));
	r->time_ms = (int64_t)git_commit_author(c)->when.time * 1000;
	r->committed_ms = (int64_t)git_commit_time(c) * 1000;
	r->subject = nsf_xstrndup(msg, strcspn(msg, "\n"));
	if (git_message_trailers(&r->trailers, msg) < 0) {
		return;
	}
	for (i = 0; i < r->trailers.count; i++) {
		for (k = 0; k < NSF_ARRAY_SIZE(trailer_keys); k++) {
			if (strcasecmp(r->trailers.trailers[i].key,
			    trailer_keys[k]) == 0 && r->values[k] == NULL) {
				r->values[k] = r->trailers.trailers[i].value;
			}
		}
	}
}

static void
record_free(struct record *r)
{
	free(r->subject);
	git_message_trailer_array_free(&r->trailers);
}

/* Writes text from the branch for a terminal: control characters (an
 * escape sequence someone committed) are shown as '?'. */
static void
put_clean(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		putchar(c < 0x20 || c == 0x7f ? '?' : c);
	}
}

static void
print_text(const struct record *r)
{
	char *t = nsf_time_format(r->time_ms);
	size_t k;

	printf("%.7s %s ", r->id, t);
	put_clean(r->subject);
	putchar('\n');
	for (k = 1; k < NSF_ARRAY_SIZE(trailer_keys); k++) {
		if (r->values[k] != NULL) {
			printf("        %s: ", trailer_keys[k]);
			put_clean(r->values[k]);
			putchar('\n');
		}
	}
	free(t);
}

static void
json_set(struct nsf_buf *b, const char *value)
{
	char *copy = nsf_xstrdup(value), *save = NULL, *t;
	bool first = true;

	nsf_buf_puts(b, "[");
	if (strcmp(value, "(none)") != 0) {
		for (t = strtok_r(copy, " ", &save); t != NULL;
		    t = strtok_r(NULL, " ", &save)) {
			nsf_buf_puts(b, first ? "" : ",");
			nsf_buf_put_json_string(b, t);
			first = false;
		}
	}
	nsf_buf_puts(b, "]");
	free(copy);
}

static void
print_json(const struct record *r, bool first)
{
	static const char *const names[] = { "domain", "action", "from",
	    "to", "reason", "policy_commit", "client_trid", "server_trid",
	    "intent" };
	char *t = nsf_time_format(r->time_ms);
	struct nsf_buf b;
	size_t k;

	nsf_buf_init(&b);
	nsf_buf_printf(&b, "%s\n  {\"commit\":\"%s\",\"time\":\"%s\","
	    "\"subject\":", first ? "" : ",", r->id, t);
	nsf_buf_put_json_string(&b, r->subject);
	for (k = 0; k < NSF_ARRAY_SIZE(names); k++) {
		nsf_buf_printf(&b, ",\"%s\":", names[k]);
		if (r->values[k] == NULL) {
			nsf_buf_puts(&b, "null");
		} else if (k == 2 || k == 3) {
			json_set(&b, r->values[k]);
		} else {
			nsf_buf_put_json_string(&b, r->values[k]);
		}
	}
	nsf_buf_puts(&b, "}");
	fputs(b.data, stdout);
	nsf_buf_deinit(&b);
	free(t);
}

static bool
wanted(const struct hist_opts *o, const struct record *r)
{
	if (o->since_ms != 0 && r->time_ms < o->since_ms) {
		return false;
	}
	if (o->domain != NULL) {
		return r->values[0] != NULL &&
		    nsf_name_cmp(r->values[0], o->domain) == 0;
	}
	return !o->json || r->values[0] != NULL;
}

static void
say_cut(const struct hist_opts *o, const char *id)
{
	FILE *f = o->json ? stderr : stdout;

	fprintf(f, "-- history is cut off here: this is a shallow clone and "
	    "the parents of %.12s were not fetched (git fetch --unshallow "
	    "brings the rest)\n", id);
}

/* Follows first parents from the tip: the state branch is linear. */
static int
walk(const struct hist_opts *o, git_repository *repo, const git_oid *tip,
    const struct nsf_strv *shallow, size_t *out_n)
{
	git_commit *c = NULL, *parent = NULL;
	struct record r;
	size_t n = 0;
	int rc = 0;

	if (git_commit_lookup(&c, repo, tip) < 0) {
		return nsf_git_error(NSF_ERROR, "cannot read the tip commit");
	}
	while (c != NULL) {
		record_load(&r, c);
		if (wanted(o, &r)) {
			o->json ? print_json(&r, n == 0) : print_text(&r);
			n++;
		}
		if (o->since_ms != 0 && r.committed_ms < o->since_ms) {
			/* Older from here on: the branch is linear, each
			 * record is committed after its parent, and a
			 * record is committed after it was decided. */
			record_free(&r);
			git_commit_free(c);
			break;
		}
		if (git_commit_parentcount(c) > 0 &&
		    (nsf_strv_contains(shallow, r.id) ||
		    git_commit_parent(&parent, c, 0) < 0)) {
			say_cut(o, r.id);
			parent = NULL;
		}
		record_free(&r);
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
	*out_n = n;
	return rc;
}

int
nsf_cmd_history(int argc, char **argv)
{
	git_repository *repo = NULL;
	struct nsf_strv shallow;
	struct hist_opts o;
	char *ref = NULL;
	git_oid tip;
	size_t n = 0;
	int rc = 1;

	if (wants_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	if (parse_args(&o, argc, argv) < 0) {
		return 2;
	}
	nsf_git_setup();
	nsf_strv_init(&shallow);
	if (git_repository_open_ext(&repo, o.repo, 0, NULL) < 0) {
		nsf_git_error(NSF_ERROR, "cannot open repository %s", o.repo);
		fprintf(stderr, "nsfailover history: %s\n", nsf_error_last());
		goto out;
	}
	if (find_tip(&tip, &ref, repo, o.branch) < 0) {
		fprintf(stderr, "nsfailover history: no branch %s in %s "
		    "(looked for refs/heads/%s and refs/remotes/*/%s; fetch "
		    "it with: git fetch origin %s:%s)\n", o.branch, o.repo,
		    o.branch, o.branch, o.branch, o.branch);
		goto out;
	}
	read_shallow(&shallow, repo);
	if (o.json) {
		fputs("[", stdout);
	}
	if (walk(&o, repo, &tip, &shallow, &n) < 0) {
		fprintf(stderr, "nsfailover history: %s\n", nsf_error_last());
		goto out;
	}
	if (o.json) {
		fputs(n ? "\n]\n" : "]\n", stdout);
	} else if (n == 0) {
		printf("no records%s%s on %s\n", o.domain ? " for " : "",
		    o.domain ? o.domain : "", ref);
	}
	rc = 0;
out:
	free(ref);
	nsf_strv_deinit(&shallow);
	git_repository_free(repo);
	return rc;
}
