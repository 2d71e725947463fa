/*
 * doc.c -- reading and writing results documents (doc.h).
 */
#include "reports/doc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"

const cJSON *rpt__get(const cJSON *o, const char *key)
{
    if (!o || !cJSON_IsObject(o))
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

int rpt__feasible(const cJSON *dep)
{
    /* Documents written before feasibility was judged have no key: they
     * stand as they were. */
    return !cJSON_IsFalse(rpt__get(dep, "feasible"));
}

const char *rpt__str(const cJSON *o, const char *key)
{
    const cJSON *v = rpt__get(o, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* A number that came through a double: 15 significant digits give back
 * the decimal that was written, for every value results.c writes (at most
 * 6 decimals, well under 10^9). */
static int fx_of_double(double v, sim_fx *out)
{
    char buf[64];
    if (!isfinite(v))
        return SIM_EINVAL;
    snprintf(buf, sizeof buf, "%.15g", v);
    if (sim_fx_parse(buf, out) == SIM_OK)
        return SIM_OK;
    if (fabs(v) > 1e25)
        return SIM_EINVAL;
    *out = sim_fx_from_double(v);
    return SIM_OK;
}

int rpt_json_fx(const cJSON *item, sim_fx *out)
{
    if (!item)
        return SIM_EINVAL;
    if (cJSON_IsRaw(item)) {
        if (sim_fx_parse(item->valuestring, out) == SIM_OK)
            return SIM_OK;
        /* Raw text finer than the fixed point (a sweep's interpolated
         * crossing) reads as the double rpt_json_parse would have left. */
        char *end = NULL;
        double v = strtod(item->valuestring, &end);
        if (end == item->valuestring || *end != '\0')
            return SIM_EINVAL;
        return fx_of_double(v, out);
    }
    if (!cJSON_IsNumber(item))
        return SIM_EINVAL;
    return fx_of_double(item->valuedouble, out);
}

/* The number at `key`; 0 and false when absent. */
typedef struct numtok {
    size_t at, len;
} numtok;

static int scan_numbers(const char *t, size_t len, numtok **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '"') {
            for (i++; i < len && t[i] != '"'; i++)
                if (t[i] == '\\')
                    i++;
            continue;
        }
        if (t[i] != '-' && (t[i] < '0' || t[i] > '9'))
            continue;
        /* The characters cJSON's number parser takes. */
        size_t j = i;
        while (j < len && strchr("0123456789+-.eE", t[j]) && t[j])
            j++;
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            numtok *v = sim_realloc(*out, cap * sizeof *v);
            if (!v)
                return SIM_ENOMEM;
            *out = v;
        }
        (*out)[(*n)++] = (numtok){i, j - i};
        i = j - 1;
    }
    return SIM_OK;
}

/* Turns the k-th number of the tree into raw text, depth first. */
static int rawify(cJSON *node, const char *text, const numtok *tok,
                  size_t ntok, size_t *k)
{
    for (cJSON *c = node; c; c = c->next) {
        if (cJSON_IsNumber(c)) {
            if (*k >= ntok)
                return SIM_EINVAL;
            const numtok *t = &tok[(*k)++];
            char *s = cJSON_malloc(t->len + 1);
            sim_fx v;
            if (!s)
                return SIM_ENOMEM;
            memcpy(s, text + t->at, t->len);
            s[t->len] = '\0';
            /* The token must be this node's number: if the scan ever
             * disagreed with cJSON, stop and leave the rest as doubles
             * rather than give a value to the wrong key. */
            if (strtod(s, NULL) != c->valuedouble) {
                cJSON_free(s);
                return SIM_EINVAL;
            }
            /* Only what is exact as a decimal is kept as text; anything
             * else stays a double. */
            if (sim_fx_parse(s, &v) != SIM_OK) {
                cJSON_free(s);
                continue;
            }
            c->type = cJSON_Raw | (c->type & cJSON_StringIsConst);
            c->valuestring = s;
        } else if (c->child) {
            int rc = rawify(c->child, text, tok, ntok, k);
            if (rc != SIM_OK)
                return rc;
        }
    }
    return SIM_OK;
}

int rpt_json_parse(const char *text, size_t len, cJSON **out,
                   size_t *errpos)
{
    const char *end = NULL;
    numtok *tok = NULL;
    size_t ntok = 0, k = 0;
    *out = NULL;
    unsigned long failures = sim_alloc_failures();
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    /* cJSON says only "failed": an allocation failing meanwhile is why. */
    if (!root && sim_alloc_failures() != failures)
        return SIM_ENOMEM;
    if (!root) {
        if (errpos)
            *errpos = end ? (size_t)(end - text) : 0;
        return SIM_EPARSE;
    }
    int rc = scan_numbers(text, len, &tok, &ntok);
    if (rc == SIM_OK)
        rc = rawify(root, text, tok, ntok, &k);
    sim_free(tok);
    if (rc == SIM_ENOMEM) {
        cJSON_Delete(root);
        return rc;
    }
    /* Tokens that do not line up (SIM_EINVAL; never seen) leave the rest
     * as doubles, which rpt_json_fx still reads. */
    *out = root;
    return SIM_OK;
}

int rpt__write_file(const char *path, const char *text, size_t len,
                    sim_diag *d)
{
    int rc = sim_write_atomic(path, text, len);
    if (rc == SIM_EIO)
        sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0, "cannot write: %s",
                     strerror(errno));
    return rc;
}
