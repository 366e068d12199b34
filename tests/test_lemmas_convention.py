"""The one calling convention of the checkers (mdptheory.lemmas.framework.convention).

Every registered checker is called as ``checker(mdp, param=..., theta=..., *, mu=None,
mode=None, variant=None, seed=None, **options)``: the test enumerates the registry,
calls each checker that takes a policy with a parameterization *name* and with the
equivalent *object* (same verdict, same checked values), and every checker with a
wrong type (an InvalidParameterError naming the argument).
"""

import inspect
import warnings
from fractions import Fraction as F

import numpy as np
import pytest

import mdptheory.lemmas as lemmas
from mdptheory import MDP
from mdptheory.exceptions import InvalidParameterError, MDPTheoryError
from mdptheory.families import vanishing_gradient_chain
from mdptheory.lemmas import FALSIFIED, VERIFIED, statements
from mdptheory.lemmas.framework.convention import CONVENTION_ARGUMENTS
from mdptheory.lemmas.vanishing_gradients import chain_region_theta
from mdptheory.policies import Direct, LogLinear, TabularSoftmax, uniform_policy
from mdptheory.policies.names import PARAMETERIZATIONS, parameterization_name, resolve_parameterization

STATEMENTS = statements()
KIND = {s.id: s.check.__checker_convention__["policy"] for s in STATEMENTS}
#: Parameterization name each policy-taking checker is called with (a statement about
#: log-linear policies needs features: "loglinear" builds the one-hot ones).
NAME_FOR = {"F3": "loglinear", "C1": "direct"}


def _first_case(stmt):
    mode = "float" if "float" in stmt.modes else stmt.modes[0]
    return mode, dict(next(iter(stmt.cases(7, 1, mode))))


def _point(prm, rng):
    if isinstance(prm, Direct):
        w = rng.integers(1, 5, size=(prm.n_states, prm.n_actions)).astype(float)
        return (w / w.sum(axis=1, keepdims=True))[:, :-1].reshape(-1)
    return rng.normal(size=prm.n_params)


def _calls(stmt):
    """(call with a name, call with the object): keyword arguments of both."""
    mode, case = _first_case(stmt)
    kind = KIND[stmt.id]
    rng = np.random.default_rng(3)
    name = NAME_FOR.get(stmt.id, "softmax")
    for k in ("param", "theta", "pi", "seed"):
        case.pop(k, None)
    if kind == "chain":
        H = 4
        theta = chain_region_theta(np.random.default_rng(1), H).reshape(-1)
        case = {"H": H, "back_move": "reset"}
        return mode, dict(case, param="direct", theta=theta), dict(case, param=Direct(H + 2, 4), theta=theta)
    if kind == "sizes":
        S, A = case.pop("n_states"), case.pop("n_actions")
        prm = TabularSoftmax(S, A)
        theta = _point(prm, rng)
        return mode, dict(case, param=name, theta=theta, n_states=S, n_actions=A), dict(case, param=prm, theta=theta)
    mdp = case["mdp"]
    if mdp.is_exact:
        case["mdp"] = mdp = mdp.to_float()
    if kind == "name":
        case["n"] = 2000 if "n" in inspect.signature(stmt.check).parameters else None
        case = {k: v for k, v in case.items() if v is not None}
    prm = resolve_parameterization(name, n_states=mdp.n_states, n_actions=mdp.n_actions)
    theta = _point(prm, rng)
    return mode, dict(case, param=name, theta=theta), dict(case, param=prm, theta=theta)


POLICY_TAKING = [s for s in STATEMENTS if KIND[s.id] is not None]
NO_POLICY = [s for s in STATEMENTS if KIND[s.id] is None]


def test_every_registered_checker_has_the_convention_signature():
    assert len(POLICY_TAKING) >= 20 and len(NO_POLICY) >= 25
    for stmt in STATEMENTS:
        sig = inspect.signature(stmt.check)
        names = list(sig.parameters)
        assert tuple(names[:7]) == CONVENTION_ARGUMENTS, (stmt.id, names)
        assert [p.kind for p in list(sig.parameters.values())[:3]] == [inspect.Parameter.POSITIONAL_OR_KEYWORD] * 3
        assert all(p.kind == inspect.Parameter.KEYWORD_ONLY for p in list(sig.parameters.values())[3:])
        assert getattr(lemmas, stmt.name) is stmt.check


@pytest.mark.parametrize("stmt", POLICY_TAKING, ids=lambda s: s.id)
def test_policy_checker_accepts_a_name_and_an_object(stmt):
    mode, by_name, by_object = _calls(stmt)
    assert isinstance(by_name["param"], str)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        r1 = stmt.check(**by_name, mode=mode, seed=0)
        r2 = stmt.check(**by_object, mode=mode, seed=0)
    assert r1.verdict == r2.verdict
    assert r1.verdict != FALSIFIED, r1
    assert [(p["part"], p["verdict"]) for p in r1.parts] == [(p["part"], p["verdict"]) for p in r2.parts]
    assert r1.residual == r2.residual and r1.slack == r2.slack


