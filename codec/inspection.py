"""Looking inside the autoencoder: the coded latents and where the bits go.

:func:`latents` returns exactly what the encoder codes (both latents, their
symbols and exact entropy parameters) plus the information content of every
symbol, from the same integer CDF tables the coder uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .models.fixed_point import ACT_BITS


@dataclass(frozen=True)
class Latents:
    """The quantized latents of one image, as coded (single tile, C×H×W arrays).

    Attributes:
        y: main latents ŷ (float64, on the 2⁻⁸ grid; ``y_symbols + means``).
        z: hyper-latents ẑ (float64).
        y_symbols, z_symbols: the integers the entropy coder codes.
        means, scales: ŷ's Gaussian parameters from the exact hyper-synthesis.
        scale_indexes: the CDF table row of each ŷ element.
        y_bits, z_bits: information content of each symbol in bits.
        quality: the quality they were coded at; ``size``: (width, height).
    """

    y: np.ndarray
    z: np.ndarray
    y_symbols: np.ndarray
    z_symbols: np.ndarray
    means: np.ndarray
    scales: np.ndarray
    scale_indexes: np.ndarray
    y_bits: np.ndarray
    z_bits: np.ndarray
    quality: float
    size: tuple[int, int]

    @property
    def bpp(self) -> float:
        """Estimated bits per pixel of the two streams (without container bytes)."""
        return float(self.y_bits.sum() + self.z_bits.sum()) / (self.size[0] * self.size[1])

    def vector(self) -> np.ndarray:
        """A fixed-length descriptor: per-channel mean |ŷ| and ŷ std (for similarity search)."""
        return np.concatenate([np.abs(self.y).mean((1, 2)), self.y.std((1, 2))])


def latents_of(model, x, quality: float, size: tuple[int, int]) -> Latents:
    """Code the padded image tensor ``x`` and return its :class:`Latents`."""
    y = model.analyse(x, quality)
    streams = model.code_latents(y)  # the real coding, so shapes and symbols match the file
    z_decoded, y_decoded, params = model.decode_symbols(streams)
    z_symbols, y_symbols = z_decoded[0].cpu().numpy(), y_decoded[0].cpu().numpy()
    idx = params.indexes[0].cpu().numpy()
    means = params.means_fixed[0].cpu().numpy().astype(np.float64) / 2**ACT_BITS
    z_med = model.z_medians_fixed.numpy().astype(np.float64)[:, None, None] / 2**ACT_BITS
    return Latents(
        y=y_symbols + means, z=z_symbols + z_med, y_symbols=y_symbols, z_symbols=z_symbols,
        means=means, scales=params.scales_fixed[0].cpu().numpy().astype(np.float64) / 2**ACT_BITS,
        scale_indexes=idx,
        y_bits=model.y_tables.bits(y_symbols, idx),
        z_bits=model.z_tables.bits(z_symbols, model._z_indexes(tuple(z_symbols.shape))),
        quality=quality, size=size)


def bits_map(lat: Latents) -> np.ndarray:
    """Bits per pixel location (H×W): ŷ and ẑ bits spread over the pixels they cover."""
    w, h = lat.size
    y_cell = lat.y_bits.sum(0)  # bits per 16×16 block
    z_cell = lat.z_bits.sum(0)  # bits per 64×64 block
    per_px = np.kron(y_cell, np.ones((16, 16)))[:h, :w] / 256.0
    return per_px + np.kron(z_cell, np.ones((64, 64)))[:h, :w] / 4096.0


SURPRISE_WINDOW = 3  # cells (48 px): about the smallest region a local anomaly fills


def surprise_cells(lat: Latents, window: int = SURPRISE_WINDOW) -> np.ndarray:
    """Where the entropy model is surprised *for this image*, per 16×16 cell (H/16 × W/16).

    Each ŷ channel's bits are divided by that channel's median bits over the image
    (+0.05 bit, so silent channels do not explode), summed over channels and averaged
    over ``window``×``window`` cells. Normalising per channel discounts what the image
    costs everywhere (texture, a busy channel); averaging over a few cells favours a
    compact costly region over a thin edge. Its maximum is the anomaly peak.
    """
    from scipy.ndimage import uniform_filter

    med = np.median(lat.y_bits, axis=(1, 2), keepdims=True) + 0.05
    rel = (lat.y_bits / med).sum(0)
    return uniform_filter(rel, window, mode="constant") if window > 1 else rel


def report(image: object, quality: float) -> tuple[dict, dict]:
    """Numbers and maps for ``aecodec inspect``: (stats, arrays)."""
    from . import api

    data = api.encode(image, quality=quality)
    original = np.asarray(api.to_pixels(image).colour)
    decoded = np.asarray(api.decode(data).convert("RGB"))
    err = np.abs(decoded.astype(np.float64) - original).mean(2)
    mse = float(np.mean((decoded.astype(np.float64) - original) ** 2))
    lat = api.latents(image, quality=quality)
    bmap = bits_map(lat)
    h, w = original.shape[:2]
    stats = {"width": w, "height": h, "quality": quality, "file_bytes": len(data),
             "bpp": 8 * len(data) / (w * h), "psnr": 10 * np.log10(255**2 / mse) if mse else float("inf"),
             "latent_bpp": lat.bpp, "y_bits": float(lat.y_bits.sum()), "z_bits": float(lat.z_bits.sum()),
             "max_abs_error": int(np.abs(decoded.astype(int) - original).max())}
    return stats, {"original": original, "decoded": decoded, "error": err, "bits": bmap,
                   "surprise": surprise_cells(lat)}


def figure(stats: dict, maps: dict, out) -> None:
    """Write the four-panel inspection figure (original, reconstruction, error, bits)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h, w = maps["original"].shape[:2]
    fig, axes = plt.subplots(2, 2, figsize=(12, 12 * h / w * 0.95 + 1.2))
    panels = [("original", maps["original"], None, None),
              (f"reconstruction: {stats['bpp']:.3f} bpp, {stats['psnr']:.2f} dB", maps["decoded"], None, None),
              ("absolute error (mean over RGB, 0–255)", maps["error"], "magma", "error"),
              (f"bits per pixel location (total {stats['latent_bpp']:.3f} bpp)", maps["bits"], "viridis", "bpp")]
    for ax, (title, img, cmap, label) in zip(axes.flat, panels):
        shown = ax.imshow(img, cmap=cmap)
        ax.set_title(title, fontsize=11)
        ax.axis("off")
        if cmap:
            fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.02, label=label)
    fig.suptitle(f"aecodec inspect — {w}×{h}, quality {stats['quality']:g}, "
                 f"{stats['file_bytes']} bytes", fontsize=13)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
