/*
 * trace.c -- the trace and sample CSV files a scenario names (trace.h).
 */
#include "scenario/trace.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/file.h"
#include "base/fixed.h"

/* ---------------------------------------------------------------------
 * CSV reading with positions
 * ------------------------------------------------------------------ */

/*
 * libcsv reports fields but not where they were.  The reader feeds it
 * one chunk at a time, each ending at the next ',', CR or LF -- the only
 * bytes on which libcsv completes a field or a row -- so every callback
 * fires on the last byte of the current chunk and its offset is known.
 * A field starts after the previous field's comma, or at the first byte
 * that is not a line break or blank after the previous row.  Feeding a
 * byte at a time would be simpler but cost a library call per byte.
 */
#define CSV_MAXF 5              /* fields kept per row; more are counted */

typedef struct csv_fld {
    size_t at, len;         /* in the row buffer (NUL-terminated there) */
    size_t off;             /* where the field starts in the text */
} csv_fld;

typedef struct reader reader;
struct reader {
    const char *path;
    const char *text;       /* after any UTF-8 byte-order mark */
    size_t len;
    sim_diag *d;
    char *buf;              /* the current row's fields */
    size_t blen, bcap;
    csv_fld fld[CSV_MAXF];
    size_t nf;              /* fields in the current row */
    size_t pos;             /* offset of the byte being parsed */
    size_t fstart;          /* where the next field may start */
    int after_row;          /* fstart follows a row end */
    int (*row)(reader *r);
    void *ctx;
    int rc;
};

static void error_at(reader *r, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The line and column (1-based) of text offset `off`. */
static void pos_of(const reader *r, size_t off, int *line, int *col)
{
    size_t ls = 0;
    *line = 1;
    for (size_t i = 0; i < off && i < r->len; i++) {
        if (r->text[i] == '\n') {
            ++*line;
            ls = i + 1;
        }
    }
    *col = (int)(off - ls + 1);
}

/* Records an error at text offset `off` (line and column 1-based). */
static void error_at(reader *r, size_t off, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line, col;
    pos_of(r, off, &line, &col);
    sim_diag_add(r->d, SIM_DIAG_ERROR, r->path, r->text, line, col, "%s",
                 msg);
}

static const char *fstr(const reader *r, size_t i)
{
    return r->buf + r->fld[i].at;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void on_field(void *s, size_t len, void *data)
{
    reader *r = data;
    if (r->rc != SIM_OK)
        return;
    size_t off = r->fstart;
    while (off < r->pos &&
           (is_blank(r->text[off]) ||
            (r->after_row && (r->text[off] == '\r' || r->text[off] == '\n'))))
        off++;
    r->fstart = r->pos + 1;
    r->after_row = 0;
    if (r->nf++ >= CSV_MAXF)
        return;
    if (r->bcap - r->blen < len + 1) {
        size_t ncap = r->bcap ? r->bcap : 256;
        while (ncap - r->blen < len + 1)
            ncap *= 2;
        char *nb = sim_realloc(r->buf, ncap);
        if (!nb) {
            r->rc = SIM_ENOMEM;
            return;
        }
        r->buf = nb;
        r->bcap = ncap;
    }
    csv_fld *f = &r->fld[r->nf - 1];
    f->at = r->blen;
    f->len = len;
    f->off = off;
    if (len)
        memcpy(r->buf + r->blen, s, len);
    r->buf[r->blen + len] = '\0';
    r->blen += len + 1;
}

static void on_row(int c, void *data)
{
    reader *r = data;
    (void)c;
    if (r->rc == SIM_OK && r->nf > 0)
        r->rc = r->row(r);
    r->nf = 0;
    r->blen = 0;
    r->fstart = r->pos + 1;
    r->after_row = 1;
}


/* Feeds the text to libcsv, calling r->row for every row. */
static int csv_feed(reader *r)
{
    struct csv_parser p;
    /* Strict: a stray quote is an error rather than a silently merged
     * field. */
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return SIM_ENOMEM;
    /* libcsv allocates its field buffer lazily, through these. */
    csv_set_realloc_func(&p, sim_realloc);
    csv_set_free_func(&p, sim_free);
    size_t i = 0;
    while (i < r->len && r->rc == SIM_OK) {
        size_t j = i;
        while (j < r->len && r->text[j] != ',' && r->text[j] != '\n' &&
               r->text[j] != '\r')
            j++;
        size_t end = j < r->len ? j + 1 : r->len;
        r->pos = end - 1;
        size_t got = csv_parse(&p, r->text + i, end - i, on_field, on_row, r);
        if (r->rc == SIM_OK && got < end - i) {
            if (csv_error(&p) == CSV_ENOMEM) {
                r->rc = SIM_ENOMEM;
            } else {
                error_at(r, i + got, "malformed CSV: %s",
                         csv_strerror(csv_error(&p)));
                r->rc = SIM_EPARSE;
            }
        }
        i = end;
    }
    if (r->rc == SIM_OK) {
        r->pos = r->len;
        if (csv_fini(&p, on_field, on_row, r) != 0 && r->rc == SIM_OK) {
            error_at(r, r->fstart < r->len ? r->fstart : r->len,
                     "malformed CSV: a quoted field is never closed");
            r->rc = SIM_EPARSE;
        }
    }
    csv_free(&p);
    return r->rc;
}

/* Reads `path` and runs `row` over its rows.  EIO names the file. */
static int csv_read(const char *path, sim_diag *d, int (*row)(reader *r),
                    void *ctx)
{
    size_t len = 0;
    char *text = sim_read_file(path, &len);
    if (!text) {
        if (errno == ENOMEM)
            return SIM_ENOMEM;
        sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0,
                     "cannot read %s: %s", path, strerror(errno));
        return SIM_EIO;
    }
    reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.text = text;
    r.len = len;
    /* Spreadsheets like to start CSVs with a byte-order mark. */
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
        r.text += 3;
        r.len -= 3;
    }
    r.d = d;
    r.row = row;
    r.ctx = ctx;
    r.after_row = 1;
    int rc = csv_feed(&r);
    sim_free(r.buf);
    sim_free(text);
    return rc;
}

