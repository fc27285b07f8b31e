#!/usr/bin/env python3
"""faults_audit.py: what tests/faults.test checks once the load and the faults are over.

    faults_audit.py --dir DIR --store STORE --twilio-log FILE --relay-log FILE --errors FILE

DIR holds what load_client.py wrote (attempts.jsonl, deliveries.jsonl) and faults.test's
events file, one line an event:
    kill-worker TIME PID NAME     a FastCGI worker (its executable's name) killed with SIGKILL
    kill-dispatcher TIME PID      `twhook dispatch` killed with SIGKILL
    lock-start TIME / lock-end TIME   a sqlite3 shell held the store's write lock in between
STORE is the endpoints' SQLite store; the logs are the mocks' --log files (twilio_mock.py,
push_mock.py --role relay); --errors is what the endpoints wrote to standard error.  It prints
one figure a line, "NAME VALUE", and the first few offending deliveries as "# ..." lines;
faults.test asserts on the figures.

An attempt's answer is expected when it is what its kind documents (load_client.py), or
explained by a fault: the endpoint's 503 with Retry-After to an attempt answered after the
lock was taken and sent before the lock's backlog was cleared (below), or the web server's
own 5xx page, a cut connection or no connection to an attempt sent to the endpoint within 3 s
after its worker was killed and answered after the kill.  Side effects are counted in the
store and at the mocks against the deliveries that were acknowledged (whose last answer was
the documented one) and those that were not.
"""

import argparse
import collections
import hashlib
import json
import os
import sqlite3
import sys

# What explains a fault's casualty is when it was sent, not how long its answer took: on a
# loaded machine (a sanitizer build beside other tests) an answer may come seconds late.
BUSY_SLACK_S = 0.5        # an attempt sent this soon after the lock ended may still meet it
# The lock leaves a backlog: the writers that waited through it commit one at a time, each
# with its fsync, and an attempt sent meanwhile queues behind them.  The backlog is cleared
# when the last writer's attempt sent before the lock ended is answered, which on a loaded
# machine can be later than BUSY_SLACK_S.
KILL_WINDOW_S = 3.0       # how long after a kill its casualties may have been sent
# How long Twilio waits for each endpoint's answer (twhook(7), CAVEATS).
DEADLINE_S = {"/twhook-crm": 6, "/twhook-outgoing": 6, "/twhook-templates": 6,
              "/twhook-routing": 10, "/twhook-conversations": 5}
DEFAULT_DEADLINE_S = 15
WRITERS = {"/twhook-routing", "/twhook-conversations", "/twhook-proxy-callback",
           "/twhook-proxy-intercept", "/twhook-call-notify"}
BINDINGS = ("bob-1", "bob-2")  # faults.test's bindings of the callee


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_events(path):
    kills, dispatcher_kills, lock = [], 0, [None, None]
    with open(path, encoding="utf-8") as f:
        for line in f:
            word = line.split()
            if word[0] == "kill-worker":
                kills.append((float(word[1]), "/" + word[3]))
            elif word[0] == "kill-dispatcher":
                dispatcher_kills += 1
            elif word[0] == "lock-start":
                lock[0] = float(word[1])
            elif word[0] == "lock-end":
                lock[1] = float(word[1])
    return kills, dispatcher_kills, lock


class Audit:
    def __init__(self):
        self.figures = {}
        self.examples = []

    def figure(self, name, value):
        self.figures[name] = value

    def offence(self, text):
        if len(self.examples) < 10:
            self.examples.append(text)


