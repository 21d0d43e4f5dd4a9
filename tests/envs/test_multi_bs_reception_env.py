"""``wmoe/MultiBSReception-v0``: API checks, determinism, physics and bad input."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import wmoe  # noqa: F401
from wmoe.config import ConfigError
from wmoe.envs.multi_bs_reception.actions import InvalidActionError
from wmoe.envs.multi_bs_reception.baselines import (
    BASELINES,
    baseline_action,
    evaluate_baselines,
)
from wmoe.phy.receivers import mmse_sinr, sum_rate
from wmoe.scenarios.deepmimo_loader import ArrayConfig, DeepMIMOUplink

ENV_ID = "wmoe/MultiBSReception-v0"
FORMS = [
    ("discrete", "agent"),
    ("discrete", "expert"),
    ("multi_discrete", "agent"),
    ("multi_discrete", "expert"),
    ("continuous", "agent"),
    ("continuous", "expert"),
]


def make(config: dict[str, Any], **overrides: Any) -> Any:
    return gym.make(ENV_ID, config={**config, **overrides})


@pytest.mark.parametrize(("action_type", "precoder"), FORMS)
def test_gymnasium_and_sb3_check_env(reception_config, action_type, precoder):
    env = make(
        reception_config,
        action_type=action_type,
        precoder_selection=precoder,
        observe_rx_power=True,
        observe_interference=True,
        episode_length=4,
    )
    check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=False)


def rollout(env: Any, seed: int, steps: int) -> list[Any]:
    env.action_space.seed(seed)
    out: list[Any] = [env.reset(seed=seed)[0]]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        out += [obs, reward, terminated, truncated, info["user_index"], info["bs_set"].tolist()]
        if truncated:
            out.append(env.reset()[0])
    return out


def test_seeded_rollouts_are_deterministic(reception_config):
    config = {**reception_config, "episode_length": 5}
    first = rollout(make(config), seed=7, steps=23)
    second = rollout(make(config), seed=7, steps=23)
    other = rollout(make(config), seed=8, steps=23)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_reward_equals_brute_force_mmse_on_deepmimo_channels(reception_config):
    env = make(reception_config, info_oracle=True).unwrapped
    core = env.core
    env.reset(seed=3)
    user = int(core.user[0])
    set_index, codeword = 5, core.codebook.num_codewords - 1  # a rank-4 codeword
    _, reward, _, _, info = env.step(set_index * core.codebook.num_codewords + codeword)

    uplink = DeepMIMOUplink(
        core.data_folder, ArrayConfig(bs_panel=(2, 2), ue_antennas=4), users=[user]
    )
    blocks = []
    for bs in core.bs_sets[set_index]:
        weight = np.sqrt(core.bs_snr_scale[bs])  # whitening by noise + interference
        blocks.append(weight * uplink.bs_channels(int(bs))[0].astype(np.complex128))
    stacked = np.concatenate(blocks, axis=0)  # (N * ports, ue antennas)
    precoder = core.codebook.matrices[codeword]
    expected = sum_rate(mmse_sinr(stacked @ precoder, 1.0))
    assert reward == pytest.approx(float(expected), rel=1e-4)
    assert info["rate"] == reward
    assert info["expert_rate"] >= reward
    assert info["oracle_rate"] >= info["expert_rate"]
    assert info["regret"] == pytest.approx(info["oracle_rate"] - reward)


def test_expert_mode_applies_best_precoder(reception_config):
    agent = make(reception_config).unwrapped
    expert = make(reception_config, precoder_selection="expert").unwrapped
    agent.reset(seed=1)
    expert.reset(seed=1)
    _, reward, _, _, info = expert.step(11)
    rates = agent.core.codeword_rates(agent.core.set_gram(info["user_index"][None], np.array([11])))
    assert reward == pytest.approx(rates.max())
    assert info["precoder"] == info["expert_precoder"] == rates.argmax()


def test_baselines_are_ordered_per_user(reception_config):
    core = make(reception_config).unwrapped.core
    result = evaluate_baselines(core, num_users=40, seed=0)
    assert set(result.rates) == set(BASELINES)
    oracle = result.rates["oracle"]
    for name, rate in result.rates.items():
        assert np.all(rate <= oracle + 1e-9), name
    assert result.rates["strongest_n"].mean() > result.rates["random"].mean()


def test_baseline_actions_in_every_form(reception_config):
    for action_type, precoder in FORMS:
        env = make(reception_config, action_type=action_type, precoder_selection=precoder)
        env.reset(seed=0)
        action = baseline_action("oracle", env.unwrapped)
        assert env.action_space.contains(np.asarray(action, dtype=env.action_space.dtype))
        _, reward, _, _, info = env.step(action)
        oracle = env.unwrapped.core.oracle(info["user_index"][None])[2][0]
        assert reward == pytest.approx(oracle)


def test_continuous_scores_pick_top_n(reception_config):
    env = make(reception_config, action_type="continuous").unwrapped
    core = env.core
    env.reset(seed=0)
    scores = np.full(env.action_space.shape, -0.5, dtype=np.float32)
    scores[[2, 9, 17]] = [0.9, 0.8, 0.7]
    scores[core.num_bs + 4] = 1.0
    _, _, _, _, info = env.step(scores)
    assert info["bs_set"].tolist() == [2, 9, 17]
    assert info["precoder"] == 4


def test_truncation_and_trajectory(reception_config):
    env = make(
        reception_config, user_sequence="trajectory", trajectory_step_users=3, episode_length=4
    ).unwrapped
    env.reset(seed=0)
    start = int(env.core.user[0])
    truncated = []
    for _ in range(4):
        _, _, terminated, trunc, info = env.step(0)
        truncated.append(trunc)
        assert not terminated
    assert truncated == [False, False, False, True]
    assert int(env.core.user[0]) == (start + 12) % env.core.num_users


def test_action_masks_exclude_unreachable_bs(reception_config):
    env = make(reception_config, action_type="multi_discrete").unwrapped
    core = env.core
    reachable = core.reachable
    env.reset(seed=0)
    for _ in range(30):
        user = int(core.user[0])
        mask = env.action_masks()
        assert mask.shape == (core.num_sets + core.codebook.num_codewords,)
        set_mask = mask[: core.num_sets]
        assert set_mask.any()
        if reachable[user].sum() >= core.bs_sets.shape[1]:
            assert np.all(reachable[user][core.bs_sets[set_mask]])
        env.step(env.action_space.sample())


def test_observation_contents(reception_config):
    env = make(reception_config, observe_rx_power=True, observe_interference=True).unwrapped
    obs, _ = env.reset(seed=0)
    core = env.core
    assert obs.shape == (2 + 2 * core.num_bs,)
    np.testing.assert_allclose(obs[:2], core.normalized_positions[core.user[0]])
    assert obs[2:20] == pytest.approx(
        np.clip(core.rx_snr_db(core.user[:1])[0] / 50, -2, 2), abs=1e-6
    )


@pytest.mark.parametrize(
    ("overrides", "action", "match"),
    [
        ({}, 10**9, "out of range"),
        ({}, -1, "out of range"),
        ({}, np.array([1, 2]), "shape"),
        ({}, 2.5, "integer-valued"),
        ({}, float("nan"), "integer-valued"),
        ({"action_type": "multi_discrete"}, np.array([1]), "shape"),
        ({"action_type": "continuous"}, np.full(50, np.nan), "NaN"),
        ({"action_type": "continuous"}, np.full(50, 1.5), r"leaves \[-1, 1\]"),
        ({"action_type": "continuous"}, np.zeros(3), "shape"),
    ],
)
def test_bad_actions_raise(reception_config, overrides, action, match):
    env = make(reception_config, **overrides).unwrapped
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match=match):
        env.step(action)


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"num_cooperating_bs": 19}, ConfigError, r"'num_cooperating_bs'\]=19 .*\[1, 18\]"),
        ({"no_such_key": 1}, ConfigError, "unknown config key 'no_such_key'"),
        ({"action_type": "box"}, ConfigError, r"config\['action_type'\]='box' is invalid"),
        ({"codebook": "nope"}, ConfigError, r"config\['codebook'\]='nope' is invalid"),
        ({"episode_length": 0}, ConfigError, r"config\['episode_length'\]=0 is invalid"),
        # The cases issue 17 found accepted.
        ({"tx_power_dbm": float("nan")}, ConfigError, r"'tx_power_dbm'\]=nan .*finite .*dBm"),
        ({"noise_figure_db": float("nan")}, ConfigError, r"'noise_figure_db'\]=nan"),
        ({"bs_panel": [0, 2]}, ConfigError, r"config\['bs_panel'\]\[0\]=0 is invalid"),
        ({"interferer_alpha": -3}, ConfigError, r"'interferer_alpha'\]=-3 .*\[0, 1\]"),
        ({"episode_length": True}, ConfigError, r"'episode_length'\]=True .*valid integer"),
        ({"num_cooperating_bs": True}, ConfigError, r"'num_cooperating_bs'\]=True"),
        ({"max_rank": 9}, ConfigError, r"'max_rank'\]=9 .*\[1, 4\]"),
        ({"observe_rx_power": "no"}, ConfigError, r"'observe_rx_power'\]='no' .*boolean"),
        ({"info_oracle": "False"}, ConfigError, r"'info_oracle'\]='False' .*boolean"),
        ({"ue_antennas": 2}, ConfigError, "max_rank=4 exceeds ue_antennas=2"),
        ({"codebook": "3gpp-2port", "max_rank": 2}, ConfigError, "needs ue_antennas=2"),
    ],
)
def test_bad_config_raises(reception_config, overrides, error, match):
    with pytest.raises(error, match=match):
        make(reception_config, **overrides)


def test_missing_real_scenario_names_path(reception_config, tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "o1_3p5")):
        make(reception_config, scenarios_dir=str(tmp_path), scenario="o1_3p5")


@pytest.mark.filterwarnings("ignore:.*render_mode")
def test_masks_on_continuous_and_render_mode_raise(reception_config):
    env = make(reception_config, action_type="continuous").unwrapped
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="only for discrete"):
        env.action_masks()
    with pytest.raises(ValueError, match="render_mode"):
        gym.make(ENV_ID, config=reception_config, render_mode="ansi")


@pytest.mark.parametrize(("codebook", "ue_antennas"), [("dft", 4), ("3gpp-2port", 2)])
def test_codeword_rates_equal_generic_effective_gram(reception_config, codebook, ue_antennas):
    from wmoe.phy.receivers import effective_gram, mmse_sinr_from_gram

    config = {"codebook": codebook, "ue_antennas": ue_antennas, "max_rank": min(4, ue_antennas)}
    core = make(reception_config, **config).unwrapped.core
    users = np.arange(25)
    gram = core.set_gram(users, (users * 31) % core.num_sets)
    generic = sum_rate(mmse_sinr_from_gram(effective_gram(gram[:, None], core.codebook.matrices)))
    np.testing.assert_allclose(core.codeword_rates(gram), generic, rtol=1e-9, atol=1e-9)


def test_ties_up_to_round_off_go_to_the_lowest_codeword():
    from wmoe.envs.multi_bs_reception.core import first_best

    rates = np.array(
        [
            [1.0, 3.0, 3.0 * (1 + 1e-12), 2.0],  # equal up to round-off: the first of them
            [1.0, 3.0, 3.0 * (1 + 1e-6), 2.0],  # a real difference: the larger
            [5.0, 5.0, 5.0, 5.0],
            [0.0, 0.0, 0.0, 0.0],
        ]
    )
    assert first_best(rates).tolist() == [1, 2, 0, 0]


def test_the_expert_codeword_is_the_first_of_equal_rates(reception_config):
    # DFT codewords that differ only in column phases have equal rates: the expert is the first.
    core = make(reception_config, codebook="dft", ue_antennas=4, max_rank=4).unwrapped.core
    users = np.arange(40)
    sets = (users * 31) % core.num_sets
    rates = core.codeword_rates(core.set_gram(users, sets))
    expert = core.evaluate(users, sets, None).expert_precoder
    near = rates >= rates.max(axis=1, keepdims=True) * (1 - 1e-9)
    assert np.array_equal(expert, near.argmax(axis=1))
    assert np.any(near.sum(axis=1) > 1)  # the case arises
