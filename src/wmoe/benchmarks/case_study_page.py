"""The ``case-study`` suite's page: the survey's Table VII and Fig. 12 read off the store.

The suite trains each Table VII denoiser with several seeds through the benchmark store
(resumable, in parts); this page turns its finished cells into the case study's own form
(:mod:`wmoe.agents.case_study`: rewards per step with Student-t intervals over seeds,
learning curves, what the policies decide) and adds what the protocol measures: the paper's
ordering Top-2 >= Top-1 > deeper > baseline tested pair by pair with the probability of
improvement and its 95 % bootstrap interval (rliable), and each MoE denoiser's routing
statistics at the end of training.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np

from wmoe.agents.case_study import (
    TABLE7_NETWORKS,
    CaseStudyResult,
    CaseStudyRun,
    CaseStudySettings,
    format_diagnostics,
    format_table,
    plot_curves,
    write_curves_csv,
)
from wmoe.benchmarks.execute import AGENT
from wmoe.benchmarks.scores import TaskScores, task_scores
from wmoe.benchmarks.statistics import DEFAULT_REPS, improvement_probability, verdict
from wmoe.benchmarks.store import StoredCell
from wmoe.benchmarks.suite import Suite

CASE_STUDY_SUITE = "case-study"
"""The shipped suite this page is written for."""
PAPER_ORDER = ("table7-moe-top2", "table7-moe-top1", "table7-deeper", "table7-baseline")
"""Table VII's networks in the order the survey's Fig. 12 ranks them, best first."""
DECISION_PREFIX = "decision/"
_EXPERT_STATISTIC = re.compile(r"^moe/(?P<layer>.+)/(?P<name>load|dormant_tau0\.1|srank)_\d+$")


def _check(suite: Suite) -> None:
    if len(suite.envs) != 1 or len(suite.agents) != 1:
        raise ValueError(
            f"suite {suite.name} is not a case study: it needs one env and one agent entry"
        )


def _task(suite: Suite, stored: list[StoredCell]) -> tuple[TaskScores, float]:
    """The suite's one task and its test episode length [steps]."""
    _check(suite)
    tasks = task_scores(suite, stored)
    if not tasks:
        raise ValueError(f"suite {suite.name}: its baselines cell has not finished")
    baselines_cell = next(item for item in stored if item.cell.is_baselines)
    return tasks[0], float(baselines_cell.result.episode_length)


