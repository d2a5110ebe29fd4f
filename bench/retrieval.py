#!/usr/bin/env python3
"""Retrieval quality on a golden set: hit@1, hit@5 and MRR of the expected source, per mode.

usage: bench/retrieval.py [--data-dir DIR] [--collection NAME] [--golden FILE] [--modes ...]
Runs `target/release/cairn search --json` for every answerable golden question. Ingest first
(scripts/run.sh does it for docs-sample).
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def search(args, mode, question, k):
    out = subprocess.run(
        [str(ROOT / "target/release/cairn"), "--data-dir", args.data_dir, "search",
         "--collection", args.collection, "--mode", mode, "--top-k", str(k),
         "--per-source", str(args.per_source), "--json", question],
        check=True, capture_output=True, text=True).stdout
    return [r["source"] for r in json.loads(out)["results"]]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", default=str(ROOT / "data"))
    p.add_argument("--collection", default="docs-sample")
    p.add_argument("--golden", default=str(ROOT / "docs-sample/golden.jsonl"))
    p.add_argument("--modes", nargs="+", default=["dense", "keyword", "hybrid"])
    p.add_argument("--per-source", type=int, default=0)
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    golden = [json.loads(l) for l in open(args.golden) if l.strip()]
    golden = [g for g in golden if g.get("expected_source")]
    print(f"{len(golden)} answerable questions from {args.golden}")
    print(f"{'mode':8} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}")
    for mode in args.modes:
        h1 = h5 = rr = 0.0
        for g in golden:
            sources = search(args, mode, g["question"], 10)
            rank = next((i + 1 for i, s in enumerate(sources) if s == g["expected_source"]), None)
            h1 += rank == 1
            h5 += rank is not None and rank <= 5
            rr += 1 / rank if rank else 0
            if args.verbose and (rank is None or rank > 5):
                print(f"  miss {g['id']} rank={rank} {g['question']!r} -> {sources[:5]}")
        n = len(golden)
        print(f"{mode:8} {h1 / n:6.3f} {h5 / n:6.3f} {rr / n:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
