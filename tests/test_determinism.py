"""Files decode identically across thread counts and instruction sets (DESIGN §2).

Encoder and decoder run in separate processes under different configurations.
The decoded latents must be bit-identical, the pixels within 50 dB PSNR of each
other; the negative control shows that the same hyper-synthesis run as a plain
float network does *not* give identical outputs under the same pairing.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

WORKER = Path(__file__).with_name("determinism_worker.py")
#: An instruction set below this CPU's best, so that capping oneDNN at it changes the
#: float arithmetic (AVX2 under AVX-512; SSE4.1 on a CPU whose best is AVX2).
LOWER_ISA = "AVX2" if torch.backends.cpu.get_cpu_capability().startswith("AVX512") else "SSE41"
DEFAULT = {"threads": "2", "isa": None}
LOWER = {"threads": "1", "isa": LOWER_ISA}


def run(mode, src, dst, cfg):
    env = dict(os.environ, AECODEC_TEST_THREADS=cfg["threads"])
    env.pop("ONEDNN_MAX_CPU_ISA", None)
    if cfg["isa"]:
        env["ONEDNN_MAX_CPU_ISA"] = cfg["isa"]
    subprocess.run([sys.executable, str(WORKER), mode, str(src), str(dst)], env=env, check=True,
                   timeout=300)


def psnr(a, b):
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return np.inf if mse == 0 else 10 * np.log10(255**2 / mse)


def check_pair(tmp_path, image, enc_cfg, dec_a, dec_b):
    f = tmp_path / "x.aec"
    run("encode", image, f, enc_cfg)
    run("decode", f, tmp_path / "a.npz", dec_a)
    run("decode", f, tmp_path / "b.npz", dec_b)
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    assert np.array_equal(a["y_hat"], b["y_hat"]), "decoded latents differ across configurations"
    assert psnr(a["pixels"], b["pixels"]) >= 50
    return a, b


def test_encoded_under_a_lower_isa_decoded_under_default(tmp_path, kodak_dir):
    a, b = check_pair(tmp_path, kodak_dir / "kodim04.png", LOWER, LOWER, DEFAULT)
    # Negative control: the plain float hyper-decoder does not agree bit for bit.
    assert not np.array_equal(a["float_hs"], b["float_hs"]), \
        "float hyper-decoder agreed: the pairing does not exercise different arithmetic"


@pytest.mark.slow
@pytest.mark.parametrize("enc", [DEFAULT, LOWER, {"threads": "1", "isa": None},
                                 {"threads": "2", "isa": LOWER_ISA}])
@pytest.mark.parametrize("image", ["kodim01.png", "kodim20.png"])
def test_full_matrix(tmp_path, kodak_dir, enc, image):
    a, b = check_pair(tmp_path, kodak_dir / image, enc, {"threads": "1", "isa": None},
                      {"threads": "2", "isa": LOWER_ISA})
    c = np.load(tmp_path / "a.npz")
    assert np.array_equal(a["y_hat"], c["y_hat"])
