# Stage 1: the embedded default dataset (when configured) and the data check every computing rule waits for.

if DEMO:

    checkpoint demo_data:
        input:
            DEMO,
        output:
            demo_outputs(),
        log:
            "logs/demo_data.log",
        conda:
            "../envs/icnn.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        script:
            "../scripts/demo_data.py"


rule check_data:
    input:
        demo_inputs,
        fmri=sorted({f for entry in config["subjects"].values() for f in [entry["train"]["fmri"], *entry["test"].values()]}),
    output:
        table=DATA_CHECK,
        voxels=[voxel_mask(s) for s in config["subjects"]],
    log:
        "logs/check_data.log",
    conda:
        "../envs/icnn.yaml"
    # every rule that computes depends on it: bad data fails before any compute
    priority: 20
    threads: 1
    resources:
        mem_mb=2000,
    params:
        subjects=config["subjects"],
        rois=config["rois"],
        image_sets=config["image_sets"],
        n_voxels=config["decoder"].get("n_voxels"),
        nonfinite=config["decoder"]["nonfinite_voxels"],
    script:
        "../scripts/check_data.py"


# One job per published file, so that each declares what it produces (the unzipped files too);
# `snakemake download --configfile ...` fetches them all.
DOWNLOADS = config.get("downloads") or []
for _entry in DOWNLOADS:
    _rule_id = re.sub(r"\W", "_", Path(_entry["path"]).name)

    rule:
        name:
            f"download_{_rule_id}"
        output:
            download_outputs(_entry),
        log:
            f"logs/download/{Path(_entry['path']).name}.log",
        conda:
            "../envs/icnn.yaml"
        threads: 1
        resources:
            mem_mb=1000,
        params:
            entry=_entry,
        script:
            "../scripts/download.py"


if DOWNLOADS:

    rule download:
        input:
            [path for entry in DOWNLOADS for path in download_outputs(entry)],
