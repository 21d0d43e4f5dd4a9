"""Analog feature links of a distributed Mixture-of-Experts over flat fading channels.

Model (eq. 5-6 of Song et al., see Source below): the server sends the feature vector ``z`` (real,
length ``d``) to expert ``k`` over a flat fading link,

``y_k = h_k p z + n_k``,  ``n_k ~ N(0, sigma_k^2 I_d)``,

and the expert equalises with its known channel, ``z~_k = y_k / (p h_k) = z + sigma~_k n``
with ``n ~ N(0, I_d)`` and the *effective noise std* ``sigma~_k = sigma_k / (p |h_k|)``.

Conventions used here:

* **Real-valued noise.** As in the paper, ``z``, ``n_k`` and hence ``z~_k`` are real; with a
  complex gain the expert multiplies by ``conj(h_k) / |h_k|`` first, and ``sigma_k^2`` is the
  noise power in that real dimension.
* **Feature power.** ``P_z = E[z_i^2]`` is the mean-square value of one feature entry; it is a
  parameter (``feature_power``, default 1 for unit-power features). Pass the mean of ``z**2``
  over the training features to use the data's own power.
* **SNR.** The per-link SNR is the average received signal-to-noise ratio per feature entry
  *before* fading, ``SNR_k = p^2 P_z / sigma_k^2``; with ``E[|h_k|^2] = 1`` it is also the mean
  of the instantaneous SNR ``|h_k|^2 SNR_k``. Hence
  ``sigma~_k = sqrt(P_z / SNR_k) / |h_k|``, and the power scale ``p`` and noise std
  ``sigma_k`` enter only through ``SNR_k``.

Source: Q. Song, S. Jing, S. Zhang, S. Zhang and C. Huang, "Mixture-of-Experts for Distributed
Edge Computing with Channel-Aware Gating Function", arXiv preprint, Sec. II-B (eq. 5-6) and
Sec. IV-A (the SNR distribution); cited below as Song et al.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from wmoe.phy.fading import rayleigh_gains


def _positive_finite(value: float | NDArray[Any], name: str, hint: str) -> NDArray[np.float64]:
    """Return ``value`` as float64 after checking every entry is finite and ``> 0``."""
    array = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(array) & (array > 0.0)):
        bad = array[~(np.isfinite(array) & (array > 0.0))].flat[0]
        raise ValueError(f"{name} must be finite and > 0, got {float(bad)!r}; {hint}")
    return array


def effective_noise_std(
    snr_db: float | NDArray[Any],
    channel_amplitude: float | NDArray[Any],
    feature_power: float | NDArray[Any] = 1.0,
) -> NDArray[np.float64]:
    """Effective noise std of an equalised analog link, ``sigma~ = sqrt(P_z / SNR) / |h|``.

    Equals ``sigma / (p |h|)`` of eq. (6) in Song et al. with ``SNR = p^2 P_z / sigma^2``
    per feature entry (see the module docstring).

    Args:
        snr_db: Average per-link SNR ``p^2 P_z / sigma^2`` [dB], finite; any shape.
        channel_amplitude: Fading amplitude ``|h|`` [dimensionless], ``> 0``; broadcastable
            with ``snr_db`` (e.g. ``np.abs(rayleigh_gains(rng, shape))``).
        feature_power: Mean-square feature entry ``P_z = E[z_i^2]`` [feature unit^2], ``> 0``;
            broadcastable with ``snr_db``.

    Returns:
        ``sigma~`` [feature unit], float64, the broadcast shape of the inputs.

    Raises:
        ValueError: If ``snr_db`` is not finite or ``channel_amplitude`` or ``feature_power``
            is not positive and finite.
    """
    snr = np.asarray(snr_db, dtype=np.float64)
    if not np.all(np.isfinite(snr)):
        raise ValueError(
            f"snr_db must be finite, got {snr_db!r}; pass the per-link SNR in dB, e.g. "
            "draw_link_snrs_db(rng, shape)."
        )
    amplitude = _positive_finite(
        channel_amplitude, "channel_amplitude", "pass |h|, e.g. np.abs(rayleigh_gains(...))."
    )
    power = _positive_finite(
        feature_power, "feature_power", "pass the mean of z**2 over a feature entry, e.g. 1.0."
    )
    return np.sqrt(power * np.power(10.0, -snr / 10.0)) / amplitude


def apply_analog_link(
    z: NDArray[Any], noise_std: float | NDArray[Any], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Received features of equalised analog links, ``z~ = z + sigma~ n`` with ``n ~ N(0, I)``.

    The noise is real-valued and independent across entries, vectors and links (eq. 6 of Song
    et al. 2025).

    Args:
        z: Features [feature unit], real, shape ``(..., d)``.
        noise_std: Effective noise std ``sigma~`` per link [feature unit], ``>= 0`` (``0`` is a
            perfect link), shape broadcastable with ``z.shape[:-1]``: e.g. ``z`` of shape
            ``(B, 1, d)`` and ``noise_std`` of shape ``(B, K)`` send each vector over ``K``
            links.
        rng: Source of randomness.

    Returns:
        ``z~``, float64, shape ``(*broadcast(z.shape[:-1], noise_std.shape), d)``.

    Raises:
        ValueError: If ``z`` is complex, not finite or has no feature axis, or ``noise_std`` is
            negative, not finite or does not broadcast.
    """
    features = np.asarray(z)
    if features.ndim < 1 or np.iscomplexobj(features):
        raise ValueError(
            f"z must be a real array of shape (..., d), got dtype {features.dtype} and shape "
            f"{features.shape}; pass the real feature vectors, one per row."
        )
    features = features.astype(np.float64, copy=False)
    if not np.all(np.isfinite(features)):
        raise ValueError("z must be finite, got NaN or inf entries; check the feature extractor.")
    std = np.asarray(noise_std, dtype=np.float64)
    if not np.all(np.isfinite(std) & (std >= 0.0)):
        raise ValueError(
            f"noise_std must be finite and >= 0, got {noise_std!r}; compute it with "
            "effective_noise_std(snr_db, channel_amplitude)."
        )
    try:
        batch = np.broadcast_shapes(features.shape[:-1], std.shape)
    except ValueError as error:
        raise ValueError(
            f"noise_std of shape {std.shape} does not broadcast with the batch shape "
            f"{features.shape[:-1]} of z {features.shape}; add axes, e.g. z[:, None, :] for "
            "noise_std of shape (B, K)."
        ) from error
    shape = (*batch, features.shape[-1])
    return features + std[..., np.newaxis] * rng.standard_normal(shape)


