#!/usr/bin/env python3
"""trace-check.py — checks a --trace-events file against TRACE.md's contract.

Usage: trace-check.py FILE [--cut] [CHECK]...
  --cut                    the run was cut short (exit at once, a kill): a flow
                           or span may lack its end, as after the size cap
  --ticks N                the polls with tick <= N are exactly ticks 1..N
                           (N: the `ticks` that /stats reported)
  --long THREAD MS         some slice on THREAD ("loop", "pool") lasts >= MS ms
                           and, on the loop, has no poll inside it
  --no-long THREAD MS      no slice but a poll on THREAD lasts >= MS ms
  --has CAT:PH:NAME        an event of category CAT, phase PH, name starting
                           with NAME (any part may be empty: any)
  --count CAT:PH:NAME N    exactly N such events
  --times CAT:PH:NAME N    such events happened at N different times at most
                           (e.g. the flow ends of many sends: one wake-up)

Always checked: the JSON parses; every event has the fields its phase needs;
one process; every thread with events is named; per thread, the events are in
the order they happened (a slice counts when it ends), and the slices nest;
every flow has its start and its finish (inside a slice), in time order, and
each of its events starts a slice of its own category on its thread; every
async span that begins, ends. (After --trace-events-max stopped the recording,
a flow or span may lack its end: only the order is checked.)
Prints `ok: N events, T threads, P polls`, or what is wrong and exits 1.
"""
import json
import sys
from decimal import Decimal

PHASES = set("XiMstfbne")


def fail(msg):
    print("trace-check: " + msg)
    sys.exit(1)


