#!/usr/bin/env python3
"""cairn against the Python stack a user would otherwise pick (LangChain + qdrant-client's
local mode + the same all-MiniLM-L6-v2 ONNX files through fastembed; see bench/peer_stack.py),
in one run on the same machine, corpus and questions, with the ratios the performance targets
are stated in. A script that reports, not a test.

  1. ingest the python3.11-doc corpus (bench/ingest.py fetches and pins it) with each stack,
     in its own process: wall time, peak RSS, time and tokens inside the model;
  2. an unchanged re-ingest with cairn;
  3. queries: the Python stack's embed + top 5 + prompt assembly in-process, against cairn's
     /search over HTTP (cairn pays the HTTP round trip), at 1 and 4 clients, and cairn's
     extractive /query at one client. Each server is fresh and each question is asked once,
     so cairn's embedding cache gives it nothing the Python stack lacks;
  4. the resident memory of each query process afterwards.

The questions: the 34 of bench/pydocs-questions.jsonl and section titles of the corpus, picked
with a fixed seed, up to --questions (default 200).

The Python stack's venv is made once in ~/.cache/cairn/peer-<digest>/ from the wheels pinned
with sha256 in bench/peer-requirements.txt (pip --require-hashes --no-deps --only-binary).

Each phase's result is printed as it completes and saved in the work directory's
phases.json; `--keep DIR` keeps both stacks' data there, and a later `--keep DIR --resume`
reruns only the phases missing from it (same binary, corpus and questions assumed).

usage: bench/compare_peer.py [--questions N] [--keep DIR [--resume]]
(run scripts/fetch-models.sh and a release build first)
"""
import argparse
import hashlib
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answers import serving  # noqa: E402
from ingest import CACHE, KNOWN_CORPORA, corpus  # noqa: E402
from load import pct, rss_mb, run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "bench/peer-requirements.txt"
WHEELS = CACHE.parent / "wheels"
CAIRN = ROOT / "target/release/cairn"
COLLECTION = "pydocs"


def venv_python() -> Path:
    """The Python of the peer venv, made from the pinned wheels when missing."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    venv = CACHE.parent / f"peer-{digest}"
    python = venv / "bin/python"
    if (venv / ".complete").is_file():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    WHEELS.mkdir(parents=True, exist_ok=True)
    pip = ["--disable-pip-version-check", "-q", "--no-deps", "--require-hashes",
           "--only-binary=:all:"]
    subprocess.run([sys.executable, "-m", "pip", "download", *pip, "-r", str(REQUIREMENTS),
                    "-d", str(WHEELS)], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", *pip, "--no-index", "--find-links",
                    str(WHEELS), "-r", str(REQUIREMENTS)], check=True)
    subprocess.run([str(python), "-m", "pip", "check"], check=True)
    (venv / ".complete").write_text(digest + "\n")
    return python


def model_dir() -> str:
    """CAIRN_MODEL_DIR, or what scripts/fetch-models.sh prints."""
    if os.environ.get("CAIRN_MODEL_DIR"):
        return os.environ["CAIRN_MODEL_DIR"]
    out = subprocess.run([str(ROOT / "scripts/fetch-models.sh")], check=True,
                         capture_output=True, text=True).stdout
    return dict(l.split("=", 1) for l in out.split() if "=" in l)["CAIRN_MODEL_DIR"]


def measured(cmd: list[str]) -> tuple[str, float, float]:
    """Runs `cmd`; returns its stdout, wall seconds and its own peak RSS in MB (wait4)."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        if proc.returncode:
            sys.exit(f"{' '.join(cmd[:3])}... failed with exit code {proc.returncode}")
        out.seek(0)
        return out.read().decode(), wall, usage.ru_maxrss / 1024


def questions(docs: Path, n: int) -> list[str]:
    """The benchmark's questions, then section titles of the corpus (fixed seed) up to n."""
    asked = [json.loads(l)["question"] for l in open(ROOT / "bench/pydocs-questions.jsonl")
             if l.strip()]
    titles = set()
    underline = re.compile(r"^([=\-~^\"'`#*+]){4,}\s*$")
    for f in sorted(docs.rglob("*.rst.txt")):
        lines = f.read_text(encoding="utf-8", errors="replace").splitlines()
        for above, line in zip(lines, lines[1:]):
            title = above.strip()
            if underline.match(line) and 12 <= len(title) <= 80 and not underline.match(above):
                titles.add(title)
    extra = sorted(titles)
    random.Random(11).shuffle(extra)
    return (asked + extra)[:n]


def cairn_queries(data: Path, asked: list[str]) -> dict:
    """/search at 1 and 4 clients and extractive /query at 1, each on a fresh server."""
    # A benchmark client is one caller asking as fast as it can: the per-caller rate limit
    # (a 429 past 50/s) is for the open internet, not for this.
    os.environ["CAIRN_LIMITS__REQUESTS_PER_SECOND"] = "0"
    base = f"/v1/collections/{COLLECTION}"
    rows = {}
    for name, path, key, clients in (("search", "/search", "query", 1),
                                     ("search", "/search", "query", 4),
                                     ("query", "/query", "question", 1)):
        with serving(str(data)) as url:
            run(url, base + path, [{key: f"warm up {i}"} for i in range(4)], 1)
            times, _, wall = run(url, base + path, [{key: q} for q in asked], clients)
            rows[f"{name}_{clients}"] = {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95),
                                         "per_second": len(times) / wall,
                                         "rss_mb": rss_mb(url)}
    return rows


