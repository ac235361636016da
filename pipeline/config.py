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
from decoders.labels import LabelSpec
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


def true_sets(config: Mapping) -> list[str]:
    """Test sets (image and movie) also reconstructed from true features.

    None without the ``"true"`` source; else ``reconstruction.true_sets``, by default every test
    set of the config's subjects.
    """
    rec = config["reconstruction"]
    if "true" not in rec["sources"]:
        return []
    return list(rec.get("true_sets") or _all_test_sets(config))


def _all_test_sets(config: Mapping) -> list[str]:
    """The test sets (image and movie) of the config's subjects, sorted."""
    return sorted({t for entry in config["subjects"].values() for t in entry["test"]})


#: The keys that narrow a layer set to some of the config's subjects, ROIs and test image sets.
SCOPE_KEYS = ("subjects", "rois", "image_sets")


def layer_sets(config: Mapping) -> dict[str, dict[str, list[str]]]:
    """Every reconstruction layer set with its scope, as ``{name: {"layers", "variants",
    "subjects", "rois", "image_sets"}}``.

    A layer set is written either as a list of layers (reconstructed with every variant) or
    as ``{layers, variants}`` (with those variants only), optionally narrowed by ``subjects``,
    ``rois`` and ``image_sets`` (test image sets); what is not narrowed is every entry of the
    config (a study's experiments need not cross every subject, ROI and image set).
    """
    rec = config["reconstruction"]
    every = {
        "subjects": list(config["subjects"]),
        "rois": list(config["rois"]),
        "image_sets": _test_sets(config),
    }
    out = {}
    for name, entry in rec["layer_sets"].items():
        if isinstance(entry, Mapping):
            out[name] = {"layers": list(entry["layers"]), "variants": list(entry["variants"])}
            out[name].update({key: list(entry.get(key) or every[key]) for key in SCOPE_KEYS})
        else:
            out[name] = {"layers": list(entry), "variants": list(rec["variants"]), **every}
    return out


def is_movie_set(config: Mapping, name: str) -> bool:
    """Whether a stimulus set of the config is a movie set (else an image set)."""
    return name in (config.get("movie_sets") or {})


def set_folder(config: Mapping, name: str) -> str:
    """The folder of an image set or a movie set."""
    return (config.get("movie_sets") or {}).get(name) or config["image_sets"][name]


def set_layer_sets(config: Mapping, name: str) -> dict[str, dict[str, list[str]]]:
    """The layer sets reconstructing stimulus set ``name``, with their scopes (as
    :func:`layer_sets`): ``movie.layer_sets`` (every subject and ROI) for a movie set, else the
    layer sets whose scope has the image set."""
    if is_movie_set(config, name):
        every = {"subjects": list(config["subjects"]), "rois": list(config["rois"]), "image_sets": [name]}
        return {k: {"layers": list(v["layers"]), "variants": list(v["variants"]), **every}
                for k, v in config["movie"]["layer_sets"].items()}  # fmt: skip
    return {k: v for k, v in layer_sets(config).items() if name in v["image_sets"]}


def session_timing(config: Mapping, name: str) -> dict | None:
    """How the samples of a session showing set ``name`` are formed: None (one sample per
    block, as stored) for an image set; ``{tr_s, delays_s}`` (per-frame samples from the
    delayed volumes, :func:`decoders.timing.lagged_samples`) for a movie set."""
    if not is_movie_set(config, name):
        return None
    return {"tr_s": float(config["movie"]["tr_s"]), "delays_s": [float(d) for d in config["movie"]["delays_s"]]}


