"""The team app at team scale: import, `defectio stats --json`, and every API read and page of
the web app, on a store of ``--passages`` passages (default 100,000: the bundled reference
cases resampled, 5 passages each, coded by lexicon.v1).

The store is built once per ``--db`` (a SQLite path, or a PostgreSQL URL of an empty database)
and reused when it already holds that many passages, so later runs skip the import. Steps:

1. import: the generated JSONL file through ``import_paths`` in a child process (passages/s
   and that process's peak RSS); the baseline is reading and validating the same file
   without writing (``read_records``), in the same child.
2. coding: ``code_store`` with lexicon.v1 (the review queue and the machine counts need a run).
3. ``defectio stats --json`` as a user runs it: wall time and the child's peak RSS.
4. the web app in a child process (uvicorn on loopback), one request at a time: for each read,
   the first request (nothing cached), then ``--repeat`` warm ones (p50, p95); then a write
   (a reviewer accepts a suggestion) and the first request after it to each cached read. The
   baseline, measured in the same run, is ``GET /api/v1/me`` (auth and one small query). Last,
   the server's resident memory.

    python -m bench.web_scale [--passages 100000] [--db /tmp/scale.db | --db postgresql+psycopg://...]
                              [--repeat 20] [--labelled 1.0] [--detect] [--import-only]

``--detect`` leaves each passage's language out of the file (the import then detects it, and
lingua's speed bounds it); ``--import-only`` measures the import alone, into an empty ``--db``
or a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import peak_rss_mb, table

PER_CASE = 5
DETECT_SAMPLE = 2000
USER = "bench-reviewer"
PASSWORD = "bench passphrase, long enough"
TARGET_READ_MS, TARGET_DASHBOARD_MS, TARGET_AFTER_WRITE_MS = 100.0, 300.0, 1000.0
TARGET_STATS_S, TARGET_IMPORT_RATE, TARGET_RSS_MB = 2.0, 3000.0, 300.0


# -- the data ----------------------------------------------------------------------------
def write_cases(
    path: Path, n_passages: int, labelled: float, detect: bool = False, seed: int = 0
) -> int:
    """The reference cases resampled: case S00001.. takes a reference case's fields and
    ``PER_CASE`` passages drawn from all reference passages (their labels kept on a share
    ``labelled`` of the cases; their language given, unless ``detect``). Returns the number
    of cases."""
    from defectio.reference import reference_jsonl
    from defectio.text.lang import detect_languages

    rows = [json.loads(line) for line in reference_jsonl().read_text("utf-8").splitlines() if line]
    pool = [p for r in rows for p in r["passages"]]
    if not detect:
        langs = detect_languages([p["text"] for p in pool])
        pool = [{**p, "lang": lang} if lang else p for p, lang in zip(pool, langs, strict=True)]
    rng = random.Random(seed)
    n_cases = max(1, n_passages // PER_CASE)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n_cases):
            ref = rows[i % len(rows)]
            keep = rng.random() < labelled
            passages = [
                {**p, "labels": p.get("labels", []) if keep else []}
                for p in rng.sample(pool, PER_CASE)
            ]
            case = {k: v for k, v in ref.items() if k not in ("passages", "case_labels")}
            case.update(case_id=f"S{i + 1:05d}", alias=f"resampled case {i + 1}")
            out.write(json.dumps({**case, "passages": passages}) + "\n")
    return n_cases


def child_import(path: Path, url: str) -> int:
    """In a child process: the baseline (read and validate only), then the import; prints a
    JSON line with both times and this process's peak RSS."""
    from defectio.ingest.importer import import_paths, read_records
    from defectio.store.repo import Store

    began = time.perf_counter()
    n, sample = 0, list[str]()
    for record, _ in read_records(path):
        n += len(record.passages)
        if len(sample) < DETECT_SAMPLE:
            sample += [p.text for p in record.passages]
    read_s = time.perf_counter() - began
    rss_read = peak_rss_mb()
    store = Store(url)
    try:
        began = time.perf_counter()
        import_paths(store, [path], actor="bench")
        import_s = time.perf_counter() - began
    finally:
        store.dispose()
    rss = peak_rss_mb()
    from defectio.text.lang import detect_languages

    detect_languages(sample[:10])  # the detector's models load on first use
    began = time.perf_counter()
    detect_languages(sample)
    detect_rate = len(sample) / (time.perf_counter() - began)
    print(
        json.dumps(
            {
                "passages": n,
                "read_s": read_s,
                "import_s": import_s,
                "rss_read": rss_read,
                "rss": rss,
                "detect_rate": detect_rate,
            }
        )
    )
    return 0