def draw_link_snrs_db(
    rng: np.random.Generator,
    shape: int | tuple[int, ...],
    mean_db: float = 30.0,
    std_db: float = 50.0,
) -> NDArray[np.float64]:
    """Draw per-link SNRs in dB from a Gaussian, ``SNR_dB ~ N(mean_db, std_db^2)``.

    The defaults reproduce Song et al., Sec. IV-A, which draws the SNR in dB from
    "N(30, 2,500)". We read the second parameter as the *variance*, 2500 dB^2, i.e. a standard
    deviation of 50 dB (the usual ``N(mu, sigma^2)`` notation); it gives the gate a very wide
    range of link qualities, from hopeless to nearly perfect. No truncation is applied.

    Args:
        rng: Source of randomness.
        shape: Output shape, e.g. ``(batch, num_experts)``.
        mean_db: Mean SNR [dB], finite.
        std_db: Standard deviation of the SNR [dB], finite and ``>= 0``.

    Returns:
        SNRs [dB], float64, shape ``shape``.

    Raises:
        ValueError: If ``mean_db`` is not finite or ``std_db`` is negative or not finite.
    """
    if not np.isfinite(mean_db):
        raise ValueError(f"mean_db must be finite, got {mean_db!r}; pass e.g. 30.0.")
    if not (np.isfinite(std_db) and std_db >= 0.0):
        raise ValueError(
            f"std_db must be finite and >= 0, got {std_db!r}; pass a standard deviation in dB "
            "(50.0 for the paper's variance of 2500)."
        )
    return rng.normal(mean_db, std_db, size=shape)


def draw_effective_noise_std(
    rng: np.random.Generator,
    shape: int | tuple[int, ...],
    mean_db: float = 30.0,
    std_db: float = 50.0,
    feature_power: float | NDArray[Any] = 1.0,
) -> NDArray[np.float64]:
    """Draw ``sigma~`` of independent Rayleigh links with Gaussian SNRs in dB.

    ``SNR_dB ~ N(mean_db, std_db^2)`` (:func:`draw_link_snrs_db`), ``h ~ CN(0, 1)``
    (:func:`wmoe.phy.fading.rayleigh_gains`) and ``sigma~ = sqrt(P_z / SNR) / |h|``
    (:func:`effective_noise_std`): the simulated links of the second training stage of
    Song et al., Sec. III-B and IV-A.

    Args:
        rng: Source of randomness; the SNRs are drawn first, then the gains.
        shape: Output shape, e.g. ``(batch, num_experts)``.
        mean_db: Mean SNR [dB].
        std_db: Standard deviation of the SNR [dB], ``>= 0``.
        feature_power: Mean-square feature entry ``P_z`` [feature unit^2], ``> 0``.

    Returns:
        ``sigma~`` [feature unit], float64, shape ``shape``.

    Raises:
        ValueError: As :func:`draw_link_snrs_db` and :func:`effective_noise_std`.
    """
    snr_db = draw_link_snrs_db(rng, shape, mean_db, std_db)
    amplitude = np.abs(rayleigh_gains(rng, snr_db.shape))
    return effective_noise_std(snr_db, amplitude, feature_power)
