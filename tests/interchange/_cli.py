"""Run the CLI in-process, as a user would, and fail with its output when it fails."""

from __future__ import annotations

from typer.testing import CliRunner

from defectio.cli import app

runner = CliRunner()


def run_cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output
