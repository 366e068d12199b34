"""Generate the notebooks of ``notebooks/`` from the cell sources below.

Usage::

    python notebooks/_build.py              # write every notebook (no outputs)
    python notebooks/_build.py --execute    # also run each one (small mode) to check it
    python notebooks/_build.py 01 04        # only the notebooks whose names start so

The notebooks are stored without outputs; open them in Jupyter and run them,
or let ``tests/test_notebooks.py`` execute them with
``MDPTHEORY_NOTEBOOK_SMALL=1`` (reduced sizes and iteration counts).
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''\
import os
SMALL = os.environ.get("MDPTHEORY_NOTEBOOK_SMALL") == "1"   # reduced sizes for the test suite

import numpy as np
import matplotlib.pyplot as plt
from fractions import Fraction

import mdptheory as mt
from mdptheory import lemmas

reports = lemmas.ReportCollection(title="this notebook's checks")   # every report, shown as one table
'''

SUMMARY = '''\
print(reports.summary())
reports.raise_if_falsified()   # a FALSIFIED statement fails the notebook
reports
'''


NOTEBOOKS = {}


def md(text):
    return new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(text):
    text = textwrap.dedent(text).strip("\n")
    if "reports.add(" in text:
        # a cell that checks statements ends by showing the reports it added, as one table
        text = text.rstrip().rstrip(";") + "\nreports.latest()"
    return new_code_cell(text)


def notebook(title, intro, cells):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [md(f"# {title}\n\n" + textwrap.dedent(intro).strip("\n")), code(SETUP), *cells,
                md("## Verdicts\n\nEvery check run above, with its verdict; none may be FALSIFIED."),
                code(SUMMARY)]
    return nb


# ---------------------------------------------------------------------------
# 01: policy gradients (AJKS Ch. 9)
# ---------------------------------------------------------------------------

NB01 = notebook(
    "Policy gradients (AJKS Ch. 9)",
    r"""
    The policy gradient theorem (AJKS Thm 9.4) gives $\nabla_\theta V^{\pi_\theta}(\mu)$ in several forms:

    $$\nabla V(\mu) = \frac{1}{1-\gamma}\,\mathbb E_{s\sim d_\mu^\pi}\mathbb E_{a\sim\pi}\big[Q^\pi(s,a)\nabla\log\pi(a|s)\big]
      = \frac{1}{1-\gamma}\,\mathbb E_{s\sim d_\mu^\pi}\mathbb E_{a\sim\pi}\big[A^\pi(s,a)\nabla\log\pi(a|s)\big]
      = \lim_{T\to\infty}\mathbb E\Big[R_T\sum_{t<T}\nabla\log\pi(a_t|s_t)\Big].$$

    This notebook computes each form independently on a Garnet MDP and compares them with the derivative
    of the Bellman linear system (implicit differentiation), looks at the variance of sampled REINFORCE
    with and without a baseline (Lemmas 9.7, 9.9), and draws the non-concave value landscape of the tree
    MDP of Lemma 9.5.
    """,
    [
        md(r"""
        ## Three gradient forms on a Garnet MDP

        `value_gradient` differentiates $V = (I-\gamma P^\pi)^{-1} r^\pi$ directly; `pg_q_form` and
        `pg_advantage_form` build the expectations over $d_\mu^\pi$ and $\pi$ from an exact evaluation
        and the score $\nabla\log\pi$. REINFORCE is an infinite sum: its horizon-$T$ truncation has the
        exact expectation $\nabla V_T(\mu)$ (`pg_reinforce_truncated`, computed by a forward recursion),
        which tends to $\nabla V(\mu)$ as $T\to\infty$.
        """),
        code('''\
        from mdptheory import families, gradients, trajectories
        from mdptheory.policies import TabularSoftmax, LogRational

        S, A = (5, 3) if SMALL else (8, 3)
        m = families.garnet(S, A, 2, gamma=0.9, seed=1)
        param = TabularSoftmax(S, A)
        theta = np.random.default_rng(0).normal(size=param.n_params)

        g_impl = gradients.value_gradient(m, param, theta)
        g_q = gradients.pg_q_form(m, param, theta)
        g_adv = gradients.pg_advantage_form(m, param, theta)
        tol = gradients.gradient_float_tolerance(m, n_params=param.n_params)
        print("max |implicit - Q form|         =", np.max(np.abs(g_impl - g_q)))
        print("max |implicit - advantage form| =", np.max(np.abs(g_impl - g_adv)))
        print("tolerance from the conditioning  =", tol)

        horizons = np.array([2, 4, 8, 16, 32, 64] if SMALL else [2, 4, 8, 16, 32, 64, 96, 128])
        err_reinforce = []
        for T in horizons:
            g_T = trajectories.pg_reinforce_truncated(m, param, theta, int(T), estimator="total")
            err_reinforce.append(np.max(np.abs(g_T - g_impl)))
        err_reinforce = np.array(err_reinforce)
        '''),
        code('''\
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        idx = np.arange(param.n_params)
        axes[0].plot(idx, g_impl, "o", ms=9, mfc="none", label="implicit differentiation")
        axes[0].plot(idx, g_q, "x", label="Q form")
        axes[0].plot(idx, g_adv, "+", ms=10, label="advantage form")
        axes[0].set_xlabel(r"parameter index $(s, a) \\mapsto sA + a$")
        axes[0].set_ylabel(r"$\\partial V(\\mu) / \\partial\\theta_{s,a}$")
        axes[0].set_title("Three exact forms of the gradient")
        axes[0].legend()
        axes[1].semilogy(horizons, err_reinforce, "o-", label=r"$\\|\\mathbb{E}[\\mathrm{REINFORCE}_T] - \\nabla V\\|_\\infty$")
        axes[1].semilogy(horizons, err_reinforce[0] * m.gamma ** (horizons - horizons[0]), "--",
                         label=r"slope $\\gamma^T$ (reference)")
        axes[1].set_xlabel("truncation horizon $T$")
        axes[1].set_ylabel("error of the truncated REINFORCE expectation")
        axes[1].set_title("REINFORCE truncated at horizon $T$")
        axes[1].legend()
        fig.tight_layout()
        plt.show()
        '''),
        md(r"""
        The checkers repeat these comparisons with tolerances derived from the conditioning (float mode),
        and with no tolerance at all at a rational softmax point $\theta = \log q$ on an exact MDP, where
        every quantity is a rational number. For REINFORCE the checker enumerates every trajectory of the
        horizon-$T$ truncation.
        """),
        code('''\
        reports.add(lemmas.policy_gradient_theorem(m, "softmax", theta, T=3))
        m_exact = families.garnet(3, 2, 2, gamma=Fraction(9, 10), seed=2, exact=True)
        q = LogRational([[1, 2], [3, 1], [1, 1]])
        reports.add(lemmas.policy_gradient_theorem(m_exact, "softmax", q, T=3, mode="exact"))
        reports.add(lemmas.softmax_gradient(m_exact, "softmax", q, mode="exact"))
        reports.add(lemmas.reinforce_reward_to_go(m_exact, "softmax", q, T=3, mode="exact"))
        reports.add(lemmas.baselines(m_exact, "softmax", q, b=[Fraction(1, 2), Fraction(-3), Fraction(7, 5)], T=3, mode="exact"));
        '''),
        md(r"""
        ## REINFORCE variance with and without a baseline

        Sampled estimators of $\nabla V_T(\mu)$ (horizon $T$): the total-return estimator
        $R_T\sum_t\nabla\log\pi(a_t|s_t)$, the reward-to-go estimator (Lemma 9.7), and reward-to-go
        minus the baseline $\gamma^t V_{T-t}(s_t)$ (Lemma 9.9: unbiased for any state-dependent baseline).
        All are drawn from the same trajectories; the exact $\nabla V_T$ is the reference.
        """),
        code('''\
        from mdptheory import estimators

        n_traj, T_mc = (1000, 20) if SMALL else (10000, 40)
        g_T = trajectories.truncated_value_gradient(m, param, theta, T_mc)
        traj = estimators.sample_trajectories(m, param.probs(theta), n=n_traj, T=T_mc, seed=3)
        samples = {
            name: estimators.reinforce_samples(m, param, theta, n=n_traj, T=T_mc, estimator=name, trajectories=traj)[0]
            for name in ("total", "reward_to_go")
        }
        samples["reward_to_go - baseline"] = estimators.reinforce_samples(
            m, param, theta, n=n_traj, T=T_mc, estimator="baseline", baseline="value", trajectories=traj)[0]
        for name, x in samples.items():
            est = estimators.mc_estimate(x, confidence=0.99)
            inside = np.all((est.low <= g_T) & (g_T <= est.high))
            print(f"{name:24s} total variance {est.variance.sum():9.4f}   exact grad V_T inside the 99% CIs: {inside}")

        red = estimators.baseline_variance_reduction(m, param, theta, n=n_traj, T=T_mc, seed=3)
        print("variance ratio baseline / reward-to-go (total):", red["total_ratio"])
        '''),
        code('''\
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        width = 0.27
        for k, (name, x) in enumerate(samples.items()):
            axes[0].bar(idx + (k - 1) * width, x.var(axis=0, ddof=1), width, label=name)
        axes[0].set_yscale("log")
        axes[0].set_xlabel("parameter index")
        axes[0].set_ylabel("per-trajectory variance")
        axes[0].set_title(f"Variance of REINFORCE estimators ($T$ = {T_mc}, {n_traj} trajectories)")
        axes[0].legend()
        for name, x in samples.items():
            running = np.cumsum(x, axis=0) / np.arange(1, n_traj + 1)[:, None]
            axes[1].loglog(np.arange(1, n_traj + 1), np.max(np.abs(running - g_T), axis=1), label=name)
        axes[1].set_xlabel("number of trajectories $n$")
        axes[1].set_ylabel(r"$\\|\\hat g_n - \\nabla V_T\\|_\\infty$")
        axes[1].set_title("Running Monte-Carlo error")
        axes[1].legend()
        fig.tight_layout()
        plt.show()
        '''),
        code('''\
        n_check = 4000 if SMALL else 20000
        reports.add(lemmas.reinforce_monte_carlo(m_exact.to_float(), "softmax", np.log([1, 2, 3, 1, 1, 1.0]), T=3, n=n_check, seed=0))
        reports.add(lemmas.baseline_monte_carlo(m_exact.to_float(), "softmax", np.log([1, 2, 3, 1, 1, 1.0]), T=3, n=n_check, seed=0));
        '''),
        md(r"""
        ## The softmax objective is not concave (Lemma 9.5)

        On the deterministic tree MDP $V^\pi(s_1) = \gamma\,\pi(a_2|s_1)\,\pi(a_1|s_2)\,r$. Fix
        $\theta_{s_1,a_1} = \theta_{s_2,a_2} = 0$ and vary $x = \theta_{s_1,a_2}$, $y = \theta_{s_2,a_1}$:
        the witnesses $\theta^{(1)} = (0, \ln 3, \ln 3, 0)$, $\theta^{(2)} = -\theta^{(1)}$ and their
        midpoint $0$ all lie in this plane, and $V(\theta^{(1)}) + V(\theta^{(2)}) > 2V(0)$.
        Every value of the heat map below is an exact policy evaluation.
        """),
        code('''\
        tree = families.nonconcave_tree(exact=False)
        tree_param = TabularSoftmax(tree.n_states, tree.n_actions)
        n_grid = 41 if SMALL else 121
        xs = np.linspace(-3, 3, n_grid)
        X, Y = np.meshgrid(xs, xs)
        thetas = np.zeros((X.size, tree_param.n_params))
        thetas[:, 1], thetas[:, 2] = X.ravel(), Y.ravel()      # theta_{s1,a2}, theta_{s2,a1}
        batch = mt.evaluate_policies(tree, [tree_param.probs(t) for t in thetas])
        Vgrid = np.asarray(batch.value(), dtype=float).reshape(X.shape)

        witness = {r"$\\theta^{(1)}$": (np.log(3), np.log(3)), r"$\\theta^{(2)}$": (-np.log(3), -np.log(3)),
                   "midpoint": (0.0, 0.0)}
        fig, ax = plt.subplots(figsize=(6.5, 5.2))
        im = ax.pcolormesh(X, Y, Vgrid, shading="auto", cmap="viridis")
        fig.colorbar(im, ax=ax, label=r"$V^{\\pi_\\theta}(s_1)$")
        ax.contour(X, Y, Vgrid, levels=12, colors="white", linewidths=0.5)
        for (label, (x, y)), marker in zip(witness.items(), "o^s"):
            v = mt.evaluate(tree, tree_param.probs(np.array([0, x, y, 0, 0, 0, 0, 0, 0, 0.0]))).value()
            ax.plot(x, y, marker, color="red", ms=9, label=f"{label}: V = {float(v):.4f}")
        ax.plot([-np.log(3), np.log(3)], [-np.log(3), np.log(3)], "r--", lw=1)
        ax.set_xlabel(r"$\\theta_{s_1,a_2}$")
        ax.set_ylabel(r"$\\theta_{s_2,a_1}$")
        ax.set_title("Tree MDP: value over two softmax coordinates")
        ax.legend(loc="lower right", fontsize=8)
        plt.show()
        '''),
        code('''\
        reports.add(lemmas.nonconcavity_tree())
        reports.add(lemmas.bandit_nonconcavity());
        '''),
    ],
)

NOTEBOOKS["01_policy_gradients"] = NB01



# ---------------------------------------------------------------------------
# 02: global optimality and NPG (AJKS Ch. 10)
# ---------------------------------------------------------------------------

NOTEBOOKS["02_global_optimality_npg"] = notebook(
    "Global optimality and the natural policy gradient (AJKS Ch. 10)",
    r"""
    Gradient ascent on a softmax policy converges to a global optimum (Thm 10.3), but can be very slow:
    on the chain of Prop. 10.1 the gradient at a uniform-ish start is exponentially small in the horizon.
    This notebook draws that chain's gradient norm in exact and certified ball arithmetic, then runs
    softmax gradient ascent, log-barrier gradient ascent (Thm 10.4) and the natural policy gradient
    (Thm 10.7) on the same MDP with the theoretical bounds drawn over the runs.
    """,
    [
        md(r"""
        ## The vanishing-gradient chain (Prop. 10.1)

        States $s_0,\dots,s_{H+1}$, $\gamma = H/(H+1)$, four actions, only $a_1$ moves right, the reward
        sits at $s_{H+1}$. Under the direct parameterisation with $\pi(a_1|s) = 1/5 < 1/4$ everywhere,
        $\|\nabla_\theta V(s_0)\|_2 \le (1/3)^{H/4}$ — for $H \ge 562$ that is the proposition's stated
        range, for smaller $H$ an illustration. The norms are far below the float64 range, so
        `chain_gradient_norm` returns an exact rational squared norm (small $H$) or a certified arb
        enclosure; we plot $\log_{10}$ of the enclosure's midpoint.
        """),
        code(r'''
        from flint import arb
        from mdptheory import derivatives, families
        from mdptheory.policies import Direct

        Hs = [4, 8, 16, 32, 64, 128, 256, 600] if SMALL else [4, 8, 16, 32, 64, 128, 256, 400, 600, 800, 1000]
        log10 = lambda x: float((x.log() / arb(10).log()).mid())
        rows = []
        for H in Hs:
            res = derivatives.chain_gradient_norm(H, "1/5", prec=None if H <= 64 else 256)
            rows.append((H, res.mode, log10(res.norm), log10(res.bound), res.below_bound, res.in_stated_range))
            print(f"H = {H:5d} ({res.mode:5s}): log10 ||grad|| = {rows[-1][2]:9.2f}   log10 (1/3)^(H/4) = {rows[-1][3]:8.2f}"
                  f"   below: {res.below_bound}   in the stated range: {res.in_stated_range}")

        # suboptimality at the same policy, by exact policy evaluation, against (H+1)/8 - (H+1)^2/3^H
        H_gap = list(range(4, 25 if SMALL else 41, 2))
        gaps, lower = [], []
        for H in H_gap:
            chain = families.vanishing_gradient_chain(H)
            pi = Direct(H + 2, 4).probs(np.full((H + 2) * 3, Fraction(1, 5), dtype=object))
            v = mt.evaluate(chain, pi).value()
            v_star = chain.gamma ** (H + 1) / (1 - chain.gamma)
            gaps.append(v_star - v)
            lower.append(Fraction(H + 1, 8) - Fraction((H + 1) ** 2, 3 ** H))
        '''),
        code(r'''
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        H_arr = np.array([r[0] for r in rows])
        axes[0].plot(H_arr, [r[2] for r in rows], "o-", label=r"$\log_{10}\|\nabla_\theta V(s_0)\|_2$ (exact / arb)")
        axes[0].plot(H_arr, [r[3] for r in rows], "--", label=r"$\log_{10}(1/3)^{H/4}$")
        axes[0].axvspan(562, max(H_arr.max(), 600), color="grey", alpha=0.2, label=r"stated range $H \geq 562$")
        axes[0].set_xlabel("horizon $H$")
        axes[0].set_ylabel(r"$\log_{10}$ of the gradient norm")
        axes[0].set_title(r"Chain MDP at $\pi(a_1|s) = 1/5$")
        axes[0].legend(fontsize=8)
        axes[1].plot(H_gap, [float(g) for g in gaps], "o-", label=r"$V^*(s_0) - V^\pi(s_0)$ (exact)")
        axes[1].plot(H_gap, [float(b) for b in lower], "--", label=r"$(H+1)/8 - (H+1)^2/3^H$")
        axes[1].set_xlabel("horizon $H$")
        axes[1].set_ylabel("suboptimality")
        axes[1].set_title("Suboptimality stays large")
        axes[1].legend()
        fig.tight_layout()
        plt.show()
        '''),
        code(r'''
        theta_chain = lambda H: [Fraction(1, 5)] * (3 * (H + 2))   # the direct parameterization, 3 per state
        reports.add(lemmas.vanishing_gradients(param="direct", theta=theta_chain(8), derivative_H=600))
        if not SMALL:
            reports.add(lemmas.vanishing_gradients(param="direct", theta=theta_chain(16), derivative_H=1000, derivative_order=2, mode="ball"));
        '''),
        md(r"""
        ## Gradient ascent, log-barrier ascent and NPG on one MDP

        A random MDP with $\gamma = 1/2$ and uniform $\mu = \rho$, all methods from $\theta_0 = 0$:

        * softmax gradient ascent with $\eta = 1/\beta$, $\beta = 8/(1-\gamma)^3$: Lemma 9.6 bounds
          $\min_{t<T}\|\nabla V_t\|^2 \le 2\beta(V^*(\mu) - V_0(\mu))/T$, and Mei et al. (2020) give
          $V^* - V_t \le 16S\|d_\mu^{\pi^*}/\mu\|_\infty^2\|1/\mu\|_\infty / (c^2(1-\gamma)^6 t)$ with
          $c = \min_{k\le t}\min_s\pi_k(a^*(s)|s)$ (constants unconfirmed, see statement D7);
        * log-barrier ascent on $L_\lambda$ (Thm 10.4): once $\|\nabla L_\lambda\| \le \lambda/(2|S||A|)$,
          $V^*(\rho) - V(\rho) \le 2\lambda\|d_\rho^{\pi^*}/\mu\|_\infty/(1-\gamma)$;
        * NPG with step $\eta$ (Thm 10.7): $V^*(\rho) - V_T(\rho) \le \log|A|/(\eta T) + 1/((1-\gamma)^2 T)$.
        """),
        code(r'''
        from mdptheory import algorithms as alg

        m = families.random_mdp(4, 3, gamma=0.5, seed=3)
        S, A = m.n_states, m.n_actions
        gamma, mu = float(m.gamma), np.asarray(m.rho, dtype=float)
        opt = mt.solve(m)
        d_star = mt.evaluate(m, opt.pi).visitation(mu)
        C = float(np.max(np.asarray(d_star, dtype=float) / mu))           # ||d_rho^{pi*} / mu||_inf
        T_pg = 600 if SMALL else 4000
        lam, eta_npg = 0.3, 1.0

        res_pg = alg.softmax_policy_gradient(m, T=T_pg)
        res_lb = alg.log_barrier_policy_gradient(m, lam=lam, T=T_pg)
        res_npg = alg.natural_policy_gradient(m, eta=eta_npg, T=40)
        res_fast = alg.softmax_policy_gradient(m, T=T_pg, eta=1.0)      # a step size outside the theory
        runs = {name: r.as_dict() for name, r in
                [("gradient ascent", res_pg), ("log-barrier ascent", res_lb), ("NPG", res_npg),
                 (r"gradient ascent, $\eta = 1$", res_fast)]}
        for name, r in runs.items():
            print(f"{name:20s} {r['n_iter']:5d} iterations, final gap {r['gaps'][-1]:.3e}")
        '''),
        code(r'''
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
        ax = axes[0]
        for name, r in runs.items():
            ax.loglog(np.arange(1, r["n_iter"] + 2), r["gaps"], label=name)
        t = np.arange(1, 41)
        ax.loglog(t, np.log(A) / (eta_npg * t) + 1 / ((1 - gamma) ** 2 * t), "k--", label="NPG bound (Thm 10.7)")
        pol = np.array(runs["gradient ascent"]["policies"])                # (T+1, S, A)
        a_star = np.asarray(opt.actions)
        c_t = np.minimum.accumulate(pol[:, np.arange(S), a_star].min(axis=1))
        t_pg = np.arange(1, T_pg + 1)
        mei = 16 * S * C ** 2 * np.max(1 / mu) / (c_t[1:] ** 2 * (1 - gamma) ** 6 * t_pg)
        ax.loglog(t_pg + 1, mei, "C0:", label="Mei et al. rate for GA (D7)")
        ax.set_ylim(1e-8, 1e4)
        ax.set_xlabel("iteration $t + 1$")
        ax.set_ylabel(r"$V^*(\rho) - V^{(t)}(\rho)$")
        ax.set_title("Optimality gaps")
        ax.legend(fontsize=8)

        ax = axes[1]
        g2 = np.array(runs["gradient ascent"]["grad_norms"]) ** 2
        beta = alg.softmax_beta(gamma)
        ax.loglog(t_pg, np.minimum.accumulate(g2[:T_pg]), label=r"$\min_{t<T}\|\nabla V_t(\mu)\|^2$")
        ax.loglog(t_pg, 2 * beta * runs["gradient ascent"]["gaps"][0] / t_pg, "k--", label=r"$2\beta(V^* - V_0)/T$ (Lemma 9.6)")
        ax.set_xlabel("$T$")
        ax.set_ylabel("squared gradient norm")
        ax.set_title(r"Gradient ascent, $\eta = (1-\gamma)^3/8$")
        ax.legend(fontsize=8)

        ax = axes[2]
        r = runs["log-barrier ascent"]
        ax.semilogy(r["grad_norms"], label=r"$\|\nabla L_\lambda(\theta_t)\|_2$")
        ax.axhline(lam / (2 * S * A), color="C0", ls="--", label=r"threshold $\lambda/(2|S||A|)$")
        ax.semilogy(r["gaps"], label=r"$V^*(\rho) - V^{(t)}(\rho)$")
        ax.axhline(2 * lam * C / (1 - gamma), color="C1", ls="--", label=r"$2\lambda\|d^{\pi^*}_\rho/\mu\|_\infty/(1-\gamma)$")
        ax.set_xlabel("iteration $t$")
        ax.set_title(rf"Log-barrier ascent, $\lambda$ = {lam}")
        ax.legend(fontsize=8)
        fig.tight_layout()
        plt.show()
        '''),
        md(r"""
        With the step sizes the theorems assume ($\eta = (1-\gamma)^3/8$ and $1/\beta_\lambda$) both
        gradient methods move slowly and sit far inside their bounds; NPG, whose update does not depend on
        the parameterisation's geometry, converges linearly here, well below its $O(1/T)$ guarantee.
        A larger, unguaranteed step ($\eta = 1$) shows that the slowness is mostly the conservative step.
        """),
        code(r'''
        from mdptheory.policies import LogRational, TabularSoftmax
        reports.add(lemmas.gradient_ascent_rate(m, T=30))
        reports.add(lemmas.softmax_pg_monotone(m, T=30))
        reports.add(lemmas.log_barrier_stationarity(m, lam=lam, T=600 if SMALL else 3000))
        reports.add(lemmas.log_barrier_corollary(m))
        reports.add(lemmas.npg_improvement(m, eta=eta_npg))
        reports.add(lemmas.npg_rate(m, eta=eta_npg))
        reports.add(lemmas.npg_closed_form_check(m.to_exact(), TabularSoftmax(S, A),
                                           LogRational(np.arange(1, S * A + 1)), mode="exact"));
        '''),
    ],
)
# ---------------------------------------------------------------------------
# 03: function approximation (AJKS Ch. 11)
# ---------------------------------------------------------------------------

NOTEBOOKS["03_function_approximation"] = notebook(
    "Function approximation: compatible features and Q-NPG (AJKS Ch. 11)",
    r"""
    With a log-linear policy $\pi_\theta(a|s)\propto\exp(\theta^\top\phi(s,a))$ the natural gradient is a
    regression: NPG regresses the advantage on the centred features $\nabla\log\pi = \phi - \mathbb E_\pi\phi$
    (compatible function approximation, Lemmas 11.1–11.2), Q-NPG regresses $Q$ on the raw features (§11.2).
    When the features cannot represent the target, the regression error limits what the iterations reach
    (Lemma 11.3). Everything below is computed with exact policy evaluation and exact least squares.
    """,
    [
        md(r"""
        ## Compatible function approximation (Lemmas 11.1, 11.2)

        $w^\star = \arg\min_w \mathbb E_{s\sim d_\rho,a\sim\pi}(A^\pi(s,a) - w\cdot\nabla\log\pi(a|s))^2$ gives
        $\nabla V(\rho) = (1-\gamma)^{-1}\mathbb E[\nabla\log\pi\,(w^\star\cdot\nabla\log\pi)]$ and, for the
        minimum-norm minimiser, $F_\rho^\dagger\nabla V(\rho) = w^\star/(1-\gamma)$: the NPG direction is the
        regression's answer.
        """),
        code(r'''
        from mdptheory import families, geometry, gradients
        from mdptheory import algorithms as alg
        from mdptheory.policies import LogLinear

        S, A = (5, 3) if SMALL else (8, 3)
        m = families.garnet(S, A, 2, gamma=0.9, seed=4)
        rng = np.random.default_rng(0)
        phi_all = rng.normal(size=(S, A, S * A))            # random features; the first d are used
        param = LogLinear(phi_all[:, :, :4])
        theta = rng.normal(size=param.n_params)

        fit = geometry.compatible_fa(m, param, theta)
        npg_dir = geometry.natural_gradient(m, param, theta)
        grad = gradients.value_gradient(m, param, theta)
        F = geometry.fisher(m, param, theta)
        print("compatible error E(A - w*.score)^2 =", fit.error)
        print("max |F^+ grad V - w*/(1-gamma)|   =", np.max(np.abs(npg_dir - fit.w / (1 - m.gamma))))
        print("max |grad V - F w*/(1-gamma)|     =", np.max(np.abs(grad - F @ fit.w / (1 - m.gamma))))

        fig, ax = plt.subplots(figsize=(6, 3.8))
        k = np.arange(param.n_params)
        ax.bar(k - 0.2, npg_dir, 0.4, label=r"$F_\rho^\dagger\nabla V(\rho)$ (Fisher pseudo-inverse)")
        ax.bar(k + 0.2, fit.w / (1 - m.gamma), 0.4, label=r"$w^\star/(1-\gamma)$ (compatible regression)")
        ax.set_xlabel("feature index")
        ax.set_ylabel("component")
        ax.set_title("The NPG direction is the compatible regression")
        ax.legend(fontsize=8)
        plt.show()
        '''),
        code(r'''
        reports.add(lemmas.compatible_gradient(m, param, theta))
        reports.add(lemmas.npg_compatible_weights(m, param, theta))
        reports.add(lemmas.loglinear_npg_update(m, param, theta));
        '''),
        md(r"""
        ## NPG and Q-NPG as the features get richer

        Runs of log-linear NPG and Q-NPG from $\theta_0 = 0$ with the first $d$ random features, for several
        $d$. With $d = |S||A|$ random features span every table, so both regressions are exact and the runs
        behave like tabular NPG. With fewer features Q-NPG stalls at a floor that grows with its regression
        error; for NPG the compatible error measured on the run's own distribution is only part of the
        story (Lemma 11.3 charges a transfer error against a comparator policy), so its relation to the
        gap is looser. In the small setting the runs are short and not yet converged.
        """),
        code(r'''
        dims = [2, 4, 8, S * A] if SMALL else [2, 3, 4, 6, 8, 12, 16, S * A]
        T_npg, eta = (30, 0.5) if SMALL else (100, 0.5)
        runs = {}
        for variant in ("npg", "q_npg"):
            for d in dims:
                res = alg.loglinear_npg(m, phi_all[:, :, :d], eta=eta, T=T_npg, update=variant)
                runs[variant, d] = res.as_dict(policies=False)

        fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
        for ax, variant in zip(axes[:2], ("npg", "q_npg")):
            for d in dims:
                ax.semilogy(runs[variant, d]["gaps"], label=f"d = {d}")
            ax.set_xlabel("iteration $t$")
            ax.set_ylabel(r"$V^*(\rho) - V^{(t)}(\rho)$")
            ax.set_title({"npg": "log-linear NPG (regress A on centred features)",
                          "q_npg": "Q-NPG (regress Q on raw features)"}[variant], fontsize=10)
            ax.legend(fontsize=8)
        for variant, marker in (("npg", "o"), ("q_npg", "s")):
            err = [np.mean(runs[variant, d]["extras"]["fit_error"]) for d in dims]
            gap = [min(runs[variant, d]["gaps"]) for d in dims]
            axes[2].loglog(np.maximum(err, 1e-16), gap, marker, label=variant)
            for d, e, g in zip(dims, err, gap):
                axes[2].annotate(f"d={d}", (max(e, 1e-16), g), fontsize=7)
        axes[2].set_xlabel("mean regression error of the run (floored at 1e-16)")
        axes[2].set_ylabel(r"best gap $\min_t V^* - V^{(t)}$")
        axes[2].set_title("Approximation error against the gap reached")
        axes[2].legend()
        fig.tight_layout()
        plt.show()
        '''),
        code(r'''
        reports.add(lemmas.npg_regret(m, features=phi_all[:, :, :4], eta=eta, T=20))
        reports.add(lemmas.npg_regret(m, features=phi_all[:, :, :S * A], eta=eta, T=20));
        '''),
    ],
)


# ---------------------------------------------------------------------------
# 04: trust regions (AJKS Ch. 12)
# ---------------------------------------------------------------------------

NOTEBOOKS["04_trust_regions"] = notebook(
    "Trust regions: Fisher, TRPO and PPO (AJKS Ch. 12)",
    r"""
    TRPO limits each step by the KL divergence between successive policies; to second order that KL is
    the Fisher quadratic form, so the trust-region step is a rescaled natural gradient (§12.3). PPO
    replaces the constraint by a clipped surrogate (§12.4). This notebook checks the second-order picture,
    compares TRPO with NPG, draws PPO's clipped objective and runs PPO.
    """,
    [
        md(r"""
        ## The Fisher matrix is the Hessian of the KL divergence

        For a direction $\Delta$, $\mathbb E_{s\sim d_\rho}\mathrm{KL}(\pi_\theta(\cdot|s)\,\|\,\pi_{\theta+t\Delta}(\cdot|s))
        = \tfrac{t^2}{2}\Delta^\top F_\rho(\theta)\Delta + O(t^3)$ with
        $F_\rho = \mathbb E_{d_\rho}\mathbb E_\pi[\nabla\log\pi\nabla\log\pi^\top]$. Over whole trajectories of length
        $H$ the Hessian of $\mathrm{KL}(\Pr^{\theta_t}\|\Pr^\theta)$ at $\theta_t$ is
        $\sum_{h<H}\mathbb E[\nabla\log\pi\nabla\log\pi^\top]$ (Claim 12.5).
        """),
        code(r'''
        from mdptheory import families, geometry, kl
        from mdptheory import algorithms as alg
        from mdptheory.policies import TabularSoftmax, LogLinear, LogRational

        S, A = (4, 3) if SMALL else (6, 3)
        m = families.garnet(S, A, 2, gamma=0.9, seed=5)
        param = TabularSoftmax(S, A)
        rng = np.random.default_rng(1)
        theta = rng.normal(size=param.n_params)
        Delta = rng.normal(size=param.n_params)
        F = geometry.fisher(m, param, theta)
        d = mt.evaluate(m, param.probs(theta)).visitation()
        ts = np.logspace(-3, 0.5, 30)
        kl_true = np.array([kl.weighted_kl(d, param.probs(theta), param.probs(theta + t * Delta)) for t in ts])
        kl_quad = 0.5 * ts ** 2 * (Delta @ F @ Delta)

        H = 3
        hess = kl.trajectory_kl_hessian(m, param, theta, H=H)
        traj_fisher = kl.trajectory_fisher(m, param, theta, H)
        print(f"max |Hessian of trajectory KL - sum of Fishers| (H = {H}):", np.max(np.abs(hess - traj_fisher)))

        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        axes[0].loglog(ts, kl_true, "o", ms=4, label=r"$\mathbb{E}_{d_\rho}\mathrm{KL}(\pi_\theta\|\pi_{\theta+t\Delta})$")
        axes[0].loglog(ts, kl_quad, "-", label=r"$\frac{t^2}{2}\Delta^\top F_\rho\Delta$")
        axes[0].set_xlabel("step length $t$")
        axes[0].set_ylabel("divergence")
        axes[0].set_title("KL against its Fisher quadratic model")
        axes[0].legend()
        axes[1].loglog(ts, np.abs(kl_true - kl_quad) / kl_quad, "o-", label="relative error of the model")
        axes[1].loglog(ts, ts * np.abs(kl_true[0] - kl_quad[0]) / kl_quad[0] / ts[0], "--", label="slope $t$ (third order)")
        axes[1].set_xlabel("step length $t$")
        axes[1].set_ylabel("relative error")
        axes[1].set_title("The model is exact to second order")
        axes[1].legend()
        fig.tight_layout()
        plt.show()
        '''),
        code(r'''
        reports.add(lemmas.fisher_block_form(m, param, theta))
        m_exact = families.garnet(2, 2, 2, gamma=Fraction(1, 2), seed=6, exact=True)
        reports.add(lemmas.trajectory_kl_fisher(m_exact, TabularSoftmax(2, 2), LogRational([1, 2, 3, 1]), H=2, mode="exact"));
        '''),
        md(r"""
        ## TRPO against NPG

        The step $\Delta = \sqrt{2\delta/(g^\top F^\dagger g)}\,F^\dagger g$ solves
        $\max\langle g,\Delta\rangle$ subject to $\tfrac12\Delta^\top F\Delta\le\delta$: it points along the
        natural gradient and only its length differs. Runs of TRPO (a few radii $\delta$) and of tabular NPG
        on the same MDP; the KL actually moved by each TRPO step is compared with the radius.
        """),
        code(r'''
        g = mt.value_gradient(m, param, theta)
        step = geometry.trpo_step(g, F, 0.01)
        w = mt.natural_gradient(m, param, theta)
        cos = step @ w / np.linalg.norm(step) / np.linalg.norm(w)
        print("cosine between the TRPO step and the NPG direction:", cos)
        print("1/2 Delta^T F Delta =", 0.5 * step @ F @ step, "(radius 0.01)")

        T_tr = 20 if SMALL else 60
        deltas = [0.001, 0.01, 0.1]
        trpo_runs = {dl: alg.trpo(m, param, delta=dl, T=T_tr).as_dict(policies=False) for dl in deltas}
        npg_run = alg.natural_policy_gradient(m, eta=1.0, T=T_tr).as_dict(policies=False)

        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for dl, r in trpo_runs.items():
            axes[0].semilogy(r["gaps"], label=f"TRPO, $\\delta$ = {dl}")
            axes[1].semilogy(r["extras"]["true_kl"], label=f"true KL, $\\delta$ = {dl}")
            axes[1].axhline(dl, ls=":", color=axes[1].lines[-1].get_color())
        axes[0].semilogy(npg_run["gaps"], "k--", label=r"NPG, $\eta$ = 1")
        axes[0].set_xlabel("iteration $t$")
        axes[0].set_ylabel(r"$V^*(\rho) - V^{(t)}(\rho)$")
        axes[0].set_title("TRPO and NPG")
        axes[0].legend(fontsize=8)
        axes[1].set_xlabel("iteration $t$")
        axes[1].set_ylabel(r"$\mathbb{E}_{d}\mathrm{KL}(\pi_t\|\pi_{t+1})$")
        axes[1].set_title("KL moved per step (dotted: radius $\\delta$)")
        axes[1].legend(fontsize=8)
        fig.tight_layout()
        plt.show()
        '''),
        code(r'''
        reports.add(lemmas.trpo_is_npg(m, param, theta, delta=0.01))
        reports.add(lemmas.trpo_is_npg(m_exact, TabularSoftmax(2, 2), LogRational([1, 2, 3, 1]), delta=Fraction(1, 50), mode="exact"))
        reports.add(lemmas.cpi_improvement(m_exact, alpha=Fraction(1, 10), mode="exact"));
        '''),
        md(r"""
        ## PPO's clipped objective

        $L^{\mathrm{clip}}(r) = \min(rA, \operatorname{clip}(r, 1-\epsilon, 1+\epsilon)A)$ as a function of the
        probability ratio $r = \pi_{\mathrm{new}}(a|s)/\pi_{\mathrm{old}}(a|s)$, computed with
        `clipped_surrogate` on a one-state problem whose other action has advantage 0. The objective is flat
        only on the *active* clipped branch ($r > 1+\epsilon$ for $A > 0$, $r < 1-\epsilon$ for $A < 0$);
        on the other side it follows $rA$.
        """),
        code(r'''
        eps = 0.2
        ratios = np.linspace(0.0, 2.0, 201)
        pi_old = np.array([[0.5, 0.5]])
        fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
        for ax, adv in zip(axes, (1.0, -1.0)):
            L = [alg.clipped_surrogate(np.array([[0.5 * r, 1 - 0.5 * r]]), pi_old, np.array([[adv, 0.0]]),
                                       np.array([1.0]), eps=eps) / 0.5 for r in ratios]
            ax.plot(ratios, L, lw=2, label=r"$L^{\mathrm{clip}}(r)$")
            ax.plot(ratios, ratios * adv, "--", label="$rA$ (unclipped)")
            ax.axvspan(1 - eps, 1 + eps, color="grey", alpha=0.15, label=r"$[1-\epsilon, 1+\epsilon]$")
            ax.set_xlabel(r"ratio $r = \pi_{\mathrm{new}}/\pi_{\mathrm{old}}$")
            ax.set_ylabel("objective")
            ax.set_title(f"A = {adv:+g}, $\\epsilon$ = {eps}")
            ax.legend()
        fig.tight_layout()
        plt.show()
        grid_r = np.array([Fraction(k, 4) for k in range(1, 9)] * 2, dtype=object)     # 1/4, ..., 2, twice
        grid_A = np.array([1] * 8 + [-1] * 8, dtype=object)
        reports.add(lemmas.ppo_clipping(ratio=grid_r, A=grid_A, eps=Fraction(1, 5), mode="exact"));
        '''),
        md(r"""
        ## PPO runs

        Exact PPO: each outer iteration evaluates $\pi_t$ exactly and takes several gradient steps on the
        exact clipped surrogate. Larger $\epsilon$ lets each iteration move further.
        """),
        code(r'''
        T_ppo = 20 if SMALL else 80
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for eps_run in (0.05, 0.2, 0.5):
            r = alg.ppo(m, param, T=T_ppo, lr=1.0, eps=eps_run, inner_steps=10).as_dict(policies=False)
            axes[0].semilogy(r["gaps"], label=f"$\\epsilon$ = {eps_run}")
            axes[1].plot(r["extras"]["clipped_fraction"], label=f"$\\epsilon$ = {eps_run}")
        axes[0].semilogy(npg_run["gaps"][:T_ppo + 1], "k--", label=r"NPG, $\eta$ = 1")
        axes[0].set_xlabel("iteration $t$")
        axes[0].set_ylabel(r"$V^*(\rho) - V^{(t)}(\rho)$")
        axes[0].set_title("PPO with the exact clipped surrogate")
        axes[0].legend()
        axes[1].set_xlabel("iteration $t$")
        axes[1].set_ylabel(r"$d\pi_t$-mass on the clipped branch")
        axes[1].set_title("How much of the surrogate is clipped")
        axes[1].legend()
        fig.tight_layout()
        plt.show()
        '''),
    ],
)


# ---------------------------------------------------------------------------
# 05: AMPO (Alfano et al. 2023)
# ---------------------------------------------------------------------------

NOTEBOOKS["05_ampo"] = notebook(
    "Approximate mirror policy optimisation (AMPO, Alfano, Yuan, Rebeschini 2023)",
    r"""
    AMPO alternates a regression (Step I: fit $f^\theta \approx Q^{\pi_k} + \eta_k^{-1}(\log\pi_k + 1)$ on
    state-action pairs from $\mathcal D_k$) and a mirror step (Step II: $\pi_{k+1}\propto\exp(\eta_k f^{\theta_{k+1}})$).
    With tabular energies and an exact fit it is policy mirror descent (PMD) with the KL mirror map, whose
    gap decays linearly when the step sizes grow geometrically, $\eta_{k+1} = \eta_k/\gamma$. With features
    that cannot represent the target, the regression error $\epsilon_{\mathrm{approx}}$ sets a floor.
    The linear-rate constant drawn below is statement H2's derived form (the paper's and Xiao's published
    constants are unconfirmed); the floors are measured, not predicted.
    """,
    [
        md(r"""
        ## Geometric against constant step sizes

        Tabular AMPO (exact least-squares Step I) with $\eta_k = \eta_0\gamma^{-k}$ and with $\eta_k = \eta_0$,
        beside the derived bound
        $V^*(\rho) - V_k(\rho) \le (1 - 1/\vartheta)^k\big[V^*(\rho) - V_0(\rho) + \mathbb E_{d^*}\mathrm{KL}(\pi^*_s\|\pi_{0,s})/((1-\gamma)\eta_0(\vartheta-1))\big]$,
        $\vartheta = \|d_\rho^{\pi^*}/\rho\|_\infty/(1-\gamma)$.
        """),
        code(r'''
        from mdptheory import families
        from mdptheory import algorithms as alg
        from mdptheory.policies import TabularSoftmax, LogLinear

        S, A = (5, 3) if SMALL else (8, 4)
        m = families.garnet(S, A, 2, gamma=0.8, seed=7)
        gamma, rho = float(m.gamma), np.asarray(m.rho, dtype=float)
        K = 20                    # geometric steps reach eta_K = eta0 / gamma^K; much larger K underflows pi_k
        eta0 = 0.5

        opt = mt.solve(m)
        d_star = np.asarray(mt.evaluate(m, opt.pi).visitation(rho), dtype=float)
        vartheta = np.max(d_star / rho) / (1 - gamma)
        tab = TabularSoftmax(S, A)
        runs = {sched: alg.ampo(m, tab, eta0=eta0, schedule=sched, T=K).as_dict(policies=False)
                for sched in ("geometric", "constant")}
        gap0 = runs["geometric"]["gaps"][0]
        kl0 = np.log(A)                            # KL(pi*_s || uniform) for a deterministic pi*
        k = np.arange(K + 1)
        bound = (1 - 1 / vartheta) ** k * (gap0 + kl0 / ((1 - gamma) * eta0 * (vartheta - 1)))
        print(f"vartheta = {vartheta:.3f}; contraction factor 1 - 1/vartheta = {1 - 1 / vartheta:.3f}")

        fig, ax = plt.subplots(figsize=(6.5, 4.2))
        for sched, r in runs.items():
            ax.semilogy(k, np.maximum(r["gaps"], 1e-16), "o-", ms=3, label=f"AMPO, {sched} steps")
        ax.semilogy(k, bound, "k--", label="derived linear bound (statement H2)")
        ax.set_xlabel("iteration $k$")
        ax.set_ylabel(r"$V^*(\rho) - V^{\pi_k}(\rho)$ (floored at 1e-16)")
        ax.set_title(rf"Tabular AMPO, $\eta_0$ = {eta0}, $\gamma$ = {gamma}")
        ax.legend()
        plt.show()
        '''),
        code(r'''
        reports.add(lemmas.pmd_step_improvement(m, pi=mt.uniform_policy(m), eta=eta0))
        reports.add(lemmas.pmd_linear_convergence(m, eta0=eta0, T=8))
        reports.add(lemmas.pmd_linear_convergence(m.to_exact(), eta0=Fraction(1, 2), T=4, mode="exact"))
        reports.add(lemmas.ampo_reduction(m, eta0=eta0, T=4));
        '''),
        md(r"""
        ## The floor as the approximation error grows

        Log-linear energies $f^\theta(s,a) = \theta^\top\phi(s,a)$ with the first $d$ of $|S||A|$ random features
        (geometric steps). Fewer features mean a larger Step I error $\epsilon_k$; once the fit is inexact,
        exact PMD's monotone improvement is lost and a run may stall or even move away from the optimum.
        """),
        code(r'''
        rng = np.random.default_rng(0)
        phi_all = rng.normal(size=(S, A, S * A))
        dims = [2, 4, 8, S * A] if SMALL else [2, 4, 6, 10, 16, 24, S * A]
        feat_runs = {d: alg.ampo(m, LogLinear(phi_all[:, :, :d]), eta0=eta0, schedule="geometric", T=K).as_dict(policies=False)
                     for d in dims}

        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for d, r in feat_runs.items():
            axes[0].semilogy(k, np.maximum(r["gaps"], 1e-16), label=f"d = {d}")
        axes[0].set_xlabel("iteration $k$")
        axes[0].set_ylabel(r"$V^*(\rho) - V^{\pi_k}(\rho)$ (floored at 1e-16)")
        axes[0].set_title("AMPO with d log-linear features")
        axes[0].legend(fontsize=8)
        eps_max = [max(max(r["extras"]["approx_error"]), 1e-16) for r in feat_runs.values()]
        floors = [max(r["gaps"][-1], 1e-16) for r in feat_runs.values()]
        axes[1].loglog(eps_max, floors, "o")
        for d, e, f in zip(dims, eps_max, floors):
            axes[1].annotate(f"d={d}", (e, f), fontsize=8)
        axes[1].set_xlabel(r"$\max_k \epsilon_k$ (Step I regression error)")
        axes[1].set_ylabel(f"final gap after {K} iterations")
        axes[1].set_title("Measured floor against the approximation error")
        fig.tight_layout()
        plt.show()
        '''),
    ],
)


# ---------------------------------------------------------------------------
# 06: Neural PPO (Liu et al. 2019)
# ---------------------------------------------------------------------------

NOTEBOOKS["06_neural_ppo"] = notebook(
    "Neural PPO (Liu, Cai, Yang, Wang 2019)",
    r"""
    Neural PPO (Algorithm 1 of Liu et al. 2019) represents the energy $f$ of the policy $\pi\propto\exp(f/\tau_k)$
    and the action-value $Q$ by two-layer ReLU networks of width $m$, evaluates each policy by projected TD
    and improves it by projected SGD towards the KL-regularised target $\tau_{k+1}(\beta_k^{-1}Q + \tau_k^{-1}f)$,
    with $\beta_k = \beta\sqrt K$. Its objective is $\mathcal L(\pi) = \mathbb E_{s\sim\nu^*}\tilde V^\pi(s)$ on the
    stationary distribution $\nu^*$ of $\pi^*$. The paper proves $\min_{k<K}\mathcal L(\pi^*) - \mathcal L(\pi_k) = O(1/\sqrt K)$
    up to the evaluation and improvement errors, which shrink as $m$ grows. Here every $\mathcal L(\pi_k)$ is
    an exact evaluation; the reference curve is the bound derived in statement I4 for the *ideal* algorithm
    (exact evaluation and improvement), $(\beta^2\log|A| + R_{\max}^2/2)/((1-\gamma)\beta\sqrt K)$ — derived,
    not the paper's constant.
    """,
    [
        code(r'''
        from mdptheory import families
        from mdptheory import algorithms as alg

        m = families.garnet(4, 2, 2, gamma=0.8, seed=8)
        beta = 0.1
        Ks = [2, 4, 8, 16, 32] if SMALL else [2, 4, 8, 16, 32, 64, 128]
        widths = [8, 64] if SMALL else [8, 32, 128, 512]
        steps = 100 if SMALL else 400
        R_max = float(np.max(np.abs(np.asarray(m.r, dtype=float))))
        reference = (beta ** 2 * np.log(m.n_actions) + R_max ** 2 / 2) / ((1 - float(m.gamma)) * beta * np.sqrt(Ks))

        best = {}
        for width in widths:
            best[width] = []
            for K in Ks:
                r = alg.neural_ppo(m, width=width, K=K, beta=beta, td_steps=steps, sgd_steps=steps, seed=0)
                best[width].append(min(r.as_dict(policies=False)["gaps"][:K]))
        ideal = [min(alg.ideal_neural_ppo(m, beta=beta, K=K).as_dict(policies=False)["gaps"][:K]) for K in Ks]
        for width, b in best.items():
            print(f"m = {width:4d}: min_k gap =", np.array2string(np.array(b), precision=4))
        print("ideal   : min_k gap =", np.array2string(np.array(ideal), precision=4))
        '''),
        code(r'''
        fig, ax = plt.subplots(figsize=(6.5, 4.3))
        for width, b in best.items():
            ax.loglog(Ks, b, "o-", label=f"Neural PPO, width m = {width}")
        ax.loglog(Ks, ideal, "ks-", label="ideal (exact Q, exact improvement)")
        ax.loglog(Ks, reference, "k--", label=r"derived bound $\propto 1/\sqrt{K}$ (statement I4)")
        ax.set_xlabel("number of iterations $K$")
        ax.set_ylabel(r"$\min_{k<K}\ \mathcal{L}(\pi^*) - \mathcal{L}(\pi_k)$")
        ax.set_title(r"Neural PPO: best gap against $K$")
        ax.legend(fontsize=8)
        plt.show()
        '''),
        md(r"""
        The theorem bounds the gap from above; it does not say a sampled run trails the ideal one. The
        network steps' errors are not adversarial, and a run may be ahead of or behind the ideal iterates.
        The measured evaluation and improvement errors of one run (exact expectations under the model's
        distributions, Liu et al. (2019)'s $\epsilon'_k$ and $\epsilon_{k+1}$):
        """),
        code(r'''
        K = Ks[-1]
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for width in widths:
            ex = alg.neural_ppo(m, width=width, K=K, beta=beta, td_steps=steps, sgd_steps=steps, seed=0).as_dict(policies=False)["extras"]
            ax.semilogy(ex["eval_error"], "o-", label=f"evaluation error, m = {width}")
            ax.semilogy(ex["improvement_error"], "s--", label=f"improvement error, m = {width}")
        ax.set_xlabel("iteration $k$")
        ax.set_ylabel("mean squared error")
        ax.set_title(f"Errors of the network steps (K = {K})")
        ax.legend(fontsize=7)
        plt.show()
        '''),
        code(r'''
        reports.add(lemmas.neural_ppo_rate(m, beta=beta, K=8))
        reports.add(lemmas.neural_ppo_rate(m, beta=beta, K=8, sampled=True))
        me = m.to_exact()
        pis = [mt.uniform_policy(me), mt.deterministic_policy(me, [0] * me.n_states),
               mt.deterministic_policy(me, [1] * me.n_states), mt.deterministic_policy(me, [0, 1] * (me.n_states // 2))]
        reports.add(lemmas.ppo_schedule_identity(me, beta=1, K=4, pis=pis, mode="exact"))
        reports.add(lemmas.stationary_performance_difference(m.to_exact(), pi=mt.uniform_policy(m.to_exact()), mode="exact"));
        '''),
    ],
)


# ---------------------------------------------------------------------------
# 07: counterexamples
# ---------------------------------------------------------------------------

NOTEBOOKS["07_counterexamples"] = notebook(
    "Counterexamples, found and shrunk live",
    r"""
    `mdptheory.counterexamples` holds a catalogue of plausible-sounding claims that are false, each with the true
    statement it is often confused with. `run_conjecture` searches random small MDPs with Hypothesis,
    shrinks the first violation to a minimal case, rationalises it and re-checks it in exact arithmetic;
    `check_true_counterpart` runs the same search against the true statement and should find nothing.
    Two entries are run here.
    """,
    [
        code(r'''
        from mdptheory.counterexamples import catalogue as conjectures

        for name in conjectures.conjecture_names():
            c = conjectures.get_conjecture(name)
            print(f"{name:30s} {c.claim}")
        '''),
        md(r"""
        ## 1. "The discounted visitation dominates the start distribution": $d_\rho^\pi \ge \rho$

        The true statement is $d_\rho^\pi \ge (1-\gamma)\rho$ (statement A2).
        """),
        code(r'''
        name = "visitation_geq_rho"
        ce = conjectures.run_conjecture(name)
        print("found:", ce.found, "| confirmed exactly:", ce.exact, "|", ce.note)
        print(f"examples until the first violation: {ce.n_examples}, property calls incl. shrinking: {ce.n_calls}")
        w = ce.case
        print("shrunk witness:", w.mdp, "\nP =", w.mdp.P.tolist(), "\nr =", w.mdp.r.tolist(), "\nrho =", w.mdp.rho.tolist(),
              "\npi =", None if w.pi is None else w.pi.tolist())
        d = mt.evaluate(w.mdp, w.pi).visitation()
        print("d_rho^pi =", d.tolist(), " rho =", w.mdp.rho.tolist())
        true = conjectures.check_true_counterpart(name)
        print("true counterpart: counterexample found?", true.found, f"({true.n_examples} cases)")
        reports.add(lemmas.visitation_identities(w.mdp, pi=w.pi, mode="exact"));
        '''),
        code(r'''
        S_w = w.mdp.n_states
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        xs = np.arange(S_w)
        ax.bar(xs - 0.25, [float(x) for x in w.mdp.rho], 0.25, label=r"$\rho$")
        ax.bar(xs, [float(x) for x in d], 0.25, label=r"$d_\rho^\pi$")
        ax.bar(xs + 0.25, [float((1 - w.mdp.gamma) * x) for x in w.mdp.rho], 0.25, label=r"$(1-\gamma)\rho$")
        ax.set_xticks(xs)
        ax.set_xlabel("state $s$")
        ax.set_ylabel("probability")
        ax.set_title(r"Witness: $d_\rho^\pi \not\geq \rho$, but $d_\rho^\pi \geq (1-\gamma)\rho$")
        ax.legend()
        plt.show()
        '''),
        md(r"""
        ## 2. "The value is concave in the direct parameters $\pi(a|s)$"

        The value is a rational function of the table $\pi$ and need not be concave once there are several
        states; the true counterpart is that for a bandit ($S = 1$) the value is linear in $\pi$.
        """),
        code(r'''
        name = "value_concave_direct"
        c = conjectures.get_conjecture(name)
        print(c.claim, "\n  true:", c.true_claim, "\n  source:", c.source)
        ce2 = conjectures.run_conjecture(name)
        print("found:", ce2.found, "| confirmed exactly:", ce2.exact, "|", ce2.note)
        print(f"examples until the first violation: {ce2.n_examples}, property calls incl. shrinking: {ce2.n_calls}")
        w2 = ce2.case
        print("shrunk witness:", w2.mdp, "| data:", {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in w2.data.items()})
        print("evidence:", ce2.evidence)
        true2 = conjectures.check_true_counterpart(name)
        print("true counterpart: counterexample found?", true2.found, f"({true2.n_examples} cases)")
        '''),
        md(r"""
        Along the segment between the witness's two policies (direct parameters interpolated entrywise),
        the exact value against the chord: a concave function would stay above it. The performance difference
        lemma, which does hold, is checked exactly on the same two policies.
        """),
        code(r'''
        pis = [np.asarray(v) for v in w2.data.values() if np.shape(v) == (w2.mdp.n_states, w2.mdp.n_actions)]
        if w2.pi is not None and len(pis) < 2:
            pis = [np.asarray(w2.pi)] + pis
        print(f"{len(pis)} policies in the witness")
        if len(pis) >= 2:
            p0, p1 = pis[0], pis[1]
            ts = [Fraction(k, 20) for k in range(21)]
            vals = [mt.evaluate(w2.mdp, (1 - t) * p0 + t * p1).value() for t in ts]
            chord = [(1 - t) * vals[0] + t * vals[-1] for t in ts]
            fig, ax = plt.subplots(figsize=(5.5, 3.6))
            ax.plot([float(t) for t in ts], [float(v) for v in vals], "o-", label=r"$V^{\pi_t}(\rho)$ (exact)")
            ax.plot([float(t) for t in ts], [float(v) for v in chord], "--", label="chord")
            ax.set_xlabel(r"$t$ in $\pi_t = (1-t)\pi_0 + t\pi_1$")
            ax.set_ylabel(r"value $V(\rho)$")
            ax.set_title("Value along a segment of direct parameters")
            ax.legend()
            plt.show()
            reports.add(lemmas.performance_difference(w2.mdp, pi=p0, pi2=p1, mode="exact"))
        '''),
    ],
)


# ---------------------------------------------------------------------------
# 08: the counterexample gallery and the tightness table
# ---------------------------------------------------------------------------

NOTEBOOKS["08_counterexample_gallery"] = notebook(
    "Counterexample gallery: minimal witnesses, drawn, and how tight the constants are",
    r"""
    Every refuted entry of `mdptheory.counterexamples.catalogue`, searched with its budget and seed, minimised to a
    state-minimal witness (`mdptheory.counterexamples.minimize`), drawn as a graph, described
    (transitions `s —a (p, r)→ s′`, $\rho$, $\gamma$, the policies, $V$, $d$ and the violated claim with
    both sides exact) and re-checked from its exact data. Then the other direction: for the bounds with a
    constant, how close the search gets to the constant (`mdptheory.counterexamples.tightness`), with the
    ratio recomputed in ball arithmetic at the exact witness. (Small mode runs three entries and a short
    tightness search.)
    """,
    [
        md(r"""
        ## The catalogue's witnesses

        Each witness below is the one the pinned search finds; `docs/counterexamples.md` is generated from
        the same runs. `confirmation` says in which arithmetic the claim was seen to fail.
        """),
        code(r'''
        from mdptheory.counterexamples import catalogue as conjectures
        from mdptheory.counterexamples.describe import draw

        refuted = [n for n in conjectures.conjecture_names() if conjectures.get_conjecture(n).expected == "refuted"]
        names = ["value_concave_softmax", "visitation_geq_rho", "approximate_greedy_improves"] if SMALL else refuted
        runs = {}
        for name in names:
            c = conjectures.get_conjecture(name)
            ce = c.run()
            runs[name] = ce
            print(f"{name:30s} Hypothesis: S={ce.size_found[0]} -> minimal: S={ce.n_states}, A={ce.n_actions}, "
                  f"state-minimal={ce.state_minimal}, confirmed: {ce.confirmation}, {ce.seconds:.1f} s")
        '''),
        code(r'''
        fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4.0))
        for ax, (name, ce) in zip(np.atleast_1d(axes), runs.items()):
            draw(ce, ax=ax, title=name)
        plt.tight_layout()
        plt.show()
        '''),
        code(r'''
        for name, ce in runs.items():
            print(ce.describe())
            # re-check from the exact data, independently of the search
            rep = conjectures.get_conjecture(name).property(ce.case)
            assert rep.verdict == "FALSIFIED" and rep.mode == "exact"
            print()
        '''),
        md(r"""
        The true counterparts hold on the witnesses: for instance the performance difference lemma on the
        witness MDP of the first entry, between the uniform policy and a deterministic one, exactly.
        """),
        code(r'''
        w = next(iter(runs.values()))
        S_w, A_w = w.mdp.n_states, w.mdp.n_actions
        uniform = np.full((S_w, A_w), Fraction(1, A_w), dtype=object)
        first = np.array([[Fraction(int(a == 0)) for a in range(A_w)] for _ in range(S_w)], dtype=object)
        reports.add(lemmas.performance_difference(w.mdp, uniform, first, mode="exact"));
        '''),
        md(r"""
        ## How tight are the constants?

        For each bound `lhs <= rhs` with a constant, the search maximises lhs/rhs over small MDPs and the
        statement's parameters; a ratio above 1 would falsify the statement. The table of
        `docs/tightness.md` (grid $S \in \{2, 3\}$, $A = 2$, $\gamma \in \{1/2, 9/10\}$) is generated by
        `python -m proofs_check tightness --table docs/tightness.md`; here a short search for three bounds.
        """),
        code(r'''
        from mdptheory.counterexamples.tightness import tightness_search

        budget = 40 if SMALL else 300
        results = [tightness_search(i, S=2, A=2, gamma=Fraction(1, 2), budget=budget, seed=0)
                   for i in ("G1", "E3", "D3")]
        for r in results:
            print(r.summary())
            assert not r.falsified
        best = max(results, key=lambda r: r.ratio)
        fig, ax = plt.subplots(figsize=(4.5, 4.0))
        draw(mt.MDP(best.point["P"], best.point["r"], best.point["gamma"], best.point["rho"]), ax=ax,
             title=f"{best.id}: best witness, ratio {best.ratio:.3g}")
        plt.show()
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
        for r in results:
            n, v = zip(*[(k, x) for k, x in r.trajectory if x > -1] or [(0, 0.0)])
            ax.step(n, v, where="post", label=r.id)
        ax.set_xlabel("evaluation")
        ax.set_ylabel("best ratio lhs/rhs so far")
        ax.legend()
        plt.show()
        '''),
        code(r'''
        from pathlib import Path
        from IPython.display import Markdown, display

        table = Path("..") / "docs" / "tightness.md"
        if table.exists():
            text = table.read_text(encoding="utf-8")
            display(Markdown(text.split("## Statements")[0]))
        '''),
    ],
)


# ---------------------------------------------------------------------------
# 08: your own statements (the @statement decorator)
# ---------------------------------------------------------------------------
NOTEBOOKS["09_your_own_statements"] = notebook(
    "Your own statements",
    r"""
    A statement of your own, checked like the built-in ones: you write the two sides and the
    comparison; the framework resolves the mode from the inputs (exact rationals, float64, or a generic
    symbolic MDP), chooses the float tolerance, records the witness, plumbs the broken variants and
    builds the report. A true statement comes back VERIFIED in float, exact and symbolic mode; a false one
    comes back FALSIFIED with its witness, which the counterexample search then shrinks.
    """,
    [
        md(r"""
        ## A true statement

        The advantage has mean zero under its own policy, $\sum_a \pi(a|s)\,A^\pi(s,a) = 0$ for every
        state. The body receives a `Check` `c` and the case's inputs; `c.evaluate` gives $V$, $Q$, $A$ in
        the case's mode, `c.identity` compares. The broken variant (using $Q$ where $A$ belongs) must come
        back FALSIFIED: a check that cannot fail proves nothing.
        """),
        code(r"""
        from mdptheory.lemmas import run_suite, statement

        @statement(id="U1", text=r"\sum_a \pi(a|s)\,A^\pi(s,a) = 0", source="AJKS Ch. 1",
                   modes=("float", "exact", "symbolic"), variants={"q_for_a": "Q where A belongs"})
        def advantage_mean_zero(c, mdp, pi):
            ev = c.evaluate(mdp, pi)
            A = ev.Q if c.broken("q_for_a") else ev.A
            c.identity("sum_a pi(a|s) A(s,a) = 0", (pi * A).sum(axis=1), 0)
        """),
        md(r"""
        Called directly on an exact MDP and a rational policy it runs in exact mode; on floats, in float
        mode with the tolerance of the MDP's conditioning (its rule is in the report).
        """),
        code(r"""
        m = mt.families.garnet(3, 2, 2, gamma=Fraction(9, 10), seed=1, exact=True)
        pi = mt.policies.uniform_policy(m)
        reports.add(advantage_mean_zero(m, pi))
        reports.add(advantage_mean_zero(m.to_float(), mt.policies.uniform_policy(m.to_float())))
        """),
        md(r"""
        The suite runs it with the built-in statements' machinery: random small MDPs and policies in float
        and exact mode, and one generic symbolic MDP (symbolic rewards, discount and softmax logits), where
        sympy proves the identity for every value of the symbols.
        """),
        code(r"""
        suite = run_suite(["U1"], n=4 if SMALL else 12)
        reports.extend(suite)
        suite
        """),
        code(r"""
        broken = run_suite(["U1"], n=4 if SMALL else 12, broken=True)
        assert len(broken.falsified) == len(broken), broken.table()   # every mode catches the broken variant
        broken
        """),
        md(r"""
        ## A false statement

        "The discounted visitation dominates the start distribution", $d_\rho^\pi \ge \rho$, sounds
        plausible and is false. The suite falsifies it in float and exact mode; each failing case keeps
        its witness (the MDP, the policy and the seed), saved here as exact JSON.
        """),
        code(r"""
        import tempfile
        from pathlib import Path

        @statement(id="U2", text=r"d_\rho^\pi \ge \rho", source="a conjecture")
        def visitation_dominates_start(c, mdp, pi):
            d = c.evaluate(mdp, pi).visitation(mdp.rho)
            c.inequality("rho <= d_rho^pi", mdp.rho, d)

        false_suite = run_suite(["U2"], n=4 if SMALL else 12)
        witness = false_suite.results[-1].notable[0]           # an exact-mode FALSIFIED report
        from mdptheory.io.atomic import write_new   # atomic, and never overwrites an earlier witness

        out = Path(write_new(tempfile.mkdtemp(), "U2_witness", witness.to_json(indent=1)))
        print(f"witness of {witness.statement} ({witness.mode}): S={witness.witness['mdp'].n_states}, saved to {out.name}")
        false_suite
        """),
        md(r"""
        The counterexample search shrinks it: `as_property()` turns the checker into a property of a search
        case, Hypothesis looks for a FALSIFIED case and reduces it toward few states and actions and simple
        numbers, and the float witness is re-checked in exact rationals.
        """),
        code(r"""
        from mdptheory.counterexamples import find_counterexample

        ce = find_counterexample(visitation_dominates_start.as_property(), budget=60, seed=0)
        print(ce.summary())
        ce.save(out.with_name("U2_shrunk.json"))
        ce.evidence
        """),
        md(r"""
        ## In the command line

        Put the statements in a module and add it to the run, beside the built-in ones
        (`--module` is repeatable; an id that clashes with another statement is an error naming it):

            python -m proofs_check --module mypkg.claims

        or let an installed package add them to every run through the entry-point group
        `mdptheory.statements` (in its `pyproject.toml`:
        `[project.entry-points."mdptheory.statements"]` with `claims = "mypkg.claims"`).
        The summary below collects the true statement's checks only.
        """),
    ],
)


# ---------------------------------------------------------------------------


def strip(nb):
    """Remove outputs, execution counts and per-run metadata (in place)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata = {}
    return nb


def execute(nb, *, small=True, timeout=120):
    """Run ``nb`` in a fresh ``python3`` kernel (small mode by default); raise on any error."""
    from nbclient import NotebookClient

    env = dict(os.environ)
    if small:
        env["MDPTHEORY_NOTEBOOK_SMALL"] = "1"
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(HERE)}})
    client.execute(env=env)
    return nb


def main(argv):
    run = "--execute" in argv
    full = "--full" in argv
    wanted = [a for a in argv if not a.startswith("--")]
    for name, nb in NOTEBOOKS.items():
        if wanted and not any(name.startswith(w) for w in wanted):
            continue
        path = HERE / f"{name}.ipynb"
        nbformat.validate(nb)
        if run:
            import copy
            import time

            t0 = time.perf_counter()
            done = execute(copy.deepcopy(nb), small=not full)
            if os.environ.get("MDPTHEORY_NOTEBOOK_OUT"):
                nbformat.write(done, Path(os.environ["MDPTHEORY_NOTEBOOK_OUT"]) / f"{name}.ipynb")
            print(f"{name}: executed in {time.perf_counter() - t0:.1f} s")
        nbformat.write(strip(nb), path)
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main(sys.argv[1:])
