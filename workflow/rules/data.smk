# Stage 1: the embedded default dataset (when configured; its movie part only when used) and the
# data check every computing rule waits for.

if DEMO:

    # The images and image sessions; `make demo` runs this one only.
    checkpoint demo_data:
        input:
            DEMO,
        output:
            demo_outputs("images"),
        log:
            "logs/demo_data.log",
        conda:
            "../envs/icnn.yaml"
        threads: demo_threads()
        resources:
            mem_mb=demo_mb("images"),
        params:
            part="images",
        script:
            "../scripts/demo_data.py"

    # The clips and movie sessions: run only when the config uses a movie set or session.
    checkpoint demo_movies:
        input:
            DEMO,
        output:
            demo_outputs("movies"),
        log:
            "logs/demo_movies.log",
        conda:
            "../envs/icnn.yaml"
        threads: demo_threads()
        resources:
            mem_mb=demo_mb("movies"),
        params:
            part="movies",
        script:
            "../scripts/demo_data.py"


rule check_images:
    input:
        demo_inputs,
        images=lambda wc: image_files(wc.image_set),
    output:
        IMAGE_CHECK,
    log:
        "logs/check_images/{image_set}.log",
    conda:
        "../envs/icnn.yaml"
    # the checks run before anything that computes
    priority: 20
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        image_dir=lambda wc: image_dir(wc.image_set),
        movie=lambda wc: is_movie_set(config, wc.image_set),
        image_size=ENC["image_size"],
    script:
        "../scripts/check_images.py"


rule check_subject:
    input:
        fmri=lambda wc: subject_files(wc.subject),
        images=lambda wc: [image_check(s) for s in subject_image_sets(wc.subject)],
    output:
        table="results/checks/subjects/{subject}.tsv",
        voxels=VOXEL_MASK,
    log:
        "logs/check_subject/{subject}.log",
    conda:
        "../envs/icnn.yaml"
    priority: 20
    threads: 1
    # a session and one ROI's copy of it in float64: 6,000 x 12,000 voxels is 0.6 GB each
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        entry=lambda wc: config["subjects"][wc.subject],
        rois=config["rois"],
        image_sets=lambda wc: {s: image_dir(s) for s in subject_image_sets(wc.subject)},
        n_voxels=config["decoder"].get("n_voxels"),
        nonfinite=config["decoder"]["nonfinite_voxels"],
        timings=lambda wc: {s: session_timing(config, s) for s in subject_image_sets(wc.subject)},
    script:
        "../scripts/check_subject.py"


# Every computing rule waits for this table (read through ancient(), so that a rerun of the
# checks alone recomputes nothing; each rule also takes the check of its own data, which
# carries changes of that data downstream).
rule check_data:
    input:
        images=[image_check(s) for s in all_sets()],
        subjects=[f"results/checks/subjects/{s}.tsv" for s in config["subjects"]],
    output:
        DATA_CHECK,
    log:
        "logs/check_data.log",
    conda:
        "../envs/icnn.yaml"
    priority: 20
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../scripts/gather_checks.py"


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
