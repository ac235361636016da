"""The reconstruction objective: optimised variable -> image -> features -> per-image loss."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import torch
from torch import nn

from icnn.features import FeatureExtractor
from icnn.recon.losses import LossFn
from icnn.recon.targets import Targets

# Maps (variable subset, indices of its images in the batch) to network-domain images.
Renderer = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class Objective:
    """Weighted multi-layer feature loss of B images, one value per image.

    Parameters
    ----------
    extractor : FeatureExtractor
        Hooks on the encoder's target layers.
    targets : Targets
        Target features, masks and per-image layer weights.
    loss : callable
        Layer loss returning one value per image (see :mod:`icnn.recon.losses`).
    render : callable
        ``render(var, index)`` gives the encoder input of the images ``index`` of the batch.
    micro_batch : int, optional
        Images per forward/backward pass (all by default). The images are independent, so
        this changes speed and memory only: on CPUs, passes of 1-2 images are fastest.
    autocast_bf16 : bool
        Run the networks under bfloat16 autocast (losses stay float32): faster on CPUs with
        AVX512-BF16 and on GPUs, at reduced precision.
    channels_last : bool
        Give the encoder channels-last images (its weights must be channels-last too, see
        :func:`frozen`): faster on CPUs, same results up to rounding.
    """

    def __init__(self, extractor: FeatureExtractor, targets: Targets, loss: LossFn, render: Renderer,
                 micro_batch: int | None = None, autocast_bf16: bool = False,
                 channels_last: bool = False) -> None:  # fmt: skip
        if micro_batch is not None and micro_batch < 1:
            raise ValueError(f"micro_batch must be >= 1, got {micro_batch}")
        self.extractor = extractor
        self.targets = targets
        self.loss = loss
        self.render = render
        self.micro_batch = micro_batch
        self.autocast_bf16 = autocast_bf16
        self.channels_last = channels_last

    def loss_of(self, var: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """Loss (len(index),) of the images ``index`` whose variables are ``var``."""
        image = self.render(var, index)
        if self.channels_last:
            image = image.contiguous(memory_format=torch.channels_last)
        with torch.autocast(var.device.type, torch.bfloat16, enabled=self.autocast_bf16):
            acts = self.extractor(image)
        total = var.new_zeros(len(index))
        for j, layer in enumerate(self.targets.layers):
            target = self.targets.features[layer][index]
            mask = self.targets.masks[layer]
            act = acts[layer].to(target.dtype)
            total = total + self.targets.weights[index, j] * self.loss(act, target, mask)
        return total

    def value_and_grad(self, var: torch.Tensor, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-image losses and the gradient with respect to ``var``, in micro-batches.

        The images do not interact (eval-mode networks), so the gradient of a summed loss holds
        each image's own gradient.
        """
        return batched_value_and_grad(self.loss_of, var, index, self.micro_batch)

    def check_shapes(self, var: torch.Tensor) -> None:
        """Raise before any optimisation when the encoder's features of the first image of
        ``var`` and the targets differ in shape, naming the layer and both shapes."""
        with torch.no_grad():
            image = self.render(var[:1], torch.zeros(1, dtype=torch.long, device=var.device))
            try:
                acts = self.extractor(image)
            except RuntimeError as error:  # e.g. an fc layer sized for other images
                raise ValueError(f"the encoder does not run on {tuple(image.shape[-2:])} images "
                                 f"({error}); check image_size") from error  # fmt: skip
        for layer in self.targets.layers:
            expected, given = tuple(acts[layer].shape[1:]), tuple(self.targets.features[layer].shape[1:])
            if expected != given:
                raise ValueError(f"target features of layer {layer!r} have shape {given} per image; the "
                                 f"encoder gives {expected} for {tuple(image.shape[-2:])} images: "
                                 "check the layer and image_size")  # fmt: skip


def batched_value_and_grad(loss_of: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                           var: torch.Tensor, index: torch.Tensor,
                           micro_batch: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """Per-item losses ``loss_of(var, index)`` (len(index),) and their gradients with respect
    to ``var``, ``micro_batch`` items per forward/backward pass (all by default).

    The items must not interact, so that the gradient of the summed loss holds each item's own.
    """
    step = micro_batch or len(index)
    losses, grads = [], []
    for part in torch.split(torch.arange(len(index), device=var.device), step):
        sub = var[part].detach().requires_grad_(True)
        with torch.enable_grad():
            loss = loss_of(sub, index[part])
            (grad,) = torch.autograd.grad(loss.sum(), sub)
        losses.append(loss.detach())
        grads.append(grad)
    return torch.cat(losses), torch.cat(grads)


@contextmanager
def frozen(*modules: nn.Module | None, channels_last: bool = False):
    """Eval mode and no weight gradients for the modules inside the block; restored after.

    With `channels_last`, 4-D weights are also stored channels-last inside the block (oneDNN's
    fastest CPU convolution layout; inputs must then be channels-last too, or convolutions
    get much slower), and stored back in their own layout after.
    """
    present = [m for m in modules if m is not None]
    states = [(m.training, [(p, p.requires_grad) for p in m.parameters()]) for m in present]
    relaid = [p for m in present for p in m.parameters() if channels_last and p.dim() == 4
              and p.is_contiguous()]  # fmt: skip
    for m in present:
        m.eval()
        m.requires_grad_(False)
    for p in relaid:
        p.data = p.data.contiguous(memory_format=torch.channels_last)
    try:
        yield
    finally:
        for p in relaid:
            p.data = p.data.contiguous()
        for m, (training, params) in zip(present, states, strict=True):
            m.train(training)
            for p, flag in params:
                p.requires_grad_(flag)
