"""Checks of a workflow config beyond its schema, run at parse time.

The schema catches wrong types and unknown keys; these checks catch what needs the project's
knowledge (layer names of the encoder, variant options, which files must already exist), so a
bad config fails before any compute, with a message naming the entry and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from common.config import ConfigError, validate
from icnn.networks.registry import check_encoder
from icnn.recon import VARIANTS, needs_generator, variant_options

SCHEMA = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"


def load_workflow_config(data: Mapping, files: Sequence[str | os.PathLike] = (),
                         schema: str | os.PathLike = SCHEMA) -> dict:  # fmt: skip
    """Validate a workflow config against its schema (defaults filled in), then check it.

    Parameters
    ----------
    data : mapping
        The config as Snakemake read it.
    files : sequence of path
        The config files it came from, to name in errors.
    schema : path
        The workflow's schema (default: the one beside the Snakefile of this checkout).

    Raises
    ------
    ConfigError
        One line per problem, naming the key and the fix (or the closest valid key).
    """
    name = ", ".join(os.fspath(f) for f in files) or "config"
    checked = validate(data, Path(schema).resolve(), name)
    check_config(checked)
    return checked


def subject_test_sets(config: Mapping, subject: str) -> list[str]:
    """Image-set names of a subject's test sessions."""
    return list(config["subjects"][subject]["test"])


def layer_sets(config: Mapping) -> dict[str, dict[str, list[str]]]:
    """Every reconstruction layer set as ``{name: {"layers": [...], "variants": [...]}}``.

    A layer set is written either as a list of layers (reconstructed with every variant) or
    as ``{layers: [...], variants: [...]}`` (with those variants only).
    """
    rec = config["reconstruction"]
    out = {}
    for name, entry in rec["layer_sets"].items():
        if isinstance(entry, Mapping):
            out[name] = {"layers": list(entry["layers"]), "variants": list(entry["variants"])}
        else:
            out[name] = {"layers": list(entry), "variants": list(rec["variants"])}
    return out


def _demo_out_dir(config: Mapping) -> str | None:
    if not config.get("demo_data"):
        return None
    from pipeline.simulated import load_config

    return os.path.normpath(load_config(config["demo_data"]).out_dir)


def _must_exist(path: str, what: str, made_here: tuple[str, ...]) -> None:
    """A user file must exist now; files under ``made_here`` (written by the demo-data or the
    download rule) may not exist yet."""
    normal = os.path.normpath(path)
    if any(normal == d or normal.startswith(d + os.sep) for d in made_here):
        return
    if not os.path.exists(path):
        raise ConfigError(f"{what}: {path} does not exist; fix the path in the config, list it "
                          "under 'downloads', or set demo_data to build the embedded default")


def check_config(config: Mapping) -> None:
    """Check a validated workflow config; raise :class:`ConfigError` naming the entry and the fix."""
    enc = config["encoder"]
    rec = config["reconstruction"]
    try:
        check_encoder(enc["name"], list(enc["layers"]), enc.get("weights"))
    except ValueError as error:
        raise ConfigError(f"encoder: {error}") from error
    demo_dir = _demo_out_dir(config)
    made_here = tuple(os.path.normpath(p) for p in [demo_dir] if p) + tuple(
        os.path.normpath(entry.get("unzip") or entry["path"]) for entry in config.get("downloads") or []
    )
    if enc.get("weights"):
        _must_exist(enc["weights"], "encoder.weights", made_here)
    sets = layer_sets(config)
    for name, entry in sets.items():
        unknown = [layer for layer in entry["layers"] if layer not in enc["layers"]]
        if unknown:
            raise ConfigError(f"reconstruction.layer_sets.{name}: layers {unknown} are not in "
                              f"encoder.layers {list(enc['layers'])}; add them there (they are decoded) "
                              "or remove them here")  # fmt: skip
        stray = [v for v in entry["variants"] if v not in rec["variants"]]
        if stray:
            raise ConfigError(f"reconstruction.layer_sets.{name}.variants: {stray} are not in "
                              f"reconstruction.variants {list(rec['variants'])}; add them there or "
                              "remove them here")  # fmt: skip
    unused = [v for v in rec["variants"] if not any(v in e["variants"] for e in sets.values())]
    if unused:
        raise ConfigError(f"reconstruction.variants: {unused} are in no layer set; list them under "
                          "the 'variants' of a layer set, or remove them")  # fmt: skip
    figures = config.get("figures") or {}
    for key, names in (("layer_set", sets), ("subject", config["subjects"]), ("roi", config["rois"])):
        if figures.get(key) and figures[key] not in names:
            raise ConfigError(f"figures.{key}: {figures[key]!r} is not one of {list(names)}")
    for variant in rec["variants"]:
        if variant not in VARIANTS:
            raise ConfigError(f"reconstruction.variants: unknown {variant!r}; choose from {VARIANTS}")
        try:
            variant_options(variant, (rec.get("options") or {}).get(variant))
        except (ValueError, TypeError) as error:
            raise ConfigError(f"reconstruction.options.{variant}: {error}") from error
    sets = config["image_sets"]
    if rec["stats_image_set"] not in sets:
        raise ConfigError(f"reconstruction.stats_image_set: {rec['stats_image_set']!r} is not an image set "
                          f"({', '.join(sets)})")  # fmt: skip
    for name, directory in sets.items():
        _must_exist(directory, f"image_sets.{name}", made_here)
    for subject, entry in config["subjects"].items():
        if entry["train"]["image_set"] not in sets:
            raise ConfigError(f"subjects.{subject}.train.image_set: {entry['train']['image_set']!r} is not "
                              f"an image set ({', '.join(sets)})")  # fmt: skip
        _must_exist(entry["train"]["fmri"], f"subjects.{subject}.train.fmri", made_here)
        for image_set, fmri in entry["test"].items():
            if image_set not in sets:
                raise ConfigError(f"subjects.{subject}.test.{image_set}: no image set of that name "
                                  f"({', '.join(sets)}); add it under image_sets")  # fmt: skip
            _must_exist(fmri, f"subjects.{subject}.test.{image_set}", made_here)
    if any(needs_generator(v) for v in rec["variants"]):
        gen = config.get("generator") or {}
        if not gen:
            raise ConfigError("generator: the DGN variants need a generator: 'train: config/dgn.yaml', "
                              "'card: <generator.yaml>' or 'bdpy_relu7: <state dict>'")  # fmt: skip
        for key in ("train", "card", "bdpy_relu7", "bounds"):
            if gen.get(key):
                _must_exist(gen[key], f"generator.{key}", made_here)
