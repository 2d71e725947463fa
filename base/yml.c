/*
 * yml.c -- libyaml's document API with positions and checked getters.
 */
#include "base/yml.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/strset.h"

/*
 * libyaml takes no allocator, but every allocation it makes goes through
 * four functions it exports and calls through its own PLT (yaml_private.h:
 * yaml_malloc, yaml_realloc, yaml_free, yaml_strdup).  Defining them here,
 * in the executable, routes libyaml through the allocation seam by ELF
 * symbol interposition, so its parser and document builder fail and count
 * with everything else.  The trade-off: this relies on libyaml being a
 * shared library with those symbols exported, as Debian ships it since
 * 0.1; a static libyaml would fail to link (two definitions), not
 * misbehave.  The semantics are libyaml's own: a zero size allocates one
 * byte, a NULL string duplicates to NULL.
 *
 * libyaml also leaks on some of its own failed allocations (loader.c: a
 * sequence's or mapping's item stack when the node cannot be pushed).  So
 * every block it allocates carries a header linking it into the list of
 * the document being parsed or edited (`owner`, per thread, set around
 * each call into libyaml): whatever is still on a document's list after a
 * failed parse, or after yaml_document_delete, is freed here.  The header
 * costs one max_align_t per block, which a parsed scenario does not feel.
 * Blocks allocated with no owner link to themselves.
 */
typedef union yblk {
    struct {
        union yblk *prev, *next;
    } l;
    max_align_t align;
} yblk;

static _Thread_local yblk *owner;

void *yaml_malloc(size_t size);
void *yaml_realloc(void *ptr, size_t size);
void yaml_free(void *ptr);
yaml_char_t *yaml_strdup(const yaml_char_t *str);

static void *link_block(yblk *b)
{
    if (!b)
        return NULL;
    if (owner) {
        b->l.prev = owner;
        b->l.next = owner->l.next;
        owner->l.next->l.prev = b;
        owner->l.next = b;
    } else
        b->l.prev = b->l.next = b;
    return b + 1;
}

void *yaml_malloc(size_t size)
{
    if (size > SIZE_MAX - sizeof(yblk))
        return NULL;
    return link_block(sim_alloc(sizeof(yblk) + (size ? size : 1)));
}

void *yaml_realloc(void *ptr, size_t size)
{
    if (!ptr)
        return yaml_malloc(size);
    if (size > SIZE_MAX - sizeof(yblk))
        return NULL;
    yblk *old = (yblk *)ptr - 1;
    int alone = old->l.next == old;
    yblk *b = sim_realloc(old, sizeof(yblk) + (size ? size : 1));
    if (!b)
        return NULL;    /* the old block is still linked and valid */
    if (alone)
        b->l.prev = b->l.next = b;
    else {
        b->l.prev->l.next = b;
        b->l.next->l.prev = b;
    }
    return b + 1;
}

void yaml_free(void *ptr)
{
    if (!ptr)
        return;
    yblk *b = (yblk *)ptr - 1;
    b->l.prev->l.next = b->l.next;
    b->l.next->l.prev = b->l.prev;
    sim_free(b);
}

yaml_char_t *yaml_strdup(const yaml_char_t *str)
{
    if (!str)
        return NULL;
    size_t n = strlen((const char *)str) + 1;
    yaml_char_t *d = yaml_malloc(n);
    if (d)
        memcpy(d, str, n);
    return d;
}

struct yml_doc {
    yaml_document_t doc;
    yblk blocks;    /* every libyaml block of this document (see above) */
    int nomem;      /* sticky: a check ran out of memory (yml_nomem) */
    char *file;
    char *text;
    sim_diag *diag;
};

/* Frees whatever libyaml left on the document's list. */
static void drop_blocks(yml_doc *doc)
{
    while (doc->blocks.l.next != &doc->blocks)
        yaml_free(doc->blocks.l.next + 1);
}

int yml_load(const char *path, sim_diag *d, yml_doc **out)
{
    size_t len = 0;
    char *text = sim_read_file(path, &len);
    if (!text) {
        int e = errno;
        sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0,
                     "cannot read file: %s", strerror(e));
        return e == ENOMEM ? SIM_ENOMEM : SIM_EIO;
    }
    int rc = yml_load_text(path, text, len, d, out);
    sim_free(text);
    return rc;
}