@pytest.mark.parametrize("stmt", POLICY_TAKING, ids=lambda s: s.id)
@pytest.mark.parametrize("bad", [3.5, [1, 0], object()], ids=["float", "list", "object"])
def test_policy_checker_rejects_a_wrong_param_type(stmt, bad):
    mode, by_name, _ = _calls(stmt)
    with pytest.raises(InvalidParameterError, match="param"):
        stmt.check(**dict(by_name, param=bad), mode=mode)


@pytest.mark.parametrize("stmt", POLICY_TAKING, ids=lambda s: s.id)
def test_policy_checker_rejects_theta_of_the_wrong_shape(stmt):
    mode, by_name, _ = _calls(stmt)
    with pytest.raises(MDPTheoryError, match="theta"):
        stmt.check(**dict(by_name, theta=np.zeros(1)), mode=mode)


@pytest.mark.parametrize("stmt", NO_POLICY, ids=lambda s: s.id)
@pytest.mark.parametrize("given", [("param", "softmax"), ("param", TabularSoftmax(2, 2)), ("theta", np.zeros(4))],
                         ids=["name", "object", "theta"])
def test_checker_without_policy_says_so(stmt, given):
    mode, case = _first_case(stmt)
    case.pop("seed", None)
    k, v = given
    with pytest.raises(InvalidParameterError, match=f"takes no policy: {k} must be None"):
        stmt.check(**case, **{k: v}, mode=mode)


@pytest.mark.parametrize("stmt", STATEMENTS, ids=lambda s: s.id)
def test_wrong_mdp_type_and_unknown_option(stmt):
    mode, case = _first_case(stmt)
    case.pop("seed", None)
    case.pop("mdp", None)
    takes_mdp = stmt.check.__checker_convention__["takes_mdp"] and KIND[stmt.id] != "sizes"
    with pytest.raises(InvalidParameterError, match="mdp"):
        stmt.check(**dict(case, mdp="not an MDP"), mode=mode)
    if takes_mdp:
        with pytest.raises(InvalidParameterError, match="needs an MDP"):
            stmt.check(**case, mode=mode)
    with pytest.raises(InvalidParameterError, match="no option 'colour'"):
        stmt.check(**case, colour=1, mode=mode)


def test_mu_is_refused_by_checkers_without_a_start_distribution():
    m = vanishing_gradient_chain(2, exact=False)
    with pytest.raises(InvalidParameterError, match="takes no start distribution mu"):
        lemmas.optimality(m, mu=np.ones(4) / 4)


def test_policy_checker_from_param_equals_pi_option():
    m = MDP([[[1, 0], [0, 1]], [[F(1, 2), F(1, 2)], [0, 1]]], [[1, 0], [0, 2]], F(1, 2), [F(1, 3), F(2, 3)])
    theta = np.array([F(1, 3), F(1, 2)])  # direct: pi(a0|s) = theta_s
    prm = Direct(2, 2)
    a = lemmas.bellman_equations(m, "direct", theta)
    b = lemmas.bellman_equations(m, pi=prm.probs(theta))
    assert a.verdict == b.verdict == VERIFIED and a.mode == b.mode == "exact"
    with pytest.raises(InvalidParameterError, match="not both"):
        lemmas.bellman_equations(m, "direct", theta, pi=prm.probs(theta))
    with pytest.raises(InvalidParameterError, match="needs a policy"):
        lemmas.bellman_equations(m)
    with pytest.raises(InvalidParameterError, match="needs both param and theta"):
        lemmas.bellman_equations(m, "direct")


def test_restricted_param_names_are_explained():
    m = vanishing_gradient_chain(2, exact=False)
    with pytest.raises(InvalidParameterError, match=r"supports param in \('softmax', 'direct'\)"):
        lemmas.policy_gradient_theorem(m, "loglinear", np.zeros(24))
    with pytest.raises(InvalidParameterError, match="tabular softmax at temperature 1"):
        lemmas.softmax_gradient(m, TabularSoftmax(4, 4, temperature=2.0), np.zeros(16))
    with pytest.raises(InvalidParameterError, match="direct parameterization"):
        lemmas.vanishing_gradients(param="softmax", theta=chain_region_theta(np.random.default_rng(0), 4).reshape(-1))
    with pytest.raises(InvalidParameterError, match="takes no MDP"):
        lemmas.vanishing_gradients(m, theta=chain_region_theta(np.random.default_rng(0), 4).reshape(-1))


# ------------------------------------------------------------------ deprecated forms
def _warns(fn, match):
    with pytest.warns(DeprecationWarning, match=match):
        return fn()


