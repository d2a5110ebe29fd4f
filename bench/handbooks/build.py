#!/usr/bin/env python3
"""Checks the handbooks question set against its documents and splits it into two datasets.

bench/handbooks/questions/<set>.jsonl holds every question about corpus/<set>/, with two
fields the datasets do not carry: `absent` (terms a real answer to an unanswerable question
would need) and `note`. The checks:
- ids are unique, every expected source exists;
- every keyword of an answerable item occurs in the visible text of each expected source
  (tags stripped, entities decoded, reST markup removed, case and whitespace folded);
- no keyword is part of its own question (it would test nothing);
- no `absent` term of an unanswerable item occurs anywhere in its set's documents.

The split is fixed: within each set, answerable and unanswerable items are each ordered by the
sha256 of their id and dealt alternately to tune.jsonl and report.jsonl. Defaults are chosen on
the tune half only; the report half is for the figures in docs/benchmarks.md.

usage: bench/handbooks/build.py [--check]
  (--check: verify the questions and that tune.jsonl and report.jsonl are their split; write
  nothing)
"""
import hashlib
import html
import html.parser
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
FIELDS = ("id", "question", "expected_sources", "reference_answer", "keywords", "answerable")


class Visible(html.parser.HTMLParser):
    SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.depth = [], 0

    def handle_starttag(self, tag, attrs):
        self.depth += tag in self.SKIP
        self.parts.append(" ")

    def handle_endtag(self, tag):
        self.depth -= tag in self.SKIP and self.depth > 0
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def fold(text: str) -> str:
    return " ".join(text.replace("`", "").split()).lower()


def visible(path: Path) -> str:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        parser = Visible()
        parser.feed(raw)
        return fold(html.unescape("".join(parser.parts)))
    # reST: roles (:ref:`text <target>`) keep their text.
    raw = re.sub(r":[a-z]+:`([^`<]*?)\s*(<[^>]*>)?`", r"\1", raw)
    return fold(raw)


def main() -> None:
    check_only = "--check" in sys.argv[1:]
    texts = {str(p.relative_to(CORPUS)): visible(p) for p in CORPUS.rglob("*") if p.is_file()}
    problems, groups, seen = [], {}, set()
    for qfile in sorted((HERE / "questions").glob("*.jsonl")):
        name = qfile.stem
        set_text = " ".join(t for s, t in texts.items() if s.startswith(f"{name}/"))
        for lineno, line in enumerate(qfile.read_text().splitlines(), 1):
            if not line.strip():
                continue
            item = json.loads(line)
            where = f"{qfile.name}:{lineno} {item.get('id')}"
            if item["id"] in seen:
                problems.append(f"{where}: duplicate id")
            seen.add(item["id"])
            if item["answerable"]:
                for source in item["expected_sources"]:
                    if source not in texts:
                        problems.append(f"{where}: no such source {source}")
                        continue
                    for k in item["keywords"]:
                        if fold(k) not in texts[source]:
                            problems.append(f"{where}: keyword {k!r} not in {source}")
                for k in item["keywords"]:
                    if fold(k) in fold(item["question"]):
                        problems.append(f"{where}: keyword {k!r} is in the question")
                if not item["expected_sources"] or not item["keywords"]:
                    problems.append(f"{where}: answerable without expected sources or keywords")
            else:
                for term in item.get("absent", []):
                    if fold(term) in set_text:
                        problems.append(f"{where}: 'absent' term {term!r} occurs in {name}/")
                if item["expected_sources"] or item["keywords"]:
                    problems.append(f"{where}: unanswerable with expected sources or keywords")
            groups.setdefault((name, item["answerable"]), []).append(item)
    if problems:
        sys.exit("\n".join(problems))
    halves = {"tune": [], "report": []}
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda i: hashlib.sha256(i["id"].encode()).hexdigest())
        for n, item in enumerate(ordered):
            halves["tune" if n % 2 == 0 else "report"].append({f: item.get(f) for f in FIELDS})
    for half, items in halves.items():
        answerable = sum(i["answerable"] for i in items)
        print(f"{half}: {len(items)} items ({answerable} answerable, {len(items) - answerable} not)")
        lines = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
        path = HERE / f"{half}.jsonl"
        if not check_only:
            path.write_text(lines)
        elif not path.exists() or path.read_text() != lines:
            sys.exit(f"{path.name} is not the split of questions/: run bench/handbooks/build.py")


if __name__ == "__main__":
    main()
