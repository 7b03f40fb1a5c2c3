"""Jobs that join the core to the store: code a store, write a brief, run the demo.

The CLI and (later) the web app call these; they hold no presentation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from defectio import service
from defectio.codebook import Codebook, load_codebook
from defectio.coding.adapt import STORE_WEIGHT, combine
from defectio.coding.base import Coder, suggestion
from defectio.coding.models import load_saved, model_dir, trained_coder
from defectio.coding.registry import REGISTRY, build_coder, resolve_name
from defectio.coding.training import (
    Example,
    bundled_examples,
    examples_from_corpus,
    reference_codebook,
)
from defectio.ingest.importer import ImportReport, import_paths
from defectio.reference import load_reference, reference_jsonl
from defectio.report.brief import BriefOptions, brief_context
from defectio.report.render import format_for, render_html, render_markdown, render_pdf
from defectio.store.repo import Store

BATCH = 256


@dataclass(frozen=True)
class RunReport:
    run_id: int
    coder: str
    passages: int
    suggestions: int
    notices: tuple[str, ...]


def code_store(
    store: Store,
    coder: Coder | None = None,
    *,
    only_uncoded: bool = False,
    progress: Callable[[int], None] | None = None,
    actor: str | None = None,
) -> RunReport:
    """Code the store's passages in one transaction; suggestions carry the run's id."""
    codebook = store.codebook()
    coder = coder or coder_for_store(store, None)
    todo = store.passages(only_uncoded_by=coder.name if only_uncoded else None)
    notices: set[str] = set()
    suggestions = 0
    coder_ref = f"{coder.name}.{coder.version}"
    with store.unit_of_work(actor) as uow:
        run_id = uow.start_run(coder.name, coder.version, coder.config, codebook)
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            codings = coder.predict([p.text for _, p in batch], [p.lang for _, p in batch])
            for (pid, _), coding in zip(batch, codings, strict=True):
                notices.update(coding.notices)
                for score in coding.codes:
                    uow.add_annotation(suggestion(pid, score, coder_ref, run_id))
                    suggestions += 1
            uow.mark_coded(run_id, [pid for pid, _ in batch])
            if progress is not None:
                progress(len(batch))
        uow.finish_run(run_id, len(todo))
        uow.append_event("code", "run", str(run_id), {"coder": coder_ref, "passages": len(todo)})
    return RunReport(run_id, coder_ref, len(todo), suggestions, tuple(sorted(notices)))


MODEL_META = "model:"


def coder_for_store(store: Store, name: str | None) -> Coder:
    """The coder a store codes with: the one ``defectio train --from store`` trained for it,
    else the default trained on the bundled data."""
    resolved = resolve_name(name)
    saved = store.get_meta(MODEL_META + resolved)
    if saved and Path(saved).is_dir():
        return load_saved(resolved, Path(saved))
    return build_coder(resolved, store.codebook())


def training_examples(
    store: Store | None, codebook: Codebook, source: str, store_weight: float = STORE_WEIGHT
) -> list[Example]:
    """``reference``: the bundled examples; ``store``: those plus the passages people reviewed
    in the store, with the codes they accepted, each weighing ``store_weight`` (a bundled row
    with the same text gives way to the reviewed one)."""
    examples = bundled_examples(codebook)
    if source == "store" and store is not None:
        examples = combine(examples, examples_from_corpus(store.corpus()), store_weight)
    return examples


def train_for_store(
    store: Store | None,
    name: str | None,
    source: str,
    store_weight: float = STORE_WEIGHT,
    *,
    actor: str | None = None,
) -> tuple[Coder, int]:
    """Train a coder; trained on a store's codes, it becomes that store's coder."""
    resolved = resolve_name(name)
    codebook = store.codebook() if store is not None else load_codebook()
    if not REGISTRY[resolved].trained:
        return build_coder(resolved, codebook), 0
    examples = training_examples(store, codebook, source, store_weight)
    coder = trained_coder(resolved, codebook, examples, refresh=True)
    if source == "store" and store is not None:
        adopt_model(
            store,
            resolved,
            model_dir(resolved, codebook, examples),
            actor,
            {"examples": len(examples), "store_weight": store_weight},
        )
    return coder, len(examples)


def adopt_model(
    store: Store,
    name: str,
    directory: Path,
    actor: str | None,
    payload: dict[str, object],
    action: str = "train",
) -> None:
    """Make a trained model the store's coder for ``name``, with its event, in one write."""
    with store.unit_of_work(actor) as uow:
        uow.set_meta(MODEL_META + name, str(directory))
        uow.append_event(action, "coder", name, payload)


def write_brief(
    store: Store,
    out: Path,
    *more: Path,
    codebook: Codebook | None = None,
    options: BriefOptions | None = None,
) -> Path:
    """Write the brief as .html, .md or .pdf (by each path's suffix; ``more`` are further
    formats of the same brief). On the codebook the reference corpus is coded with, the brief
    also sets its figures beside the 2015 study's."""
    formats = [(path, format_for(path.suffix)) for path in (out, *more)]
    codebook = codebook or store.codebook()
    run = store.latest_run()
    opts = options or BriefOptions()
    if opts.coder is None and run is not None:
        opts = replace(opts, coder=run["coder"])
    ref = load_reference()
    context = brief_context(
        store.corpus(),
        codebook,
        options=opts,
        figures=ref.figures if codebook.id == reference_codebook() else None,
        foreign_fighters=ref.foreign_fighters,
        counted=service.prevalence(store, codebook),
    )
    for path, fmt in formats:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "pdf":
            path.write_bytes(render_pdf(context))
        elif fmt == "markdown":
            path.write_text(render_markdown(context), encoding="utf-8")
        else:
            path.write_text(render_html(context), encoding="utf-8")
    return out


@dataclass(frozen=True)
class DemoResult:
    db_path: Path
    brief_path: Path
    imported: ImportReport
    run: RunReport
    brief_pdf: Path | None = None


def run_demo(
    out_dir: Path,
    *,
    codebook: str | None = None,
    data: list[Path] | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """A fresh SQLite store in ``out_dir``; the reference corpus imported and coded; a brief."""
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "defectio.db"
    for stale in (db_path, db_path.with_name(db_path.name + "-journal")):
        stale.unlink(missing_ok=True)
    store = Store(f"sqlite:///{db_path}")
    try:
        store.ensure_key()
        if codebook is not None:
            with store.unit_of_work() as uow:
                uow.set_codebook(codebook)
        imported = import_paths(store, data or [reference_jsonl()])
        run = code_store(store, progress=progress)
        pdf = out_dir / "brief.pdf"
        brief = write_brief(store, out_dir / "brief.html", pdf)
    finally:
        store.dispose()
    return DemoResult(db_path, brief, imported, run, pdf)