def test_old_positional_forms_warn_and_agree():
    m = MDP([[[1, 0], [0, 1]], [[F(1, 2), F(1, 2)], [0, 1]]], [[1, 0], [0, 2]], F(1, 2), [F(1, 3), F(2, 3)])
    pi = uniform_policy(m)
    old = _warns(lambda: lemmas.bellman_equations(m, pi), r"bellman_equations\(mdp, pi\) is deprecated")
    assert old.verdict == lemmas.bellman_equations(m, pi=pi).verdict == VERIFIED
    from mdptheory.policies import LogRational

    q = LogRational([1, 2, 3, 1])
    old = _warns(lambda: lemmas.policy_gradient_theorem(m, q), "deprecated")
    new = lemmas.policy_gradient_theorem(m, "softmax", q)
    assert old.verdict == new.verdict == VERIFIED
    old = _warns(lambda: lemmas.softmax_score(2, 2, q), r"softmax_score\(n_states, n_actions, theta\)")
    assert old.verdict == lemmas.softmax_score(param=TabularSoftmax(2, 2), theta=q).verdict == VERIFIED
    old = _warns(lambda: lemmas.ppo_clipping([F(1, 2)], [1], F(1, 5)), r"ppo_clipping\(ratio, A, eps\)")
    assert old.verdict == lemmas.ppo_clipping(ratio=[F(1, 2)], A=[1], eps=F(1, 5)).verdict


def test_c1_old_theta_shape_and_chain_keyword_warn():
    H = 4
    th = chain_region_theta(np.random.default_rng(2), H)
    new = lemmas.vanishing_gradients(theta=th.reshape(-1), back_move="reset", illustrate=False)
    assert new.verdict == VERIFIED
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        old = lemmas.vanishing_gradients(H, th, chain="reset", illustrate=False)
    messages = [str(x.message) for x in w if issubclass(x.category, DeprecationWarning)]
    assert any("vanishing_gradients(H, theta)" in s for s in messages)
    assert any("chain=" in s and "back_move=" in s for s in messages)
    assert any("(H + 2, 3) is deprecated" in s for s in messages)
    assert old.verdict == new.verdict
    with pytest.raises(InvalidParameterError, match="back_move= only"):
        lemmas.vanishing_gradients(theta=th.reshape(-1), chain="left", back_move="reset")


def test_loglinear_npg_checker_renamed():
    from mdptheory.algorithms import loglinear_npg as algorithm

    with pytest.warns(DeprecationWarning, match="loglinear_npg_update"):
        old = lemmas.loglinear_npg
    assert old is lemmas.loglinear_npg_update is lemmas.get_statement("F3").check
    assert lemmas.get_statement("F3").name == "loglinear_npg_update"
    assert algorithm is not old
    with pytest.warns(DeprecationWarning):
        assert lemmas.get_statement("loglinear_npg").id == "F3"
    with pytest.raises(AttributeError):
        lemmas.no_such_checker  # noqa: B018


def test_no_checker_shares_a_name_with_an_algorithm():
    import mdptheory.algorithms as algorithms

    clash = {s.name for s in STATEMENTS} & set(algorithms.__all__)
    assert not clash


# ------------------------------------------------------------------ the parameterization names
def test_parameterization_names_build_the_parameterization_with_theta_in_its_shape():
    S, A = 3, 2
    shapes = {"softmax": S * A, "direct": S * (A - 1), "loglinear": S * A, "energy": S * A}
    for name, n in shapes.items():
        prm = resolve_parameterization(name, n_states=S, n_actions=A)
        assert (prm.n_states, prm.n_actions, prm.n_params) == (S, A, n)
        pi = prm.probs(np.full(n, 1 / A) if name == "direct" else np.zeros(n))
        assert np.allclose(pi, 1 / A)
    assert set(shapes) | {"neural"} == set(PARAMETERIZATIONS)
    with pytest.raises(InvalidParameterError, match="NeuralSoftmax"):
        resolve_parameterization("neural", n_states=S, n_actions=A)
    with pytest.raises(InvalidParameterError, match="not a parameterization name"):
        resolve_parameterization("softmx", n_states=S, n_actions=A)
    with pytest.raises(InvalidParameterError, match="needs the sizes"):
        resolve_parameterization("softmax")
    with pytest.raises(InvalidParameterError, match="has 2 states; the MDP has 3"):
        resolve_parameterization(TabularSoftmax(2, 2), n_states=3, n_actions=2)
    phi = np.arange(12).reshape(3, 2, 2) % 3
    assert isinstance(resolve_parameterization("loglinear", n_states=3, n_actions=2, features=phi), LogLinear)
    assert parameterization_name(TabularSoftmax(2, 2)) == "softmax"
    assert parameterization_name(Direct(2, 3)) == "direct"
    assert parameterization_name(LogLinear(phi)) is None
