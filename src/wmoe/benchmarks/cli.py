"""``wmoe benchmark run | status | report``: the benchmark sub-commands of the ``wmoe`` CLI."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from wmoe.benchmarks.runner import BACKENDS


def _suite_and_store(args: argparse.Namespace) -> tuple[Any, Any]:
    from wmoe.benchmarks.store import ResultStore, default_store_path
    from wmoe.benchmarks.suite import load_suite

    suite = load_suite(args.suite)
    path = Path(args.store) if args.store else default_store_path(suite.name)
    return suite, ResultStore(path)


def _cmd_run(args: argparse.Namespace) -> int:
    import torch

    from wmoe.benchmarks.runner import run_suite

    torch.set_num_threads(1)  # the driver runs cells itself with one worker
    suite, store = _suite_and_store(args)
    print(f"suite {suite.name} ({suite.source}); store {store.path}", flush=True)
    summary = run_suite(
        suite,
        store,
        backend=args.backend,
        workers=args.workers,
        ray_address=args.ray_address,
        force=args.force,
        only=args.only,
    )
    print(
        f"{summary.total} cells: {summary.already_done} already done, {summary.ran} run now, "
        f"{len(summary.failed)} failed ({summary.seconds:.0f} s)"
    )
    for name, error in summary.failed.items():
        print(f"failed: {name}: {error}")
    return 1 if summary.failed else 0


def _cmd_status(args: argparse.Namespace) -> int:
    from wmoe.benchmarks.status import suite_status

    suite, store = _suite_and_store(args)
    print(f"suite {suite.name}; store {store.path}")
    print(suite_status(suite, store).text())
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from wmoe.benchmarks.case_study_page import CASE_STUDY_SUITE, write_case_study_page
    from wmoe.benchmarks.cells import expand_cells
    from wmoe.benchmarks.leaderboard import build_leaderboard
    from wmoe.benchmarks.report import leaderboard_markdown, write_report

    suite, store = _suite_and_store(args)
    stored = store.read({cell.key for cell in expand_cells(suite)})
    board = build_leaderboard(suite, stored, reps=args.reps)
    print(leaderboard_markdown(board, stored))
    if args.output:
        paths = write_report(board, stored, Path(args.output))
        if suite.name == CASE_STUDY_SUITE and board.tasks:
            paths += write_case_study_page(suite, stored, Path(args.output), args.reps)
        for path in paths:
            print(f"written {path}")
    return 0


def add_benchmark_parser(subparsers: Any) -> None:
    """Add ``benchmark run | status | report`` to the ``wmoe`` sub-command parsers."""
    benchmark = subparsers.add_parser(
        "benchmark",
        help="benchmark suites: MoE agents against plain networks and baselines",
        description="Run a suite's cells into its SQLite store (resumable), show its "
        "progress, or write its leaderboard. SUITE is a shipped suite (quick, standard, "
        "case-study, channel-aware) or the path of a .yml suite file.",
    )
    commands = benchmark.add_subparsers(dest="benchmark_command", required=True)
    run = commands.add_parser("run", help="run the suite's unfinished cells")
    status = commands.add_parser("status", help="cells done / running / left, ETA")
    report = commands.add_parser("report", help="print the leaderboard and write its files")
    for parser in (run, status, report):
        parser.add_argument("suite", metavar="SUITE", help="suite name or .yml path")
        parser.add_argument(
            "--store",
            default=None,
            help="SQLite store (default: $WMOE_DATA_DIR or ~/.cache/wmoe, "
            "+ /benchmarks/<suite>.sqlite)",
        )
    run.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    run.add_argument("--backend", choices=BACKENDS, default="local", help="local pool or Ray")
    run.add_argument(
        "--ray-address",
        default=None,
        help="Ray cluster to join (auto or host:port); default: start a local Ray on "
        "127.0.0.1 with --workers CPUs",
    )
    run.add_argument("--force", action="store_true", help="rerun cells already finished")
    run.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PATTERN",
        help="run only the cells whose name matches this shell pattern, e.g. "
        "'MultiAccess-v1/*/dqn/*' (repeatable)",
    )
    run.set_defaults(func=_cmd_run)
    status.set_defaults(func=_cmd_status)
    report.add_argument("-o", "--output", default=None, help="folder of the written files")
    report.add_argument("--reps", type=int, default=2000, help="bootstrap replications")
    report.set_defaults(func=_cmd_report)
