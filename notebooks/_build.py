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

reports = []          # every CheckReport this notebook produces


def check(report):
    """Keep a lemma checker's report for the summary at the end and show its verdict."""
    reports.append(report)
    print(f"[{report.statement}] {report.name} ({report.mode}): {report.verdict}")
    return report
'''

SUMMARY = '''\
print(f"{len(reports)} checks")
for rep in reports:
    print(f"  {rep.statement:5s} {rep.name:38s} {rep.mode:8s} {rep.verdict}")
assert reports, "this notebook ran no checks"
assert all(rep.verdict != lemmas.FALSIFIED for rep in reports), "a statement was FALSIFIED"
'''


def md(text):
    return new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(text):
    return new_code_cell(textwrap.dedent(text).strip("\n"))


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
        check(lemmas.policy_gradient_theorem(m, theta, T=3))
        m_exact = families.garnet(3, 2, 2, gamma=Fraction(9, 10), seed=2, exact=True)
        q = LogRational([[1, 2], [3, 1], [1, 1]])
        check(lemmas.policy_gradient_theorem(m_exact, q, T=3, mode="exact"))
        check(lemmas.softmax_gradient(m_exact, q, mode="exact"))
        check(lemmas.reinforce_reward_to_go(m_exact, q, T=3, mode="exact"))
        check(lemmas.baselines(m_exact, q, [Fraction(1, 2), Fraction(-3), Fraction(7, 5)], T=3, mode="exact"));
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
        check(lemmas.reinforce_monte_carlo(m_exact.to_float(), np.log([1, 2, 3, 1, 1, 1.0]), T=3, n=n_check, seed=0))
        check(lemmas.baseline_monte_carlo(m_exact.to_float(), np.log([1, 2, 3, 1, 1, 1.0]), T=3, n=n_check, seed=0));
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
        check(lemmas.nonconcavity_tree())
        check(lemmas.bandit_nonconcavity());
        '''),
    ],
)

NOTEBOOKS = {"01_policy_gradients": NB01}


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
