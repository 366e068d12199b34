"""Exact rational evaluation and gradients at S = 30 and 100 (A = 5) beside a bare FLINT solve.

The MDP has small-denominator entries: ``P[s, a, :]`` are integer weights
1..9 over their row sum, rewards are tenths, gamma = 9/10, and the policy is
uniform.  The bare baseline is ``fmpq_mat.solve`` of the prebuilt rational
system ``(I - gamma P_pi) V = r_pi`` (building the matrix is not timed).
Beside it, "two bare solves" times FLINT alone on the two systems an
evaluation with the visitation needs: the same system and its transpose,
both in the integer form FLINT's own row clearing gives (prebuilt, not
timed); FLINT exposes no reusable factorization, so this is the floor of the
"V, Q, A, d" row.  mdptheory's ``evaluate`` returns V as Fractions; Q and A
are built on first access as Fractions over one common denominator (their
numerators one integer matrix product), each reduced when read, so a row
also times reading every entry; the visitation is a second exact solve (with
the transposed integer system).  The exact gradient rows take the tabular
softmax at the uniform exact point ``LogRational(ones)`` (the same policy)
beside one full exact evaluation (V, Q, A and d, as they need).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from mdptheory import MDP, evaluate

from ._common import Row, median_time

__all__ = ["run", "exact_instance"]


def exact_instance(S, A=5, *, seed=0):
    """An exact MDP with small denominators and the uniform exact policy."""
    rng = np.random.default_rng(seed)
    W = rng.integers(1, 10, size=(S, A, S))
    P = np.frompyfunc(Fraction, 2, 1)(W, W.sum(axis=2, keepdims=True))
    r = np.frompyfunc(Fraction, 2, 1)(rng.integers(0, 10, size=(S, A)), 10)
    pi = np.full((S, A), Fraction(1, A), dtype=object)
    return MDP(P, r, Fraction(9, 10)), pi


def run(quick: bool) -> list[Row]:
    from flint import fmpq, fmpq_mat, fmpz_mat

    rows = []
    repeat = 3 if quick else 5
    for S in (30, 100):
        m, pi = exact_instance(S)
        g = m.gamma
        P_pi = np.einsum("sat,sa->st", m.P, pi)
        M = np.eye(S, dtype=object) * Fraction(1) - g * P_pi
        r_pi = (m.r * pi).sum(axis=1)
        Mq = fmpq_mat(S, S, [fmpq(x.numerator, x.denominator) for x in M.ravel()])
        bq = fmpq_mat(S, 1, [fmpq(x.numerator, x.denominator) for x in r_pi])
        t_bare = median_time(lambda: Mq.solve(bq), repeat=repeat)
        # FLINT's row clearing of [M | r_pi], as fmpq_mat.solve does it, and the transpose of that matrix
        lcms = [math.lcm(*(int(q.q) for q in Mq.table()[i]), int(bq[i, 0].q)) for i in range(S)]
        Kz = fmpz_mat([[int(q * lcms[i]) for q in Mq.table()[i]] for i in range(S)])
        Kq, KTq = fmpq_mat(Kz), fmpq_mat(Kz.transpose())
        bz = fmpq_mat(S, 1, [int(bq[i, 0] * lcms[i]) for i in range(S)])
        uz = fmpq_mat(S, 1, [1] * S)  # rho uniform: mu = ones / S
        t_two = median_time(lambda: (Kq.solve(bz), KTq.solve(uz)), repeat=repeat)
        V_ref = [Fraction(int(q.p), int(q.q)) for q in Mq.solve(bq).entries()]
        assert evaluate(m, pi).V.tolist() == V_ref

        def with_qa():
            ev = evaluate(m, pi)
            return ev.Q, ev.A

        def with_all():
            ev = evaluate(m, pi)
            return ev.Q, ev.A, ev.visitation()

        def read_all():
            ev = evaluate(m, pi)
            return [x.denominator for x in ev.Q.flat] + [x.denominator for x in ev.A.flat], ev.visitation()

        from mdptheory.gradients import softmax_gradient_closed_form, value_gradient
        from mdptheory.policies import LogRational, TabularSoftmax

        param, theta = TabularSoftmax(S, 5), LogRational(np.ones((S, 5), dtype=int))
        tag = f"S={S}, A=5"
        anchor = "bare FLINT 7 ms (sympy LUsolve 23 s)" if S == 100 else ""
        t_all = median_time(with_all, repeat=repeat)
        rows += [
            Row(f"bare FLINT fmpq_mat.solve ({tag})", t_bare, anchor=anchor),
            Row(f"  two bare solves: the system and its transpose ({tag})", t_two, "bare FLINT", t_bare,
                note="FLINT alone, integer forms prebuilt: the floor of V, Q, A, d"),
            Row(f"mdptheory.evaluate exact: V ({tag})", median_time(lambda: evaluate(m, pi), repeat=repeat),
                "bare FLINT", t_bare, anchor="target <= 2x bare" if S == 100 else "",
                note="integer K and right-hand side; Fractions checked once"),
            Row(f"mdptheory.evaluate exact: V, Q, A ({tag})", median_time(with_qa, repeat=repeat),
                "bare FLINT", t_bare, note="Q's numerators one integer product (was one gcd per entry: 5.05x)"),
            Row(f"mdptheory.evaluate exact: V, Q, A, d ({tag})", t_all, "bare FLINT", t_bare,
                anchor="target <= 2.5x bare" if S == 100 else "",
                note="d: a second exact solve, with K^T (was 6.00x, then 2.87x at S=100)"),
            Row(f"  the same, every entry of Q and A read ({tag})", median_time(read_all, repeat=repeat),
                "bare FLINT", t_bare, note="each read entry reduced: one gcd of long integers"),
            Row(f"exact value_gradient, tabular softmax ({tag})",
                median_time(lambda: value_gradient(m, param, theta), repeat=repeat),
                "V, Q, A, d", t_all, anchor="target <= 3x one exact evaluation" if S == 100 else "",
                note="evaluation + visitation + vector-Jacobian product over one common denominator"),
            Row(f"exact softmax_gradient_closed_form ({tag})",
                median_time(lambda: softmax_gradient_closed_form(m, param, theta), repeat=repeat),
                "V, Q, A, d", t_all, note="Lemma 10.2: d pi A / (1 - gamma)"),
        ]
    return rows
