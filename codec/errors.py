"""The aecodec exception hierarchy.

Every failure the package reports is an :class:`AecodecError`; callers (and the
command line) can catch that one class. Subclasses say what went wrong::

    AecodecError
    ├── InvalidInputError        the image or option given to encode is unusable
    ├── FormatError              the bytes are not a valid aecodec file
    │   ├── NotAecodecError      wrong signature (a PNG, a JPEG, text …)
    │   ├── TruncatedError       the file ends early
    │   ├── ChecksumError        CRC-32 mismatch: the file was altered
    │   ├── UnsupportedVersionError   unknown major version or flags
    │   └── CorruptStreamError   well-formed container, undecodable content
    ├── ModelMismatchError       the file names a model this version does not ship
    ├── ImageTooLargeError       dimensions beyond the configured limit
    ├── RateTargetError          a size/bpp/PSNR target no quality can meet
    └── WeightsError             shipped weights missing or not matching their sha256
"""

from __future__ import annotations


class AecodecError(Exception):
    """Base class of every error aecodec raises on purpose."""


class InvalidInputError(AecodecError, ValueError):
    """The image or an option passed to the encoder cannot be used."""


class FormatError(AecodecError, ValueError):
    """The data is not a valid aecodec file."""


class NotAecodecError(FormatError):
    """The data does not start with the aecodec signature."""


class TruncatedError(FormatError):
    """The file ends before the structure it declares."""


class ChecksumError(FormatError):
    """The CRC-32 over the file does not match: the file was altered."""


class UnsupportedVersionError(FormatError):
    """The file uses a major version or flags this reader does not know."""


class CorruptStreamError(FormatError):
    """The container is well formed but its content cannot be decoded."""


class ModelMismatchError(AecodecError):
    """The file was made with a model (id, weights digest) this version does not ship."""


class ImageTooLargeError(AecodecError):
    """The image is larger than the configured pixel limit."""


class RateTargetError(AecodecError, ValueError):
    """No quality meets the requested size, bpp or PSNR target."""


class WeightsError(AecodecError):
    """Model weights are missing, unreadable or do not match their recorded sha256."""
