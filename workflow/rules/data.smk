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
    params:
        entry=lambda wc: config["subjects"][wc.subject],
        rois=config["rois"],
        image_sets=lambda wc: {name: config["image_sets"][name] for name in
                               [config["subjects"][wc.subject]["train"]["image_set"], *config["subjects"][wc.subject]["test"]]},
    script:
        "../scripts/check_subject.py"


# One job per published file, so that each declares what it produces (the unzipped files too);
# `snakemake download --configfile ...` fetches them all.
DOWNLOADS = config.get("downloads") or []
for _entry in DOWNLOADS:

    rule:
        name:
            "download_" + re.sub(r"\W", "_", Path(_entry["path"]).name)
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
