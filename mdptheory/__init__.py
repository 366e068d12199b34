"""mdptheory: verified exact computation for finite Markov decision processes.

Public names are re-exported here, one per line; each module's docstring gives
the mathematics it implements.  Submodules with heavier or optional
dependencies (``strategies`` needs hypothesis, ``symbolic`` sympy) are imported
on first use: ``mdptheory.symbolic`` works without an explicit import.
"""

import importlib as _importlib

from .exceptions import ConvergenceWarning
from .exceptions import InvalidMDPError
from .exceptions import InvalidParameterError
from .exceptions import InvalidPolicyError
from .exceptions import MalformedFileError
from .exceptions import MDPTheoryError
from .exceptions import NumericalWarning
from .mdp import MDP
from .policies.tabular import as_policy
from .policies.tabular import deterministic_policy
from .policies.tabular import greedy_policy
from .policies.tabular import uniform_policy
from .evaluation import PolicyEvaluation
from .evaluation import evaluate
from .evaluation import WARN_RELATIVE_ERROR
from .batch import BatchEvaluation
from .batch import evaluate_batch
from .batch import evaluate_policies
from .optimal import OptimalSolution
from .optimal import solve
from .io import load_json
from .io import save_json
from .io import from_json
from .io import to_json
from .policies import Direct
from .policies import EnergyPolicy
from .policies import LogLinear
from .policies import LogRational
from .policies import NeuralSoftmax
from .policies import TabularSoftmax
from .gradients import value_gradient
from .derivatives import value_hessian
from .fisher_information import fisher
from .natural_gradients import natural_gradient

__version__ = "0.1.0"

_SUBMODULES = (
    "algorithms", "batch", "compatible_fa", "counterexamples", "derivatives", "estimators", "evaluation",
    "exceptions", "families", "fields", "finite_diff", "modes", "fisher_information", "geometry", "io", "kl",
    "lemmas", "mdp", "natural_gradients", "optimal", "policies", "strategies", "symbolic", "trajectories",
    # deprecated aliases (import warns): policy -> policies, search/conjectures -> counterexamples
    "conjectures", "policy", "search",
)

__all__ = [
    "ConvergenceWarning",
    "InvalidMDPError",
    "InvalidParameterError",
    "InvalidPolicyError",
    "MalformedFileError",
    "MDPTheoryError",
    "NumericalWarning",
    "MDP",
    "as_policy",
    "deterministic_policy",
    "greedy_policy",
    "uniform_policy",
    "PolicyEvaluation",
    "evaluate",
    "WARN_RELATIVE_ERROR",
    "BatchEvaluation",
    "evaluate_batch",
    "evaluate_policies",
    "OptimalSolution",
    "solve",
    "load_json",
    "save_json",
    "from_json",
    "to_json",
    "Direct",
    "EnergyPolicy",
    "LogLinear",
    "LogRational",
    "NeuralSoftmax",
    "TabularSoftmax",
    "value_gradient",
    "value_hessian",
    "fisher",
    "natural_gradient",
]


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'mdptheory' has no attribute {name!r}")
