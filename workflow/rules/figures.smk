# Stage 8: the paper-style figures, with captions for `snakemake --report`.


rule figure_reconstructions:
    input:
        demo_inputs,
        chunks=lambda wc: [d for dirs in grid_rows(wc.image_set).values() for d in dirs],
    output:
        report("results/figures/reconstructions_{image_set}.png", caption="../report/reconstructions.rst",
               category="Figures"),
    log:
        "logs/figures/reconstructions_{image_set}.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        rows=lambda wc: grid_rows(wc.image_set),
        image_dir=lambda wc: image_dir(wc.image_set),
        max_images=FIG.get("max_images", 10),
        image_fit=config["image_fit"],
    script:
        "../scripts/figure_reconstructions.py"


rule figure_grid:
    input:
        demo_inputs,
        chunks=lambda wc: [d for dirs in study_grid_rows(wc.grid).values() for d in dirs],
    output:
        report("results/figures/grid_{grid}.png", caption="../report/grid.rst", category="Figures"),
    log:
        "logs/figures/grid_{grid}.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        rows=lambda wc: study_grid_rows(wc.grid),
        image_dir=lambda wc: image_dir(FIG["grids"][wc.grid]["image_set"]),
        max_images=FIG.get("max_images", 10),
        image_fit=config["image_fit"],
    script:
        "../scripts/figure_reconstructions.py"


rule figure_identification:
    input:
        "results/summary.tsv",
    output:
        report("results/figures/identification.png", caption="../report/identification.rst", category="Figures"),
    log:
        "logs/figures/identification.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/figure_identification.py"


rule figure_decoding_accuracy:
    input:
        "results/decoding_scores.tsv",
    output:
        report("results/figures/decoding_accuracy.png", caption="../report/decoding_accuracy.rst",
               category="Figures"),
    log:
        "logs/figures/decoding_accuracy.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/figure_decoding_accuracy.py"


rule figure_loss_curves:
    input:
        demo_inputs,
        chunks=lambda wc: [d for dirs in grid_rows(test_image_sets()[0]).values() for d in dirs],
    output:
        report("results/figures/loss_curves.png", caption="../report/loss_curves.rst", category="Figures"),
    log:
        "logs/figures/loss_curves.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        rows=lambda wc: grid_rows(test_image_sets()[0]),
    script:
        "../scripts/figure_loss_curves.py"


rule figure_movies:
    input:
        demo_inputs,
        chunks=lambda wc: [d for dirs in movie_rows(wc.image_set).values() for d in dirs],
    output:
        png=report("results/figures/movie_{image_set}.png", caption="../report/movies.rst", category="Figures"),
        gif="results/figures/movie_{image_set}.gif",
    log:
        "logs/figures/movie_{image_set}.log",
    conda:
        "../envs/icnn.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        rows=lambda wc: movie_rows(wc.image_set),
        movie_dir=lambda wc: image_dir(wc.image_set),
        max_clips=FIG.get("max_images", 10),
        fps=MOVIE.get("fps", 3),
    script:
        "../scripts/figure_movies.py"
