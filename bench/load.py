#!/usr/bin/env python3
"""Load on the HTTP API: p50/p95/p99 latency and throughput of /search and of extractive /query
at 1, 4 and 8 concurrent clients, each question asked for the first time and then again (the
serving embedder caches texts), beside the bare embed + vector search time that the service
reports itself (latency_ms of /query), and the server's resident memory.
A script that reports, not a test.

usage: bench/load.py --data-dir DIR --collection NAME [--questions FILE | --peer-questions N]
                     [--clients 1,4,8]
Use a collection of at least 10k chunks (bench/ingest.py --keep DIR makes a 33k one).
--peer-questions N asks bench/compare_peer.py's first N questions (its 200 by default there).
"""
import argparse
import json
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answers import post, serving  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(url, path, bodies, clients):
    def one(body):
        started = time.perf_counter()
        reply = post(url + path, body)
        return (time.perf_counter() - started) * 1000, reply

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, bodies))
    wall = time.perf_counter() - started
    return [r[0] for r in results], [r[1] for r in results], wall


def rss_mb(url):
    """Resident memory of the `cairn serve` listening at `url` (Linux /proc)."""
    port = url.rsplit(":", 1)[1]
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            cmdline = (status.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in cmdline and any(a.endswith(port.encode()) for a in cmdline):
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    return float("nan")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--collection", required=True)
    p.add_argument("--questions", default=str(ROOT / "bench/pydocs-questions.jsonl"))
    p.add_argument("--peer-questions", type=int,
                   help="ask compare_peer.py's first N questions instead (needs its corpus)")
    p.add_argument("--clients", default="1,4,8")
    args = p.parse_args()
    if args.peer_questions:
        import compare_peer  # imports this module: only here, not at the top
        questions = compare_peer.questions(compare_peer.corpus()[0], args.peer_questions)
    else:
        questions = [json.loads(l)["question"] for l in open(args.questions) if l.strip()]
    base = f"/v1/collections/{args.collection}"
    print("Each row starts a new server, so nothing is cached: 'first' asks every question once "
          "(passages seen by an earlier question may be cached), 'repeat' asks them again.")
    print(f"{'endpoint':8} {'clients':>7} {'pass':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
          f" {'req/s':>7} {'embed+search p50':>17} {'answer+check p50':>17} {'RSS MB':>7}")
    for clients in [int(c) for c in args.clients.split(",")]:
        for name, path, key in (("search", "/search", "query"), ("query", "/query", "question")):
            with serving(args.data_dir) as url:
                # Lazy set-up (first model call, first search), with texts not measured.
                run(url, base + path, [{key: f"warm up {i}"} for i in range(4)], 1)
                bodies = [{key: q} for q in questions]
                for label in ("first", "repeat"):
                    times, replies, wall = run(url, base + path, bodies, clients)
                    bare = answer = ""
                    if name == "query":
                        stage = lambda *keys: statistics.median(  # noqa: E731
                            sum(r["latency_ms"][k] for k in keys) for r in replies)
                        bare = f"{stage('embed', 'retrieve'):.1f}"
                        answer = f"{stage('generate', 'ground'):.1f}"
                    print(f"{name:8} {clients:7} {label:>6} {pct(times, 50):8.1f} "
                          f"{pct(times, 95):8.1f} {pct(times, 99):8.1f} {len(times) / wall:7.1f} "
                          f"{bare:>17} {answer:>17} {rss_mb(url):7.0f}", flush=True)


if __name__ == "__main__":
    main()
