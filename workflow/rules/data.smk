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
        runtime=10,
    params:
        subjects=config["subjects"],
        rois=config["rois"],
        image_sets=config["image_sets"],
        n_voxels=config["decoder"].get("n_voxels"),
        nonfinite=config["decoder"]["nonfinite_voxels"],
    script:
        "../scripts/check_data.py"


if config.get("downloads"):

    rule download:
        output:
            [entry["path"] for entry in config["downloads"]],
        log:
            "logs/download.log",
        conda:
            "../envs/icnn.yaml"
        threads: 1
        resources:
            mem_mb=1000,
        params:
            downloads=config["downloads"],
        script:
            "../scripts/download.py"
