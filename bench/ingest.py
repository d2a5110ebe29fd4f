#!/usr/bin/env python3
"""Ingest benchmark on a larger real corpus: the reST sources of Debian's python3.11-doc
(497 files, 12 MB), fetched with apt-get download (whichever revision the registry serves),
pinned by a sha256 over its content, which the report prints, and cached.

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
SOURCES = "usr/share/doc/python3.11/html/_sources"
# The registry serves only the newest revisions of a package, so the corpus is pinned by its
# content, not by its version: a sha256 over the sorted (path, sha256 of file) pairs of
# _sources. Revisions seen so far and their content digests (deb12u7 produced the figures up
# to issue 10; see docs/benchmarks.md for which revision produced which table):
KNOWN_CORPORA = {
    "3.11.2-6+deb12u7": None,  # no longer served; its figures predate the content pin
    "3.11.2-6+deb12u8": "5484bb80518242f6000c2c5658124d4dff9b02a148df4d7b08df9b5bbb36c200",
    "3.11.2-6+deb12u9": "a562bb4c7d19b6a91fd5866af451e60f3d5738d4075d922d8b4c48885dccb039",
}


def content_digest(root: Path) -> str:
    """sha256 over the sorted relative paths and file digests under `root`."""
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(root)).encode() + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).hexdigest().encode() + b"\n")
    return h.hexdigest()


def corpus() -> tuple[Path, str, str]:
    """The extracted _sources directory, its package revision and content digest; downloads
    whatever revision the registry serves the first time (or set CAIRN_BENCH_DEB to a .deb)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    for done in sorted(CACHE.glob(f"{PACKAGE}-*/.complete")):
        root = done.parent / SOURCES
        return root, done.parent.name[len(PACKAGE) + 1:], done.read_text().strip()
    deb = os.environ.get("CAIRN_BENCH_DEB")
    if deb:
        deb = Path(deb)
    else:
        subprocess.run(["apt-get", "download", PACKAGE], cwd=CACHE, check=True)
        deb = max(CACHE.glob(f"{PACKAGE}_*_all.deb"), key=lambda p: p.stat().st_mtime)
    version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True,
                             capture_output=True, text=True).stdout.strip()
    target = CACHE / f"{PACKAGE}-{version}"
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
    digest = content_digest(target / SOURCES)
    (target / ".complete").write_text(digest + "\n")
    return target / SOURCES, version, digest


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
    docs, version, digest = corpus()
    known = KNOWN_CORPORA.get(version, "unknown")
    same = "the pinned content" if known == digest else (
        "NOT a revision recorded in KNOWN_CORPORA: compare ratios, not figures")
    files = sum(1 for _ in docs.rglob("*.rst.txt"))
    size = sum(f.stat().st_size for f in docs.rglob("*") if f.is_file()) / 1e6
    data = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cairn-bench-"))
    first, wall, rss = ingest(data, docs)
    again, wall2, _ = ingest(data, docs)
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"corpus: {PACKAGE} {version} _sources: {files} files, {size:.1f} MB")
    print(f"  content sha256 {digest} ({same})")
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
