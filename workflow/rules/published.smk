# Reconstructions from the authors' published decoded features (config `published`): the
# conditions of KamitaniLab/DeepImageReconstruction's seven example scripts, each with its
# figure. `snakemake published` builds them all; no fMRI, decoder or stimulus image is needed.

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
    if not PUB["conditions"][condition]["variant"].startswith("icnn_dgn"):
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
        "generator": generator_spec() if variant.startswith("icnn_dgn") else None,
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


if PUB:

    wildcard_constraints:
        condition="|".join(map(re.escape, PUB["conditions"])),

    rule download_decoded:
        output:
            directory(f"{PUB_ROOT}/{{image_type}}/{{network}}/{{layer}}/{{subject}}"),
        log:
            "logs/download/decodedfeatures-{image_type}-{network}-{layer}-{subject}.log",
        conda:
            "../envs/icnn.yaml"
        threads: 1
        resources:
            mem_mb=1000,
        params:
            entry=decoded_download,
        script:
            "../scripts/download.py"

    rule reconstruct_published:
        input:
            features=lambda wc: [published_folder(wc.condition, layer, wc.subject)
                                 for layer in published_layers(wc.condition, wc.layer_set)],
            feature_sd=lambda wc: PUB["feature_sd"][PUB["conditions"][wc.condition]["network"]],
            generator=lambda wc: published_generator_inputs(wc.condition),
            weights=[ENC["weights"]] if ENC.get("weights") else [],
        output:
            directory("results/published/{condition}/{layer_set}/{roi}/{subject}"),
        log:
            "logs/published/{condition}/{layer_set}/{roi}/{subject}.log",
        conda:
            "../envs/icnn.yaml"
        threads: 1
        resources:
            mem_mb=8000,
        params:
            job=published_params,
        script:
            "../scripts/reconstruct_published.py"

    rule figure_published:
        input:
            lambda wc: list(published_rows(wc.condition).values()),
        output:
            "results/published/{condition}.png",
        log:
            "logs/published/{condition}.figure.log",
        conda:
            "../envs/icnn.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        params:
            rows=lambda wc: published_rows(wc.condition),
            true_images=lambda wc: (PUB.get("true_images") or {}).get(PUB["conditions"][wc.condition]["image_type"]),
        script:
            "../scripts/figure_published.py"

    rule published:
        input:
            [f"results/published/{name}.png" for name in PUB["conditions"]],
