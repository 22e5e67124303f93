"""The trainer writers' output through the trainers' own code, where that code installs here.

Tinker: the real SDK (`tinker`, in the dev extra) builds its `Datum`, `ForwardBackwardInput` and
`ForwardBackwardRequest` from `to_tinker`'s output and encodes the request as the protobuf it
sends (`tinker.proto.request_conv`); nothing reaches the network. Axolotl (needs CUDA wheels and
Python >= 3.12) and DistillKit (not on PyPI) are replayed in tests/distill/test_formats.py.
"""

from __future__ import annotations

import numpy as np
from tests.distill._synthetic import VOCAB, V, body, teacher_positions
from tinker import types
from tinker.proto import request_conv
from tinker.proto import tinker_public_pb2 as public_pb

from tokenprobs import distill

PROMPT_IDS = [3, 5, 7]
K = 4


def _record(t=6, seed=1):
    rng = np.random.default_rng(seed)
    _, positions = teacher_positions(rng, t, K)
    (r,) = distill.collect(
        [([{"role": "user", "content": "Go."}], body(positions))],
        teacher=distill.Teacher(logprob_semantics="raw"),
    )
    return r


def _datum(out):
    return types.Datum(
        model_input=types.ModelInput.from_ints(out["model_input"]),
        loss_fn_inputs={
            name: types.TensorData.from_numpy(a) for name, a in out["loss_fn_inputs"].items()
        },
    )


def test_the_sdk_keeps_our_arrays_with_the_wire_dtypes():
    """TensorData holds (N, K) int64 target_tokens and float32 weights, values unchanged."""
    r = _record()
    out = distill.to_tinker(r, k=K, prompt_ids=PROMPT_IDS, vocab=VOCAB)
    datum = _datum(out)
    n = len(PROMPT_IDS) + len(r) - 1
    assert datum.model_input.to_ints() == out["model_input"]
    tokens, weights = datum.loss_fn_inputs["target_tokens"], datum.loss_fn_inputs["weights"]
    assert (tokens.dtype, tokens.shape) == ("int64", [n, K])
    assert (weights.dtype, weights.shape) == ("float32", [n, K])
    np.testing.assert_array_equal(tokens.to_numpy(), out["loss_fn_inputs"]["target_tokens"])
    np.testing.assert_array_equal(weights.to_numpy(), out["loss_fn_inputs"]["weights"])
    # the SDK's own coercion of plain arrays gives the same tensors
    coerced = types.Datum(model_input=datum.model_input, loss_fn_inputs=dict(out["loss_fn_inputs"]))
    for name in ("target_tokens", "weights"):
        assert coerced.loss_fn_inputs[name].dtype == datum.loss_fn_inputs[name].dtype
        np.testing.assert_array_equal(
            coerced.loss_fn_inputs[name].to_numpy(), datum.loss_fn_inputs[name].to_numpy()
        )


def test_the_request_the_sdk_would_send_carries_our_datum():
    """A cross_entropy ForwardBackwardRequest, encoded to protobuf and parsed back, is our data."""
    r = _record()
    out = distill.to_tinker(r, k=K, prompt_ids=PROMPT_IDS, vocab=VOCAB)
    request = types.ForwardBackwardRequest(
        forward_backward_input=types.ForwardBackwardInput(
            data=[_datum(out)], loss_fn="cross_entropy"
        ),
        model_id="test-model",
        seq_id=1,
    )
    wire = request_conv.forward_backward_request_to_proto(request).SerializeToString()
    msg = public_pb.ForwardBackwardRequest.FromString(wire)
    assert msg.loss_fn == "cross_entropy"
    (datum_msg,) = msg.data
    tokens = np.concatenate(
        [np.frombuffer(c.encoded_text.tokens, dtype=np.int32) for c in datum_msg.model_input]
    )
    assert tokens.tolist() == out["model_input"]
    expected = {"target_tokens": np.int64, "weights": np.float32}
    assert set(datum_msg.loss_fn_inputs) == set(expected)
    for name, dtype in expected.items():
        tensor = datum_msg.loss_fn_inputs[name]
        got = np.frombuffer(tensor.dense, dtype=dtype).reshape(tuple(tensor.shape))
        np.testing.assert_array_equal(got, out["loss_fn_inputs"][name])


def test_tinkers_documented_top_k_loss_on_our_datum_is_the_reference_kl_plus_entropy():
    """-Σ w log p_student(target_tokens) on the Datum is topk_loss's forward KL plus H(teacher)."""
    r = _record()
    out = distill.to_tinker(r, k=K, prompt_ids=PROMPT_IDS, vocab=VOCAB)
    datum = _datum(out)
    tokens = datum.loss_fn_inputs["target_tokens"].to_numpy()
    weights = datum.loss_fn_inputs["weights"].to_numpy().astype(np.float64)
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(datum.model_input.length, V))
    student = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    # Tinker's cross_entropy with (N, K) inputs: -Σ_t Σ_k w[t, k] log p(x[t, k])
    tinker_loss = -(weights * np.take_along_axis(student, tokens, axis=1)).sum(axis=1)
    first = len(PROMPT_IDS) - 1
    assert np.all(tinker_loss[:first] == 0)  # prompt rows carry weight 0
    arrays = distill.to_arrays(r, k=K, vocab=VOCAB)
    p = np.where(arrays.mask, np.exp(arrays.target_logprobs), 0.0)
    entropy = -(p * np.where(arrays.mask, arrays.target_logprobs, 0.0)).sum(axis=1)
    reference = distill.topk_loss(student[first:], arrays, kind="forward")
    np.testing.assert_allclose(tinker_loss[first:], reference + entropy, rtol=1e-5)
