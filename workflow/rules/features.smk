# Stage 2: true features of every image of an image set, and their statistics.


rule true_features:
    input:
        lambda wc: image_files(wc.image_set),
        check=ancient(DATA_CHECK),
        images_checked=IMAGE_CHECK,
    output:
        "results/features/{image_set}.h5",
    log:
        "logs/true_features/{image_set}.log",
    conda:
        "../envs/icnn.yaml"
    # the decoded-feature chain is the critical path: start it before reconstructions
    priority: 10
    threads: 2
    resources:
        mem_mb=RES.true_features()[0],
        runtime=RES.true_features()[1],
        gpu=gpus(config.get("device", "cpu")),
    params:
        image_dir=lambda wc: image_dir(wc.image_set),
        encoder=ENC["name"],
        weights=ENC.get("weights"),
        layers=lambda wc: feature_layers(wc.image_set),
        image_size=ENC["image_size"],
        movie=lambda wc: is_movie_set(config, wc.image_set),
        device=config.get("device", "cpu"),
        image_fit=config["image_fit"],
        dtype=ENC.get("feature_dtype", "float32"),
    script:
        "../scripts/true_features.py"


rule feature_stats:
    input:
        "results/features/{image_set}.h5",
    output:
        "results/features/{image_set}_stats.npz",
    log:
        "logs/feature_stats/{image_set}.log",
    conda:
        "../envs/icnn.yaml"
    # the decoded-feature chain is the critical path: start it before reconstructions
    priority: 10
    threads: 1
    resources:
        mem_mb=RES.feature_stats(decode_layers()),
    params:
        layers=lambda wc: [layer for layer in decode_layers() if layer in feature_layers(wc.image_set)],
    script:
        "../scripts/feature_stats.py"
