"""The registry of frozen model ids.

A released id is immutable: its weights never change and the id is never
reused for other weights. A newly trained model ships under a new id. The
container stores the id and the first 8 bytes of the weights' sha256, so a file
made with other weights is refused rather than mis-decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ModelMismatchError


@dataclass(frozen=True)
class ModelEntry:
    """One shipped model: ``filename`` lives in ``aecodec/weights/``."""

    id: int
    name: str
    filename: str
    sha256: str
    description: str
    #: Pixels the transforms see beyond each tile (:mod:`aecodec.tiling`); 0 = independent tiles.
    tile_margin: int = 0
    #: Trained to drop noise (noisy inputs, clean targets): used by ``encode(denoise=True)``.
    denoise: bool = False

    @property
    def digest(self) -> bytes:
        """The 8-byte weights digest written into every file this model codes."""
        return bytes.fromhex(self.sha256)[:8]


#: Every model this version of aecodec can decode, by id.
MODELS: dict[int, ModelEntry] = {}

#: Ids that were released once and may never be reused (their weights are gone),
#: with the last aecodec version that decodes their files.
RETIRED_IDS: dict[int, str] = {1: "0.1"}

#: The model ``encode`` uses unless told otherwise.
DEFAULT_MODEL_ID = 28

#: The model ``encode(denoise=True)`` uses (``None``: this version ships none).
DENOISE_MODEL_ID: int | None = 3


def entry(model_id: int = DEFAULT_MODEL_ID, digest: bytes | None = None) -> ModelEntry:
    """The registry entry for ``model_id``; ``digest`` (from a file) must match it."""
    found = MODELS.get(model_id)
    if found is None:
        shown = f" (weights digest {digest.hex()})" if digest is not None else ""
        if model_id in RETIRED_IDS:
            raise ModelMismatchError(
                f"file needs model id {model_id}{shown}, which this version of aecodec no longer "
                f"ships (retired; current ids: {sorted(MODELS)}); decode it with aecodec "
                f"{RETIRED_IDS[model_id]}, e.g. pip install 'aecodec=={RETIRED_IDS[model_id]}.*'")
        raise ModelMismatchError(
            f"file needs model id {model_id}{shown}, which this version of aecodec does not "
            f"ship (known ids: {sorted(MODELS)}); decode it with the aecodec version that made it")
    if digest is not None and digest != found.digest:
        raise ModelMismatchError(
            f"file was made with other weights for model id {model_id} (digest {digest.hex()}, "
            f"shipped {found.digest.hex()}); this version cannot decode it")
    return found


def register(entry: ModelEntry) -> None:
    if entry.id in MODELS or entry.id in RETIRED_IDS:
        raise ValueError(f"model id {entry.id} is already taken")
    MODELS[entry.id] = entry


register(ModelEntry(
    id=2,
    name="hp-mean-scale-vr-128-192-b",
    filename="aec_m2.safetensors",
    sha256="9120ffb7a47ef3e82def01a067a768e33531b80947c5ab6da35a38bcd7ca1d79",
    description="Mean-scale hyperprior (N=128, M=192), 6 gain levels; model 1 trained further on "
                "256-px crops; transforms see 64 px across tile borders",
    tile_margin=64,
))

register(ModelEntry(
    id=3,
    name="hp-mean-scale-vr-128-192-b-denoise",
    filename="aec_m3.safetensors",
    sha256="d248c32d66cc9f40fbda2fff0dd6105755b49dab6cba64c80d5ef959647d060e",
    description="Model 2 fine-tuned to de-noise: Gaussian noise σ ≤ 25 on the inputs, clean "
                "targets (encode(denoise=True))",
    tile_margin=64,
    denoise=True,
))


register(ModelEntry(
    id=4,
    name="hp-mean-scale-vr-128-192-c",
    filename="aec_m4.safetensors",
    sha256="fd05d5fb15c260a7e80c62547c2f9ae339c6ff596aed1d10e935d0c77219a8f1",
    description="Mean-scale hyperprior (N=128, M=192), 6 gain levels; model 2 trained 6500 more "
                "steps on 256-px crops (lr 2e-4); transforms see 64 px across tile borders",
    tile_margin=64,
))


register(ModelEntry(
    id=5,
    name="hp-mean-scale-vr-128-192-checkerboard",
    filename="aec_m5.safetensors",
    sha256="ac47b125eb3767593370857ccfee0462343824be9c7f2d398a774fdc62365aeb",
    description="Model 4 with a checkerboard context model (anchors, then non-anchors predicted "
                "from them), trained 8000 more steps on 256-px crops (lr 2e-4); transforms see "
                "64 px across tile borders",
    tile_margin=64,
))


register(ModelEntry(
    id=6,
    name="hp-mean-scale-vr-128-192-checkerboard-4groups",
    filename="aec_m6.safetensors",
    sha256="9817d37593f05dea5e13dec5f1ea99b0070a12267919a81720b1b4d4be338c64",
    description="Model 5 with 4 channel groups in each checkerboard half (each group's "
                "parameters corrected from the groups before it), trained 2750 more steps "
                "on 256-px crops (lr 2e-4); transforms see 64 px across tile borders",
    tile_margin=64,
))


register(ModelEntry(
    id=7,
    name="hp-mean-scale-vr-128-192-checkerboard-4groups-b",
    filename="aec_m7.safetensors",
    sha256="dd071df1a97766ec8eab2294c84346448ebaf045da5adc1cf2d5c708e22d9dc5",
    description="Model 6 trained 9000 more steps on 256-px crops (lr 2e-4, cosine); "
                "4 channel groups per checkerboard half; transforms see 64 px across tile borders",
    tile_margin=64,
))


register(ModelEntry(
    id=8,
    name="hp-mean-scale-vr-128-192-checkerboard-4groups-c",
    filename="aec_m8.safetensors",
    sha256="45c9a094cd57d51d8a3df91f3abc01a8d923a3810b23ff669aa0c232cce94c4f",
    description="Model 7 trained 8400 more steps on 256-px crops (lr 2e-4, cosine); "
                "4 channel groups per checkerboard half; transforms see 64 px across tile borders",
    tile_margin=64,
))


register(ModelEntry(
    id=9,
    name="hp-mean-scale-vr-128-192-checkerboard-4groups-d",
    filename="aec_m9.safetensors",
    sha256="822a75e823039781c15e6d61d9fcc236eaf5d5a778c54d29415eb9ae7d0e3bfa",
    description="Model 8 trained 9400 more steps on 256-px crops (lr 2e-4, cosine), each level's "
                "loss weighted by lambda^-0.3; 4 channel groups per checkerboard half; "
                "transforms see 64 px across tile borders",
    tile_margin=64,
))


register(ModelEntry(
    id=10,
    name="hp-mean-scale-vr-128-192-checkerboard-4groups-e",
    filename="aec_m10.safetensors",
    sha256="7570534797081c8fbb9c88fe8bca3e32881ba9893db1c40f7b8e844fb1165067",
    description="Model 9 trained 8800 more steps on 256-px crops (lr 2e-4, cosine), each level's "
                "loss weighted by lambda^-0.3; 4 channel groups per checkerboard half; "
                "transforms see 64 px across tile borders",
    tile_margin=64,
))


register(ModelEntry(
    id=11,
    name="hp-mean-scale-vr-128-192-checkerboard-4groups-res3",
    filename="aec_m11.safetensors",
    sha256="794ba7add3d5201721acfd63e1f001adfddf4f6ddb0be8b9b2a1678097d7cb4b",
    description="Model 10 with 3 residual bottleneck blocks after each 1/4- and 1/8-size stage of "
                "g_a and g_s (started as the identity), trained 7400 more steps on 256-px crops "
                "(lr 2e-4, cosine), each level's loss weighted by lambda^-0.3; 4 channel groups per "
                "checkerboard half; transforms see 128 px across tile borders",
    tile_margin=128,
))


register(ModelEntry(
    id=12,
    name="hp-mean-scale-vr-128-192-checkerboard-4groups-res3",
    filename="aec_m12.safetensors",
    sha256="f8e6d8fca918f14afa5e172e3077871db1be0dde403a052cd7ce2fa8386c803a",
    description="Model 11 trained 6600 more steps on 256-px crops (lr 2e-4, cosine), each "
                "level's loss weighted by lambda^-0.3; 3 residual bottleneck blocks after each "
                "1/4- and 1/8-size stage of g_a and g_s; 4 channel groups per checkerboard half; "
                "transforms see 128 px across tile borders",
    tile_margin=128,
))


register(ModelEntry(
    id=13,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3",
    filename="aec_m13.safetensors",
    sha256="d1ba3490e8c55dc831612bd0bb55b4f02e05ed4050019801b0006d3cffcfe28a",
    description="Model 12 grown from 192 to 256 latent channels (16 more per channel group; "
                "the grown model started as model 12) and trained 6000 more steps on 256-px "
                "crops (lr 2e-4, cosine), each level's loss weighted by lambda^-0.3; 3 residual "
                "bottleneck blocks after each 1/4- and 1/8-size stage of g_a and g_s; 4 channel "
                "groups per checkerboard half; transforms see 128 px across tile borders",
    tile_margin=128,
))


register(ModelEntry(
    id=14,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3",
    filename="aec_m14.safetensors",
    sha256="efb79c5d378055d088b9d0869ed94a1d3f379186f596bb5dc3b6a584baca54aa",
    description="Model 13 trained 1400 + 5500 more steps on 256-px crops in two decay-only "
                "runs (lr 1e-4, cosine from the peak), each level's loss weighted by "
                "lambda^-0.3, then lambda^-0.2; 3 residual bottleneck blocks after each 1/4- and "
                "1/8-size stage of g_a and g_s; 4 channel groups per checkerboard half; "
                "transforms see 128 px across tile borders",
    tile_margin=128,
))


register(ModelEntry(
    id=15,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3",
    filename="aec_m15.safetensors",
    sha256="4f643cc2a73cb5effd4d62f4fbc72a1ff48ad54dae2ed3a92b4fd1e2268e915a",
    description="Model 14 trained 6500 more steps on 256-px crops downscaled 0.75-1x "
                "in one decay-only run (lr 1e-4, cosine from the peak), each level's loss "
                "weighted by lambda^-0.2, started from model 14's shipped weights with the "
                "factorized prior fitted to its z tables; 3 residual bottleneck blocks after each "
                "1/4- and 1/8-size stage of g_a and g_s; 4 channel groups per checkerboard half; "
                "transforms see 128 px across tile borders",
    tile_margin=128,
))


register(ModelEntry(
    id=16,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3",
    filename="aec_m16.safetensors",
    sha256="4fb9dfa9e27423fbd742350a810281a8925744e9992de063225ea446f905b6f2",
    description="Model 15 trained 5400 more steps on 256-px crops at the photos' own "
                "resolution (no downscale) in one decay-only run (lr 1e-4, cosine from the peak), "
                "each level's loss weighted by lambda^-0.1, started from model 15's shipped weights "
                "and prior; 3 residual bottleneck blocks after each 1/4- and 1/8-size stage of g_a "
                "and g_s; 4 channel groups per checkerboard half; transforms see 128 px across "
                "tile borders",
    tile_margin=128,
))


register(ModelEntry(
    id=17,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3",
    filename="aec_m17.safetensors",
    sha256="dfd7f196e99ea70e2e5b9809a4b225d69abd3008795eeb2919e2e5ff646ab152",
    description="Model 16 trained 6000 more steps on 256-px crops at the photos' own "
                "resolution (no downscale) in one decay-only run (lr 1e-4, cosine from the peak), "
                "every level's loss weighted equally (lambda^0), started from model 16's shipped "
                "weights and prior; 3 residual bottleneck blocks after each 1/4- and 1/8-size stage "
                "of g_a and g_s; 4 channel groups per checkerboard half; transforms see 128 px "
                "across tile borders",
    tile_margin=128,
))


register(ModelEntry(
    id=18,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3-ga2",
    filename="aec_m18.safetensors",
    sha256="2001cd94c735eebc2a6215e7dfec9caf0770b6579bc3283d6fc8100c432c3172",
    description="Model 17 with 2 more residual bottleneck blocks after g_a's 1/2-size stage "
                "(encoder only; they started as the identity), trained 4600 more steps "
                "on 256-px crops at the photos' own resolution in one decay-only run (lr 1e-4, "
                "cosine from the peak), every level's loss weighted equally, started from model "
                "17's shipped weights and prior; 3 residual bottleneck blocks after each 1/4- and "
                "1/8-size stage of g_a and g_s; 4 channel groups per checkerboard half; transforms "
                "see 128 px across tile borders",
    tile_margin=128,
))


register(ModelEntry(
    id=19,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3-ga3",
    filename="aec_m19.safetensors",
    sha256="90f3994082ddf3b10a4f754276250d7456648487066ee4b7af85d6a3fe30d6b4",
    description="Model 18 with a third residual bottleneck block after g_a's 1/2-size stage "
                "(encoder only; it started as the identity), trained 2800 more steps "
                "on 256-px crops at the photos' own resolution in one decay-only run (lr 1e-4, "
                "cosine from the peak), every level's loss weighted equally, started from model "
                "18's shipped weights and prior; 3 residual bottleneck blocks after each 1/4- and "
                "1/8-size stage of g_a and g_s; 4 channel groups per checkerboard half; transforms "
                "see 128 px across tile borders",
    tile_margin=128,
))


def _trained_further(parent: int, steps: int,
                     weighting: str = "every level's loss weighted equally") -> str:
    """Description of a model that is ``parent`` (model 19's architecture) trained further."""
    return (f"Model {parent} trained {steps} more steps on 256-px crops at the photos' own "
            f"resolution in one decay-only run (lr 1e-4, cosine from the peak), {weighting}, "
            f"started from model {parent}'s shipped weights and prior; same "
            "architecture: 3 residual bottleneck blocks after each 1/4- and 1/8-size stage of "
            "g_a and g_s, 3 more after g_a's 1/2-size stage; 4 channel groups per checkerboard "
            "half; transforms see 128 px across tile borders")


register(ModelEntry(
    id=20,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3-ga3-b",
    filename="aec_m20.safetensors",
    sha256="8c68f78bb4e8919ed04025717cdf4821c29906f1eab2eb8a16e073f935c24eb6",
    description=_trained_further(19, 4200),
    tile_margin=128,
))


register(ModelEntry(
    id=21,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3-ga3-c",
    filename="aec_m21.safetensors",
    sha256="3ca9a17daa1a2c8195cd28f665fab527102061ab97cb3399c2fdf18dbee6875f",
    description=_trained_further(20, 3800),
    tile_margin=128,
))


register(ModelEntry(
    id=22,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3-ga3-d",
    filename="aec_m22.safetensors",
    sha256="454313d37c35381c7ab585de2d54d7185d0200717eb2c2bd9cbf02a406488412",
    description=_trained_further(21, 3800, "each level's loss weighted ∝ λ^0.2 (towards high rates)"),
    tile_margin=128,
))


register(ModelEntry(
    id=23,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3-ga3-e",
    filename="aec_m23.safetensors",
    sha256="1f9338704a7514c652c8c0ae9b8e96bb2b7e665582e87f65cd4a15195b9999fd",
    description=_trained_further(22, 3800, "each level's loss weighted ∝ λ^0.4 (towards high rates)"),
    tile_margin=128,
))


register(ModelEntry(
    id=24,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3-ga3-f",
    filename="aec_m24.safetensors",
    sha256="7c742b2b3e8da616dbe9a18ef29240071f10e9200c5a239f938b9fd027a76a70",
    description=_trained_further(23, 6500, "each level's loss weighted ∝ λ^0.5 (towards high rates)"),
    tile_margin=128,
))


register(ModelEntry(
    id=25,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3-ga3-g",
    filename="aec_m25.safetensors",
    sha256="6b166db01eabb147467e1e37cac14d568ba17c4fd0098a5bef5a5d6203bb0618",
    description=_trained_further(24, 10000, "each level's loss weighted ∝ λ^0.6 (towards high rates)"),
    tile_margin=128,
))


register(ModelEntry(
    id=26,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3-ga3-h",
    filename="aec_m26.safetensors",
    sha256="e91258b09d18e33a2bd52096d41696278b5d22df468d3cb68e43f50a8c1b30da",
    description=_trained_further(25, 8000, "each level's loss weighted ∝ λ^0.6 (towards high rates)"),
    tile_margin=128,
))


register(ModelEntry(
    id=27,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3-ga3-h",
    filename="aec_m27.safetensors",
    sha256="a8d3481f76e7aab4791af5553e27c58009d260f9cda75c0fd602baedb0fcad6b",
    description=_trained_further(26, 9000, "each level's loss weighted ∝ λ^0.7 (towards high rates)"),
    tile_margin=128,
))


register(ModelEntry(
    id=28,
    name="hp-mean-scale-vr-128-256-checkerboard-4groups-res3-ga3-h-t128",
    filename="aec_m28.safetensors",
    sha256="4bafe963920dda3c7251ceee2da3085cb24d89e8728c47e5cff11b61d4bff657",
    description="Model 27's weights, unchanged, with the latents' CDF tables refitted "
                "(python -m aecodec.training.tables): 128 scale rows instead of 64, each "
                "predicted scale taking the nearest row, and each row's probabilities from "
                "the symbols model 27 produces on every 4th training photo (held-out tenth "
                "excluded) at qualities 5–95, blended with the row's Gaussian",
    tile_margin=128,
))
