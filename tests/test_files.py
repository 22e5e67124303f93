"""Every writer: a file complete or none, and a bad target refused before any record is read."""

from __future__ import annotations

import pytest

from tokenprobs import batch, distill
from tokenprobs.testing import chat_completion

BODY = chat_completion([("Hi", -0.1, [("Hi", -0.1), ("Hey", -2.5)]), ("!", -0.2, [("!", -0.2)])])
VOCAB = distill.StudentVocab({b"Hi": 7, b"Hey": 9, b"!": 3})


def _records():
    chat = [{"role": "user", "content": "Say hi"}]
    return list(distill.collect([(chat, BODY)], teacher=distill.Teacher(logprob_semantics="raw")))


def _write_requests(items, path):
    return batch.write_requests(path, items, model="gpt-4o-mini")


def _write_jsonl(items, path):
    return distill.write_jsonl(items, path)


def _write_axolotl(items, path):
    return distill.write_axolotl(items, path, k=2, vocab=VOCAB)


def _write_distillkit(items, path):
    return distill.write_distillkit(items, path, k=2, prompt_ids=lambda _: [1, 2], vocab=VOCAB)


WRITERS = [
    pytest.param(_write_requests, lambda: ["a question"], id="write_requests"),
    pytest.param(_write_jsonl, _records, id="write_jsonl"),
    pytest.param(_write_axolotl, _records, id="write_axolotl"),
    pytest.param(_write_distillkit, _records, id="write_distillkit", marks=pytest.mark.extras),
]


class Watched:
    """An iterable that remembers whether anything asked it for an item."""

    def __init__(self, items):  # noqa: D107
        self.items, self.read = items, False

    def __iter__(self):  # noqa: D105
        self.read = True
        return iter(self.items)


@pytest.mark.parametrize(("write", "good"), WRITERS)
def test_a_folder_as_target_is_refused_before_any_record_is_read(write, good, tmp_path):
    """A folder where the file goes: IsADirectoryError naming it, and the records untouched.

    The records are often a generator doing real work (a Batch file, requests); before, the
    writers found out at the rename, after reading all of them (or wrote into `dir.partial`).
    """
    items = Watched(good())
    with pytest.raises(IsADirectoryError, match="is a folder: give a file's path inside it"):
        write(items, tmp_path)
    assert not items.read
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("write", "good"), WRITERS)
def test_a_missing_folder_is_refused_before_any_record_is_read(write, good, tmp_path):
    """The target's folder does not exist: FileNotFoundError naming that folder, nothing read."""
    items = Watched(good())
    with pytest.raises(FileNotFoundError, match="does not exist") as caught:
        write(items, tmp_path / "missing" / "out.jsonl")
    assert caught.value.filename == str(tmp_path / "missing")
    assert not items.read


@pytest.mark.parametrize(("write", "good"), WRITERS)
def test_a_failure_half_way_leaves_the_earlier_file_as_it_was(write, good, tmp_path):
    """A bad item after good ones: the error, the old file unchanged, and no `.partial` left.

    write_axolotl and write_distillkit wrote in place before: an error half-way truncated it.
    """
    target = tmp_path / "out"
    target.write_text("the earlier file\n")
    items = [*good(), 5]  # neither a prompt nor a record
    with pytest.raises(TypeError):
        write(items, target)
    assert target.read_text() == "the earlier file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize(("write", "good"), WRITERS)
def test_a_target_that_is_no_path_is_a_type_error(write, good):
    """`None` or a number as the path: TypeError saying a str or pathlib.Path is wanted."""
    with pytest.raises(TypeError, match=r"writes to a path \(a str or pathlib\.Path\), got an int"):
        write(good(), 5)


@pytest.mark.parametrize(("write", "good"), WRITERS)
def test_a_clean_write_replaces_the_file(write, good, tmp_path):
    """The written file replaces one already there, and nothing else is left beside it."""
    target = tmp_path / "out"
    target.write_text("the earlier file\n")
    write(good(), target)
    assert target.read_bytes() != b"the earlier file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
