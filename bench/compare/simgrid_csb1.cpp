/*
 * simgrid_csb1.cpp -- the CSB-1 cold-start benchmark on SimGrid (s4u and
 * its kernel timers; Debian's libsimgrid-dev, version 3.32).
 *
 * usage: simgrid_csb1 [-m timers|remove|actors] [-n N] [-H seconds]
 *                     [-s seed] [-r repeats] [--cfg=key:value ...]
 *
 * Three mappings of the same model:
 *   timers  (default) every event is a SimGrid kernel timer
 *           (simgrid::kernel::timer::Timer::set), so SimGrid's timer heap
 *           is the pending-event set; a cancelled idle timer stays queued
 *           and ignores itself when it fires, because the container's
 *           timer generation has moved on (a tombstone).
 *   remove  the same, but an arrival removes the armed idle timer from
 *           SimGrid's heap with Timer::remove().
 *   actors  one s4u actor per container, on one host.  The actor keeps its
 *           own next arrival, cold-start end, departures and idle
 *           deadline, and sleeps with this_actor::sleep_until() to the
 *           earliest of them, so SimGrid interleaves the containers and
 *           every logical event is one actor wake-up.  Actor stacks are
 *           64 KiB unless --cfg=contexts/stack-size says otherwise.
 *
 * Model times are computed by the program from the random draws exactly as
 * in the C engines (SimGrid's clock only orders them), so the outputs are
 * bit-identical to theirs for the same N, horizon and seed.  The output
 * lines have the same names as capsim's csb1; logical events are arrivals
 * + departures + cold starts + fired timeouts, counted as csb1 counts
 * them.  A SimGrid engine can run only once per process, so -r repeats
 * re-executes the program itself and reports the best time.
 *
 * Build: g++ -O2 -Wall -Wextra -ffp-contract=off -std=c++17 \
 *          simgrid_csb1.cpp $(pkg-config --cflags --libs simgrid)
 */
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>
#include <simgrid/version.h>

#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <queue>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;
using simgrid::kernel::timer::Timer;

/* The CSB-1 parameters. */
static const double LAMBDA = 1.0 / 600;
static const double COLD = 5.0;
static const double IDLE = 300.0;
static const double TWO_PI = 6.283185307179586;
static const uint64_t PHI = 0x9E3779B97F4A7C15ULL;

/* ---------------------------------------------------------------------
 * Random numbers: SplitMix64, one stream per (container, purpose).
 * ------------------------------------------------------------------ */

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Stream k of container i: k = 0 for arrivals, k = 1 for service times. */
static uint64_t stream_seed(uint64_t seed, uint64_t i, uint64_t k)
{
    return mix(seed + PHI * (2 * i + k + 1));
}

static double uniform(uint64_t *x)
{
    *x += PHI;
    return ((double)(mix(*x) >> 11) + 0.5) * 0x1.0p-53;
}

static double interarrival(uint64_t *x)
{
    return -std::log(uniform(x)) / LAMBDA;
}

/* Lognormal by Box-Muller; the second normal is discarded so that every
 * message costs exactly two draws. */
static double service(uint64_t *x)
{
    static const double mu = std::log(12.0), sigma = 1.0;
    double u1 = uniform(x), u2 = uniform(x);
    double z = std::sqrt(-2 * std::log(u1)) * std::cos(TWO_PI * u2);
    return std::exp(mu + sigma * z);
}

/* ---------------------------------------------------------------------
 * Model state shared by both mappings
 * ------------------------------------------------------------------ */

enum { ASLEEP, STARTING, AWAKE };

struct Container {
    uint64_t arr = 0, svc = 0;  /* random streams */
    double wake = 0;            /* when the current awake period began */
    double ready = 0;           /* when the current cold start ends */
    double awake_s = 0;         /* awake seconds so far */
    uint32_t busy = 0;          /* messages in service or held */
    uint32_t gen = 0;           /* generation of the armed idle timer */
    Timer *timer = nullptr;     /* the armed idle timer (remove mode) */
    int state = ASLEEP;
};

struct Counts {
    uint64_t messages = 0, cold_starts = 0, timeouts = 0, departures = 0;
};

static std::vector<Container> g_cs;
static Counts g_k;
static double g_H = 2592000;
static bool g_remove = false;

