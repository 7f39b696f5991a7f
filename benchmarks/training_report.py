"""Record the training trajectory: the run's log plus each measured export.

    python -m benchmarks.training_report --run runs/v1 --export codec/weights/aec_m1.json [--heldout]

Appends the export (steps, CPU-hours, Kodak BD-rates measured by the last
``python -m benchmarks.rd`` run: vs JPEG, WebP, AVIF measured there and vs
published VTM) to ``benchmarks/results/training.json`` and rewrites
``training.md`` with it (and, with ``--heldout``, the BD-rates of the last
``python -m benchmarks.rd --data ../shared/data/train --manifest benchmarks/heldout.txt``
run, on the held-out tenth of the training folder) and a sampled copy of the run's training curve
(running bpp and PSNR per rate level on training crops, not a test set), and
plots BD-rate against CPU-hours to ``training.png``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

from .paths import RESULTS


def _pixels_only(export: dict) -> bool:
    """Whether the export's held-out run coded bare pixels (``benchmarks.rd`` drops metadata)."""
    return export["heldout"].get("metadata") == "dropped"


def plot(exports: list[dict], path: Path) -> None:
    """BD-rate against total CPU-hours: Kodak vs JPEG, WebP and AVIF, held-out vs AVIF."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for codec, style in (("JPEG", "o-"), ("WebP", "s-"), ("AVIF", "^-")):
        pts = [(e["cpu_hours"], e["kodak_bd_rate_psnr"].get(codec)) for e in exports]
        pts = [(x, y) for x, y in pts if y is not None]
        ax.plot(*zip(*pts), style, label=f"Kodak vs {codec}")
    for dropped, style, label in ((False, "^--", "held-out tenth vs AVIF (metadata coded)"),
                                  (True, "v--", "held-out tenth vs AVIF (pixels only)")):
        held = [(e["cpu_hours"], e["heldout"]["bd_rate_psnr"].get("AVIF")) for e in exports
                if "heldout" in e and _pixels_only(e) == dropped]
        held = [(x, y) for x, y in held if y is not None]
        if held:
            ax.plot(*zip(*held), style, label=label)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("total training CPU-hours (2 cores)")
    ax.set_ylabel("BD-rate of aecodec, PSNR (%)")
    ax.set_title("Training trajectory (each point an export)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def trend(points: list[tuple[float, float]], last: tuple[float, float] | None = None) -> dict | None:
    """Least-squares line through (CPU-hours, BD-rate %) points.

    Returns the slope in points per CPU-hour and, if the line falls, the
    CPU-hours past the last point at which it would reach 0 %; None with fewer
    than two distinct CPU-hour values. ``last``: a later export off the fitted
    points (a table refit): the distance is then counted from it at that slope.
    """
    if len({h for h, _ in points}) < 2:
        return None
    hours, rates = zip(*points)
    slope, intercept = (float(c) for c in np.polyfit(hours, rates, 1))
    last_rate = rates[-1] if last is None else last[1]
    more = None
    if last_rate <= 0:
        more = 0.0
    elif slope < 0:
        # Where the fitted line crosses 0 %, counted from the last export (or from ``last``).
        more = -intercept / slope - hours[-1] if last is None else -last_rate / slope
    return {"slope": slope, "exports": len(points), "last_bd_rate": last_rate, "cpu_hours_to_zero": more}


def _trend_lines(held: list[dict]) -> list[str]:
    """The held-out trajectory's slope against AVIF, over the exports measured on bare pixels."""
    measured = [e for e in held if _pixels_only(e) and e["heldout"]["bd_rate_psnr"].get("AVIF") is not None]
    trained = [e for e in measured if not e.get("y_tables")]
    points = [(e["cpu_hours"], e["heldout"]["bd_rate_psnr"]["AVIF"]) for e in trained]
    refit = measured[-1] if measured and measured[-1].get("y_tables") else None
    t = trend(points, None if refit is None else (refit["cpu_hours"], refit["heldout"]["bd_rate_psnr"]["AVIF"]))
    if t is None:
        return []
    line = (f"Trend on the held-out tenth vs AVIF, least squares over the {t['exports']} trained exports "
            f"measured on bare pixels ({points[0][0]:.2f}–{points[-1][0]:.2f} CPU-hours): "
            f"**{t['slope']:+.3f} points per CPU-hour**")
    if refit is not None:
        line += (f" (table refits left out of the fit: a one-off gain; distance counted from "
                 f"{refit['export']} at {t['last_bd_rate']:+.2f} %)")
    if t["cpu_hours_to_zero"] is None:
        line += "; at that slope it never reaches 0 %."
    elif t["cpu_hours_to_zero"] == 0:
        line += "; the last export is at or below 0 %."
    else:
        hours = t["cpu_hours_to_zero"]
        per_export = (points[-1][0] - points[0][0]) / (len(points) - 1)
        line += (f"; at that slope 0 % is **{hours:.0f} CPU-hours** past the last export, "
                 f"about {hours / per_export:.0f} more exports at the {per_export:.1f} "
                 "CPU-hours each of these took.")
    return ["", line]


