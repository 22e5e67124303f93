import json

import pytest

import tokenprobs as tp
from tokenprobs import batch
from tokenprobs.testing import chat_completion, completion, response

POSITIONS = [
    ("Yes", -0.1, [("Yes", -0.1), ("No", -2.4)]),
    (".", -0.01, [(".", -0.01), ("!", -5.0)]),
]
BODIES = {
    "chat.completions": chat_completion,
    "responses": response,
    "completions": completion,
}


def simulate_output(input_path, output_path, endpoint, *, fail=()):
    """Write the output file the Batch API would, in reverse order, failing `fail` ids."""
    lines = [json.loads(x) for x in input_path.read_text(encoding="utf-8").splitlines()]
    with output_path.open("w", encoding="utf-8") as out:
        for n, req in enumerate(reversed(lines)):
            cid = req["custom_id"]
            if cid in fail:
                resp = {
                    "status_code": 400,
                    "request_id": f"req_{n}",
                    "body": {"error": {"message": "bad", "type": "invalid_request_error"}},
                }
            else:
                resp = {
                    "status_code": 200,
                    "request_id": f"req_{n}",
                    "body": BODIES[endpoint](POSITIONS),
                }
            line = {"id": f"batch_req_{n}", "custom_id": cid, "response": resp, "error": None}
            out.write(json.dumps(line) + "\n")


@pytest.mark.parametrize("endpoint", ["chat.completions", "responses", "completions"])
def test_round_trip(tmp_path, endpoint):
    """write_requests → (simulated output) → read_results gives every distribution by id."""
    model = "gpt-3.5-turbo-instruct" if endpoint == "completions" else "gpt-4o-mini"
    ids = batch.write_requests(
        tmp_path / "in.jsonl",
        ["Is water wet?", "Is fire hot?"],
        model=model,
        top_logprobs=2,
        endpoint=endpoint,
    )
    simulate_output(tmp_path / "in.jsonl", tmp_path / "out.jsonl", endpoint)
    results = dict(batch.read_results(tmp_path / "out.jsonl"))
    assert set(results) == set(ids)
    assert all(d.tokens == ["Yes", "."] for d in results.values())


def test_request_lines_ask_for_logprobs(tmp_path):
    """Each line is a Batch request: custom_id, POST, the endpoint's url, a logprobs body."""
    batch.write_requests(
        tmp_path / "in.jsonl", ["Hi"], model="gpt-4o-mini", top_logprobs=3, temperature=0
    )
    (line,) = [json.loads(x) for x in (tmp_path / "in.jsonl").read_text().splitlines()]
    assert (line["method"], line["url"]) == ("POST", "/v1/chat/completions")
    assert line["body"]["logprobs"] is True
    assert (line["body"]["top_logprobs"], line["body"]["temperature"]) == (3, 0)
    assert line["body"]["messages"] == [{"role": "user", "content": "Hi"}]


def test_custom_ids_are_stable_and_unique(tmp_path):
    """The same input gives the same ids; repeated prompts still get distinct ids."""
    first = batch.write_requests(tmp_path / "a.jsonl", ["x", "x", "y"], model="gpt-4o-mini")
    again = batch.write_requests(tmp_path / "b.jsonl", ["x", "x", "y"], model="gpt-4o-mini")
    assert first == again
    assert len(set(first)) == 3


def test_own_custom_ids_from_a_mapping(tmp_path):
    """A mapping's keys become the custom_ids."""
    ids = batch.write_requests(tmp_path / "in.jsonl", {"q1": "x", "q2": "y"}, model="gpt-4o-mini")
    assert ids == ["q1", "q2"]


def test_a_refused_line_refuses_the_file(tmp_path):
    """A line the API would refuse raises a GuardError naming it; no file is left."""
    with pytest.raises(tp.GuardError) as info:
        batch.write_requests(tmp_path / "in.jsonl", ["x"], model="gpt-4o", top_logprobs=21)
    assert any("index 0" in note for note in info.value.__notes__)
    assert list(tmp_path.iterdir()) == []


def test_failed_lines_are_errors_in_place(tmp_path):
    """A failed request's line gives (custom_id, APIResponseError)."""
    ids = batch.write_requests(tmp_path / "in.jsonl", ["a", "b"], model="gpt-4o-mini")
    simulate_output(
        tmp_path / "in.jsonl", tmp_path / "out.jsonl", "chat.completions", fail={ids[0]}
    )
    results = dict(batch.read_results(tmp_path / "out.jsonl"))
    assert isinstance(results[ids[0]], tp.APIResponseError)
    assert results[ids[1]].tokens == ["Yes", "."]


def test_error_file_lines(tmp_path):
    """A line of the error file (`response: null`, `error` set) gives an APIResponseError."""
    line = {
        "id": "batch_req_1",
        "custom_id": "q1",
        "response": None,
        "error": {"code": "batch_expired", "message": "not executed in the window"},
    }
    (tmp_path / "err.jsonl").write_text(json.dumps(line) + "\n\n")
    ((cid, err),) = batch.read_results(tmp_path / "err.jsonl")
    assert cid == "q1"
    assert isinstance(err, tp.APIResponseError)


def test_a_line_that_is_not_json_says_where(tmp_path):
    """A corrupt line raises, naming its line number."""
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(tp.UnsupportedResponseError, match="line 1"):
        list(batch.read_results(tmp_path / "bad.jsonl"))


def test_read_results_is_lazy(tmp_path):
    """read_results yields as it reads (a generator, not a list)."""
    batch.write_requests(tmp_path / "in.jsonl", ["a"], model="gpt-4o-mini")
    simulate_output(tmp_path / "in.jsonl", tmp_path / "out.jsonl", "chat.completions")
    results = batch.read_results(tmp_path / "out.jsonl")
    assert iter(results) is results
