"""``wmoe evaluate --video/--expert-map`` and ``wmoe scenario plot``: the files they write."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import imageio.v2 as imageio
import matplotlib.image
import pytest

from wmoe.cli import main
from wmoe.envs.rendering import FRAME_SIZE_PX

ENV_ID = "wmoe/MultiBSReception-v0"
EPISODE_LENGTH = 4


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory, reception_config: dict[str, Any]):
    """A tiny PPO run with a top-1 MoE policy on the small scenario; its ``evaluate`` flags."""
    logs = tmp_path_factory.mktemp("video_logs")
    common = ["--algo", "ppo", "--env", ENV_ID, "-f", str(logs)]
    env_kwargs = [f"config.{key}:{value}" for key, value in reception_config.items()]
    status = main(
        [
            "train",
            *common,
            "--policy",
            "moe-top1",
            "-n",
            "64",
            "--env-kwargs",
            *env_kwargs,
            f"config.episode_length:{EPISODE_LENGTH}",
            "--hyperparams",
            "n_envs:1",
            "n_steps:64",
            "batch_size:32",
            "n_epochs:1",
            "--eval-freq",
            "1000",
            "--verbose",
            "0",
        ]
    )
    assert status == 0
    return common


def read_video(path: Path) -> list[Any]:
    reader = imageio.get_reader(path, "ffmpeg")
    try:
        return list(reader.iter_data())  # len(reader) is inf for an ffmpeg stream
    finally:
        reader.close()


def test_evaluate_records_playable_videos_and_draws_the_expert_map(trained_run, tmp_path, capsys):
    videos, expert_map = tmp_path / "videos", tmp_path / "experts.png"
    status = main(
        [
            "evaluate",
            *trained_run,
            "--n-episodes",
            "1",
            "--video",
            str(videos),
            "--video-baseline",
            "strongest_n",
            "--expert-map",
            str(expert_map),
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    for policy in ("agent", "strongest_n"):
        path = videos / policy / f"{policy}-episode-0.mp4"
        assert f"video {path}" in out
        frames = read_video(path)
        assert len(frames) == EPISODE_LENGTH + 1  # the reset frame, then one per step
        assert frames[0].shape == (FRAME_SIZE_PX[1], FRAME_SIZE_PX[0], 3)
    assert f"expert map {expert_map}" in out
    assert matplotlib.image.imread(expert_map).ndim == 3


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--video-baseline", "strongest_n"], "--video-baseline needs --video"),
        (["--video", "{tmp}", "--video-baseline", "nope"], "unknown baseline 'nope'.*oracle"),
    ],
)
def test_evaluate_rejects_bad_video_flags(trained_run, tmp_path, capsys, flags, message):
    flags = [flag.replace("{tmp}", str(tmp_path)) for flag in flags]
    assert main(["evaluate", *trained_run, "--n-episodes", "1", *flags]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_scenario_plot_writes_the_picture(small_scenarios_dir, tmp_path, capsys):
    output = tmp_path / "scenario.png"
    assert (
        main(["scenario", "plot", "--scenarios-dir", str(small_scenarios_dir), "-o", str(output)])
        == 0
    )
    assert f"written {output}" in capsys.readouterr().out
    image = matplotlib.image.imread(output)
    assert image.ndim == 3 and image.shape[1] > image.shape[0]