class Phases:
    """Each phase's result, printed when it completes and saved in `path` so that a resumed
    run skips it."""

    def __init__(self, path: Path, resume: bool):
        self.path = path
        self.done = json.loads(path.read_text()) if resume and path.is_file() else {}

    def get(self, name: str, compute):
        if name not in self.done:
            self.done[name] = compute()
            self.path.write_text(json.dumps(self.done, indent=1))
        brief = {k: v for k, v in self.done[name].items() if not isinstance(v, list)}
        brief.pop("plan", None)  # an ingest's per-file plan: hundreds of names
        print(f"{name}: {json.dumps(brief)}", flush=True)
        return self.done[name]


def ingest_phase(cmd: list[str]) -> dict:
    """Runs an ingest command printing JSON; its report with its wall time and peak RSS."""
    out, wall, rss = measured(cmd)
    return {**json.loads(out), "wall_s": wall, "peak_rss_mb": rss}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--questions", type=int, default=200)
    p.add_argument("--keep", help="directory to keep both stacks' data in")
    p.add_argument("--resume", action="store_true",
                   help="with --keep: rerun only the phases the kept directory lacks")
    args = p.parse_args()
    if args.resume and not args.keep:
        p.error("--resume needs --keep DIR")
    docs, version, digest = corpus()
    python = venv_python()
    model = model_dir()
    asked = questions(docs, args.questions)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cairn-peer-"))
    if not args.resume:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    qfile = work / "questions.jsonl"
    qfile.write_text("".join(json.dumps({"question": q}) + "\n" for q in asked))
    worker = str(ROOT / "bench/peer_stack.py")

    print(f"machine: {platform.node()}, {os.cpu_count()} cores, {platform.platform()}")
    same = "pinned" if KNOWN_CORPORA.get(version) == digest else "NOT a recorded revision"
    print(f"corpus: python3.11-doc {version}, content sha256 {digest[:16]}… ({same})")
    print(f"questions: {len(asked)}", flush=True)

    phases = Phases(work / "phases.json", args.resume)
    cairn_ingest = [str(CAIRN), "--data-dir", str(work / "cairn"), "ingest", str(docs),
                    "--collection", COLLECTION, "--json"]
    peer = phases.get("python_ingest", lambda: ingest_phase(
        [str(python), worker, "ingest", model, str(docs), str(work / "peer")]))
    mine = phases.get("cairn_ingest", lambda: ingest_phase(cairn_ingest))
    again = phases.get("cairn_reingest", lambda: ingest_phase(cairn_ingest))
    peer_q = phases.get("python_query", lambda: ingest_phase(
        [str(python), worker, "query", model, str(work / "peer"), str(qfile), "1,4"]))
    mine_q = phases.get("cairn_query", lambda: cairn_queries(work / "cairn", asked))
    peer_wall, peer_rss = peer["wall_s"], peer["peak_rss_mb"]
    cairn_wall, cairn_rss = mine["wall_s"], mine["peak_rss_mb"]
    again_wall = again["wall_s"]
    peer_query_peak = peer_q["peak_rss_mb"]

    def row(what, peer_value, cairn_value, unit, target=None, higher_better=False):
        ratio = cairn_value / peer_value if peer_value else float("nan")
        verdict = ""
        if target is not None:
            met = ratio >= target if higher_better else ratio <= target
            verdict = f"{'≥' if higher_better else '≤'} {target:g}× {'met' if met else 'NOT met'}"
        print(f"| {what} | {peer_value:,.1f} {unit} | {cairn_value:,.1f} {unit} | "
              f"{ratio:.2f}× | {verdict} |")

    print()
    print("| measure | Python stack | cairn | cairn / Python | target |")
    print("|---|---|---|---|---|")
    print(f"| chunks | {peer['chunks']:,} | {mine['chunks']:,} | | |")
    # fastembed pads a batch to its longest text and the peer's count includes that padding
    # (the model computes on it); cairn counts the tokens of the texts.
    print(f"| tokens into the model (Python: padded) | {peer['tokens']:,} | "
          f"{mine.get('tokens', 0):,} | | |")
    row("ingest wall time", peer_wall, cairn_wall, "s", 0.7)
    row("ingest peak RSS", peer_rss, cairn_rss, "MB", 0.5)
    row("time inside the model", peer["embed_seconds"], mine["embed_seconds"], "s")
    row("tokens/s inside the model", peer["tokens"] / peer["embed_seconds"],
        mine.get("tokens", 0) / mine["embed_seconds"], "", None, True)
    again_ratio = again_wall / cairn_wall
    print(f"| unchanged re-ingest | | {again_wall:.2f} s ({again['chunks']} chunks embedded) | "
          f"{again_ratio:.4f}× cairn's first ingest | "
          f"≤ 0.05× {'met' if again_ratio <= 0.05 else 'NOT met'} |")
    s1, s4, q1 = mine_q["search_1"], mine_q["search_4"], mine_q["query_1"]
    p1, p4 = peer_q["clients"]["1"], peer_q["clients"]["4"]
    row("query p50, 1 client (cairn: /search)", p1["p50_ms"], s1["p50_ms"], "ms", 0.5)
    row("query p95, 1 client (cairn: /search)", p1["p95_ms"], s1["p95_ms"], "ms")
    row("queries/s, 4 clients (cairn: /search)", p4["per_second"], s4["per_second"], "",
        1.5, True)
    row("query process RSS after the queries (cairn: the most of its servers)", peer_q["rss_mb"],
        max(r["rss_mb"] for r in mine_q.values()), "MB", 0.5)
    print(f"| extractive /query p50, 1 client | | {q1['p50_ms']:.1f} ms "
          f"(p95 {q1['p95_ms']:.1f}) | | ≤ 30 ms {'met' if q1['p50_ms'] <= 30 else 'NOT met'} |")
    print(f"\nunchanged re-ingest: {again_wall:.2f} s wall, {again['chunks']} chunks embedded; "
          f"Python query process peak RSS {peer_query_peak:.0f} MB")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
