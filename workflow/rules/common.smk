# Config validation (at parse time) and the helpers that turn config into job lists.
import functools
import math
import re
from pathlib import Path

from icnn.networks.registry import layer_shapes
from icnn.recon.variants import VARIANTS, needs_generator
from pipeline.config import check_published, decoded_conditions, download_outputs, layer_sets, load_workflow_config, session_labels, subject_test_sets
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
FIGURE_LAYER_SET = FIG.get("layer_set") or next(iter(LAYER_SETS))
DEMO = config.get("demo_data")
DATA_CHECK = "results/checks/data_checks.tsv"
VOXEL_MASK = "results/checks/voxels/{subject}.npz"
IMAGE_CHECK = "results/checks/images/{image_set}.tsv"
# Feature shapes from the architecture alone (meta device): shards and memory requests.
SHAPES = layer_shapes(ENC["name"], ENC["layers"], ENC["image_size"])
RES = WorkflowResources(config, SHAPES, lambda image_set: n_images_now(image_set))

wildcard_constraints:
    subject="[^/]+",
    roi="[^/]+",
    layer="[^/]+",
    image_set="[^/]+",
    variant="|".join(VARIANTS),  # the names of the variant registry
    layer_set="[^/]+",
    chunk="[0-9]+",
    shard="[0-9]+",


def demo_ready():
    """Demo data is built by a checkpoint: wait for it before listing images."""
    if DEMO:
        checkpoints.demo_data.get()


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
    return config["image_sets"][image_set]


def image_labels(image_set):
    demo_ready()
    return _scanned_labels(image_set)


@functools.lru_cache(maxsize=None)
def _scanned_labels(image_set):
    """Labels of a set's images, scanned once per parse (the DAG asks for them per condition)."""
    from icnn.images import find_images

    try:
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


def image_files(image_set):
    """The image files of a set (so that changed images rerun their features), or the demo stamp."""
    if DEMO:
        return [demo_stamp()]
    return [str(p) for p in sorted(Path(image_dir(image_set)).rglob("*")) if p.is_file()]


def demo_inputs(wildcards=None):
    """The demo stamp, for rules whose params list images (they depend on the demo checkpoint)."""
    return [demo_stamp()] if DEMO else []


def demo_outputs():
    """What the demo-data checkpoint writes: its stamp and every configured fMRI file under its folder."""
    out_dir = Path(demo_stamp()).parent
    fmri = [entry["train"]["fmri"] for entry in config["subjects"].values()]
    fmri += [f for entry in config["subjects"].values() for f in entry["test"].values()]
    return [demo_stamp()] + sorted({f for f in fmri if Path(f).parent == out_dir})


def demo_stamp():
    from pipeline.simulated import load_config

    return str(Path(load_config(DEMO).out_dir) / "build_stamp.json")


def chunks(image_set):
    n = len(image_labels(image_set))
    return [str(k) for k in range(math.ceil(n / REC["images_per_job"]))]


def decode_layers():
    """Layers decoded: the union of the reconstruction layer sets, in encoder order."""
    used = {layer for entry in LAYER_SETS.values() for layer in entry["layers"]}
    return [layer for layer in ENC["layers"] if layer in used]


def decoder_files(subject, roi, layer):
    """The shard files of one decoder (one file per shard of the layer's units)."""
    return [f"results/decoders/{subject}/{roi}/{layer}/shard-{k}.h5" for k in range(len(RES.shard_ranges(layer)))]


def decoder_inputs(wc):
    """Every shard of every decoded layer of a subject and ROI."""
    return [f for layer in decode_layers() for f in decoder_files(wc.subject, wc.roi, layer)]


def decoder_shards(wc):
    """Layer -> its shard files, for the stage functions."""
    return {layer: decoder_files(wc.subject, wc.roi, layer) for layer in decode_layers()}


def test_image_sets():
    """Test image sets reconstructed by any layer set."""
    return sorted({t for entry in LAYER_SETS.values() for t in entry["image_sets"]})


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
    for layer_set, entry in LAYER_SETS.items():
        for variant in entry["variants"]:
            if "decoded" in REC["sources"]:
                files += [f"results/scores/decoded/{s}/{r}/{layer_set}/{variant}/{t}.tsv"
                          for s, r, t in decoded_conditions(config, layer_set)]
            if "true" in REC["sources"]:
                files += [f"results/scores/true/{layer_set}/{variant}/{t}.tsv" for t in entry["image_sets"]]
    return files


def final_targets():
    targets = ["results/summary.tsv", "results/figures/identification.png",
               "results/figures/loss_curves.png"]
    targets += [f"results/figures/reconstructions_{t}.png" for t in test_image_sets()]
    targets += [f"results/figures/grid_{name}.png" for name in FIG.get("grids") or {}]
    if "decoded" in REC["sources"]:
        targets += ["results/decoding_scores.tsv", "results/figures/decoding_accuracy.png"]
    return targets


def recon_job(wc, rescale):
    """The typed parameters of a reconstruction job (checked while the DAG is built)."""
    from pipeline.jobs import ReconJob

    return ReconJob(
        variant=wc.variant,
        chunk=int(wc.chunk),
        images_per_job=REC["images_per_job"],
        layers=tuple(LAYER_SETS[wc.layer_set]["layers"]),
        encoder=ENC["name"],
        image_size=ENC["image_size"],
        weights=ENC.get("weights"),
        seed=REC["seed"],
        options=recon_options(wc.variant),
        rescale=rescale,
        generator=generator_spec() if needs_generator(wc.variant) else None,
        device=REC.get("device", "cpu"),
        micro_batch=RES.micro_batch(LAYER_SETS[wc.layer_set]["layers"], needs_generator(wc.variant)),
        autocast_bf16=REC.get("autocast_bf16", False),
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
        if "true" in REC["sources"]:
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
            if entry.get("true") and v in LAYER_SETS[ls]["variants"] and t in LAYER_SETS[ls]["image_sets"]:
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
