"""The ``aecodec`` command: a thin layer over the public API.

    aecodec compress IN [-o OUT] [-q Q] [--force]
    aecodec decompress IN [-o OUT] [--force]
    aecodec info FILE [--json]
    aecodec models
    aecodec train --data DIR [...]

``-`` as IN or OUT means stdin/stdout. Errors from aecodec become one line on
stderr and exit status 1; the input is never overwritten, an existing output
only with ``--force``, and outputs are written through a temporary file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import warnings
from pathlib import Path

import aecodec
from aecodec.api import image_bytes, write_atomic

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
PROGRESS_DELAY_S = 2.0  # a progress bar appears once a job has run this long


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise aecodec.InvalidInputError(f"cannot read {path}: {exc.strerror}") from None


def _write_output(path: str, data: bytes, src: str, force: bool) -> None:
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    dst = Path(path)
    if src != "-" and dst.exists() and dst.resolve() == Path(src).resolve():
        raise aecodec.InvalidInputError(f"output {dst} is the input file; choose another -o")
    write_atomic(dst, data, overwrite=force)


def _default_output(src: str, suffix: str, flag: str) -> str:
    if src == "-":
        return "-"
    out = Path(src).with_suffix(suffix)
    if out == Path(src):
        raise aecodec.InvalidInputError(f"{src} already ends in {suffix}; give the output with {flag}")
    return str(out)


def _check_free(out: str, force: bool) -> None:
    if out != "-" and Path(out).exists() and not force:
        raise aecodec.InvalidInputError(f"{out} exists; use -o to choose another output or "
                                        f"--force to replace it")


@contextlib.contextmanager
def _progress(desc: str):
    """A ``progress(done, total)`` callback drawing a bar on a terminal once the job
    has taken more than two seconds (nothing when stderr is not a terminal)."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit="step", delay=PROGRESS_DELAY_S, leave=False, file=sys.stderr,
               disable=not sys.stderr.isatty())

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        if not bar.disable and time.time() - bar.start_t >= PROGRESS_DELAY_S:
            bar.refresh()  # steps are coarse (tiles): show each one, past the delay

    try:
        yield update
    finally:
        bar.close()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings from aecodec (e.g. no CUDA here) as one line, no source excerpt."""
    print(f"aecodec: warning: {message}", file=sys.stderr)


def cmd_compress(a: argparse.Namespace) -> None:
    out = a.output or _default_output(a.input, ".aec", "-o")
    _check_free(out, a.force)
    if a.input == "-":
        import io
        from PIL import Image, UnidentifiedImageError
        try:
            source = Image.open(io.BytesIO(_read_input("-")))
            source.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise aecodec.InvalidInputError(f"stdin is not an image Pillow can read ({exc})") from None
    else:
        source = a.input
    with _progress("compress") as progress:
        data = aecodec.encode(source, quality=a.quality, bpp=a.bpp, size=a.size, psnr=a.psnr,
                              device=a.device, progress=progress, denoise=a.denoise,
                              effort=a.effort, model=a.model)
    _write_output(out, data, a.input, a.force)
    if out != "-":
        h = aecodec.read_header(data)
        print(f"{a.input} → {out}: {h.width}×{h.height}, {len(data)} bytes, {h.bpp:.3f} bpp",
              file=sys.stderr)


def cmd_decompress(a: argparse.Namespace) -> None:
    out = a.output or _default_output(a.input, ".png", "-o")
    _check_free(out, a.force)
    with _progress("decompress") as progress:
        image = aecodec.decode(_read_input(a.input), device=a.device, progress=progress)
    _write_output(out, image_bytes(image, "" if out == "-" else Path(out).suffix), a.input, a.force)


def cmd_info(a: argparse.Namespace) -> None:
    h = aecodec.read_header(_read_input(a.file))
    model = aecodec.MODELS.get(h.model_id)
    fields = {
        "format_version": f"{h.major}.{h.minor}", "file_size": h.file_size,
        "width": h.width, "height": h.height, "channels": h.channels, "bit_depth": h.bit_depth,
        "quality": h.quality, "bpp": round(h.bpp, 4), "model_id": h.model_id,
        "model_digest": h.model_digest.hex(), "model_name": model.name if model else None,
        "tile_width": h.tile_width, "tile_height": h.tile_height, "tile_count": h.tile_count,
        "chunks": [{"tag": t, "bytes": n} for t, n in h.chunks],
    }
    if a.json:
        print(json.dumps(fields, indent=2))
        return
    for key, value in fields.items():
        if key == "chunks":
            value = ", ".join(f"{c['tag']}({c['bytes']})" for c in value)
        print(f"{key:15} {value}")


def cmd_models(a: argparse.Namespace) -> None:
    for m in aecodec.MODELS.values():
        default = " (default)" if m.id == aecodec.DEFAULT_MODEL_ID else ""
        print(f"{m.id:3}  {m.name}{default}\n     {m.description}\n     sha256 {m.sha256}")


def cmd_inspect(a: argparse.Namespace) -> None:
    from aecodec import inspection

    stats, maps = inspection.report(a.input, a.quality)
    if a.json:
        print(json.dumps(stats, indent=2))
    out = a.output or str(Path(a.input).with_suffix("")) + ".inspect.png"
    _check_free(out, a.force)
    import io
    buf = io.BytesIO()
    inspection.figure(stats, maps, buf)
    write_atomic(Path(out), buf.getvalue(), overwrite=a.force)
    if not a.json:
        print(f"{out}: {stats['bpp']:.3f} bpp, {stats['psnr']:.2f} dB PSNR")


def cmd_anomaly(a: argparse.Namespace) -> None:
    from tqdm import tqdm

    from aecodec import anomaly

    files = anomaly.list_folder(Path(a.folder)) if Path(a.folder).is_dir() else None
    if not files:
        raise aecodec.InvalidInputError(f"{a.folder} is not a folder with images")
    items, maps = [], {}
    for f in tqdm(files, desc="anomaly", unit="img", disable=not sys.stderr.isatty()):
        item, m = anomaly.measure(f, a.quality)
        items.append(item)
        if a.report:
            maps[item.file] = m
    ranked = anomaly.score(items)
    if a.report:
        anomaly.write_report(ranked, maps, Path(a.report), a.top)
    if a.json:
        print(json.dumps([{"file": i.file, "score": round(i.score, 4)} for i in ranked[:a.top]], indent=1))
    else:
        for i in ranked[:a.top]:
            print(f"{i.score:8.2f}  {i.file}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="aecodec", description="A learned image codec.")
    p.add_argument("--version", action="version", version=f"aecodec {aecodec.__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compress", help="image → .aec")
    c.add_argument("input", help="image file, or - for stdin")
    c.add_argument("-o", "--output", help="output file (default: IN with .aec; - for stdout)")
    rate = c.add_mutually_exclusive_group()
    rate.add_argument("-q", "--quality", type=float, default=None,
                      help=f"0 (smallest) … 100 (best), default {aecodec.DEFAULT_QUALITY:g}")
    rate.add_argument("--bpp", type=float, help="aim for this many bits per pixel")
    rate.add_argument("--size", help="largest file within this many bytes (e.g. 50000, 100k, 2M)")
    rate.add_argument("--psnr", type=float, help="smallest file with at least this PSNR (dB)")
    c.add_argument("-f", "--force", action="store_true", help="replace an existing output")
    c.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    c.add_argument("--denoise", action="store_true",
                   help="use the de-noising model: noise in the photo is dropped, not coded")
    c.add_argument("-e", "--effort", type=int, choices=sorted(aecodec.EFFORT_LEVELS), default=0,
                   help="encoder effort: 0 fastest (default); 1, 2 refine the latents for this "
                        "image (many times slower to encode; kept only if the file's RD cost is lower)")
    c.add_argument("-m", "--model", type=int, default=None,
                   help="shipped model id to code with (default: the newest; see `aecodec models`); "
                        "an older id lets earlier aecodec versions decode the file")
    c.set_defaults(func=cmd_compress)
    d = sub.add_parser("decompress", help=".aec → image (PNG unless -o names another format)")
    d.add_argument("input", help=".aec file, or - for stdin")
    d.add_argument("-o", "--output", help="output file (default: IN with .png; - for stdout)")
    d.add_argument("-f", "--force", action="store_true", help="replace an existing output")
    d.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    d.set_defaults(func=cmd_decompress)
    i = sub.add_parser("info", help="print a file's header fields")
    i.add_argument("file", help=".aec file, or - for stdin")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.set_defaults(func=cmd_info)
    n = sub.add_parser("inspect", help="figure: original, reconstruction, error map, bits map")
    n.add_argument("input", help="image file")
    n.add_argument("-o", "--output", help="figure file (default: IN.inspect.png)")
    n.add_argument("-q", "--quality", type=float, default=aecodec.DEFAULT_QUALITY)
    n.add_argument("--json", action="store_true", help="also print the numbers as JSON")
    n.add_argument("-f", "--force", action="store_true", help="replace an existing figure")
    n.set_defaults(func=cmd_inspect)
    y = sub.add_parser("anomaly", help="rank a folder's images by how badly the model fits them")
    y.add_argument("folder")
    y.add_argument("--top", type=int, default=10, help="how many to list (default 10)")
    y.add_argument("--json", action="store_true", help='print [{"file": …, "score": …}]')
    y.add_argument("--report", help="write a Markdown report with heat maps of the top images")
    y.add_argument("-q", "--quality", type=float, default=50.0)
    y.set_defaults(func=cmd_anomaly)
    m = sub.add_parser("models", help="list the models this version ships")
    m.set_defaults(func=cmd_models)
    sub.add_parser("train", help="train a model (aecodec train --help)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:  # the trainer has its own options and help
        from aecodec.training.train import main as train_main

        train_main(argv[1:])
        return 0
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():  # restores the warning display on the way out
            warnings.showwarning = _show_warning
            args.func(args)
    except aecodec.AecodecError as exc:
        print(f"aecodec: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("aecodec: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