def classify_attempts(audit, attempts, kills, lock):
    """Counts the answers by what explains them; UNEXPECTED must stay 0."""
    counts = collections.Counter()
    met_lock = [a for a in attempts if a["path"] in WRITERS and lock[0] is not None and
                a["sent"] < lock[1] and a["answered"] > lock[0]]
    backlog_end = max([a["answered"] for a in met_lock] +
                      [lock[1] + BUSY_SLACK_S if lock[0] is not None else 0])
    for a in attempts:
        if a["expected"]:
            counts["expected"] += 1
        elif a["origin"] == "endpoint" and a["status"] == 503 and a["retry_after"] and \
                lock[0] is not None and a["answered"] >= lock[0] and \
                a["sent"] <= backlog_end:
            counts["busy"] += 1
        elif a["origin"] != "endpoint" and any(
                path == a["path"] and a["answered"] >= t - 0.05 and a["sent"] <= t + KILL_WINDOW_S
                for t, path in kills):
            counts["killed"] += 1
        else:
            counts["unexpected"] += 1
            audit.offence(f"unexpected answer: {json.dumps(a)}")
    for name in ("expected", "busy", "killed", "unexpected"):
        audit.figure(f"answers_{name}", counts[name])
    audit.figure("answers_endpoint_503", sum(1 for a in attempts if a["origin"] == "endpoint"
                                             and a["status"] == 503))
    audit.figure("answers_503_without_retry_after", sum(
        1 for a in attempts if a["status"] == 503 and a["origin"] == "endpoint" and
        not a["retry_after"]))
    audit.figure("lock_met", len(met_lock))
    audit.figure("lock_met_succeeded", sum(1 for a in met_lock if a["expected"]))
    audit.figure("lock_met_503", sum(1 for a in met_lock if a["status"] == 503))
    late = [a for a in met_lock
            if a["answered"] - a["sent"] > DEADLINE_S.get(a["path"], DEFAULT_DEADLINE_S)]
    for a in late:
        audit.offence(f"answered past its deadline during the lock: {json.dumps(a)}")
    audit.figure("lock_met_past_deadline", len(late))
    audit.figure("lock_met_max_ms", round(max(
        (a["answered"] - a["sent"] for a in met_lock), default=0) * 1000))
    audit.figure("lock_held_ms", round((lock[1] - lock[0]) * 1000) if lock[0] else 0)
    audit.figure("lock_backlog_ms", round((backlog_end - lock[1]) * 1000) if lock[0] else 0)


