# Stage 6: reconstructions in chunks of images (of a movie set: clips) per job, from decoded and from true features.


rule reconstruct_decoded:
    input:
        targets="results/decoded/{subject}/{roi}/{image_set}.h5",
        stats=stats_file,
        generator=generator_inputs,
    output:
        directory("results/reconstruction/decoded/{subject}/{roi}/{layer_set}/{variant}/{image_set}/chunk-{chunk}"),
    log:
        "logs/reconstruction/decoded/{subject}/{roi}/{layer_set}/{variant}/{image_set}/chunk-{chunk}.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=RES.reconstruct(lambda s: set_layer_sets(config, s), recon_options, needs_generator)[0],
        runtime=RES.reconstruct(lambda s: set_layer_sets(config, s), recon_options, needs_generator)[1],
        gpu=gpus(REC.get("device", "cpu")),
    params:
        job=lambda wc: recon_job(wc, REC["rescale"]),
    script:
        "../scripts/reconstruct.py"


rule reconstruct_true:
    input:
        targets="results/features/{image_set}.h5",
        generator=generator_inputs,
    output:
        directory("results/reconstruction/true/{layer_set}/{variant}/{image_set}/chunk-{chunk}"),
    log:
        "logs/reconstruction/true/{layer_set}/{variant}/{image_set}/chunk-{chunk}.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=RES.reconstruct(lambda s: set_layer_sets(config, s), recon_options, needs_generator)[0],
        runtime=RES.reconstruct(lambda s: set_layer_sets(config, s), recon_options, needs_generator)[1],
        gpu=gpus(REC.get("device", "cpu")),
    params:
        job=lambda wc: recon_job(wc, "none"),
    script:
        "../scripts/reconstruct.py"
