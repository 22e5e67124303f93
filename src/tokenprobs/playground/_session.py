"""A playground session: its branches (a request and its answer each), saved and loaded as JSON.

Each answer is stored with the distribution's own round trip (`model_dump_json`, read back by
`TokenDistribution.model_validate_json`); the request holds the prompt and the parameters the
page sent, never the API key or the client.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

from tokenprobs.models import TokenDistribution

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["FORMAT", "Branch", "Request", "Session", "SessionError"]

FORMAT = "tokenprobs-playground/1"
"""The `format` of a saved session."""

_N = TypeVar("_N", int, float)
PageEndpoint = Literal["chat.completions", "completions"]


class SessionError(ValueError):
    """A saved session that cannot be read (its message says which part, and why)."""


@dataclass(frozen=True)
class Request:
    """What the page asked for: the prompt and the sampling parameters."""

    endpoint: PageEndpoint
    model: str
    prompt: str = ""
    """The raw prompt (legacy completions)."""
    messages: tuple[tuple[str, str], ...] = ()
    """`(role, content)` per chat message."""
    temperature: float | None = None
    max_tokens: int | None = None
    top_logprobs: int = 5
    seed: int | None = None

    @classmethod
    def from_page(cls, data: Mapping[str, object]) -> Request:
        """Read the page's form, refusing what is malformed (the API's own limits are the guards').

        Raises:
            SessionError: A field is missing or has the wrong type.
        """
        endpoint = data.get("endpoint")
        if endpoint not in {"chat.completions", "completions"}:
            msg = f"endpoint must be 'chat.completions' or 'completions', got {endpoint!r}"
            raise SessionError(msg)
        model = data.get("model")
        if not isinstance(model, str) or not model.strip():
            msg = "model: give the model id"
            raise SessionError(msg)
        raw = data.get("messages") or []
        if not isinstance(raw, list) or not all(
            isinstance(m, dict)
            and isinstance(m.get("role"), str)
            and isinstance(m.get("content"), str)
            for m in raw
        ):
            msg = "messages must be a list of {role, content} strings"
            raise SessionError(msg)
        prompt = data.get("prompt", "")
        if not isinstance(prompt, str):
            msg = "prompt must be a string"
            raise SessionError(msg)
        return cls(
            endpoint=endpoint,
            model=model.strip(),
            prompt=prompt,
            messages=tuple((str(m["role"]), str(m["content"])) for m in raw),
            temperature=_number(data, "temperature", float),
            max_tokens=_number(data, "max_tokens", int),
            top_logprobs=_number(data, "top_logprobs", int) or 0,
            seed=_number(data, "seed", int),
        )

    def create_kwargs(self) -> dict[str, object]:
        """The sampling parameters that were set, as `create()` keyword arguments."""
        kwargs: dict[str, object] = {}
        for name in ("temperature", "max_tokens", "seed"):
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value
        return kwargs


def _number(data: Mapping[str, object], name: str, kind: type[_N]) -> _N | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        msg = f"{name} must be a number, got {value!r}"
        raise SessionError(msg)
    try:
        number = float(value)
    except ValueError:
        msg = f"{name} must be a number, got {value!r}"
        raise SessionError(msg) from None
    if kind is int:
        if not number.is_integer():
            msg = f"{name} must be a whole number, got {value!r}"
            raise SessionError(msg)
        return kind(int(number))
    return kind(number)


@dataclass
class Branch:
    """One answer in the session: the request, and where it forked from its parent, if it did."""

    id: int
    request: Request
    distribution: TokenDistribution | None = None
    parent: int | None = None
    position: int | None = None
    """The position of the parent where this branch forced another token."""
    forced: str | None = None
    """The token forced at `position`."""
    error: dict[str, object] | None = None

    @property
    def label(self) -> str:
        """`#1`, or `#2 ← #1 @ 7` for a branch of #1 at position 7."""
        if self.parent is None:
            return f"#{self.id}"
        return f"#{self.id} ← #{self.parent} @ {self.position}"


@dataclass
class Session:
    """Every branch of this page, in the order they were made."""

    branches: dict[int, Branch] = field(default_factory=dict)
    next_id: int = 1

    def add(self, request: Request, **fork: object) -> Branch:
        """A new, empty branch (its answer arrives later)."""
        branch = Branch(self.next_id, request, **fork)  # type: ignore[arg-type]
        self.branches[branch.id] = branch
        self.next_id += 1
        return branch

    def get(self, branch_id: object) -> Branch:
        """The branch of that id.

        Raises:
            SessionError: There is none.
        """
        branch = self.branches.get(branch_id) if isinstance(branch_id, int) else None
        if branch is None:
            msg = f"no branch {branch_id!r} in this session"
            raise SessionError(msg)
        return branch

    def dumps(self) -> str:
        """The session as JSON: each finished branch's request and distribution."""
        out = []
        for b in self.branches.values():
            if b.distribution is None:
                continue
            request = asdict(b.request)
            request["messages"] = [{"role": r, "content": c} for r, c in b.request.messages]
            out.append(
                {
                    "id": b.id,
                    "parent": b.parent,
                    "position": b.position,
                    "forced": b.forced,
                    "request": request,
                    "distribution": json.loads(b.distribution.model_dump_json()),
                }
            )
        return json.dumps({"format": FORMAT, "branches": out}, ensure_ascii=False, indent=1)

    @classmethod
    def loads(cls, text: str | bytes) -> Session:
        """Read a saved session.

        Raises:
            SessionError: It is not JSON, not a playground session, or a branch is malformed.
        """
        try:
            data = json.loads(text)
        except ValueError as exc:
            msg = f"not a saved session: the file is not JSON ({exc})"
            raise SessionError(msg) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            msg = f"not a saved session: its format is not {FORMAT!r}"
            raise SessionError(msg)
        session = cls()
        for k, item in enumerate(data.get("branches") or []):
            try:
                d = TokenDistribution.model_validate_json(json.dumps(item["distribution"]))
                request = Request.from_page(item["request"])
                branch = Branch(
                    int(item["id"]),
                    request,
                    d,
                    parent=item.get("parent"),
                    position=item.get("position"),
                    forced=item.get("forced"),
                )
            except (KeyError, TypeError, ValueError) as exc:
                msg = f"branch {k} of the saved session cannot be read: {exc}"
                raise SessionError(msg) from None
            session.branches[branch.id] = branch
            session.next_id = max(session.next_id, branch.id + 1)
        return session
