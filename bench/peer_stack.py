#!/usr/bin/env python3
"""The Python stack a cairn user would otherwise pick, as the LangChain RAG tutorial builds it:
RecursiveCharacterTextSplitter (1000 characters, 200 overlap), all-MiniLM-L6-v2 through
fastembed (the same model.onnx and tokenizer files cairn uses, same ONNX Runtime version),
LangChain's QdrantVectorStore over qdrant-client's local mode (on disk). Run inside the venv
bench/compare_peer.py makes from bench/peer-requirements.txt; prints one JSON line.

  peer_stack.py ingest MODEL_DIR DOCS DATA_DIR
  peer_stack.py query MODEL_DIR DATA_DIR QUESTIONS_FILE CLIENTS

langchain-community's FastEmbedEmbeddings is the adapter a user would import; it is a thin
wrapper over fastembed.TextEmbedding.embed, so the same few lines are written out here rather
than pull in langchain-community's dependency tree.
"""
import json
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastembed import TextEmbedding
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.prompts import ChatPromptTemplate
from langchain_qdrant import QdrantVectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter
from qdrant_client import QdrantClient

COLLECTION = "pydocs"
PROMPT = ChatPromptTemplate.from_messages([
    ("system", "Answer the question from the context only. Context:\n\n{context}"),
    ("human", "{question}"),
])


class FastEmbed(Embeddings):
    """fastembed behind LangChain's Embeddings interface; counts time inside the model."""

    def __init__(self, model_dir: str):
        self.model = TextEmbedding("sentence-transformers/all-MiniLM-L6-v2",
                                   specific_model_path=model_dir)
        self.seconds = 0.0
        self._lock = threading.Lock()

    def _embed(self, texts):
        started = time.perf_counter()
        vectors = [v.tolist() for v in self.model.embed(texts)]
        with self._lock:
            self.seconds += time.perf_counter() - started
        return vectors

    def embed_documents(self, texts):
        return self._embed(texts)

    def embed_query(self, text):
        return self._embed([text])[0]


def rss_mb() -> tuple[float, float]:
    """This process's current and peak resident memory in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def ingest(model_dir: str, docs: str, data: str) -> dict:
    started = time.perf_counter()
    embeddings = FastEmbed(model_dir)
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = []
    files = sorted(p for p in Path(docs).rglob("*.txt") if p.is_file())
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        source = str(path.relative_to(docs))
        chunks.extend(splitter.split_documents([Document(text, metadata={"source": source})]))
    QdrantVectorStore.from_documents(chunks, embeddings, path=data, collection_name=COLLECTION)
    seconds = time.perf_counter() - started
    tokenizer = embeddings.model.model.tokenizer  # truncates at the model's 256 tokens
    tokens = sum(len(e.ids) for e in tokenizer.encode_batch([c.page_content for c in chunks]))
    return {"files": len(files), "chunks": len(chunks), "seconds": seconds,
            "embed_seconds": embeddings.seconds, "tokens": tokens, "peak_rss_mb": rss_mb()[1]}


def query(model_dir: str, data: str, questions_file: str, clients: str) -> dict:
    embeddings = FastEmbed(model_dir)
    store = QdrantVectorStore(client=QdrantClient(path=data), collection_name=COLLECTION,
                              embedding=embeddings)
    questions = [json.loads(line)["question"] for line in open(questions_file) if line.strip()]

    def ask(question):
        started = time.perf_counter()
        docs = store.similarity_search(question, k=5)
        PROMPT.format_messages(context="\n\n".join(d.page_content for d in docs),
                               question=question)
        return (time.perf_counter() - started) * 1000

    for i in range(4):  # lazy set-up, as cairn's warm-up
        ask(f"warm up {i}")
    rows = {}
    for n in (int(c) for c in clients.split(",")):
        started = time.perf_counter()
        with ThreadPoolExecutor(n) as pool:
            times = list(pool.map(ask, questions))
        wall = time.perf_counter() - started
        rows[str(n)] = {"p50_ms": statistics.median(times),
                        "p95_ms": sorted(times)[int(0.95 * (len(times) - 1))],
                        "per_second": len(times) / wall}
    current, peak = rss_mb()
    return {"clients": rows, "rss_mb": current, "peak_rss_mb": peak}


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    print(json.dumps({"ingest": ingest, "query": query}[command](*args)))
