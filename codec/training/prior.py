"""Warm-start a factorized prior from the integer CDF tables an export ships.

Exports made before ``prior.*`` was written (models 2–14) ship only the prior's
quantized CDFs (``z.*``), not its density parameters. A run started from such
a file used to begin with a fresh prior, whose wide initial density cost
~0.15 bpp more than the exported one on the validation crops and re-learned
only slowly at a decaying learning rate. :func:`fit_prior_to_tables` instead
fits the density so that its probability of every integer symbol matches the
shipped table's (cross-entropy, Adam): the run starts where the export was.
"""

from __future__ import annotations

import torch

#: The precision of the shipped CDFs (CompressAI's ``entropy_coder_precision``).
CDF_PRECISION = 16


def table_pmfs(cdf: torch.Tensor, cdf_length: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each channel's symbol probabilities ``[C, L]`` (zero-padded) and a mask of
    the valid entries, from quantized CDFs (the last bin, the tail, left out)."""
    pmf = torch.diff(cdf.double(), dim=1) / 2**CDF_PRECISION
    symbols = cdf_length.long() - 2  # pmf entries before the tail bin
    valid = torch.arange(pmf.shape[1])[None, :] < symbols[:, None]
    return pmf * valid, valid


@torch.no_grad()
def _place_quantiles(bottleneck, medians: torch.Tensor, offset: torch.Tensor,
                     symbols: torch.Tensor) -> None:
    bottleneck.quantiles[:, 0, 0] = medians + offset
    bottleneck.quantiles[:, 0, 1] = medians
    bottleneck.quantiles[:, 0, 2] = medians + offset + symbols - 1


def fit_prior_to_tables(bottleneck, cdf: torch.Tensor, cdf_length: torch.Tensor,
                        offset: torch.Tensor, medians_fixed: torch.Tensor, act_bits: int,
                        steps: int = 1500, lr: float = 0.01) -> float:
    """Fit ``bottleneck`` (a CompressAI ``EntropyBottleneck``) to shipped z tables.

    Symbol ``s`` of channel ``c`` is the value ``median_c + offset_c + k`` for
    table entry ``k``. Returns the remaining mismatch: the mean over channels of
    the cross-entropy minus the table's own entropy (KL, bits per symbol).
    """
    pmf, valid = table_pmfs(cdf, cdf_length)
    medians = medians_fixed.double() / 2**act_bits
    values = medians[:, None] + offset.double()[:, None] + torch.arange(pmf.shape[1])[None, :]
    _place_quantiles(bottleneck, medians.float(), offset.float(), valid.sum(1).float())
    inputs = values.float()[:, None, :]  # [C, 1, L]: the layout of EntropyBottleneck._likelihood
    weights = pmf.float()[:, None, :]
    density = [p for n, p in bottleneck.named_parameters() if n != "quantiles"]
    opt = torch.optim.Adam(density, lr=lr)

    def cross_entropy() -> torch.Tensor:
        likelihood, _, _ = bottleneck._likelihood(inputs)
        return -(weights * torch.log2(likelihood.clamp_min(1e-9))).sum(-1).mean()

    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = cross_entropy()
        loss.backward()
        opt.step()
    entropy = -(pmf * torch.log2(pmf.clamp_min(1e-300))).sum(1).mean()
    with torch.no_grad():
        return float(cross_entropy()) - float(entropy)
