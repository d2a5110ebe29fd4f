#!/usr/bin/env python3
"""Answer quality over the HTTP API: for every golden question, POST /query and measure
hit@1 / hit@5 / MRR of the expected source among the retrieved passages, keyword recall of the
answers (share of the expected keywords found in the answer text), the share of answers whose
citations include the expected source, and abstention: the share of
unanswerable questions that abstain, and of answerable ones that wrongly do.

usage: bench/answers.py --data-dir DIR --collection NAME --golden FILE [--variant V]
Starts `target/release/cairn serve` on a free port for the run (or use --url of a running one).
"""
import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.load(r)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(data_dir, url=None):
    """The URL of `url` when given, or of `cairn serve` started on a free port for the block."""
    if url:
        yield url
        return
    port = free_port()
    proc = subprocess.Popen([str(ROOT / "target/release/cairn"), "--data-dir", data_dir, "serve",
                             "--bind", f"127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("cairn serve did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", default=str(ROOT / "data"))
    p.add_argument("--collection", default="docs-sample")
    p.add_argument("--golden", default=str(ROOT / "docs-sample/golden.jsonl"))
    p.add_argument("--url")
    p.add_argument("--variant")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    with serving(args.data_dir, args.url) as url:
        rows = [json.loads(l) for l in open(args.golden) if l.strip()]
        answerable = [r for r in rows if r.get("expected_sources")]
        unanswerable = [r for r in rows if not r.get("expected_sources")]
        h1 = h5 = rr = recall = wrong_abstain = cites = 0.0
        model = None
        for r in answerable:
            body = {"question": r["question"], "top_k": 5}
            if args.variant:
                body["variant"] = args.variant
            a = post(f"{url}/v1/collections/{args.collection}/query", body)
            model = a["model"]
            passages = a["citations"] if not a["abstained"] else a["nearest"]
            # Retrieval rank: the citations of an answer are a subset; use all retrieved
            # passages via a search for the rank figures.
            s = post(f"{url}/v1/collections/{args.collection}/search",
                     {"query": r["question"], "top_k": 5})
            sources = [x["source"] for x in s["results"]]
            rank = next((i + 1 for i, x in enumerate(sources) if x in r["expected_sources"]), None)
            h1 += rank == 1
            h5 += rank is not None
            rr += 1 / rank if rank else 0
            kws = r.get("keywords") or []
            found = sum(k.lower() in a["answer"].lower() for k in kws)
            recall += found / len(kws) if kws else 1
            wrong_abstain += a["abstained"]
            cites += any(c["source"] in r["expected_sources"] for c in a["citations"])
            if args.verbose and (a["abstained"] or (kws and found < len(kws))):
                print(f"  {r['id']} abstained={a['abstained']} {a.get('abstain_reason')} "
                      f"keywords {found}/{len(kws)}: {a['answer'][:140]!r}")
        abstained = 0
        for r in unanswerable:
            a = post(f"{url}/v1/collections/{args.collection}/query", {"question": r["question"]})
            abstained += a["abstained"]
            if args.verbose and not a["abstained"]:
                print(f"  {r['id']} answered an unanswerable question: {a['answer'][:140]!r}")
        n = len(answerable)
        print(f"golden set: {args.golden} ({n} answerable, {len(unanswerable)} unanswerable); "
              f"model: {model}")
        print(f"retrieval  hit@1 {h1 / n:.3f}  hit@5 {h5 / n:.3f}  MRR {rr / n:.3f}")
        print(f"answers    keyword recall {recall / n:.3f}  "
              f"cite the expected source {cites / n:.3f}  "
              f"answerable wrongly abstained {wrong_abstain / n:.3f}")
        if unanswerable:
            print(f"abstention unanswerable that abstained {abstained / len(unanswerable):.3f} "
                  f"({abstained}/{len(unanswerable)})")


if __name__ == "__main__":
    main()
