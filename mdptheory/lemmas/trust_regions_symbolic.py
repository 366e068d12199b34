r"""Symbolic proofs of statement section G (the trajectory KL): G2s.

Each identity is proved for all parameter values of a generic small MDP with
sympy; the scaffolding (generic MDP, proof recording, registration) is in
:mod:`mdptheory.lemmas.framework.symbolic`.
"""

from __future__ import annotations

import numpy as np

from .framework.symbolic import _P_pi, _prove, _reg, _score, _setup
from .framework.convention import checker_convention

__all__ = [
    "trajectory_kl_symbolic",
]


@checker_convention(takes_mdp=False, legacy=("S", "A", "symbolic_P"))
def trajectory_kl_symbolic(S=2, A=2, symbolic_P=True, *, mode=None, variant=None, seed=None, H=2):
    r"""Symbolic proof of Claim 12.5 for horizon 2 (statement G2).

    With :math:`K(\theta') = \mathrm{KL}(\Pr^{\theta}\,\|\,\Pr^{\theta'})
    = \sum_{h<H}\sum_s \Pr^\theta(s_h = s)\sum_a\pi_\theta(a|s)\log\frac{\pi_\theta(a|s)}{\pi_{\theta'}(a|s)}`
    (the transition factors cancel), differentiated symbolically in
    :math:`\theta'` and evaluated at :math:`\theta' = \theta`:
    :math:`\nabla K = 0` and
    :math:`\nabla^2 K = \sum_{h<H}\mathbb{E}_{s_h}\mathbb{E}_{a\sim\pi}[\nabla\log\pi\nabla\log\pi^\top]`,
    the score from :func:`mdptheory.symbolic.symbolic_score`.  Broken variant
    ``"mu_for_states"`` (:math:`\mu` for every :math:`\Pr(s_h = \cdot)`).

    Data flow — left: the gradient and Hessian of the trajectory KL :math:`K(\theta')`,
    differentiated by sympy in fresh symbols :math:`\theta'` and evaluated at :math:`\theta' =
    \theta`; right: :math:`\sum_{h<H}\mathbb E_{s_h}\mathbb E_\pi[\nabla\log\pi\nabla\log\pi^\top]`
    from the propagated state distributions and the symbolic score; shared: the symbolic MDP and
    :math:`\theta`.
    """
    import sympy

    sm, ev, rep = _setup(_G2s, S, A, symbolic_P, variant, seed, mode)
    th = sm.theta
    th2 = np.array([[sympy.Symbol(f"t_{s}_{a}", real=True) for a in range(A)] for s in range(S)], dtype=object)
    pi_t = sm.to_theta(sm.pi)
    Pp = sm.to_theta(_P_pi(sm))
    # state distributions over the horizon under theta
    dist = [np.array(sm.rho, dtype=object)]
    for _ in range(1, H):
        prev = dist[-1]
        dist.append(np.array([sum(prev[s] * Pp[s, t] for s in range(S)) for t in range(S)], dtype=object))
    w_true = [sum(dd[s] for dd in dist) for s in range(S)]
    # the broken variant changes the KL side only; the Fisher side keeps the true distributions
    w = [H * sm.rho[s] for s in range(S)] if variant == "mu_for_states" else w_true
    log_pi2 = [[th2[s, a] - sympy.log(sum(sympy.exp(th2[s, b]) for b in range(A))) for a in range(A)]
               for s in range(S)]
    # the theta'-dependent part of K (the entropy term does not depend on theta')
    K = -sum(w[s] * pi_t[s, a] * log_pi2[s][a] for s in range(S) for a in range(A))
    flat2 = list(th2.reshape(-1))
    at = {th2[s, a]: th[s, a] for s in range(S) for a in range(A)}
    gradK = [sympy.diff(K, x).xreplace(at) for x in flat2]
    sc = sm.to_theta(_score(sm))
    n = S * A
    _prove(rep, "grad KL(Pr^theta_t || Pr^theta) at theta_t = 0", gradK)
    diffs = []
    for k in range(n):
        dk = sympy.diff(K, flat2[k])
        for l in range(k, n):
            hkl = sympy.diff(dk, flat2[l]).xreplace(at)
            fkl = sum(w_true[s] * pi_t[s, a] * sc[s, a, k] * sc[s, a, l] for s in range(S) for a in range(A))
            diffs.append(hkl - fkl)
    _prove(rep, f"Hessian of the KL at theta_t = sum_(h<{H}) E_(s_h) E_pi[score score^T]", diffs)
    return rep


# ----------------------------------------------------------------- registration
_G2s = _reg("G2s", "trajectory_kl_symbolic",
            "H = 2: grad KL(Pr^theta_t || Pr^theta) = 0 and its Hessian = sum_h E[score score^T] at theta_t",
            "AJKS Claim 12.5", trajectory_kl_symbolic, {"mu_for_states": "mu used for every Pr(s_h = .)"})
