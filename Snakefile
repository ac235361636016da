# iCNN deep image reconstruction: fMRI -> decoded CNN features -> reconstructed images -> scores.
# Run: snakemake --cores 2 (embedded default) or snakemake --cores 2 --configfile config/shen2019.yaml
from snakemake.utils import min_version

min_version("8.0")


# The embedded default, unless a config is given (--configfile replaces it rather than
# merging into it, so a user's subjects never mix with the demo's).
if not config:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/decoders.smk"
include: "workflow/rules/generator.smk"
include: "workflow/rules/reconstruction.smk"
include: "workflow/rules/evaluation.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/published.smk"


rule all:
    input:
        final_targets(),
    default_target: True
