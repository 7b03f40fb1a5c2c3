"""The team web app and REST API (``defectio serve``)."""

from defectio.web.app import create_app
from defectio.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
