#!/usr/bin/env python3
"""ha_audit.py: what tests/ha.test checks once the load and the failures are over.

    ha_audit.py --dir DIR --database URI --twilio-log FILE --relay-log FILE
                [--errors FILE...] [--dispatch-log FILE...]

DIR holds what load_client.py wrote (attempts.jsonl, deliveries.jsonl) and ha.test's events
file, one line an event, TIME in Unix seconds:
    kill TIME NODE       the node's machine "died": Patroni, PostgreSQL, etcd, lighttpd and its
                         dispatcher killed with SIGKILL
    leader TIME NODE     a new leader is running after the kill
    freeze TIME NODE / thaw TIME NODE   the whole node SIGSTOPped, then SIGCONTed
URI is the store (the cluster's multi-host URI: the primary), asked with psql; the logs are the
mocks' --log files; --errors the endpoints' standard error (each node's lighttpd); --dispatch-log
the dispatchers' standard error.  It prints one figure a line, "NAME VALUE", and the first few
offending deliveries as "# ..." lines; ha.test asserts on the figures.

The side effects are audited as tests/faults_audit.py does (audit_effects): each acknowledged
one exactly once, the others at most once.  Beyond that: every job the outbox holds as done
reached its mock; a push the relay got twice (the same Idempotency-Key) or a participant the
Twilio mock was asked twice to add is an in-flight repeat when its first request came during a
failure, from 3 s before it (a dispatcher mid-attempt) to the first acknowledged write after it
(the outcome could not be written until then), and unexplained otherwise.  The figures of the
failover (ms after the kill), the longest gaps between acknowledged answers, for the deliveries
that only read (the intercept decisions among them: they fall back to a standby) and for those
that write, and the 503s.
"""

import argparse
import collections
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faults_audit import Audit, audit_effects, collapse_id, print_report, read_jsonl  # noqa: E402

WRITES = {"routing", "participant-added", "proxy-callback", "call-notify"}
IN_FLIGHT_BEFORE_S = 3.0


class Rows(list):
    """What a query returned, answering as much of sqlite3's cursor as audit_effects uses."""

    def fetchone(self):
        return self[0] if self else None

    def fetchall(self):
        return list(self)


class Psql:
    """The store, asked with psql: execute(SQL) gives its rows as tuples of text (an integer
    column as int)."""

    def __init__(self, uri):
        self.uri = uri

    def execute(self, sql):
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-v",
                              "ON_ERROR_STOP=1", "-d", self.uri, "-c", sql],
                             capture_output=True, text=True, check=True).stdout
        return Rows(tuple(int(v) if v.isdigit() else v for v in line.split("\x1f"))
                    for line in out.splitlines())


def read_events(path):
    events = collections.defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            word = line.split()
            if word:
                events[word[0]].append((float(word[1]), word[2]))
    return events


def longest_gap(times):
    times = sorted(times)
    return max((b - a for a, b in zip(times, times[1:])), default=0.0)


def ms(seconds):
    return round(seconds * 1000) if seconds is not None else -1


def classify_attempts(audit, attempts, events, keys, failed_open):
    """The answers, the gaps and the failover as the load client saw them.  An intercept
    decision let through while the rules could not be read is the documented fail-open answer
    when the log says so."""
    c = collections.Counter()
    for a in attempts:
        if a["expected"]:
            c["expected"] += 1
        elif a["kind"] == "intercept-block" and a["origin"] == "endpoint" and \
                a["status"] == 200 and keys[a["d"]] in failed_open:
            c["failed_open"] += 1
        elif a["origin"] == "endpoint" and a["status"] == 503:
            c["503"] += 1
            if not a["retry_after"]:
                c["503_without_retry_after"] += 1
        elif a["origin"] == "connection":
            c["connection"] += 1
        elif a["origin"] == "server":
            c["server"] += 1
        else:
            c["unexpected"] += 1
            audit.offence(f"unexpected answer: {a}")
    for name in ("expected", "failed_open", "503", "503_without_retry_after", "connection",
                 "server", "unexpected"):
        audit.figure(f"answers_{name}", c[name])
    acked = [a for a in attempts if a["expected"]]
    audit.figure("read_gap_ms", ms(longest_gap(
        a["answered"] for a in acked if a["kind"] not in WRITES)))
    audit.figure("write_gap_ms", ms(longest_gap(
        a["answered"] for a in acked if a["kind"] in WRITES)))
    kill = events["kill"][0][0] if events["kill"] else None
    first_write = min((a["answered"] for a in acked
                       if a["kind"] in WRITES and kill and a["sent"] > kill), default=None)
    leader = events["leader"][0][0] if events["leader"] else None
    audit.figure("kill_to_leader_ms", ms(leader - kill) if kill and leader else -1)
    audit.figure("kill_to_first_write_ms", ms(first_write - kill) if first_write else -1)
    windows = []
    if kill:
        windows.append((kill - IN_FLIGHT_BEFORE_S, first_write or float("inf")))
    for (t_freeze, _), (t_thaw, _) in zip(events["freeze"], events["thaw"]):
        after = min((a["answered"] for a in acked
                     if a["kind"] in WRITES and a["sent"] > t_thaw), default=float("inf"))
        windows.append((t_freeze - IN_FLIGHT_BEFORE_S, after))
    return windows


