"""`tokenprobs playground`: a local web page that shows every token's probability, with branching.

The old Playground's "Show probabilities", for any OpenAI-compatible server: type a prompt, watch
the answer arrive token by token, coloured by the notebook view's renderer, open a token's
alternatives, and regenerate the answer from any position with another token forced (where the
server continues a prefix: legacy completions, and chat answers on servers that continue a
final assistant message, per `tokenprobs.guards.CAPABILITIES`). Needs the `[playground]` extra
(Starlette and uvicorn); see docs/playground.md.
"""

from tokenprobs._public import rehome
from tokenprobs.playground._app import CSP, create_app
from tokenprobs.playground._serve import serve
from tokenprobs.playground._session import FORMAT, Branch, Request, Session, SessionError
from tokenprobs.playground._upstream import Upstream, branch_refusal

__all__ = [
    "CSP",
    "FORMAT",
    "Branch",
    "Request",
    "Session",
    "SessionError",
    "Upstream",
    "branch_refusal",
    "create_app",
    "serve",
]

rehome(__name__, Branch, Request, Session, SessionError, Upstream)
