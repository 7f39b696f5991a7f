"""Run one side of a cross-configuration determinism check in its own process.

    python tests/determinism_worker.py encode IMAGE OUT.aec
    python tests/determinism_worker.py decode IN.aec OUT.npz

The parent sets the configuration through the environment (thread count via
``AECODEC_TEST_THREADS``, instruction set via ``ONEDNN_MAX_CPU_ISA``). ``decode``
saves the exactly decoded latents ŷ, the pixels, and — the negative control —
the raw float32 output of the same hyper-synthesis run as a plain float network.
"""

import os
import sys

import numpy as np
import torch

torch.set_num_threads(int(os.environ.get("AECODEC_TEST_THREADS", "1")))

import aecodec  # noqa: E402
from aecodec import container  # noqa: E402
from aecodec.models.codec_model import LatentStreams  # noqa: E402
from aecodec.models.fixed_point import ACT_BITS, run_float  # noqa: E402
from aecodec.models.loader import load_model  # noqa: E402


def main() -> None:
    mode, src, dst = sys.argv[1:4]
    if mode == "encode":
        open(dst, "wb").write(aecodec.encode(src, quality=float(os.environ.get("Q", "75"))))
        return
    data = open(src, "rb").read()
    c = container.parse(data)
    model = load_model(c.header.model_id)
    t = c.tiles[0]
    y_hat = model.decode_latents(LatentStreams(t.z_shape, t.y_shape, t.z_bytes, t.y_bytes))
    z_sym = model.z_tables.decode(t.z_bytes, model._z_indexes(t.z_shape))
    z_fixed = torch.from_numpy(z_sym)[None] * 2**ACT_BITS + model.z_medians_fixed[None, :, None, None]
    float_hs = run_float(model.hs_layers, z_fixed)
    pixels = np.asarray(aecodec.decode(data))
    np.savez(dst, y_hat=y_hat.numpy(), pixels=pixels, float_hs=float_hs.numpy())


if __name__ == "__main__":
    main()