/*
 * libyaml's scanner re-examines every open flow level for each token, so
 * 100,000 nested brackets take minutes; no scenario, catalog or agent
 * config needs more than a handful of levels.  One pass over the events,
 * stopping at YML_MAX_DEPTH, costs at most that many levels per token
 * and so stays linear; the document is loaded only after it.  Syntax
 * errors are left to the load, which reports them with the same marks.
 */
#define YML_MAX_DEPTH 64

/* 1-based line and column of byte `off` of `text`. */
static void offset_pos(const char *text, size_t len, size_t off, int *line,
                       int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++, (*col)++)
        if (text[i] == '\n') {
            (*line)++;
            *col = 0;
        }
}

static int check_depth(yml_doc *doc, const char *name, size_t len,
                       sim_diag *d)
{
    yaml_parser_t p;
    yaml_event_t ev;
    int depth = 0, rc = SIM_OK;
    yblk *outer = owner;
    owner = &doc->blocks;
    if (!yaml_parser_initialize(&p)) {
        owner = outer;
        sim_diag_add(d, SIM_DIAG_ERROR, name, NULL, 0, 0, "out of memory");
        return SIM_ENOMEM;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)doc->text, len);
    for (;;) {
        if (!yaml_parser_parse(&p, &ev)) {
            /* As in the load below: no error set means no memory. */
            if (p.error == YAML_MEMORY_ERROR || p.error == YAML_NO_ERROR)
                rc = SIM_ENOMEM;
            break;
        }
        yaml_event_type_t t = ev.type;
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT)
            depth++;
        else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT)
            depth--;
        if (depth > YML_MAX_DEPTH) {
            sim_diag_add(d, SIM_DIAG_ERROR, name, doc->text,
                         (int)ev.start_mark.line + 1,
                         (int)ev.start_mark.column + 1,
                         "nesting deeper than %d levels; expected a few "
                         "levels of mappings and lists", YML_MAX_DEPTH);
            rc = SIM_EPARSE;
        }
        yaml_event_delete(&ev);
        if (rc != SIM_OK || t == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&p);
    owner = outer;
    if (rc == SIM_ENOMEM)
        sim_diag_add(d, SIM_DIAG_ERROR, name, NULL, 0, 0, "out of memory");
    return rc;
}

int yml_load_text(const char *name, const char *text, size_t len,
                  sim_diag *d, yml_doc **out)
{
    yaml_parser_t parser;
    int rc = SIM_EPARSE;
    yml_doc *doc = sim_calloc(1, sizeof *doc);
    if (!doc)
        goto nomem;
    doc->blocks.l.prev = doc->blocks.l.next = &doc->blocks;
    doc->file = sim_strdup(name);
    doc->text = sim_alloc(len + 1);
    doc->diag = d;
    if (!doc->file || !doc->text)
        goto nomem;
    memcpy(doc->text, text, len);
    doc->text[len] = '\0';
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line, col;
        offset_pos(text, len, (size_t)(nul - text), &line, &col);
        sim_diag_add(d, SIM_DIAG_ERROR, name, doc->text, line, col,
                     "a NUL byte (binary data); expected a YAML text file");
        goto fail;
    }
    if ((rc = check_depth(doc, name, len, d)) != SIM_OK)
        goto fail_rc;

    yblk *outer = owner;
    owner = &doc->blocks;
    if (!yaml_parser_initialize(&parser)) {
        owner = outer;
        goto nomem;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)doc->text,
                                 len);
    int loaded = yaml_parser_load(&parser, &doc->doc);
    owner = outer;
    if (!loaded) {
        int line = (int)parser.problem_mark.line + 1;
        int col = (int)parser.problem_mark.column + 1;
        /* The reader (bad UTF-8, a control character) marks only a byte
         * offset; count lines and columns (in bytes) up to it. */
        if (parser.error == YAML_READER_ERROR)
            offset_pos(doc->text, len, parser.problem_offset, &line, &col);
        const char *ctx = parser.context ? parser.context : NULL;
        /* libyaml's document loader returns failure without setting an
         * error when one of its own allocations fails (loader.c's stacks
         * and node copies); a failure with no error is that. */
        if (parser.error == YAML_MEMORY_ERROR ||
            parser.error == YAML_NO_ERROR) {
            yaml_parser_delete(&parser);
            goto nomem;
        }
        sim_diag_add(d, SIM_DIAG_ERROR, name, doc->text, line, col,
                     "invalid YAML: %s%s%s",
                     parser.problem ? parser.problem : "syntax error",
                     ctx ? " " : "", ctx ? ctx : "");
        yaml_parser_delete(&parser);
        goto fail;
    }
    yaml_parser_delete(&parser);
    if (!yaml_document_get_root_node(&doc->doc)) {
        sim_diag_add(d, SIM_DIAG_ERROR, name, NULL, 0, 0,
                     "file is empty; expected a YAML mapping");
        yaml_document_delete(&doc->doc);
        goto fail;
    }
    *out = doc;
    return SIM_OK;

