r"""The one calling convention of every checker.

Every checker of :mod:`mdptheory.lemmas` is called as

.. code-block:: python

    checker(mdp, param=None, theta=None, *, mu=None, mode=None, variant=None, seed=None, **statement_options)

* ``mdp`` — the :class:`~mdptheory.mdp.MDP` (None for the checkers that build
  their own: symbolic proofs, the fixed examples B4/B5, the chain of C1, G4, I1);
* ``param`` — a parameterization name of
  :data:`mdptheory.policies.names.PARAMETERIZATIONS` (``"softmax"``,
  ``"direct"``, ``"loglinear"``, …) or a
  :class:`~mdptheory.policies.base.Parameterization` object, built for the
  sizes of the MDP; ``theta`` — the point, always in the parameterization's
  own (flat) shape: ``(S·A,)`` for softmax, ``(S·(A−1),)`` for direct, a
  :class:`~mdptheory.policies.LogRational` for an exact softmax point;
* checkers of a tabular policy (A1–A3, H1, I3) take it either as
  ``param`` and ``theta`` (the policy :math:`\pi_\theta`) or as the option
  ``pi=`` (an (S, A) array);
* checkers without a policy take ``param=None, theta=None`` and say so if
  given one;
* ``mu`` — the start distribution (None: the MDP's ``rho``), for the checkers
  that take one; ``mode``, ``variant`` (the broken variant), ``seed`` — as
  everywhere; everything else is a keyword option of the statement.

:func:`checker_convention` adapts this public signature to the internal one of
each checker (the decorator is applied where the checker is defined).  Old call
forms keep working for one release with a ``DeprecationWarning``: positional
arguments in the old order (``policy_gradient_theorem(mdp, theta)``,
``softmax_score(S, A, theta)``, ``bellman_equations(mdp, pi)``, …) and renamed
keywords (``chain=`` of C1, now ``back_move=``).  Wrong types raise
:class:`~mdptheory.exceptions.InvalidParameterError` naming the argument.
"""

from __future__ import annotations

import functools
import inspect
import warnings

import numpy as np

from ...exceptions import InvalidParameterError, format_value

__all__ = ["checker_convention", "POLICY_KINDS", "CONVENTION_ARGUMENTS"]

#: How a checker takes its policy (the ``policy=`` of :func:`checker_convention`).
POLICY_KINDS = {
    None: "no policy: param and theta must be None",
    "param": "internal (mdp, param_object, theta)",
    "name": "internal (mdp, theta, *, param='softmax'|'direct')",
    "softmax": "internal (mdp, theta): tabular softmax at temperature 1 only",
    "sizes": "internal (n_states, n_actions, theta): tabular softmax, sizes from param, mdp or options",
    "policy": "internal (mdp, pi): a tabular policy, pi = param.probs(theta) or the option pi=",
    "chain": "internal (H, theta (H+2, 3)): direct parameterization on the chain of C1",
}

#: The arguments every checker has.
CONVENTION_ARGUMENTS = ("mdp", "param", "theta", "mu", "mode", "variant", "seed")

_CONSUMED = {
    None: (),
    "param": ("mdp", "param", "theta"),
    "name": ("mdp", "param", "theta"),
    "softmax": ("mdp", "theta"),
    "sizes": ("n_states", "n_actions", "theta"),
    "policy": ("mdp",),
    "chain": ("H", "theta"),
}


def _is_param_like(x) -> bool:
    from ...policies.base import Parameterization

    return x is None or isinstance(x, (str, Parameterization))


def _deprecated(message, stacklevel=3):
    """Warn at the caller of the checker (stacklevel counts _deprecated, the wrapper, the caller)."""
    warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)


def _check_mdp(name, mdp):
    from ...mdp import MDP

    if not isinstance(mdp, MDP):
        raise InvalidParameterError(f"{name}: mdp must be an MDP; got {type(mdp).__name__} {_short(mdp)}")
    return mdp


def _short(x, n=60):
    s = repr(x)
    return s if len(s) <= n else s[: n - 3] + "..."


