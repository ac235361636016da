"""The registry of reconstruction variants: one entry per variant, read by the engine and the workflow.

A variant combines parts: what is optimised (:mod:`icnn.recon.parameterisations`: the pixels of
the encoder's input, or the latent of a generator whose output is that input) and the optimiser
(:mod:`icnn.recon.optimisers`: momentum gradient descent, or L-BFGS-B in the box of valid
values), with its published defaults (Shen et al. 2019 and the iCNN reference
implementations). A variant of existing parts is one entry here (and its name in the
workflow schema); see CONTRIBUTING.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from icnn.recon.checks import closest
from icnn.recon.gd import GDOptions
from icnn.recon.lbfgs import LBFGSOptions
from icnn.recon.optimisers import LBFGSB, GradientDescent
from icnn.recon.parameterisations import GeneratorLatent, Pixels

#: GD options that act on pixels after each step; a generator variant cannot use them.
PIXEL_ONLY_OPTIONS = ("blur_sigma", "clip_extreme", "clip_small_norm", "clip_small_contribution")

Options = GDOptions | LBFGSOptions | Mapping[str, object]


@dataclass(frozen=True)
class Variant:
    """One reconstruction variant.

    Attributes
    ----------
    name : str
        Its name in the API, the config and the result paths.
    parameterisation : type
        What is optimised: :class:`Pixels` or :class:`GeneratorLatent` (any class with their
        ``build``, ``bounds``, ``initial``, ``render``, ``gd_steps``, ``latents``).
    optimiser : type
        :class:`GradientDescent` or :class:`LBFGSB` (any class with ``options_type``, ``build``
        and ``run``).
    defaults : GDOptions or LBFGSOptions
        Its published settings, of the optimiser's ``options_type``.
    """

    name: str
    parameterisation: type[Pixels] | type[GeneratorLatent]
    optimiser: type[GradientDescent] | type[LBFGSB]
    defaults: GDOptions | LBFGSOptions

    def __post_init__(self) -> None:
        if not isinstance(self.defaults, self.optimiser.options_type):
            raise TypeError(f"variant {self.name}: {self.optimiser.__name__} needs defaults of type "
                            f"{self.optimiser.options_type.__name__}")  # fmt: skip

    @property
    def needs_generator(self) -> bool:
        """Whether the variant optimises a generator's latent (and so needs a generator)."""
        return self.parameterisation.needs_generator


REGISTRY: Mapping[str, Variant] = MappingProxyType({v.name: v for v in (
    Variant("icnn_gd", Pixels, GradientDescent, GDOptions()),
    Variant("icnn_lbfgs", Pixels, LBFGSB, LBFGSOptions(n_iter=200)),
    Variant("icnn_dgn_gd", GeneratorLatent, GradientDescent, GDOptions(decay=(0.01, 0.01), blur_sigma=None)),
    Variant("icnn_dgn_lbfgs", GeneratorLatent, LBFGSB, LBFGSOptions(n_iter=500)),
)})  # fmt: skip

#: Variant names, in registry order.
VARIANTS: tuple[str, ...] = tuple(REGISTRY)
#: Published defaults of each variant (read-only).
DEFAULT_OPTIONS: Mapping[str, GDOptions | LBFGSOptions] = MappingProxyType(
    {name: v.defaults for name, v in REGISTRY.items()})  # fmt: skip


def get_variant(name: str) -> Variant:
    """The registry entry of ``name``; a ValueError listing the variants when there is none."""
    if name not in REGISTRY:
        raise ValueError(f"unknown method {name!r}{closest(str(name), VARIANTS)}; choose one of {VARIANTS}")
    return REGISTRY[name]


def needs_generator(name: str) -> bool:
    """Whether variant ``name`` optimises a generator latent."""
    return get_variant(name).needs_generator


def variant_options(method: str, options: Options | None = None) -> GDOptions | LBFGSOptions:
    """The settings of ``method``: its published defaults updated by ``options``.

    Parameters
    ----------
    method : str
        A variant name (see :data:`VARIANTS`).
    options : mapping, GDOptions or LBFGSOptions, optional
        A mapping of field names (lists are accepted for schedules, as they come from YAML), or
        complete options of the variant's type.

    Returns
    -------
    GDOptions or LBFGSOptions

    Raises
    ------
    ValueError
        Unknown method or option names, invalid values, or pixel-only options for a generator
        variant.
    TypeError
        Options of the other optimiser's type.
    """
    variant = get_variant(method)
    base = variant.defaults
    if options is None:
        opts = base
    elif isinstance(options, GDOptions | LBFGSOptions):
        if type(options) is not type(base):
            raise TypeError(f"{method} takes {type(base).__name__}, not {type(options).__name__}")
        opts = options
    else:
        names = {f.name for f in dataclasses.fields(base)}
        unknown = sorted(set(options) - names)
        if unknown:
            hint = closest(str(unknown[0]), names)
            raise ValueError(f"unknown {method} options {unknown}{hint}; valid: {sorted(names)}")
        opts = dataclasses.replace(base, **options)
    if variant.needs_generator and isinstance(opts, GDOptions):
        used = [name for name in PIXEL_ONLY_OPTIONS if getattr(opts, name) is not None]
        if used:
            raise ValueError(f"{method} optimises a generator latent: {used} act on pixels; leave them unset")
    return opts
