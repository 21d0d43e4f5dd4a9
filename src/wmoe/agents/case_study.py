"""The survey's case study (Sec. V-A, Table VII, Fig. 12): four denoisers, several seeds.

Each Table VII network is the denoiser of a :class:`~wmoe.agents.diffusion_sac.DiffusionSAC`
agent on ``wmoe/MultiBSReception-v0``; all four share one critic network (``critic_network``,
default the ``mlp`` preset), so the comparison is between denoisers only. Hyperparameters are
those of ``hyperparams/diffusion_sac.yml`` for the env. For every network and seed the run
records a learning curve (the mean training reward per step over windows of
``curve_window`` env steps) and, after training, the mean reward per step of the
deterministic policy over seeded evaluation episodes, played beside the env's baselines.
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray
from scipy import stats
from stable_baselines3.common.callbacks import BaseCallback

from wmoe.agents.diffusion_sac import DiffusionSAC
from wmoe.agents.evaluate import TrainedRun, agent_policy, baseline_policies, run_episodes
from wmoe.agents.expert_map import save_expert_map
from wmoe.agents.hyperparams import load_defaults, merge_hyperparameters
from wmoe.agents.reception_diagnostics import decision_diagnostics
from wmoe.agents.registry import get_algorithm
from wmoe.agents.train import make_training_env, new_model
from wmoe.moe_policies.presets import resolve_network

ENV_ID = "wmoe/MultiBSReception-v0"
TABLE7_NETWORKS: dict[str, str] = {
    "table7-moe-top2": "Top-2 MoE",
    "table7-moe-top1": "Top-1 MoE",
    "table7-deeper": "Deeper baseline",
    "table7-baseline": "Baseline",
}


@dataclass(frozen=True)
class CaseStudySettings:
    """What the case study trains and how it measures.

    Attributes:
        networks: Denoiser presets to compare.
        seeds: Training seeds per network.
        n_timesteps: Env steps per run (None: the hyperparameter file's).
        curve_window: Env steps per point of the learning curve.
        eval_episodes: Evaluation episodes after training (seeds ``eval_seed + i``).
        eval_seed: Seed of the first evaluation episode.
        critic_network: The critic preset shared by all runs.
        env_config: Env config overrides (e.g. a scenario folder).
    """

    networks: tuple[str, ...] = tuple(TABLE7_NETWORKS)
    seeds: tuple[int, ...] = (0, 1, 2)
    n_timesteps: int | None = None
    curve_window: int = 1000
    eval_episodes: int = 10
    eval_seed: int = 1000
    critic_network: str = "mlp"
    env_config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.networks or not self.seeds:
            raise ValueError("the case study needs at least one network and one seed")
        for network in self.networks:
            resolve_network(network)
        if self.curve_window < 1 or self.eval_episodes < 1:
            raise ValueError("curve_window and eval_episodes must be >= 1")


class RewardCurveCallback(BaseCallback):
    """Mean reward per env step over consecutive windows of ``window`` env steps."""

    def __init__(self, window: int) -> None:
        super().__init__()
        self.window = window
        self.points: list[float] = []
        self._sum = 0.0
        self._count = 0

    def _on_step(self) -> bool:
        rewards = np.asarray(self.locals["rewards"], dtype=np.float64)
        self._sum += float(rewards.sum())
        self._count += rewards.size
        if self._count >= self.window:
            self.points.append(self._sum / self._count)
            self._sum, self._count = 0.0, 0
        return True


@dataclass
class CaseStudyRun:
    """One network trained with one seed.

    Attributes:
        network: Denoiser preset.
        seed: Training seed.
        curve: Mean training reward per step, one value per window.
        final_reward: Mean reward per step of the deterministic policy in evaluation.
        train_seconds: Wall-clock training time.
        parameters: Trainable parameters of the denoiser.
        diagnostics: What the deterministic policy decides on the evaluation episodes
            (:class:`~wmoe.agents.reception_diagnostics.DecisionDiagnostics`).
    """

    network: str
    seed: int
    curve: NDArray[np.float64]
    final_reward: float
    train_seconds: float
    parameters: int
    diagnostics: dict[str, float] = field(default_factory=dict)


AGENT_TITLES = {"diffusion_sac": "Diffusion-SAC", "two_part": "Two-part agent"}
"""How the curves' title names the algorithm whose denoisers are compared."""


@dataclass
class CaseStudyResult:
    """Every run, the baselines' reward per step on the evaluation episodes, the settings.

    ``agent`` is the algorithm whose denoisers are compared (a key of :data:`AGENT_TITLES`).
    """

    runs: list[CaseStudyRun]
    baselines: dict[str, float]
    settings: CaseStudySettings
    curve_window: int
    n_envs: int
    agent: str = "diffusion_sac"


def _hyperparameters(settings: CaseStudySettings, network: str) -> dict[str, Any]:
    entry = get_algorithm("diffusion_sac")
    defaults, _ = load_defaults(entry, ENV_ID)
    overrides: dict[str, Any] = {
        "policy": network,
        "env_kwargs": {"config": settings.env_config},
        "policy_kwargs": {"critic_network": settings.critic_network, "moe_in": "actor"},
    }
    if settings.n_timesteps is not None:
        overrides["n_timesteps"] = settings.n_timesteps
    return merge_hyperparameters(entry, defaults, overrides)


def train_one(
    settings: CaseStudySettings, network: str, seed: int, maps_folder: Path | None = None
) -> CaseStudyRun:
    """Train ``network`` with ``seed``; record its curve and final evaluation reward.

    With ``maps_folder``, an MoE denoiser's expert map (the expert its router picks at each
    user location, :func:`wmoe.agents.expert_map.save_expert_map`) is saved there as
    ``expert_map_<network>_seed<seed>.png``.
    """
    hyperparameters = _hyperparameters(settings, network)
    venv = make_training_env(ENV_ID, hyperparameters, hyperparameters["n_envs"], seed)
    model = new_model(get_algorithm("diffusion_sac"), venv, hyperparameters, seed)
    assert isinstance(model, DiffusionSAC)
    curve = RewardCurveCallback(settings.curve_window)
    start = time.perf_counter()
    model.learn(int(hyperparameters["n_timesteps"]), callback=curve)
    seconds = time.perf_counter() - start
    env = gym.make(ENV_ID, **hyperparameters["env_kwargs"])
    policy = agent_policy(model, None)
    try:
        returns, length = run_episodes(env, policy, settings.eval_episodes, settings.eval_seed)
        diagnostics = decision_diagnostics(
            env, policy, settings.eval_episodes, settings.eval_seed
        ).as_dict()
    finally:
        env.close()
        venv.close()
    if maps_folder is not None and resolve_network(network).is_moe:
        maps_folder.mkdir(parents=True, exist_ok=True)
        trained = TrainedRun(model, None, hyperparameters, Path("(in memory)"))
        save_expert_map(trained, ENV_ID, maps_folder / expert_map_name(network, seed))
    denoiser = model.policy.actor.denoiser
    return CaseStudyRun(
        network=network,
        seed=seed,
        curve=np.asarray(curve.points),
        final_reward=float(returns.mean() / length),
        train_seconds=seconds,
        parameters=sum(p.numel() for p in denoiser.parameters() if p.requires_grad),
        diagnostics=diagnostics,
    )


def baseline_rewards(settings: CaseStudySettings) -> dict[str, float]:
    """Mean reward per step of the env's baselines on the evaluation episodes."""
    hyperparameters = _hyperparameters(settings, settings.networks[0])
    env = gym.make(ENV_ID, **hyperparameters["env_kwargs"])
    try:
        rewards = {}
        for name, policy in baseline_policies(ENV_ID, settings.eval_seed).items():
            returns, length = run_episodes(env, policy, settings.eval_episodes, settings.eval_seed)
            rewards[name] = float(returns.mean() / length)
    finally:
        env.close()
    return rewards


def expert_map_name(network: str, seed: int) -> str:
    """File name of a run's expert map."""
    return f"expert_map_{network}_seed{seed}.png"


def run_case_study(
    settings: CaseStudySettings, verbose: bool = True, maps_folder: Path | None = None
) -> CaseStudyResult:
    """Train every network with every seed (in that order) and collect the results.

    With ``maps_folder``, the first seed's run of every MoE denoiser saves its expert map
    there.
    """
    runs = []
    for network in settings.networks:
        for seed in settings.seeds:
            first = seed == settings.seeds[0]
            run = train_one(settings, network, seed, maps_folder if first else None)
            runs.append(run)
            if verbose:
                print(
                    f"{network} seed {seed}: final {run.final_reward:.3f} bit/s/Hz per step, "
                    f"{run.train_seconds:.0f} s",
                    flush=True,
                )
    n_envs = int(_hyperparameters(settings, settings.networks[0])["n_envs"])
    return CaseStudyResult(
        runs, baseline_rewards(settings), settings, settings.curve_window, n_envs
    )


def confidence_interval(values: NDArray[np.float64], level: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of the mean (0 for one value)."""
    if len(values) < 2:
        return 0.0
    scale = float(stats.t.ppf(0.5 + level / 2, len(values) - 1))
    return scale * float(values.std(ddof=1)) / math.sqrt(len(values))


def _by_network(result: CaseStudyResult) -> dict[str, list[CaseStudyRun]]:
    grouped: dict[str, list[CaseStudyRun]] = {}
    for run in result.runs:
        grouped.setdefault(run.network, []).append(run)
    return grouped


def steps_to_fraction(curve: NDArray[np.float64], window: int, fraction: float) -> int:
    """Env steps until the curve first reaches ``fraction`` of its last-quarter mean."""
    if len(curve) == 0:
        return 0
    plateau = float(curve[-max(1, len(curve) // 4) :].mean())
    reached = np.flatnonzero(curve >= fraction * plateau)
    return int((reached[0] + 1) * window) if len(reached) else int(len(curve) * window)


def mean_with_interval(values: NDArray[np.float64]) -> str:
    """``mean ± half-width``, or ``mean (1 run)`` where one run gives no interval."""
    if len(values) < 2:
        return f"{values.mean():.2f} ({len(values)} run)"
    return f"{values.mean():.2f} ± {confidence_interval(values):.2f}"


def format_table(result: CaseStudyResult) -> str:
    """Markdown table: final reward (mean +- 95 % CI over seeds) and convergence per network."""
    lines = [
        "| denoiser | parameters | final reward [bit/s/Hz] | last-window training reward "
        "| steps to 90 % of plateau | training time [s] |",
        "|---|---|---|---|---|---|",
    ]
    for network, runs in _by_network(result).items():
        finals = np.array([run.final_reward for run in runs])
        lasts = np.array([run.curve[-1] for run in runs if len(run.curve)])
        steps = [steps_to_fraction(run.curve, result.curve_window, 0.9) for run in runs]
        seconds = np.mean([run.train_seconds for run in runs])
        label = TABLE7_NETWORKS.get(network, network)
        lines.append(
            f"| {label} (`{network}`) | {runs[0].parameters} | {mean_with_interval(finals)} | "
            f"{mean_with_interval(lasts)} | {int(np.mean(steps))} | {seconds:.0f} |"
        )
    for name, reward in result.baselines.items():
        lines.append(f"| baseline: {name} | – | {reward:.2f} | – | – | – |")
    return "\n".join(lines)


DIAGNOSTIC_COLUMNS = {
    "distinct_sets": ("distinct BS sets", "{:.0f}"),
    "distinct_codewords": ("distinct codewords", "{:.0f}"),
    "expert_codeword_share": ("codeword = expert's", "{:.0%}"),
    "expert_rate_share": ("rate / expert codeword's", "{:.1%}"),
    "oracle_set_share": ("set = oracle's", "{:.0%}"),
    "strongest_n_set_share": ("set = strongest-N's", "{:.0%}"),
    "oracle_rate_share": ("rate / oracle's", "{:.1%}"),
}


def format_diagnostics(result: CaseStudyResult) -> str:
    """Markdown table: what each network's policy decides (mean over seeds)."""
    header = " | ".join(label for label, _ in DIAGNOSTIC_COLUMNS.values())
    lines = [f"| denoiser | {header} |", "|---|" + "---|" * len(DIAGNOSTIC_COLUMNS)]
    for network, runs in _by_network(result).items():
        cells = []
        for key, (_, fmt) in DIAGNOSTIC_COLUMNS.items():
            values = [run.diagnostics[key] for run in runs if key in run.diagnostics]
            cells.append(fmt.format(float(np.mean(values))) if values else "–")
        label = TABLE7_NETWORKS.get(network, network)
        lines.append(f"| {label} (`{network}`) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_curves_csv(result: CaseStudyResult, path: Path) -> None:
    """One row per (network, seed, window): the curve data behind the plot."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["network", "seed", "env_steps", "mean_reward_per_step"])
        for run in result.runs:
            for index, value in enumerate(run.curve):
                writer.writerow(
                    [run.network, run.seed, (index + 1) * result.curve_window, f"{value:.6f}"]
                )


def plot_curves(result: CaseStudyResult, path: Path, level: float = 0.95) -> None:
    """Learning curves: mean over seeds with a ``level`` confidence band, per network."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2))
    for network, runs in _by_network(result).items():
        length = min(len(run.curve) for run in runs)
        if length == 0:
            continue
        curves = np.stack([run.curve[:length] for run in runs])
        steps = np.arange(1, length + 1) * result.curve_window
        mean = curves.mean(axis=0)
        half = np.array([confidence_interval(curves[:, i], level) for i in range(length)])
        label = TABLE7_NETWORKS.get(network, network)
        axes.plot(steps, mean, label=label)
        axes.fill_between(steps, mean - half, mean + half, alpha=0.2)
    for name in ("strongest_n", "random"):
        if name in result.baselines:
            axes.axhline(result.baselines[name], linestyle="--", linewidth=0.8, color="grey")
            axes.annotate(name, (0, result.baselines[name]), fontsize=7, color="grey")
    axes.set_xlabel("environment steps")
    axes.set_ylabel("training reward per step [bit/s/Hz]")
    seeds = len(result.settings.seeds)
    title = AGENT_TITLES.get(result.agent, result.agent)
    axes.set_title(f"{title}: denoisers on MultiBSReception-v0 ({seeds} seeds, 95 % CI)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def expert_maps_section(result: CaseStudyResult, folder: Path) -> str:
    """Markdown images of the expert maps saved in ``folder``, one per MoE denoiser."""
    seed = result.settings.seeds[0]
    maps = [
        (network, expert_map_name(network, seed))
        for network in result.settings.networks
        if (folder / expert_map_name(network, seed)).exists()
    ]
    if not maps:
        return ""
    lines = ["", "## Expert maps", ""]
    lines.append(
        f"The expert each MoE denoiser's router picks at every user location (seed {seed}; "
        "a diffusion policy routes once per denoising step, the map shows the most frequent "
        "choice):"
    )
    lines.append("")
    lines += [f"![{network}]({name})" for network, name in maps]
    return "\n".join(lines) + "\n"


def write_report(result: CaseStudyResult, folder: Path, command: str) -> list[Path]:
    """Write ``case_study.png``, ``curves.csv`` and ``case_study.md`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    png, csv_path, markdown = (
        folder / "case_study.png",
        folder / "curves.csv",
        folder / "case_study.md",
    )
    plot_curves(result, png)
    write_curves_csv(result, csv_path)
    settings = result.settings
    markdown.write_text(
        "# Case study: MoE denoisers in a diffusion policy (survey Table VII, Fig. 12)\n\n"
        f"Command: `{command}`\n\n"
        f"Settings: {len(settings.seeds)} seeds {list(settings.seeds)}, "
        f"{result.n_envs} envs, learning-curve window {settings.curve_window} env steps, "
        f"critic `{settings.critic_network}` for every denoiser, evaluation over "
        f"{settings.eval_episodes} episodes (seeds {settings.eval_seed}...), deterministic "
        "policy. Rewards are per step (one user served), in bit/s/Hz; ± is the 95 % "
        "Student-t interval over seeds.\n\n"
        f"{format_table(result)}\n\n![learning curves](case_study.png)\n\n"
        "## What the policies decide\n\n"
        "Over the same evaluation episodes (mean over seeds; "
        "`wmoe.agents.reception_diagnostics`):\n\n"
        f"{format_diagnostics(result)}\n"
        f"{expert_maps_section(result, folder)}"
    )
    return [png, csv_path, markdown]
