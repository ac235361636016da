"""Typed parameters of workflow jobs, built by the Snakefile and read by the stage functions.

A Snakefile helper builds them while the DAG is built, so a renamed or missing field fails
then, not when a job runs. They travel to the job script as plain mappings (Snakemake stores
params for its rerun checks) and become the dataclass again there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReconJob:
    """One reconstruction job: a chunk of images of one condition.

    Attributes
    ----------
    variant : str
        Reconstruction variant (a name of :data:`icnn.recon.VARIANTS`).
    chunk, images_per_job : int
        The job reconstructs images ``chunk * images_per_job`` onwards.
    layers : tuple of str
        Layers whose features are matched.
    encoder, weights : str, str or None
        Feature network (a name of :mod:`icnn.networks.registry`) and its weights file.
    image_size : int
        Side of the reconstructed images.
    seed : int
        Image i of the store gets seed ``seed + i``.
    options : mapping
        Variant options over the published defaults.
    rescale : str
        Rescaling of decoded features (``none`` for true features).
    generator : mapping or None
        The generator entry of the DGN variants.
    device : str
        Torch device.
    micro_batch : int or None
        Images per forward/backward pass (None: the whole chunk).
    autocast_bf16 : bool
        bfloat16 autocast of the encoder.
    temporal : mapping or None
        A movie set's job: the fields of :class:`icnn.video.TemporalPrior`; the store's frames
        are then reconstructed as clips, ``images_per_job`` counting clips.
    """

    variant: str
    chunk: int
    images_per_job: int
    layers: tuple[str, ...]
    encoder: str
    image_size: int
    weights: str | None = None
    seed: int = 0
    options: Mapping[str, Any] = field(default_factory=dict)
    rescale: str = "none"
    generator: Mapping[str, Any] | None = None
    device: str = "cpu"
    micro_batch: int | None = None
    autocast_bf16: bool = False
    temporal: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.chunk < 0 or self.images_per_job < 1:
            raise ValueError(f"chunk {self.chunk} of {self.images_per_job} images per job is invalid")
        if not self.layers:
            raise ValueError(f"{self.variant}: a reconstruction job needs at least one layer")

    def to_params(self) -> dict[str, Any]:
        """A plain mapping for Snakemake's params; :meth:`from_params` reads it back."""
        return asdict(self)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ReconJob:
        """The job from the mapping of :meth:`to_params`."""
        return cls(**{**params, "layers": tuple(params["layers"])})