def _bind_legacy(cname, legacy, values, kwargs, n_given, *, lead=""):
    """Bind positional ``values`` to the ``legacy`` keyword names (in order), with a DeprecationWarning."""
    if len(values) > len(legacy):
        raise InvalidParameterError(f"{cname}: too many positional arguments ({n_given})")
    names = legacy[:len(values)]
    _deprecated(f"{cname}({lead}{', '.join(names)}) is deprecated; call "
                f"{cname}({lead}{', '.join(k + '=...' for k in names)})", stacklevel=4)
    for k, v in zip(legacy, values):
        if k in kwargs:
            raise InvalidParameterError(f"{cname}: {k} given twice")
        kwargs[k] = v


def checker_convention(policy=None, *, takes_mdp=True, legacy=(), renamed=None, internal_names=None,
                       names=("softmax", "direct")):
    """Decorator giving a checker the public signature of the convention.

    Parameters
    ----------
    policy : {None, "param", "name", "softmax", "sizes", "policy", "chain"}
        How the internal checker takes its policy (:data:`POLICY_KINDS`).
    takes_mdp : bool, keyword-only
        False for checkers that build their own example (then ``mdp`` must be None).
    legacy : tuple of str, keyword-only
        Names of the old positional arguments after ``mdp`` (or from the first
        one when the checker takes no MDP or had no ``mdp`` first); a call in
        the old positional form is mapped to them with a ``DeprecationWarning``.
    renamed : dict, keyword-only
        Deprecated keyword -> its new public name.
    internal_names : dict, keyword-only
        Public option name -> the internal keyword it is passed as.
    names : tuple of str, keyword-only
        For ``policy="name"``: the parameterization names the checker supports.
    """
    if policy not in POLICY_KINDS:
        raise InvalidParameterError(f"policy must be one of {sorted(map(str, POLICY_KINDS))}; got {format_value(policy)}")
    renamed = dict(renamed or {})
    internal_names = dict(internal_names or {})

    def decorate(fn):
        sig = inspect.signature(fn)
        params = sig.parameters
        cname = fn.__name__
        consumed = set(_CONSUMED[policy]) | {"mdp", "mode", "variant", "seed", "mu"}
        if policy == "policy":
            consumed.add("pi")
        back = {v: k for k, v in internal_names.items()}
        options = {}
        for p in params.values():
            if p.name in consumed and not (policy == "policy" and p.name == "pi"):
                continue
            if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            options[back.get(p.name, p.name)] = p.default
        if policy == "policy":
            options["pi"] = None
        if policy == "sizes":
            options.update(n_states=None, n_actions=None)
        if policy == "chain":
            options = {"H": None, **options}
        takes_mu = "mu" in params
        mode_default = params["mode"].default if "mode" in params else None

        public = [inspect.Parameter("mdp", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
                  inspect.Parameter("param", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
                  inspect.Parameter("theta", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
                  inspect.Parameter("mu", inspect.Parameter.KEYWORD_ONLY, default=None),
                  inspect.Parameter("mode", inspect.Parameter.KEYWORD_ONLY, default=mode_default),
                  inspect.Parameter("variant", inspect.Parameter.KEYWORD_ONLY, default=None),
                  inspect.Parameter("seed", inspect.Parameter.KEYWORD_ONLY, default=None)]
        public += [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v) for k, v in options.items()]
        public_sig = inspect.Signature(public, return_annotation=sig.return_annotation)

        @functools.wraps(fn)
        def checker(*args, **kwargs):
            args = list(args)
            # ---- deprecated keywords
            for old, new in renamed.items():
                if old in kwargs:
                    if new in kwargs:
                        raise InvalidParameterError(f"{cname}: give {new}= only ({old}= is its deprecated name)")
                    _deprecated(f"{cname}({old}=...) is deprecated; use {new}=")
                    kwargs[new] = kwargs.pop(old)
            # ---- deprecated positional forms
            if args and legacy:
                first_is_mdp = takes_mdp and policy not in ("sizes", "chain")
                if first_is_mdp:
                    if len(args) > 1 and not _is_param_like(args[1]):
                        _bind_legacy(cname, legacy, args[1:], kwargs, len(args), lead="mdp, ")
                        args = args[:1]
                else:
                    from ...mdp import MDP

                    if args[0] is not None and not isinstance(args[0], MDP) and not (policy in ("sizes", "chain") and _is_param_like(args[0])):
                        _bind_legacy(cname, legacy, args, kwargs, len(args))
                        args = []
            if len(args) > 3:
                raise InvalidParameterError(f"{cname} takes at most 3 positional arguments (mdp, param, theta); "
                                            f"got {len(args)}")
            for k, v in zip(("mdp", "param", "theta"), args):
                if k in kwargs:
                    raise InvalidParameterError(f"{cname}: {k} given twice")
                kwargs[k] = v
            mdp = kwargs.pop("mdp", None)
            param = kwargs.pop("param", None)
            theta = kwargs.pop("theta", None)
            mu = kwargs.pop("mu", None)
            common = {k: kwargs.pop(k) for k in ("mode", "variant", "seed") if k in kwargs}
            if common.get("mode") is None:
                common.pop("mode", None)
            unknown = sorted(set(kwargs) - set(options))
            if unknown:
                raise InvalidParameterError(f"{cname} has no option {format_value(unknown[0])}; its options: "
                                            f"{', '.join(options) or 'none'}")
            out = {internal_names.get(k, k): v for k, v in kwargs.items()}
            # ---- mdp
            if takes_mdp and policy not in ("sizes", "chain"):
                if mdp is None:
                    raise InvalidParameterError(f"{cname} needs an MDP: mdp is None")
                out["mdp"] = _check_mdp(cname, mdp)
            elif policy == "sizes":
                if mdp is not None:
                    _check_mdp(cname, mdp)
            elif mdp is not None:
                raise InvalidParameterError(f"{cname} builds its own example and takes no MDP: mdp must be None; "
                                            f"got {type(mdp).__name__}")
            # ---- mu
            if mu is not None:
                if not takes_mu:
                    raise InvalidParameterError(f"{cname} takes no start distribution mu (it uses the MDP's rho: "
                                                f"pass mdp.with_rho(mu)); got mu = {_short(mu)}")
                out["mu"] = mu
            # ---- policy
            _adapt_policy(cname, policy, names, mdp, param, theta, out)
            missing = [p.name for p in params.values() if p.default is p.empty and p.name not in out
                       and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
            if missing:
                pub = back.get(missing[0], missing[0])
                raise InvalidParameterError(f"{cname} needs {pub}=")
            return fn(**out, **common)

        checker.__signature__ = public_sig
        checker.__checker_convention__ = {"policy": policy, "takes_mdp": takes_mdp, "legacy": tuple(legacy),
                                          "renamed": renamed, "internal": fn}
        return checker

    return decorate


def _adapt_policy(cname, policy, names, mdp, param, theta, out):
    """Fill the internal arguments of the policy from ``param`` and ``theta``."""
    from ...policies.names import parameterization_name, resolve_parameterization

    if policy is None:
        for k, v in (("param", param), ("theta", theta)):
            if v is not None:
                raise InvalidParameterError(f"{cname} takes no policy: {k} must be None; got {_short(v)}")
        return
    if policy == "policy":
        pi = out.get("pi")
        if param is None and theta is None:
            if pi is None:
                raise InvalidParameterError(f"{cname} needs a policy: pi= (an (S, A) array) or param= and theta=")
            return
        if pi is not None:
            raise InvalidParameterError(f"{cname}: give the policy either as pi= or as param= and theta=, not both")
        if param is None or theta is None:
            raise InvalidParameterError(f"{cname}: the policy pi_theta needs both param and theta; got "
                                        f"param={_short(param)}, theta={_short(theta)}")
        prm = resolve_parameterization(param, n_states=mdp.n_states, n_actions=mdp.n_actions)
        out["pi"] = prm.probs(theta)
        return
    if policy == "chain":
        _adapt_chain(cname, param, theta, out)
        return
    if policy == "sizes":
        S, A = out.pop("n_states", None), out.pop("n_actions", None)
        if mdp is not None:
            for k, v, w in (("n_states", S, mdp.n_states), ("n_actions", A, mdp.n_actions)):
                if v is not None and int(v) != w:
                    raise InvalidParameterError(f"{cname}: {k} = {v} differs from the MDP's {w}")
            S, A = mdp.n_states, mdp.n_actions
        from ...policies.base import Parameterization

        if isinstance(param, Parameterization):
            S = param.n_states if S is None else S
            A = param.n_actions if A is None else A
        if S is None or A is None:
            raise InvalidParameterError(f"{cname} needs the sizes: an mdp, a param object or n_states= and n_actions=")
        prm = resolve_parameterization("softmax" if param is None else param, n_states=S, n_actions=A)
        if parameterization_name(prm) != "softmax":
            raise InvalidParameterError(f"{cname} is a statement about the tabular softmax at temperature 1: param "
                                        f"must be 'softmax' or TabularSoftmax(S, A); got {format_value(prm)}")
        _require_theta(cname, prm, theta)
        out.update(n_states=S, n_actions=A, theta=theta)
        return
    prm = resolve_parameterization("softmax" if param is None else param, n_states=mdp.n_states,
                                   n_actions=mdp.n_actions)
    if policy == "name" and parameterization_name(prm) not in names:
        raise InvalidParameterError(f"{cname} supports param in {names}; got {format_value(prm)}")
    if policy == "softmax" and parameterization_name(prm) != "softmax":
        raise InvalidParameterError(f"{cname} is a statement about the tabular softmax at temperature 1: param "
                                    f"must be 'softmax' or TabularSoftmax(S, A); got {format_value(prm)}")
    _require_theta(cname, prm, theta)
    if policy == "param":
        out.update(param=prm, theta=theta)
    elif policy == "name":
        out.update(param=parameterization_name(prm), theta=theta)
    else:
        out["theta"] = theta


def _require_theta(cname, prm, theta):
    if theta is None:
        raise InvalidParameterError(f"{cname} needs theta (a point of {format_value(prm)}, shape ({prm.n_params},))")
    prm.check_theta(theta)


def _adapt_chain(cname, param, theta, out):
    """C1: theta of the direct parameterization on the chain of length H + 2 (4 actions), flat (3 (H+2),)."""
    from ...policies.direct import Direct

    if theta is None:
        raise InvalidParameterError(f"{cname} needs theta: the direct parameterization's point on the chain, "
                                    f"shape (3 (H + 2),)")
    H = out.get("H")
    arr = np.asarray(theta, dtype=object)
    if arr.ndim == 2:
        _deprecated(f"{cname}: theta of shape (H + 2, 3) is deprecated; pass the direct parameterization's flat "
                    f"point, shape (3 (H + 2),) (theta.reshape(-1))", stacklevel=5)
    elif arr.ndim == 1:
        if arr.shape[0] % 3 or arr.shape[0] < 9:
            raise InvalidParameterError(f"theta must have 3 (H + 2) entries (3 free actions per state); got "
                                        f"shape {arr.shape}")
        if H is None:
            H = arr.shape[0] // 3 - 2
        arr = arr.reshape(-1, 3)
    else:
        raise InvalidParameterError(f"theta must be the flat direct-parameterization point; got shape {arr.shape}")
    if H is None:
        H = arr.shape[0] - 2
    if isinstance(H, bool) or not isinstance(H, (int, np.integer)):
        raise InvalidParameterError(f"H must be an integer; got {format_value(H)}")
    if param is not None:
        if isinstance(param, str):
            if param.strip().lower() != "direct":
                raise InvalidParameterError(f"{cname} is a statement about the direct parameterization: param must "
                                            f"be None or 'direct'; got {format_value(param)}")
        elif isinstance(param, Direct):
            if (param.n_states, param.n_actions) != (int(H) + 2, 4):
                raise InvalidParameterError(f"param = {format_value(param)} does not fit the chain of H = {H} "
                                            f"({int(H) + 2} states, 4 actions)")
        else:
            raise InvalidParameterError(f"{cname} is a statement about the direct parameterization: param must be "
                                        f"None, 'direct' or Direct(H + 2, 4); got {_short(param)}")
    out.update(H=int(H), theta=arr)
