"""Decoders from fMRI voxel patterns to CNN features: data readers, regression decoders, feature metrics."""

from common.scores import pairwise_identification, pattern_correlation, profile_correlation
from decoders.bdata import BData
from decoders.cv import CVResult, cross_validate, exclusive_folds, fit_cv
from decoders.feature_store import (
    DecodedFeatureStore,
    FeatureStore,
    write_decoded_features,
    write_features,
)
from decoders.labels import match_labels, stimulus_id_to_label, stimulus_labels
from decoders.mat_features import read_mat_features
from decoders.regression import FastL2Decoder
from decoders.stats import average_by_label, column_stats

__all__ = [
    "BData",
    "CVResult",
    "DecodedFeatureStore",
    "FastL2Decoder",
    "FeatureStore",
    "average_by_label",
    "column_stats",
    "cross_validate",
    "exclusive_folds",
    "fit_cv",
    "match_labels",
    "pairwise_identification",
    "pattern_correlation",
    "profile_correlation",
    "read_mat_features",
    "stimulus_id_to_label",
    "stimulus_labels",
    "write_decoded_features",
    "write_features",
]