/*
 * A whole field as a plain decimal number ("12", "0.5", "1e3"); 0 when it
 * is not one.  strtod alone would also take "0x1p4", "inf" and "nan",
 * which no trace means as a time and which would keep a header named
 * "inf" from being recognised.
 */
static int parse_number(const char *s, size_t len, double *v /* OUT */)
{
    char *end;
    if (len == 0 || strspn(s, "0123456789.eE+-") != len)
        return 0;
    *v = strtod(s, &end);
    return end == s + len;
}

/* ---------------------------------------------------------------------
 * Times in traces
 * ------------------------------------------------------------------ */

enum time_kind {
    TIME_NONE,          /* neither a number nor a timestamp: a header */
    TIME_SECONDS,
    TIME_STAMP,
    TIME_NEGATIVE,      /* a number below 0 */
    TIME_BAD_STAMP      /* starts like a date but is not a valid one */
};

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, int *v /* OUT */)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

/*
 * "hh:mm:ss[.fff][Z|+hh:mm|+hhmm|+hh]" into seconds after midnight UTC
 * (may be negative or past a day by the zone), whole and fraction.
 * Returns 0 when malformed.
 */
static int parse_clock(const char *p, int *sec /* OUT */,
                       double *frac /* OUT */)
{
    int h, mi, se, tz = 0;
    if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi) ||
        p[5] != ':' || !digits(p + 6, 2, &se))
        return 0;
    p += 8;
    *frac = 0;
    if (*p == '.') {
        double scale = 0.1;
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9') {
            *frac += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
    }
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, th, tm = 0;
        p++;
        if (!digits(p, 2, &th))
            return 0;
        p += 2;
        if (*p) {
            p += *p == ':';     /* +hh:mm or +hhmm */
            if (!digits(p, 2, &tm))
                return 0;
            p += 2;
        }
        if (th > 23 || tm > 59)
            return 0;
        tz = sign * (th * 3600 + tm * 60);
    }
    /* Second 60 is a leap second; it counts as the next minute's 0. */
    if (*p || h > 23 || mi > 59 || se > 60)
        return 0;
    *sec = h * 3600 + mi * 60 + se - tz;
    return 1;
}

/*
 * YYYY-MM-DD[(T| )hh:mm:ss[.fff][Z|+hh:mm]] as seconds since the epoch,
 * split into whole seconds and a fraction so that differences keep
 * sub-microsecond precision; a bare date is its midnight and a time
 * without a zone is UTC.  Returns TIME_NONE unless it starts like a
 * date, TIME_BAD_STAMP for a malformed or impossible one.
 */
