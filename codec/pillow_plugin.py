"""Pillow plugin: ``Image.open("x.aec")`` and ``img.save("y.aec", quality=…)``.

Registered when ``aecodec`` is imported, following the pattern of Pillow's own
plugins (an ``_accept`` check on the signature plus ``Image.register_*`` calls).
Save options: ``quality``, ``bpp``, ``size``, ``psnr`` (as :func:`aecodec.encode`).
"""

from __future__ import annotations

from PIL import Image, ImageFile

from .container import SIGNATURE

FORMAT = "AEC"


def _accept(prefix: bytes) -> bool:
    return prefix[:len(SIGNATURE)] == SIGNATURE


class AecImageFile(ImageFile.ImageFile):
    format = FORMAT
    format_description = "aecodec learned image codec"

    def _open(self) -> None:
        from . import api

        data = self.fp.read()
        header = api.read_header(data)
        self._data = data
        self._size = (header.width, header.height)
        alpha = any(tag == "alph" for tag, _ in header.chunks)
        self._mode = ("LA" if alpha else "L") if header.channels == 1 else ("RGBA" if alpha else "RGB")
        self.tile = []

    def load(self):
        if self._data is not None:
            from . import api

            decoded = api.decode(self._data)
            self._data = None
            self.im = decoded.im
            self._mode = decoded.mode
            self.info.update(decoded.info)
            self.readonly = 0
        return super().load()


def _save(im: Image.Image, fp, filename) -> None:
    from . import api

    info = im.encoderinfo
    options = {k: info[k] for k in ("quality", "bpp", "size", "psnr") if info.get(k) is not None}
    fp.write(api.encode(im, **options))


def register() -> None:
    Image.register_open(FORMAT, AecImageFile, _accept)
    Image.register_save(FORMAT, _save)
    Image.register_extension(FORMAT, ".aec")
    Image.register_mime(FORMAT, "image/x-aecodec")
