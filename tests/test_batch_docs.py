"""docs/batch.md's example runs as written: the real SDK, the Batch API's HTTP answered locally."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest
from tests._client_helpers import OPENAI_MAJOR, http_client

from tokenprobs.testing import chat_completion

PAGE = Path(__file__).resolve().parents[1] / "docs" / "batch.md"
CREATED = 1_733_000_000


def _first_python_block(page: Path) -> str:
    match = re.search(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    assert match, f"{page.name} has no python block"
    return match.group(1)


class BatchAPI:
    """The four Batch endpoints the example calls, answering as the API does (ids included)."""

    def __init__(self) -> None:
        """Nothing uploaded yet, never polled."""
        self.uploaded = b""
        self.polls = 0

    def upload(self, request: httpx.Request) -> httpx.Response:
        """`POST /files`: keep the upload, answer a FileObject."""
        self.uploaded = request.content
        return httpx.Response(200, json=_file("file-abc123", "batch", len(request.content)))

    def create(self, request: httpx.Request) -> httpx.Response:
        """`POST /batches`: a batch that is validating."""
        body = json.loads(request.content)
        assert body["endpoint"] == "/v1/chat/completions"
        assert body["input_file_id"] == "file-abc123"
        return httpx.Response(200, json=_batch("validating"))

    def retrieve(self, _request: httpx.Request) -> httpx.Response:
        """`GET /batches/{id}`: in progress once, then completed."""
        self.polls += 1
        return httpx.Response(200, json=_batch("completed" if self.polls > 1 else "in_progress"))

    def content(self, _request: httpx.Request) -> httpx.Response:
        """`GET /files/{id}/content`: one output line per uploaded request, as the API writes."""
        lines = [json.loads(x) for x in re.findall(rb'\{"custom_id".*\}', self.uploaded)]
        assert len(lines) == 2
        out = [
            {
                "id": f"batch_req_{i:024x}",
                "custom_id": line["custom_id"],
                "response": {
                    "status_code": 200,
                    "request_id": f"req_{i:032x}",
                    "body": chat_completion([("Yes", -0.02, [("Yes", -0.02), ("No", -4.1)])]),
                },
                "error": None,
            }
            for i, line in enumerate(lines)
        ]
        text = "".join(json.dumps(x) + "\n" for x in out)
        return httpx.Response(200, content=text.encode())


def _file(file_id: str, purpose: str, size: int) -> dict[str, object]:
    return {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": CREATED,
        "filename": "in.jsonl",
        "purpose": purpose,
        "status": "processed",
    }


def _batch(status: str) -> dict[str, object]:
    done = status == "completed"
    return {
        "id": "batch_abc123",
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": "file-abc123",
        "completion_window": "24h",
        "status": status,
        "output_file_id": "file-out456" if done else None,
        "error_file_id": None,
        "created_at": CREATED,
        "request_counts": {"total": 2, "completed": 2 if done else 0, "failed": 0},
    }


def test_batch_page_example_runs_as_written(api, monkeypatch, tmp_path, capsys):
    """The page's block, executed unchanged: writes, uploads, polls, downloads and reads back."""
    waits = _run_the_page(api, monkeypatch, tmp_path, BatchAPI())
    assert capsys.readouterr().out.strip() == "True []"
    assert waits == [60, 60]
    assert (tmp_path / "out.jsonl").is_file()
    assert not (tmp_path / "errors.jsonl").exists()


class EndedBadly(BatchAPI):
    """A batch that ends `status`: expired (one line ran, one did not), or failed (none ran)."""

    def __init__(self, status: str) -> None:
        """Nothing uploaded yet; the batch will end `status`."""
        super().__init__()
        self.status = status

    def retrieve(self, _request: httpx.Request) -> httpx.Response:
        """`GET /batches/{id}`: ended; an expired batch has both files, a failed one neither."""
        ran = self.status == "expired"
        batch = _batch(self.status) | {
            "output_file_id": "file-out456" if ran else None,
            "error_file_id": "file-err789" if ran else None,
        }
        return httpx.Response(200, json=batch)

    def content(self, request: httpx.Request) -> httpx.Response:
        """The first line ran; the second expired (its line in the error file)."""
        first, _expired = super().content(request).content.decode().splitlines()
        return httpx.Response(200, content=(first + "\n").encode())

    def errors(self, _request: httpx.Request) -> httpx.Response:
        """`GET /files/file-err789/content`: the line the window closed on."""
        lines = [json.loads(x) for x in re.findall(rb'\{"custom_id".*\}', self.uploaded)]
        error = {
            "code": "batch_expired",
            "message": "This request could not be executed before the completion window expired.",
        }
        line = {"id": "batch_req_1", "custom_id": lines[1]["custom_id"], "response": None}
        return httpx.Response(200, content=(json.dumps(line | {"error": error}) + "\n").encode())


def _run_the_page(api, monkeypatch, tmp_path, fake):
    """Serve the Batch API with `fake`, run the page's block as written; the waits it slept."""
    api.post("/files").mock(side_effect=fake.upload)
    api.post("/batches").mock(side_effect=fake.create)
    api.get("/batches/batch_abc123").mock(side_effect=fake.retrieve)
    api.get("/files/file-out456/content").mock(side_effect=fake.content)
    if isinstance(fake, EndedBadly):
        api.get("/files/file-err789/content").mock(side_effect=fake.errors)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-batch-docs-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    if OPENAI_MAJOR >= 3:  # respx patches httpx only: route the default httpx2 transport to it
        import httpx2  # noqa: PLC0415 - only on openai 3.x

        bridge = http_client(api)._transport
        monkeypatch.setattr(
            httpx2.HTTPTransport, "handle_request", lambda _self, r: bridge.handle_request(r)
        )
    exec(compile(_first_python_block(PAGE), str(PAGE), "exec"), {})  # noqa: S102 - the doc's code
    return waits


def test_the_example_reads_an_expired_batch_and_names_what_is_missing(
    api, monkeypatch, tmp_path, capsys
):
    """An expired batch: the line that ran, the one that expired (error file), none lost.

    Was: the example read the output file only, so the expired line went unreported.
    """
    _run_the_page(api, monkeypatch, tmp_path, EndedBadly("expired"))
    out = capsys.readouterr().out
    assert "batch_expired" in out
    assert out.strip().splitlines()[-1] == "False []"


def test_the_example_stops_on_a_failed_batch_saying_so(api, monkeypatch, tmp_path):
    """A batch refused as a whole has no output file: the example says so.

    Was: `client.files.content(None)`, a ValueError from inside the SDK.
    """
    with pytest.raises(SystemExit, match="the batch ended failed"):
        _run_the_page(api, monkeypatch, tmp_path, EndedBadly("failed"))
