#!/usr/bin/env python3
"""Load on the HTTP API: p50/p95/p99 latency and throughput of /search and of extractive /query
at 1 and 8 concurrent clients, beside the bare embed + vector search time that the service
reports itself (latency_ms of /query), so the service's own overhead is visible.
A script that reports, not a test.

usage: bench/load.py --data-dir DIR --collection NAME [--questions FILE] [--requests N]
Use a collection of at least 10k chunks (bench/ingest.py --keep DIR makes a 33k one).
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", required=True)
    p.add_argument("--collection", required=True)
    p.add_argument("--questions", default=str(ROOT / "bench/pydocs-questions.jsonl"))
    p.add_argument("--requests", type=int, default=120)
    args = p.parse_args()
    questions = [json.loads(l)["question"] for l in open(args.questions) if l.strip()]
    with serving(args.data_dir) as url:
        info = json.load(urllib.request.urlopen(f"{url}/v1/collections/{args.collection}"))
        print(f"collection {args.collection}: {info['points']} chunks")
        base = f"/v1/collections/{args.collection}"
        print(f"{'endpoint':8} {'clients':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}"
              f" {'embed+search p50':>17}")
        for clients in (1, 8):
            for name, path, key in (("search", "/search", "query"), ("query", "/query", "question")):
                bodies = [{key: questions[i % len(questions)]} for i in range(args.requests)]
                run(url, base + path, bodies[:8], clients)  # warm-up
                times, replies, wall = run(url, base + path, bodies, clients)
                bare = ""
                if name == "query":
                    inner = [r["latency_ms"]["embed"] + r["latency_ms"]["retrieve"] for r in replies]
                    bare = f"{statistics.median(inner):.1f}"
                print(f"{name:8} {clients:7} {pct(times, 50):8.1f} {pct(times, 95):8.1f} "
                      f"{pct(times, 99):8.1f} {len(times) / wall:7.1f} {bare:>17}")


if __name__ == "__main__":
    main()