def lost_intercepts(audit, db, attempts, deliveries, errors, kill):
    """Acknowledged intercept decisions neither recorded nor logged as such.  Their record is
    committed without waiting for a standby (twhook-proxy-intercept(8): a machine that dies may
    lose the last ones), so those answered as the primary's machine was dying are lost with it;
    any other is unexplained."""
    recorded = {r[0] for r in db.execute("SELECT interaction_sid FROM proxy_intercepts")}
    answered = {a["d"]: a["answered"] for a in attempts if a["expected"]}
    lost = unexplained = 0
    for dl in deliveries:
        if not dl["kind"].startswith("intercept-") or not dl["expected"] or \
                dl["key"] in recorded or f"{dl['key']}: " in errors:
            continue
        if kill and kill - 1 <= answered[dl["d"]] <= kill + IN_FLIGHT_BEFORE_S:
            lost += 1
        else:
            unexplained += 1
            audit.offence(f"{dl['kind']} {dl['key']}: not recorded, and no error says so")
    audit.figure("intercepts_lost_with_primary", lost)
    audit.figure("intercepts_unrecorded_unexplained", unexplained)


def repeats(audit, name, first_and_count, windows):
    """Counts the effects requested more than once, in flight at a failure or not."""
    repeated = {k: v for k, v in first_and_count.items() if v[1] > 1}
    in_flight = [k for k, (t, _) in repeated.items()
                 if any(lo <= t <= hi for lo, hi in windows)]
    for k in repeated:
        if k not in in_flight:
            audit.offence(f"{name} {k} repeated {repeated[k][1]} times, first at "
                          f"{repeated[k][0]:.3f}, in no failure")
    audit.figure(f"{name}_repeats", sum(v[1] - 1 for v in repeated.values()))
    audit.figure(f"{name}_repeats_in_flight", sum(repeated[k][1] - 1 for k in in_flight))
    audit.figure(f"{name}_repeats_unexplained", len(repeated) - len(in_flight))


def first_and_count(pairs):
    """(key, time) pairs -> {key: (first time, count)}."""
    out = {}
    for key, t in pairs:
        first, n = out.get(key, (t, 0))
        out[key] = (min(first, t), n + 1)
    return out


def audit_mocks(audit, db, twilio, relay, windows):
    """Every job done reached its mock; repeats at the mocks are in-flight ones."""
    pushes = first_and_count((r["headers"].get("idempotency-key"), r["time"]) for r in relay
                             if r.get("status") == 200)
    adds = first_and_count((r["path"].split("/")[3], r["time"]) for r in twilio
                           if r["method"] == "POST" and r["path"].endswith("/Participants")
                           and r["form"].get("Identity") == ["alice@example.com"])
    attributed = {r["path"].rsplit("/", 1)[1] for r in twilio
                  if r["method"] == "POST" and "Attributes" in r["form"] and r["status"] == 200}
    missing = 0
    for key, kind, state in db.execute("SELECT idempotency_key, kind, state FROM outbox"):
        if state != "done":
            continue
        part = key.split(":")
        reached = {"push": lambda: collapse_id(key) in pushes,
                   "add_participant": lambda: part[1] in adds or part[-1] == "unroutable",
                   "update_participant": lambda: part[-1] in attributed}.get(kind, lambda: True)
        if not reached():
            missing += 1
            audit.offence(f"job {key} is done but its mock never got it")
    audit.figure("jobs_done_not_at_mock", missing)
    repeats(audit, "relay", pushes, windows)
    repeats(audit, "add_participant", adds, windows)
    audit.figure("jobs_unfinished", db.execute(
        "SELECT count(*) FROM outbox WHERE state IN ('queued', 'retrying', 'delivering')")[0][0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--twilio-log", required=True)
    parser.add_argument("--relay-log", required=True)
    parser.add_argument("--errors", action="append", default=[])
    parser.add_argument("--dispatch-log", action="append", default=[])
    args = parser.parse_args()
    attempts = read_jsonl(os.path.join(args.dir, "attempts.jsonl"))
    deliveries = read_jsonl(os.path.join(args.dir, "deliveries.jsonl"))
    events = read_events(os.path.join(args.dir, "events"))
    audit = Audit()
    audit.figure("deliveries", len(deliveries))
    audit.figure("attempts", len(attempts))
    audit.figure("deliveries_acknowledged", sum(1 for dl in deliveries if dl["expected"]))
    errors = ""
    for path in args.errors:
        with open(path, encoding="utf-8", errors="replace") as f:
            errors += "".join(line for line in f
                              if "NOT recorded" in line or "(failing open)" in line)
    failed_open = {line.split(": ")[2] for line in errors.splitlines()
                   if "(failing open)" in line}
    windows = classify_attempts(audit, attempts, events, {dl["d"]: dl["key"] for dl in deliveries},
                                failed_open)
    lease_expired = 0
    for path in args.dispatch_log:
        with open(path, encoding="utf-8", errors="replace") as f:
            lease_expired += sum(1 for line in f if "lease expired during the attempt" in line)
    audit.figure("dispatch_lease_expired_logged", lease_expired)
    db = Psql(args.database)
    twilio, relay = read_jsonl(args.twilio_log), read_jsonl(args.relay_log)
    audit_effects(audit, deliveries, db, twilio, relay, len(events["kill"]), errors)
    audit_mocks(audit, db, twilio, relay, windows)
    lost_intercepts(audit, db, attempts, deliveries, errors,
                    events["kill"][0][0] if events["kill"] else None)
    print_report(audit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
