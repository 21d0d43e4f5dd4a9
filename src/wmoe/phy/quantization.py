"""Uniform scalar quantisation of features to ``num_bits``-bit levels and back.

``q = round((z - z_min) (2^b - 1) / (z_max - z_min))`` maps ``[z_min, z_max]`` onto the integer
levels ``0 .. 2^b - 1`` (eq. 10 of Song et al.), and
``z_rec = q (z_max - z_min) / (2^b - 1) + z_min`` maps them back (eq. 11). For ``z`` inside the
range the reconstruction error is at most half a step, ``(z_max - z_min) / (2 (2^b - 1))``.
``round`` is NumPy's round-half-to-even.

Source: Q. Song, S. Jing, S. Zhang, S. Zhang and C. Huang, "Mixture-of-Experts for Distributed
Edge Computing with Channel-Aware Gating Function", arXiv preprint, Sec. IV-A2, eq. (10)-(11).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

MAX_QUANTIZATION_BITS = 16


def _check_num_bits(num_bits: int) -> int:
    """Return ``num_bits`` after checking it is an int in ``[1, MAX_QUANTIZATION_BITS]``."""
    if not (isinstance(num_bits, int | np.integer) and 1 <= num_bits <= MAX_QUANTIZATION_BITS):
        raise ValueError(
            f"num_bits must be an int in [1, {MAX_QUANTIZATION_BITS}], got {num_bits!r}; "
            "pass e.g. 8 for the paper's 8-bit quantiser."
        )
    return int(num_bits)


def _check_range(
    z_min: float | NDArray[Any], z_max: float | NDArray[Any]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the range as float64 after checking ``z_min < z_max`` everywhere, both finite."""
    low = np.asarray(z_min, dtype=np.float64)
    high = np.asarray(z_max, dtype=np.float64)
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and np.all(high > low)):
        raise ValueError(
            f"the quantiser range needs finite z_min < z_max, got z_min={z_min!r} and "
            f"z_max={z_max!r}; pass the smallest and largest feature value (e.g. over the "
            "training features)."
        )
    return low, high


def quantization_step(
    z_min: float | NDArray[Any], z_max: float | NDArray[Any], num_bits: int = 8
) -> NDArray[np.float64]:
    """Step between adjacent levels, ``(z_max - z_min) / (2^b - 1)``.

    Source: Song et al., eq. (10)-(11) (see the module docstring).

    Args:
        z_min: Lower end of the range [feature unit]; a float or an array.
        z_max: Upper end of the range [feature unit], ``> z_min``; broadcastable with ``z_min``.
        num_bits: Bits per level ``b``, in ``[1, 16]``.

    Returns:
        The step [feature unit], float64, the broadcast shape of ``z_min`` and ``z_max``.

    Raises:
        ValueError: If ``num_bits`` is out of range or ``z_min >= z_max`` somewhere.
    """
    bits = _check_num_bits(num_bits)
    low, high = _check_range(z_min, z_max)
    return (high - low) / float(2**bits - 1)


def quantize(
    z: NDArray[Any],
    z_min: float | NDArray[Any],
    z_max: float | NDArray[Any],
    num_bits: int = 8,
    clip: bool = False,
) -> NDArray[np.int64]:
    """Quantise features to integer levels, ``round((z - z_min) (2^b - 1) / (z_max - z_min))``.

    Source: Song et al., eq. (10) (see the module docstring).

    Args:
        z: Features [feature unit], real, any shape.
        z_min: Lower end of the range [feature unit]; a float or an array broadcastable with
            ``z`` (e.g. one value per feature dimension).
        z_max: Upper end of the range [feature unit], ``> z_min``; broadcastable with ``z``.
        num_bits: Bits per level ``b``, in ``[1, 16]``.
        clip: If ``True``, features outside ``[z_min, z_max]`` saturate at the end levels (as
            an ADC does); if ``False`` they raise.

    Returns:
        Levels in ``[0, 2^b - 1]``, int64, the broadcast shape of ``z`` and the range.

    Raises:
        ValueError: If ``z`` is not finite, the range or ``num_bits`` is invalid, or (with
            ``clip=False``) a feature lies outside ``[z_min, z_max]``.
    """
    bits = _check_num_bits(num_bits)
    low, high = _check_range(z_min, z_max)
    features = np.asarray(z, dtype=np.float64)
    if not np.all(np.isfinite(features)):
        raise ValueError("z must be finite, got NaN or inf entries; check the feature extractor.")
    outside = (features < low) | (features > high)
    if not clip and np.any(outside):
        value = float(np.broadcast_to(features, outside.shape)[outside].flat[0])
        raise ValueError(
            f"z has a value {value!r} outside the quantiser range [z_min, z_max]; widen the "
            "range (e.g. to the minimum and maximum of the features) or pass clip=True to "
            "saturate."
        )
    top = 2**bits - 1
    levels = np.rint((features - low) * (top / (high - low)))
    return np.clip(levels, 0, top).astype(np.int64)


def dequantize(
    levels: NDArray[Any],
    z_min: float | NDArray[Any],
    z_max: float | NDArray[Any],
    num_bits: int = 8,
) -> NDArray[np.float64]:
    """Reconstruct features from levels, ``q (z_max - z_min) / (2^b - 1) + z_min``.

    Source: Song et al., eq. (11) (see the module docstring).

    Args:
        levels: Integer levels in ``[0, 2^b - 1]``, any shape.
        z_min: Lower end of the range used by :func:`quantize` [feature unit].
        z_max: Upper end of the range used by :func:`quantize` [feature unit].
        num_bits: Bits per level ``b`` used by :func:`quantize`.

    Returns:
        Features [feature unit], float64, the broadcast shape of ``levels`` and the range.

    Raises:
        ValueError: If ``levels`` are not integers in ``[0, 2^b - 1]`` or the range or
            ``num_bits`` is invalid.
    """
    step = quantization_step(z_min, z_max, num_bits)
    values = np.asarray(levels)
    top = 2**num_bits - 1
    if values.dtype.kind not in "iu" or (values.size and (values.min() < 0 or values.max() > top)):
        raise ValueError(
            f"levels must be integers in [0, {top}], got dtype {values.dtype} with range "
            f"[{values.min() if values.size else None}, {values.max() if values.size else None}]; "
            "pass the output of quantize with the same num_bits."
        )
    return values * step + np.asarray(z_min, dtype=np.float64)