static enum time_kind parse_stamp(const char *s, int64_t *sec /* OUT */,
                                  double *frac /* OUT */)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};
    int y, mo, d, clock = 0;
    if (!digits(s, 4, &y) || s[4] != '-')
        return TIME_NONE;
    if (!digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d))
        return TIME_BAD_STAMP;
    *frac = 0;
    if (s[10] != '\0') {
        if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
            return TIME_BAD_STAMP;
        if (!parse_clock(s + 11, &clock, frac))
            return TIME_BAD_STAMP;
    }
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap))
        return TIME_BAD_STAMP;
    *sec = days_from_civil(y, mo, d) * 86400 + clock;
    return TIME_STAMP;
}

static enum time_kind parse_time(const char *s, size_t len,
                                 int64_t *sec /* OUT */,
                                 double *t /* OUT */)
{
    double v;
    if (parse_number(s, len, &v)) {
        /* Plain decimals overflow to inf only past 1e308. */
        if (!isfinite(v) || v < 0)
            return TIME_NEGATIVE;
        *sec = 0;
        *t = v + 0.0;       /* no -0 */
        return TIME_SECONDS;
    }
    if (strlen(s) != len)
        return TIME_NONE;
    return parse_stamp(s, sec, t);
}

/* ---------------------------------------------------------------------
 * Labels: (owner, text) -> dense index, in order of first appearance
 * ------------------------------------------------------------------ */

typedef struct lslot {
    uint64_t hash;
    uint64_t owner;         /* UINT64_MAX: a tenant; else its tenant */
    size_t off, len;        /* text in the arena */
    uint64_t val;
    int used;
} lslot;

typedef struct lmap {
    lslot *v;
    size_t cap, n;
    char *arena;
    size_t alen, acap;
} lmap;

static uint64_t lhash(uint64_t owner, const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ owner;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h ^ (h >> 29);
}

static int lmap_grow(lmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    lslot *v = sim_calloc(ncap, sizeof *v);
    if (!v)
        return SIM_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->v[i].used)
            continue;
        size_t j = (size_t)m->v[i].hash & (ncap - 1);
        while (v[j].used)
            j = (j + 1) & (ncap - 1);
        v[j] = m->v[i];
    }
    sim_free(m->v);
    m->v = v;
    m->cap = ncap;
    return SIM_OK;
}

/*
 * The index of (owner, s); a label not seen before gets `fresh` and
 * *added is set.
 */
static int lmap_get(lmap *m, uint64_t owner, const char *s, size_t len,
                    uint64_t fresh, uint64_t *val /* OUT */,
                    int *added /* OUT */)
{
    if (2 * (m->n + 1) > m->cap && lmap_grow(m) != SIM_OK)
        return SIM_ENOMEM;
    uint64_t h = lhash(owner, s, len);
    size_t j = (size_t)h & (m->cap - 1);
    while (m->v[j].used) {
        lslot *e = &m->v[j];
        if (e->hash == h && e->owner == owner && e->len == len &&
            !memcmp(m->arena + e->off, s, len)) {
            *val = e->val;
            *added = 0;
            return SIM_OK;
        }
        j = (j + 1) & (m->cap - 1);
    }
    if (m->acap - m->alen < len) {
        size_t ncap = m->acap ? m->acap : 4096;
        while (ncap - m->alen < len)
            ncap *= 2;
        char *na = sim_realloc(m->arena, ncap);
        if (!na)
            return SIM_ENOMEM;
        m->arena = na;
        m->acap = ncap;
    }
    if (len)
        memcpy(m->arena + m->alen, s, len);
    lslot *e = &m->v[j];
    e->hash = h;
    e->owner = owner;
    e->off = m->alen;
    e->len = len;
    e->val = fresh;
    e->used = 1;
    m->alen += len;
    m->n++;
    *val = fresh;
    *added = 1;
    return SIM_OK;
}

static void lmap_free(lmap *m)
{
    sim_free(m->v);
    sim_free(m->arena);
}

/* ---------------------------------------------------------------------
 * Traces
 * ------------------------------------------------------------------ */

/* A row as read, before the numbering of agents is known. */
typedef struct raw_row {
    int64_t sec;            /* a timestamp's whole seconds since 1970 */
    double t;               /* seconds, or a timestamp's fraction */
    double busy;
    uint64_t tenant;        /* tenant index */
    uint64_t k;             /* agent within its tenant */
} raw_row;

