"""Old import paths of modules that moved: they keep working and warn.

When the package took its layered layout, several modules moved
(``mdptheory.policy`` → ``mdptheory.policies.tabular``, ``mdptheory.search`` →
``mdptheory.counterexamples.search``, ``mdptheory.lemmas.convergence`` → the
section modules, …).  Rather than a stub file per old path, one import hook
serves them all: importing an old path gives a module that looks each name up,
on access, in the modules that now hold it (so ``from mdptheory.policy import
as_policy`` returns the very same object as ``from mdptheory.policies import
as_policy``), and emits a :class:`DeprecationWarning` naming the new home.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

__all__ = ["MOVED", "install"]

_L = "mdptheory.lemmas."
_SECTIONS_SYMBOLIC = tuple(f"{_L}{s}_symbolic" for s in ("foundations", "policy_gradients", "softmax",
                                                         "natural_gradient", "function_approximation",
                                                         "trust_regions"))

#: Old module path -> (the modules that now hold its names, in lookup order; renamed names).
MOVED: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "mdptheory.policy": (("mdptheory.policies.tabular",), {}),
    "mdptheory.search": (("mdptheory.counterexamples.search",), {}),
    "mdptheory.conjectures": (("mdptheory.counterexamples.catalogue",), {}),
    _L + "_common": ((_L + "framework.prologue",), {}),
    _L + "approx": ((_L + "function_approximation",), {"loglinear_npg": "loglinear_npg_update"}),
    _L + "convergence": ((_L + "framework.rates", _L + "policy_gradients", _L + "softmax", _L + "natural_gradient",
                          _L + "function_approximation", _L + "trust_regions"), {}),
    _L + "mirror": ((_L + "mirror_descent",), {}),
    _L + "neural": ((_L + "neural_ppo",), {}),
    _L + "npg": ((_L + "natural_gradient", _L + "framework.parameterized"), {}),
    _L + "pg": ((_L + "policy_gradients",), {}),
    _L + "registry": ((_L + "framework.registry",), {}),
    _L + "report": ((_L + "framework.report",), {}),
    _L + "runner": ((_L + "framework.runner",), {}),
    _L + "sampling": ((_L + "framework.sampling", _L + "policy_gradients"), {"_setup": "_mc_setup"}),
    _L + "suite": ((_L + "framework.suite",), {}),
    _L + "symbolic_proofs": ((_L + "framework.symbolic",) + _SECTIONS_SYMBOLIC, {}),
    _L + "trust": ((_L + "trust_regions",), {}),
    _L + "vanishing": ((_L + "vanishing_gradients",), {}),
}


class _MovedModule(types.ModuleType):
    """A module whose names live elsewhere now: each is looked up on access."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        targets, renamed = MOVED[self.__name__]
        wanted = renamed.get(name, name)
        for target in targets:
            module = importlib.import_module(target)
            if hasattr(module, wanted):
                return getattr(module, wanted)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r} "
                             f"(its names moved to {', '.join(targets)})")

    def __dir__(self):
        targets, renamed = MOVED[self.__name__]
        names = set(renamed)
        for target in targets:
            names.update(dir(importlib.import_module(target)))
        return sorted(names)


class _MovedLoader(importlib.abc.Loader):
    def create_module(self, spec):
        return _MovedModule(spec.name)

    def exec_module(self, module):
        targets, _ = MOVED[module.__name__]
        public = []
        for target in targets:
            public.extend(n for n in getattr(importlib.import_module(target), "__all__", ()) if n not in public)
        module.__all__ = public
        module.__doc__ = f"Deprecated path: the names of ``{module.__name__}`` now live in {', '.join(targets)}."
        # stacklevel 2 skips the import machinery's frames and points at the importing line
        warnings.warn(f"{module.__name__} is deprecated; import from {' / '.join(targets)} instead",
                      DeprecationWarning, stacklevel=2)


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, _MovedLoader())
        return None


def install() -> None:
    """Put the finder of old paths on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
