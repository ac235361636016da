# The DGN image prior: trained here on the training image set when the config asks for it.

if (config.get("generator") or {}).get("train"):
    GEN_SET = config["generator"].get("image_set", "training")

    rule train_generator:
        input:
            config=config["generator"]["train"],
            images=image_files(GEN_SET),
            check=ancient(DATA_CHECK),
            images_checked=image_check(GEN_SET),
        output:
            "results/dgn/generator.yaml",
        log:
            "logs/train_generator.log",
        conda:
            "../envs/icnn.yaml"
        # needed by half of the reconstructions: before them, after the decoder chain
        priority: 5
        # 1, not 2: with `--cores 2` a 2-thread job waits until no 1-thread job runs, and in
        # `make demo` it waited 15 min (to the end of the pixel-space reconstructions, one
        # core idle meanwhile); with 1 it starts beside the decoders
        threads: 1
        resources:
            mem_mb=8000,
            gpu=gpus(config.get("device", "cpu")),
        params:
            image_dir=image_dir(GEN_SET),
            image_size=ENC["image_size"],
            device=config.get("device", "cpu"),
        script:
            "../scripts/train_generator.py"
