"""Where a shipped model's bytes go: its weights file, part by part.

    python -m benchmarks.weights_size [--model 18]

A shipped model may take at most 30 MB. The float transforms (``g_a``, ``g_s``,
``h_a``) grow with the square of their width, the integer hyper-synthesis and
context networks with the square of the latent channels: this table shows what
any wider model has to fit beside. Writes ``benchmarks/results/weights_size.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

from safetensors import safe_open

from .paths import RESULTS

#: The size a shipped model may take (the brief's git limit).
LIMIT_MB = 30.0


def part_sizes(path) -> dict[str, dict[str, int]]:
    """Bytes per top-level part (``g_a``, ``cx``…) and dtype of a safetensors file."""
    sizes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with safe_open(str(path), "pt") as f:
        for key in f.keys():
            t = f.get_tensor(key)
            sizes[key.split(".")[0]][str(t.dtype).removeprefix("torch.")] += t.numel() * t.element_size()
    return {part: dict(d) for part, d in sizes.items()}


def main(argv=None) -> None:
    from aecodec.models.loader import WEIGHTS_DIR
    from aecodec.models.registry import DEFAULT_MODEL_ID, entry

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=int, default=DEFAULT_MODEL_ID)
    a = p.parse_args(argv)
    path = WEIGHTS_DIR / entry(a.model).filename
    sizes = part_sizes(path)
    totals = {part: sum(d.values()) for part, d in sizes.items()}
    file_mb = path.stat().st_size / 1e6
    rows = sorted(totals, key=totals.get, reverse=True)
    lines = ["# Weights size", "",
             f"`python -m benchmarks.weights_size --model {a.model}`: `{path.name}`, "
             f"**{file_mb:.1f} MB** of the {LIMIT_MB:.0f} MB a shipped model may take.", "",
             "| part | dtypes | MB | share |", "|---|---|---:|---:|"]
    for part in rows:
        dtypes = ", ".join(f"{k} {v / 1e6:.2f}" for k, v in sorted(sizes[part].items(), key=lambda kv: -kv[1]))
        lines.append(f"| {part} | {dtypes} | {totals[part] / 1e6:.2f} | {totals[part] / 1e6 / file_mb:.1%} |")
    out = {"model": a.model, "file": path.name, "file_mb": file_mb, "limit_mb": LIMIT_MB,
           "parts": {part: {"bytes": totals[part], "dtypes": sizes[part]} for part in rows}}
    (RESULTS / "weights_size.json").write_text(json.dumps(out, indent=1) + "\n")
    (RESULTS / "weights_size.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
