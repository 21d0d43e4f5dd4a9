"""Uplink (UE transmit) precoder codebooks: oversampled DFT and the 3GPP NR TPMI tables.

Every codeword is stored as an ``(Nt, r_max)`` matrix whose first ``rank`` columns are the
precoder and whose remaining columns are zero, and every codeword has unit Frobenius norm, so
the UE's total transmit power is the same whatever codeword it picks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from wmoe.phy.nr_codebooks import TPMI_PORT_COUNTS, tpmi_precoders

_CODEBOOK_NAMES = ("dft", "3gpp-2port", "tpmi")

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
        name: Name of the codebook, e.g. ``"dft"``, ``"tpmi"`` or ``"3gpp-2port"``.
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


def canonical_column(column: NDArray[np.complex128]) -> tuple[NDArray[np.complex128], complex]:
    """Write a non-zero precoder column as ``scale * unit`` with a canonical phase.

    ``unit`` has unit norm and its first entry of magnitude above half the largest is real
    and positive, so two columns that differ only by a complex factor share ``unit``.

    Args:
        column: A non-zero complex vector, shape ``(Nt,)``.

    Returns:
        ``(unit, scale)`` with ``column == scale * unit``.
    """
    scale = np.linalg.norm(column)
    magnitude = np.abs(column)
    pivot = column[np.flatnonzero(magnitude > 0.5 * magnitude.max())[0]]
    unit = column / scale * (abs(pivot) / pivot)
    return unit, complex(scale * pivot / abs(pivot))


def tpmi_codebook(num_ports: int, max_rank: int, name: str = "tpmi") -> Codebook:
    """The 3GPP NR PUSCH codebook of ``num_ports`` ports: every TPMI of ranks 1..max_rank.

    Codewords are ordered by rank, then by TPMI: for two ports TPMI 0-5 of TS 38.211 Table
    6.3.1.5-1 then TPMI 0-2 of Table 6.3.1.5-4 (9 codewords); for four ports TPMI 0-27 of
    Table 6.3.1.5-3, 0-21 of Table 6.3.1.5-5, 0-6 of Table 6.3.1.5-6 and 0-4 of Table
    6.3.1.5-7 (62 codewords), each table cut at ``max_rank`` (see
    :mod:`wmoe.phy.nr_codebooks`). The selection procedure is in TS 38.214 Sec. 6.1.1.1
    (codebook-based UL transmission).

    Every codeword is rescaled to unit Frobenius norm. This replaces the tables' own scaling
    (under which, e.g., the non-coherent two-port TPMI 0 and 1 transmit half the power of
    TPMI 2..5); in a 3GPP system that per-TPMI power is set by the power control of TS 38.213
    Sec. 7.1, which is outside this model.

    Args:
        num_ports: UE antenna ports, 2 or 4.
        max_rank: Largest number of layers, ``>= 1``; ranks above ``num_ports`` are dropped.
        name: Name of the codebook.

    Returns:
        A :class:`Codebook` with ``Nt = num_ports`` and ``r_max = min(max_rank, num_ports)``.

    Raises:
        ValueError: If ``num_ports`` is not 2 or 4 or ``max_rank`` is not a positive integer.
    """
    _check_positive_int("max_rank", max_rank)
    if num_ports not in TPMI_PORT_COUNTS:
        raise ValueError(
            f"codebook {name!r} needs 2 or 4 antenna ports (the PUSCH tables of TS 38.211 "
            f"Sec. 6.3.1.5), got num_antennas={num_ports!r}; use 2 or 4 antennas or codebook "
            "'dft'."
        )
    width = min(max_rank, num_ports)
    blocks, ranks = [], []
    for rank in range(1, width + 1):
        precoders = tpmi_precoders(num_ports, rank)
        block = np.zeros((len(precoders), num_ports, width), dtype=np.complex128)
        block[:, :, :rank] = precoders
        blocks.append(block)
        ranks += [rank] * len(precoders)
    matrices = np.concatenate(blocks, axis=0)
    return Codebook(name, _unit_frobenius(matrices), np.array(ranks, dtype=np.int64))


def tpmi_two_port_codebook() -> Codebook:
    """The 3GPP codebook for PUSCH with two antenna ports: 6 rank-1 and 3 rank-2 precoders.

    Codewords 0..5 are TPMI 0..5 of 3GPP TS 38.211 Table 6.3.1.5-1 (single-layer, two
    antenna ports): ``[1, 0], [0, 1], [1, 1], [1, -1], [1, j], [1, -j]`` over ``sqrt(2)``;
    codewords 6..8 are TPMI 0..2 of TS 38.211 Table 6.3.1.5-4 (two layers, two ports):
    ``[[1, 0], [0, 1]] / sqrt(2)``, ``[[1, 1], [1, -1]] / 2``, ``[[1, 1], [j, -j]] / 2``;
    each rescaled to unit Frobenius norm. It is :func:`tpmi_codebook` ``(2, 2)``.

    Returns:
        A :class:`Codebook` named ``"3gpp-2port"`` with 9 codewords, ``Nt = 2``, ``r_max = 2``.
    """
    return tpmi_codebook(2, 2, name="3gpp-2port")


def distinct_codewords(codebook: Codebook) -> Codebook:
    """The codebook without codewords that repeat an earlier one up to column order and phase.

    Two precoders ``W`` and ``W P D`` (``P`` a permutation, ``D`` a diagonal of unit-modulus
    phases) send the same streams in another order with other phases, so every linear
    receiver sees the same per-stream SINRs, permuted, and the same sum rate. The oversampled
    DFT codebook has such repeats: with ``O`` = 2 and ``N`` = 4 antennas, its 8 rank-4
    codewords span only 2 distinct column sets. The first codeword of each class is kept, in
    the original order.

    Args:
        codebook: Any codebook.

    Returns:
        A codebook of the same name holding the first codeword of each class.
    """
    keys: set[tuple[tuple[complex, ...], ...]] = set()
    keep = []
    for c, rank in enumerate(codebook.ranks):
        columns = []
        for k in range(int(rank)):
            unit, scale = canonical_column(codebook.matrices[c, :, k])
            rounded = np.round(unit, 9) + 0.0  # + 0.0 turns -0.0 into 0.0
            columns.append((round(abs(scale), 9), *rounded.tolist()))
        key = tuple(sorted(columns, key=repr))
        if key not in keys:
            keys.add(key)
            keep.append(c)
    return Codebook(codebook.name, codebook.matrices[keep], codebook.ranks[keep])


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
    name: str,
    num_antennas: int,
    oversampling: int = 2,
    max_rank: int = 2,
    drop_duplicates: bool = False,
) -> Codebook:
    """Build a codebook by name.

    Args:
        name: ``"dft"`` (:func:`dft_codebook` with ranks ``1..min(max_rank, num_antennas)``),
            ``"tpmi"`` (:func:`tpmi_codebook`, the TS 38.211 PUSCH tables for 2 or 4 ports) or
            ``"3gpp-2port"`` (the same for 2 ports only, named as in earlier versions).
        num_antennas: Number of UE transmit antennas, ``>= 1``; 2 or 4 for ``"tpmi"``, 2 for
            ``"3gpp-2port"``.
        oversampling: DFT oversampling factor, ``>= 1``; unused by the 3GPP tables.
        max_rank: Largest number of layers, ``>= 1``.
        drop_duplicates: Keep one codeword of each class of :func:`distinct_codewords`.

    Returns:
        The codebook.

    Raises:
        ValueError: If the name is unknown, a size is not a positive integer, or a 3GPP table
            is asked for with a number of antennas it does not have.
    """
    _check_positive_int("num_antennas", num_antennas)
    _check_positive_int("max_rank", max_rank)
    if name == "dft":
        codebook = dft_codebook(
            num_antennas, oversampling, ranks=tuple(range(1, min(max_rank, num_antennas) + 1))
        )
    elif name in ("tpmi", "3gpp-2port"):
        if name == "3gpp-2port" and num_antennas != 2:
            raise ValueError(
                f"codebook '3gpp-2port' needs 2 antennas (the two-port tables of TS 38.211), "
                f"got num_antennas={num_antennas}; set num_antennas=2 or use codebook 'tpmi'."
            )
        codebook = tpmi_codebook(num_antennas, max_rank, name=name)
    else:
        raise ValueError(
            f"unknown codebook name {name!r}; valid names are {', '.join(_CODEBOOK_NAMES)}."
        )
    return distinct_codewords(codebook) if drop_duplicates else codebook