nomem:
    sim_diag_add(d, SIM_DIAG_ERROR, name, NULL, 0, 0, "out of memory");
    rc = SIM_ENOMEM;
    goto fail_rc;
fail:
    rc = SIM_EPARSE;
fail_rc:
    if (doc) {
        drop_blocks(doc);
        sim_free(doc->file);
        sim_free(doc->text);
        sim_free(doc);
    }
    return rc;
}

/* The index of a node in the document, for re-fetching after adds
 * (which may move the node array). */
static int node_index(yml_doc *doc, const yml_node *n)
{
    return (int)(n - doc->doc.nodes.start) + 1;
}

static char *dup_n(const char *s, size_t n)
{
    char *r = sim_alloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = '\0';
    }
    return r;
}

int yml_set(yml_doc *doc, const char *path, const char *value, char *err,
            size_t errlen)
{
    yml_node *cur = yml_root(doc);
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char *seg = dup_n(p, n);
        if (!seg)
            return SIM_ENOMEM;
        yml_node *next = NULL;
        if (yml_is_map(cur)) {
            next = yml_get(doc, cur, seg);
            /* Keys may hold dots themselves (rates: railway.cpu: ...):
             * the rest of the path as one key. */
            if (!next && dot && yml_get(doc, cur, p)) {
                next = yml_get(doc, cur, p);
                dot = NULL;
            } else if (!next && dot && p - path == 6 &&
                       strncmp(path, "rates.", 6) == 0) {
                sim_free(seg);
                seg = sim_strdup(p);
                if (!seg)
                    return SIM_ENOMEM;
                dot = NULL;
            }
            if (!next && !dot) {
                /* Add KEY: VALUE to this mapping. */
                int parent = node_index(doc, cur);
                yaml_mark_t mark = cur->start_mark;
                yblk *outer = owner;
                owner = &doc->blocks;
                int k = yaml_document_add_scalar(&doc->doc, NULL,
                                                 (yaml_char_t *)seg, -1,
                                                 YAML_PLAIN_SCALAR_STYLE);
                int v = k ? yaml_document_add_scalar(
                                &doc->doc, NULL, (yaml_char_t *)value, -1,
                                YAML_PLAIN_SCALAR_STYLE)
                          : 0;
                sim_free(seg);
                int added = k && v &&
                            yaml_document_append_mapping_pair(&doc->doc,
                                                              parent, k, v);
                owner = outer;
                if (!added)
                    return SIM_ENOMEM;
                yaml_document_get_node(&doc->doc, k)->start_mark = mark;
                yaml_document_get_node(&doc->doc, v)->start_mark = mark;
                return SIM_OK;
            }
        } else if (yml_is_seq(cur)) {
            char *end;
            long idx = strtol(seg, &end, 10);
            if (*seg && !*end && idx >= 0 && (size_t)idx < yml_seq_len(cur))
                next = yml_seq_item(doc, cur, (size_t)idx);
            for (size_t i = 0; !next && i < yml_seq_len(cur); i++) {
                yml_node *item = yml_seq_item(doc, cur, i);
                yml_node *nm = yml_is_map(item) ? yml_get(doc, item, "name")
                                                : NULL;
                if (nm && yml_is_scalar(nm) &&
                    strcmp(yml_scalar(nm), seg) == 0)
                    next = item;
            }
        }
        if (!next) {
            snprintf(err, errlen, "'%.*s' has no '%s'",
                     (int)(p - path ? p - path - 1 : 0), path, seg);
            if (p == path)
                snprintf(err, errlen, "the scenario has no '%s'", seg);
            sim_free(seg);
            return SIM_ENOTFOUND;
        }
        sim_free(seg);
        cur = next;
        if (!dot)
            break;
        p = dot + 1;
    }
    if (!yml_is_scalar(cur)) {
        snprintf(err, errlen, "'%s' is a %s, not a single value", path,
                 yml_is_map(cur) ? "mapping" : "list");
        return SIM_EINVAL;
    }
    yblk *outer = owner;
    owner = &doc->blocks;
    yaml_char_t *v = yaml_strdup((const yaml_char_t *)value);
    owner = outer;
    if (!v)
        return SIM_ENOMEM;
    yaml_free(cur->data.scalar.value);
    cur->data.scalar.value = v;
    cur->data.scalar.length = strlen(value);
    /* A value given on the command line is plain, whatever the file's
     * quoting was. */
    cur->data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
    return SIM_OK;
}

