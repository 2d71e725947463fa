/*
 * fuzz_report.c -- results documents as `capsim report` reads them
 * (cli/report.c, reports/doc.c, reports/report.c, reports/charts.c).
 *
 * Feeds: the input as RESULTS.json to cli_report -- `capsim report
 * RESULTS.json --out DIR`, the very function main() calls -- which parses
 * it keeping each number's text (rpt_json_parse) and renders report.md,
 * costs.csv, report.html and the charts' .gp and .dat files from whatever
 * keys it finds.  gnuplot is kept off PATH (as tests/torture.c does), so
 * the charts' data and scripts are written but never run.
 *
 * Asserts: no crash, no exit, no block left live through the seam; an
 * exit code among those the spec names for report (0, 3 invalid input,
 * 4 run-time failure).
 */
#include <stdlib.h>
#include <stdio.h>

#include "base/alloc.h"
#include "cli/commands.h"
#include "fuzz/support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    if (!once) {
        fuzz_setup();
        fuzz_quiet_stdout();
        setenv("PATH", "", 1);
        once = 1;
    }
    char in[4096], out[4096];
    snprintf(in, sizeof in, "%s", fuzz_file("results.json", data, size));
    snprintf(out, sizeof out, "%s/report", fuzz_dir());
    char *argv[] = {"report", in, "--out", out, NULL};
    long live = sim_alloc_live();
    int code = cli_report(4, argv);
    if (code != CLI_OK && code != CLI_BAD_INPUT && code != CLI_RUNTIME)
        fuzz_fail("capsim report: an exit code the spec does not name");
    fuzz_no_leak(live, "capsim report");
    return 0;
}
