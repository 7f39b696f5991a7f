"""aecodec: a learned image codec.

An autoencoder is the codec: its encoder compresses, its decoder decompresses,
and the quantized latents are entropy-coded into a versioned, checksummed
container (``docs/container.md``).

>>> import aecodec
>>> data = aecodec.encode("examples/astronaut.png", quality=75)   # bytes
>>> image = aecodec.decode(data)                                   # PIL image
>>> aecodec.read_header(data).bpp                                  # doctest: +SKIP
"""

import warnings

# compressai (imported lazily with the models) uses torch.jit.script at import time.
warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated", category=FutureWarning)

from .api import (
    DEFAULT_QUALITY, DEFAULT_TILE_SIZE, decode, decode_file, encode, encode_file, image_bytes,
    latents, read_header,
)
from .container import DEFAULT_MAX_PIXELS, Header
from .errors import (
    AecodecError, ChecksumError, CorruptStreamError, FormatError, ImageTooLargeError,
    InvalidInputError, ModelMismatchError, NotAecodecError, RateTargetError, TruncatedError,
    UnsupportedVersionError, WeightsError,
)
from .models.registry import DEFAULT_MODEL_ID, MODELS
from .refine import EFFORT_LEVELS

from .pillow_plugin import register as _register_pillow_plugin

_register_pillow_plugin()

__version__ = "0.27.1"

__all__ = [
    "encode", "decode", "encode_file", "decode_file", "read_header", "latents", "image_bytes", "Header",
    "DEFAULT_QUALITY", "DEFAULT_TILE_SIZE", "DEFAULT_MAX_PIXELS", "DEFAULT_MODEL_ID", "MODELS",
    "EFFORT_LEVELS",
    "AecodecError", "FormatError", "NotAecodecError", "TruncatedError", "ChecksumError",
    "UnsupportedVersionError", "CorruptStreamError", "ModelMismatchError", "ImageTooLargeError",
    "InvalidInputError", "RateTargetError", "WeightsError",
]