def load(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError as e:
        fail("not valid JSON: %s" % e)


def end(ev):
    return ev["ts"] + ev.get("dur", 0)


def check_fields(evs):
    for ev in evs:
        for k in ("ph", "pid", "tid", "name"):
            if k not in ev:
                fail("event without %s: %s" % (k, ev))
        if ev["ph"] not in PHASES:
            fail("unknown phase: %s" % ev)
        if ev["ph"] == "M":
            continue
        if "ts" not in ev or "cat" not in ev:
            fail("event without ts or cat: %s" % ev)
        if ev["ph"] == "X" and ("dur" not in ev or ev["dur"] < 0):
            fail("slice without a duration: %s" % ev)
        if ev["ph"] in "stfbne" and "id" not in ev:
            fail("flow or async event without id: %s" % ev)
        if ev["ph"] == "f" and ev.get("bp") != "e":
            fail("flow finish not bound to its enclosing slice: %s" % ev)


def threads_of(evs):
    pids = {ev["pid"] for ev in evs}
    if len(pids) != 1:
        fail("events from %d processes" % len(pids))
    if not any(ev["ph"] == "M" and ev["name"] == "process_name" for ev in evs):
        fail("no process_name")
    names = {ev["tid"]: ev["args"]["name"] for ev in evs
             if ev["ph"] == "M" and ev["name"] == "thread_name"}
    per = {}
    for ev in evs:
        if ev["ph"] != "M":
            per.setdefault(ev["tid"], []).append(ev)
    for tid in per:
        if tid not in names:
            fail("thread %s has events but no thread_name" % tid)
    return names, per


def check_thread(name, evs):
    last = None
    for ev in evs:
        t = end(ev)
        if last is not None and t < last:
            fail("%s: an event ends before the one written before it: %s" % (name, ev))
        last = t
    stack = []
    for ev in sorted((e for e in evs if e["ph"] == "X"), key=lambda e: (e["ts"], -e["dur"])):
        while stack and end(stack[-1]) <= ev["ts"]:
            stack.pop()
        if stack and end(ev) > end(stack[-1]):
            fail("%s: slices overlap without nesting: %s and %s" % (name, stack[-1], ev))
        stack.append(ev)


def inside_slice(ev, slices):
    return any(s["ts"] <= ev["ts"] <= end(s) for s in slices)


def check_flows(evs, per, capped):
    flows = {}
    for ev in evs:
        if ev["ph"] in "stf":
            flows.setdefault((ev["cat"], ev["id"]), []).append(ev)
    for key, fl in flows.items():
        phs = "".join(e["ph"] for e in fl)
        if phs.count("s") > 1 or phs.count("f") > 1 or (
                not capped and (phs.count("s") != 1 or phs.count("f") != 1)):
            fail("flow %s has not one start and one finish: %s" % (key, phs))
        ordered = sorted(fl, key=lambda e: "stf".index(e["ph"]))
        if [e["ts"] for e in ordered] != sorted(e["ts"] for e in ordered):
            fail("flow %s goes back in time" % (key,))
        f = ordered[-1]
        if f["ph"] == "f" and not inside_slice(f, [e for e in per[f["tid"]] if e["ph"] == "X"]):
            fail("flow %s finishes outside any slice" % (key,))
    spans = {}
    for ev in evs:
        if ev["ph"] in "be":
            spans.setdefault((ev["cat"], ev["id"]), []).append(ev["ph"])
    for key, phs in spans.items():
        if phs.count("b") != phs.count("e") and not capped:
            fail("async span %s: %d begin, %d end" % (key, phs.count("b"), phs.count("e")))
    return len(flows)


def check_flow_binding(evs, capped):
    """Every flow event (s, t, f) lies inside a slice of its own pid, tid and
    cat, and that slice starts at the flow event's ts: Chromium's DevTools
    binds a flow event only to a slice with the same pid, tid, ts and cat, and
    Perfetto to the slice around it on its thread. (In a run cut short, the
    slice of a job still running was never written.)"""
    starts = {}
    for ev in evs:
        if ev["ph"] == "X":
            starts.setdefault((ev["pid"], ev["tid"], ev["cat"]), []).append(ev)
    for ev in evs:
        if ev["ph"] not in "stf":
            continue
        mine = starts.get((ev["pid"], ev["tid"], ev["cat"]), [])
        if capped and not inside_slice(ev, mine):
            continue
        if not inside_slice(ev, mine):
            fail("flow %s %s: no %s slice on its thread around ts %s: %s"
                 % (ev["cat"], ev["id"], ev["cat"], ev["ts"], ev))
        if not any(s["ts"] == ev["ts"] for s in mine):
            fail("flow %s %s: no %s slice on its thread starts at ts %s: %s"
                 % (ev["cat"], ev["id"], ev["cat"], ev["ts"], ev))


def matching(evs, spec):
    cat, ph, name = (spec.split(":", 2) + ["", ""])[:3]
    return [e for e in evs if e["ph"] != "M" and (not cat or e["cat"] == cat)
            and (not ph or e["ph"] == ph) and e["name"].startswith(name)]


def is_poll(ev):
    return ev["ph"] == "X" and ev["cat"] == "loop" and ev["name"].startswith("poll")


def on_thread(names, per, prefix):
    return [e for tid, evs in per.items() if names[tid].startswith(prefix) for e in evs]


def main(argv):
    if len(argv) < 2:
        fail("usage: trace-check.py FILE [CHECK]...")
    path, args = argv[1], argv[2:]
    cut = "--cut" in args
    args = [a for a in args if a != "--cut"]
    doc = load(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        fail("not the object form: no traceEvents array")
    evs = doc["traceEvents"]
    check_fields(evs)
    names, per = threads_of(evs)
    for tid, tevs in per.items():
        check_thread(names[tid], tevs)
    capped = cut or any(e["ph"] == "i" and e["cat"] == "trace" for e in evs)
    check_flows(evs, per, capped)
    check_flow_binding(evs, capped)
    polls = [e for e in evs if is_poll(e)]

    while args:
        opt = args.pop(0)
        if opt == "--ticks":
            n = int(args.pop(0))
            got = sorted(e["args"]["tick"] for e in polls if e["args"]["tick"] <= n)
            if got != list(range(1, n + 1)):
                fail("polls with tick <= %d: %d of them, not ticks 1..%d" % (n, len(got), n))
            ticks = sorted(e["args"]["tick"] for e in polls)
            if ticks != list(range(1, len(ticks) + 1)):
                fail("poll ticks are not 1, 2, 3...")
        elif opt in ("--long", "--no-long"):
            thread, ms = args.pop(0), Decimal(args.pop(0))
            mine = on_thread(names, per, thread)
            long_ = [e for e in mine if e["ph"] == "X" and not is_poll(e)
                     and e["dur"] >= ms * 1000]
            if opt == "--no-long":
                if long_:
                    fail("a slice of >= %s ms on %s: %s" % (ms, thread, long_[0]))
                continue
            if not long_:
                fail("no slice of >= %s ms on %s" % (ms, thread))
            for s in long_:
                inner = [p for p in polls if s["ts"] < end(p) and p["ts"] < end(s)
                         and p["tid"] == s["tid"]]
                if inner:
                    fail("a poll inside the long slice %s: %s" % (s, inner[0]))
        elif opt == "--has":
            spec = args.pop(0)
            if not matching(evs, spec):
                fail("no event %s" % spec)
        elif opt == "--count":
            spec, n = args.pop(0), int(args.pop(0))
            got = len(matching(evs, spec))
            if got != n:
                fail("%d events %s, expected %d" % (got, spec, n))
        elif opt == "--times":
            spec, n = args.pop(0), int(args.pop(0))
            got = len({e["ts"] for e in matching(evs, spec)})
            if got > n:
                fail("events %s at %d different times, expected at most %d" % (spec, got, n))
        else:
            fail("unknown check %s" % opt)
    print("ok: %d events, %d threads, %d polls" % (len(evs), len(names), len(polls)))


if __name__ == "__main__":
    main(sys.argv)
