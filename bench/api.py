"""Latency and throughput of ``POST /api/v1/code`` under concurrent clients, on loopback.

Builds a temporary store (the bundled reference corpus imported, a coder user with an API
token), starts the web app in a child process (uvicorn on 127.0.0.1, a free port, the coder
``--coder``, default linear.v1), warms it up (the first call loads or trains the coder), then
runs ``--clients`` threads (default 32), each with its own keep-alive ``httpx.Client``,
posting the corpus's passage texts (with their language, as ``defectio code`` has it;
``--detect`` leaves it out) for ``--seconds`` (default 20), at most ``--max-requests`` in all.
A client sends its next request when its last one is answered (a closed loop).

Prints p50/p95/p99/max latency and requests per second for:

- the coder's own ``predict()`` on one text, called directly in this process (the baseline,
  measured in the same run: no HTTP, no auth, no JSON);
- one client, one request at a time (HTTP with no queueing);
- the concurrent clients as they see it, and the same requests as the server saw them (from
  the request's arrival at the app to its last byte out, recorded in the server process: the
  waits inside the server, for its thread pool and the GIL, are in; the client's are not).

The server runs in its own process, so the clients do not share its GIL. Caveat: they do share
this machine's cores, so on a small machine the load generator takes CPU from the server and
adds its own time to the client-side figures; the server-side row leaves that out.

Then the same load against ``defectio serve --workers N`` (``--workers``, default 2; 0 skips),
started as a user starts it (client-side figures only).

    python -m bench.api [--clients 32] [--seconds 20] [--coder linear.v1] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import table

CODE_PATH = "/api/v1/code"
TARGET_P99_MS = 50.0
USER = "bench"
PASSWORD = "bench passphrase, long enough"


# -- the server (child process) -----------------------------------------------------------


class Timed:
    """Outermost ASGI wrapper: how long the app took for each POST to the coding route.
    ``GET /_bench/reset`` (answered here, never by the app) clears what it has recorded."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/_bench/reset":
            self.times.clear()
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["type"] != "http" or scope["path"] != CODE_PATH:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.times.append(time.perf_counter() - start)

        await self.app(scope, receive, timed_send)


