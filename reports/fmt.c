/*
 * fmt.c -- numbers as the reports show them (fmt.h).
 */
#include "reports/fmt.h"

#include <string.h>

static sim_fx pow10_fx(int places)
{
    sim_fx u = 1;
    for (int i = 0; i < SIM_FX_PLACES - places; i++)
        u *= 10;
    return u;
}

/* Inserts a comma between each group of three integer digits. */
void rpt_group_thousands(char *buf, size_t size)
{
    char *p = buf + (buf[0] == '-');
    size_t digits = strcspn(p, ".");
    size_t commas = digits > 3 ? (digits - 1) / 3 : 0;
    size_t len = strlen(buf);
    if (!commas || len + commas + 1 > size)
        return;
    char *src = p + digits, *dst = src + commas;
    memmove(dst, src, strlen(src) + 1);
    for (size_t i = 0; i < digits; i++) {
        *--dst = *--src;
        if (i % 3 == 2 && i + 1 < digits)
            *--dst = ',';
    }
}

char *rpt_fx_round(sim_fx v, int places, int group, char *buf, size_t size)
{
    if (places < 0)
        places = 0;
    if (places > SIM_FX_PLACES)
        places = SIM_FX_PLACES;
    sim_fx unit = pow10_fx(places);
    sim_fx a = v < 0 ? -v : v;
    sim_fx q = a / unit;
    if ((a % unit) * 2 >= unit)
        q++;
    /* The value is already a multiple of `unit`, so sim_fx_format's own
     * half-to-even rounding never applies. */
    sim_fx_format(v < 0 ? -(q * unit) : q * unit, places, buf, size);
    if (group)
        rpt_group_thousands(buf, size);
    return buf;
}

/* Rounded half away from zero to `places`, trailing zeros dropped. */
char *rpt_fx_trim(sim_fx v, int places, int group, char *buf, size_t size)
{
    rpt_fx_round(v, places, group, buf, size);
    if (strchr(buf, '.')) {
        char *e = buf + strlen(buf) - 1;
        while (*e == '0')
            *e-- = '\0';
        if (*e == '.')
            *e = '\0';
    }
    return buf;
}

/* The exact decimal, as the document wrote it. */
char *rpt_usd(sim_fx v, char *buf, size_t size)
{
    return rpt_fx_round(v, 2, 0, buf, size);
}

char *rpt_num(sim_fx v, char *buf, size_t size)
{
    return rpt_fx_trim(v, 6, 0, buf, size);
}
