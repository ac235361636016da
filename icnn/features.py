"""Features of named layers of any torch model, by forward hooks.

Layers are named by module path (``features.16``, ``layer3.1.conv2``, bdpy's ``features[16]``) or
by the model's alias map (``conv3_4``). The forward pass stops once every requested layer has
been seen, so reconstructing from conv layers never pays for the fc layers. A hooked output that
a later in-place op overwrites (torchvision's ``ReLU(inplace=True)``) is detected through the
tensor's version counter and from then on copied at the hook.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import nn


class _StopForward(Exception):
    """Raised inside the last needed hook to end the forward pass early."""


def _module_path(name: str) -> str:
    """Turn bdpy-style ``features[16]`` into the module path ``features.16``."""
    return re.sub(r"\[(\d+)\]", r".\1", name).strip(".")


def layer_aliases(model: nn.Module) -> dict[str, str]:
    """The model's map of layer names to module paths (``layer_aliases`` attribute), or ``{}``."""
    return dict(getattr(model, "layer_aliases", {}) or {})


def resolve_layer(model: nn.Module, layer: str, aliases: Mapping[str, str] | None = None) -> str:
    """Return the module path of ``layer`` in ``model``.

    Raises
    ------
    KeyError
        With the list of valid names, or the model's stated reason the layer is unavailable.
    """
    aliases = layer_aliases(model) if aliases is None else dict(aliases)
    path = _module_path(aliases.get(layer, layer))
    modules = dict(model.named_modules())
    if path in modules and path != "":
        return path
    unavailable = getattr(model, "unavailable_layers", {}) or {}
    if layer in unavailable:
        raise KeyError(f"layer {layer!r} is unavailable: {unavailable[layer]}")
    names = list(aliases) or [n for n in modules if n]
    raise KeyError(
        f"unknown layer {layer!r} for {type(model).__name__}; valid names: {', '.join(names)}"
        + ("" if not aliases else " (or any module path such as 'features.0')")
    )


class FeatureExtractor:
    """Collect the outputs of named layers of a model during its forward pass.

    Parameters
    ----------
    model : nn.Module
        Any torch model; it is used as is (no copy), hooks are removed by :meth:`close`.
    layers : sequence of str
        Layer names (aliases or module paths).
    aliases : mapping, optional
        Layer-name map; default: the model's ``layer_aliases`` attribute.
    stop_early : bool
        End the forward pass once every requested layer has produced its output.

    Examples
    --------
    >>> with FeatureExtractor(vgg, ["conv1_1", "conv3_4"]) as fx:  # doctest: +SKIP
    ...     feats = fx(images)                                     # dict of tensors
    """

    def __init__(
        self,
        model: nn.Module,
        layers: Sequence[str],
        aliases: Mapping[str, str] | None = None,
        stop_early: bool = True,
    ) -> None:
        if len(layers) == 0:
            raise ValueError("FeatureExtractor needs at least one layer")
        if len(set(layers)) != len(layers):
            raise ValueError(f"duplicate layers in {list(layers)}")
        self.model = model
        self.layers = list(layers)
        self.stop_early = stop_early
        self.paths = {layer: resolve_layer(model, layer, aliases) for layer in self.layers}
        # Layers whose outputs were found overwritten in place; these get copied at the hook.
        self.copy_layers: set[str] = set()
        self._outputs: dict[str, torch.Tensor] = {}
        self._versions: dict[str, int] = {}
        self._handles = []
        modules = dict(model.named_modules())
        for layer, path in self.paths.items():
            hook = self._make_hook(layer)
            self._handles.append(modules[path].register_forward_hook(hook))

    def _make_hook(self, layer: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            if layer in self._outputs:  # a module called twice: keep the first output
                return
            if layer in self.copy_layers:
                output = output.clone()
            self._outputs[layer] = output
            self._versions[layer] = output._version
            if self.stop_early and len(self._outputs) == len(self.layers):
                raise _StopForward

        return hook

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Run the model on ``x`` and return ``{layer: output}`` in the requested order."""
        outputs = self._run(x)
        overwritten = {k for k, v in outputs.items() if v._version != self._versions[k]}
        if overwritten:
            # An in-place op after the layer changed the stored tensor: copy at the hook, rerun.
            self.copy_layers |= overwritten
            outputs = self._run(x)
        missing = [layer for layer in self.layers if layer not in outputs]
        if missing:
            raise RuntimeError(f"layers {missing} were not reached by {type(self.model).__name__}.forward")
        return {layer: outputs[layer] for layer in self.layers}

    def _run(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        self._outputs = {}
        try:
            self.model(x)
        except _StopForward:
            pass
        outputs, self._outputs = self._outputs, {}
        return outputs

    def close(self) -> None:
        """Remove the hooks from the model."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> FeatureExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _checked_input(images: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Network-domain images as a tensor; a clear error for RGB images or non-finite values."""
    rgb_hint = "convert RGB images (N, H, W, 3) in 0..255 with icnn.network_input(images, model)"
    if isinstance(images, np.ndarray) and images.dtype == np.uint8 or \
            isinstance(images, torch.Tensor) and images.dtype == torch.uint8:  # fmt: skip
        raise ValueError(f"images are uint8: extract_features takes network-domain floats; {rgb_hint}")
    images = torch.as_tensor(images)
    if images.dim() != 4:
        raise ValueError(f"images have shape {tuple(images.shape)}; expected (N, C, H, W)")
    if images.shape[-1] == 3 and images.shape[1] != 3:
        raise ValueError(f"images have shape {tuple(images.shape)}, channels last: extract_features takes "
                         f"network-domain (N, 3, H, W); {rgb_hint}")  # fmt: skip
    n_bad = int((~torch.isfinite(images)).sum())
    if n_bad:
        raise ValueError(f"images have {n_bad} non-finite values (NaN or Inf); fix them first")
    return images


def extract_features(
    model: nn.Module,
    images: torch.Tensor | np.ndarray,
    layers: Sequence[str],
    batch_size: int = 16,
    aliases: Mapping[str, str] | None = None,
    device: str | torch.device | None = None,
) -> dict[str, np.ndarray]:
    """Features of ``layers`` for a stack of network-domain images, in batches, without gradients.

    Parameters
    ----------
    model : nn.Module
        Any torch model.
    images : array (N, C, H, W)
        Images already in the model's input domain; RGB images (N, H, W, 3) in 0..255, as
        :func:`icnn.reconstruct` returns them, convert with :func:`icnn.network_input`.
    layers : sequence of str
        Layer names or module paths.
    batch_size : int
        Images per forward pass.
    aliases : mapping, optional
        Layer-name map; default: the model's ``layer_aliases``.
    device : str or torch.device, optional
        Where to compute; default: where the model's parameters are.

    Returns
    -------
    dict of str to ndarray
        ``{layer: (N, *feature_shape)}`` as float32 numpy arrays.
    """
    param = next(model.parameters(), None)
    device = torch.device(device) if device is not None else (
        param.device if param is not None else torch.device("cpu"))  # fmt: skip
    dtype = param.dtype if param is not None else torch.float32
    images = _checked_input(images)
    chunks: dict[str, list[np.ndarray]] = {layer: [] for layer in layers}
    with FeatureExtractor(model, layers, aliases) as fx, torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size].to(device=device, dtype=dtype)
            for layer, value in fx(batch).items():
                chunks[layer].append(value.float().cpu().numpy())
    return {layer: np.concatenate(parts) for layer, parts in chunks.items()}
