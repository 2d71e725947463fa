#!/usr/bin/python3
"""The CSB-1 cold-start benchmark written for SimPy 2 (Debian's python3-simpy).

usage: /usr/bin/python3 simpy_csb1.py [-n N] [-H seconds] [-s seed]
                                      [-r repeats] [--cancel]

Each container has a Source process that produces its Poisson arrivals.
Every message is a Process: it waits for the container's cold start to
end if one is under way (a SimEvent), then holds for its service time.
A cold start is a Process that holds 5 s and signals that event.  When
the last message leaves, a Timer process is started that holds 300 s
and puts the container to sleep if it was not cancelled.  An arrival
cancels the armed timer: by default the timer is left in SimPy's event
list and ignores itself when it wakes, because the container's timer
generation has moved on (a tombstone); with --cancel the arrival calls
SimPy's cancel(), which marks the event notice so that SimPy skips it.

The random numbers follow the CSB-1 recipe exactly (SplitMix64, one
stream per container and purpose, Box-Muller lognormal), and Python's
floats and math functions are the same IEEE doubles and libm as in C, so
the outputs are bit-identical to the C engines for the same N, horizon
and seed.  The output lines have the same names as capsim's csb1;
logical events are arrivals + departures + cold starts + fired timeouts,
counted as csb1 counts them.

SimPy 2 is the API of python3-simpy on Debian 12 (version 2.3.1).  It is
imported from Debian's own dist-packages, so run this script with
/usr/bin/python3 rather than another Python on the PATH.
"""

import math
import sys
import time

try:
    from SimPy.Simulation import (Process, SimEvent, Simulation, hold,
                                  waitevent)
    import SimPy
except ImportError:
    sys.exit("simpy_csb1: SimPy 2 not found; install python3-simpy and run "
             "with /usr/bin/python3")

# The CSB-1 parameters.
LAMBDA = 1.0 / 600      # messages per second per container
COLD = 5.0              # cold start, seconds
IDLE = 300.0            # idle timeout, seconds
MU = math.log(12.0)     # lognormal: log of the median
SIGMA = 1.0
TWO_PI = 6.283185307179586
PHI = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1

ASLEEP, STARTING, AWAKE = 0, 1, 2


def mix(z):
    """The SplitMix64 output function on 64-bit unsigned integers."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


class Stream:
    """One SplitMix64 stream: k = 0 for arrivals, k = 1 for service."""
    __slots__ = ("x",)

    def __init__(self, seed, i, k):
        self.x = mix((seed + PHI * (2 * i + k + 1)) & MASK)

    def uniform(self):
        """A uniform draw on (0, 1), never 0 or 1."""
        self.x = (self.x + PHI) & MASK
        return ((mix(self.x) >> 11) + 0.5) * 2.0 ** -53


def interarrival(arr):
    return -math.log(arr.uniform()) / LAMBDA


def service(svc):
    """Lognormal by Box-Muller; the second normal is discarded so that every
    message costs exactly two draws."""
    u1 = svc.uniform()
    u2 = svc.uniform()
    z = math.sqrt(-2 * math.log(u1)) * math.cos(TWO_PI * u2)
    return math.exp(MU + SIGMA * z)


class Counts:
    def __init__(self):
        self.messages = 0
        self.cold_starts = 0
        self.timeouts = 0
        self.departures = 0


class Container:
    """The state of one container, shared by its processes."""

    def __init__(self, sim, counts, seed, i, use_cancel):
        self.sim = sim
        self.counts = counts
        self.use_cancel = use_cancel
        self.arr = Stream(seed, i, 0)
        self.svc = Stream(seed, i, 1)
        self.state = ASLEEP
        self.wake = 0.0
        self.awake_s = 0.0
        self.busy = 0           # messages in service or held
        self.gen = 0            # generation of the armed idle timer
        self.timer = None       # the armed Timer, for --cancel
        self.ready = None       # SimEvent signalled when a cold start ends


class Source(Process):
    def run(self, c):
        while True:
            yield hold, self, interarrival(c.arr)
            c.counts.messages += 1
            s = service(c.svc)
            # An arrival cancels any armed idle timer.
            c.gen += 1
            if c.timer is not None:
                if c.use_cancel:
                    self.cancel(c.timer)
                c.timer = None
            if c.state == ASLEEP:
                c.state = STARTING
                c.wake = self.sim.now()
                c.counts.cold_starts += 1
                c.ready = SimEvent(sim=self.sim)
                cs = ColdStart(sim=self.sim)
                self.sim.activate(cs, cs.run(c))
            c.busy += 1
            m = Message(sim=self.sim)
            self.sim.activate(m, m.run(c, s))


class ColdStart(Process):
    def run(self, c):
        yield hold, self, COLD
        c.state = AWAKE
        c.ready.signal()


class Message(Process):
    def run(self, c, s):
        if c.state == STARTING:
            yield waitevent, self, c.ready
        yield hold, self, s
        # Departure.
        c.counts.departures += 1
        c.busy -= 1
        if c.busy == 0:
            c.gen += 1
            t = Timer(sim=self.sim)
            c.timer = t
            self.sim.activate(t, t.run(c, c.gen))


class Timer(Process):
    def run(self, c, gen):
        yield hold, self, IDLE
        if gen != c.gen:
            return      # cancelled by a later arrival (tombstone)
        c.counts.timeouts += 1
        c.awake_s += self.sim.now() - c.wake
        c.state = ASLEEP
        c.timer = None


def simulate(n, H, seed, use_cancel):
    sim = Simulation()
    sim.initialize()
    counts = Counts()
    cs = []
    for i in range(n):
        c = Container(sim, counts, seed, i, use_cancel)
        cs.append(c)
        src = Source(sim=sim)
        sim.activate(src, src.run(c))
    # SimPy 2 executes the events whose time is <= until.
    sim.simulate(until=H)
    # Containers awake at H count until H; totals are summed in index order
    # (an explicit loop, so the order is the same as in C).
    awake = 0.0
    for c in cs:
        if c.state != ASLEEP:
            c.awake_s += H - c.wake
        awake += c.awake_s
    return counts, awake


def main(argv):
    n, H, seed, repeats, use_cancel = 1000, 2592000.0, 42, 1, False
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--cancel":
            use_cancel = True
            i += 1
            continue
        if i + 1 >= len(argv):
            break
        if a == "-n":
            n = int(argv[i + 1])
        elif a == "-H":
            H = float(argv[i + 1])
        elif a == "-s":
            seed = int(argv[i + 1])
        elif a == "-r":
            repeats = int(argv[i + 1])
        i += 2
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        counts, awake = simulate(n, H, seed, use_cancel)
        dt = time.perf_counter() - t0
        best = min(best, dt)
    events = (counts.messages + counts.departures + counts.cold_starts +
              counts.timeouts)
    print("messages %d" % counts.messages)
    print("cold_starts %d" % counts.cold_starts)
    print("timeouts %d" % counts.timeouts)
    print("awake_s %.17g" % awake)
    print("awake_fraction %.6f" % (awake / (n * H)))
    print("cold_starts_per_container_hour %.5f" %
          (counts.cold_starts / (n * H / 3600)))
    print("seconds %.3f" % best)
    print("logical_events %d" % events)
    print("events_per_s %.0f" % (events / best))
    print("ns_per_event %.1f" % (best / events * 1e9))
    print("simpy_version %s" % getattr(SimPy, "__version__", "unknown"))
    print("python_version %s" % sys.version.split()[0])


if __name__ == "__main__":
    main(sys.argv)
