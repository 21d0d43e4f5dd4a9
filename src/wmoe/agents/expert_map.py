"""The expert map of a trained MoE agent on ``wmoe/MultiBSReception-v0``.

For every user location of the run's scenario the map shows which expert the policy's router
sends that UE's observation to (:func:`wmoe.moe_policies.routing_map.routed_experts`), drawn
over the street map: regions served by one expert show how the MoE divided the problem.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import NDArray

from wmoe.agents.evaluate import TrainedRun
from wmoe.envs.multi_bs_reception.core import ReceptionCore
from wmoe.moe_policies.routing_map import most_frequent, routed_experts, routers
from wmoe.scenarios.plot import MARKER_POINTS, categorical_colours, draw_scene

FLAGSHIP_ENV_ID = "wmoe/MultiBSReception-v0"
CHUNK_USERS = 1024  # users whose observations are built at once


def user_observations(core: ReceptionCore) -> NDArray[np.float32]:
    """Observations ``(users, obs_dim)`` of every user of the scenario, in user order.

    Args:
        core: A reception core made for this (its users are overwritten), any batch size.
    """
    rows = np.arange(core.batch_size)
    chunks = []
    for start in range(0, core.num_users, core.batch_size):
        users = np.arange(start, min(start + core.batch_size, core.num_users))
        core.user[: len(users)] = users
        chunks.append(core.observations(rows[: len(users)]))
    return np.concatenate(chunks)


def save_expert_map(
    run: TrainedRun, env_id: str, path: Path | str, router: str | None = None
) -> Path:
    """Draw the expert chosen at each user location and save the figure.

    Args:
        run: A trained run whose policy has a top-k or hierarchical router.
        env_id: The run's env; only :data:`FLAGSHIP_ENV_ID` has user locations.
        path: Image file to write (format from the suffix).
        router: Qualified module name of the router to map; None: the first one the
            policy's forward pass uses.

    Returns:
        The written file.

    Raises:
        ValueError: Another env, a policy without router, or an unknown router name.
    """
    if env_id != FLAGSHIP_ENV_ID:
        raise ValueError(
            f"the expert map needs user locations, which only {FLAGSHIP_ENV_ID} has; "
            f"got env {env_id!r}"
        )
    env = gym.make(env_id, **run.hyperparameters.get("env_kwargs", {}))
    config = env.unwrapped.config  # type: ignore[attr-defined]
    env.close()
    core = ReceptionCore(config, batch_size=CHUNK_USERS)
    observations = user_observations(core)
    if run.normalizer is not None:
        observations = run.normalizer.normalize_obs(observations)
    policy = run.model.policy
    choices = routed_experts(policy, lambda: run.model.predict(observations, deterministic=True))
    name = router or next(iter(choices))
    if name not in choices:
        raise ValueError(f"router {name!r} did not run; routers that ran: {', '.join(choices)}")
    num_experts = routers(policy)[name].num_experts
    positions = core.data.user_positions
    # A policy that scores several candidates per observation (a diffusion policy's fixed
    # DDIM chains) routes each user's row that many times, consecutively: take the mode.
    experts = most_frequent(choices[name].reshape(len(positions), -1).T, num_experts)
    figure = Figure(figsize=(6.4, 7.2), dpi=120)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    draw_scene(
        ax, core.data.user_positions, core.data.bs_positions, core.data.synthetic, show_users=False
    )
    colours = categorical_colours(num_experts)
    ax.scatter(
        positions[:, 0],
        positions[:, 1],
        c=experts,
        cmap=colours,
        vmin=-0.5,
        vmax=num_experts - 0.5,
        s=MARKER_POINTS,
        marker="s",
        linewidths=0,
    )
    used = np.unique(experts)
    handles = [
        Line2D(
            [],
            [],
            marker="s",
            ls="",
            color=colours(int(e)),
            label=f"expert {e} ({np.mean(experts == e):.0%})",
        )
        for e in used
    ]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(
        f"expert chosen per UE location\n{type(run.model).__name__}, router {name}", fontsize=9
    )
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