typedef struct trace_rd {
    int seen;               /* the first row (maybe a header) was read */
    enum time_kind mode;    /* what the first data row's time was */
    raw_row *rows;
    size_t n, cap;
    lmap labels;
    uint64_t *agents;       /* per tenant: agents seen so far */
    size_t tenants, tcap;
    /* The most agents of one tenant, and where the grid of tenants x
     * that many first passed TRACE_GRID_MIN (line 0: never); see
     * trace_grid. */
    uint64_t apt;
    int grid_line, grid_col;
} trace_rd;

/*
 * The model gives every tenant of a trace as many agents as its largest
 * tenant has, so a short file naming many tenants and one tenant with
 * many agents asks for a grid of millions of agents (each a counter
 * here and a generator in every run).  A grid past TRACE_GRID_MIN agents
 * and more than TRACE_GRID_PER_ROW per row of the trace is refused: a
 * trace that really has that many agents has rows for them.
 */
#define TRACE_GRID_MIN 1000000u
#define TRACE_GRID_PER_ROW 64u

static int trace_label(reader *r, size_t i, const char *what)
{
    if (r->fld[i].len == 0) {
        error_at(r, r->fld[i].off, "expected %s label, found an empty field",
                 what);
        return SIM_EPARSE;
    }
    return SIM_OK;
}

static int trace_row(reader *r)
{
    trace_rd *tr = r->ctx;
    if (r->nf != 3 && r->nf != 4) {
        /* Point at the first extra field, or at the short row. */
        size_t off = r->nf > 4 ? r->fld[4].off : r->fld[0].off;
        error_at(r, off,
                 "expected 3 or 4 columns (time, tenant, agent[, busy "
                 "seconds]), found %zu",
                 r->nf);
        return SIM_EPARSE;
    }
    int64_t sec = 0;
    double t = 0;
    enum time_kind kind = parse_time(fstr(r, 0), r->fld[0].len, &sec, &t);
    if (!tr->seen) {
        tr->seen = 1;
        if (kind == TIME_NONE)
            return SIM_OK;  /* a header */
    }
    if (kind != TIME_SECONDS && kind != TIME_STAMP) {
        static const char *const why[] = {
            "", "", "", " (times are >= 0)", " (no such date or time)"};
        error_at(r, r->fld[0].off,
                 "expected a time in seconds or an ISO 8601 timestamp, "
                 "found \"%.60s\"%s",
                 fstr(r, 0), why[kind]);
        return SIM_EPARSE;
    }
    if (!tr->mode)
        tr->mode = kind;
    else if (kind != tr->mode) {
        error_at(r, r->fld[0].off,
                 "expected a time in seconds or an ISO 8601 timestamp, "
                 "found \"%.60s\" (the first row uses %s; a trace uses one)",
                 fstr(r, 0),
                 tr->mode == TIME_STAMP ? "timestamps" : "seconds");
        return SIM_EPARSE;
    }
    if (trace_label(r, 1, "a tenant") != SIM_OK ||
        trace_label(r, 2, "an agent") != SIM_OK)
        return SIM_EPARSE;
    double busy = -1;
    if (r->nf == 4 && r->fld[3].len > 0) {
        if (!parse_number(fstr(r, 3), r->fld[3].len, &busy) ||
            !isfinite(busy) || busy < 0) {
            error_at(r, r->fld[3].off,
                     "expected busy seconds >= 0, found \"%.60s\"",
                     fstr(r, 3));
            return SIM_EPARSE;
        }
        busy += 0.0;
    }

    uint64_t tenant, k;
    int added;
    if (lmap_get(&tr->labels, UINT64_MAX, fstr(r, 1), r->fld[1].len,
                 tr->tenants, &tenant, &added) != SIM_OK)
        return SIM_ENOMEM;
    if (added) {
        if (tr->tenants == tr->tcap) {
            size_t ncap = tr->tcap ? tr->tcap * 2 : 16;
            uint64_t *na = sim_realloc(tr->agents, ncap * sizeof *na);
            if (!na)
                return SIM_ENOMEM;
            tr->agents = na;
            tr->tcap = ncap;
        }
        tr->agents[tr->tenants++] = 0;
    }
    if (lmap_get(&tr->labels, tenant, fstr(r, 2), r->fld[2].len,
                 tr->agents[tenant], &k, &added) != SIM_OK)
        return SIM_ENOMEM;
    if (added && ++tr->agents[tenant] > tr->apt)
        tr->apt = tr->agents[tenant];
    if (tr->grid_line == 0 && tr->apt > 0 &&
        (double)tr->tenants * (double)tr->apt > TRACE_GRID_MIN) {
        /* Where the grid grew past the floor; judged at the end. */
        pos_of(r, r->fld[added ? 2 : 1].off, &tr->grid_line, &tr->grid_col);
    }

    if (tr->n == tr->cap) {
        size_t ncap = tr->cap ? tr->cap * 2 : 1024;
        raw_row *nr = sim_realloc(tr->rows, ncap * sizeof *nr);
        if (!nr)
            return SIM_ENOMEM;
        tr->rows = nr;
        tr->cap = ncap;
    }
    raw_row *row = &tr->rows[tr->n++];
    row->sec = sec;
    row->t = t;
    row->busy = busy;
    row->tenant = tenant;
    row->k = k;
    return SIM_OK;
}

