/* internal.h - what the files of the policy loader share (not exported). */
#ifndef NSF_SCHEMA_INTERNAL_H
#define NSF_SCHEMA_INTERNAL_H

#include "policy.h"

/*
 * The arena: bump allocation in large chunks, freed all at once.  A
 * policy of 100,000 domains lives in a few dozen chunks instead of a
 * million small heap blocks.
 */
struct nsf_arena;

struct nsf_arena *nsf_arena_new(void);
void nsf_arena_free(struct nsf_arena *a);
/* Zeroed memory, aligned for any field type. */
void *nsf_arena_alloc(struct nsf_arena *a, size_t n);
char *nsf_arena_strdup(struct nsf_arena *a, const char *s);
char *nsf_arena_strndup(struct nsf_arena *a, const char *s, size_t n);
/* Bytes taken from the system so far (for the memory benchmark). */
size_t nsf_arena_size(const struct nsf_arena *a);

/* The YAML document as read, before any meaning is given to it. */
enum nsf_ynode_kind {
	NSF_YNODE_SCALAR = 0,
	NSF_YNODE_MAP,
	NSF_YNODE_SEQ,
};

struct nsf_ynode {
	uint8_t kind;           /* enum nsf_ynode_kind */
	bool plain;             /* scalar written without quotes */
	bool dropped;           /* a duplicate key: reported, left out */
	uint16_t file;          /* index into the loader's file list */
	uint32_t line;          /* 1-based */
	uint32_t col;           /* 1-based, in characters */
	uint32_t len;           /* scalar length in bytes */
	/* SEQ: n items; MAP: n pairs, key i at items[2i], value at 2i+1 */
	uint32_t n;
	char *str;              /* scalar text, NUL-terminated; shared */
	struct nsf_ynode **items;
};

/* Files one policy may have: nsf_ynode.file is 16 bits. */
#define NSF_POLICY_MAX_FILES 65535

/* What reading one policy may cost at most (policy.h's limits; tests
 * lower them to reach them with small inputs). */
struct nsf_policy_limits {
	size_t total_bytes;     /* all files together */
	size_t values;          /* tree nodes: keys, values, list items */
};

/* The values (tree nodes) the files of one policy may still take. */
struct nsf_value_budget {
	size_t left;
	size_t limit;           /* for the message */
};

/*
 * Parses one file into a tree allocated in `a`.  Checks what the YAML
 * parser does not: UTF-8, tabs in indentation, anchors and aliases, tags,
 * depth, one document, duplicate keys (the later ones are reported and
 * dropped), and the budget of values, which it counts down.  Returns the
 * root map, or NULL with diagnostics added.
 */
struct nsf_ynode *nsf_ytree_parse(struct nsf_arena *a,
    struct nsf_diags *d, const char *fname, unsigned fileidx,
    const char *data, size_t len, struct nsf_value_budget *budget);

/* True for a plain scalar that YAML would read as null ("", "~", null). */
bool nsf_ynode_is_null(const struct nsf_ynode *n);
/* "a map", "a list", "a string", "null": for messages. */
const char *nsf_ynode_kind_name(const struct nsf_ynode *n);
/* The value of a map key, or NULL. */
struct nsf_ynode *nsf_ynode_get(const struct nsf_ynode *map,
    const char *key);

/* Like nsf_diags_add with a va_list. */
void nsf_diags_vadd(struct nsf_diags *d, enum nsf_diag_severity sev,
    const char *file, unsigned line, unsigned col, const char *code,
    const char *hint, const char *fmt, va_list ap) NSF_PRINTF(8, 0);
/* Orders diagnostics by file, line and column, keeping each note right
 * after the diagnostic it belongs to. */
void nsf_diags_sort(struct nsf_diags *d);

/* Edit distance (Levenshtein), capped: returns cap + 1 beyond `cap`. */
size_t nsf_edit_distance(const char *a, const char *b, size_t cap);
/* The candidate closest to `word` when it is close enough to be a
 * likely typo, else NULL. */
const char *nsf_did_you_mean(const char *word, const char *const *cands,
    size_t ncands);

/*
 * Converts a host name to its stored form: A-labels (IDNA2008 through
 * libidn2), lower case, no trailing dot, LDH rules, labels of 1..63
 * octets, at most 253 octets.  Returns a new string, or NULL and writes
 * what is wrong into `why`.
 */
char *nsf_name_normalize(const char *in, char *why, size_t whylen);
/* True when `s` is a literal IPv4 or IPv6 address; writes its canonical
 * text (inet_ntop) into `canon` when that is not NULL. */
bool nsf_ip_parse(const char *s, char canon[64]);

/* An RR type number from its mnemonic ("TXT", "type65"), 0 if none. */
uint16_t nsf_rr_type_parse(const char *s);
/* The mnemonic of an RR type number, into `out`. */
void nsf_rr_type_name(char out[16], uint16_t type);

/* The text nsf_domain_fingerprint hashes (policy.c). */
void nsf_domain_canonical(struct nsf_buf *b, const struct nsf_domain *d);

#endif
