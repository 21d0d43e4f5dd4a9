"""The ``wmoe`` console script, run through a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from cli_process import run

from wmoe.cli import parse_key_values
from wmoe.envs.multi_bs_reception.baselines import BASELINES as RECEPTION_BASELINES


def test_envs_lists_registered_ids(tmp_path):
    result = run("envs", env_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wmoe/MultiBSReception-v0" in result.stdout


def test_scenario_generate_writes_o1_geometry(tmp_path):
    scenarios = tmp_path / "scenarios"
    generated = run(
        "scenario",
        "generate",
        "--layout",
        "o1-geometry",
        "--scenarios-dir",
        str(scenarios),
        "--row-stride",
        "400",
        "--user-stride",
        "90",
        env_dir=tmp_path,
    )
    assert generated.returncode == 0, generated.stderr
    assert "(O1's published geometry)" in generated.stdout
    info = run(
        "scenario",
        "info",
        "--scenarios-dir",
        str(scenarios),
        "--name",
        "o1_geometry_3p5",
        env_dir=tmp_path,
    )
    assert info.returncode == 0, info.stderr
    assert "per RX set 2:" in info.stdout and ", 4:" in info.stdout  # UG1, UG2, UG3


def test_scenario_generate_info_and_baselines(tmp_path):
    scenarios = tmp_path / "scenarios"
    generated = run(
        "scenario",
        "generate",
        "--scenarios-dir",
        str(scenarios),
        "--row-stride",
        "120",
        "--user-stride",
        "90",
        env_dir=tmp_path,
    )
    assert generated.returncode == 0, generated.stderr
    assert "SYNTHETIC" in generated.stdout
    assert (scenarios / "o1_synthetic_3p5" / "params.json").is_file()

    again = run("scenario", "generate", "--scenarios-dir", str(scenarios), env_dir=tmp_path)
    assert again.returncode == 2
    assert "--overwrite" in again.stderr

    info = run("scenario", "info", "--scenarios-dir", str(scenarios), env_dir=tmp_path)
    assert info.returncode == 0, info.stderr
    assert "18" in info.stdout and "SYNTHETIC" in info.stdout

    baselines = run(
        "baselines",
        "--num-users",
        "5",
        "--env-kwargs",
        f"scenarios_dir:{scenarios}",
        "num_cooperating_bs:2",
        env_dir=tmp_path,
    )
    assert baselines.returncode == 0, baselines.stderr
    for name in ("random", "strongest_n", "best_sinr_n", "oracle"):
        assert name in baselines.stdout


def test_bad_inputs_exit_with_clear_messages(tmp_path):
    missing = run(
        "scenario", "info", "--scenarios-dir", str(tmp_path / "nowhere"), env_dir=tmp_path
    )
    assert missing.returncode == 2
    assert str(tmp_path / "nowhere" / "o1_synthetic_3p5") in missing.stderr

    unknown = run("baselines", "--env-kwargs", "no_such_key:1", env_dir=tmp_path)
    assert unknown.returncode == 2
    assert "unknown config key 'no_such_key'" in unknown.stderr

    malformed = run("baselines", "--env-kwargs", "oops", env_dir=tmp_path)
    assert malformed.returncode == 2
    assert "expected key:value" in malformed.stderr


def test_parse_key_values_is_safe_and_nested():
    parsed = parse_key_values(["a:3", "b.c:[1, 2]", "d:hello"])
    assert parsed == {"a": 3, "b": {"c": [1, 2]}, "d": "hello"}
    with pytest.raises(ValueError, match="not valid YAML"):
        parse_key_values(["e:!!python/object/apply:os.system ['true']"])


def test_train_then_evaluate_through_the_console_script(tmp_path, reception_config):
    env_kwargs = [f"config.{key}:{value}" for key, value in reception_config.items()]
    common = ["--algo", "ppo", "--env", "wmoe/MultiBSReception-v0", "-f", str(tmp_path / "logs")]
    trained = run(
        "train",
        *common,
        "--policy",
        "moe-top1",
        "-n",
        "256",
        "--env-kwargs",
        *env_kwargs,
        "config.episode_length:8",
        "--hyperparams",
        "n_envs:2",
        "n_steps:64",
        "batch_size:64",
        "--eval-freq",
        "128",
        "--eval-episodes",
        "1",
        "--verbose",
        "1",
        env_dir=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    assert "moe/" in trained.stdout and "train/" in trained.stdout
    assert "wmoe-MultiBSReception-v0_1" in trained.stdout

    evaluated = run("evaluate", *common, "--n-episodes", "2", "--seed", "3", env_dir=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    rows = {line.split()[0]: line.split()[1:] for line in evaluated.stdout.splitlines()[3:]}
    assert set(rows) == {"agent", *RECEPTION_BASELINES}
    assert float(rows["oracle"][0]) >= float(rows["strongest_n"][0])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--algo", "ppo3", "--env", "wmoe/MultiBSReception-v0"], "valid: a2c, ppo"),
        (["train", "--algo", "ppo", "--env", "Nope-v9"], "wmoe environments: wmoe/"),
        (
            ["train", "--algo", "ppo", "--env", "wmoe/MultiBSReception-v0", "--policy", "x"],
            "unknown network preset 'x'; valid: mlp, mlp-deep, moe-dense",
        ),
        (
            ["train", "--algo", "dqn", "--env", "wmoe/MultiBSReception-v0", "-params", "lr:1"],
            "unknown hyperparameter(s) ['lr'] for dqn; valid:",
        ),
        (
            ["evaluate", "--algo", "ppo", "--env", "wmoe/MultiBSReception-v0", "-f", "nowhere"],
            "no ppo run on wmoe/MultiBSReception-v0",
        ),
    ],
)
def test_train_and_evaluate_reject_bad_input(tmp_path, args, message):
    result = run(*args, env_dir=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


def test_reproduce_channel_aware_writes_the_table(tmp_path):
    result = run(
        "reproduce",
        "channel-aware",
        "--dataset",
        "digits",
        "--backbones",
        "lenet5",
        "--experts",
        "4",
        "--stage1-epochs",
        "3",
        "--stage2-epochs",
        "2",
        "--output",
        str(tmp_path / "out"),
        env_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    table = (tmp_path / "out" / "table2_digits.md").read_text()
    for line in ("| analog | lenet5 | digits |", "| digital | lenet5 | digits |"):
        assert line in table and line in result.stdout
    assert "Command: `wmoe reproduce channel-aware --dataset digits" in table


def test_reproduce_reports_a_missing_dataset(tmp_path):
    result = run(
        "reproduce",
        "channel-aware",
        "--dataset",
        "cifar10",
        "--data-root",
        str(tmp_path),
        env_dir=tmp_path,
    )
    assert result.returncode == 2
    assert "cifar" in result.stderr.lower() and str(tmp_path) in result.stderr


def test_reproduce_case_study_writes_curves_table_and_plot(tmp_path, reception_config):
    env_config = [f"{key}:{value}" for key, value in reception_config.items()]
    result = run(
        "reproduce",
        "case-study",
        "--networks",
        "table7-moe-top1",
        "table7-baseline",
        "--seeds",
        "0",
        "1",
        "-n",
        "600",
        "--curve-window",
        "100",
        "--eval-episodes",
        "1",
        "--env-config",
        *env_config,
        "episode_length:8",
        "--output",
        str(tmp_path / "out"),
        env_dir=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = (tmp_path / "out" / "case_study.md").read_text()
    for label in ("Top-1 MoE (`table7-moe-top1`)", "Baseline (`table7-baseline`)"):
        assert label in report and label in result.stdout
    assert "baseline: strongest_n" in report
    assert "Command: `wmoe reproduce case-study --networks table7-moe-top1" in report
    assert "![table7-moe-top1](expert_map_table7-moe-top1_seed0.png)" in report
    expert_map = tmp_path / "out" / "expert_map_table7-moe-top1_seed0.png"
    assert expert_map.read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "out" / "expert_map_table7-baseline_seed0.png").exists()
    decisions = report.split("## What the policies decide")[1]
    assert "set = oracle's" in decisions and "| Top-1 MoE (`table7-moe-top1`) |" in decisions
    assert "rate / expert codeword's" in decisions
    rows = (tmp_path / "out" / "curves.csv").read_text().splitlines()
    assert rows[0] == "network,seed,env_steps,mean_reward_per_step"
    assert len(rows) == 1 + 2 * 2 * 6  # networks x seeds x (600 / 100) windows
    assert (tmp_path / "out" / "case_study.png").read_bytes().startswith(b"\x89PNG")


def test_reproduce_case_study_rejects_an_unknown_network(tmp_path):
    result = run("reproduce", "case-study", "--networks", "nope", env_dir=tmp_path)
    assert result.returncode == 2
    assert "unknown network preset 'nope'" in result.stderr


def test_envs_describe_prints_the_schema_table(tmp_path):
    result = run("envs", "--describe", "wmoe/MultiBSReception-v0", env_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split()[:5] == ["key", "default", "type", "unit", "valid"]
    row = next(line for line in rows if line.startswith("tx_power_dbm "))
    assert row.split()[1:5] == ["23.0", "float", "dBm", "[-40,"]
    markdown = run("envs", "--describe", "wmoe/MultiAccess-v0", "--markdown", env_dir=tmp_path)
    assert markdown.stdout.startswith("| key | default | type | unit | valid | meaning |")
    unknown = run("envs", "--describe", "wmoe/Nope-v0", env_dir=tmp_path)
    assert unknown.returncode == 2
    assert "unknown env 'wmoe/Nope-v0'; the suite's envs are: wmoe/" in unknown.stderr


def test_bad_env_config_is_a_clear_error_not_a_traceback(tmp_path):
    result = run(
        "train",
        "--algo",
        "ppo",
        "--env",
        "wmoe/MultiAccess-v0",
        "-f",
        str(tmp_path / "logs"),
        "--env-kwargs",
        "config.alpha:.nan",
        env_dir=tmp_path,
    )
    assert result.returncode == 2
    assert "wmoe: error: config['alpha']=nan is invalid" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_during_train_checkpoints_and_exits_cleanly(tmp_path, reception_config):
    env_kwargs = [f"config.{key}:{value}" for key, value in reception_config.items()]
    logs = tmp_path / "logs"
    process = subprocess.Popen(
        [sys.executable, "-m", "wmoe.cli", "train", "--algo", "ppo"]
        + ["--env", "wmoe/MultiBSReception-v0", "-f", str(logs), "-n", "10000000"]
        + ["--eval-freq", "-1", "--save-freq", "-1", "--env-kwargs", *env_kwargs]
        + ["--hyperparams", "n_envs:2", "n_steps:32", "batch_size:32"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "WMOE_DATA_DIR": str(tmp_path)},
    )
    progress = logs / "ppo" / "wmoe-MultiBSReception-v0_1" / "log" / "0" / "progress.csv"
    deadline = time.monotonic() + 240
    while not (progress.is_file() and progress.stat().st_size > 0):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "training never wrote its first log row"
        time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "resume with: wmoe train --algo ppo" in stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert list((logs / "ppo" / "wmoe-MultiBSReception-v0_1").glob("rl_model_*_steps.zip"))
