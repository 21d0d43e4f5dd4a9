"""Canonical binary Huffman codes with batched encoding and decoding of fixed-length messages.

A message is ``d`` symbols (e.g. the quantised entries of one feature vector); a batch of ``n``
messages is encoded into ``n`` variable-length bit strings, zero-padded to a common width,
plus the bit count of each. Decoding is vectorised over messages, with a Python loop over the
``d`` symbol positions only: each step reads the next ``max_length`` bits of every message as
one integer and finds its codeword by binary search over the canonical codewords.

Bit errors desynchronise a Huffman decoder: after an error it may parse the rest of the
string into wrong symbols, and into more or fewer than ``d`` of them. :meth:`HuffmanCode.decode`
therefore returns exactly ``d`` symbols per message: it stops after ``d`` symbols (the rest of
the bits is ignored, i.e. the message is truncated) and, if the bits run out first, including
a final incomplete codeword, fills the remaining positions with ``fill_symbol`` (padding).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

MAX_CODEWORD_LENGTH = 64  # [bits], the width of the integer window read per symbol


class HuffmanDecoding(NamedTuple):
    """Result of :meth:`HuffmanCode.decode`.

    Attributes:
        symbols: Decoded symbols, int64, shape ``(..., d)``; positions after the bits ran out
            hold ``fill_symbol``.
        num_decoded: Symbols decoded from the bits before they ran out, ``<= d``, shape
            ``(...)``; it is ``d`` when no padding was needed.
        num_bits_left: Bits not consumed after the last decoded symbol, shape ``(...)``; it is
            ``0`` for an error-free message, ``> 0`` when decoding was truncated at ``d``
            symbols or ended in an incomplete codeword.
    """

    symbols: NDArray[np.int64]
    num_decoded: NDArray[np.int64]
    num_bits_left: NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class HuffmanCode:
    """A complete canonical binary prefix code over the symbols ``0 .. S - 1``.

    The code is fixed by its codeword lengths: symbols are ordered by ``(length, symbol)`` and
    given consecutive codewords, each shifted left when the length grows (the canonical
    Huffman code of DEFLATE, RFC 1951 Sec. 3.2.2). Build one from a histogram with
    :func:`build_huffman_code`.

    Source: D. A. Huffman, "A method for the construction of minimum-redundancy codes",
    Proc. IRE 40(9), 1952; P. Deutsch, RFC 1951, 1996, Sec. 3.2.2 (canonical codes).

    Attributes:
        lengths: Codeword length of each symbol [bits], int64, shape ``(S,)``, each in
            ``[1, 64]``, with Kraft sum ``sum(2^-l) = 1`` (a complete code, so every bit
            string parses).
        codewords: Codeword bits of each symbol as an integer, most significant bit sent
            first, uint64, shape ``(S,)``; derived from ``lengths``.
    """

    lengths: NDArray[np.int64]
    codewords: NDArray[np.uint64] = field(init=False)
    _order: NDArray[np.int64] = field(init=False, repr=False)
    _left_justified: NDArray[np.uint64] = field(init=False, repr=False)
    _bit_table: NDArray[np.uint8] = field(init=False, repr=False)
    _bit_mask: NDArray[np.bool_] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Validate the lengths, assign canonical codewords and freeze the arrays.

        Raises:
            ValueError: If there are fewer than two lengths, one is outside ``[1, 64]`` or
                the Kraft sum is not exactly 1.
        """
        lengths = np.array(self.lengths, dtype=np.int64)
        if lengths.ndim != 1 or lengths.size < 2:
            raise ValueError(
                f"HuffmanCode needs one codeword length per symbol for at least 2 symbols, got "
                f"shape {lengths.shape}; build the code with build_huffman_code(counts)."
            )
        if lengths.min() < 1 or lengths.max() > MAX_CODEWORD_LENGTH:
            raise ValueError(
                f"codeword lengths must lie in [1, {MAX_CODEWORD_LENGTH}], got "
                f"[{lengths.min()}, {lengths.max()}]; add a pseudo-count to rare symbols "
                "(e.g. counts + 1) to shorten the longest codewords."
            )
        longest = int(lengths.max())
        kraft = sum(1 << (longest - int(length)) for length in lengths)
        if kraft != 1 << longest:
            raise ValueError(
                f"codeword lengths must satisfy the Kraft equality sum(2^-l) = 1, got "
                f"{kraft / (1 << longest)!r}; build the code with build_huffman_code(counts)."
            )
        order = np.lexsort((np.arange(lengths.size), lengths))
        codewords = np.zeros(lengths.size, dtype=np.uint64)
        left_justified = np.zeros(lengths.size, dtype=np.uint64)
        code = 0
        previous = int(lengths[order[0]])
        for rank, symbol in enumerate(order):
            length = int(lengths[symbol])
            code <<= length - previous
            previous = length
            codewords[symbol] = code
            left_justified[rank] = code << (longest - length)
            code += 1
        position = np.arange(longest)
        bit_mask = position < lengths[:, np.newaxis]  # (S, longest): bit j of codeword s exists
        shift = np.where(bit_mask, lengths[:, np.newaxis] - 1 - position, 0).astype(np.uint64)
        bit_table = ((codewords[:, np.newaxis] >> shift) & np.uint64(1)).astype(np.uint8)
        for name, array in (
            ("lengths", lengths),
            ("codewords", codewords),
            ("_order", order.astype(np.int64)),
            ("_left_justified", left_justified),
            ("_bit_table", bit_table),
            ("_bit_mask", bit_mask),
        ):
            array.flags.writeable = False
            object.__setattr__(self, name, array)

    @property
    def num_symbols(self) -> int:
        """Size of the alphabet ``S``."""
        return int(self.lengths.size)

    @property
    def max_length(self) -> int:
        """Longest codeword [bits]."""
        return int(self.lengths.max())

    @property
    def most_probable_symbol(self) -> int:
        """The symbol with the shortest codeword (the smallest such symbol on ties)."""
        return int(self._order[0])

    def expected_length(self, counts: NDArray[Any]) -> float:
        """Mean codeword length under a symbol histogram, ``sum_s p_s l_s`` [bits/symbol].

        Args:
            counts: Non-negative counts or probabilities per symbol, shape ``(S,)``.

        Returns:
            The expected length [bits per symbol].

        Raises:
            ValueError: If ``counts`` has the wrong shape, a negative entry or a zero sum.
        """
        weights = _check_counts(counts)
        if weights.size != self.num_symbols:
            raise ValueError(
                f"counts must have one entry per symbol, shape ({self.num_symbols},), got "
                f"shape {weights.shape}; pass np.bincount(symbols, minlength=S)."
            )
        return float(weights @ self.lengths / weights.sum())

    def _check_symbols(self, symbols: NDArray[Any]) -> NDArray[np.int64]:
        """Return ``symbols`` as int64 after checking they are integers of the alphabet."""
        values = np.asarray(symbols)
        if values.ndim < 1 or values.dtype.kind not in "iu":
            raise ValueError(
                f"symbols must be an integer array of shape (..., d), got dtype {values.dtype} "
                f"and shape {values.shape}; pass quantised levels, e.g. from quantize()."
            )
        if values.size and (values.min() < 0 or values.max() >= self.num_symbols):
            raise ValueError(
                f"symbols must lie in [0, {self.num_symbols - 1}], got range "
                f"[{values.min()}, {values.max()}]; build the code over the full alphabet."
            )
        return values.astype(np.int64, copy=False)

    def encode(self, symbols: NDArray[Any]) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
        """Encode messages of ``d`` symbols into zero-padded bit strings.

        Works on the whole batch at once, with temporaries of about ``2 max_length`` bytes per
        input symbol; split very large batches.

        Args:
            symbols: Messages, integers in ``[0, S - 1]``, shape ``(..., d)``.

        Returns:
            ``(bits, num_bits)``: the bits (0 or 1), uint8, shape ``(..., M)`` with ``M`` the
            longest message's bit count, zero after each message's end; and the bit count of
            each message, int64, shape ``(...)``.

        Raises:
            ValueError: If ``symbols`` are not integers of the alphabet.
        """
        values = self._check_symbols(symbols)
        batch, width = values.shape[:-1], values.shape[-1]
        rows = values.reshape(-1, width)
        num_bits = self.lengths[rows].sum(axis=1)
        total = int(num_bits.max()) if num_bits.size else 0
        # All bits in sending order, then each row's run moved to the start of its own row.
        flat = self._bit_table[rows][self._bit_mask[rows]]
        starts = np.cumsum(num_bits) - num_bits
        target = np.repeat(np.arange(rows.shape[0]) * total - starts, num_bits)
        target += np.arange(flat.size)
        bits = np.zeros((rows.shape[0], total), dtype=np.uint8)
        bits.reshape(-1)[target] = flat
        return bits.reshape(*batch, total), num_bits.reshape(batch)

    def decode(
        self,
        bits: NDArray[Any],
        num_bits: NDArray[Any],
        num_symbols: int,
        fill_symbol: int | None = None,
    ) -> HuffmanDecoding:
        """Decode exactly ``num_symbols`` symbols per message, truncating or padding.

        Decoding of a message stops after ``num_symbols`` symbols or when its next codeword
        would read past ``num_bits``; positions left over are filled with ``fill_symbol``.

        Args:
            bits: Bit strings (0 or 1), shape ``(..., M)``; entries past ``num_bits`` are
                ignored.
            num_bits: Bits of each message, integers in ``[0, M]``, shape ``(...)``.
            num_symbols: Symbols per message ``d``, ``>= 0``.
            fill_symbol: Symbol for positions after the bits ran out; ``None`` uses
                :attr:`most_probable_symbol`.

        Returns:
            The decoded symbols, the number decoded and the bits left (:class:`HuffmanDecoding`).

        Raises:
            ValueError: If the shapes do not match, ``num_bits`` is out of range or
                ``fill_symbol`` is not a symbol of the alphabet.
        """
        stream = np.asarray(bits)
        counts = np.asarray(num_bits)
        if stream.ndim < 1 or stream.shape[:-1] != counts.shape or counts.dtype.kind not in "iu":
            raise ValueError(
                f"bits must have shape (..., M) and num_bits integer shape (...), got "
                f"{stream.shape} and {counts.shape} ({counts.dtype}); pass the outputs of encode."
            )
        if counts.size and (counts.min() < 0 or counts.max() > stream.shape[-1]):
            raise ValueError(
                f"num_bits must lie in [0, {stream.shape[-1]}] (the width of bits), got range "
                f"[{counts.min()}, {counts.max()}]; pass the bit count of each message."
            )
        if not (isinstance(num_symbols, int | np.integer) and num_symbols >= 0):
            raise ValueError(f"num_symbols must be an int >= 0, got {num_symbols!r}.")
        fill = self.most_probable_symbol if fill_symbol is None else fill_symbol
        if not (isinstance(fill, int | np.integer) and 0 <= fill < self.num_symbols):
            raise ValueError(
                f"fill_symbol must be a symbol in [0, {self.num_symbols - 1}], got "
                f"{fill_symbol!r}; pass None to pad with the most probable symbol."
            )
        batch = counts.shape
        words = _pack_words(stream.reshape(-1, stream.shape[-1]))
        limit = counts.reshape(-1).astype(np.int64)
        rows = np.arange(limit.size)
        position = np.zeros(limit.size, dtype=np.int64)
        active = np.ones(limit.size, dtype=bool)
        decoded = np.zeros(limit.size, dtype=np.int64)
        symbols = np.full((limit.size, int(num_symbols)), fill, dtype=np.int64)
        sorted_lengths = self.lengths[self._order]
        window_shift = np.uint64(64 - self.max_length)
        for index in range(int(num_symbols)):
            word = position >> 6
            offset = (position & 63).astype(np.uint64)
            window = (words[rows, word] << offset) | (
                (words[rows, word + 1] >> np.uint64(1)) >> (np.uint64(63) - offset)
            )
            rank = np.searchsorted(self._left_justified, window >> window_shift, side="right") - 1
            length = sorted_lengths[rank]
            active &= position + length <= limit
            symbols[active, index] = self._order[rank[active]]
            position += np.where(active, length, 0)
            decoded += active
        return HuffmanDecoding(
            symbols.reshape(*batch, int(num_symbols)),
            decoded.reshape(batch),
            (limit - position).reshape(batch),
        )


