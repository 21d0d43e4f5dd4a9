"""Simulated links between the server and the experts (paper Sec. II-B and IV-A).

Every sample gets ``K`` independent flat Rayleigh links, one per expert, with the per-link
SNR in dB drawn from ``N(30, 50^2)``; the effective noise std ``sigma~_k`` of each
equalised analog link follows from the SNR, the gain and the features' power (eq. 6). A
digital link carries the same feature quantised to 8 bits, Huffman- and convolutionally
coded, as 16-QAM over the same fading gain at the same SNR
(:func:`wmoe.phy.digital_link.transmit_features`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from wmoe.phy.analog_link import draw_link_snrs_db, effective_noise_std
from wmoe.phy.digital_link import transmit_features
from wmoe.phy.fading import rayleigh_gains

LINK_KINDS = ("analog", "digital")


@dataclass(frozen=True)
class LinkStatistics:
    """The simulated links' SNR distribution (paper Sec. IV-A).

    Attributes:
        snr_mean_db: Mean per-link SNR [dB].
        snr_std_db: Standard deviation of the per-link SNR [dB].
    """

    snr_mean_db: float = 30.0
    snr_std_db: float = 50.0


@dataclass(frozen=True)
class DrawnLinks:
    """Per-sample, per-expert links ``(B, K)``.

    Attributes:
        snr_db: Average SNR per feature entry [dB].
        amplitude: Fading gain amplitude ``|h|``.
        sigma: Effective noise std ``sigma~`` of the equalised analog link [feature unit].
    """

    snr_db: NDArray[np.float64]
    amplitude: NDArray[np.float64]
    sigma: Tensor


def draw_link_gains(
    shape: tuple[int, int], links: LinkStatistics, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The random part of :func:`draw_links`: SNRs [dB] first, then Rayleigh amplitudes."""
    snr_db = draw_link_snrs_db(rng, shape, links.snr_mean_db, links.snr_std_db)
    amplitude = np.abs(rayleigh_gains(rng, shape))
    return snr_db, amplitude


def links_from_gains(
    snr_db: NDArray[np.float64], amplitude: NDArray[np.float64], feature_power: float
) -> DrawnLinks:
    """The links of drawn SNRs and amplitudes ``(B, K)``, with their effective noise std."""
    sigma = effective_noise_std(snr_db, amplitude, feature_power)
    return DrawnLinks(snr_db, amplitude, torch.as_tensor(sigma, dtype=torch.float32))


def draw_links(
    shape: tuple[int, int],
    links: LinkStatistics,
    feature_power: float,
    rng: np.random.Generator,
) -> DrawnLinks:
    """Independent Rayleigh links of shape ``(B, K)``: SNRs first, then gains.

    Args:
        shape: ``(B, K)``.
        links: SNR distribution.
        feature_power: Mean-square feature entry ``E[z_i^2]``.
        rng: Source of randomness.
    """
    return links_from_gains(*draw_link_gains(shape, links, rng), feature_power)


def analog_received(z: Tensor, sigma: Tensor, noise: Tensor) -> Tensor:
    """Received features ``z + sigma~_k n`` (eq. 6), ``(B, K, d)``.

    Args:
        z: Features ``(B, d)``.
        sigma: Effective noise std of each link ``(B, K)``.
        noise: Standard normal noise ``(B, K, d)``.
    """
    return z.unsqueeze(1) + sigma.unsqueeze(-1) * noise


def standard_noise(sigma: Tensor, dim: int, generator: torch.Generator) -> Tensor:
    """Standard normal noise ``(B, K, dim)`` for the links ``sigma`` ``(B, K)``."""
    return torch.randn(*sigma.shape, dim, generator=generator)


def digital_received(
    z: Tensor,
    drawn: DrawnLinks,
    feature_range: tuple[float, float],
    level_counts: NDArray[np.int64],
    rng: np.random.Generator,
) -> Tensor:
    """What ``K`` digital links deliver, ``(B, K, d)``, for features ``z`` ``(B, d)``.

    Args:
        z: Features.
        drawn: The links (their SNR as ``E_s / N_0`` per 16-QAM symbol, and their gains).
        feature_range: Quantiser range ``(z_min, z_max)``; entries outside are saturated.
        level_counts: Histogram of quantised levels the Huffman code is built for.
        rng: Source of the channel noise.
    """
    received = transmit_features(
        z.numpy()[:, None, :],
        drawn.snr_db,
        rng,
        channel_gains=drawn.amplitude,
        z_min=feature_range[0],
        z_max=feature_range[1],
        symbol_counts=level_counts,
        clip=True,
    )
    return torch.as_tensor(received, dtype=torch.float32)
