"""The README stays true: its Python example runs, and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from defectio.cli import app

README = Path(__file__).parents[1] / "README.md"


def _command_names() -> set[str]:
    group = typer.main.get_command(app)
    names = set()
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        names.update(f"{name} {s}" for s in sub) if sub else names.add(name)
    return names


def test_every_command_is_in_the_readme() -> None:
    text = README.read_text("utf-8")
    missing = [n for n in sorted(_command_names()) if not re.search(rf"defectio[^\n]* {n}\b", text)]
    assert missing == [], f"commands missing from README.md: {missing}"


def test_every_command_has_help_that_teaches() -> None:
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help and len(command.help) > 30, name


def test_the_readme_python_example_runs() -> None:
    block = re.search(r"```python\n(.*?)```", README.read_text("utf-8"), re.S)
    assert block is not None
    exec(compile(block.group(1), "README.md", "exec"), {})
