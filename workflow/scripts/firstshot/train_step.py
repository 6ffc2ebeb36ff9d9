"""One training step of the autoencoder with its backward pass written out.

At batch 64 the autoencoder's arithmetic is small, and a plain autograd step
spends about as long in per-operation and per-parameter bookkeeping as in its
matrix products. ``ExplicitStep`` calls the same ATen kernels that autograd and
``torch.optim.Adam(fused=True)`` call, in the same order, without building a
graph and without the optimiser's Python bookkeeping. On the CPU its weights,
running statistics and losses are bitwise equal to those of ``autograd_step``
(tests/test_train_step.py). A step took about 1.8 ms instead of 2.1 to 2.3 ms
on one core of the benchmark machine, an AMD EPYC (Zen 3) with torch 2.13.

It relies on ``torch._fused_adam_``, the kernel behind Adam's ``fused=True``,
whose arguments are not a public API. TODO: if a torch upgrade breaks the
equality test, fall back to ``autograd_step`` until the call is fixed.
"""

import torch
from torch import nn

from firstshot.model import AutoEncoder

aten = torch.ops.aten

#: ATen's code for mean reduction, as in ``torch.nn.functional.mse_loss``.
MEAN_REDUCTION = 1


def autograd_step(
    model: AutoEncoder, optimizer: torch.optim.Optimizer, batch: torch.Tensor
) -> torch.Tensor:
    """Take one Adam step on the MSE of reconstructing ``batch``; return the loss.

    This is the definition of a step. ``ExplicitStep`` computes the same faster.
    """
    optimizer.zero_grad(set_to_none=True)
    loss = nn.functional.mse_loss(model(batch), batch)
    loss.backward()
    optimizer.step()
    return loss.detach()


class ExplicitStep:
    """A training step equal to ``autograd_step``, with the backward pass and Adam written out.

    ``optimizer`` must be ``torch.optim.Adam(model.parameters(), fused=True)``
    without weight decay. Its state is created here when empty and updated in
    place, so the optimizer's state_dict stays valid for checkpoints. Create
    the step after restoring a checkpoint, since loading replaces the state.
    """

    def __init__(self, model: AutoEncoder, optimizer: torch.optim.Adam):
        layers = list(model.layers)
        self.linears = layers[0::3]
        self.norms = layers[1::3]
        expected = [nn.Linear, nn.BatchNorm1d, nn.ReLU] * len(self.norms) + [nn.Linear]
        if [type(layer) for layer in layers] != expected:
            raise ValueError(
                "ExplicitStep supports only Linear, BatchNorm1d and ReLU layers in turn. "
                "Use autograd_step for other models."
            )

        (group,) = optimizer.param_groups
        if not group["fused"] or group["weight_decay"] or group["amsgrad"] or group["maximize"]:
            raise ValueError(
                "ExplicitStep supports only torch.optim.Adam with fused=True and no weight "
                "decay, amsgrad or maximize. Use autograd_step for other optimizers."
            )
        self.group = group
        self.params = list(group["params"])
        for param in self.params:
            if param not in optimizer.state:
                # The state that Adam's first fused step creates.
                optimizer.state[param] = {
                    "step": torch.zeros((), dtype=torch.float32, device=param.device),
                    "exp_avg": torch.zeros_like(param, memory_format=torch.preserve_format),
                    "exp_avg_sq": torch.zeros_like(param, memory_format=torch.preserve_format),
                }
        states = [optimizer.state[param] for param in self.params]
        self.steps = [state["step"] for state in states]
        self.exp_avgs = [state["exp_avg"] for state in states]
        self.exp_avg_sqs = [state["exp_avg_sq"] for state in states]

    @torch.no_grad()
    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        linear_inputs, norm_inputs, norm_statistics, activations = [], [], [], []
        hidden = batch
        for linear, norm in zip(self.linears, self.norms, strict=False):
            linear_inputs.append(hidden)
            hidden = torch.addmm(linear.bias, hidden, linear.weight.t())
            norm_inputs.append(hidden)
            hidden, mean, inverse_std = aten.native_batch_norm(
                hidden,
                norm.weight,
                norm.bias,
                norm.running_mean,
                norm.running_var,
                True,
                norm.momentum,
                norm.eps,
            )
            norm.num_batches_tracked.add_(1)
            norm_statistics.append((mean, inverse_std))
            hidden = torch.relu_(hidden)
            activations.append(hidden)
        output_layer = self.linears[-1]
        linear_inputs.append(hidden)
        output = torch.addmm(output_layer.bias, hidden, output_layer.weight.t())
        loss = aten.mse_loss(output, batch, MEAN_REDUCTION)

        loss_grad = torch.ones((), dtype=loss.dtype, device=loss.device)
        grad = aten.mse_loss_backward(loss_grad, output, batch, MEAN_REDUCTION)
        for index in reversed(range(len(self.linears))):
            linear = self.linears[index]
            linear.weight.grad = torch.mm(grad.t(), linear_inputs[index])
            linear.bias.grad = grad.sum(0)
            if index == 0:
                break  # The input needs no gradient.
            grad = torch.mm(grad, linear.weight)
            grad = aten.threshold_backward(grad, activations[index - 1], 0)
            norm = self.norms[index - 1]
            mean, inverse_std = norm_statistics[index - 1]
            grad, norm.weight.grad, norm.bias.grad = aten.native_batch_norm_backward(
                grad,
                norm_inputs[index - 1],
                norm.weight,
                norm.running_mean,
                norm.running_var,
                mean,
                inverse_std,
                True,
                norm.eps,
                [True, True, True],
            )

        torch._foreach_add_(self.steps, 1)
        beta1, beta2 = self.group["betas"]
        torch._fused_adam_(
            self.params,
            [param.grad for param in self.params],
            self.exp_avgs,
            self.exp_avg_sqs,
            [],
            self.steps,
            lr=self.group["lr"],
            beta1=beta1,
            beta2=beta2,
            weight_decay=0.0,
            eps=self.group["eps"],
            amsgrad=False,
            maximize=False,
        )
        return loss
