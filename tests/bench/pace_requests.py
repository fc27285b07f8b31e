#!/usr/bin/env python3
"""pace_requests.py: sends prepared requests at a steady rate, and says when each was answered.

    pace_requests.py --url URL --rate PER-SECOND --requests FILE [--connections N]

FILE holds one request a line, as sign_requests.py writes them (signature <TAB> form body <TAB>
idempotency token).  Request i is sent at START + i / PER-SECOND (an open loop: a slow answer
does not delay the requests after it, as long as one of the N keep-alive connections, default
4, is free), as a form POST with X-Twilio-Signature and I-Twilio-Idempotency-Token.  For each
it writes one line to standard output:

    ConversationSid <TAB> sent <TAB> answered <TAB> HTTP status <TAB> late

sent and answered are Unix times (time.time(), the clock SQLite's 'now' and the mock read);
late is how far behind its schedule the request was sent, in seconds.  Exit status 0 when every
answer was a 2xx, 1 otherwise.  Python 3 standard library only.
"""

import argparse
import http.client
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--requests", required=True)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    url = urlsplit(args.url)
    with open(args.requests, encoding="utf-8") as f:
        requests = [line.rstrip("\n").split("\t") for line in f if line.strip()]

    local = threading.local()
    results = [None] * len(requests)

    def send(i, scheduled):
        sig, body, token = requests[i]
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sig,
            "I-Twilio-Idempotency-Token": token,
        }
        sent = time.time()
        try:
            local.conn.request("POST", url.path, body=body.encode(), headers=headers)
            answer = local.conn.getresponse()
            answer.read()
            status = answer.status
        except (OSError, http.client.HTTPException):
            local.conn.close()
            local.conn = None
            status = 0
        answered = time.time()
        sid = parse_qs(body).get("ConversationSid", [""])[0]
        results[i] = (sid, sent, answered, status, max(0.0, sent - scheduled))

    start = time.time() + 0.1
    with ThreadPoolExecutor(max_workers=args.connections) as pool:
        for i in range(len(requests)):
            scheduled = start + i / args.rate
            delay = scheduled - time.time()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, i, scheduled)
    ok = True
    for r in results:
        sid, sent, answered, status, late = r
        ok = ok and 200 <= status < 300
        sys.stdout.write(f"{sid}\t{sent:.6f}\t{answered:.6f}\t{status}\t{late:.6f}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
