"""Suite files: shipped suites load; every malformed suite fails before training, clearly."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from tiny_suite import tiny_suite_data

from wmoe.benchmarks.cells import check_cells, expand_cells
from wmoe.benchmarks.suite import SuiteError, load_suite, parse_suite, shipped_suites


def test_shipped_suites_load_and_expand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_scenarios_dir: Path
) -> None:
    # Expanding a suite builds each env to check its action space: on the small scenarios
    # (under the default names), not the default ones, which take minutes to write in a fresh
    # data folder; the session's classification system is shared.
    session = Path(os.environ["WMOE_DATA_DIR"])
    (session / "classification").mkdir(parents=True, exist_ok=True)
    (tmp_path / "classification").symlink_to(session / "classification")
    (tmp_path / "deepmimo_scenarios").symlink_to(small_scenarios_dir)
    monkeypatch.setenv("WMOE_DATA_DIR", str(tmp_path))
    assert shipped_suites() == [
        "case-study",
        "channel-aware",
        "quick",
        "reception-v1",
        "satellite-replication",
        "standard",
    ]
    for name in shipped_suites():
        suite = load_suite(name)
        cells = expand_cells(suite)
        assert len({cell.key for cell in cells}) == len(cells), name
    standard = load_suite("standard")
    assert len(standard.seeds.train) >= 5
    assert {env.env_id for env in standard.envs} == {
        "wmoe/MultiBSReception-v0",
        "wmoe/ChannelAwareClassification-v0",
        "wmoe/ExpertRouting-v0",
        "wmoe/SatelliteBeamforming-v0",
        "wmoe/SatelliteBeamforming-v1",
        "wmoe/MultiAccess-v1",
    }
    assert standard.env("wmoe/SatelliteBeamforming-v1").reference == "wmmse_search"
    # The replication trains on fresh seeds and plays fresh test episodes (PROTOCOL.md).
    replication = load_suite("satellite-replication").seeds
    assert not set(replication.train) & set(standard.seeds.train)
    fresh = range(replication.test_first, replication.test_first + replication.test_episodes)
    used = range(
        standard.seeds.test_first, standard.seeds.test_first + standard.seeds.test_episodes
    )
    assert not set(fresh) & set(used)


def _with(data: dict[str, Any], path: list[Any], value: Any) -> str:
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return yaml.safe_dump(data)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ["envs"],
            {"wmoe/Nope-v0": {"reference": "x"}},
            "unknown env 'wmoe/Nope-v0'; valid: wmoe/",
        ),
        (["agents", 0, "algo"], "ppo3", "agents[0]: unknown algorithm 'ppo3'; valid: a2c, ppo"),
        (["agents", 0, "presets"], ["mlp", "moe-top9"], "unknown network preset 'moe-top9'"),
        (["agents", 0, "budget"], 3, "agents[0]: unknown key(s) ['budget']; valid: algo,"),
        (["training", "steps"], 3, "training: unknown key(s) ['steps']; valid: n_timesteps"),
        (["colour"], "red", "unknown key(s) ['colour']; valid: name, description"),
        (
            ["envs", "wmoe/MultiBSReception-v0", "reference"],
            "genie",
            "unknown reference 'genie'; valid: strongest_n, best_sinr_n, nearest_n, "
            "nearest_n_fixed, knn_oracle, oracle, best",
        ),
        (["agents", 0, "envs"], ["wmoe/MultiAccess-v0"], "not in the suite's envs; valid:"),
        (["matched_plain"], "moe-top1", "matched_plain 'moe-top1' is an MoE"),
        (["seeds", "train"], [], "train is empty"),
    ],
)
def test_malformed_suites_name_the_place_and_the_choices(
    path: list[Any], value: Any, message: str
) -> None:
    text = _with(tiny_suite_data({}), path, value)
    with pytest.raises(SuiteError) as error:
        parse_suite(text, "test.yml")
    assert message in str(error.value)


def test_an_algorithm_that_cannot_act_is_named_with_its_cell(
    reception_config: dict[str, Any],
) -> None:
    data = tiny_suite_data(reception_config)
    data["agents"][0]["algo"] = "sac"  # sac.yml asks for the continuous form; the suite not
    data["agents"][0]["hyperparams"] = {}
    data["envs"]["wmoe/MultiBSReception-v0"]["env_kwargs"]["config"]["action_type"] = "discrete"
    suite = parse_suite(yaml.safe_dump(data))
    with pytest.raises(SuiteError) as error:
        check_cells(suite, expand_cells(suite))
    text = str(error.value)
    assert "cell MultiBSReception-v0/default/sac/mlp-matched/seed0" in text
    assert "sac needs a Box action space" in text
    assert "algorithms that can act in Discrete(" in text and "ppo, ppo_mask, dqn" in text


def test_overlapping_seed_splits_are_rejected(reception_config: dict[str, Any]) -> None:
    data = tiny_suite_data(reception_config)
    data["seeds"]["test"]["first"] = 1  # training envs use seeds 0..1 and 1..2
    suite = parse_suite(yaml.safe_dump(data))
    with pytest.raises(SuiteError, match="training env seeds and test seeds overlap at \\[1, 2\\]"):
        check_cells(suite, expand_cells(suite))


def test_unknown_suite_name_lists_the_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="shipped suites: case-study, channel-aware, quick"):
        load_suite("nope")
    with pytest.raises(FileNotFoundError):
        load_suite(tmp_path / "missing.yml")


def test_a_cell_key_follows_what_its_preset_and_hyperparameters_mean(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dataclasses import replace

    from wmoe.moe_policies import presets

    cell = next(c for c in expand_cells(load_suite("quick")) if c.preset == "moe-top2")
    before = cell.key
    assert cell.key == before  # stable
    widened = replace(presets.PRESETS["moe-top2"], experts=(128, 64))
    monkeypatch.setitem(presets.PRESETS, "moe-top2", widened)
    assert cell.key != before


def test_each_moe_preset_is_compared_with_its_own_size_when_the_suite_runs_it() -> None:
    from wmoe.benchmarks.leaderboard import matched_plain_for

    presets = ("mlp-matched", "moe-top2", "moe-soft", "mlp-matched-soft")
    assert matched_plain_for("moe-soft", presets, "mlp-matched") == "mlp-matched-soft"
    assert matched_plain_for("moe-top2", presets, "mlp-matched") == "mlp-matched"
    assert matched_plain_for("moe-soft", presets[:3], "mlp-matched") == "mlp-matched"