def _check_movies(config: Mapping) -> None:
    """Movie sets: names apart from the image sets', one kind per subject, the movie section."""
    movie_sets = config.get("movie_sets") or {}
    clash = sorted(set(movie_sets) & set(config["image_sets"]))
    if clash:
        raise ConfigError(f"movie_sets: {clash} are also image sets; give every set its own name")
    used = False
    for subject, entry in config["subjects"].items():
        sessions = [entry["train"]["image_set"], *entry["test"]]
        kinds = {is_movie_set(config, name) for name in sessions}
        if len(kinds) > 1:
            raise ConfigError(f"subjects.{subject}: sessions {sessions} mix image and movie sets; a "
                              "subject's decoders learn one kind: list the movie sessions under a "
                              "subject of their own (e.g. {subject}-movies)")  # fmt: skip
        used |= kinds == {True}
    if not used:
        return
    movie = config.get("movie")
    if not movie:
        raise ConfigError("movie: subjects show movie sets; add a 'movie' section (tr_s, delays_s, "
                          "layer_sets), see config/movies.yaml")  # fmt: skip
    for delay in movie["delays_s"]:
        if abs(delay / movie["tr_s"] - round(delay / movie["tr_s"])) > 1e-6:
            raise ConfigError(f"movie.delays_s: {delay} is not a multiple of movie.tr_s ({movie['tr_s']})")
    layers = config["encoder"]["layers"]
    for name, entry in movie["layer_sets"].items():
        unknown = [layer for layer in entry["layers"] if layer not in layers]
        if unknown:
            raise ConfigError(f"movie.layer_sets.{name}: layers {unknown} are not in encoder.layers "
                              f"{list(layers)}; add them there or remove them here")  # fmt: skip
        if any(needs_generator(v) for v in entry["variants"]) and not config.get("generator"):
            raise ConfigError(f"movie.layer_sets.{name}.variants: the DGN variants need a generator")
        for variant in entry["variants"]:
            try:
                variant_options(variant, ((config["reconstruction"].get("options") or {}).get(variant)))
            except (ValueError, TypeError) as error:
                raise ConfigError(f"reconstruction.options.{variant}: {error}") from error


def decoded_conditions(config: Mapping, layer_set: str | None = None) -> list[tuple[str, str, str]]:
    """(subject, roi, test set) of the decoded-feature reconstructions of an image layer set (of
    any layer set, the movie sets' included, with ``layer_set`` None), in config order.

    Parameters
    ----------
    config : mapping
        The validated workflow config.
    layer_set : str, optional
        Name of one layer set of ``reconstruction.layer_sets``.
    """
    named = [layer_sets(config)[layer_set]] if layer_set else None
    out = []
    for s in config["subjects"]:
        for t in subject_test_sets(config, s):
            scopes = named or set_layer_sets(config, t).values()
            out += [(s, r, t) for r in config["rois"]
                    if any(s in e["subjects"] and r in e["rois"] and t in e["image_sets"] for e in scopes)]  # fmt: skip
    return out


def _test_sets(config: Mapping) -> list[str]:
    """The test image sets of the config's subjects (not the movie sets)."""
    return [t for t in _all_test_sets(config) if not is_movie_set(config, t)]


def _demo_out_dir(config: Mapping) -> str | None:
    if not config.get("demo_data"):
        return None
    from pipeline.simulated import load_config

    return os.path.normpath(load_config(config["demo_data"]).out_dir)


def _must_exist(path: str, what: str, made_here: tuple[str, ...], produced: frozenset[str] = frozenset()
                ) -> None:  # fmt: skip
    """A user file must exist now; files under ``made_here`` (the demo-data folder) and the
    ``produced`` files (downloads, with the files unzipped from them) may not exist yet."""
    normal = os.path.normpath(path)
    if normal in produced or any(normal == d or normal.startswith(d + os.sep) for d in made_here):
        return
    if not os.path.exists(path):
        raise ConfigError(f"{what}: {path} does not exist; fix the path in the config, list it "
                          "under 'downloads' (an unzipped file under the 'files' of its archive), "
                          "or set demo_data to build the embedded default")  # fmt: skip


def download_outputs(entry: Mapping) -> list[str]:
    """The files a download entry produces: the file fetched and those unzipped from it."""
    return [entry["path"], *(entry.get("files") or [])]


