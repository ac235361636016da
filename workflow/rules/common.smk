# Config validation (at parse time) and the helpers that turn config into job lists.
import functools
import math
import re
from pathlib import Path

from icnn.networks.registry import layer_shapes
from icnn.recon.variants import VARIANTS, needs_generator
from pipeline.config import (check_published, decoded_conditions, download_outputs, is_movie_set, layer_sets,
                             load_workflow_config, session_labels, session_timing, set_folder, set_layer_sets,
                             subject_test_sets, true_sets)
from pipeline.download import read_file_list
from pipeline.resources import WorkflowResources

# Schema (defaults filled in, one-line errors naming the closest key), then the checks a schema
# cannot make; the validated config replaces the given one in place (Snakemake holds `config`).
_checked = load_workflow_config(config, workflow.configfiles,
                                Path(workflow.current_basedir) / "../schemas/config.schema.yaml")
config.clear()
config.update(_checked)

ENC = config["encoder"]
REC = config["reconstruction"]
FIG = config.get("figures") or {}
LAYER_SETS = layer_sets(config)  # name -> {layers, variants}
TRUE_SETS = true_sets(config)  # test sets also reconstructed from true features
FIGURE_LAYER_SET = FIG.get("layer_set") or next(iter(LAYER_SETS))
DEMO = config.get("demo_data")
DATA_CHECK = "results/checks/data_checks.tsv"
VOXEL_MASK = "results/checks/voxels/{subject}.npz"
IMAGE_CHECK = "results/checks/images/{image_set}.tsv"
MOVIE = config.get("movie") or {}
# Feature shapes from the architecture alone (meta device): shards and memory requests.
SHAPES = layer_shapes(ENC["name"], ENC["layers"], ENC["image_size"])
RES = WorkflowResources(config, SHAPES, lambda image_set: n_images_now(image_set),
                        lambda movie_set: n_clips_now(movie_set))

wildcard_constraints:
    subject="[^/]+",
    roi="[^/]+",
    layer="[^/]+",
    image_set="[^/]+",
    variant="|".join(VARIANTS),  # the names of the variant registry
    layer_set="[^/]+",
    chunk="[0-9]+",
    shard="[0-9]+",


def demo_ready(image_set):
    """Demo data is built by checkpoints: wait for the one writing a set before listing it (the
    movie sets' is demo_movies, which only configs with movies run)."""
    if DEMO:
        {"images": checkpoints.demo_data, "movies": checkpoints.demo_movies}[demo_part(image_set)].get()


def image_check(image_set):
    """The check of an image set (its labels and files)."""
    return IMAGE_CHECK.format(image_set=image_set)


def subject_files(subject):
    """A subject's fMRI files: the training session, then the test sessions."""
    entry = config["subjects"][subject]
    return [entry["train"]["fmri"], *entry["test"].values()]


def subject_image_sets(subject):
    """The image sets a subject saw: the training set, then the test sets."""
    entry = config["subjects"][subject]
    return [entry["train"]["image_set"], *entry["test"]]


def image_dir(image_set):
    """The folder of an image set or a movie set."""
    return set_folder(config, image_set)


def all_sets():
    return [*config["image_sets"], *(config.get("movie_sets") or {})]


def image_labels(image_set):
    demo_ready(image_set)
    return _scanned_labels(image_set)


@functools.lru_cache(maxsize=None)
def _scanned_labels(image_set):
    """Labels of a set's images, scanned once per parse (the DAG asks for them per condition)."""
    from icnn.images import find_images
    from pipeline.movie_sets import movie_frame_labels

    try:
        if is_movie_set(config, image_set):
            return movie_frame_labels(image_dir(image_set))
        return sorted(find_images(image_dir(image_set)))
    except FileNotFoundError as error:
        # Parsing does not need the images (the download and the `published` target run without).
        raise FileNotFoundError(f"image set {image_set!r}: {error}. Published studies' stimulus images "
                                "come from their authors (Shen et al. 2019: on request, see "
                                "config/shen2019.yaml); `snakemake download` and `snakemake published` "
                                "need none") from error


