"""What combines the two libraries: workflow config and checks, stage functions, tables, figures,
the download of the published files and the simulated study.

Sits above :mod:`icnn` (image side) and :mod:`decoders` (fMRI side), which never import it.
"""