/*
 * Sorts rows by time, stably (equal times keep file order), with `tmp`
 * room for n rows.  A bottom-up merge sort: qsort is not stable, and
 * making it so would need a sequence number in every row.
 */
static void sort_by_time(sim_trace_row *v, size_t n, sim_trace_row *tmp)
{
    sim_trace_row *src = v, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                dst[k++] = src[b].t < src[a].t ? src[b++] : src[a++];
            while (a < mid)
                dst[k++] = src[a++];
            while (b < hi)
                dst[k++] = src[b++];
        }
        sim_trace_row *x = src;
        src = dst;
        dst = x;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
}

/* Sorts each agent's rows by time; most traces are already in time
 * order, so most ranges only get checked. */
static int sort_agents(sim_trace *out, uint64_t agents)
{
    sim_trace_row *tmp = NULL;
    for (uint64_t a = 0; a < agents; a++) {
        sim_trace_row *v = out->rows + out->agent_first[a];
        size_t n = (size_t)(out->agent_first[a + 1] - out->agent_first[a]);
        size_t i = 1;
        while (i < n && v[i - 1].t <= v[i].t)
            i++;
        if (i >= n)
            continue;
        if (!tmp) {
            tmp = sim_alloc(out->nrows * sizeof *tmp);
            if (!tmp)
                return SIM_ENOMEM;
        }
        sort_by_time(v, n, tmp);
    }
    sim_free(tmp);
    return SIM_OK;
}

/* Turns the parsed rows into the trace: relative times, global agents,
 * rows sorted by (agent, time, file order). */
static int trace_build(trace_rd *tr, sim_trace *out /* OUT */)
{
    uint64_t apt = 0;
    for (size_t i = 0; i < tr->tenants; i++)
        if (tr->agents[i] > apt)
            apt = tr->agents[i];
    uint64_t agents = (uint64_t)tr->tenants * apt;
    if (apt && agents / apt != tr->tenants)
        return SIM_ENOMEM;
    if (agents >= SIZE_MAX / sizeof(uint64_t) ||
        tr->n > SIZE_MAX / sizeof(sim_trace_row))
        return SIM_ENOMEM;
    out->rows = sim_alloc((tr->n ? tr->n : 1) * sizeof *out->rows);
    out->agent_first = sim_calloc((size_t)agents + 1, sizeof *out->agent_first);
    if (!out->rows || !out->agent_first)
        return SIM_ENOMEM;
    out->nrows = tr->n;
    out->tenants = (int64_t)tr->tenants;
    out->agents_per_tenant = (int64_t)apt;

    /* Timestamps count from the earliest row; (whole, fraction) pairs
     * compared lexicographically keep the precision an epoch-sized
     * double would lose. */
    int64_t msec = 0;
    double mfrac = 0;
    if (tr->mode == TIME_STAMP) {
        msec = tr->rows[0].sec;
        mfrac = tr->rows[0].t;
        for (size_t i = 1; i < tr->n; i++) {
            const raw_row *w = &tr->rows[i];
            if (w->sec < msec || (w->sec == msec && w->t < mfrac)) {
                msec = w->sec;
                mfrac = w->t;
            }
        }
    }

    /* A counting sort by agent, which keeps file order within an agent:
     * agent_first[a + 1] first holds agent a's start, and after the
     * scatter its end, which is agent a + 1's start. */
    uint64_t *af = out->agent_first;
    for (size_t i = 0; i < tr->n; i++)
        af[tr->rows[i].tenant * apt + tr->rows[i].k + 1]++;
    uint64_t run = 0;
    for (uint64_t a = 0; a < agents; a++) {
        uint64_t c = af[a + 1];
        af[a + 1] = run;
        run += c;
    }
    out->span = 0;
    for (size_t i = 0; i < tr->n; i++) {
        const raw_row *w = &tr->rows[i];
        uint64_t a = w->tenant * apt + w->k;
        sim_trace_row *o = &out->rows[af[a + 1]++];
        o->t = tr->mode == TIME_STAMP
                   ? (double)(w->sec - msec) + (w->t - mfrac)
                   : w->t;
        o->busy = w->busy;
        o->agent = a;
        if (o->t > out->span)
            out->span = o->t;
    }
    return sort_agents(out, agents);
}

