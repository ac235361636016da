"""Workflow stages of the reconstruction side: true features, reconstructions, scores, figures.

Each stage reads files and writes files atomically, so a Snakemake script only unpacks its
paths and parameters and calls one function.
"""