PEAK_REPORTING_CLI = (
    "import atexit, sys; from bench._common import peak_rss_mb; "
    "atexit.register(lambda: print(f'PEAK_RSS_MB {peak_rss_mb()}', file=sys.stderr)); "
    "from defectio.cli import app; app()"
)


def run_child(args: list[str]) -> tuple[str, float, float]:
    """Run a child Python; its stdout, wall seconds and its peak RSS in MB as it reports it
    (``PEAK_RSS_MB`` on stderr; NaN when it does not)."""
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    began = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, check=False
    )
    took = time.perf_counter() - began
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed: {proc.stderr[-2000:]}")
    peak = float("nan")
    for line in proc.stderr.splitlines():
        if line.startswith("PEAK_RSS_MB "):
            peak = float(line.split()[1])
    return proc.stdout, took, peak


def measure_import(url: str, n_passages: int, labelled: float, detect: bool) -> dict[str, Any]:
    """The generated file imported into ``url`` by a child process: its figures."""
    scratch = Path(tempfile.mkdtemp(prefix="defectio-web-scale-"))
    data = scratch / "cases.jsonl"
    try:
        write_cases(data, n_passages, labelled, detect)
        out, _, _ = run_child(["-m", "bench.web_scale", "--child-import", str(data), url])
    finally:
        data.unlink(missing_ok=True)
        scratch.rmdir()
    figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return figures


def build(url: str, n_passages: int, labelled: float, detect: bool) -> dict[str, Any]:
    """The store at ``url`` with ``n_passages`` passages, coded; built unless it is there."""
    from defectio.accounts import service as accounts
    from defectio.accounts.roles import Role
    from defectio.coding.registry import build_coder
    from defectio.store.repo import Store
    from defectio.workflow import code_store

    store = Store(url)
    try:
        have = store.counts()["passages"]
        if have == n_passages:
            token = accounts.create_token(store, USER, actor="bench")[0]
            return {"reused": True, "token": token}
        if have:
            raise SystemExit(f"{url} holds {have} passages, not {n_passages}: use another --db")
    finally:
        store.dispose()
    imported = measure_import(url, n_passages, labelled, detect)
    store = Store(url)
    try:
        began = time.perf_counter()
        run = code_store(store, build_coder("lexicon.v1", store.codebook()), actor="bench")
        coding_s = time.perf_counter() - began
        accounts.add_user(store, USER, Role.REVIEWER, PASSWORD, actor="bench")
        token = accounts.create_token(store, USER, actor="bench")[0]
    finally:
        store.dispose()
    return {
        "reused": False,
        "token": token,
        "import": imported,
        "coding_s": coding_s,
        "suggestions": run.suggestions,
    }


