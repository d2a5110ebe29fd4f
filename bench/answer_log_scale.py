#!/usr/bin/env python3
"""Memory and time of /v1/stats and /v1/feedback/export over a large answer log.

usage: bench/answer_log_scale.py [--binary target/release/cairn] [--answers 200000] [--json]

It starts `cairn serve` on a temporary data directory with docs-sample's FAQ ingested, asks one
real question and rates it, then stops the server and copies that logged answer (its real JSON)
into N answers spread over 30 days, a fifth of them rated, straight into answers.sqlite3. It
then starts the server again and measures, for /v1/stats and for the streamed feedback export:
the wall time and the server's peak RSS while the request runs (VmRSS sampled every 20 ms), next
to its RSS before. Standard library only. Needs CAIRN_MODEL_DIR / CAIRN_ORT_LIB as the tests do
(scripts/fetch-models.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def request(url: str, body: dict | None = None, method: str | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=600) as r:
        return r.read()


class Server:
    def __init__(self, binary: str, data: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(data.parent / "server.log", "ab")
        self.proc = subprocess.Popen(
            [binary, "--data-dir", str(data), "serve", "--bind", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=self.log, cwd=data.parent)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                request(f"{self.url}/healthz")
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start; see server.log")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def peak_while(pid: int, work) -> tuple[float, float, object]:
    """Runs work(); returns (seconds, peak RSS in MB while it ran, its result)."""
    peak = [rss_mb(pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return seconds, peak[0], result


def fill(db: Path, n: int) -> None:
    c = sqlite3.connect(db)
    row = c.execute("SELECT collection, variant, question, hallucinated, answer_json "
                    "FROM answers LIMIT 1").fetchone()
    collection, variant, question, hallucinated, answer_json = row
    template = json.loads(answer_json)
    start = datetime.now(timezone.utc) - timedelta(days=30)
    rng = random.Random(7)
    answers, ratings = [], []
    for i in range(n):
        answer_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        at = (start + timedelta(seconds=i * 30 * 86400 / n)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        template["answer_id"] = answer_id
        template["latency_ms"]["total"] = rng.uniform(50, 400)
        answers.append((answer_id, at, collection, variant, question, hallucinated,
                        json.dumps(template), f"client-{i % 5000}", None))
        if i % 5 == 0:
            ratings.append((answer_id, f"client-{i % 5000}", rng.choice(["up", "down"]),
                            None, "a comment from the bench", at))
    c.executemany("INSERT INTO answers (answer_id, created_at, collection, variant, question, "
                  "hallucinated, answer_json, client, key_id) VALUES (?,?,?,?,?,?,?,?,?)", answers)
    c.executemany("INSERT INTO feedback (answer_id, client, rating, reason, comment, created_at) "
                  "VALUES (?,?,?,?,?,?)", ratings)
    c.commit()
    c.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=str(REPO / "target/release/cairn"))
    ap.add_argument("--answers", type=int, default=200_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cairn-log-scale-") as tmp:
        data = Path(tmp) / "data"
        subprocess.run([args.binary, "--data-dir", str(data), "ingest",
                        str(REPO / "docs-sample/corpus/faq.jsonl"), "--collection", "docs"],
                       check=True, capture_output=True)
        server = Server(args.binary, data)
        answer = json.loads(request(f"{server.url}/v1/collections/docs/query",
                                    {"question": "Is there a free trial?"}))
        request(f"{server.url}/v1/answers/{answer['answer_id']}/feedback", {"rating": "up"})
        server.stop()
        fill(data / "answers.sqlite3", args.answers - 1)
        db_mb = (data / "answers.sqlite3").stat().st_size / 1e6

        server = Server(args.binary, data)
        pid = server.proc.pid
        before = rss_mb(pid)
        stats_s, stats_peak, stats = peak_while(
            pid, lambda: json.loads(request(f"{server.url}/v1/stats")))
        after_stats = rss_mb(pid)
        export_s, export_peak, export = peak_while(
            pid, lambda: request(f"{server.url}/v1/feedback/export"))
        server.stop()
        report = {
            "answers": stats["answers"],
            "answers_sqlite3_mb": round(db_mb, 1),
            "rss_before_mb": round(before, 1),
            "stats_seconds": round(stats_s, 2),
            "stats_peak_rss_mb": round(stats_peak, 1),
            "rss_after_stats_mb": round(after_stats, 1),
            "export_rows": export.count(b"\n"),
            "export_mb": round(len(export) / 1e6, 1),
            "export_seconds": round(export_s, 2),
            "export_peak_rss_mb": round(export_peak, 1),
        }
    if args.json:
        print(json.dumps(report))
    else:
        for k, v in report.items():
            print(f"{k:>22}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