/* ---------------------------------------------------------------------
 * Mapping 1: kernel timers
 * ------------------------------------------------------------------ */

static void on_arrival(uint32_t i, double t);
static void on_cold_end(uint32_t i);
static void on_departure(uint32_t i, double t);
static void on_timeout(uint32_t i, double t, uint32_t gen);

/* Events after the horizon are never executed, so they are not queued. */
static void at_arrival(uint32_t i, double t)
{
    if (t <= g_H)
        Timer::set(t, [i, t] { on_arrival(i, t); });
}

static void on_arrival(uint32_t i, double t)
{
    Container &c = g_cs[i];
    g_k.messages++;
    double s = service(&c.svc);
    /* Any armed idle timer is cancelled. */
    c.gen++;
    if (c.timer) {
        c.timer->remove();
        c.timer = nullptr;
    }
    double start;
    if (c.state == ASLEEP) {
        c.state = STARTING;
        c.wake = t;
        c.ready = t + COLD;
        g_k.cold_starts++;
        if (c.ready <= g_H)
            Timer::set(c.ready, [i] { on_cold_end(i); });
        start = c.ready;
    } else if (c.state == STARTING)
        start = c.ready;
    else
        start = t;
    c.busy++;
    double d = start + s;
    if (d <= g_H)
        Timer::set(d, [i, d] { on_departure(i, d); });
    at_arrival(i, t + interarrival(&c.arr));
}

static void on_cold_end(uint32_t i)
{
    g_cs[i].state = AWAKE;
}

static void on_departure(uint32_t i, double t)
{
    Container &c = g_cs[i];
    g_k.departures++;
    if (--c.busy == 0) {
        uint32_t gen = ++c.gen;
        double d = t + IDLE;
        if (d <= g_H) {
            Timer *tm = Timer::set(d, [i, d, gen] { on_timeout(i, d, gen); });
            if (g_remove)
                c.timer = tm;
        }
    }
}

static void on_timeout(uint32_t i, double t, uint32_t gen)
{
    Container &c = g_cs[i];
    if (gen != c.gen)
        return; /* cancelled by a later arrival */
    c.timer = nullptr;
    g_k.timeouts++;
    c.awake_s += t - c.wake;
    c.state = ASLEEP;
}

/* ---------------------------------------------------------------------
 * Mapping 2: one actor per container
 * ------------------------------------------------------------------ */

static void container_actor(uint32_t i)
{
    Container &c = g_cs[i];
    const double H = g_H;
    std::priority_queue<double, std::vector<double>, std::greater<double>>
        deps;                       /* departure times of its messages */
    double next_arr = 0 + interarrival(&c.arr);
    double deadline = INFINITY;     /* armed idle timer, or none */
    for (;;) {
        /* The earliest pending event; on ties an arrival comes first, then
         * the timeout, the cold-start end and departures. */
        double t = next_arr;
        int kind = 0;
        if (deadline < t) {
            t = deadline;
            kind = 1;
        }
        if (c.state == STARTING && c.ready < t) {
            t = c.ready;
            kind = 2;
        }
        if (!deps.empty() && deps.top() < t) {
            t = deps.top();
            kind = 3;
        }
        if (t > H)
            break;
        sg4::this_actor::sleep_until(t);
        switch (kind) {
        case 0: {
            g_k.messages++;
            double s = service(&c.svc);
            deadline = INFINITY;
            double start;
            if (c.state == ASLEEP) {
                c.state = STARTING;
                c.wake = t;
                c.ready = t + COLD;
                g_k.cold_starts++;
                start = c.ready;
            } else if (c.state == STARTING)
                start = c.ready;
            else
                start = t;
            c.busy++;
            deps.push(start + s);
            next_arr = t + interarrival(&c.arr);
            break;
        }
        case 1:
            g_k.timeouts++;
            c.awake_s += t - c.wake;
            c.state = ASLEEP;
            deadline = INFINITY;
            break;
        case 2:
            c.state = AWAKE;
            break;
        case 3:
            deps.pop();
            g_k.departures++;
            if (--c.busy == 0)
                deadline = t + IDLE;
            break;
        }
    }
}

/* ---------------------------------------------------------------------
 * Driver
 * ------------------------------------------------------------------ */

static double now()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runs the program again with the same arguments but -r 1, and returns the
 * time it reports. */