def session_labels(entry: Mapping, image_set: str) -> dict:
    """The label spec (:class:`decoders.labels.LabelSpec` fields) of a subject's session.

    ``labels`` (a key, or a mapping of the spec's fields whose ``table`` may map image sets to
    their index tables) takes precedence over the older ``label_key``.
    """
    spec = entry.get("labels") or entry.get("label_key") or "stimulus_name"
    spec = {"key": spec} if isinstance(spec, str) else dict(spec)
    if isinstance(spec.get("table"), Mapping):
        spec["table"] = spec["table"].get(image_set)
    return spec


def _check_labels(subject: str, entry: Mapping, made_here: tuple[str, ...],
                  produced: frozenset[str]) -> None:  # fmt: skip
    if entry.get("labels") and entry.get("label_key"):
        raise ConfigError(f"subjects.{subject}: give 'labels' or 'label_key', not both")
    sessions = [entry["train"]["image_set"], *entry["test"]]
    table = (entry.get("labels") or {}).get("table") if isinstance(entry.get("labels"), Mapping) else None
    if isinstance(table, Mapping):
        missing = [s for s in sessions if s not in table]
        if missing:
            raise ConfigError(f"subjects.{subject}.labels.table: no index table for the image sets "
                              f"{missing}; add one per session (training and test tables differ)")  # fmt: skip
    for image_set in sessions:
        spec = session_labels(entry, image_set)
        try:
            LabelSpec.from_config(spec)
        except (ValueError, TypeError) as error:
            raise ConfigError(f"subjects.{subject}.labels: {error}") from error
        if spec.get("table"):
            _must_exist(spec["table"], f"subjects.{subject}.labels.table", made_here, produced)


def published_zips(published: Mapping) -> list[str]:
    """Names of the authors' decoded-feature zips the conditions of ``published`` read."""
    return sorted({f"decodedfeatures-{c['image_type']}-{c['network']}-{layer}-{subject}.zip"
                   for c in published["conditions"].values() for layers in c["layer_sets"].values()
                   for layer in layers for subject in published["subjects"]})  # fmt: skip


def check_published(published: Mapping, weights: str | None, listed: Sequence[str]) -> None:
    """The decoded-feature entry point's conditions name known networks, layers and listed files.

    Parameters
    ----------
    published : mapping
        The config's ``published`` entry.
    weights : str, optional
        The encoder's weights file (the published networks share it).
    listed : sequence of str
        File names of the authors' file list.
    """
    for name, cond in published["conditions"].items():
        where = f"published.conditions.{name}"
        for key in ("encoders", "feature_sd"):
            if cond["network"] not in published[key]:
                raise ConfigError(f"{where}.network: {cond['network']!r} has no entry under "
                                  f"published.{key} ({', '.join(published[key])}); add one")  # fmt: skip
        layers = [layer for layers in cond["layer_sets"].values() for layer in layers]
        try:
            check_encoder(published["encoders"][cond["network"]], layers, weights)
        except ValueError as error:
            raise ConfigError(f"{where}: {error}") from error
    missing = sorted(set(published_zips(published)) - set(listed))
    if missing:
        raise ConfigError(f"published: {len(missing)} decoded-feature files are not in "
                          f"{published['file_list']}: {', '.join(missing[:3])}; fix the condition's "
                          "image_type, network, layers or subjects (the authors' names: S1, VGG19)")  # fmt: skip


