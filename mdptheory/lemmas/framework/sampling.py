r"""Statistics of the Monte-Carlo checks: simultaneous confidence intervals for a sampled gradient.

The Monte-Carlo checkers (statement B1mc–B3mc, in
:mod:`mdptheory.lemmas.policy_gradients`) sample :math:`N` trajectories of
horizon :math:`T` with a fixed seed, form the Monte-Carlo mean of an estimator
and a normal confidence interval :math:`\bar g_i \pm z\,\hat\sigma_i/\sqrt N`
per component, with :math:`z` Bonferroni-corrected over the :math:`n`
components so that all intervals hold simultaneously with probability
:math:`1-\alpha`, :math:`\alpha = 10^{-4}` (asymptotically, by the central
limit theorem), and compare with the exact :math:`\nabla V_T(\mu)`.

**Statistical verdicts.**  VERIFIED when the exact value lies in every
interval; FALSIFIED when it lies outside one.  A correct estimator is
FALSIFIED with probability at most about :math:`\alpha = 10^{-4}` per case
(the false-alarm probability); the seed is fixed, so each report is
deterministic and reproducible from its witness.  A biased estimator is
FALSIFIED once its bias exceeds about :math:`z\hat\sigma/\sqrt N`.  An
interval of width zero (a component that is exactly zero on every sample)
is widened by a rounding allowance.
"""

from __future__ import annotations

import numpy as np

from ...estimators import mc_estimate
from .report import FALSIFIED, VERIFIED

__all__ = [
    "MC_CONFIDENCE",
    "_ci_verdict",
]


#: Simultaneous coverage of the Bonferroni-corrected intervals (false-alarm probability 1e-4 per case).
MC_CONFIDENCE = 1 - 1e-4


def _ci_verdict(rep, part, samples, exact_grad, m):
    est = mc_estimate(samples, confidence=MC_CONFIDENCE, bonferroni=True)
    slack = 64 * float(np.finfo(float).eps) * (1.0 + float(np.max(np.abs(samples))) if samples.size else 1.0) * \
        (1.0 / (1.0 - float(m.gamma)))
    inside = est.contains(exact_grad, atol=slack)
    z = est.z_scores(exact_grad)
    worst = float(np.max(np.abs(z))) if z.size else 0.0
    rep.claim(part, VERIFIED if inside.all() else FALSIFIED,
              f"exact value {'inside' if inside.all() else 'outside'} the Bonferroni-corrected "
              f"{100 * MC_CONFIDENCE:.2f}% intervals (z = {est.z:.3f}); false-alarm probability ~1e-4",
              worst_abs_z=worst, n=est.n)
    rep.residual = float(np.max(np.abs(est.mean - exact_grad))) if est.mean.size else 0.0
    rep.tolerance = float(np.max(est.z * est.stderr)) if est.mean.size else 0.0
    rep.tolerance_rule = (f"z*stderr per component, z = {est.z:.4f} (two-sided, alpha = 1e-4 split over "
                          f"{est.mean.size} components), plus a rounding allowance {slack:.2g}")
    return est, worst
