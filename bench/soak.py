#!/usr/bin/env python3
"""Soak test of `cairn serve`: a fixed-rate, open-loop mix of the query-key routes for a while,
with the server's memory watched, then (optionally) schemathesis against the same server.
A script that reports, and fails on server errors; not part of the test suite.

usage: bench/soak.py [--binary PATH] [--duration S] [--warmup S] [--rate RPS] [--workers N] [--port PORT]
                     [--admin-key KEY] [--query-key KEY] [--json]
                     [--schemathesis PATH [--schemathesis-max-examples N]]

The script starts its own server: it ingests docs-sample/corpus into the collection
`docs-sample` of a temporary data dir (`cairn ingest ... --collection docs-sample --data-dir
TMP`), then runs `cairn serve --data-dir TMP` with CAIRN_BIND=127.0.0.1:PORT, CAIRN_ADMIN_KEY
and CAIRN_QUERY_KEYS set; the rest of the environment is inherited, so set CAIRN_MODEL_DIR and
CAIRN_ORT_LIB first (`eval "$(scripts/fetch-models.sh)"; export CAIRN_MODEL_DIR CAIRN_ORT_LIB`).
The server log is TMP/server.log; its tail is printed when the server fails to start or
answers with a server error. The data dir is removed at the end.

Load: a scheduler issues request i at exactly start + i/rate (open loop: a slow server does not
slow the arrivals down) to a pool of --workers threads. The mix:
  40% POST /v1/collections/docs-sample/search  {"query": q}
  30% POST /v1/collections/docs-sample/query   {"question": q}
  15% POST /v1/answers/{answer_id}/feedback    {"rating": "up"|"down", ...}, on answer ids of
      earlier /query responses (skipped, and counted as skipped, until a first answer came back)
  15% POST /v1/grounding/check                 {"answer", "context"}: an earlier answer and its
      cited snippets, or a fixed pair until there is one
Questions come from docs-sample/golden.jsonl. Every request carries the query key as
`Authorization: Bearer KEY` and has a 30 s timeout.

Measured: requests sent and the achieved arrival rate; per endpoint, the count of each status
(or "error: ExceptionClass" for a request with no HTTP response) and latency p50/p90/p99/max
(nearest rank, from the moment a worker sends it, over requests with an HTTP response); the
wait of requests for a free worker (if it grows, the client, not the server, is the limit: raise
--workers); 429 (rate limited) and 503 (load shed) counts, which are allowed answers but
listed; the total of 5xx (the goal is 0); the server's RSS (VmRSS) at the start of the load,
every 5 s, and at the end, and its growth.

With --schemathesis BIN (the binary scripts/fetch-schemathesis.sh installs), schemathesis then
runs against the same server as bench/contract.sh runs it (bench/schemathesis.toml, all checks,
all four phases, seed 20240601, one worker), with the admin key in an Authorization header; its
exit code and whether it found a server error are reported. It mutates the server's data
(creates and deletes collections), which is why it runs after the soak.

Exit status: 1 if any response was a 5xx other than 503, any request got no HTTP response, or
schemathesis found a server error; 2 if the server could not be started; else 0.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COLLECTION = "docs-sample"
CORPUS = ROOT / "docs-sample" / "corpus"
GOLDEN = ROOT / "docs-sample" / "golden.jsonl"
SCHEMATHESIS_CONFIG = ROOT / "bench" / "schemathesis.toml"
REQUEST_TIMEOUT_S = 30.0
HEALTH_TIMEOUT_S = 120.0
INGEST_TIMEOUT_S = 600.0
STOP_GRACE_S = 10.0
RSS_EVERY_S = 5.0

# (endpoint, weight): the request mix.
MIX = [("search", 40), ("query", 30), ("feedback", 15), ("grounding", 15)]

FALLBACK_QUESTIONS = [
    "How long are deleted notes kept?",
    "How much is the Team plan per month?",
    "Can I try the paid features before buying?",
    "How do I export my notes?",
    "Which browsers are supported?",
]
FALLBACK_GROUNDING = (
    "Deleted notes are kept in the trash for 30 days.",
    ["Deleted notes stay in the trash for 30 days, after which they are removed for good."],
)
FEEDBACK_REASONS = ["wrong", "incomplete", "not_grounded", "irrelevant_sources", "other"]


def log(message: str) -> None:
    print(f"soak: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Options and inputs


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Fixed-rate soak of cairn serve (see the module docstring).")
    p.add_argument("--binary", default="target/release/cairn",
                   help="the cairn binary (relative paths: to the cwd, else to the repo root)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    p.add_argument("--rate", type=float, default=10.0,
                   help="requests per second, all endpoints together (default 10)")
    p.add_argument("--warmup", type=float, default=15.0,
                   help="seconds of the same load first, not measured: the model's and the "
                        "allocator's memory grow to their working size (default 15)")
    p.add_argument("--workers", type=int, default=8, help="client threads (default 8)")
    default_admin = os.environ.get("CAIRN_ADMIN_KEY") or secrets.token_hex(16)
    p.add_argument("--admin-key", default=default_admin,
                   help="admin key (default: $CAIRN_ADMIN_KEY, or a random one)")
    p.add_argument("--query-key", default=secrets.token_hex(16),
                   help="query key used by the load (default: a random one)")
    p.add_argument("--port", type=int, default=0, help="port to serve on (default 0: a free one)")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.add_argument("--schemathesis", metavar="PATH",
                   help="after the soak, run this schemathesis binary against the server")
    p.add_argument("--schemathesis-max-examples", type=int, default=200,
                   help="schemathesis --max-examples (default 200, as bench/contract.sh)")
    args = p.parse_args(argv)
    if args.duration <= 0 or args.rate <= 0 or args.workers < 1:
        p.error("--duration and --rate must be positive, --workers at least 1")
    return args


def resolve_binary(name: str) -> Path:
    path = Path(name)
    if not path.is_absolute() and not path.exists():
        path = ROOT / path
    return path.resolve()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_questions(path: Path = GOLDEN) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()]
    except (OSError, ValueError, KeyError, TypeError) as e:
        log(f"cannot read questions from {path} ({e}); using the built-in ones")
        return list(FALLBACK_QUESTIONS)
    return [q for q in questions if isinstance(q, str) and q.strip()] or list(FALLBACK_QUESTIONS)


# ---------------------------------------------------------------------------------------------
# The server


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} is missing)"


def ingest(binary: Path, data_dir: Path, log_path: Path) -> None:
    cmd = [str(binary), "ingest", str(CORPUS), "--collection", COLLECTION,
           "--data-dir", str(data_dir)]
    log(f"ingesting: {' '.join(cmd)}")
    with open(log_path, "wb") as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=data_dir.parent,
                              timeout=INGEST_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ingest exited {done.returncode}; {log_path}:\n{tail(log_path)}")


def start_server(binary: Path, data_dir: Path, port: int, admin_key: str, query_key: str,
                 log_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, CAIRN_BIND=f"127.0.0.1:{port}", CAIRN_ADMIN_KEY=admin_key,
               CAIRN_QUERY_KEYS=query_key)
    cmd = [str(binary), "serve", "--data-dir", str(data_dir)]
    log(f"starting: CAIRN_BIND=127.0.0.1:{port} {' '.join(cmd)}")
    with open(log_path, "wb") as out:
        # The cwd is the temporary dir, so no ./cairn.toml of the caller's is picked up.
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=data_dir.parent)


def wait_healthy(url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(
                f"the server exited {server.returncode}; {log_path}:\n{tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"GET /healthz did not answer 200 within {HEALTH_TIMEOUT_S:.0f} s; "
                       f"{log_path}:\n{tail(log_path)}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        log(f"the server did not stop within {STOP_GRACE_S:.0f} s of SIGTERM; killing it")
        server.kill()
        server.wait()


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024  # kB -> MB
    except (OSError, ValueError, IndexError):
        pass
    return None


class RssSampler:
    """Samples the server's RSS now, every RSS_EVERY_S seconds, and when stopped."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.started = time.monotonic()
        self.series: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        value = rss_mb(self.pid)
        if value is not None:
            self.series.append((round(time.monotonic() - self.started, 1), round(value, 1)))

    def _run(self) -> None:
        while not self._stop.wait(RSS_EVERY_S):
            self.sample()

    def __enter__(self) -> "RssSampler":
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