void yml_free(yml_doc *doc)
{
    if (!doc)
        return;
    yaml_document_delete(&doc->doc);
    drop_blocks(doc);
    sim_free(doc->file);
    sim_free(doc->text);
    sim_free(doc);
}

yml_node *yml_root(yml_doc *doc)
{
    return yaml_document_get_root_node(&doc->doc);
}

const char *yml_file(const yml_doc *doc) { return doc->file; }
int yml_nomem(const yml_doc *doc) { return doc->nomem; }
const char *yml_text(const yml_doc *doc) { return doc->text; }
sim_diag *yml_diag(yml_doc *doc) { return doc->diag; }

static void vreport(yml_doc *doc, enum sim_diag_level lvl, const yml_node *n,
                    const char *fmt, va_list ap)
{
    char buf[900];
    vsnprintf(buf, sizeof buf, fmt, ap);
    int line = n ? (int)n->start_mark.line + 1 : 0;
    int col = n ? (int)n->start_mark.column + 1 : 0;
    sim_diag_add(doc->diag, lvl, doc->file, doc->text, line, col, "%s", buf);
}

void yml_error(yml_doc *doc, const yml_node *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(doc, SIM_DIAG_ERROR, n, fmt, ap);
    va_end(ap);
}

void yml_warn(yml_doc *doc, const yml_node *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(doc, SIM_DIAG_WARNING, n, fmt, ap);
    va_end(ap);
}

int yml_is_map(const yml_node *n) { return n && n->type == YAML_MAPPING_NODE; }
int yml_is_seq(const yml_node *n) { return n && n->type == YAML_SEQUENCE_NODE; }
int yml_is_scalar(const yml_node *n) { return n && n->type == YAML_SCALAR_NODE; }

const char *yml_scalar(const yml_node *n)
{
    return yml_is_scalar(n) ? (const char *)n->data.scalar.value : NULL;
}

size_t yml_map_len(const yml_node *map)
{
    if (!yml_is_map(map))
        return 0;
    return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

yml_node *yml_map_key_node(yml_doc *doc, const yml_node *map, size_t i)
{
    return yaml_document_get_node(&doc->doc,
                                  map->data.mapping.pairs.start[i].key);
}

const char *yml_map_key(yml_doc *doc, const yml_node *map, size_t i)
{
    const char *s = yml_scalar(yml_map_key_node(doc, map, i));
    return s ? s : "";
}

yml_node *yml_map_value(yml_doc *doc, const yml_node *map, size_t i)
{
    return yaml_document_get_node(&doc->doc,
                                  map->data.mapping.pairs.start[i].value);
}

yml_node *yml_get(yml_doc *doc, const yml_node *map, const char *key)
{
    size_t n = yml_map_len(map);
    for (size_t i = 0; i < n; i++)
        if (strcmp(yml_map_key(doc, map, i), key) == 0)
            return yml_map_value(doc, map, i);
    return NULL;
}

size_t yml_seq_len(const yml_node *seq)
{
    if (!yml_is_seq(seq))
        return 0;
    return (size_t)(seq->data.sequence.items.top -
                    seq->data.sequence.items.start);
}

yml_node *yml_seq_item(yml_doc *doc, const yml_node *seq, size_t i)
{
    return yaml_document_get_node(&doc->doc,
                                  seq->data.sequence.items.start[i]);
}

static const char *kind_name(const yml_node *n)
{
    if (!n)
        return "nothing";
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_SCALAR_NODE:
        return n->data.scalar.length ? "a scalar" : "an empty value";
    default: return "nothing";
    }
}

