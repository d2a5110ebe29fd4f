#!/usr/bin/env python3
"""Ingest benchmark on a larger real corpus: the reST sources of Debian's python3.11-doc
(497 files, 12 MB), fetched with apt-get download, pinned by version and sha256, cached.

Reports chunks per second, the share of wall time inside the embedding model, peak RSS of the
cairn process, and the time of an unchanged re-ingest. A script that reports, not a test.

usage: bench/ingest.py [--keep DIR]    (run scripts/fetch-models.sh and a release build first)
"""
import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("CAIRN_CACHE_DIR", Path.home() / ".cache/cairn")) / "bench"
PACKAGE = "python3.11-doc"
VERSION = "3.11.2-6+deb12u7"
SHA256 = "eafa42c54a08dcf3892d2e9f8e29644877c241d09186ca19a4d06129a339c9f3"
SOURCES = "usr/share/doc/python3.11/html/_sources"


def corpus() -> Path:
    """The extracted _sources directory, downloading and checking the .deb the first time."""
    target = CACHE / f"{PACKAGE}-{VERSION}"
    if (target / ".complete").exists():
        return target / SOURCES
    CACHE.mkdir(parents=True, exist_ok=True)
    deb = CACHE / f"{PACKAGE}_{VERSION}_all.deb"
    if not deb.exists():
        subprocess.run(["apt-get", "download", f"{PACKAGE}={VERSION}"], cwd=CACHE, check=True)
        deb = next(CACHE.glob(f"{PACKAGE}_*_all.deb"))
    digest = hashlib.sha256(deb.read_bytes()).hexdigest()
    if digest != SHA256:
        sys.exit(f"{deb}: sha256 {digest} is not the pinned {SHA256}; delete it and retry")
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
    (target / ".complete").touch()
    return target / SOURCES


def ingest(data: Path, docs: Path) -> tuple[dict, float, float]:
    """Runs one ingest; returns its JSON summary, wall seconds and the child's peak RSS (MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    out = subprocess.run(
        [str(ROOT / "target/release/cairn"), "--data-dir", str(data), "ingest", str(docs),
         "--collection", "pydocs", "--json"],
        check=True, capture_output=True, text=True).stdout
    wall = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest single child so far, in KiB on Linux.
    return json.loads(out), wall, max(peak, before) / 1024


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--keep", help="data directory to keep (default: a temporary one)")
    args = p.parse_args()
    docs = corpus()
    files = sum(1 for _ in docs.rglob("*.rst.txt"))
    size = sum(f.stat().st_size for f in docs.rglob("*") if f.is_file()) / 1e6
    data = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cairn-bench-"))
    first, wall, rss = ingest(data, docs)
    again, wall2, _ = ingest(data, docs)
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"corpus: {PACKAGE} {VERSION} _sources: {files} files, {size:.1f} MB")
    print(f"first ingest: {first['files']} files, {first['chunks']} chunks in {wall:.1f} s wall")
    print(f"  chunks/s (pipeline): {first['chunks_per_second']:.1f}")
    print(f"  time inside the embedding model: {first['embed_seconds']:.1f} s "
          f"({100 * first['embed_seconds'] / first['seconds']:.0f}% of the run)")
    print(f"  skipped files: {len(first['skipped'])}")
    print(f"  peak RSS of cairn: {rss:.0f} MB")
    print(f"unchanged re-ingest: {again['chunks']} chunks embedded, {wall2:.2f} s wall "
          f"({len(again['plan']['unchanged'])} files unchanged)")
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
