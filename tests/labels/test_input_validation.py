"""Wrong input to the labels tools is refused with a TypeError or ValueError that says the fix."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from tests.labels.test_calibration import results_from, synthetic

import tokenprobs as tp
from tokenprobs.labels import Char, Labels
from tokenprobs.testing import chat_completion

LN = math.log
BODY = chat_completion([("Yes", LN(0.6), [("Yes", LN(0.6)), ("No", LN(0.3)), ("x", LN(0.05))])])
D = tp.parse(BODY)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        pytest.param(["yes", None], r"label 1 is None, not a string", id="none-in-list"),
        pytest.param([5], r"label 0 is an int \(5\)", id="int-in-list"),
        pytest.param(
            {"a": [None]}, r"variant 0 of label 'a' is None, not a string", id="none-variant"
        ),
        pytest.param({"a": None}, r"variants of label 'a'.*got None", id="none-variants"),
        pytest.param({1: "yes"}, r"label 0 is an int \(1\)", id="int-key"),
        pytest.param([b"yes", b"no"], r"label 0 is a bytes", id="bytes"),
        pytest.param([["yes"], "no"], r"label 0 is a list", id="unhashable-list-in-list"),
    ],
)
def test_labels_must_be_strings(labels, message):
    """A label or variant that is not a string is a TypeError naming it."""
    with pytest.raises(TypeError, match=message):
        Labels(labels)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        pytest.param(None, r"labels must be a list of strings or a mapping.*got None", id="none"),
        pytest.param(
            3, r"labels must be a list of strings or a mapping.*got an int \(3\)", id="int"
        ),
        pytest.param(b"yes", r"labels must be a list of strings.*not one bytes", id="bytes"),
        pytest.param(
            {"yes": b"Yes"}, r"variants of label 'yes'.*got one bytes", id="bytes-variant"
        ),
        pytest.param({"yes": 3}, r"variants of label 'yes'.*got an int \(3\)", id="int-variants"),
        pytest.param(
            {"yes", "no", "maybe"}, r"got a set: its order changes from run to run", id="set"
        ),
        pytest.param(frozenset({"yes", "no"}), r"got a frozenset: .*sorted\(labels\)", id="frozen"),
    ],
)
def test_a_label_set_that_is_no_list_is_named(labels, message):
    """None, a number or bytes where the labels (or a label's variants) go: a TypeError saying so.

    Not Python's "'NoneType' object is not iterable", nor bytes read as the integers of their
    characters ("label 0 is an int (121)").
    """
    with pytest.raises(TypeError, match=message):
        Labels(labels)


def test_a_mapping_of_variants_is_refused_not_read_as_its_keys():
    """`{"yes": {"Yes": 1.0}}` took the keys as the variants and dropped the values, silently."""
    with pytest.raises(TypeError, match=r"variants of label 'yes'.*got a dict.*as a list"):
        Labels({"yes": {"Yes": 1.0, "y": 0.5}, "no": ["No"]})


def test_numpy_label_names_are_plain_strings():
    """Labels from a numpy array were kept as `np.str_`: `label=np.str_('yes')` in every result."""
    labels = Labels(np.array(["yes", "no"]))
    res = labels.probs(D)
    assert [type(n) for n in labels.names] == [str, str]
    assert type(res.label) is str
    assert [type(k) for k in res.probs] == [str, str]
    assert repr(res).startswith("LabelResult(label='yes'")


@pytest.mark.parametrize("option", ["case_sensitive", "strip_whitespace", "quotes"])
@pytest.mark.parametrize("value", [pytest.param("no", id="str"), pytest.param(1, id="int")])
def test_labels_options_must_be_bools(option, value):
    """A boolean option given anything but True or False is a TypeError naming it."""
    with pytest.raises(TypeError, match=rf"`{option}` must be True or False"):
        Labels(["yes", "no"], **{option: value})


@pytest.mark.parametrize("option", ["case_sensitive", "strip_whitespace", "quotes"])
def test_labels_options_take_a_numpy_bool(option):
    """An element of a numpy mask is a bool: it means what True or False means."""
    top = [("Yes", -0.22), (" yes", -2.3), ("No", -2.5), ('"no', -3.0)]
    d = tp.parse(chat_completion([("Yes", -0.22, top)]))

    def raw(*, flag):
        return Labels(["yes", "no"], **{option: flag}).probs(d).raw

    assert raw(flag=np.True_) == raw(flag=True)
    assert raw(flag=np.False_) == raw(flag=False)
    assert raw(flag=True) != raw(flag=False)


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(BODY, id="response-dict"),
        pytest.param("yes", id="str"),
        pytest.param([D], id="list"),
        pytest.param(None, id="none"),
    ],
)
def test_probs_needs_a_distribution(obj):
    """`Labels.probs` of anything but a TokenDistribution says to `tp.parse` it first."""
    with pytest.raises(TypeError, match=r"not a TokenDistribution.*tp\.parse"):
        Labels(["yes", "no"]).probs(obj)


def test_probs_many_of_one_distribution_says_to_use_probs():
    """`probs_many(d)` (one distribution, not a list of them) is a TypeError."""
    with pytest.raises(TypeError, match=r"probs\(d\)"):
        Labels(["yes", "no"]).probs_many(D)


@pytest.mark.parametrize(
    "obj", [pytest.param(BODY, id="response-dict"), pytest.param("8", id="str")]
)
def test_expected_score_needs_a_distribution(obj):
    """`expected_score` of a raw response says to `tp.parse` it first."""
    with pytest.raises(TypeError, match=r"not a TokenDistribution.*tp\.parse"):
        tp.labels.expected_score(obj)


@pytest.mark.parametrize("fn", ["mean_token_negentropy", "min_token_negentropy"])
@pytest.mark.parametrize(
    ("top_k", "error"),
    [
        pytest.param(0, ValueError, id="zero"),
        pytest.param(1, ValueError, id="one"),
        pytest.param(-1, ValueError, id="negative"),
        pytest.param("3", TypeError, id="str"),
        pytest.param(True, TypeError, id="bool"),
        pytest.param(2.5, TypeError, id="float"),
    ],
)
def test_negentropy_top_k_is_an_int_of_at_least_two(fn, top_k, error):
    """`top_k` is k of `1 - H / log k`: an int >= 2 (log 1 = 0), else an error naming it."""
    with pytest.raises(error, match=r"top_k must be an int >= 2"):
        getattr(tp.labels, fn)(D, top_k=top_k)


def test_uncertainty_scores_top_k_is_checked():
    """`uncertainty_scores` checks `top_k` as the negentropies do."""
    with pytest.raises(ValueError, match=r"top_k must be an int >= 2"):
        tp.labels.uncertainty_scores([D], top_k=0)


@pytest.mark.parametrize(
    ("y", "error", "message"),
    [
        pytest.param([5] * 40, ValueError, r"label 5 .*0 to 2", id="index-too-large"),
        pytest.param([-1] * 40, ValueError, r"label -1 .*0 to 2", id="negative-index"),
        pytest.param(np.full(40, 3), ValueError, r"label 3 .*0 to 2", id="numpy-index"),
        pytest.param([0.7] * 40, TypeError, r"label 0.7 .*a name or an integer index", id="float"),
        pytest.param([True] * 40, TypeError, r"label True .*a name or an integer", id="bool"),
        pytest.param([None] * 40, TypeError, r"label None .*a name or an integer", id="none"),
        pytest.param(np.full(40, 0.5), TypeError, r"a name or an integer index", id="numpy-float"),
        pytest.param([3.0] * 40, ValueError, r"label 3 .*0 to 2", id="whole-float-too-large"),
        pytest.param(np.full(40, 3.0), ValueError, r"label 3 .*0 to 2", id="numpy-whole-float"),
    ],
)
def test_true_labels_must_name_a_label(y, error, message):
    """A true label that is no label name and no index in range is refused, naming the range."""
    p, _ = synthetic(40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tp.labels.CalibrationWarning)
        with pytest.raises(error, match=message):
            tp.labels.calibrate(results_from(p), y)


@pytest.mark.parametrize(
    ("y", "message"),
    [
        pytest.param("yes", r"true labels y are one str \('yes'\)", id="one-str"),
        pytest.param(b"yes", r"true labels y are one bytes", id="bytes"),
        pytest.param(5, r"true labels y must be a list .* got an int", id="int"),
    ],
)
def test_true_labels_that_are_no_list_are_named(y, message):
    """Not "label 'y' is not one of" (a str read per character) or "int has no len()"."""
    p, _ = synthetic(40)
    with pytest.raises(TypeError, match=message):
        tp.labels.calibrate(results_from(p), y)


def test_true_labels_may_be_any_iterable():
    """A generator of names fits as the list of them does (it was "generator has no len()")."""
    p, y = synthetic(40)
    names = [["a", "b", "c"][k] for k in y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tp.labels.CalibrationWarning)
        from_list = tp.labels.calibrate(results_from(p), names)
        from_generator = tp.labels.calibrate(results_from(p), (n for n in names))
    assert from_generator.temperature == from_list.temperature


def test_true_labels_as_names_and_indices_still_fit():
    """Names, Python ints, numpy ints and whole floats in range are all accepted."""
    p, y = synthetic(40)
    names = [["a", "b", "c"][k] for k in y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tp.labels.CalibrationWarning)
        by_name = tp.labels.calibrate(results_from(p), names)
        by_index = tp.labels.calibrate(results_from(p), y.tolist())
        by_array = tp.labels.calibrate(results_from(p), y)
        by_floats = tp.labels.calibrate(results_from(p), y.astype(float))  # np.zeros(n) and kin
        by_float_list = tp.labels.calibrate(results_from(p), [float(k) for k in y])
    fits = [by_name, by_index, by_array, by_floats, by_float_list]
    assert all(isinstance(c, tp.labels.TemperatureScaling) for c in fits)
    assert len({c.temperature for c in fits}) == 1


@pytest.mark.parametrize("method", ["temperature", "vector", "platt", "contextual", "batch"])
def test_no_usable_result_to_fit_on_is_an_error(method):
    """Results with no label mass (NaN probs) leave nothing to fit: a ValueError, no warnings."""
    nothing = Labels(["yes", "no"]).probs_many(
        [tp.parse(chat_completion([("maybe", -0.1, [("maybe", -0.1)])]))] * 2
    )
    y = ["yes", "no"] if method in {"temperature", "vector", "platt"} else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="no usable result"):
            tp.labels.calibrate(nothing, y, method=method)


@pytest.mark.parametrize(
    "calibrator",
    [
        tp.labels.TemperatureScaling,
        tp.labels.VectorScaling,
        tp.labels.PlattScaling,
        tp.labels.ContextualCalibration,
        tp.labels.BatchCalibration,
    ],
)
def test_transform_before_fit_says_to_fit_first(calibrator):
    """Not "fit on labels [], asked to transform ['yes', 'no']": the calibrator was never fit."""
    results = Labels(["yes", "no"]).probs_many([D])
    with pytest.raises(ValueError, match=rf"{calibrator.__name__} is not fitted: call fit"):
        calibrator().transform(results)


@pytest.mark.parametrize("method", [["temperature"], None, 3])
def test_an_unknown_method_of_any_type_lists_the_methods(method):
    """A method that is no string (a list: unhashable) is refused as an unknown one is."""
    results = Labels(["yes", "no"]).probs_many([D])
    with pytest.raises(ValueError, match=r"unknown method .*choose one of \['batch'"):
        tp.labels.calibrate(results, ["yes"], method=method)


def test_results_of_different_label_sets_are_refused():
    """Calibrating results of two label sets together is a ValueError naming both sets."""
    yes_no = Labels(["yes", "no"]).probs(D)
    abc = results_from([[0.5, 0.3, 0.2]])[0]
    with pytest.raises(ValueError, match=r"result 1 .*\['a', 'b', 'c'\].*\['yes', 'no'\]"):
        tp.labels.calibrate([yes_no, abc], ["yes", "a"])


@pytest.mark.parametrize(
    "at",
    [
        pytest.param(1.0, id="integral-float"),
        pytest.param(1.5, id="float"),
        pytest.param(True, id="bool"),
        pytest.param([1], id="list"),
    ],
)
def test_answer_position_of_a_wrong_type_is_a_type_error(at):
    """A float failed deep in numpy, True read position 1: TypeError naming what `at` takes."""
    d = tp.parse(chat_completion([("The", 0.0, []), (" Yes", LN(0.5), [(" Yes", LN(0.5))])]))
    with pytest.raises(TypeError, match=r"at must be an int, got .*a Char\(int\) offset"):
        Labels(["yes", "no"]).probs(d, at=at)


@pytest.mark.parametrize("offset", [1.5, 2.0, True, "3"])
def test_char_offset_must_be_an_int(offset):
    """`Char(1.5)` is refused when written, not read as some position."""
    with pytest.raises(TypeError, match="a Char offset must be an int"):
        Char(offset)


def test_numpy_integers_are_positions():
    """An index from numpy (`np.argmax(...)`) is an int position."""
    d = tp.parse(chat_completion([("The", 0.0, []), (" Yes", LN(0.5), [(" Yes", LN(0.5))])]))
    assert Labels(["yes", "no"]).probs(d, at=np.int64(1)).position == 1
    assert Labels(["yes", "no"]).probs(d, at=Char(np.int64(3))).position == 1


def test_expected_score_answer_position_of_a_wrong_type_is_a_type_error():
    """`expected_score(at=...)` takes what `Labels.probs` takes."""
    with pytest.raises(TypeError, match="at must be an int, got a float"):
        tp.labels.expected_score(D, at=0.0)


def test_uncertainty_scores_of_one_distribution_says_to_pass_a_list():
    """One distribution was read as its positions ("item 0 is a TokenLogprob"): say `[d]`."""
    with pytest.raises(TypeError, match=r"takes a list of distributions.*pass \[d\]"):
        tp.labels.uncertainty_scores(D)


@pytest.mark.parametrize("ds", [pytest.param(None, id="none"), pytest.param(BODY, id="a-body")])
def test_scores_of_something_not_distributions_name_what_they_take(ds):
    """None or a raw body is refused naming what a score takes, not as "not iterable"."""
    with pytest.raises(TypeError, match="expected a TokenDistribution or a list of them"):
        tp.labels.log_perplexity(ds)


@pytest.mark.parametrize(
    "vocab_size",
    [
        pytest.param(True, id="bool"),
        pytest.param(50_000.0, id="float"),
        pytest.param("5", id="str"),
    ],
)
def test_entropy_bounds_vocab_size_is_an_int(vocab_size):
    """`vocab_size=True` was read as V = 1 (the tail dropped): TypeError."""
    with pytest.raises(TypeError, match="vocab_size must be an int"):
        tp.labels.mean_token_entropy_bounds(D, vocab_size=vocab_size)


@pytest.mark.parametrize("flag", ["no", 0, None])
def test_length_normalize_is_a_bool(flag):
    """`length_normalize="no"` behaved as True: TypeError."""
    with pytest.raises(TypeError, match="`length_normalize` must be True or False"):
        tp.labels.sequence_probability(D, length_normalize=flag)


def test_length_normalize_takes_a_numpy_bool():
    """`np.False_` is the product of p_t and `np.True_` their geometric mean, as the bools are."""
    two = tp.parse(chat_completion([("a", -0.5, [("a", -0.5)]), ("b", -1.5, [("b", -1.5)])]))
    product = tp.labels.sequence_probability(two, length_normalize=False)
    mean = tp.labels.sequence_probability(two, length_normalize=True)
    assert tp.labels.sequence_probability(two, length_normalize=np.False_) == product
    assert tp.labels.sequence_probability(two, length_normalize=np.True_) == mean
    assert product != mean


@pytest.mark.parametrize("what", ["bogus", "tail", "label", None])
def test_matrix_of_an_unknown_kind_lists_the_kinds(what):
    """`matrix("tail")` failed with an AttributeError from inside: ValueError naming the four."""
    res = Labels(["yes", "no"]).probs_many([D])
    with pytest.raises(ValueError, match=r"matrix takes one of \['probs', 'raw', 'lo', 'hi'\]"):
        res.matrix(what)


def test_matrix_kinds_are_per_label_columns():
    """The four kinds are one column per label, in label order."""
    res = Labels(["no", "yes"]).probs_many([D])
    r = res[0]
    assert res.matrix("raw").tolist() == [[r.raw["no"], r.raw["yes"]]]
    assert res.matrix("hi").tolist() == [[r.bounds["no"][1], r.bounds["yes"][1]]]


def test_a_slice_of_results_is_results():
    """`results[:2]` keeps `.matrix()`, `.ok` and the labels (it was a plain list)."""
    res = Labels(["yes", "no"]).probs_many([D, RuntimeError("down"), D])
    head = res[:2]
    assert isinstance(head, tp.labels.LabelResults)
    assert head.labels == ("yes", "no")
    assert head.ok.tolist() == [True, False]
    assert head.matrix().shape == (2, 2)
    assert res[0] is res[::2][0]
    assert isinstance(res[1], RuntimeError)


def test_label_results_hold_results_of_their_labels_only():
    """Results of other labels gave a KeyError from `.matrix()`, junk items silent NaN rows."""
    results = Labels(["yes", "no"]).probs_many([D])
    with pytest.raises(ValueError, match=r"item 0 is a result of the labels \['yes', 'no'\]"):
        tp.labels.LabelResults(results, labels=("a", "b"))
    with pytest.raises(TypeError, match=r"item 1 is an int, not a LabelResult"):
        tp.labels.LabelResults([results[0], 5], labels=("yes", "no"))
    kept = tp.labels.LabelResults([results[0], ValueError("failed")], labels=("yes", "no"))
    assert kept.ok.tolist() == [True, False]
