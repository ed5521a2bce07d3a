"""How the command line writes: consoles that wrap for a person at a terminal and never for a
pipe or a file, and help that shows flags as flags."""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleDimensions
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


class OutputConsole(Console):
    """A rich console that wraps for a person at a terminal and never for a pipe or a file:
    scripts read whole lines, and tables keep their natural width instead of 80 columns."""

    PIPE_WIDTH = 10_000  # wider than any line a command prints

    @property  # type: ignore[override]
    def size(self) -> ConsoleDimensions:
        size = super().size
        return size if self.is_terminal else ConsoleDimensions(self.PIPE_WIDTH, size.height)
