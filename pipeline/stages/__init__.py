"""Workflow stages: true features, decoders, reconstructions, scores, figures, generator training.

Each stage reads files and writes files atomically, so a Snakemake script only unpacks its
paths and parameters and calls one function.
"""
