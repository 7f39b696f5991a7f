"""benchmarks.weights_size: bytes per part of a weights file."""

import torch
from safetensors.torch import save_file

from aecodec.models.loader import WEIGHTS_DIR
from aecodec.models.registry import entry
from benchmarks.weights_size import part_sizes


def test_part_sizes_group_by_top_level_name_and_dtype(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file({"g_a.0.weight": torch.zeros(10, dtype=torch.float16),
               "g_a.1.beta": torch.zeros(3, dtype=torch.float32),
               "cx.0.weight": torch.zeros(4, dtype=torch.int16)}, str(path))
    assert part_sizes(path) == {"g_a": {"float16": 20, "float32": 12}, "cx": {"int16": 8}}


def test_the_default_models_parts_account_for_its_file():
    path = WEIGHTS_DIR / entry().filename
    total = sum(sum(d.values()) for d in part_sizes(path).values())
    # Everything but the JSON header and alignment is tensor data.
    assert 0.99 * path.stat().st_size < total <= path.stat().st_size
