"""Config schema of ``wmoe/ExpertRouting-v0``: every key with its default, unit and range."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from wmoe.config import Int, Number, setting
from wmoe.envs.channel_aware_classification.config import SystemSettings


class RoutingConfig(SystemSettings):
    """Config of the expert-routing env; the system keys are those of the classification env.

    The defaults: Poisson arrivals every 2 ms on average; K = 8 devices of the default speeds
    serve ~1,400 tasks/s in all, so the load is ~35 % if spread evenly, while even the fastest
    device (~460 tasks/s) cannot serve every task alone.
    """

    arrival_rate_hz: Number = setting(
        500.0, "Poisson task arrival rate", unit="1/s", ge=1e-4, le=1e9
    )
    snr_mean_db: Number = setting(
        15.0,
        "mean of each device's average SNR, drawn per episode (about one link in six is "
        "below 5 dB by default)",
        unit="dB",
        ge=-50.0,
        le=100.0,
    )
    snr_std_db: Number = setting(
        10.0, "standard deviation of the devices' average SNR", unit="dB", ge=0.0, le=100.0
    )
    doppler_hz: Number = setting(
        10.0,
        "maximum Doppler shift of every link (10 Hz: 5.4 km/h at 2 GHz; coherence time "
        "0.423 / f_D = 42 ms, about 20 tasks)",
        unit="Hz",
        ge=0.0,
        le=10_000.0,
    )
    bandwidth_hz: Number = setting(
        200e3,
        "band of each device's link (NB-IoT-like: a LeNet-5 feature takes ~1 ms at 15 dB)",
        unit="Hz",
        ge=1e3,
        le=1e9,
    )
    min_spectral_efficiency_bps_hz: Number = setting(
        0.1523,
        "lowest rate of link adaptation, LTE CQI 1 (3GPP TS 36.213 Table 7.2.3-1); 0 removes "
        "the floor (pure Shannon rate)",
        unit="bit/s/Hz",
        ge=0.0,
        le=10.0,
    )
    tx_power_w: Number = setting(
        1.0, "server transmit power (prices the energy only)", unit="W", ge=0.0, le=1000.0
    )
    compute_speed_range_flops: list[Annotated[Number, Field(ge=1e3, le=1e15)]] = setting(
        [1e6, 1e7],
        "device compute speeds, log-uniform in [low, high] per device and episode (a LeNet-5 "
        "expert's 21,840 FLOPs take 2.2 to 22 ms)",
        unit="FLOP/s",
        min_length=2,
        max_length=2,
    )
    latency_weight_per_s: Number = setting(
        10.0, "reward lost per second of latency", unit="1/s", ge=0.0, le=1e6
    )
    energy_weight_per_j: Number = setting(
        10.0, "reward lost per joule of transmit energy", unit="1/J", ge=0.0, le=1e9
    )
    drop_penalty: Number = setting(
        1.0, "a dropped task's reward is -drop_penalty", unit="reward", ge=0.0, le=1e3
    )
    action_type: Literal["discrete", "continuous"] = setting(
        "discrete",
        "'discrete': the device index, K drops; 'continuous': K + 1 scores in [-1, 1], argmax",
    )
    episode_length: Int = setting(
        200,
        "tasks before truncation (0.4 s of arrivals at 500 Hz)",
        unit="steps",
        ge=1,
        le=1_000_000,
    )

    @model_validator(mode="after")
    def _speed_range(self) -> RoutingConfig:
        low, high = self.compute_speed_range_flops
        if not low <= high:
            raise ValueError(
                f"compute_speed_range_flops={[low, high]} must be [low, high] in FLOP/s with "
                "low <= high, e.g. [1e6, 1e7]"
            )
        return self
