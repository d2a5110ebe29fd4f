#!/usr/bin/env python3
"""The embedded store at 100k and 1M points: upsert rate, HNSW build (optimize) time, search
p50/p99 without the embedding, before and after the index, recall@10 against exact search,
disk and memory per point, and how each grows with size. A script that reports, not a test.

Vectors are synthetic (unit vectors around 2000 random centres, 384 dimensions as
all-MiniLM-L6-v2 makes); payloads are shaped like real chunks (90 words of text, source,
headings, hashes). The work is done by the Rust example `ingest/examples/scale.rs`, built here.

usage: bench/scale.py [--sizes 100000,1000000] [--queries 200] [--dir DIR]
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--ef", default="100,128,200",
                   help="HNSW beam widths to measure (100: Qdrant's default; cairn's is 128)")
    p.add_argument("--keep", action="store_true", help="keep the collections (to measure again)")
    p.add_argument("--measure-only", action="store_true", help="measure kept collections")
    p.add_argument("--noise", default="0.6",
                   help="norm of each point's offset from its cluster centre (2.4: near-uniform)")
    p.add_argument("--dir", help="where the collections go (default: a temporary directory)")
    args = p.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "cairn-ingest",
                    "--example", "scale"], cwd=ROOT, check=True)
    binary = ROOT / "target/release/examples/scale"
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="cairn-scale-"))
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        data = base / f"n{n}"
        if not args.measure_only:
            shutil.rmtree(data, ignore_errors=True)
            subprocess.run([str(binary), "load", "--points", str(n), "--queries", str(args.queries),
                            "--noise", args.noise, "--dir", str(data)], check=True)
        out = subprocess.run([str(binary), "measure", "--dir", str(data), "--ef", args.ef],
                             check=True,
                             capture_output=True, text=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)

    print(f"\nmachine: {platform.node()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"command: bench/scale.py --sizes {args.sizes} --queries {args.queries} --ef {args.ef} "
          f"--noise {args.noise}\n")
    print("| points | upserts/s | optimize (HNSW build) s | search p50 / p99 ms, exact scan "
          "| HNSW ef | search p50 / p99 ms, HNSW | recall@10 | disk bytes/point "
          "| RSS with the store open, MB (heap + mapped files) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        for i, e in enumerate(r["by_ef"]):
            first = i == 0
            print(f"| {r['points']:,} | {r['upsert_per_second']:,.0f} | {r['optimize_seconds']:.1f} "
                  f"| {r['search_ms_plain']['p50']:.1f} / {r['search_ms_plain']['p99']:.1f} "
                  if first else "| | | | ", end="")
            print(f"| {e['hnsw_ef']} | {e['search_ms']['p50']:.2f} / {e['search_ms']['p99']:.2f} "
                  f"| {e['recall_at_10']:.3f} ", end="")
            print(f"| {r['disk_bytes_per_point']:,.0f} | {r['rss_mb_process']:.0f} "
                  f"({r['rss_mb_anon']:.0f} + {r['rss_mb_file']:.0f}) |" if first else "| | |")
    if len(rows) >= 2:
        a, b = rows[0], rows[-1]
        growth = b["points"] / a["points"]
        print(f"\nfrom {a['points']:,} to {b['points']:,} points ({growth:.0f}x): "
              f"search p50 x{b['by_ef'][-1]['search_ms']['p50'] / a['by_ef'][-1]['search_ms']['p50']:.2f} "
              f"with HNSW (ef {a['by_ef'][-1]['hnsw_ef']}), "
              f"x{b['search_ms_plain']['p50'] / a['search_ms_plain']['p50']:.1f} without; "
              f"optimize x{b['optimize_seconds'] / a['optimize_seconds']:.1f}; "
              f"disk x{b['disk_mb'] / a['disk_mb']:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
