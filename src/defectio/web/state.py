"""What the app holds between requests: the store, coders loaded once, the counter index of
the store's current contents, and the sign-in throttle."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from defectio.codebook import Codebook
from defectio.coding.base import Coder
from defectio.coding.registry import resolve_name
from defectio.counter.index import CounterIndex, build_index
from defectio.review.agreement import AgreementReport
from defectio.service import AnalysisCache, store_agreement
from defectio.store.repo import Store
from defectio.web.batching import CodingBatcher
from defectio.web.settings import WebSettings
from defectio.workflow import coder_for_store

CODEBOOK_TTL_S = 1.0


class SignInThrottle:
    """At most ``limit`` failed sign-ins per client address in a sliding window; the account
    lock-out (in the store) guards each account whatever the address."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures[client]
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def blocked(self, client: str) -> bool:
        with self._lock:
            return len(self._recent(client, time.monotonic())) >= self.limit

    def failed(self, client: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent(client, now).append(now)


class AppState:
    def __init__(self, settings: WebSettings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.db_url, create=False)
        self.analyses = AnalysisCache(self.store)
        self.throttle = SignInThrottle(settings.signin_failures_per_ip, settings.signin_window_s)
        self._coders: dict[str, Coder] = {}
        self._batchers: dict[str, CodingBatcher] = {}
        self._index: tuple[tuple[object, ...], CounterIndex] | None = None
        self._codebook: tuple[float, Codebook] | None = None
        self._lock = threading.Lock()

    def codebook(self) -> Codebook:
        """The store's codebook, re-read at most once a second (a change of codebook is rare,
        and every page and API call needs it)."""
        now = time.monotonic()
        cached = self._codebook
        if cached is not None and now - cached[0] < CODEBOOK_TTL_S:
            return cached[1]
        book = self.store.codebook()
        self._codebook = (now, book)
        return book

    def coder(self, name: str | None = None) -> Coder:
        """A coder by registered name (default: the server's), loaded or trained once."""
        resolved = resolve_name(name or self.settings.coder)
        with self._lock:
            coder = self._coders.get(resolved)
            if coder is None:
                coder = coder_for_store(self.store, resolved)
                self._coders[resolved] = coder
            return coder

    def forget_coder(self, name: str) -> None:
        """Drop a loaded coder (and its batcher), so the next request loads the store's current
        one (after a retrained coder became the default)."""
        resolved = resolve_name(name)
        with self._lock:
            old = self._coders.pop(resolved, None)
            if old is not None:
                self._batchers.pop(f"{old.name}.{old.version}", None)

    def batcher(self, name: str | None = None) -> CodingBatcher:
        """The batcher that codes API requests with a coder (one thread per coder)."""
        coder = self.coder(name)
        key = f"{coder.name}.{coder.version}"
        with self._lock:
            if key not in self._batchers:
                self._batchers[key] = CodingBatcher(coder)
            return self._batchers[key]

    def counter_index(self) -> CounterIndex:
        """The store's passages indexed for counter search; rebuilt when the store changes."""
        counts = self.store.counts()
        run = self.store.latest_run()
        key = (counts["passages"], counts["annotations"], counts["events"], run and run["run_id"])
        with self._lock:
            if self._index is not None and self._index[0] == key:
                return self._index[1]
        index = build_index(self.store.corpus(), self.codebook(), self.coder())
        with self._lock:
            self._index = (key, index)
        return index


def agreement_report(state: AppState) -> AgreementReport:
    """The store's agreement report, computed once per change of the store."""
    book = state.codebook()
    return state.analyses.get(("agreement", book.ref), lambda: store_agreement(state.store, book))
