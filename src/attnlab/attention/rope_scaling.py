"""RoPE beyond the trained context: position interpolation, NTK-aware scaling and YaRN.

A model trained with RoPE on sequences of length L sees, at positions beyond L, rotation angles it never
saw. Each method changes the frequencies :math:`\\theta_i = b^{-2i/d}` (i = 0 .. d/2 - 1) so that a
context ``s`` times longer maps onto angles the model knows:

* **linear** (position interpolation; Chen et al. 2023, "Extending Context Window of Large Language
  Models via Positional Interpolation"): every position is divided by s, :math:`\\theta_i' = \\theta_i / s`.
* **ntk** (NTK-aware scaling; bloc97 2023, as written in Peng et al. 2023, section 3.1): the base grows,
  :math:`b' = b \\cdot s^{d/(d-2)}`, so the lowest frequency is interpolated by s while the highest
  ones barely change.
* **yarn** (Peng et al. 2023, "YaRN: Efficient Context Window Extension of Large Language Models",
  eq. 17-20): "NTK-by-parts" interpolation plus an attention temperature. With the wavelength
  :math:`\\lambda_i = 2\\pi / \\theta_i` and :math:`r_i = L / \\lambda_i` (turns per trained context),

  .. math::
      \\gamma(r) = \\begin{cases} 0 & r < \\alpha \\\\ 1 & r > \\beta \\\\
      \\frac{r - \\alpha}{\\beta - \\alpha} & \\text{otherwise} \\end{cases},\\qquad
      \\theta_i' = (1 - \\gamma(r_i)) \\frac{\\theta_i}{s} + \\gamma(r_i)\\, \\theta_i

  (α = 1, β = 32, the paper's values for Llama), and the logits are divided by a temperature t with
  :math:`\\sqrt{1/t} = 0.1 \\ln s + 1` (eq. 22): q and k are both multiplied by that factor, which here
  multiplies cos and sin (as in Hugging Face's ``attention_factor``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["ROPE_SCALINGS", "RopeScaling", "rotary_inv_freq"]

ROPE_SCALINGS = ("linear", "ntk", "yarn")


def rotary_inv_freq(dim: int, base: float, device: torch.device | None = None) -> Tensor:
    """The unscaled frequencies :math:`\\theta_i = b^{-2i/d}`, (dim/2,) float32."""
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32, device=device) / dim))


@dataclass(frozen=True)
class RopeScaling:
    """One RoPE scaling: ``kind`` ("linear", "ntk" or "yarn"), factor s >= 1, YaRN's trained length L and
    its ramp bounds α, β. Validated at construction; errors name the config fields."""

    kind: str  # linear, ntk or yarn
    factor: float  # s, the context extension factor
    original_len: int | None = None  # L, the trained context (YaRN only)
    alpha: float = 1.0  # YaRN: dims turning fewer than α times in L are interpolated fully
    beta: float = 32.0  # YaRN: dims turning more than β times in L are left alone

    def __post_init__(self) -> None:
        if self.kind not in ROPE_SCALINGS:
            raise ValueError(f"rotary_scaling: expected None or one of {list(ROPE_SCALINGS)}, got {self.kind!r}")
        f = self.factor
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not f >= 1.0:
            raise ValueError(f"rotary_factor: expected a float >= 1 (the context extension), got {f!r}")
        n = self.original_len
        if self.kind == "yarn":
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"rotary_original_len: rotary_scaling='yarn' needs the trained context length "
                                 f"(a positive int), got {n!r}")
        elif n is not None:
            raise ValueError(f"rotary_original_len: applies to rotary_scaling='yarn' only, got {n!r} with "
                             f"rotary_scaling={self.kind!r}; leave it None")
        if not 0 < self.alpha < self.beta:
            raise ValueError(f"alpha, beta: expected 0 < alpha < beta, got {self.alpha}, {self.beta}")

    def inv_freq(self, dim: int, base: float, device: torch.device | None = None) -> Tensor:
        """The scaled frequencies :math:`\\theta_i'`, (dim/2,) float32."""
        s = float(self.factor)
        if self.kind == "ntk":
            return rotary_inv_freq(dim, base * s ** (dim / (dim - 2)), device)
        theta = rotary_inv_freq(dim, base, device)
        if self.kind == "linear":
            return theta / s
        r = self.original_len * theta / (2 * math.pi)  # L / λ_i
        gamma = ((r - self.alpha) / (self.beta - self.alpha)).clamp(0.0, 1.0)
        return (1 - gamma) * theta / s + gamma * theta

    @property
    def attention_factor(self) -> float:
        """The factor on q and k: YaRN's :math:`\\sqrt{1/t} = 0.1 \\ln s + 1`; 1 for the others."""
        return 0.1 * math.log(self.factor) + 1.0 if self.kind == "yarn" else 1.0