def check_config(config: Mapping) -> None:
    """Check a validated workflow config; raise :class:`ConfigError` naming the entry and the fix."""
    enc = config["encoder"]
    rec = config["reconstruction"]
    try:
        check_encoder(enc["name"], list(enc["layers"]), enc.get("weights"))
    except ValueError as error:
        raise ConfigError(f"encoder: {error}") from error
    demo_dir = _demo_out_dir(config)
    made_here = tuple(os.path.normpath(p) for p in [demo_dir] if p)
    produced = frozenset(os.path.normpath(path) for entry in config.get("downloads") or []
                         for path in download_outputs(entry))  # fmt: skip
    if enc.get("weights"):
        _must_exist(enc["weights"], "encoder.weights", made_here, produced)
    sets = layer_sets(config)
    for name, entry in sets.items():
        unknown = [layer for layer in entry["layers"] if layer not in enc["layers"]]
        if unknown:
            raise ConfigError(f"reconstruction.layer_sets.{name}: layers {unknown} are not in "
                              f"encoder.layers {list(enc['layers'])}; add them there (they are decoded) "
                              "or remove them here")  # fmt: skip
        for key, known in (("subjects", config["subjects"]), ("rois", config["rois"]),
                           ("image_sets", _test_sets(config))):  # fmt: skip
            stray = [x for x in entry[key] if x not in known]
            if stray:
                raise ConfigError(f"reconstruction.layer_sets.{name}.{key}: {stray} are not among "
                                  f"the config's {key} {list(known)}; fix the name or add it there")  # fmt: skip
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
    for grid, entry in (figures.get("grids") or {}).items():
        for key, names in (("layer_sets", sets), ("subjects", config["subjects"]), ("rois", config["rois"]),
                           ("image_set", _test_sets(config))):  # fmt: skip
            given = entry.get(key) or []
            stray = [x for x in ([given] if isinstance(given, str) else given) if x not in names]
            if stray:
                raise ConfigError(f"figures.grids.{grid}.{key}: {stray} not among {list(names)}")
    for variant in rec["variants"]:
        if variant not in VARIANTS:
            raise ConfigError(f"reconstruction.variants: unknown {variant!r}; choose from {VARIANTS}")
        try:
            variant_options(variant, (rec.get("options") or {}).get(variant))
        except (ValueError, TypeError) as error:
            raise ConfigError(f"reconstruction.options.{variant}: {error}") from error
    if rec.get("true_sets"):
        if "true" not in rec["sources"]:
            raise ConfigError("reconstruction.true_sets: no set is reconstructed from true features "
                              "without \"true\" in reconstruction.sources; add it there or remove true_sets")  # fmt: skip
        tested = _all_test_sets(config)
        stray = [t for t in rec["true_sets"] if t not in tested]
        if stray:
            raise ConfigError(f"reconstruction.true_sets: {stray} are not test sets of the config's subjects "
                              f"{tested}; fix the name or add the set to a subject's test")  # fmt: skip
    if rec["stats_image_set"] not in config["image_sets"]:
        raise ConfigError(f"reconstruction.stats_image_set: {rec['stats_image_set']!r} is not an image set "
                          f"({', '.join(config['image_sets'])})")  # fmt: skip
    sets = {**config["image_sets"], **(config.get("movie_sets") or {})}
    # Image folders may be missing at parse time: the published stimulus images come from the
    # authors on request, and the download or the 'published' target need none (image_labels
    # in the workflow says so when a job needs them).
    for subject, entry in config["subjects"].items():
        if entry["train"]["image_set"] not in sets:
            raise ConfigError(f"subjects.{subject}.train.image_set: {entry['train']['image_set']!r} is not "
                              f"an image set ({', '.join(sets)})")  # fmt: skip
        _must_exist(entry["train"]["fmri"], f"subjects.{subject}.train.fmri", made_here, produced)
        _check_labels(subject, entry, made_here, produced)
        for image_set, fmri in entry["test"].items():
            if image_set not in sets:
                raise ConfigError(f"subjects.{subject}.test.{image_set}: no image or movie set of that "
                                  f"name ({', '.join(sets)}); add it under image_sets or movie_sets")  # fmt: skip
            _must_exist(fmri, f"subjects.{subject}.test.{image_set}", made_here, produced)
    _check_movies(config)
    if any(needs_generator(v) for v in rec["variants"]):
        gen = config.get("generator") or {}
        if not gen:
            raise ConfigError("generator: the DGN variants need a generator: 'train: config/dgn.yaml', "
                              "'card: <generator.yaml>' or 'bdpy_relu7: <state dict>'")  # fmt: skip
        for key in ("train", "card", "bdpy_relu7", "bounds"):
            if gen.get(key):
                _must_exist(gen[key], f"generator.{key}", made_here, produced)
