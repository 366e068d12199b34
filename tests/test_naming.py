"""One name per concept: ``mu`` for the start distribution argument, ``back_move`` for the
chain of statement C1, ``variant`` only for the broken variants of the checkers.  The old
keywords keep working for one release with a DeprecationWarning and give the same result."""

from fractions import Fraction as F

import numpy as np
import pytest

from mdptheory.compatible_fa import compatible_fa, q_npg_weights
from mdptheory.derivatives import chain_derivatives, chain_gradient_norm, chain_hessian_norm
from mdptheory.exceptions import InvalidParameterError
from mdptheory.families import forest, vanishing_gradient_chain
from mdptheory.fisher_information import fisher
from mdptheory.natural_gradients import natural_gradient
from mdptheory.policies import LogLinear, LogRational, TabularSoftmax

MU = np.array([F(1, 2), F(1, 3), F(1, 6)])


@pytest.mark.parametrize("fn", [fisher, natural_gradient, compatible_fa, q_npg_weights])
def test_rho_keyword_renamed_mu(fn):
    m = forest(3, exact=True)
    phi = np.array([[[1, 0], [0, 1]], [[1, 1], [0, 2]], [[2, 0], [1, -1]]])
    prm = LogLinear(phi)
    theta = LogRational([1, 2])
    new = fn(m, prm, theta, mu=MU)
    with pytest.warns(DeprecationWarning, match=r"\(rho=\.\.\.\) is deprecated; use mu="):
        old = fn(m, prm, theta, rho=MU)
    other = fn(m, prm, theta)  # the MDP's own rho: a different distribution, a different answer
    if hasattr(new, "w"):
        new, old, other = new.w, old.w, other.w
    assert np.array_equal(np.asarray(new), np.asarray(old))
    assert not np.array_equal(np.asarray(new), np.asarray(other))
    with pytest.raises(InvalidParameterError, match="give mu= only"):
        fn(m, prm, theta, mu=MU, rho=MU)


def test_chain_variant_renamed_back_move():
    for back_move in ("left", "reset"):
        with pytest.warns(DeprecationWarning, match="use back_move="):
            old = vanishing_gradient_chain(3, variant=back_move)
        new = vanishing_gradient_chain(3, back_move=back_move)
        assert np.array_equal(old.P_dense(), new.P_dense())
        with pytest.warns(DeprecationWarning, match="use back_move="):
            g_old = chain_gradient_norm(6, "1/5", variant=back_move)
        g_new = chain_gradient_norm(6, "1/5", back_move=back_move)
        assert g_old.squared_norm == g_new.squared_norm and g_new.back_move == back_move
        with pytest.warns(DeprecationWarning, match="back_move"):
            assert g_new.variant == back_move
        with pytest.warns(DeprecationWarning):
            h_old = chain_hessian_norm(4, "1/5", variant=back_move, prec=None)
        assert h_old.squared_norm == chain_hessian_norm(4, "1/5", back_move=back_move, prec=None).squared_norm
        with pytest.warns(DeprecationWarning):
            d_old = chain_derivatives(4, F(1, 5), variant=back_move)
        d_new = chain_derivatives(4, F(1, 5), back_move=back_move)
        assert all(np.array_equal(a, b) for a, b in zip(d_old, d_new))
    assert not np.array_equal(vanishing_gradient_chain(3, back_move="left").P_dense(),
                              vanishing_gradient_chain(3, back_move="reset").P_dense())
    with pytest.raises(InvalidParameterError, match="back_move= only"):
        vanishing_gradient_chain(3, back_move="reset", variant="left")


def test_value_gradient_and_fisher_share_the_start_distribution_name():
    import inspect

    from mdptheory.gradients import value_gradient

    for fn in (value_gradient, fisher, natural_gradient, compatible_fa, q_npg_weights):
        assert "mu" in inspect.signature(fn).parameters
    m = forest(3, exact=True)
    prm = TabularSoftmax(3, 2)
    theta = LogRational([1, 2, 2, 1, 1, 3])
    # the closed form of the softmax NPG direction does not depend on mu where d_mu > 0 (AJKS Lemma 10.6)
    assert np.array_equal(natural_gradient(m, prm, theta, mu=MU), natural_gradient(m, prm, theta))
    assert not np.array_equal(value_gradient(m, prm, theta, mu=MU), value_gradient(m, prm, theta))


def test_algorithm_step_keyword_is_update_not_variant():
    from mdptheory.algorithms import loglinear_npg

    m = forest(3)
    phi = np.array([[[1, 0], [0, 1]], [[1, 1], [0, 2]], [[2, 0], [1, -1]]], dtype=float)  # NPG != Q-NPG here
    new = loglinear_npg(m, phi, eta=0.5, T=2, update="q_npg")
    with pytest.warns(DeprecationWarning, match=r"loglinear_npg\(variant=\.\.\.\) is deprecated; use update="):
        old = loglinear_npg(m, phi, eta=0.5, T=2, variant="q_npg")
    assert np.array_equal(new.values, old.values) and new.options["update"] == "q_npg"
    assert not np.array_equal(new.values, loglinear_npg(m, phi, eta=0.5, T=2).values)
    with pytest.raises(InvalidParameterError, match="update must be"):
        loglinear_npg(m, phi, eta=0.5, T=2, update="sac")


def test_geometry_functions_name_the_problem_when_given_a_parameterization_name():
    m = forest(3, exact=True)
    for fn in (fisher, natural_gradient, compatible_fa):
        with pytest.raises(InvalidParameterError, match="resolve_parameterization"):
            fn(m, "softmax", np.zeros(6))