def collapse_id(key):
    """The relay's Idempotency-Key for the push job keyed KEY: its collapse identifier, the first
    32 hex digits of the key's SHA-256 (twhook-call-notify(8))."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def count_by(rows):
    c = collections.Counter()
    for key in rows:
        c[key] += 1
    return c


def audit_effects(audit, deliveries, db, twilio, relay, dispatcher_kills, errors):
    """Each acknowledged side effect exactly once, each other one at most once.  DB needs only
    execute(SQL) returning rows (tests/ha_audit.py passes one that asks PostgreSQL)."""
    by_kind = collections.defaultdict(list)
    for dl in deliveries:
        by_kind[dl["kind"]].append(dl)
    audit.figure("deliveries_not_acknowledged", sum(1 for dl in deliveries if not dl["expected"]))
    jobs = dict(db.execute("SELECT idempotency_key, state FROM outbox"))
    interactions = count_by(r[0] for r in db.execute(
        "SELECT interaction_sid FROM proxy_interactions"))
    intercepts = count_by(r[0] for r in db.execute(
        "SELECT interaction_sid FROM proxy_intercepts"))

    # At the mocks: participants added (POSTs of Identity) and attributes set, and relay
    # deliveries by their Idempotency-Key (the job's collapse identifier).
    added = collections.Counter()
    added_new = collections.Counter()
    attributed = set()
    for r in twilio:
        conv = r["path"].split("/")[3] if r["path"].count("/") >= 4 else None
        if r["method"] == "POST" and r["path"].endswith("/Participants") and \
                r["form"].get("Identity") == ["alice@example.com"]:
            added[conv] += 1
            if r["status"] == 201:
                added_new[conv] += 1
        elif r["method"] == "POST" and "Attributes" in r["form"] and r["status"] == 200:
            if json.loads(r["form"]["Attributes"][0]).get("customer_id") == "1":
                attributed.add(r["path"].rsplit("/", 1)[1])
    pushed = count_by(r["headers"].get("idempotency-key") for r in relay
                      if r.get("status") == 200)

    wrong = collections.Counter()

    def once(kind, dl, n, what):
        if (dl["expected"] and n != 1) or n > 1:
            wrong[kind] += 1
            audit.offence(f"{kind} delivery {dl['d']} ({dl['key']}, acknowledged: "
                          f"{dl['expected']}): {what} {n} times")

    for dl in by_kind["routing"]:
        job = f"add_participant:{dl['key']}"
        once("routing", dl, 1 if jobs.get(job) == "done" else 0, "job done")
        once("routing", dl, added_new[dl["key"]], "worker added at the mock")
    for dl in by_kind["participant-added"]:
        conv = "CH" + dl["key"][2:]
        once("participant-added", dl,
             1 if jobs.get(f"update_participant:{conv}:{dl['key']}") == "done" else 0, "job done")
        once("participant-added", dl, 1 if dl["key"] in attributed else 0, "attributes set")
    for dl in by_kind["proxy-callback"]:
        once("proxy-callback", dl, interactions[dl["key"]], "interaction recorded")
    for dl in by_kind["call-notify"]:
        for b in BINDINGS:
            key = f"push:{dl['key']}:{b}"
            once("call-notify", dl, 1 if jobs.get(key) == "done" else 0, f"job {b} done")
            once("call-notify", dl, 1 if pushed[collapse_id(key)] else 0, f"relay got {b}")
    unrecorded = unlogged = 0
    for kind in ("intercept-allow", "intercept-block"):
        for dl in by_kind[kind]:
            if intercepts[dl["key"]] > 1:
                wrong[kind] += 1
                audit.offence(f"{kind} {dl['key']} recorded {intercepts[dl['key']]} times")
            if dl["expected"] and intercepts[dl["key"]] == 0:
                unrecorded += 1
                if f"{dl['key']}: " not in errors:
                    unlogged += 1
                    audit.offence(f"{kind} {dl['key']}: not recorded, and no error says so")
    for kind in ("routing", "participant-added", "proxy-callback", "call-notify",
                 "intercept-allow", "intercept-block"):
        audit.figure(f"effects_wrong_{kind}", wrong[kind])
        audit.figure(f"acknowledged_{kind}", sum(1 for dl in by_kind[kind] if dl["expected"]))
    audit.figure("intercepts_acknowledged_unrecorded", unrecorded)
    audit.figure("intercepts_unrecorded_unlogged", unlogged)
    audit.figure("jobs_total", len(jobs))
    audit.figure("jobs_not_done", sum(1 for s in jobs.values() if s != "done"))
    audit.figure("dispatcher_kills", dispatcher_kills)
    audit.figure("mock_repeated_add_participant", sum(added.values()) - len(added))
    audit.figure("relay_repeated_push", sum(pushed.values()) - len(pushed))
    audit.figure("claims_total", db.execute("SELECT count(*) FROM idempotency_claims").fetchone()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--twilio-log", required=True)
    parser.add_argument("--relay-log", required=True)
    parser.add_argument("--errors", required=True)
    args = parser.parse_args()
    attempts = read_jsonl(os.path.join(args.dir, "attempts.jsonl"))
    deliveries = read_jsonl(os.path.join(args.dir, "deliveries.jsonl"))
    kills, dispatcher_kills, lock = read_events(os.path.join(args.dir, "events"))
    audit = Audit()
    audit.figure("deliveries", len(deliveries))
    audit.figure("attempts", len(attempts))
    audit.figure("worker_kills", len(kills))
    classify_attempts(audit, attempts, kills, lock)
    with open(args.errors, encoding="utf-8", errors="replace") as f:
        errors = "".join(line for line in f if "NOT recorded" in line)
    db = sqlite3.connect(f"file:{args.store}?mode=ro", uri=True)
    audit_effects(audit, deliveries, db, read_jsonl(args.twilio_log), read_jsonl(args.relay_log),
                  dispatcher_kills, errors)
    audit.figure("integrity_check", db.execute("PRAGMA integrity_check").fetchone()[0])
    audit.figure("foreign_key_violations", len(db.execute("PRAGMA foreign_key_check").fetchall()))
    db.close()
    print_report(audit)
    return 0


def print_report(audit):
    """The audit's figures, a line each ("name value"), then its examples as comments."""
    for name, value in audit.figures.items():
        print(f"{name} {value}")
    for text in audit.examples:
        print(f"# {text}")


if __name__ == "__main__":
    sys.exit(main())