# -- the server --------------------------------------------------------------------------
def start_server(url: str) -> tuple[subprocess.Popen[str], str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cmd = [sys.executable, "-c", "from defectio.cli import app; app()", "--db", url, "serve"]
    cmd += ["--port", str(port), "--workers", "1", "--coder", "lexicon.v1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    return proc, f"http://127.0.0.1:{port}"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def signed_in(base: str, token: str) -> tuple[Any, Any]:
    """An API client (Bearer token) and a browser-like client signed in through the form."""
    import httpx

    api = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300.0, trust_env=False
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            api.get("/api/v1/me").raise_for_status()
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer") from None
            time.sleep(0.2)
    web = httpx.Client(base_url=base, timeout=300.0, trust_env=False)
    page = web.get("/sign-in").text
    csrf = page.split('action="/sign-in"')[1].split('name="csrf_token" value="')[1].split('"')[0]
    web.post(
        "/sign-in", data={"username": USER, "password": PASSWORD, "csrf_token": csrf, "next": "/"}
    )
    return api, web


def timed(client: Any, path: str) -> float:
    began = time.perf_counter()
    response = client.get(path)
    took = time.perf_counter() - began
    if response.status_code != 200:
        raise SystemExit(f"GET {path}: {response.status_code} {response.text[:200]}")
    return took * 1000


def reads_of(first_code: str) -> list[tuple[str, str, str]]:
    """(label, client, path) of every read measured."""
    return [
        ("API cases", "api", "/api/v1/cases?limit=20"),
        ("API cases, code filter", "api", f"/api/v1/cases?code={first_code}&limit=20"),
        (
            "API cases, 3 filters",
            "api",
            "/api/v1/cases?gender=m&year=2015&code=" + first_code + "&limit=20&offset=40",
        ),
        ("API case", "api", "/api/v1/cases/S00010"),
        ("API passages", "api", "/api/v1/passages?limit=20"),
        ("API passages of a case", "api", "/api/v1/passages?case_id=S00010"),
        ("API annotations", "api", "/api/v1/annotations?limit=20"),
        ("API stats", "api", "/api/v1/stats"),
        ("API agreement", "api", "/api/v1/agreement"),
        ("page dashboard", "web", "/"),
        ("page prevalence chart", "web", "/charts/prevalence.svg"),
        ("page timeline chart", "web", "/charts/timeline.svg"),
        ("page cases", "web", "/cases"),
        ("page cases, code filter", "web", f"/cases?code={first_code}"),
        ("page case", "web", "/cases/S00010"),
        ("page review queue", "web", "/review"),
        ("page agreement", "web", "/agreement"),
    ]


def measure_web(url: str, token: str, repeat: int) -> tuple[list[list[object]], float, float]:
    import numpy as np

    proc, base = start_server(url)
    try:
        api, web = signed_in(base, token)
        clients = {"api": api, "web": web}
        for _ in range(5):
            timed(api, "/api/v1/me")
        baseline = [timed(api, "/api/v1/me") for _ in range(max(repeat, 20))]
        base_p50 = float(np.percentile(baseline, 50))
        code = api.get("/api/v1/stats").json()["codes"]
        first_code = max(code, key=lambda c: code[c]["cases"])
        rows: list[list[object]] = [
            [
                "GET /api/v1/me (baseline)",
                "-",
                base_p50,
                float(np.percentile(baseline, 95)),
                "-",
                1.0,
            ]
        ]
        reads = reads_of(first_code)
        for label, who, path in reads:
            first = timed(clients[who], path)
            warm = [timed(clients[who], path) for _ in range(repeat)]
            p50, p95 = (float(v) for v in np.percentile(warm, [50, 95]))
            rows.append([label, first, p50, p95, "-", p95 / base_p50])
        # a write, then the first request to each read after it
        queue = api.get("/api/v1/annotations?status=suggested&limit=1").json()
        if queue:
            api.post(f"/api/v1/annotations/{queue[0]['annotation_id']}/accept").raise_for_status()
        after = {label: timed(clients[who], path) for label, who, path in reads}
        for row in rows[1:]:
            row[4] = after[str(row[0])]
        serve_rss = rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return rows, base_p50, serve_rss


def print_import(imp: dict[str, Any], detect: bool) -> None:
    rate, base_rate = imp["passages"] / imp["import_s"], imp["passages"] / imp["read_s"]
    print(
        table(
            ["step", "passages", "seconds", "passages/s", "peak RSS MB", "ratio"],
            [
                [
                    "read + validate only (baseline)",
                    imp["passages"],
                    imp["read_s"],
                    base_rate,
                    imp["rss_read"],
                    1.0,
                ],
                [
                    "import (languages " + ("detected)" if detect else "given)"),
                    imp["passages"],
                    imp["import_s"],
                    rate,
                    imp["rss"],
                    base_rate / rate,
                ],
            ],
        )
    )
    print(
        f"target: import >= {TARGET_IMPORT_RATE:.0f} passages/s: "
        f"{'MET' if rate >= TARGET_IMPORT_RATE else 'NOT MET'}; peak RSS < "
        f"{TARGET_RSS_MB:.0f} MB: {'MET' if imp['rss'] < TARGET_RSS_MB else 'NOT MET'}"
    )
    print(
        f"language detection alone (lingua, {DETECT_SAMPLE} passages): "
        f"{imp['detect_rate']:,.0f} passages/s; an import that detects runs below it"
    )


def _ms(value: object) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="SQLite path or database URL (built once)")
    parser.add_argument("--repeat", type=int, default=20, help="warm requests per read")
    parser.add_argument(
        "--labelled",
        type=float,
        default=1.0,
        help="share of cases that keep the reference labels (people's codes)",
    )
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="only the import, into --db (empty) or a fresh SQLite file",
    )
    parser.add_argument(
        "--detect",
        action="store_true",
        help="leave the passages' language out of the file: the import detects it",
    )
    parser.add_argument("--child-import", nargs=2, metavar=("FILE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        return child_import(Path(args.child_import[0]), args.child_import[1])
    if args.import_only:
        target = args.db or tempfile.mkdtemp(prefix="defectio-web-scale-") + "/import.db"
        imported = measure_import(
            target if "://" in target else f"sqlite:///{target}",
            args.passages,
            args.labelled,
            args.detect,
        )
        print_import(imported, args.detect)
        return 0
    db = args.db or f"/tmp/defectio-web-scale-{args.passages}.db"
    url = db if "://" in db else f"sqlite:///{db}"
    began = time.perf_counter()
    built = build(url, args.passages, args.labelled, args.detect)
    print(
        f"store {url.split('@')[-1]}: {args.passages} passages, "
        f"{'reused' if built['reused'] else 'built'} in {time.perf_counter() - began:.0f} s; "
        f"{os.cpu_count()} cores"
    )
    if not built["reused"]:
        print_import(built["import"], args.detect)
        print(f"coding (lexicon.v1): {built['coding_s']:.0f} s, {built['suggestions']} suggestions")

    cli = ["-c", PEAK_REPORTING_CLI]
    _, noop_s, noop_rss = run_child([*cli, "--help"])
    _, stats_s, stats_rss = run_child([*cli, "--db", url, "stats", "--json"])
    print(
        table(
            ["command", "seconds", "peak RSS MB", "ratio"],
            [
                ["defectio --help (baseline: start-up)", noop_s, noop_rss, 1.0],
                ["defectio stats --json", stats_s, stats_rss, stats_s / noop_s],
            ],
        )
    )
    print(
        f"target: stats --json < {TARGET_STATS_S:.0f} s: "
        f"{'MET' if stats_s < TARGET_STATS_S else 'NOT MET'}"
    )

    rows, _, serve_rss = measure_web(url, built["token"], args.repeat)
    headers = ["read", "first ms", "p50 ms", "p95 ms", "after a write ms", "p95 / baseline p50"]
    print(table(headers, rows))
    slow = [
        r[0]
        for r in rows[1:]
        if _ms(r[3]) >= (TARGET_DASHBOARD_MS if r[0] == "page dashboard" else TARGET_READ_MS)
    ]
    late = [r[0] for r in rows[1:] if _ms(r[4]) >= TARGET_AFTER_WRITE_MS]
    print(
        f"target: p95 < {TARGET_READ_MS:.0f} ms (dashboard < {TARGET_DASHBOARD_MS:.0f} ms): "
        f"{'MET' if not slow else 'NOT MET: ' + ', '.join(map(str, slow))}"
    )
    print(
        f"target: first request after a write < {TARGET_AFTER_WRITE_MS:.0f} ms: "
        f"{'MET' if not late else 'NOT MET: ' + ', '.join(map(str, late))}"
    )
    print(
        f"serve resident memory after the requests: {serve_rss:.0f} MB (target < "
        f"{TARGET_RSS_MB:.0f} MB: {'MET' if serve_rss < TARGET_RSS_MB else 'NOT MET'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
