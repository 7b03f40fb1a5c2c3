"""The web app's settings, each declared once with its default; ``defectio serve`` fills them
from its options and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

MAX_BODY_ENV = "DEFECTIO_MAX_BODY"
# How `defectio serve --workers N` hands its options to each worker process.
DB_ENV = "DEFECTIO_WEB_DB"
CODER_ENV = "DEFECTIO_WEB_CODER"
SECURE_ENV = "DEFECTIO_WEB_SECURE_COOKIES"


@dataclass(frozen=True)
class WebSettings:
    db_url: str
    # The coder behind POST /api/v1/code and the counter search; None: the store's own coder
    # (``defectio train --from store``), else the default ensemble.
    coder: str | None = None
    # Requests with a larger body are refused with 413 before they are read.
    max_body: int = field(default_factory=lambda: int(os.environ.get(MAX_BODY_ENV, 1 << 20)))
    # Sign-in failures allowed per client address in the window before 429.
    signin_failures_per_ip: int = 20
    signin_window_s: int = 300
    # Always mark the session cookie Secure (else: only on requests that arrived over https).
    secure_cookies: bool = False

    def to_env(self) -> dict[str, str]:
        env = {DB_ENV: self.db_url, SECURE_ENV: "1" if self.secure_cookies else "0"}
        if self.coder:
            env[CODER_ENV] = self.coder
        return env

    @classmethod
    def from_env(cls) -> WebSettings:
        url = os.environ.get(DB_ENV)
        if not url:
            raise RuntimeError(f"{DB_ENV} is not set: start the app with `defectio serve`")
        return cls(
            db_url=url,
            coder=os.environ.get(CODER_ENV) or None,
            secure_cookies=os.environ.get(SECURE_ENV) == "1",
        )
