"""Argument types shared by several ``vfx-style`` subcommands."""

from __future__ import annotations


def part_arg(value: str) -> int | str:
    """``--part``: an EXR part index (digits) or a part name."""
    return int(value) if value.isdigit() else value
