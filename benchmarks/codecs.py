"""The codecs a benchmark runs, each as ``code(image, setting) -> (file bytes, decoded)``.

Classic codecs go through Pillow with the settings of DESIGN §7; aecodec goes
through its public API (whole-file bytes).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image

from aecodec.models.registry import DEFAULT_MODEL_ID, DENOISE_MODEL_ID, MODELS


@dataclass(frozen=True)
class Codec:
    name: str
    settings: tuple[float, ...]
    code: Callable[[Image.Image, float], tuple[int, np.ndarray]]
    setting_name: str = "quality"


def _pillow(fmt: str, **fixed) -> Callable[[Image.Image, float], tuple[int, np.ndarray]]:
    def code(image: Image.Image, setting: float) -> tuple[int, np.ndarray]:
        buf = io.BytesIO()
        params = dict(fixed)
        if fmt == "JPEG2000":
            params["quality_layers"] = [setting]
        else:
            params["quality"] = int(setting)
        image.save(buf, format=fmt, **params)
        size = buf.tell()
        buf.seek(0)
        with Image.open(buf) as im:
            return size, np.asarray(im.convert("RGB"))
    return code


def _jxl(image: Image.Image, setting: float) -> tuple[int, np.ndarray]:
    import pillow_jxl  # noqa: F401  (registers the JXL format with Pillow)

    return _pillow("JXL")(image, setting)


def _aecodec(effort: int = 0,
             model: int | None = None) -> Callable[[Image.Image, float], tuple[int, np.ndarray]]:
    def code(image: Image.Image, setting: float) -> tuple[int, np.ndarray]:
        import aecodec

        data = aecodec.encode(image, quality=setting, effort=effort, model=model)
        return len(data), np.asarray(aecodec.decode(data).convert("RGB"))
    return code


def _aecodec_grid64(image: Image.Image, setting: float) -> tuple[int, np.ndarray]:
    """aecodec writing every file on the 64-pixel latent grid, as versions before 0.27 did
    (no ``FLAG_GRID16``: padding latents coded), to measure what the 16-pixel grid saves."""
    from unittest import mock

    from aecodec import api
    from aecodec.models import STRIDE

    with mock.patch.object(api, "latent_grid", lambda width, height: STRIDE):
        return _aecodec()(image, setting)


AECODEC = Codec("aecodec", (10, 25, 40, 55, 70, 85, 95), _aecodec())
#: The same encoder on the 64-pixel latent grid (files as aecodec 0.26 wrote them).
AECODEC_GRID64 = Codec("aecodec (64-pixel grid)", AECODEC.settings, _aecodec_grid64)
#: The same sweep with the encoder refining the latents (``effort=1``/``2``); decoder unchanged.
AECODEC_EFFORT = {f"aecodec-e{e}": Codec(f"aecodec (effort {e})", AECODEC.settings, _aecodec(e))
                  for e in (1, 2)}
#: Every other shipped image model (``aecodec-m4`` …; not the denoiser), to measure a new model
#: against them in one run.
AECODEC_MODELS = {f"aecodec-m{m}": Codec(f"aecodec (model {m})", AECODEC.settings, _aecodec(model=m))
                  for m in sorted(MODELS) if m not in (DEFAULT_MODEL_ID, DENOISE_MODEL_ID)}
CLASSIC = {
    "jpeg": Codec("JPEG", (10, 20, 30, 40, 50, 60, 70, 80, 90, 95), _pillow("JPEG")),
    "webp": Codec("WebP", (5, 15, 30, 50, 70, 85, 97), _pillow("WEBP", method=6)),
    "avif": Codec("AVIF", (15, 30, 45, 60, 75, 92), _pillow("AVIF")),
    "jpeg2000": Codec("JPEG 2000", (160, 80, 40, 20, 12, 6),
                      _pillow("JPEG2000", quality_mode="rates", irreversible=True, mct=1),
                      "compression ratio"),
    "jxl": Codec("JPEG XL", (10, 25, 40, 55, 70, 85, 95), _jxl),
}
ALL = {"aecodec": AECODEC, "aecodec-grid64": AECODEC_GRID64, **AECODEC_EFFORT, **AECODEC_MODELS, **CLASSIC}
