"""Uplink (UE transmit) precoder codebooks.

Every codeword is stored as an ``(Nt, r_max)`` matrix whose first ``rank`` columns are the
precoder and whose remaining columns are zero, and every codeword has unit Frobenius norm, so
the UE's total transmit power is the same whatever codeword it picks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_CODEBOOK_NAMES = ("dft", "3gpp-2port")

_NORM_ATOL = 1e-9


@dataclass(frozen=True, eq=False)
class Codebook:
    """A set of precoders of possibly different ranks, zero-padded to a common width.

    Every codeword has unit Frobenius norm, so the UE's total transmit power is the same for
    every codeword. For the 3GPP tables this replaces the table's own scaling; in a 3GPP system
    the per-TPMI transmit power is set by the power control of TS 38.213 Sec. 7.1.

    The arrays are copied on construction and made read-only. Equality is identity: two
    codebooks with equal arrays are still different objects.

    Attributes:
        name: Name of the codebook, e.g. ``"dft"`` or ``"3gpp-2port"``.
        matrices: Codewords, shape ``(C, Nt, r_max)``; codeword ``c`` has ``ranks[c]`` columns
            followed by ``r_max - ranks[c]`` zero columns, and unit Frobenius norm.
        ranks: Number of layers (streams) of each codeword, shape ``(C,)``.
    """

    name: str
    matrices: NDArray[np.complex128]
    ranks: NDArray[np.int64]

    def __post_init__(self) -> None:
        """Validate the shapes, the zero padding and the unit norms; freeze the arrays.

        Raises:
            ValueError: If any of these does not hold.
        """
        matrices = np.array(self.matrices, dtype=np.complex128)
        ranks = np.array(self.ranks, dtype=np.int64)
        if matrices.ndim != 3 or min(matrices.shape) < 1:
            raise ValueError(
                f"Codebook {self.name!r}: matrices must have shape (C, Nt, r_max) with every "
                f"size >= 1, got shape {matrices.shape}; stack the codewords along axis 0."
            )
        num_codewords, num_antennas, max_rank = matrices.shape
        if ranks.shape != (num_codewords,):
            raise ValueError(
                f"Codebook {self.name!r}: ranks must have shape ({num_codewords},), one rank "
                f"per codeword, got shape {ranks.shape}."
            )
        if np.any(ranks < 1) or np.any(ranks > min(max_rank, num_antennas)):
            raise ValueError(
                f"Codebook {self.name!r}: every rank must lie in [1, min(r_max, Nt)] = "
                f"[1, {min(max_rank, num_antennas)}], got ranks {ranks.tolist()}."
            )
        padding = np.arange(max_rank) >= ranks[:, np.newaxis]  # (C, r_max)
        if np.any(matrices[np.broadcast_to(padding[:, np.newaxis, :], matrices.shape)] != 0):
            raise ValueError(
                f"Codebook {self.name!r}: the columns of a codeword beyond its rank must be "
                "zero; zero-pad lower-rank codewords instead of repeating columns."
            )
        norms = np.linalg.norm(matrices, axis=(1, 2))
        if not np.allclose(norms, 1.0, rtol=0.0, atol=_NORM_ATOL):
            bad = int(np.argmax(np.abs(norms - 1.0)))
            raise ValueError(
                f"Codebook {self.name!r}: every codeword needs unit Frobenius norm, codeword "
                f"{bad} has norm {float(norms[bad])}; divide each codeword by its Frobenius norm."
            )
        matrices.flags.writeable = False
        ranks.flags.writeable = False
        object.__setattr__(self, "matrices", matrices)
        object.__setattr__(self, "ranks", ranks)

    @property
    def num_codewords(self) -> int:
        """Number of codewords ``C``."""
        return int(self.matrices.shape[0])

    @property
    def num_antennas(self) -> int:
        """Number of transmit antennas (ports) ``Nt``."""
        return int(self.matrices.shape[1])

    @property
    def max_rank(self) -> int:
        """Largest rank ``r_max`` (the width of ``matrices``)."""
        return int(self.matrices.shape[2])


def _unit_frobenius(matrices: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """Scale each matrix of a ``(C, Nt, r)`` stack to unit Frobenius norm."""
    norms = np.linalg.norm(matrices, axis=(1, 2), keepdims=True)
    return matrices / norms


def _check_positive_int(name: str, value: int) -> None:
    """Raise a ValueError unless ``value`` is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}.")


def tpmi_two_port_codebook() -> Codebook:
    """The 3GPP codebook for PUSCH with two antenna ports: 6 rank-1 and 3 rank-2 precoders.

    Codewords 0..5 are TPMI 0..5 of 3GPP TS 38.211 Table 6.3.1.5-1 (single-layer, two
    antenna ports): ``[1, 0], [0, 1], [1, 1], [1, -1], [1, j], [1, -j]`` over ``sqrt(2)``;
    codewords 6..8 are TPMI 0..2 of TS 38.211 Table 6.3.1.5-4 (two layers, two ports):
    ``[[1, 0], [0, 1]] / sqrt(2)``, ``[[1, 1], [1, -1]] / 2``, ``[[1, 1], [j, -j]] / 2``. The
    selection procedure is in TS 38.214 Sec. 6.1.1.1 (codebook-based UL transmission).

    Every codeword is rescaled to unit Frobenius norm. This replaces the tables' own scaling
    (under which, e.g., the non-coherent TPMI 0 and 1 transmit half the power of TPMI 2..5);
    in a 3GPP system that per-TPMI power is set by the power control of TS 38.213 Sec. 7.1,
    which is outside this model.

    Returns:
        A :class:`Codebook` named ``"3gpp-2port"`` with 9 codewords, ``Nt = 2``, ``r_max = 2``.
    """
    rank_one = np.array([[1, 0], [0, 1], [1, 1], [1, -1], [1, 1j], [1, -1j]]) / np.sqrt(2.0)
    rank_two = np.array(
        [
            np.array([[1, 0], [0, 1]]) / np.sqrt(2.0),
            np.array([[1, 1], [1, -1]]) / 2.0,
            np.array([[1, 1], [1j, -1j]]) / 2.0,
        ]
    )
    matrices = np.zeros((9, 2, 2), dtype=np.complex128)
    matrices[:6, :, 0] = rank_one
    matrices[6:] = rank_two
    ranks = np.array([1] * 6 + [2] * 3, dtype=np.int64)
    return Codebook("3gpp-2port", _unit_frobenius(matrices), ranks)