def recipe_cell(e: dict) -> str:
    """The trajectory table's description of how an export was trained."""
    r = e.get("recipe") or {}
    averaged = e.get("averaged")
    if averaged:  # the mean of sibling runs' weights (aecodec.training.average)
        recipe = f"mean of {len(averaged)} runs' weights: " + "; ".join(
            f"{run.get('steps')} × {run.get('batch')} × {run.get('crop')}², {run.get('lr')}, "
            f"seed {run.get('seed')}"
            + (f", level loss ∝ λ^{-run['level_weight_power']:g}" if run.get("level_weight_power") else "")
            for run in averaged)
    elif e.get("y_tables"):  # aecodec.training.tables: the parent's weights, other CDF tables
        t = e["y_tables"]
        recipe = (f"no training: {e.get('parent')}'s weights, y CDF tables refitted to its symbols "
                  f"on {t['photos']} training photos ({t['rows']} rows)")
    else:
        recipe = f"{r.get('steps')} × {r.get('batch')} × {r.get('crop')}², {r.get('lr')}" if r else "—"
    if e.get("context", "none") != "none":
        recipe += f", {e['context']} context"
    if e.get("channel_groups", 1) > 1:
        recipe += f", {e['channel_groups']} channel groups"
    if e.get("residual_blocks"):
        recipe += f", {e['residual_blocks']} residual blocks per stage"
    if e.get("analysis_blocks"):
        recipe += (" + " if e.get("residual_blocks") else ", residual blocks: ")
        recipe += f"{e['analysis_blocks']} at g_a's 1/2 size"
    if e.get("level_weight_power") and not averaged:
        recipe += f", level loss ∝ λ^{-e['level_weight_power']:g}"
    if e.get("min_scale", 0.5) == 1:
        recipe += ", crops at the photos' own resolution"
    elif e.get("min_scale", 0.5) != 0.5:
        recipe += f", crops downscaled {e['min_scale']:g}–1×"
    return recipe