int sim_trace_load(const char *path, sim_diag *d, sim_trace *out /* OUT */)
{
    trace_rd tr;
    memset(out, 0, sizeof *out);
    memset(&tr, 0, sizeof tr);
    int rc = csv_read(path, d, trace_row, &tr);
    if (rc == SIM_OK && tr.n == 0) {
        sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0,
                     "the trace has no rows");
        rc = SIM_EPARSE;
    }
    if (rc == SIM_OK && tr.grid_line > 0 &&
        (double)tr.tenants * (double)tr.apt >
            (double)TRACE_GRID_PER_ROW * (double)tr.n) {
        sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, tr.grid_line,
                     tr.grid_col, "the trace names %zu tenants and up to "
                     "%llu agents of one tenant: every tenant gets that "
                     "many, %.0f agents for %zu rows; expected at most %u "
                     "agents a row past %u agents (split uneven tenants "
                     "into classes of their own)", tr.tenants,
                     (unsigned long long)tr.apt,
                     (double)tr.tenants * (double)tr.apt, tr.n,
                     TRACE_GRID_PER_ROW, TRACE_GRID_MIN);
        rc = SIM_EPARSE;
    }
    if (rc == SIM_OK)
        rc = trace_build(&tr, out);
    sim_free(tr.rows);
    sim_free(tr.agents);
    lmap_free(&tr.labels);
    if (rc != SIM_OK)
        sim_trace_fini(out);
    return rc;
}

void sim_trace_fini(sim_trace *t)
{
    if (!t)
        return;
    sim_free(t->rows);
    sim_free(t->agent_first);
    memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------------
 * Samples
 * ------------------------------------------------------------------ */

typedef struct samples_rd {
    int seen;
    double *v;
    size_t n, cap;
} samples_rd;

static int samples_row(reader *r)
{
    samples_rd *sr = r->ctx;
    if (r->nf != 1) {
        error_at(r, r->fld[1].off,
                 "expected one column (service seconds), found %zu", r->nf);
        return SIM_EPARSE;
    }
    double v;
    int num = parse_number(fstr(r, 0), r->fld[0].len, &v);
    if (!sr->seen) {
        sr->seen = 1;
        if (!num)
            return SIM_OK;  /* a header */
    }
    if (!num || !isfinite(v) || v < 0) {
        error_at(r, r->fld[0].off,
                 "expected service seconds >= 0, found \"%.60s\"",
                 fstr(r, 0));
        return SIM_EPARSE;
    }
    if (sr->n == sr->cap) {
        size_t ncap = sr->cap ? sr->cap * 2 : 256;
        double *nv = sim_realloc(sr->v, ncap * sizeof *nv);
        if (!nv)
            return SIM_ENOMEM;
        sr->v = nv;
        sr->cap = ncap;
    }
    sr->v[sr->n++] = v + 0.0;
    return SIM_OK;
}

int sim_samples_load(const char *path, sim_diag *d, sim_samples *out /* OUT */)
{
    samples_rd sr;
    memset(out, 0, sizeof *out);
    memset(&sr, 0, sizeof sr);
    int rc = csv_read(path, d, samples_row, &sr);
    if (rc == SIM_OK && sr.n == 0) {
        sim_diag_add(d, SIM_DIAG_ERROR, path, NULL, 0, 0,
                     "the samples file has no values");
        rc = SIM_EPARSE;
    }
    if (rc != SIM_OK) {
        sim_free(sr.v);
        return rc;
    }
    /* Compensated summation: a million samples keep every digit. */
    double sum = 0, comp = 0;
    for (size_t i = 0; i < sr.n; i++) {
        double y = sr.v[i] - comp, t = sum + y;
        comp = (t - sum) - y;
        sum = t;
    }
    out->v = sr.v;
    out->n = sr.n;
    out->mean = sum / (double)sr.n;
    return SIM_OK;
}

void sim_samples_fini(sim_samples *s)
{
    if (!s)
        return;
    sim_free(s->v);
    memset(s, 0, sizeof *s);
}
