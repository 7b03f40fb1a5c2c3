"""The web app's settings, each declared once with its default; ``defectio serve`` fills them
from its options and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_BODY_ENV = "DEFECTIO_MAX_BODY"


@dataclass(frozen=True)
class WebSettings:
    db_url: str
    # The coder behind POST /api/v1/code and the counter search; None: the store's own coder
    # (``defectio train --from store``), else the default ensemble.
    coder: str | None = None
    # Requests with a larger body are refused with 413 before they are read.
    max_body: int = int(os.environ.get(MAX_BODY_ENV, str(1 << 20)))
    # Sign-in failures allowed per client address in the window before 429.
    signin_failures_per_ip: int = 20
    signin_window_s: int = 300
    # Always mark the session cookie Secure (else: only on requests that arrived over https).
    secure_cookies: bool = False
