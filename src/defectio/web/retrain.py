"""Retraining the store's coder from the web app, in the background: the bundled training data
plus the store's reviewed passages (weighted up), with the new coder's figures on those
passages (folds grouped by case) beside the current coder's. The new coder waits in the store
as a candidate until a reviewer makes it the default.

One retrain at a time per store in this process: a second request while one runs is refused.
The candidate and every step's event live in the store, so any server process sees them."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from defectio.coding.adapt import STORE_WEIGHT, combine, review_figures
from defectio.coding.base import Coder
from defectio.coding.models import model_dir, train, trained_coder
from defectio.coding.registry import REGISTRY, resolve_name
from defectio.coding.training import Example, bundled_examples, examples_from_corpus
from defectio.errors import InputError, StoreError
from defectio.store.repo import Store
from defectio.web.state import AppState
from defectio.workflow import MODEL_META

log = logging.getLogger(__name__)
CANDIDATE_META = "candidate:"

_running: set[str] = set()
_running_lock = threading.Lock()


class RetrainBusy(StoreError):
    """A retrain of this store is already running."""


@dataclass
class Job:
    coder: str
    actor: str
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def status(self) -> str:
        if not self.done.is_set():
            return "running"
        return "failed" if self.error else "finished"


def _store_key(store: Store) -> str:
    return store.url


def reviewed_examples(store: Store) -> list[Example]:
    return examples_from_corpus(store.corpus())


def candidate(store: Store, coder: str) -> dict[str, Any] | None:
    """The retrained coder waiting to become the default: its folder, figures, who and when."""
    raw = store.get_meta(CANDIDATE_META + coder)
    return json.loads(raw) if raw else None


class Retrainer:
    """The app's retrain job: start it, read where it stands, make its coder the default."""

    def __init__(self, state: AppState, weight: float = STORE_WEIGHT) -> None:
        self.state = state
        self.weight = weight
        self.job: Job | None = None

    @property
    def coder_name(self) -> str:
        return resolve_name(self.state.settings.coder)

    def start(self, actor: str) -> Job:
        """Check, claim the store, log the start, and train in a background thread."""
        name = self.coder_name
        if not REGISTRY[name].trained:
            raise InputError(f"{name} is not a trained coder; there is nothing to retrain")
        store = self.state.store
        reviewed = reviewed_examples(store)
        cases = len({e.group for e in reviewed})
        if cases < 2:
            raise InputError(
                "retraining needs reviewed passages of at least two cases "
                f"(so far {len(reviewed)} passages of {cases})"
            )
        key = _store_key(store)
        with _running_lock:
            if key in _running:
                raise RetrainBusy("a retrain of this store is already running; wait for it")
            _running.add(key)
        try:
            with store.unit_of_work(actor) as uow:
                uow.append_event(
                    "retrain.started",
                    "coder",
                    name,
                    {"reviewed": len(reviewed), "cases": cases, "store_weight": self.weight},
                )
            job = Job(name, actor, datetime.now(UTC))
            self.job = job
            threading.Thread(
                target=self._run, args=(job,), name="defectio-retrain", daemon=True
            ).start()
        except BaseException:
            with _running_lock:
                _running.discard(key)
            raise
        return job

    def _run(self, job: Job) -> None:
        store = self.state.store
        try:
            self._train(job, store)
        except Exception as exc:  # the page shows what went wrong; the old coder stays
            log.exception("retrain of %s failed", job.coder)
            job.error = str(exc) or type(exc).__name__
            try:
                with store.unit_of_work(job.actor) as uow:
                    uow.append_event("retrain.failed", "coder", job.coder, {"error": job.error})
            except Exception:  # the store itself failed; the log above has the cause
                log.exception("could not log the failed retrain")
        finally:
            job.finished_at = datetime.now(UTC)
            with _running_lock:
                _running.discard(_store_key(store))
            job.done.set()

    def _train(self, job: Job, store: Store) -> None:
        codebook = store.codebook()
        bundled = bundled_examples(codebook)
        reviewed = reviewed_examples(store)

        def fit(examples: list[Example]) -> Coder:
            return train(job.coder, codebook, examples)

        figures = review_figures(
            fit,
            bundled,
            reviewed,
            self.state.coder(job.coder),
            codebook.code_ids,
            weight=self.weight,
        )
        examples = combine(bundled, reviewed, self.weight)
        trained_coder(job.coder, codebook, examples, refresh=True)
        waiting = {
            "dir": str(model_dir(job.coder, codebook, examples)),
            "figures": figures,
            "examples": len(examples),
            "by": job.actor,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with store.unit_of_work(job.actor) as uow:
            uow.set_meta(CANDIDATE_META + job.coder, json.dumps(waiting))
            uow.append_event(
                "retrain.finished",
                "coder",
                job.coder,
                {
                    "reviewed": figures["n"],
                    "macro_f1_new": figures["new"]["macro_f1"],
                    "macro_f1_current": figures["current"]["macro_f1"],
                },
            )

    def make_default(self, actor: str) -> Path:
        """The waiting coder becomes the store's coder: meta, candidate and event in one write;
        the app then codes with it."""
        name = self.coder_name
        store = self.state.store
        waiting = candidate(store, name)
        if waiting is None:
            raise InputError("no retrained coder is waiting: retrain first")
        directory = Path(waiting["dir"])
        if not directory.is_dir():
            raise InputError(f"the retrained coder's folder is gone ({directory}): retrain again")
        with store.unit_of_work(actor) as uow:
            uow.set_meta(MODEL_META + name, str(directory))
            uow.set_meta(CANDIDATE_META + name, "")
            uow.append_event(
                "retrain.adopted",
                "coder",
                name,
                {"trained_by": waiting["by"], "macro_f1": waiting["figures"]["new"]["macro_f1"]},
            )
        self.state.forget_coder(name)
        return directory

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running job (if any); True once none is running."""
        job = self.job
        return job is None or job.done.wait(timeout)
