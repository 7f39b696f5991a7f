"""Encode/decode speed on Kodak against CompressAI's MeanScaleHyperprior(192, 320).

    python -m benchmarks.speed [--data DIR] [--runs 5] [--threads 2] [--limit N]

Each side runs in its own process (so peak memory, ``ru_maxrss``, is its own),
with the same images and thread count, in the same run. Per image: one warm-up,
then the median of ``--runs`` timed runs. aecodec is timed through its public
API (``encode`` → bytes, ``decode`` → image) at quality 60 on the exact path it
ships; CompressAI's model is timed with ``compress`` + ``decompress`` (random
weights: their speed does not depend on the weights beyond entropy-coding
statistics). Also reported: where aecodec's time goes, the model's MACs per
pixel, and the fraction of this machine's ``torch.mm`` throughput the
transforms reach. Pause any background job first: timings on a busy machine
are meaningless. Writes ``benchmarks/results/speed.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .paths import RESULTS, kodak_dir
from .rd import load_images, provenance

QUALITY = 60.0


def _median_time(fn, runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def count_macs(model, height: int = 512, width: int = 768) -> dict:
    """Multiply-accumulates per pixel of each transform (convolutions and GDN)."""
    import torch
    from torch import nn
    from compressai.layers import GDN

    counts = {}

    def hook(name):
        def f(mod, inp, out):
            if isinstance(mod, nn.ConvTranspose2d):
                macs = inp[0].numel() * mod.out_channels * mod.kernel_size[0] * mod.kernel_size[1]
            elif isinstance(mod, nn.Conv2d):
                macs = out.numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
            else:  # GDN: a 1×1 convolution over channels
                macs = out.numel() * out.shape[1]
            counts[name] = counts.get(name, 0) + macs
        return f

    handles = []
    for name in ("g_a", "g_s", "h_a"):
        for mod in getattr(model, name).modules():
            if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d, GDN)):
                handles.append(mod.register_forward_hook(hook(name)))
    with torch.no_grad():
        x = torch.rand(1, 3, height, width)
        y = model.g_a(x)
        model.h_a(y)
        model.g_s(y)
    for h in handles:
        h.remove()
    hs, zh, zw = 0, height // 64, width // 64
    for layer in model.hs_layers:  # integer layers: count as MACs too
        cin_or_cout = layer.weight.shape[0] * layer.weight.shape[1]
        taps = layer.weight.shape[2] * layer.weight.shape[3]
        hs += cin_or_cout * taps * zh * zw  # deconv: per input position; conv (stride 1): per output
        if layer.kind == "deconv":
            zh, zw = zh * layer.stride, zw * layer.stride
    counts["h_s"] = hs
    if model.has_context:  # integer layers at ŷ's non-anchors (half the positions);
        # cx reads only its taps that land on anchors (those at odd offsets)
        (cx,) = model.context_layers
        k = cx.weight.shape[-1]
        anchor_taps = sum((i + j - 2 * (k // 2)) % 2 for i in range(k) for j in range(k))
        per_position = (cx.weight.shape[0] * cx.weight.shape[1] * anchor_taps
                        + sum(l.weight.numel() for l in model.fuse_layers))
        counts["context (cx + cf)"] = per_position * (height // 16) * (width // 16) / 2
    if model.channel_layers:  # 1×1 integer layers at every ŷ position (in its half)
        counts["channel groups (cc)"] = sum(l.weight.numel() for net in model.channel_layers
                                            for l in net) * (height // 16) * (width // 16)
    return {k: v / (height * width) for k, v in counts.items()}


def mm_gflops(threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    out = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a = torch.rand(2048, 2048).to(dtype)
        b = torch.rand(2048, 2048).to(dtype)
        t = _median_time(lambda: torch.mm(a, b), 5)
        out[name] = 2 * 2048**3 / t / 1e9
    return out


def worker_aecodec(images, runs: int) -> dict:
    import aecodec
    from aecodec.models.codec_model import LatentStreams
    from aecodec.models.loader import load_model
    from aecodec.pixels import to_tensor

    per_image = []
    for name, im in images:
        data = aecodec.encode(im, quality=QUALITY)
        enc = _median_time(lambda: aecodec.encode(im, quality=QUALITY), runs)
        dec = _median_time(lambda: aecodec.decode(data), runs)
        mp = im.width * im.height / 1e6
        per_image.append({"image": name, "encode_s": enc, "decode_s": dec,
                          "encode_mp_s": mp / enc, "decode_mp_s": mp / dec, "bytes": len(data)})
    # where the time goes, on the first image
    import torch
    model = load_model(aecodec.DEFAULT_MODEL_ID)
    name, im = images[0]
    x = to_tensor(np.asarray(im), 64)
    y = model.analyse(x, QUALITY)
    s = model.code_latents(y)
    z_sym = torch.from_numpy(model.z_tables.decode(s.z_bytes, model._z_indexes(s.z_shape)))[None]
    y_hat = model.decode_latents(s)
    data = aecodec.encode(im, quality=QUALITY)
    context = 0.0  # the context network runs once per encode and once per decode
    if model.has_context:
        base = model.entropy_parameters(z_sym)
        symbols, _ = model.quantize_latents(y, z_sym)
        context = _median_time(lambda: model.context_parameters(base, symbols), runs)
    parts = {
        "analysis g_a": _median_time(lambda: model.analyse(x, QUALITY), runs),
        "synthesis g_s": _median_time(lambda: model.synthesise(y_hat, QUALITY), runs),
        "hyper-analysis h_a": _median_time(lambda: model.h_a(y), runs),
        "exact hyper-synthesis h_s": _median_time(lambda: model.entropy_parameters(z_sym), runs),
        **({"exact context model (cx + cf, channel groups, table rows)": context}
           if model.has_context else {}),
        "entropy coding (quantize + rANS encode, both streams)": _median_time(
            lambda: model.code_latents(y), runs)
        - _median_time(lambda: (model.h_a(y), model.entropy_parameters(z_sym)), runs) - context,
        "entropy decoding (rANS decode + dequantize)": _median_time(lambda: model.decode_latents(s), runs)
        - _median_time(lambda: model.entropy_parameters(z_sym), runs) - context,
        "container parse + CRC": _median_time(lambda: aecodec.read_header(data), runs),
    }
    return {"images": per_image, "breakdown_s": parts, "macs_per_pixel": count_macs(model),
            "precision": model.precision, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def worker_compressai(images, runs: int) -> dict:
    import torch
    import torch.nn.functional as F
    from compressai.models import MeanScaleHyperprior

    torch.manual_seed(0)
    net = MeanScaleHyperprior(192, 320).eval()
    net.update(force=True)
    per_image = []
    for name, im in images:
        x = torch.from_numpy(np.asarray(im).copy()).permute(2, 0, 1)[None].float() / 255
        h, w = x.shape[2:]
        ph, pw = (64 - h % 64) % 64, (64 - w % 64) % 64
        xp = F.pad(x, (0, pw, 0, ph), mode="replicate")
        with torch.no_grad():
            out = net.compress(xp)
            enc = _median_time(lambda: net.compress(xp), runs)
            dec = _median_time(lambda: net.decompress(out["strings"], out["shape"]), runs)
        mp = w * h / 1e6
        per_image.append({"image": name, "encode_s": enc, "decode_s": dec,
                          "encode_mp_s": mp / enc, "decode_mp_s": mp / dec})
    return {"images": per_image, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _run_worker(kind: str, args) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.speed", "--worker", kind, "--runs", str(args.runs),
           "--threads", str(args.threads)]
    if args.data:
        cmd += ["--data", str(args.data)]
    if args.limit:
        cmd += ["--limit", str(args.limit)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_report(res: dict, out: Path) -> None:
    a, c = res["aecodec"], res["compressai"]
    lines = ["# Speed", "", f"`{res['command']}` on {res['provenance']['cpu']}, "
             f"{res['threads']} threads, {len(a['images'])} Kodak images, quality {QUALITY:g}, median of "
             f"{res['runs']} runs after a warm-up. Reference: CompressAI `MeanScaleHyperprior(192, 320)` "
             "compress + decompress, same images, threads and run. No GPU numbers: none can be measured here.",
             "", "| | aecodec | CompressAI MSH(192,320) | ratio aecodec / CompressAI |", "|---|---:|---:|---:|"]
    for key, label in (("encode_s", "encode, s per image (median over images)"),
                       ("decode_s", "decode, s per image"), ("total", "encode + decode, s per image")):
        if key == "total":
            va = statistics.median(i["encode_s"] + i["decode_s"] for i in a["images"])
            vc = statistics.median(i["encode_s"] + i["decode_s"] for i in c["images"])
        else:
            va = statistics.median(i[key] for i in a["images"])
            vc = statistics.median(i[key] for i in c["images"])
        lines.append(f"| {label} | {va:.3f} | {vc:.3f} | {va / vc:.2f} |")
    lines.append(f"| total over all images, encode + decode (s) | {res['total_aecodec_s']:.2f} | "
                 f"{res['total_compressai_s']:.2f} | **{res['ratio']:.2f}** |")
    lines.append(f"| peak memory (ru_maxrss, MiB) | {a['peak_rss_mib']:.0f} | {c['peak_rss_mib']:.0f} | |")
    lines += ["", "## Per image (aecodec)", "", "| image | encode s | decode s | encode MP/s | decode MP/s |",
              "|---|---:|---:|---:|---:|"]
    lines += [f"| {i['image']} | {i['encode_s']:.3f} | {i['decode_s']:.3f} | {i['encode_mp_s']:.2f} | "
              f"{i['decode_mp_s']:.2f} |" for i in a["images"]]
    lines += ["", "## Where aecodec's time goes (first image)", "", "| part | s |", "|---|---:|"]
    lines += [f"| {k} | {v:.4f} |" for k, v in a["breakdown_s"].items()]
    macs = a["macs_per_pixel"]
    lines += ["", "## Arithmetic", "", "| transform | MACs per pixel |", "|---|---:|"]
    lines += [f"| {k} | {v:,.0f} |" for k, v in macs.items()]
    lines += ["", f"`torch.mm` 2048² here: {res['mm_gflops']['fp32']:.0f} GFLOP/s fp32, "
              f"{res['mm_gflops']['bf16']:.0f} GFLOP/s bf16 ({res['threads']} threads). "
              f"The transforms (g_a + g_s, run in {res['transform_precision']}) reach "
              f"{res['transform_fraction'] * 100:.1f} % of the {res['transform_precision']} figure."]
    (out / "speed.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="Speed benchmark")
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--worker", choices=["aecodec", "compressai"], default=None)
    a = p.parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    if a.worker:
        images = load_images(a.data or kodak_dir(), a.limit)
        fn = worker_aecodec if a.worker == "aecodec" else worker_compressai
        print(json.dumps(fn(images, a.runs)))
        return
    res_a = _run_worker("aecodec", a)
    res_c = _run_worker("compressai", a)
    mm = mm_gflops(a.threads)
    total_a = sum(i["encode_s"] + i["decode_s"] for i in res_a["images"])
    total_c = sum(i["encode_s"] + i["decode_s"] for i in res_c["images"])
    macs = res_a["macs_per_pixel"]
    br = res_a["breakdown_s"]
    pixels = 768 * 512
    flops = 2 * (macs["g_a"] + macs["g_s"]) * pixels
    precision = res_a.get("precision", "fp32")
    frac = flops / (br["analysis g_a"] + br["synthesis g_s"]) / (mm[precision] * 1e9)
    res = {"command": "python -m benchmarks.speed " + " ".join(argv if argv is not None else sys.argv[1:]),
           "provenance": provenance(a.threads), "threads": a.threads, "runs": a.runs,
           "aecodec": res_a, "compressai": res_c, "mm_gflops": mm,
           "total_aecodec_s": total_a, "total_compressai_s": total_c, "ratio": total_a / total_c,
           "transform_fraction": frac, "transform_precision": precision}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(res, indent=1) + "\n")
    write_report(res, RESULTS)
    print(f"encode+decode ratio aecodec / CompressAI MSH(192,320): {res['ratio']:.2f} "
          f"({total_a:.1f} s vs {total_c:.1f} s); wrote {RESULTS}/speed.md")


if __name__ == "__main__":
    main()
