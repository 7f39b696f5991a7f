"""Loading shipped weights: safetensors only, sha256 checked before use.

The file holds the float transforms (fp16 convolutions, fp32 GDN and gains),
the integer hyper-synthesis and the integer CDF tables; its metadata holds the
architecture. Nothing on the coding path is recomputed at load time.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load

from ..entropy import CdfTables
from ..errors import WeightsError
from .codec_model import CodecModel, transform_precision
from .context import CHECKERBOARD, NO_CONTEXT
from .fixed_point import FixedLayer, check_bounds
from .registry import DEFAULT_MODEL_ID, entry

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"

#: Residual blocks per transform stage a weights file may ask for (a corrupt
#: count must not make the loader build a huge network).
MAX_RESIDUAL_BLOCKS = 8


def _tables(tensors: dict, prefix: str) -> CdfTables:
    return CdfTables(tensors[f"{prefix}.cdf"].numpy().astype(np.int32),
                     tensors[f"{prefix}.cdf_length"].numpy().astype(np.int32),
                     tensors[f"{prefix}.offset"].numpy().astype(np.int32))


def _fixed_layers(tensors: dict, config: dict, prefix: str) -> list[FixedLayer]:
    """The integer network ``prefix`` (``h_s``, ``cx``, ``cf``, ``cc1``…), bounds checked."""
    layers = [
        FixedLayer(spec["kind"], tensors[f"{prefix}.{i}.weight"].long(),
                   tensors[f"{prefix}.{i}.bias"].long(), spec["shift"], spec["stride"],
                   spec["padding"], spec["output_padding"], spec["relu"])
        for i, spec in enumerate(config[prefix])
    ]
    check_bounds(layers)
    return layers


def model_from_bytes(data: bytes) -> CodecModel:
    """Build a :class:`CodecModel` from the bytes of an exported safetensors file."""
    try:
        tensors = load(data)
        header_len = int.from_bytes(data[:8], "little")
        meta = json.loads(data[8:8 + header_len])["__metadata__"]
        config = json.loads(meta["config"])
        context = config.get("context", NO_CONTEXT)
        if context not in (NO_CONTEXT, CHECKERBOARD):
            raise WeightsError(f"weights need the {context!r} context model, which this version "
                               "of aecodec does not have; upgrade aecodec")
        groups = int(config.get("channel_groups", 1))
        if groups > 1 and (context != CHECKERBOARD or config["m"] % groups):
            raise WeightsError(f"weights have {groups} channel groups, which need the checkerboard "
                               f"context and a multiple of {groups} latent channels")
        blocks = [int(config.get(key, 0)) for key in ("residual_blocks", "analysis_blocks")]
        if not all(0 <= b <= MAX_RESIDUAL_BLOCKS for b in blocks):
            raise WeightsError(f"weights have {blocks[0]} residual blocks per stage and "
                               f"{blocks[1]} at g_a's 1/2-size stage; this version of aecodec "
                               f"builds 0–{MAX_RESIDUAL_BLOCKS} per stage")
        prefixes = ["h_s"] + (["cx", "cf"] if context == CHECKERBOARD else [])
        prefixes += [f"cc{g}" for g in range(1, groups)]
        integer = {prefix: _fixed_layers(tensors, config, prefix) for prefix in prefixes}
    except (SafetensorError, KeyError, ValueError) as exc:
        raise WeightsError(f"unreadable weights file: {exc}") from None
    model = CodecModel(config["n"], config["m"], config["levels"], integer["h_s"],
                       _tables(tensors, "z"), tensors["z.medians_fixed"], _tables(tensors, "y"),
                       tensors["y.scale_thresholds"], integer.get("cx"), integer.get("cf"),
                       [integer[f"cc{g}"] for g in range(1, groups)], *blocks)
    float_state = {k: v.float() for k, v in tensors.items()
                   if k.split(".")[0] in ("g_a", "g_s", "h_a", "log_gain", "log_inverse_gain")}
    missing, unexpected = model.load_state_dict(float_state, strict=False)
    if missing or unexpected:
        raise WeightsError(f"weights do not fit the architecture (missing {missing[:3]}, "
                           f"unexpected {unexpected[:3]})")
    model.config = config
    return model


def read_verified(path: Path, sha256: str) -> bytes:
    """Read a weights file and check its sha256; a mismatch is an error."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise WeightsError(f"cannot read weights {path}: {exc.strerror}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise WeightsError(f"weights {Path(path).name} have sha256 {actual[:16]}…, expected "
                           f"{sha256[:16]}…; reinstall aecodec")
    return data


def load_model(model_id: int = DEFAULT_MODEL_ID, device: str = "cpu") -> CodecModel:
    """Load (once per process and device) the shipped model ``model_id``, checking its sha256."""
    return _load_cached(int(model_id), str(device))


@lru_cache(maxsize=4)
def _load_cached(model_id: int, device: str) -> CodecModel:
    if device != "cpu":
        return _load_cached(model_id, "cpu").moved(device)
    e = entry(model_id)
    model = model_from_bytes(read_verified(WEIGHTS_DIR / e.filename, e.sha256))
    model.entry = e
    model.precision = transform_precision("cpu")
    return model