def n_images_now(image_set):
    """Images of a set for sizing jobs: 0 while its folder does not exist yet (resources then
    assume the study's sizes; Snakemake recomputes them before running the job)."""
    return len(_scanned_labels(image_set)) if Path(image_dir(image_set)).is_dir() else 0


def n_clips_now(movie_set):
    """Clips of a movie set for sizing jobs: 0 while its folder does not exist yet."""
    from icnn.video.io import find_clips

    return len(find_clips(image_dir(movie_set))) if Path(image_dir(movie_set)).is_dir() else 0


def feature_layers(image_set):
    """Layers whose true features a set needs: every encoder layer of an image set (the
    image decoders and reconstructions), the movie layer sets' of a movie set."""
    if not is_movie_set(config, image_set):
        return list(ENC["layers"])
    used = {layer for entry in set_layer_sets(config, image_set).values() for layer in entry["layers"]}
    return [layer for layer in ENC["layers"] if layer in used]


def image_files(image_set):
    """The image files of a set (so that changed images rerun their features), or the stamp of
    the demo part that writes it."""
    if DEMO:
        return [demo_stamp(demo_part(image_set))]
    return [str(p) for p in sorted(Path(image_dir(image_set)).rglob("*")) if p.is_file()]


def demo_inputs(wildcards=None):
    """The demo stamp of the job's set (of the image part without one), for rules whose params
    list images (they depend on that demo checkpoint)."""
    return [demo_stamp(demo_part(getattr(wildcards, "image_set", None)))] if DEMO else []


def demo_outputs(part):
    """What a demo-data checkpoint writes: the stamp and every fMRI file of its part of the
    build ("images" or "movies"), the same whichever of them the config uses, so that adding
    the movie condition's config reruns neither checkpoint of a finished demo."""
    from pipeline.simulated import image_session_files, load_config, movie_session_files

    files = {"images": image_session_files, "movies": movie_session_files}[part](load_config(DEMO))
    return [demo_stamp(part)] + sorted(str(p) for p in files)


def demo_mb(part):
    """Memory of the demo checkpoint of one part ("images" or "movies"), from the sizes it simulates."""
    from pipeline.resources import simulation_mb
    from pipeline.simulated import load_config

    return lambda wildcards, attempt: attempt * simulation_mb(load_config(DEMO), part)


def demo_threads():
    """Threads of the demo checkpoints, from the model they simulate."""
    from pipeline.resources import simulation_threads
    from pipeline.simulated import load_config

    return simulation_threads(load_config(DEMO))


def demo_part(image_set=None):
    """The part of the demo build that writes a set: "movies" for a movie set, else "images"."""
    return "movies" if image_set is not None and is_movie_set(config, image_set) else "images"


def demo_stamp(part):
    """The stamp file of a part of the demo build."""
    from pipeline.simulated import MOVIE_STAMP_FILE, STAMP_FILE, load_config

    return str(Path(load_config(DEMO).out_dir) / {"images": STAMP_FILE, "movies": MOVIE_STAMP_FILE}[part])


def per_job(image_set):
    """Images per reconstruction job, or clips per job of a movie set."""
    return MOVIE["clips_per_job"] if is_movie_set(config, image_set) else REC["images_per_job"]


def chunks(image_set):
    if is_movie_set(config, image_set):
        from pipeline.movie_sets import clips_of

        demo_ready(image_set)
        n = len(clips_of(_scanned_labels(image_set))[0])
    else:
        n = len(image_labels(image_set))
    return [str(k) for k in range(math.ceil(n / per_job(image_set)))]


def decode_layers(subject=None):
    """Layers decoded (for a subject: of the layer sets reconstructing its test sets from its
    features; else of every layer set), in encoder order."""
    subjects = [subject] if subject else list(config["subjects"])
    used = {layer for s in subjects for t in subject_test_sets(config, s)
            for entry in set_layer_sets(config, t).values() if s in entry["subjects"] for layer in entry["layers"]}
    return [layer for layer in ENC["layers"] if layer in used]


def decoder_files(subject, roi, layer):
    """The shard files of one decoder (one file per shard of the layer's units)."""
    return [f"results/decoders/{subject}/{roi}/{layer}/shard-{k}.h5" for k in range(len(RES.shard_ranges(layer)))]


