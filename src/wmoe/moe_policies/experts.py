"""The experts of an MoE layer: ``E`` MLPs of equal widths with their weights stacked.

Each layer's weights are one ``(E, in, out)`` parameter and its biases one ``(E, out)``
parameter, so running every expert on the same batch (dense, multi-gate and soft MoE) is one
batched matrix product per layer, and running each expert on its own chunk of a batch
grouped by expert (sparse MoE) is one autograd function, :class:`_GroupedMLP`, that calls a
matrix product per expert and layer but applies biases' gradients, activations and their
derivatives to the whole grouped batch at once. Its backward is written out for the
activations in :data:`FUSED_ACTIVATIONS`; any other activation runs through autograd.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

ActivationBackward = Callable[[Tensor, Tensor], Tensor]


def relu_backward(grad: Tensor, out: Tensor) -> Tensor:
    """Gradient through ReLU from its output (a module-level function, so models pickle)."""
    result: Tensor = torch.ops.aten.threshold_backward(grad, out, 0)
    return result


# Activation class -> (in-place forward, backward from the activation's output).
FUSED_ACTIVATIONS: dict[type[nn.Module], tuple[Callable[[Tensor], Tensor], ActivationBackward]] = {
    nn.ReLU: (torch.relu_, relu_backward),
    nn.Tanh: (torch.tanh_, torch.ops.aten.tanh_backward),
}


class ExpertMLPs(nn.Module):
    """``E`` independent MLPs ``in_dim -> widths``, each linear layer followed by ``activation``.

    Args:
        num_experts: ``E``.
        in_dim: Input width.
        widths: Layer widths of every expert; the last is the output width.
        activation: Activation class applied after every layer.
        final_activation: Apply the activation after the last layer too (False for experts
            that output logits).
    """

    def __init__(
        self,
        num_experts: int,
        in_dim: int,
        widths: Sequence[int],
        activation: type[nn.Module],
        final_activation: bool = True,
    ) -> None:
        super().__init__()
        dims = [in_dim, *widths]
        self.num_experts = num_experts
        self.out_dim = dims[-1]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.empty(num_experts, d_in, d_out))
            for d_in, d_out in zip(dims[:-1], dims[1:], strict=True)
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.empty(num_experts, d_out)) for d_out in dims[1:]
        )
        self.activation = activation()
        self.final_activation = final_activation
        self._fused = FUSED_ACTIVATIONS.get(activation)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise every expert like :class:`torch.nn.Linear` (uniform, ``1/sqrt(in)``)."""
        for weight, bias in zip(self.weights, self.biases, strict=True):
            bound = 1.0 / math.sqrt(weight.shape[1])
            nn.init.uniform_(weight, -bound, bound)
            nn.init.uniform_(bias, -bound, bound)

    @torch.no_grad()
    def orthogonal_(self, gain: float) -> None:
        """Orthogonal weights with ``gain`` and zero biases for every expert (SB3's init)."""
        for weight, bias in zip(self.weights, self.biases, strict=True):
            for matrix in weight:
                nn.init.orthogonal_(matrix, gain=gain)
            bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        """Every expert on ``x`` (``(N, in)`` shared or ``(E, N, in)``) -> ``(E, N, out)``."""
        return self.layer_outputs(x)[-1]

    def layer_outputs(self, x: Tensor) -> list[Tensor]:
        """Every layer's output ``(E, N, width)`` of every expert on ``x`` (as in forward)."""
        hidden = x.expand(self.num_experts, *x.shape) if x.dim() == 2 else x
        outputs = []
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            hidden = self._activate(layer, torch.baddbmm(bias.unsqueeze(1), hidden, weight))
            outputs.append(hidden)
        return outputs

    def hidden_activations(self, x: Tensor) -> list[Tensor]:
        """The outputs ``(E, N, width)`` of the layers followed by the activation (neurons)."""
        outputs = self.layer_outputs(x)
        return outputs if self.final_activation else outputs[:-1]

    def expert(self, index: int, x: Tensor) -> Tensor:
        """Expert ``index`` alone on ``x`` ``(N, in)`` -> ``(N, out)``."""
        hidden = x
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            hidden = self._activate(layer, torch.addmm(bias[index], hidden, weight[index]))
        return hidden

    def _activate(self, layer: int, pre_activation: Tensor) -> Tensor:
        if layer == len(self.weights) - 1 and not self.final_activation:
            return pre_activation
        result: Tensor = self.activation(pre_activation)
        return result

    def grouped(self, x: Tensor, counts: Sequence[int]) -> Tensor:
        """Each expert on its chunk of ``x`` ``(N, in)``, grouped by expert -> ``(N, out)``.

        Args:
            x: Rows grouped by expert: the first ``counts[0]`` rows go to expert 0, and so on.
            counts: Rows per expert (``E`` entries, summing to ``N``).
        """
        if self._fused is None:
            chunks = x.split(list(counts))
            return torch.cat(
                [self.expert(e, chunk) for e, chunk in enumerate(chunks) if len(chunk)]
            )
        forward, backward = self._fused
        params = [p for pair in zip(self.weights, self.biases, strict=True) for p in pair]
        activation = _Activation(forward, backward, self.final_activation)
        output: Tensor = _GroupedMLP.apply(x, _bounds(counts), activation, *params)
        return output