def serve(db_url: str, coder: str, times_file: Path) -> int:
    """The child: the app on a loopback socket; prints its port, runs until SIGINT, then
    writes the server-side times recorded since the last reset."""
    import uvicorn

    from defectio.web import WebSettings, create_app
    from defectio.web.app import prepare_for_serving

    timed = Timed(create_app(WebSettings(db_url=db_url, coder=coder)))
    prepare_for_serving(timed.app)  # as `defectio serve` does
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(
        timed,
        host="127.0.0.1",
        log_level="warning",
        access_log=False,
        backlog=256,
        timeout_graceful_shutdown=5,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shuts down gracefully, then re-raises the signal
        pass
    finally:
        sock.close()
        times_file.write_text(json.dumps(timed.times))
    return 0


# -- the load (this process) --------------------------------------------------------------


@dataclass
class Load:
    latencies: list[float]
    seconds: float
    errors: int


def build_store(folder: Path) -> tuple[str, str, list[tuple[str, str | None]]]:
    """The reference corpus in a fresh store, a coder user and token; the passages."""
    from defectio.accounts import service
    from defectio.accounts.roles import Role
    from defectio.ingest.importer import import_paths
    from defectio.reference import reference_jsonl
    from defectio.store.repo import Store

    url = f"sqlite:///{folder / 'bench.db'}"
    store = Store(url)
    try:
        import_paths(store, [reference_jsonl()], actor="bench")
        service.add_user(store, USER, Role.CODER, PASSWORD, actor="bench")
        token = service.create_token(store, USER, actor="bench")[0]
        passages = [(p.text, p.lang) for _, p in store.passages()]
    finally:
        store.dispose()
    return url, token, passages


def start_server(url: str, coder: str, times_file: Path) -> tuple[subprocess.Popen[str], int]:
    cmd = [sys.executable, "-m", "bench.api", "--serve", url, "--coder", coder]
    cmd += ["--times-file", str(times_file)]
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=root, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.isdigit():
        proc.kill()
        raise SystemExit(f"the server did not start (got {line!r})")
    return proc, int(line)


def start_cli_server(
    url: str, coder: str, workers: int, log: Path
) -> tuple[subprocess.Popen[str], str]:
    """`defectio serve --workers N` as a user runs it, on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cmd = [sys.executable, "-c", "from defectio.cli import app; app()", "--db", url, "serve"]
    cmd += ["--port", str(port), "--workers", str(workers), "--coder", coder]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
    return proc, f"http://127.0.0.1:{port}"


def stop_server(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def bodies(passages: Sequence[tuple[str, str | None]], detect: bool) -> list[dict[str, str]]:
    out = []
    for text, lang in passages:
        body = {"text": text}
        if lang and not detect:
            body["lang"] = lang
        out.append(body)
    return out


def client(base: str, token: str) -> Any:
    import socket

    import httpx

    # TCP_NODELAY as curl and browsers set it: without it the request's headers and body go in
    # two small writes, and Nagle plus the server's delayed ACK add ~40 ms to every request.
    nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    return httpx.Client(
        base_url=base,
        transport=httpx.HTTPTransport(socket_options=nodelay),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30.0,
        trust_env=False,  # no proxy from the environment: loopback only
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


def run_load(
    base: str,
    token: str,
    payloads: list[dict[str, str]],
    clients: int,
    seconds: float,
    max_requests: int,
) -> Load:
    """``clients`` threads posting until ``seconds`` pass or ``max_requests`` are sent."""
    lock = threading.Lock()
    sent = 0
    results: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    go = threading.Event()
    ready = threading.Semaphore(0)
    deadline = 0.0

    def worker(i: int) -> None:
        nonlocal sent
        rng = random.Random(i)
        with client(base, token) as http:
            try:
                http.post(CODE_PATH, json=payloads[i % len(payloads)])  # open the connection
            except Exception:
                errors[i] += 1
            finally:
                ready.release()
            go.wait()
            while time.perf_counter() < deadline:
                with lock:
                    if sent >= max_requests:
                        return
                    sent += 1
                body = payloads[rng.randrange(len(payloads))]
                start = time.perf_counter()
                try:
                    response = http.post(CODE_PATH, json=body)
                    ok = response.status_code == 200
                except Exception:
                    ok = False
                took = time.perf_counter() - start
                if ok:
                    results[i].append(took)
                else:
                    errors[i] += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for _ in threads:  # every client connected (its first request answered) and waiting
        if not ready.acquire(timeout=120):
            raise SystemExit("the clients did not connect")
    with client(base, token) as http:  # server-side times from here on
        http.get("/_bench/reset")
    began = time.perf_counter()
    deadline = began + seconds
    go.set()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - began
    return Load([x for r in results for x in r], elapsed, sum(errors))


def predict_alone(coder: str, url: str, payloads: list[dict[str, str]], seconds: float) -> Load:
    """The baseline: the server's coder (same store, same name), one text per call."""
    from defectio.store.repo import Store
    from defectio.workflow import coder_for_store

    store = Store(url, create=False)
    try:
        built = coder_for_store(store, coder)
    finally:
        store.dispose()
    for body in payloads[:20]:
        built.predict([body["text"]], [body.get("lang")])
    latencies: list[float] = []
    rng = random.Random(0)
    began = time.perf_counter()
    while time.perf_counter() - began < seconds and len(latencies) < 100_000:
        body = payloads[rng.randrange(len(payloads))]
        start = time.perf_counter()
        built.predict([body["text"]], [body.get("lang")])
        latencies.append(time.perf_counter() - start)
    return Load(latencies, time.perf_counter() - began, 0)


def summary(label: str, load: Load, base_p50: float | None) -> list[object]:
    import numpy as np

    if not load.latencies:
        return [label, 0, load.errors, "-", "-", "-", "-", "-", "-"]
    ms = np.asarray(load.latencies) * 1000
    p50, p95, p99 = (float(v) for v in np.percentile(ms, [50, 95, 99]))
    rate = len(ms) / load.seconds if load.seconds else float("nan")
    ratio = p50 / base_p50 if base_p50 else 1.0
    return [label, len(ms), load.errors, rate, p50, p95, p99, float(ms.max()), ratio]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--coder", default="linear.v1")
    parser.add_argument("--max-requests", type=int, default=200_000, help="hard cap, all clients")
    parser.add_argument("--detect", action="store_true", help="send texts without a language")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="also measure `defectio serve --workers N` (0: skip)",
    )
    parser.add_argument("--serve", metavar="DB_URL", help=argparse.SUPPRESS)
    parser.add_argument("--times-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.coder, args.times_file)
    if not 1 <= args.clients <= 256 or not 0 < args.seconds <= 600:
        parser.error("--clients must be 1..256 and --seconds 0..600")

    scratch = Path(tempfile.mkdtemp(prefix="defectio-bench-api-"))
    try:
        return _run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def warm_up(
    base: str, token: str, payloads: list[dict[str, str]], proc: subprocess.Popen[str]
) -> str:
    """Wait until the server answers (the first call loads the coder), then warm it up;
    returns the coder it answers with."""
    with client(base, token) as http:
        deadline = time.monotonic() + 120
        while True:
            try:
                first = http.post(CODE_PATH, json=payloads[0])
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the server did not answer") from None
                time.sleep(0.1)
        if first.status_code != 200:
            raise SystemExit(f"POST {CODE_PATH}: {first.status_code} {first.text[:300]}")
        for _ in range(4):  # every worker process loads its coder
            for body in payloads[:50]:
                http.post(CODE_PATH, json=body).raise_for_status()
        coder: str = first.json()["coder"]
        return coder


def _run(args: argparse.Namespace, scratch: Path) -> int:
    from defectio.codebook import load_codebook
    from defectio.coding.registry import build_coder, resolve_name

    name = resolve_name(args.coder)
    began = time.perf_counter()
    build_coder(name, load_codebook())  # trained into the cache once, before any timing
    url, token, passages = build_store(scratch)
    payloads = bodies(passages, args.detect)
    print(
        f"{len(payloads)} reference passages, coder {name}, languages "
        f"{'detected' if args.detect else 'given'}; {os.cpu_count()} cores; "
        f"set up in {time.perf_counter() - began:.0f} s"
    )

    times_file = scratch / "server-times.json"
    proc, port = start_server(url, name, times_file)
    base = f"http://127.0.0.1:{port}"
    try:
        first = warm_up(base, token, payloads, proc)
        print(f"server answers with coder {first}")
        single = run_load(base, token, payloads, 1, min(5.0, args.seconds / 4), 20_000)
        load = run_load(base, token, payloads, args.clients, args.seconds, args.max_requests)
    finally:
        stop_server(proc)
    multi: Load | None = None
    if args.workers > 1:
        proc, multi_base = start_cli_server(url, name, args.workers, scratch / "serve.log")
        try:
            warm_up(multi_base, token, payloads, proc)
            multi = run_load(
                multi_base, token, payloads, args.clients, args.seconds, args.max_requests
            )
        finally:
            stop_server(proc)
    server_times = json.loads(times_file.read_text()) if times_file.is_file() else []
    server = Load(server_times, load.seconds, 0)
    alone = predict_alone(name, url, payloads, min(5.0, args.seconds / 4))

    base_p50 = summary("", alone, None)[4]
    assert isinstance(base_p50, float)
    rows = [
        summary(f"{name} predict(), 1 text, no HTTP (baseline)", alone, base_p50),
        summary("HTTP, 1 client", single, base_p50),
        summary(f"HTTP, {args.clients} clients (client-side)", load, base_p50),
        summary(f"HTTP, {args.clients} clients (server-side)", server, base_p50),
    ]
    if multi is not None:
        label = f"HTTP, {args.clients} clients, serve --workers {args.workers} (client-side)"
        rows.append(summary(label, multi, base_p50))
    headers = ["path", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    print(table([*headers, "p50 / baseline p50"], rows))
    single_p50 = rows[1][4]
    if isinstance(single_p50, float):
        print(f"server overhead at p50, 1 client: {single_p50 - base_p50:.2f} ms over predict()")
    for row in rows[2:]:
        if "server-side" in str(row[0]):
            continue
        p99 = row[6]
        met = isinstance(p99, float) and p99 < TARGET_P99_MS
        shown = f"{p99:.1f}" if isinstance(p99, float) else "-"
        print(
            f"target: p99 < {TARGET_P99_MS:.0f} ms on the linear path, {row[0]}: p99 {shown} ms: "
            f"{'MET' if met else 'NOT MET'}"
        )
    print(
        f"caveat: the client threads run on the same {os.cpu_count()} cores as the server and "
        "add their own CPU time and queueing to the client-side figures"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