def decoder_inputs(wc):
    """Every shard of every decoded layer of a subject and ROI."""
    return [f for layer in decode_layers(wc.subject) for f in decoder_files(wc.subject, wc.roi, layer)]


def decoder_shards(wc):
    """Layer -> its shard files, for the stage functions."""
    return {layer: decoder_files(wc.subject, wc.roi, layer) for layer in decode_layers(wc.subject)}


def decoder_jobs():
    """Every decoder shard of every subject and ROI (the decoders a run trains)."""
    return [f for s in config["subjects"] for r in config["rois"] for layer in decode_layers(s)
            for f in decoder_files(s, r, layer)]


def test_sets():
    return sorted({t for s in config["subjects"] for t in subject_test_sets(config, s)})


def test_image_sets():
    """Test image sets reconstructed by any layer set."""
    return sorted({t for entry in LAYER_SETS.values() for t in entry["image_sets"]})


def test_movie_sets():
    return [t for t in test_sets() if is_movie_set(config, t)]


def stats_file(wc):
    """True-feature statistics that decoded features are rescaled to: those of
    reconstruction.stats_image_set for images, of the subject's training set for movies."""
    image_set = config["subjects"][wc.subject]["train"]["image_set"] if is_movie_set(config, wc.image_set) \
        else REC["stats_image_set"]
    return f"results/features/{image_set}_stats.npz"


def decoder_fit_settings():
    """The decoder section's settings of the fit (the rest is the data check's)."""
    return {k: v for k, v in config["decoder"].items() if k != "nonfinite_voxels"}


def recon_options(variant):
    return dict((REC.get("options") or {}).get(variant) or {})


def generator_spec():
    gen = config.get("generator") or {}
    if "train" in gen:
        return {"card": "results/dgn/generator.yaml"}
    return gen


def generator_inputs(wildcards):
    if not needs_generator(wildcards.variant):
        return []
    spec = generator_spec()
    return [spec["card"]] if "card" in spec else [spec["bdpy_relu7"]]


def score_files():
    files = []
    for t in test_sets():
        for layer_set, entry in set_layer_sets(config, t).items():
            for variant in entry["variants"]:
                if "decoded" in REC["sources"]:
                    files += [f"results/scores/decoded/{s}/{r}/{layer_set}/{variant}/{t}.tsv"
                              for s in entry["subjects"] if t in subject_test_sets(config, s) for r in entry["rois"]]
                if t in TRUE_SETS:
                    files.append(f"results/scores/true/{layer_set}/{variant}/{t}.tsv")
    return files


def final_targets():
    targets = ["results/summary.tsv"]
    if test_image_sets():  # the image metrics' figures
        targets += ["results/figures/identification.png", "results/figures/loss_curves.png"]
    targets += [f"results/figures/reconstructions_{t}.png" for t in test_image_sets()]
    targets += [f"results/figures/movie_{t}.{ext}" for t in test_movie_sets() for ext in ("png", "gif")]
    targets += [f"results/figures/grid_{name}.png" for name in FIG.get("grids") or {}]
    if "decoded" in REC["sources"]:
        targets += ["results/decoding_scores.tsv", "results/figures/decoding_accuracy.png"]
    return targets


def recon_job(wc, rescale):
    """The typed parameters of a reconstruction job (checked while the DAG is built)."""
    from pipeline.jobs import ReconJob

    movie = is_movie_set(config, wc.image_set)
    layers = set_layer_sets(config, wc.image_set)[wc.layer_set]["layers"]
    return ReconJob(
        variant=wc.variant,
        chunk=int(wc.chunk),
        images_per_job=per_job(wc.image_set),
        layers=tuple(layers),
        encoder=ENC["name"],
        image_size=ENC["image_size"],
        weights=ENC.get("weights"),
        seed=REC["seed"],
        options=recon_options(wc.variant),
        rescale=rescale,
        generator=generator_spec() if needs_generator(wc.variant) else None,
        device=REC.get("device", "cpu"),
        # clips: one pass per job (micro_batch counts images, not clips)
        micro_batch=None if movie else RES.micro_batch(layers, needs_generator(wc.variant)),
        autocast_bf16=REC.get("autocast_bf16", False),
        temporal=dict(MOVIE["temporal"]) if movie else None,
    ).to_params()