/* Joins a NULL-terminated list as "a, b or c" for messages. */
static void join_choices(const char *const *v, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; v[i] && k + 8 < size; i++) {
        const char *sep = i == 0 ? "" : (v[i + 1] ? ", " : " or ");
        int w = snprintf(buf + k, size - k, "%s%s", sep, v[i]);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

int yml_check_map(yml_doc *doc, const yml_node *map, const char *what,
                  const char *const *allowed)
{
    int bad = 0;
    if (!yml_is_map(map)) {
        yml_error(doc, map, "expected %s as a mapping of keys to values, "
                  "found %s", what, kind_name(map));
        return SIM_EPARSE;
    }
    size_t n = yml_map_len(map);
    sim_strset *seen = sim_strset_new(n);
    for (size_t i = 0; i < n && !doc->nomem; i++) {
        yml_node *kn = yml_map_key_node(doc, map, i);
        const char *key = yml_map_key(doc, map, i);
        int known = 0;
        if (!yml_is_scalar(kn)) {
            yml_error(doc, kn, "expected a plain key in %s", what);
            bad = 1;
            continue;
        }
        for (size_t j = 0; allowed[j]; j++)
            if (strcmp(key, allowed[j]) == 0)
                known = 1;
        if (!known) {
            const char *s = sim_suggest(key, allowed);
            char list[600];
            join_choices(allowed, list, sizeof list);
            if (s)
                yml_error(doc, kn, "unknown key '%s' in %s; did you mean "
                          "'%s'?", key, what, s);
            else
                yml_error(doc, kn, "unknown key '%s' in %s; expected one "
                          "of %s", key, what, list);
            bad = 1;
        }
        int added = seen ? sim_strset_add(seen, key, NULL) : -1;
        if (added < 0)
            doc->nomem = 1;
        else if (added == 0) {
            yml_error(doc, kn, "duplicate key '%s' in %s", key, what);
            bad = 1;
        }
    }
    sim_strset_free(seen);
    if (doc->nomem)
        return SIM_ENOMEM;
    return bad ? SIM_EPARSE : SIM_OK;
}

int yml_get_str(yml_doc *doc, const yml_node *n, const char *what,
                const char **out)
{
    if (!yml_is_scalar(n) || n->data.scalar.length == 0) {
        yml_error(doc, n, "expected %s as a string, found %s", what,
                  kind_name(n));
        return SIM_EPARSE;
    }
    *out = yml_scalar(n);
    return SIM_OK;
}

static int quoted(const yml_node *n)
{
    return n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
           n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

int yml_get_fx(yml_doc *doc, const yml_node *n, const char *what,
               sim_fx min, sim_fx max, sim_fx *out)
{
    sim_fx v;
    char lo[64], hi[64];
    if (!yml_is_scalar(n) || quoted(n) || n->data.scalar.length == 0) {
        yml_error(doc, n, "expected %s as a number, found %s", what,
                  yml_is_scalar(n) && n->data.scalar.length
                      ? "a quoted string" : kind_name(n));
        return SIM_EPARSE;
    }
    int prc = sim_fx_parse(yml_scalar(n), &v);
    if (prc != SIM_OK) {
        yml_error(doc, n, "expected %s as a number%s, found '%s'", what,
                  prc == SIM_ERANGE ? " of sane size"
                                    : " (a decimal with at most 12 places)",
                  yml_scalar(n));
        return SIM_EPARSE;
    }
    if (v < min || v > max) {
        yml_error(doc, n, "%s must be between %s and %s, found %s", what,
                  sim_fx_format_trim(min, 12, lo, sizeof lo),
                  sim_fx_format_trim(max, 12, hi, sizeof hi), yml_scalar(n));
        return SIM_EPARSE;
    }
    *out = v;
    return SIM_OK;
}

int yml_get_int(yml_doc *doc, const yml_node *n, const char *what,
                int64_t min, int64_t max, int64_t *out)
{
    const char *s = yml_scalar(n);
    char *end;
    long long v;
    if (!s || quoted(n) || !*s) {
        yml_error(doc, n, "expected %s as a whole number, found %s", what,
                  kind_name(n));
        return SIM_EPARSE;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end || errno) {
        yml_error(doc, n, "expected %s as a whole number, found '%s'", what,
                  s);
        return SIM_EPARSE;
    }
    if (v < min || v > max) {
        yml_error(doc, n, "%s must be between %lld and %lld, found %lld",
                  what, (long long)min, (long long)max, v);
        return SIM_EPARSE;
    }
    *out = v;
    return SIM_OK;
}

int yml_get_bool(yml_doc *doc, const yml_node *n, const char *what, int *out)
{
    static const char *const t[] = {"true", "yes", "on", NULL};
    static const char *const f[] = {"false", "no", "off", NULL};
    const char *s = yml_scalar(n);
    for (int i = 0; s && t[i]; i++) {
        if (strcmp(s, t[i]) == 0) {
            *out = 1;
            return SIM_OK;
        }
        if (strcmp(s, f[i]) == 0) {
            *out = 0;
            return SIM_OK;
        }
    }
    yml_error(doc, n, "expected %s as true or false, found %s%s%s", what,
              s ? "'" : "", s ? s : kind_name(n), s ? "'" : "");
    return SIM_EPARSE;
}

int sim_parse_duration(const char *text, int64_t *usec)
{
    static const struct { const char *suffix; int64_t us; } units[] = {
        {"ms", 1000LL}, {"s", 1000000LL}, {"m", 60000000LL},
        {"h", 3600000000LL}, {"d", 86400000000LL}, {NULL, 0}
    };
    char num[64];
    size_t n = strlen(text);
    for (size_t i = 0; units[i].suffix; i++) {
        size_t k = strlen(units[i].suffix);
        if (n <= k || strcmp(text + n - k, units[i].suffix) != 0)
            continue;
        /* "ms" also ends in "s": only accept a digit before the suffix. */
        if (n - k >= sizeof num)
            return SIM_EINVAL;
        memcpy(num, text, n - k);
        num[n - k] = '\0';
        sim_fx v, us;
        if (sim_fx_parse(num, &v) != SIM_OK || v < 0)
            return SIM_EINVAL;
        if (sim_fx_mul(v, sim_fx_from_int(units[i].us), &us) != SIM_OK)
            return SIM_ERANGE;
        if (us % SIM_FX_ONE != 0)
            return SIM_EINVAL;      /* finer than a microsecond */
        *usec = (int64_t)(us / SIM_FX_ONE);
        return SIM_OK;
    }
    return SIM_EINVAL;
}

int yml_get_duration(yml_doc *doc, const yml_node *n, const char *what,
                     int64_t *usec)
{
    const char *s = yml_scalar(n);
    if (!s || sim_parse_duration(s, usec) != SIM_OK) {
        yml_error(doc, n, "expected %s as a duration with a unit (ms, s, m, "
                  "h or d, e.g. 730h or 10m), found %s%s%s", what,
                  s ? "'" : "", s ? s : kind_name(n), s ? "'" : "");
        return SIM_EPARSE;
    }
    return SIM_OK;
}

int yml_get_enum(yml_doc *doc, const yml_node *n, const char *what,
                 const char *const *choices, int *out)
{
    const char *s = yml_scalar(n);
    char list[600];
    if (s)
        for (int i = 0; choices[i]; i++)
            if (strcmp(s, choices[i]) == 0) {
                *out = i;
                return SIM_OK;
            }
    join_choices(choices, list, sizeof list);
    const char *hint = s ? sim_suggest(s, choices) : NULL;
    if (hint)
        yml_error(doc, n, "unknown %s '%s'; did you mean '%s'? (expected %s)",
                  what, s, hint, list);
    else
        yml_error(doc, n, "expected %s as one of %s, found %s%s%s", what,
                  list, s ? "'" : "", s ? s : kind_name(n), s ? "'" : "");
    return SIM_EPARSE;
}
