/* loader.h - the state and value readers the loader's files share. */
#ifndef NSF_SCHEMA_LOADER_H
#define NSF_SCHEMA_LOADER_H

#include "internal.h"
#include "keys.h"

/* A relative readiness record as written: resolved per domain. */
struct nsf_relrec {
	const char *name;       /* "@", "_version" or absolute "x.y." */
	uint16_t type;
};

/* Settings a domain inherits: built-in values, then `defaults`, then
 * the domain's own keys, each merged key by key. */
struct nsf_layer {
	enum nsf_mode mode;
	struct nsf_health_cfg health;
	enum nsf_readiness_mode ready_mode;
	struct nsf_relrec *recs;
	size_t nrecs;
	struct nsf_failback_cfg failback;
	struct nsf_flap_cfg flap;
	enum nsf_drift_mode drift;
	bool suspend;
};

struct nsf_group_intern;

struct nsf_lctx {
	struct nsf_policy *p;
	struct nsf_arena *a;            /* the policy's arena */
	struct nsf_diags *d;
	bool refs_ok;                   /* every file parsed: check names */
	struct nsf_layer defaults;
	struct nsf_group_intern *groups;
	const char **provider_names;    /* for did-you-mean */
	const char **registry_names;
};

#define NSF_MAX_DURATION_MS (30ULL * 86400 * 1000)

void nsf_lerr(struct nsf_lctx *c, const struct nsf_ynode *n,
    const char *code, const char *hint, const char *fmt, ...)
    NSF_PRINTF(5, 6);
void nsf_lwarn(struct nsf_lctx *c, const struct nsf_ynode *n,
    const char *code, const char *hint, const char *fmt, ...)
    NSF_PRINTF(5, 6);
void nsf_lnote(struct nsf_lctx *c, const struct nsf_pos *pos,
    const char *fmt, ...) NSF_PRINTF(3, 4);
void nsf_lpos(struct nsf_pos *out, const struct nsf_lctx *c,
    const struct nsf_ynode *n);

/* Each reader reports its own error and returns false on bad input. */
/* Unknown keys only; nsf_lcheck_map adds the type and required keys,
 * and returns false only when `n` is no map or lacks a required key. */
bool nsf_lcheck_keys(struct nsf_lctx *c, const struct nsf_ynode *n,
    const struct nsf_schema_map *m);
bool nsf_lcheck_map(struct nsf_lctx *c, const struct nsf_ynode *owner,
    const struct nsf_ynode *n, const struct nsf_schema_map *m);
bool nsf_lread_str(struct nsf_lctx *c, const struct nsf_ynode *n,
    const char **out);
bool nsf_lread_uint(struct nsf_lctx *c, const struct nsf_ynode *n,
    unsigned min, unsigned max, unsigned *out);
bool nsf_lread_bool(struct nsf_lctx *c, const struct nsf_ynode *n,
    bool *out);
bool nsf_lread_duration(struct nsf_lctx *c, const struct nsf_ynode *n,
    uint64_t min, uint64_t max, uint64_t *out);
bool nsf_lread_enum(struct nsf_lctx *c, const struct nsf_ynode *n,
    const char *const *names, int *out);
bool nsf_lread_name(struct nsf_lctx *c, const struct nsf_ynode *n,
    char **out);
bool nsf_lread_list(struct nsf_lctx *c, const struct nsf_ynode *n,
    const char *what);

/* Reads the keys of `n` (a defaults or domain map) over `l`; `checks`
 * runs the cross-key checks (timeout < interval, ...) at `n`. */
void nsf_layer_apply(struct nsf_lctx *c, struct nsf_layer *l,
    const struct nsf_ynode *n);
void nsf_layer_check(struct nsf_lctx *c, const struct nsf_layer *l,
    const struct nsf_ynode *at);

const struct nsf_provider *nsf_lfind_provider(const struct nsf_lctx *c,
    const char *name);

/* domain.c: reads the merged `domains` section. */
void nsf_load_domains(struct nsf_lctx *c, struct nsf_ynode **pairs,
    size_t npairs);
void nsf_group_intern_free(struct nsf_group_intern *g);

#endif