def decoded_chunks(wc):
    return decoded_chunk_dirs(wc.subject, wc.roi, wc.layer_set, wc.variant, wc.image_set)


def true_chunks(wc):
    return true_chunk_dirs(wc.layer_set, wc.variant, wc.image_set)


def grid_layer_set(variant, image_set):
    """The layer set a variant is shown with on an image set's grid: the figure's (default: the
    first) when it has the variant and the image set, else the first that does (None: none)."""
    names = [FIGURE_LAYER_SET, *LAYER_SETS]
    return next((name for name in names if variant in LAYER_SETS[name]["variants"]
                 and image_set in LAYER_SETS[name]["image_sets"]), None)


def decoded_chunk_dirs(subject, roi, layer_set, variant, image_set):
    return [f"results/reconstruction/decoded/{subject}/{roi}/{layer_set}/{variant}/{image_set}/chunk-{k}"
            for k in chunks(image_set)]


def true_chunk_dirs(layer_set, variant, image_set):
    return [f"results/reconstruction/true/{layer_set}/{variant}/{image_set}/chunk-{k}" for k in chunks(image_set)]


def movie_rows(movie_set):
    """Row label -> chunk folders of a movie set's figure: each movie variant from decoded
    features of the first subject who saw the set (first ROI), then from true features."""
    subject = next(s for s in config["subjects"] if movie_set in subject_test_sets(config, s))
    roi = FIG.get("roi") or next(iter(config["rois"]))
    rows = {}
    for layer_set, entry in set_layer_sets(config, movie_set).items():
        for variant in entry["variants"]:
            folder = f"{layer_set}/{variant}/{movie_set}"
            if "decoded" in REC["sources"]:
                rows[f"{variant} {layer_set}\n{subject} {roi}"] = [
                    f"results/reconstruction/decoded/{subject}/{roi}/{folder}/chunk-{k}" for k in chunks(movie_set)]
            if movie_set in TRUE_SETS:
                rows[f"{variant} {layer_set}\ntrue features"] = [
                    f"results/reconstruction/true/{folder}/chunk-{k}" for k in chunks(movie_set)]
    return rows


def grid_rows(image_set):
    """Row label -> chunk folders: each variant from decoded features of the figure's subject/ROI,
    then each variant from true features (the reference condition)."""
    subject = FIG.get("subject") or next(iter(config["subjects"]))
    roi = FIG.get("roi") or next(iter(config["rois"]))
    rows = {}
    for variant in REC["variants"]:
        layer_set = grid_layer_set(variant, image_set)
        if layer_set is None:
            continue
        name = variant if layer_set == FIGURE_LAYER_SET else f"{variant} ({layer_set})"
        if "decoded" in REC["sources"] and (subject, roi, image_set) in decoded_conditions(config, layer_set):
            rows[f"{name}\n{subject} {roi}"] = decoded_chunk_dirs(subject, roi, layer_set, variant, image_set)
        if image_set in TRUE_SETS:
            rows[f"{name}\ntrue features"] = true_chunk_dirs(layer_set, variant, image_set)
    return rows


def study_grid_rows(grid):
    """Row label -> chunk folders of a grid of figures.grids: every produced combination of its
    layer sets, variants, subjects and ROIs (defaults: the figure's layer set, the first
    variant, the figure's subject and ROI) from decoded features (then from true features,
    with ``true``); a label names only what varies."""
    entry = FIG["grids"][grid]
    t = entry["image_set"]
    axes = {"layer_sets": entry.get("layer_sets") or [FIGURE_LAYER_SET],
            "variants": entry.get("variants") or REC["variants"][:1],
            "subjects": entry.get("subjects") or [FIG.get("subject") or next(iter(config["subjects"]))],
            "rois": entry.get("rois") or [FIG.get("roi") or next(iter(config["rois"]))]}

    def label(*parts):
        return " ".join(p for p, key in zip(parts, axes) if p and len(axes[key]) > 1) or parts[1]

    rows = {}
    for ls in axes["layer_sets"]:
        for v in axes["variants"]:
            for s in axes["subjects"]:
                for r in axes["rois"]:
                    if v in LAYER_SETS[ls]["variants"] and (s, r, t) in decoded_conditions(config, ls):
                        rows[label(ls, v, s, r)] = decoded_chunk_dirs(s, r, ls, v, t)
            if entry.get("true") and t in TRUE_SETS and v in LAYER_SETS[ls]["variants"] and t in LAYER_SETS[ls]["image_sets"]:
                rows[f"{label(ls, v, '', '')}\ntrue features"] = true_chunk_dirs(ls, v, t)
    if not rows:
        raise ValueError(f"figures.grids.{grid}: no layer set reconstructs these conditions; "
                         "check its layer_sets, variants, subjects and rois against the layer sets' scopes")
    return rows