static double rerun(const char *self, const std::vector<std::string> &args)
{
    std::string cmd = self;
    for (size_t i = 0; i < args.size(); i++) {
        if (args[i] == "-r") {
            i++;
            continue;
        }
        cmd += " '" + args[i] + "'";
    }
    cmd += " -r 1 2>/dev/null";
    FILE *p = popen(cmd.c_str(), "r");
    if (!p)
        return INFINITY;
    char line[256];
    double sec = INFINITY;
    while (fgets(line, sizeof line, p))
        if (std::strncmp(line, "seconds ", 8) == 0)
            sec = std::atof(line + 8);
    pclose(p);
    return sec;
}

int main(int argc, char **argv)
{
    const std::vector<std::string> args(argv + 1, argv + argc);
    sg4::Engine e(&argc, argv);
    /* Actor stacks of 64 KiB unless the command line sets their size. */
    bool stack_given = false;
    for (const std::string &a : args)
        stack_given |= a.rfind("--cfg=contexts/stack-size", 0) == 0;
    if (!stack_given)
        sg4::Engine::set_config("contexts/stack-size:64");
    long n = 1000, repeats = 1;
    uint64_t seed = 42;
    std::string mode = "timers";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "-n") == 0)
            n = std::atol(argv[i + 1]);
        else if (std::strcmp(argv[i], "-H") == 0)
            g_H = std::atof(argv[i + 1]);
        else if (std::strcmp(argv[i], "-s") == 0)
            seed = std::strtoull(argv[i + 1], nullptr, 10);
        else if (std::strcmp(argv[i], "-r") == 0)
            repeats = std::atol(argv[i + 1]);
        else if (std::strcmp(argv[i], "-m") == 0)
            mode = argv[i + 1];
    }
    if (n < 1 || n > 0xFFFFFFFFL || repeats < 1 ||
        (mode != "timers" && mode != "remove" && mode != "actors")) {
        std::fprintf(stderr, "usage: simgrid_csb1 [-m timers|remove|actors] "
                             "[-n N] [-H seconds] [-s seed] [-r repeats]\n");
        return 2;
    }
    g_remove = mode == "remove";

    double t0 = now();
    sg4::Host *host = sg4::create_full_zone("zone")->create_host("h", 1e9);
    host->seal();
    g_cs.assign((size_t)n, Container());
    for (long i = 0; i < n; i++) {
        g_cs[i].arr = stream_seed(seed, (uint64_t)i, 0);
        g_cs[i].svc = stream_seed(seed, (uint64_t)i, 1);
    }
    if (mode == "actors") {
        for (long i = 0; i < n; i++) {
            uint32_t id = (uint32_t)i;
            sg4::Actor::create("c" + std::to_string(i), host,
                               [id] { container_actor(id); });
        }
    } else {
        for (long i = 0; i < n; i++)
            at_arrival((uint32_t)i, 0 + interarrival(&g_cs[i].arr));
    }
    e.run();
    /* Containers awake at H count until H; totals are summed in index
     * order. */
    double awake = 0;
    for (Container &c : g_cs) {
        if (c.state != ASLEEP)
            c.awake_s += g_H - c.wake;
        awake += c.awake_s;
    }
    double best = now() - t0;
    for (long r = 1; r < repeats; r++) {
        double s = rerun(argv[0], args);
        if (s < best)
            best = s;
    }
    double events = (double)g_k.messages + (double)g_k.departures +
                    (double)g_k.cold_starts + (double)g_k.timeouts;
    std::printf("messages %" PRIu64 "\ncold_starts %" PRIu64
                "\ntimeouts %" PRIu64 "\nawake_s %.17g\n",
                g_k.messages, g_k.cold_starts, g_k.timeouts, awake);
    std::printf("awake_fraction %.6f\ncold_starts_per_container_hour %.5f\n",
                awake / (n * g_H), g_k.cold_starts / (n * g_H / 3600));
    std::printf("seconds %.3f\nlogical_events %.0f\nevents_per_s %.0f\n"
                "ns_per_event %.1f\n", best, events, events / best,
                best / events * 1e9);
    std::printf("mode %s\nsimgrid_version %d.%d.%d\n", mode.c_str(),
                SIMGRID_VERSION_MAJOR, SIMGRID_VERSION_MINOR,
                SIMGRID_VERSION_PATCH);
    return 0;
}
