# Stages 3-5: a decoder per (subject, ROI, layer); decoded test features; their scores.


rule train_decoder:
    input:
        check=ancient(DATA_CHECK),
        voxels=VOXEL_MASK,
        fmri=lambda wc: config["subjects"][wc.subject]["train"]["fmri"],
        features=lambda wc: f"results/features/{config['subjects'][wc.subject]['train']['image_set']}.h5",
    output:
        "results/decoders/{subject}/{roi}/{layer}/shard-{shard}.h5",
    log:
        "logs/train_decoder/{subject}/{roi}/{layer}/shard-{shard}.log",
    conda:
        "../envs/icnn.yaml"
    # the decoded-feature chain is the critical path: start it before reconstructions
    priority: 10
    threads: 2
    resources:
        mem_mb=RES.train_decoder()[0],
        runtime=RES.train_decoder()[1],
        gpu=gpus(config["decoder"].get("device", "cpu")),
    params:
        roi=lambda wc: config["rois"][wc.roi],
        labels=lambda wc: session_labels(config["subjects"][wc.subject], config["subjects"][wc.subject]["train"]["image_set"]),
        decoder=decoder_fit_settings(),
        shard=lambda wc: int(wc.shard),
        timing=lambda wc: session_timing(config, config["subjects"][wc.subject]["train"]["image_set"]),
    script:
        "../scripts/train_decoder.py"


rule decode:
    input:
        voxels=VOXEL_MASK,
        fmri=lambda wc: config["subjects"][wc.subject]["test"][wc.image_set],
        reference="results/features/{image_set}.h5",
        models=decoder_inputs,
    output:
        "results/decoded/{subject}/{roi}/{image_set}.h5",
    log:
        "logs/decode/{subject}/{roi}/{image_set}.log",
    conda:
        "../envs/icnn.yaml"
    # the decoded-feature chain is the critical path: start it before reconstructions
    priority: 10
    threads: 1
    resources:
        mem_mb=RES.decode(decode_layers)[0],
        runtime=RES.decode(decode_layers)[1],
        gpu=gpus(config["decoder"].get("device", "cpu")),
    params:
        roi=lambda wc: config["rois"][wc.roi],
        labels=lambda wc: session_labels(config["subjects"][wc.subject], wc.image_set),
        models=decoder_shards,
        device=config["decoder"].get("device", "cpu"),
        timing=lambda wc: session_timing(config, wc.image_set),
    script:
        "../scripts/decode.py"


rule decoding_scores:
    input:
        decoded="results/decoded/{subject}/{roi}/{image_set}.h5",
        true="results/features/{image_set}.h5",
        models=decoder_inputs,
    output:
        "results/decoding_scores/{subject}/{roi}/{image_set}.tsv",
    log:
        "logs/decoding_scores/{subject}/{roi}/{image_set}.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=RES.scores(decode_layers),
    params:
        models=decoder_shards,
    script:
        "../scripts/decoding_scores.py"


rule gather_decoding_scores:
    input:
        [f"results/decoding_scores/{s}/{r}/{t}.tsv" for s, r, t in decoded_conditions(config)],
    output:
        "results/decoding_scores.tsv",
    log:
        "logs/gather_decoding_scores.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../scripts/gather_tables.py"