# The authors' published decoded features (config `published`, rules in published.smk).
PUB = config.get("published")


def decoded_download(wc):
    """The download entry of one of the authors' decoded-feature zips (name, id, md5 in their list)."""
    name = f"decodedfeatures-{wc.image_type}-{wc.network}-{wc.layer}-{wc.subject}.zip"
    file_id, md5 = PUBLISHED_FILES[name]
    folder = f"{PUB_ROOT}/{wc.image_type}/{wc.network}/{wc.layer}/{wc.subject}"
    return {"url": PUB["url"].format(id=file_id, name=name), "path": f"{PUB['data_dir']}/{name}",
            "md5": md5, "unzip": PUB["data_dir"], "files": [folder]}


def published_folder(condition, layer, subject):
    entry = PUB["conditions"][condition]
    return f"{PUB_ROOT}/{entry['image_type']}/{entry['network']}/{layer}/{subject}"


def published_layers(condition, layer_set):
    return list(PUB["conditions"][condition]["layer_sets"][layer_set])


def published_generator_inputs(condition):
    if not needs_generator(PUB["conditions"][condition]["variant"]):
        return []
    spec = generator_spec()
    return [spec["card"]] if "card" in spec else [spec["bdpy_relu7"], *([spec["bounds"]] if spec.get("bounds") else [])]


def published_params(wc):
    entry = PUB["conditions"][wc.condition]
    variant = entry["variant"]
    return {
        "folder": f"{PUB_ROOT}/{entry['image_type']}/{entry['network']}",
        "layers": published_layers(wc.condition, wc.layer_set),
        "subject": wc.subject,
        "roi": wc.roi,
        "labels": list(entry["images"]),
        "variant": variant,
        "encoder": PUB["encoders"][entry["network"]],
        "weights": ENC.get("weights"),
        "image_size": ENC["image_size"],
        "generator": generator_spec() if needs_generator(variant) else None,
        "options": dict((PUB.get("options") or {}).get(variant) or {}),
        "init": (PUB.get("init") or {}).get(variant),
        "seed": REC.get("seed", 0),
        "device": REC.get("device", "cpu"),
    }


def published_rows(condition):
    """Figure row label -> reconstruction folder: layer sets, then ROIs, then subjects; a label
    names only what varies in the condition."""
    entry = PUB["conditions"][condition]
    rows = {}
    for layer_set in entry["layer_sets"]:
        for roi in entry["rois"]:
            for subject in PUB["subjects"]:
                parts = [p for p, many in ((layer_set, len(entry["layer_sets"]) > 1),
                                           (roi, len(entry["rois"]) > 1), (subject, True)) if many]
                rows[" ".join(parts)] = f"results/published/{condition}/{layer_set}/{roi}/{subject}"
    return rows


if PUB:
    PUB_ROOT = f"{PUB['data_dir']}/decodedfeatures"
    # The shipped list is found from any working directory (--directory).
    _list = Path(PUB["file_list"])
    PUBLISHED_FILES = read_file_list(_list if _list.exists() else Path(workflow.basedir) / _list)
    check_published(PUB, ENC.get("weights"), list(PUBLISHED_FILES))


# Cluster requests (profiles/slurm). A job asks for a GPU exactly when its torch device is CUDA.
def gpus(device):
    return 1 if str(device).startswith("cuda") else 0
