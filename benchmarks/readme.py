"""Regenerate README's results section from committed benchmark results.

    python -m benchmarks.readme

Reads ``benchmarks/results/kodak/results.json`` (from ``python -m benchmarks.rd``)
and, when present, ``benchmarks/results/exact_cost.json``, and rewrites the
block between the ``rd-table`` markers in README.md. No number is typed by hand.
"""

from __future__ import annotations

import json
import re

from .paths import REPO_ROOT, RESULTS

START, END = "<!-- rd-table:start -->", "<!-- rd-table:end -->"


def render() -> str:
    res = json.loads((RESULTS / "kodak" / "results.json").read_text())
    prov = res["provenance"]
    lines = [f"Kodak, {res['images']} images, whole-file bytes, PSNR-RGB of the decoded 8-bit "
             f"images; measured by `{res['command']}` on {prov['cpu']} ({prov['threads']} threads) "
             f"at commit `{(prov['git_commit'] or '?')[:10]}`. Full report: "
             "[benchmarks/results/kodak/report.md](benchmarks/results/kodak/report.md).", "",
             "| codec | BD-rate of aecodec (PSNR) | PSNR range (dB) | BD-rate of aecodec (MS-SSIM dB) |",
             "|---|---:|---|---:|"]
    psnr, ms = res["bd_rate"]["psnr"], res["bd_rate"]["ms_ssim_db"]
    for anchor in psnr:
        if anchor == "aecodec":
            continue
        r = psnr[anchor].get("aecodec")
        m = ms.get(anchor, {}).get("aecodec")
        cell = "no overlap" if r is None else f"{r['percent']:+.1f} %"
        rng = "" if r is None else f"{r['range'][0]:.1f}–{r['range'][1]:.1f}"
        mcell = "—" if m is None else f"{m['percent']:+.1f} %"
        lines.append(f"| {anchor} | {cell} | {rng} | {mcell} |")
    lines += ["", "Negative: aecodec needs fewer bits at equal quality. Published curves are the "
              "authors' figures (`../shared/anchors/kodak`), not measured here.", "",
              "| aecodec quality | bpp | PSNR (dB) | MS-SSIM |", "|---:|---:|---:|---:|"]
    for p in res["codecs"]["aecodec"]["points"]:
        lines.append(f"| {p['setting']:g} | {p['bpp']:.3f} | {p['psnr']:.2f} | {p['ms_ssim']:.4f} |")
    lines += ["", "![RD curves](benchmarks/results/kodak/rd.png)"]
    exact = RESULTS / "exact_cost.json"
    if exact.exists():
        e = json.loads(exact.read_text())
        lines += ["", f"RD cost of the exact entropy path vs a plain float hyper-decoder "
                  f"(`{e['command']}`, {e['images']} Kodak images): "
                  f"**{e['bd_rate_exact_vs_float_percent']:+.2f} %** BD-rate over "
                  f"{e['psnr_range'][0]:.1f}–{e['psnr_range'][1]:.1f} dB."]
    return "\n".join(lines)


def main() -> None:
    readme = REPO_ROOT / "README.md"
    text = readme.read_text()
    block = f"{START}\n{render()}\n{END}"
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    readme.write_text(new)
    print("README results updated")


if __name__ == "__main__":
    main()
