"""Per-preset sections of a hyperparameter entry (``presets:``), as ``wmoe tune`` writes them."""

from __future__ import annotations

from wmoe.agents.hyperparams import PRESET_SECTIONS, load_defaults
from wmoe.agents.registry import get_algorithm
from wmoe.agents.train import TrainArgs, resolve_hyperparameters

ENV_ID = "wmoe/MultiBSReception-v0"


def test_a_preset_with_a_section_gets_its_values_and_the_others_the_entry() -> None:
    ppo = get_algorithm("ppo")
    plain, _ = load_defaults(ppo, ENV_ID)
    tuned, _ = load_defaults(ppo, ENV_ID, "moe-top2")
    untuned, _ = load_defaults(ppo, ENV_ID, "mlp-deep")
    assert PRESET_SECTIONS not in plain and PRESET_SECTIONS not in tuned
    assert (plain["batch_size"], plain["n_steps"]) == (512, 256)  # the file's entry
    assert (tuned["batch_size"], tuned["gae_lambda"], tuned["n_steps"]) == (32, 0.9, 256)
    assert untuned == plain  # no section: the entry as it is
    assert tuned["policy"] == plain["policy"] == "mlp"  # the caller sets the preset it runs


def test_training_resolves_the_section_of_the_chosen_preset_under_the_command_line() -> None:
    ppo = get_algorithm("ppo")
    args = TrainArgs(algo="ppo", env=ENV_ID, policy="moe-top2", hyperparams={"n_epochs": 3})
    resolved = resolve_hyperparameters(args, ppo)
    assert (resolved["policy"], resolved["batch_size"], resolved["n_epochs"]) == ("moe-top2", 32, 3)
    default = resolve_hyperparameters(TrainArgs(algo="ppo", env=ENV_ID), ppo)
    assert (default["policy"], default["batch_size"]) == ("mlp", 512)
