"""The decoder's defaults have one source: FastL2Decoder; the schema and the stage agree with it."""

import inspect
from pathlib import Path

from common.config import load_schema
from decoders import FastL2Decoder
from pipeline.stages.decoding import train_decoder

ROOT = Path(__file__).resolve().parents[2]


def _defaults(function) -> dict:
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}  # fmt: skip


def test_schema_decoder_defaults_are_the_decoders():
    decoder = _defaults(FastL2Decoder.__init__)
    section = load_schema(str(ROOT / "workflow" / "schemas" / "config.schema.yaml"))
    schema = {name: sub["default"] for name, sub in section["properties"]["decoder"]["properties"].items()
              if "default" in sub}  # fmt: skip
    shared = set(schema) & set(decoder)  # other keys (nonfinite_voxels) are the workflow's
    assert shared == {"chunk_size", "device"}
    assert {name: schema[name] for name in shared} == {name: decoder[name] for name in shared}


def test_stage_defaults_are_the_decoders():
    decoder = _defaults(FastL2Decoder.__init__)
    stage = _defaults(train_decoder)
    shared = set(stage) & set(decoder)
    assert shared == {"alpha", "n_voxels", "chunk_size", "device"}
    assert {name: stage[name] for name in shared} == {name: decoder[name] for name in shared}