# ---------------------------------------------------------------------------------------------
# The load


@dataclass
class Result:
    endpoint: str
    status: int | str  # an HTTP status, or "error: ExceptionClass"
    latency_ms: float
    queued_ms: float  # from its scheduled time until a worker sent it


@dataclass
class Shared:
    """What earlier responses leave for later requests."""

    answer_ids: list[str] = field(default_factory=list)
    groundings: list[tuple[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, answer: dict[str, Any]) -> None:
        answer_id = answer.get("answer_id")
        snippets = [c["snippet"] for c in answer.get("citations") or []
                    if isinstance(c, dict) and c.get("snippet")]
        with self.lock:
            if isinstance(answer_id, str):
                self.answer_ids.append(answer_id)
            if snippets and not answer.get("abstained") and answer.get("answer"):
                self.groundings.append((str(answer["answer"]), snippets))

    def pick(self, rng: random.Random) -> tuple[str | None, tuple[str, list[str]]]:
        with self.lock:
            answer_id = rng.choice(self.answer_ids) if self.answer_ids else None
            grounding = rng.choice(self.groundings) if self.groundings else FALLBACK_GROUNDING
        return answer_id, grounding


def post(url: str, body: dict[str, Any], key: str, client_id: str) -> tuple[int | str, Any]:
    """POSTs JSON; returns the status (or "error: Class") and the decoded JSON body, if any."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}",
                 "X-Client-Id": client_id})
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as reply:
            raw = reply.read()
            status: int | str = reply.status
    except urllib.error.HTTPError as e:
        e.read()
        e.close()
        return e.code, None
    except urllib.error.URLError as e:
        cause = e.reason if isinstance(e.reason, BaseException) else e
        return f"error: {type(cause).__name__}", None
    except Exception as e:  # noqa: BLE001  a timeout, a reset, a bad status line: all recorded
        return f"error: {type(e).__name__}", None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


class Load:
    """Builds and sends one request of the mix."""

    def __init__(self, url: str, key: str, questions: list[str], seed: int = 20240601) -> None:
        self.url = url
        self.key = key
        self.questions = questions
        self.shared = Shared()
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.skipped = 0

    def plan(self, n: int) -> list[str]:
        """The endpoints of n requests, in the proportions of MIX, shuffled."""
        names = [name for name, _ in MIX]
        weights = [w for _, w in MIX]
        return self.rng.choices(names, weights=weights, k=n)

    def request(self, endpoint: str, i: int) -> tuple[str, dict[str, Any]] | None:
        """The path and body of request i, or None for a feedback with no answer id yet."""
        with self.rng_lock:
            question = self.rng.choice(self.questions)
            answer_id, (answer, context) = self.shared.pick(self.rng)
            rating = self.rng.choice(["up", "down"])
            reason = self.rng.choice(FEEDBACK_REASONS)
        base = f"/v1/collections/{COLLECTION}"
        if endpoint == "search":
            return f"{base}/search", {"query": question}
        if endpoint == "query":
            return f"{base}/query", {"question": question}
        if endpoint == "grounding":
            return "/v1/grounding/check", {"answer": answer, "context": context}
        if answer_id is None:
            return None
        body: dict[str, Any] = {"rating": rating}
        if rating == "down":
            body.update(reason=reason, comment=f"soak request {i}")
        return f"/v1/answers/{answer_id}/feedback", body

    def send(self, endpoint: str, i: int, scheduled: float) -> Result | None:
        planned = self.request(endpoint, i)
        if planned is None:
            with self.rng_lock:
                self.skipped += 1
            return None
        path, body = planned
        started = time.monotonic()
        status, reply = post(self.url + path, body, self.key, f"soak-{i % 50}")
        latency = (time.monotonic() - started) * 1000
        if endpoint == "query" and status == 200 and isinstance(reply, dict):
            self.shared.remember(reply)
        return Result(endpoint, status, latency, (started - scheduled) * 1000)


def sleep_until(t: float) -> None:
    while (left := t - time.monotonic()) > 0:
        time.sleep(min(left, 0.05))


def run_load(load: Load, duration: float, rate: float, workers: int) -> tuple[list[Result], float]:
    """Issues duration*rate requests at exact intervals; returns the results and the seconds
    over which they were issued (one interval past the last)."""
    n = max(1, int(duration * rate))
    plan = load.plan(n)
    interval = 1.0 / rate
    futures: list[Future[Result | None]] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="soak") as pool:
        start = time.monotonic()
        for i, endpoint in enumerate(plan):
            scheduled = start + i * interval
            sleep_until(scheduled)
            futures.append(pool.submit(load.send, endpoint, i, scheduled))
        issued = time.monotonic() - start + interval
        log(f"issued {n} requests in {issued:.1f} s; waiting for the last replies")
        results = [r for f in futures if (r := f.result()) is not None]
    return results, issued


# ---------------------------------------------------------------------------------------------
# Schemathesis


def run_schemathesis(binary: str, url: str, admin_key: str, work: Path,
                     max_examples: int) -> dict[str, Any]:
    """Runs it as bench/contract.sh does, plus the admin key; returns its exit code and findings."""
    work.mkdir(parents=True, exist_ok=True)
    report = work / "report.json"
    cmd = [binary, "--config-file", str(SCHEMATHESIS_CONFIG), "run", f"{url}/openapi.json",
           "--url", url,
           "--phases", "examples,coverage,fuzzing,stateful",
           "--max-examples", str(max_examples),
           "--workers", "1",
           "--seed", "20240601",
           "--generation-database", "none",
           "--continue-on-failure",
           "--wait-for-schema", "30",
           "--report", "json", "--report-json-path", str(report),
           "-H", f"Authorization: Bearer {admin_key}"]
    shown = [("Authorization: Bearer ***" if a.startswith("Authorization:") else a) for a in cmd]
    log(f"running schemathesis: {' '.join(shown)}")
    out_path = work / "schemathesis.log"
    with open(out_path, "wb") as out:
        # Its state (.schemathesis/, .hypothesis/) goes into the cwd: keep it in the tmp dir.
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=work,
                            check=False).returncode
    output = out_path.read_text(encoding="utf-8", errors="replace")
    server_error_lines = [line.strip() for line in output.splitlines()
                          if re.search(r"Server error|not_a_server_error", line)]
    failures, errors, generated = [], [], None
    try:
        doc = json.loads(report.read_text(encoding="utf-8"))
        failures = doc.get("failures") or []
        errors = doc.get("errors") or []
        generated = (doc.get("test_cases") or {}).get("generated")
    except (OSError, ValueError):
        pass
    server_failures = [f for f in failures if f.get("code") in ("ST101", "ST102")
                       or "Server error" in str(f.get("title", ""))]
    return {
        "exit_code": rc,
        "test_cases": generated,
        "failures": [{"code": f.get("code"), "title": f.get("title"), "count": f.get("count"),
                      "operations": f.get("operations")} for f in failures],
        "errors": [{"title": e.get("title"), "count": e.get("count")} for e in errors],
        "server_error_found": bool(server_failures or server_error_lines),
        "server_error_lines": server_error_lines[:20],
        "output_tail": tail(out_path, 30),
    }


# ---------------------------------------------------------------------------------------------
# The report


def nearest_rank(sorted_values: list[float], p: float) -> float:
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    s = sorted(values)
    return {"p50": round(nearest_rank(s, 50), 1), "p90": round(nearest_rank(s, 90), 1),
            "p99": round(nearest_rank(s, 99), 1), "max": round(s[-1], 1)}


def is_5xx(status: int | str) -> bool:
    return isinstance(status, int) and 500 <= status <= 599


def build_report(args: argparse.Namespace, results: list[Result], issued_s: float,
                 skipped: int, rss: list[tuple[float, float]],
                 schemathesis: dict[str, Any] | None) -> dict[str, Any]:
    endpoints: dict[str, Any] = {}
    for name, _ in MIX:
        mine = [r for r in results if r.endpoint == name]
        counts: dict[str, int] = {}
        for r in mine:
            counts[str(r.status)] = counts.get(str(r.status), 0) + 1
        endpoints[name] = {
            "requests": len(mine),
            "status": dict(sorted(counts.items())),
            "latency_ms": latency_summary(
                [r.latency_ms for r in mine if isinstance(r.status, int)]),
        }
    statuses = [r.status for r in results]
    rss_start = rss[0][1] if rss else None
    rss_end = rss[-1][1] if rss else None
    growth = None
    if rss_start is not None and rss_end is not None:
        growth = round(rss_end - rss_start, 1)
    return {
        "config": {"duration_s": args.duration, "rate": args.rate, "workers": args.workers},
        "requests_sent": len(results),
        "feedback_skipped_no_answer_yet": skipped,
        "achieved_rate": round(len(results) / issued_s, 2),
        "queued_ms": latency_summary([r.queued_ms for r in results]),
        "endpoints": endpoints,
        "total_5xx": sum(is_5xx(s) for s in statuses),
        "status_429": statuses.count(429),
        "status_503": statuses.count(503),
        "bad_5xx": sum(is_5xx(s) and s != 503 for s in statuses),
        "connection_errors": sum(isinstance(s, str) for s in statuses),
        "rss_mb": {"start": rss_start, "end": rss_end,
                   "growth": growth,
                   "series": [{"t_s": t, "mb": mb} for t, mb in rss]},
        "schemathesis": schemathesis,
    }


def failed(report: dict[str, Any]) -> bool:
    st = report.get("schemathesis") or {}
    return bool(report["bad_5xx"] or report["connection_errors"] or st.get("server_error_found"))


def fmt_latency(summary: dict[str, float] | None) -> str:
    if summary is None:
        return f"{'-':>8} {'-':>8} {'-':>8} {'-':>8}"
    return " ".join(f"{summary[k]:8.1f}" for k in ("p50", "p90", "p99", "max"))


def print_text(report: dict[str, Any]) -> None:
    c = report["config"]
    print(f"soak: {c['duration_s']:g} s at {c['rate']:g} req/s with {c['workers']} workers")
    print(f"requests sent: {report['requests_sent']} "
          f"(achieved {report['achieved_rate']:.2f} req/s; "
          f"{report['feedback_skipped_no_answer_yet']} feedback skipped before a first answer)")
    q = report["queued_ms"]
    if q:
        print(f"wait for a worker: p50 {q['p50']:.1f} ms, p99 {q['p99']:.1f} ms, "
              f"max {q['max']:.1f} ms")
    columns = " ".join(f"{c:>8}" for c in ("requests", "p50 ms", "p90 ms", "p99 ms", "max ms"))
    print(f"\n{'endpoint':10} {columns}  status")
    for name, e in report["endpoints"].items():
        counts = ", ".join(f"{k}: {v}" for k, v in e["status"].items()) or "-"
        print(f"{name:10} {e['requests']:8} {fmt_latency(e['latency_ms'])}  {counts}")
    print(f"\n5xx: {report['total_5xx']} (goal 0; other than 503: {report['bad_5xx']})")
    print(f"429 rate limited: {report['status_429']}, 503 load shed: {report['status_503']}")
    print(f"connection errors: {report['connection_errors']}")
    r = report["rss_mb"]
    if r["start"] is not None:
        series = " ".join(f"{p['mb']:.0f}" for p in r["series"])
        print(f"server RSS: {r['start']:.1f} MB at the start, {r['end']:.1f} MB at the end "
              f"({r['growth']:+.1f} MB); every {RSS_EVERY_S:.0f} s: {series}")
    else:
        print("server RSS: not available (no /proc/PID/status)")
    st = report.get("schemathesis")
    if st:
        print(f"\nschemathesis: exit {st['exit_code']}, {st['test_cases']} test cases, "
              f"{len(st['failures'])} kinds of failure, {len(st['errors'])} kinds of error, "
              f"server error found: {st['server_error_found']}")
        for f in st["failures"]:
            print(f"  {f['code']} {f['title']} x{f['count']}: {', '.join(f['operations'] or [])}")
        for e in st["errors"]:
            print(f"  error: {e['title']} x{e['count']}")
        for line in st["server_error_lines"]:
            print(f"  | {line}")
        if st["exit_code"] != 0:
            print("  last lines of its output:")
            for line in st["output_tail"].splitlines():
                print(f"  | {line}")
    print("\nresult: " + ("FAILED" if failed(report) else "ok"))


# ---------------------------------------------------------------------------------------------


def soak(args: argparse.Namespace, binary: Path, tmp: Path) -> tuple[dict[str, Any], Path]:
    data_dir = tmp / "data"
    server_log = tmp / "server.log"
    ingest(binary, data_dir, tmp / "ingest.log")
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(binary, data_dir, port, args.admin_key, args.query_key, server_log)
    try:
        wait_healthy(url, server, server_log)
        log(f"serving on {url}; {args.duration:g} s of load at {args.rate:g} req/s")
        load = Load(url, args.query_key, load_questions())
        if args.warmup > 0:
            log(f"warming up for {args.warmup:g} s (not measured)")
            run_load(load, args.warmup, args.rate, args.workers)
            load.skipped = 0
        with RssSampler(server.pid) as sampler:
            results, issued_s = run_load(load, args.duration, args.rate, args.workers)
        st = None
        if args.schemathesis:
            st = run_schemathesis(args.schemathesis, url, args.admin_key, tmp / "schemathesis",
                                  args.schemathesis_max_examples)
        if server.poll() is not None:
            log(f"the server exited {server.returncode} during the run")
        return build_report(args, results, issued_s, load.skipped, sampler.series, st), server_log
    finally:
        stop_server(server)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    binary = resolve_binary(args.binary)
    if not os.access(binary, os.X_OK):
        log(f"error: {binary} is not an executable (build it: cargo build --release)")
        return 2
    with tempfile.TemporaryDirectory(prefix="cairn-soak-") as tmp_name:
        try:
            report, server_log = soak(args, binary, Path(tmp_name))
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            log(f"error: {e}")
            return 2
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print_text(report)
        if failed(report):
            log(f"last lines of the server log:\n{tail(server_log)}")
    return 1 if failed(report) else 0


if __name__ == "__main__":
    sys.exit(main())
