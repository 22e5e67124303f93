"""A distribution's views: the notebook, terminal and plot views and pandas, on demand.

The views live in `tokenprobs.render` and `tokenprobs.export`, a layer above the models: these
methods import them when called (the one sanctioned lazy import, see tests/test_layers.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from tokenprobs.models._distribution import TokenDistribution

__all__ = ["Views"]


def _this(view: Views) -> TokenDistribution:
    """The distribution a `Views` method was called on (the mixin is only used by it)."""
    return cast("TokenDistribution", view)


class Views:
    """`to_pandas`, `_repr_html_`, `view`, `to_text`, `__rich_console__` and `plot`."""

    def to_pandas(self, *, long: bool = False) -> Any:  # noqa: ANN401 - pandas is optional
        """One row per position (or per position and alternative with `long=True`).

        With `token_id` (and `top_token_ids`) columns when the distribution knows token ids;
        see `tokenprobs.export.to_pandas` for every column.
        """
        from tokenprobs import export  # noqa: PLC0415

        return export.to_pandas(_this(self), long=long)

    def _repr_html_(self) -> str:
        from tokenprobs import render  # noqa: PLC0415

        return render.to_html(_this(self))

    def view(self, *, mode: str = "least-likely") -> str:
        """The notebook view in another mode; a notebook displays it (see `render.to_html`).

        Args:
            mode: What stands out: `"least-likely"` (default), `"most-likely"`,
                `"full-spectrum"`, `"entropy"` or `"margin"`.

        Returns:
            The HTML, a `str` with `_repr_html_` (a `tokenprobs.render.HTMLView`).
        """
        from tokenprobs import render  # noqa: PLC0415

        return render.to_html(_this(self), mode=mode)

    def to_text(self, **kwargs: Any) -> str:  # noqa: ANN401 - forwarded to render.to_text
        """The plain-text view (see `tokenprobs.render.to_text`)."""
        from tokenprobs import render  # noqa: PLC0415

        return render.to_text(_this(self), **kwargs)

    def __rich_console__(self, console: Any, options: Any) -> Any:  # noqa: ANN401 - rich is optional
        """Render in a rich console (see `tokenprobs.render.rich_console`)."""
        from tokenprobs import render  # noqa: PLC0415

        return render.rich_console(_this(self), console, options)

    def plot(self, **kwargs: Any) -> Any:  # noqa: ANN401 - matplotlib is optional
        """Probability and entropy per position; returns the matplotlib Axes (`[plot]` extra)."""
        from tokenprobs import render  # noqa: PLC0415

        return render.plot(_this(self), **kwargs)
