"""A playground session: its branches (a request and its answer each), saved and loaded as JSON.

Each answer is stored with the distribution's own round trip (`model_dump_json`, read back by
`TokenDistribution.model_validate_json`); the request holds the prompt and the parameters the
page sent, never the API key or the client.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Literal, TypeVar, cast

from tokenprobs.models import TokenDistribution
from tokenprobs.playground._fields import (
    SessionError,
    integer,
    maybe_integer,
    maybe_number,
    maybe_text,
    parse_json,
    shown,
    text,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["FORMAT", "Branch", "Request", "Session", "SessionError"]

_JSON = TypeVar("_JSON", list[object], dict[str, object])

FORMAT = "tokenprobs-playground/1"
"""The `format` of a saved session."""
MAX_ID = 2**53 - 1
"""The largest branch id a saved session may give: the page's script holds integers exactly up
to it, and the ids that follow the largest (the next runs') are ids the app still answers to."""

STOPPED = "the page stopped reading this answer before it finished: only what had arrived is here"
"""A run's error when its page went away mid-stream."""
SAVED_RUNNING = (
    "the answer was still arriving when the session was saved: only what had arrived is here"
)
"""A saved branch's error when it was saved mid-stream."""

PageEndpoint = Literal["chat.completions", "completions"]


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
    def from_page(cls, data: Mapping[str, object], *, also: tuple[str, ...] = ()) -> Request:
        """Read the page's form, refusing what is malformed (the API's own limits are the guards').

        Integers are read as integers (a seed past 2**53 is sent as written), numbers as finite
        floats, text as text UTF-8 can encode. A field it does not know (`max_token`,
        `logprobs`) is refused, not left out of the request unsaid; `also` names the other
        fields the body may hold (a run's `mode`).

        Raises:
            SessionError: A field is unknown, missing, has the wrong type, or is out of range
                (its message starts with the field's name).
        """
        known = [f.name for f in fields(cls)]
        unknown = [name for name in data if name not in known and name not in also]
        if unknown:
            given = ", ".join(map(repr, unknown))
            msg = (
                f"{unknown[0]} is not a field of the request ({given} given): the fields are "
                f"{', '.join([*known, *also])}"
            )
            raise SessionError(msg)
        endpoint = data.get("endpoint")
        if endpoint not in ("chat.completions", "completions"):  # a tuple: [] is not hashable
            msg = f"endpoint must be 'chat.completions' or 'completions', got {shown(endpoint)}"
            raise SessionError(msg)
        model = text(data, "model").strip()
        if not model:
            msg = "model: give the model id"
            raise SessionError(msg)
        return cls(
            endpoint=endpoint,
            model=model,
            prompt=text(data, "prompt", default=""),
            messages=_messages(data.get("messages")),
            temperature=maybe_number(data, "temperature"),
            max_tokens=maybe_integer(data, "max_tokens", 1),
            top_logprobs=maybe_integer(data, "top_logprobs") or 0,
            seed=maybe_integer(data, "seed"),
        )

    def create_kwargs(self) -> dict[str, object]:
        """The sampling parameters that were set, as `create()` keyword arguments."""
        kwargs: dict[str, object] = {}
        for name in ("temperature", "max_tokens", "seed"):
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value
        return kwargs


def _messages(raw: object) -> tuple[tuple[str, str], ...]:
    """The page's chat messages, `[{role, content}, ...]`, as `(role, content)` pairs.

    Raises:
        SessionError: They are not a list of objects with text `role` and `content`.
    """
    if raw is None:
        return ()
    messages = _must_be(raw, list, "messages must be a list of {role, content} objects")
    out = []
    for k, item in enumerate(messages):
        message = _must_be(item, dict, f"messages[{k}] must be a {{role, content}} object")
        where = f"messages[{k}]."
        out.append((text(message, "role", where=where), text(message, "content", where=where)))
    return tuple(out)


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
    running: bool = False
    """Its answer is arriving now: `distribution` holds what arrived so far."""

    def started(self) -> None:
        """Its run began streaming."""
        self.running = True

    def stopped(self, *, finished: bool) -> None:
        """Its run ended: `finished` when it said `done` or `error`.

        Else the page stopped reading (closed, reloaded, loaded a session): what arrived is
        marked interrupted.
        """
        self.running = False
        if not finished and self.error is None:
            self.error = {"t": "error", "kind": "interrupted", "message": STOPPED}

    @property
    def label(self) -> str:
        """`#1`, or `#2 ← #1 @ 7` for a branch of #1 at position 7."""
        if self.parent is None:
            return f"#{self.id}"
        return f"#{self.id} ← #{self.parent} @ {self.position}"

    def answer(self) -> TokenDistribution:
        """Its distribution.

        Raises:
            SessionError: It has no answer yet (still running, or its request failed).
        """
        if self.distribution is None:
            msg = f"branch {self.id} has no answer yet"
            raise SessionError(msg)
        return self.distribution


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
        branch = None
        if isinstance(branch_id, int) and not isinstance(branch_id, bool):  # `True` is not 1
            branch = self.branches.get(branch_id)
        if branch is None:
            msg = f"no branch {branch_id!r} in this session"
            raise SessionError(msg)
        return branch

    def dumps(self) -> str:
        """The session as JSON: each branch's request and distribution (those with an answer).

        A branch whose answer had not finished (still arriving, or cut short) is saved with its
        `error`, so that it loads back marked as such, not as a finished answer.
        """
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
            error = _saved_error(b)
            if error is not None:
                out[-1]["error"] = error
        saved = {"format": FORMAT, "branches": out}
        text = json.dumps(saved, ensure_ascii=False, indent=1)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a server's lone surrogate: as JSON's `\ud83d` (lossless)
            return json.dumps(saved, indent=1)
        return text

    @classmethod
    def loads(cls, text: str | bytes) -> Session:
        """Read a saved session, every field checked.

        Raises:
            SessionError: It is not JSON, not a playground session, or a branch is malformed;
                the message gives the path to the field (`branches[1].position must be ...`)
                or names the branches (a parent missing, a cycle of parents, an id twice).
        """
        data = parse_json(text, "not a saved session: the file")
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            msg = f"not a saved session: its format is not {FORMAT!r}"
            raise SessionError(msg)
        items = _must_be(data.get("branches"), list, "branches must be a list of branches")
        session = cls()
        for k, item in enumerate(items):
            branch = _branch(item, f"branches[{k}]")
            if branch.id in session.branches:
                msg = f"branches[{k}].id: {branch.id} is the id of an earlier branch too"
                raise SessionError(msg)
            session.branches[branch.id] = branch
        _check_forks(session.branches)
        session.next_id = max(session.branches, default=0) + 1
        return session


def _must_be(value: object, kind: type[_JSON], what: str) -> _JSON:
    """`value` if it is a `kind` (a JSON list or object), else a SessionError: `what`, got ..."""
    if not isinstance(value, kind):
        msg = f"{what}, got {shown(value)}"
        raise SessionError(msg)
    return value


def _saved_error(branch: Branch) -> dict[str, str] | None:
    """What a saved branch says about how its answer ended (None: it finished)."""
    if branch.running:
        return {"kind": "interrupted", "message": SAVED_RUNNING}
    if branch.error is None:
        return None
    return {"kind": str(branch.error.get("kind")), "message": str(branch.error.get("message"))}


def _error(item: Mapping[str, object], where: str) -> dict[str, object] | None:
    """A saved branch's `error`: `{kind, message}` (text), as the page shows it, or None."""
    raw = item.get("error")
    if raw is None:
        return None
    error = _must_be(raw, dict, f"{where}error must be an object {{kind, message}}")
    at = f"{where}error."
    return {
        "t": "error",
        "kind": text(error, "kind", where=at),
        "message": text(error, "message", where=at),
    }


def _branch(item: object, where: str) -> Branch:
    """One saved branch, each field checked (`where`: its path in the file, for the errors)."""
    item = _must_be(item, dict, f"{where} must be an object")
    request = item.get("request")
    request = _must_be(request, dict, f"{where}.request must be an object (the page's form)")
    try:
        page = Request.from_page(request)
    except SessionError as exc:
        msg = f"{where}.request.{exc}"
        raise SessionError(msg) from None
    at = f"{where}."
    return Branch(
        integer(item, "id", 1, MAX_ID, where=at),
        page,
        _distribution(item.get("distribution"), f"{at}distribution"),
        parent=maybe_integer(item, "parent", 1, MAX_ID, where=at),
        position=maybe_integer(item, "position", 0, where=at),
        forced=maybe_text(item, "forced", where=at),
        error=_error(item, at),
    )


def _distribution(raw: object, where: str) -> TokenDistribution:
    """A saved answer, as `TokenDistribution.model_dump_json` wrote it (lone surrogates too)."""
    answer = _must_be(raw, dict, f"{where} must be an object (a TokenDistribution)")
    try:
        return TokenDistribution.model_validate_json(json.dumps(answer))
    except (ValueError, RecursionError) as exc:
        msg = f"{where} is not a TokenDistribution as model_dump_json writes it: {exc}"
        raise SessionError(msg) from None


def _check_forks(branches: Mapping[int, Branch]) -> None:
    """Refuse forks that cannot be: half given, not from a branch of the session, or outside.

    A fork names its parent, its position (in both answers) and its forced token (its
    answer's token there, one of the parent's alternatives); the parents form no cycle (a
    branch is made after the branch it forks from).

    Raises:
        SessionError: Naming the branch (or the cycle).
    """
    for b in branches.values():
        fork = (b.parent, b.position, b.forced)
        if fork == (None, None, None):
            continue
        parent = branches.get(b.parent) if b.parent is not None else None
        if b.position is None or b.forced is None or parent is None:
            msg = (
                f"branch {b.id}: a branch of another gives its parent (a branch in the session), "
                f"position and forced token, got parent {b.parent!r}, position {b.position!r}, "
                f"forced {b.forced!r}"
            )
            raise SessionError(msg)
        if parent is b:
            msg = f"branch {b.id} names itself as its parent"
            raise SessionError(msg)
        if not b.position < min(_length(parent), _length(b)):
            msg = (
                f"branch {b.id}: position {b.position} is not in its answer ({_length(b)} "
                f"positions) and its parent's (branch {parent.id}, {_length(parent)} positions)"
            )
            raise SessionError(msg)
        _check_forced(b, parent)
    _check_acyclic(branches)


def _check_forced(b: Branch, parent: Branch) -> None:
    """Refuse a forced token the branch's answer does not hold, or its parent did not offer.

    The page's note says "forced at position P: token": it must be the branch's own token at P
    (as text), one of the parent's alternatives at P.

    Raises:
        SessionError: Naming the branch, the position and both tokens.
    """
    d, p = b.answer(), parent.answer()
    at = cast("int", b.position)
    token = d.tokens[at]
    if b.forced != d[at : at + 1].text:
        msg = (
            f"branch {b.id}: forced {b.forced!r} is not its answer's token at position {at} "
            f"({token!r}): give that token as forced"
        )
        raise SessionError(msg)
    if token not in p.top_tokens[at]:
        msg = (
            f"branch {b.id}: its token at position {at} ({token!r}) is not one of its parent's "
            f"alternatives there (branch {parent.id}: {list(p.top_tokens[at])!r})"
        )
        raise SessionError(msg)


def _check_acyclic(branches: Mapping[int, Branch]) -> None:
    """Refuse parents that lead back to a branch (`1 → 2 → 1`): its ancestry would never end."""
    done: set[int] = set()
    for b in branches.values():
        path: list[int] = []
        node: Branch | None = b
        while node is not None and node.id not in done:
            if node.id in path:
                cycle = " → ".join(map(str, [*path[path.index(node.id) :], node.id]))
                msg = f"branches {cycle} are each other's parents: a cycle has no first answer"
                raise SessionError(msg)
            path.append(node.id)
            node = branches.get(node.parent) if node.parent is not None else None
        done.update(path)


def _length(branch: Branch) -> int:
    return len(branch.distribution) if branch.distribution is not None else 0
