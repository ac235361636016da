# Reconstructions from the authors' published decoded features (config `published`): the
# conditions of KamitaniLab/DeepImageReconstruction's seven example scripts, each with its
# figure. `snakemake published` builds them all; no fMRI, decoder or stimulus image is needed.

if PUB:

    wildcard_constraints:
        condition="|".join(map(re.escape, PUB["conditions"])),

    rule download_decoded:
        output:
            directory(f"{PUB_ROOT}/{{image_type}}/{{network}}/{{layer}}/{{subject}}"),
        log:
            "logs/download/decodedfeatures-{image_type}-{network}-{layer}-{subject}.log",
        conda:
            "../envs/icnn.yaml"
        threads: 1
        resources:
            mem_mb=1000,
        params:
            entry=decoded_download,
        script:
            "../scripts/download.py"

    rule reconstruct_published:
        input:
            features=lambda wc: [published_folder(wc.condition, layer, wc.subject)
                                 for layer in published_layers(wc.condition, wc.layer_set)],
            feature_sd=lambda wc: PUB["feature_sd"][PUB["conditions"][wc.condition]["network"]],
            generator=lambda wc: published_generator_inputs(wc.condition),
            weights=[ENC["weights"]] if ENC.get("weights") else [],
        output:
            directory("results/published/{condition}/{layer_set}/{roi}/{subject}"),
        log:
            "logs/published/{condition}/{layer_set}/{roi}/{subject}.log",
        conda:
            "../envs/icnn.yaml"
        threads: 1
        resources:
            mem_mb=8000,
        params:
            job=published_params,
        script:
            "../scripts/reconstruct_published.py"

    rule figure_published:
        input:
            lambda wc: list(published_rows(wc.condition).values()),
        output:
            "results/published/{condition}.png",
        log:
            "logs/published/{condition}.figure.log",
        conda:
            "../envs/icnn.yaml"
        threads: 1
        resources:
            mem_mb=2000,
        params:
            rows=lambda wc: published_rows(wc.condition),
            true_images=lambda wc: (PUB.get("true_images") or {}).get(PUB["conditions"][wc.condition]["image_type"]),
        script:
            "../scripts/figure_published.py"

    rule published:
        input:
            [f"results/published/{name}.png" for name in PUB["conditions"]],
