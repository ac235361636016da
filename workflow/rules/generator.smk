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
        # First of the computing jobs, on 2 threads: it becomes ready with the data check, when
        # nothing else runs. Later, a 2-thread job waits until no 1-thread job runs (in `make
        # demo` 15 min, to the end of the pixel-space reconstructions); on 1 thread it kept
        # one core idle instead, 4.7 of `make demo`'s minutes, the 2-thread decoders and
        # feature extraction waiting beside it
        priority: 15
        threads: 2
        resources:
            mem_mb=8000,
            gpu=gpus(config.get("device", "cpu")),
        params:
            image_dir=image_dir(GEN_SET),
            image_size=ENC["image_size"],
            device=config.get("device", "cpu"),
        script:
            "../scripts/train_generator.py"