class _Activation:
    """The in-place activation of :class:`_GroupedMLP` and its backward, layer by layer."""

    def __init__(
        self,
        forward: Callable[[Tensor], Tensor],
        backward: ActivationBackward,
        final_activation: bool,
    ) -> None:
        self.forward = forward
        self.backward = backward
        self.final_activation = final_activation

    def applies(self, layer: int, num_layers: int) -> bool:
        """Whether ``layer`` (0-based) of ``num_layers`` is followed by the activation."""
        return layer < num_layers - 1 or self.final_activation


def _bounds(counts: Sequence[int]) -> list[tuple[int, int, int]]:
    """``(expert, start, end)`` row ranges of the non-empty chunks."""
    bounds, start = [], 0
    for expert, count in enumerate(counts):
        if count:
            bounds.append((expert, start, start + count))
        start += count
    return bounds


class _GroupedMLP(torch.autograd.Function):
    """Experts on their row ranges of a grouped batch, with a hand-written backward."""

    @staticmethod
    def forward(  # noqa: D102
        ctx: Any,
        x: Tensor,
        bounds: list[tuple[int, int, int]],
        activation: _Activation,
        *params: Tensor,
    ) -> Tensor:
        num_layers = len(params) // 2
        hidden, layer_inputs = x, []
        for layer, (weight, bias) in enumerate(zip(params[0::2], params[1::2], strict=True)):
            layer_inputs.append(hidden)
            output = hidden.new_empty(len(hidden), weight.shape[2])
            for e, start, end in bounds:
                torch.addmm(bias[e], hidden[start:end], weight[e], out=output[start:end])
            hidden = activation.forward(output) if activation.applies(layer, num_layers) else output
        ctx.bounds = bounds
        ctx.activation = activation
        ctx.save_for_backward(hidden, *layer_inputs, *params)
        return hidden

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor | None, ...]:  # noqa: D102
        output, *rest = ctx.saved_tensors
        num_layers = len(rest) // 3
        layer_inputs, params = rest[:num_layers], rest[num_layers:]
        bounds: list[tuple[int, int, int]] = ctx.bounds
        activation: _Activation = ctx.activation
        used = {e for e, _, _ in bounds}
        grad = grad_output
        if activation.applies(num_layers - 1, num_layers):
            grad = activation.backward(grad_output, output)
        grads: list[Tensor | None] = [None] * len(params)
        for layer in reversed(range(num_layers)):
            weight, bias, inputs = params[2 * layer], params[2 * layer + 1], layer_inputs[layer]
            if ctx.needs_input_grad[3 + 2 * layer] or ctx.needs_input_grad[4 + 2 * layer]:
                grad_weight = _empty_or_zeros(weight, len(used))
                grad_bias = _empty_or_zeros(bias, len(used))
                for e, start, end in bounds:
                    torch.mm(inputs[start:end].T, grad[start:end], out=grad_weight[e])
                    torch.sum(grad[start:end], dim=0, out=grad_bias[e])
                grads[2 * layer], grads[2 * layer + 1] = grad_weight, grad_bias
            if layer == 0 and not ctx.needs_input_grad[0]:
                return None, None, None, *grads
            grad_input = grad.new_empty(len(grad), weight.shape[1])
            for e, start, end in bounds:
                torch.mm(grad[start:end], weight[e].T, out=grad_input[start:end])
            grad = grad_input if layer == 0 else activation.backward(grad_input, inputs)
        return grad, None, None, *grads


def _empty_or_zeros(param: Tensor, experts_used: int) -> Tensor:
    """Gradient buffer of a stacked parameter; zeroed where some expert got no rows."""
    return torch.empty_like(param) if experts_used == len(param) else torch.zeros_like(param)