def dft_codebook(
    num_antennas: int, oversampling: int = 2, ranks: tuple[int, ...] = (1, 2)
) -> Codebook:
    """Oversampled DFT beams for a linear array, with orthogonal-beam codewords for rank > 1.

    With ``K = oversampling * num_antennas`` beams, beam ``k`` is
    ``v_k[n] = exp(1j * 2 * pi * n * k / K) / sqrt(num_antennas)``. The rank-``r`` codeword
    ``k`` (for ``k = 0..K-1``) has the columns ``v_k, v_{k+O}, ..., v_{k+(r-1)O}`` (indices
    modulo ``K``), which are mutually orthogonal, scaled by ``1/sqrt(r)`` to unit Frobenius
    norm. Codewords are ordered by rank, then by ``k``.

    Source: oversampled DFT grid of beams as in the Type I single-panel codebook of 3GPP
    TS 38.214 Sec. 5.2.2.2.1 (one panel dimension, one polarisation); D. Tse and
    P. Viswanath, *Fundamentals of Wireless Communication*, Cambridge 2005, Sec. 7.3.3
    (angular-domain DFT basis).

    Args:
        num_antennas: Number of transmit antennas ``N``, ``>= 1``.
        oversampling: Oversampling factor ``O``, ``>= 1``.
        ranks: Ranks to include, each in ``[1, num_antennas]``; duplicates are ignored and
            the ranks are sorted.

    Returns:
        A :class:`Codebook` named ``"dft"`` with ``len(set(ranks)) * O * N`` codewords and
        ``r_max = max(ranks)``.

    Raises:
        ValueError: If a size is not a positive integer or a rank is outside
            ``[1, num_antennas]``.
    """
    _check_positive_int("num_antennas", num_antennas)
    _check_positive_int("oversampling", oversampling)
    if len(ranks) == 0 or any(
        isinstance(r, bool) or not isinstance(r, int | np.integer) or not 1 <= r <= num_antennas
        for r in ranks
    ):
        raise ValueError(
            f"ranks must be a non-empty tuple of integers in [1, num_antennas] = "
            f"[1, {num_antennas}], got {ranks!r}; a codeword cannot carry more layers than "
            "there are antennas."
        )
    unique_ranks = sorted({int(r) for r in ranks})
    max_rank = unique_ranks[-1]
    num_beams = oversampling * num_antennas
    beam_index = np.arange(num_beams)
    beams = np.exp(
        2j * np.pi * np.outer(np.arange(num_antennas), beam_index) / num_beams
    ) / np.sqrt(num_antennas)  # (N, K): column k is v_k
    blocks = []
    for rank in unique_ranks:
        columns = (beam_index[:, np.newaxis] + oversampling * np.arange(rank)) % num_beams
        block = np.zeros((num_beams, num_antennas, max_rank), dtype=np.complex128)
        block[:, :, :rank] = np.moveaxis(beams[:, columns], 0, 1) / np.sqrt(rank)
        blocks.append(block)
    matrices = np.concatenate(blocks, axis=0)
    rank_of_codeword = np.repeat(np.array(unique_ranks, dtype=np.int64), num_beams)
    return Codebook("dft", matrices, rank_of_codeword)


def make_codebook(
    name: str, num_antennas: int, oversampling: int = 2, max_rank: int = 2
) -> Codebook:
    """Build a codebook by name.

    Args:
        name: ``"dft"`` (:func:`dft_codebook` with ranks ``1..min(max_rank, num_antennas)``) or
            ``"3gpp-2port"`` (:func:`tpmi_two_port_codebook`, keeping the codewords of rank
            ``<= max_rank``).
        num_antennas: Number of UE transmit antennas, ``>= 1``; must be 2 for ``"3gpp-2port"``.
        oversampling: DFT oversampling factor, ``>= 1``; unused by ``"3gpp-2port"``.
        max_rank: Largest number of layers, ``>= 1``.

    Returns:
        The codebook.

    Raises:
        ValueError: If the name is unknown, a size is not a positive integer, or
            ``"3gpp-2port"`` is asked for with ``num_antennas != 2``.
    """
    _check_positive_int("num_antennas", num_antennas)
    _check_positive_int("max_rank", max_rank)
    if name == "dft":
        return dft_codebook(
            num_antennas, oversampling, ranks=tuple(range(1, min(max_rank, num_antennas) + 1))
        )
    if name == "3gpp-2port":
        if num_antennas != 2:
            raise ValueError(
                f"codebook '3gpp-2port' needs 2 antennas (the two-port tables of TS 38.211), "
                f"got num_antennas={num_antennas}; set num_antennas=2 or use codebook 'dft'."
            )
        full = tpmi_two_port_codebook()
        keep = full.ranks <= max_rank
        width = min(max_rank, full.max_rank)
        return Codebook(full.name, full.matrices[keep, :, :width], full.ranks[keep])
    raise ValueError(
        f"unknown codebook name {name!r}; valid names are {', '.join(_CODEBOOK_NAMES)}."
    )