def _bd_of(table: dict, curve: str) -> dict:
    """BD-rate (%) of ``curve`` against every other codec in a ``benchmarks.rd`` PSNR table."""
    if curve not in table:
        raise SystemExit(f"no curve {curve!r} in the results; measured: {', '.join(table)}")
    return {k: (table[k].get(curve) or {}).get("percent") for k in table if k != curve}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run", type=Path,
                   help="the run's folder, to record its training curve (log.jsonl); none for an "
                   "average of runs (aecodec.training.average), which has no curve of its own")
    p.add_argument("--export", type=Path, required=True, help="the export's JSON sidecar")
    p.add_argument("--every", type=int, default=500, help="sample the curve every N steps")
    p.add_argument("--cpu", help="the CPU the run trained on, for an export whose sidecar does "
                   "not record it (exports before version 0.21)")
    p.add_argument("--heldout", action="store_true",
                   help="also record the held-out-tenth BD-rates (benchmarks/results/heldout/results.json)")
    p.add_argument("--curve", default="aecodec",
                   help="the measured curve that is this export: 'aecodec' (the default model) or, "
                   "for an export measured beside it, its name in the results, e.g. 'aecodec (model 26)'")
    a = p.parse_args(argv)
    curve = None
    if a.run is not None:
        log = [json.loads(l) for l in (a.run / "log.jsonl").read_text().splitlines() if l.strip()]
        # A run resumed after a kill logs again the steps after its last checkpoint: keep the later record.
        by_step = {r["step"]: r for r in log}
        curve = [by_step[s] for s in sorted(by_step) if s % a.every == 0]
    export = json.loads(a.export.read_text())
    rd = json.loads((RESULTS / "kodak" / "results.json").read_text())
    bd = rd["bd_rate"]["psnr"]
    entry = {"export": a.export.stem, "sha256": export["sha256"],
             "steps": export.get("total_steps", export["steps"]),
             "cpu_hours": export.get("total_cpu_hours", export["cpu_hours"]),
             "parent": export.get("parent", {}).get("export"),
             "recipe": {k: export.get("train_config", {}).get(k) for k in ("steps", "batch", "crop", "lr")},
             "context": export.get("model_config", {}).get("context", "none"),
             "channel_groups": export.get("model_config", {}).get("channel_groups", 1),
             "residual_blocks": export.get("model_config", {}).get("residual_blocks", 0),
             "analysis_blocks": export.get("model_config", {}).get("analysis_blocks", 0),
             "level_weight_power": export.get("train_config", {}).get("level_weight_power", 0.0),
             "min_scale": export.get("train_config", {}).get("min_scale", 0.5),
             **({"averaged": [{k: v for k, v in run.items() if k not in ("out", "init")}
                              for run in export["train_config"]["averaged"]]}
                if "averaged" in export.get("train_config", {}) else {}),
             **({"y_tables": export["y_tables"]} if "y_tables" in export else {}),
             "rd_commit": rd["provenance"]["git_commit"],
             "cpu_hours_by_cpu": export.get("cpu_hours_by_cpu")
             or ({a.cpu: export["cpu_hours"]} if a.cpu else None),
             "kodak_bd_rate_psnr": _bd_of(bd, a.curve)}
    if a.heldout:
        held = json.loads((RESULTS / "heldout" / "results.json").read_text())
        hb = held["bd_rate"]["psnr"]
        entry["heldout"] = {"images": held["images"], "data": held["data_name"],
                            "metadata": held.get("metadata", "coded"),
                            "command": held["command"], "rd_commit": held["provenance"]["git_commit"],
                            "bd_rate_psnr": _bd_of(hb, a.curve)}
    path = RESULTS / "training.json"
    doc = json.loads(path.read_text()) if path.exists() else {"exports": []}
    doc["exports"] = [e for e in doc["exports"] if e["sha256"] != entry["sha256"]] + [entry]
    if curve is not None:
        doc.setdefault("curves", {})[a.export.stem] = curve
    doc.pop("curve", None)
    doc["command"] = "python -m benchmarks.training_report " + shlex.join(
        sys.argv[1:] if argv is None else argv)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    lines = ["# Training trajectory", "",
             "Exports measured on Kodak with real bitstreams (`python -m benchmarks.rd`, BD-rate of "
             "aecodec in PSNR; negative = fewer bits; `None` = curves do not overlap).", "",
             "Steps and CPU-hours are totals, including the export a run started from.", "",
             "![BD-rate against CPU-hours](training.png)", "",
             "| export | from | run: steps × batch × crop², lr | total steps | total CPU-hours | vs JPEG | "
             "vs WebP | vs AVIF | vs VTM (published) |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]

    def cell(v):
        return "no overlap" if v is None else "—" if v == "" else f"{v:+.1f} %"
    for e in doc["exports"]:
        b = e["kodak_bd_rate_psnr"]
        lines.append(f"| {e['export']} | {e.get('parent') or 'scratch'} | {recipe_cell(e)} | {e['steps']} | "
                     f"{e['cpu_hours']:.2f} | {cell(b.get('JPEG'))} | "
                     f"{cell(b.get('WebP'))} | {cell(b.get('AVIF'))} | {cell(b.get('VTM (published)'))} |")
    on_cpu = [e for e in doc["exports"] if e.get("cpu_hours_by_cpu")]
    if on_cpu:
        lines += ["", "A run's CPU-hours by the CPU it trained on, where the export records it "
                  "(a step's cost depends on the CPU):", ""]
        lines += [f"- {e['export']}: " + ", ".join(f"{h:.2f} on {cpu}" for cpu, h in e["cpu_hours_by_cpu"].items())
                  for e in on_cpu]
    held = [e for e in doc["exports"] if "heldout" in e]
    if held:
        lines += ["", "Held-out tenth of the training folder (never trained on; full resolution), "
                  "BD-rate of aecodec in PSNR against codecs measured in the same run:", "",
                  "| export | images | vs JPEG | vs WebP | vs AVIF | command |", "|---|---:|---:|---:|---:|---|"]
        for e in held:
            h = e["heldout"]["bd_rate_psnr"]
            mark = "" if _pixels_only(e) else " †"
            lines.append(f"| {e['export']}{mark} | {e['heldout']['images']} | {cell(h.get('JPEG', ''))} | "
                         f"{cell(h.get('WebP', ''))} | {cell(h.get('AVIF', ''))} | `{e['heldout']['command']}` |")
        lines += _trend_lines(held)
        if not all(_pixels_only(e) for e in held):
            lines += ["", "†: measured before `benchmarks.rd` dropped the photos' metadata, so aecodec "
                      "was charged for the ICC profiles and EXIF it stores (AVIF for the profiles) and "
                      "JPEG and WebP for neither; 6 of the 30 photos carry them."]
    for name, run_curve in doc.get("curves", {}).items():
        lines += ["", f"## Training curve of {name}'s run (running averages on training crops, per "
                  "rate level; step and CPU-hours of that run)", "",
                  "| step | CPU-hours | steps/s | " + " | ".join(f"bpp{i} / PSNR{i}" for i in range(6)) + " |",
                  "|---:|---:|---:|" + "---:|" * 6]
        for r in run_curve:
            cells = [f"{r.get(f'bpp{i}', float('nan')):.3f} / {r.get(f'psnr{i}', float('nan')):.2f}"
                     for i in range(6)]
            lines.append(f"| {r['step']} | {r['cpu_hours']:.2f} | {r['steps_per_s']:.2f} | "
                         + " | ".join(cells) + " |")
    (RESULTS / "training.md").write_text("\n".join(lines) + "\n")
    plot(doc["exports"], RESULTS / "training.png")
    print(f"wrote {RESULTS / 'training.md'}")


if __name__ == "__main__":
    main()
