"""How the command line writes: consoles that wrap for a person at a terminal and never for a
pipe or a file, and help that shows flags as flags."""

from __future__ import annotations

from functools import cache
from typing import Any

from typer.core import TyperGroup


class CommandGroup(TyperGroup):
    """The command group, with flags shown as flags in ``--help`` (typer's rich help otherwise
    prints ``--version <bool>``: a type after every flag, as if it took a value)."""

    def get_params(self, ctx):  # noqa: ANN001, ANN201
        return _untyped_flags(super().get_params(ctx))

    def get_command(self, ctx, cmd_name):  # noqa: ANN001, ANN201
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _untyped_flags(command.get_params(ctx))
        return command


def _untyped_flags(params: list[Any]) -> list[Any]:
    """An empty metavar makes typer's help show no type for a flag (``--help`` included)."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


PIPE_WIDTH = 10_000  # wider than any line a command prints


@cache
def output_console_class() -> type:
    """A rich console that wraps for a person at a terminal and never for a pipe or a file:
    scripts read whole lines, and tables keep their natural width instead of 80 columns.
    (Defined on first use: rich takes ~40 ms to import, and a command that prints JSON or
    nothing, such as ``annotator evaluate --json``, never needs it.)"""
    from rich.console import Console, ConsoleDimensions

    class OutputConsole(Console):
        @property  # type: ignore[override]
        def size(self) -> ConsoleDimensions:
            size = super().size
            return size if self.is_terminal else ConsoleDimensions(PIPE_WIDTH, size.height)

    return OutputConsole


class LazyConsole:
    """An output console made the first time it is used (see :func:`output_console_class`)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    @property
    def console(self) -> Any:
        """The rich console itself (for rich objects that take one)."""
        if self._console is None:
            self._console = output_console_class()(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)
