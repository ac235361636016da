# Stage 1: the embedded default dataset (when configured) and the first-rule check of the data.

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


rule check_subject:
    input:
        demo_inputs,
        fmri=lambda wc: [config["subjects"][wc.subject]["train"]["fmri"], *config["subjects"][wc.subject]["test"].values()],
    output:
        "results/checks/{subject}.tsv",
    log:
        "logs/check_subject/{subject}.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        entry=lambda wc: config["subjects"][wc.subject],
        rois=config["rois"],
        image_sets=lambda wc: {name: config["image_sets"][name] for name in
                               [config["subjects"][wc.subject]["train"]["image_set"], *config["subjects"][wc.subject]["test"]]},
    script:
        "../scripts/check_subject.py"


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