def _pack_words(bits: NDArray[Any]) -> NDArray[np.uint64]:
    """Pack rows of bits, first bit most significant, into 64-bit words plus one zero word."""
    packed = np.packbits(bits.astype(np.uint8, copy=False), axis=1)
    num_words = packed.shape[1] // 8 + 2
    padded = np.zeros((packed.shape[0], num_words * 8), dtype=np.uint8)
    padded[:, : packed.shape[1]] = packed
    return padded.view(">u8").astype(np.uint64)


def _check_counts(counts: NDArray[Any]) -> NDArray[np.float64]:
    """Return ``counts`` as float64 after checking it is a 1-D histogram with a positive sum."""
    weights = np.asarray(counts, dtype=np.float64)
    if weights.ndim != 1 or not np.all(np.isfinite(weights) & (weights >= 0.0)):
        raise ValueError(
            f"counts must be a 1-D array of finite non-negative counts, got shape "
            f"{weights.shape}; pass np.bincount(symbols.ravel(), minlength=S)."
        )
    if not weights.sum() > 0.0:
        raise ValueError(
            "counts must have a positive sum, got all zeros; pass a histogram of the symbols."
        )
    return weights


def build_huffman_code(counts: NDArray[Any]) -> HuffmanCode:
    """Build the canonical Huffman code of a symbol histogram.

    Every symbol of the alphabet gets a codeword, also those with a zero count (they get the
    longest codewords and cost nothing on average), so any message over the alphabet can be
    encoded, e.g. test features with a codebook built from training features. Ties are broken
    deterministically (by symbol, then by merge order). The expected length ``L`` satisfies
    ``H <= L < H + 1`` for the histogram's entropy ``H``.

    Source: D. A. Huffman, "A method for the construction of minimum-redundancy codes",
    Proc. IRE 40(9), 1952; T. M. Cover and J. A. Thomas, *Elements of Information Theory*,
    2nd ed., Wiley 2006, Sec. 5.6-5.8.

    Args:
        counts: Counts (or probabilities) per symbol ``0 .. S - 1``, non-negative, at least
            two symbols, positive sum, shape ``(S,)``; e.g.
            ``np.bincount(levels.ravel(), minlength=256)``.

    Returns:
        The code.

    Raises:
        ValueError: If ``counts`` is not such a histogram, or the longest codeword would
            exceed 64 bits (add a pseudo-count, e.g. ``counts + 1``).
    """
    weights = _check_counts(counts)
    if weights.size < 2:
        raise ValueError(
            f"counts must cover an alphabet of at least 2 symbols, got shape {weights.shape}; "
            "pass np.bincount(symbols.ravel(), minlength=S) with S >= 2."
        )
    lengths = np.zeros(weights.size, dtype=np.int64)
    heap: list[tuple[float, int, list[int]]] = [
        (float(weight), symbol, [symbol]) for symbol, weight in enumerate(weights)
    ]
    heapq.heapify(heap)
    sequence = weights.size
    while len(heap) > 1:
        weight_a, _, leaves_a = heapq.heappop(heap)
        weight_b, _, leaves_b = heapq.heappop(heap)
        merged = leaves_a + leaves_b
        lengths[merged] += 1
        heapq.heappush(heap, (weight_a + weight_b, sequence, merged))
        sequence += 1
    return HuffmanCode(lengths)
