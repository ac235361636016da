# Stages 3-5: a decoder per (subject, ROI, layer); decoded test features; their scores.


rule train_decoder:
    input:
        check=ancient(DATA_CHECK),
        voxels=lambda wc: voxel_mask(wc.subject),
        fmri=lambda wc: config["subjects"][wc.subject]["train"]["fmri"],
        features=lambda wc: f"results/features/{config['subjects'][wc.subject]['train']['image_set']}.h5",
    output:
        "results/decoders/{subject}/{roi}/{layer}.h5",
    log:
        "logs/train_decoder/{subject}/{roi}/{layer}.log",
    conda:
        "../envs/icnn.yaml"
    # the decoded-feature chain is the critical path: start it before reconstructions
    priority: 10
    threads: 2
    resources:
        mem_mb=8000,
        gpu=gpus(config["decoder"].get("device", "cpu")),
    params:
        roi=lambda wc: config["rois"][wc.roi],
        label_key=lambda wc: config["subjects"][wc.subject].get("label_key", "stimulus_name"),
        decoder=decoder_fit_settings(),
    script:
        "../scripts/train_decoder.py"


rule decode:
    input:
        voxels=lambda wc: voxel_mask(wc.subject),
        fmri=lambda wc: config["subjects"][wc.subject]["test"][wc.image_set],
        reference="results/features/{image_set}.h5",
        models=expand("results/decoders/{{subject}}/{{roi}}/{layer}.h5", layer=decode_layers()),
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
        mem_mb=4000,
        gpu=gpus(config["decoder"].get("device", "cpu")),
    params:
        roi=lambda wc: config["rois"][wc.roi],
        label_key=lambda wc: config["subjects"][wc.subject].get("label_key", "stimulus_name"),
        layers=decode_layers(),
        device=config["decoder"].get("device", "cpu"),
    script:
        "../scripts/decode.py"


rule decoding_scores:
    input:
        decoded="results/decoded/{subject}/{roi}/{image_set}.h5",
        true="results/features/{image_set}.h5",
        models=expand("results/decoders/{{subject}}/{{roi}}/{layer}.h5", layer=decode_layers()),
    output:
        "results/decoding_scores/{subject}/{roi}/{image_set}.tsv",
    log:
        "logs/decoding_scores/{subject}/{roi}/{image_set}.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        layers=decode_layers(),
    script:
        "../scripts/decoding_scores.py"


rule gather_decoding_scores:
    input:
        [f"results/decoding_scores/{s}/{r}/{t}.tsv" for s, r, t in decoded_conditions()],
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
