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
    p.add_argument("--per-source", type=int, default=3)
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    golden = [json.loads(l) for l in open(args.golden) if l.strip()]
    golden = [g for g in golden if g.get("expected_sources")]
    print(f"{len(golden)} answerable questions from {args.golden}")
    # Two halves by id parity show how much the figures move between question samples.
    print(f"{'mode':8} {'split':9} {'n':>3} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}")
    for mode in args.modes:
        ranks = {}
        for g in golden:
            sources = search(args, mode, g["question"], 10)
            rank = next((i + 1 for i, s in enumerate(sources) if s in g["expected_sources"]), None)
            ranks[g["id"]] = rank
            if args.verbose and (rank is None or rank > 5):
                print(f"  miss {g['id']} rank={rank} {g['question']!r} -> {sources[:5]}")
        splits = {"all": list(ranks), "odd ids": [i for i in ranks if int(i[1:]) % 2],
                  "even ids": [i for i in ranks if not int(i[1:]) % 2]}
        for split, ids in splits.items():
            rs = [ranks[i] for i in ids]
            n = len(rs)
            h1 = sum(r == 1 for r in rs) / n
            h5 = sum(r is not None and r <= 5 for r in rs) / n
            mrr = sum(1 / r for r in rs if r) / n
            print(f"{mode:8} {split:9} {n:3} {h1:6.3f} {h5:6.3f} {mrr:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
