# Stage 7: scores of reconstructions against the true images, gathered in results/summary.tsv.


rule score_decoded:
    input:
        decoded_chunks,
    output:
        summary="results/scores/decoded/{subject}/{roi}/{layer_set}/{variant}/{image_set}.tsv",
        per_image="results/scores/decoded/{subject}/{roi}/{layer_set}/{variant}/{image_set}.per_image.tsv",
    log:
        "logs/scores/decoded/{subject}/{roi}/{layer_set}/{variant}/{image_set}.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        image_dir=lambda wc: image_dir(wc.image_set),
        movie=lambda wc: is_movie_set(config, wc.image_set),
        metrics=config["evaluation"]["metrics"],
        image_fit=config["image_fit"],
        condition=lambda wc: {"subject": wc.subject, "roi": wc.roi, "layer_set": wc.layer_set,
                         "variant": wc.variant, "source": "decoded", "image_set": wc.image_set},
    script:
        "../scripts/score.py"


rule score_true:
    input:
        true_chunks,
    output:
        summary="results/scores/true/{layer_set}/{variant}/{image_set}.tsv",
        per_image="results/scores/true/{layer_set}/{variant}/{image_set}.per_image.tsv",
    log:
        "logs/scores/true/{layer_set}/{variant}/{image_set}.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        image_dir=lambda wc: image_dir(wc.image_set),
        movie=lambda wc: is_movie_set(config, wc.image_set),
        metrics=config["evaluation"]["metrics"],
        image_fit=config["image_fit"],
        condition=lambda wc: {"subject": "-", "roi": "-", "layer_set": wc.layer_set,
                         "variant": wc.variant, "source": "true", "image_set": wc.image_set},
    script:
        "../scripts/score.py"


rule summary:
    input:
        score_files(),
    output:
        report("results/summary.tsv", caption="../report/summary.rst", category="Scores"),
    log:
        "logs/summary.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/gather_tables.py"