def case_study_result(suite: Suite, stored: list[StoredCell]) -> CaseStudyResult:
    """The suite's finished cells (one env, one algorithm) as a :class:`CaseStudyResult`.

    Rewards are per env step: test returns and training curves are divided by the test
    episode length. ``parameters`` is the whole policy's parameter count.

    Raises:
        ValueError: If the suite has more than one env or agent entry, or its baselines
            cell has not finished.
    """
    task, length = _task(suite, stored)
    agent = suite.agents[0]
    runs = []
    for preset in agent.presets:
        for item in task.agents.get(f"{agent.algo} {preset}", []):
            result = item.result
            runs.append(
                CaseStudyRun(
                    network=preset,
                    seed=int(item.cell.seed or 0),
                    curve=np.asarray(result.curve, dtype=np.float64) / length,
                    final_reward=float(np.mean(result.returns[AGENT])) / length,
                    train_seconds=result.costs.get("train_seconds", float("nan")),
                    parameters=int(result.costs.get("parameters_total", 0)),
                    diagnostics={
                        key.removeprefix(DECISION_PREFIX): value
                        for key, value in result.diagnostics.items()
                        if key.startswith(DECISION_PREFIX)
                    },
                )
            )
    n_timesteps = max(
        (item.cell.n_timesteps for r in task.agents.values() for item in r), default=0
    )
    window = max(n_timesteps // suite.curve_points, 1)
    settings = CaseStudySettings(
        networks=tuple(agent.presets),
        seeds=tuple(suite.seeds.train),
        n_timesteps=n_timesteps,
        curve_window=window,
        eval_episodes=suite.seeds.test_episodes,
        eval_seed=suite.seeds.test_first,
    )
    baselines = {name: float(np.mean(returns)) / length for name, returns in task.baselines.items()}
    return CaseStudyResult(runs, baselines, settings, window, 0, agent=agent.algo)


def ordering_table(suite: Suite, stored: list[StoredCell], reps: int = DEFAULT_REPS) -> str:
    """Markdown: P(X > Y) with its 95 % CI for every pair in the paper's order, and a verdict.

    Rows follow :data:`PAPER_ORDER`: each network against every one the paper ranks below
    it. "better" means the paper's ordering holds for the pair with 95 % confidence.
    """
    task, _ = _task(suite, stored)
    algo = suite.agents[0].algo
    scores = task.normalised_matrices()
    lines = [
        "| paper's claim | runs | P(first > second) [95 % CI] | verdict |",
        "|---|---|---|---|",
    ]
    for first, second in itertools.combinations(PAPER_ORDER, 2):
        x, y = scores.get(f"{algo} {first}"), scores.get(f"{algo} {second}")
        if x is None or y is None:
            continue
        probability = improvement_probability(x, y, reps)
        runs = min(len(x), len(y))
        claim = f"{TABLE7_NETWORKS.get(first, first)} > {TABLE7_NETWORKS.get(second, second)}"
        lines.append(
            f"| {claim} | {len(x)} vs {len(y)} | {probability.text()} | "
            f"{verdict(probability, runs)} |"
        )
    return "\n".join(lines)


def routing_table(suite: Suite, stored: list[StoredCell]) -> str:
    """Markdown: each MoE denoiser's routing at the end of training (mean over seeds).

    Per MoE layer: router entropy [nat], the largest and smallest expert load (share of
    tokens), the mean share of dormant neurons (tau = 0.1) and effective rank over experts.
    """
    task, _ = _task(suite, stored)
    algo = suite.agents[0].algo
    lines = [
        "| denoiser | layer | router entropy [nat] | max load | min load | dormant (tau 0.1) "
        "| feature rank |",
        "|---|---|---|---|---|---|---|",
    ]
    for preset in suite.agents[0].presets:
        per_layer: dict[str, dict[str, list[float]]] = {}
        for item in task.agents.get(f"{algo} {preset}", []):
            run: dict[str, dict[str, list[float]]] = {}
            for key, value in item.result.diagnostics.items():
                match = _EXPERT_STATISTIC.match(key)
                if match:
                    run.setdefault(match["layer"], {}).setdefault(match["name"], []).append(value)
                elif key.startswith("moe/") and key.endswith("/aux/entropy"):
                    layer = key.removeprefix("moe/").removesuffix("/aux/entropy")
                    run.setdefault(layer, {}).setdefault("entropy", []).append(value)
            for layer, values in run.items():
                summary = per_layer.setdefault(layer, {})
                loads = values.get("load", [])
                for name, statistic in (
                    ("entropy", np.mean(values.get("entropy", [np.nan]))),
                    ("max load", max(loads, default=np.nan)),
                    ("min load", min(loads, default=np.nan)),
                    ("dormant", np.mean(values.get("dormant_tau0.1", [np.nan]))),
                    ("srank", np.mean(values.get("srank", [np.nan]))),
                ):
                    summary.setdefault(name, []).append(float(statistic))
        for layer, summary in sorted(per_layer.items()):
            mean = {name: float(np.nanmean(values)) for name, values in summary.items()}
            lines.append(
                f"| {TABLE7_NETWORKS.get(preset, preset)} (`{preset}`) | `{layer}` | "
                f"{mean['entropy']:.2f} | {mean['max load']:.0%} | {mean['min load']:.0%} | "
                f"{mean['dormant']:.0%} | {mean['srank']:.1f} |"
            )
    return "\n".join(lines)


def write_case_study_page(
    suite: Suite, stored: list[StoredCell], folder: Path, reps: int = DEFAULT_REPS
) -> list[Path]:
    """Write ``case_study.md``, ``case_study.png`` and ``case_study_curves.csv`` into ``folder``.

    The names keep clear of the suite report's files, which ``wmoe benchmark report`` writes
    into the same folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    result = case_study_result(suite, stored)
    png, csv_path, page = (
        folder / "case_study.png",
        folder / "case_study_curves.csv",
        folder / "case_study.md",
    )
    plot_curves(result, png)
    write_curves_csv(result, csv_path)
    finished = len(result.runs)
    planned = len(result.settings.networks) * len(result.settings.seeds)
    page.write_text(
        "# Case study: MoE denoisers in the survey's agent (Table VII, Fig. 12)\n\n"
        f"{suite.description}\n\n"
        f"Commands: `wmoe benchmark run {suite.name}` (resumable) and "
        f"`wmoe benchmark report {suite.name}`. Runs finished: {finished} of {planned}; "
        f"{result.settings.n_timesteps} env steps each; evaluation on "
        f"{result.settings.eval_episodes} test episodes (seeds {result.settings.eval_seed}...), "
        "deterministic policy, the same for every run and baseline. Rewards are per step (one "
        "user served), in bit/s/Hz; ± is the 95 % Student-t interval over seeds; parameters "
        "count the whole policy (set part and precoder).\n\n"
        f"{format_table(result)}\n\n![learning curves](case_study.png)\n\n"
        "## The paper's ordering\n\n"
        "Normalised scores (oracle = 1, random = 0) per run; the probability that a run of "
        "the first network beats one of the second, with its 95 % stratified bootstrap "
        "interval (rliable); better / worse when the interval lies above / below 1/2. The six "
        "intervals are not corrected for multiplicity (PROTOCOL.md): with no true difference, "
        "some row would show a verdict about one time in four (1 - 0.95^6, were the rows "
        "independent), so a lone one is a lead for more seeds, not a finding.\n\n"
        f"{ordering_table(suite, stored, reps)}\n\n"
        "## What the policies decide\n\n"
        "Over the test episodes (mean over seeds; `wmoe.agents.reception_diagnostics`). "
        '"codeword = expert\'s" compares indices (codewords that differ only in column '
        'phases have equal rates, and the expert is one of them); "rate / expert codeword\'s" '
        "is the policy's rate over the best rate of the sets it chose.\n\n"
        f"{format_diagnostics(result)}\n\n"
        "## Routing of the MoE denoisers\n\n"
        "At the end of training (the last logged update; mean over seeds):\n\n"
        f"{routing_table(suite, stored)}\n"
    )
    return [png, csv_path, page]
