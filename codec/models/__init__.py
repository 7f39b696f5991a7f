"""Models: transforms, the trainable hyperprior, the exact inference model.

Constants here are shared by the API and the models and import no torch.
"""

#: Total downsampling of ``g_a`` then ``h_a``: images are padded to a multiple of it.
STRIDE = 64
#: Downsampling of ``g_a`` alone: ``y`` is H/16 × W/16.
Y_STRIDE = 16
#: The quality scale.
QUALITY_MIN, QUALITY_MAX = 0.0, 100.0
