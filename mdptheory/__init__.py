"""mdptheory: verified exact computation for finite Markov decision processes.

Public names are re-exported here, one per line; see each module for the
mathematics it implements.
"""

from .exceptions import ConvergenceWarning
from .exceptions import InvalidMDPError
from .exceptions import InvalidParameterError
from .exceptions import InvalidPolicyError
from .exceptions import MalformedFileError
from .exceptions import MDPTheoryError
from .exceptions import NumericalWarning
from .mdp import MDP
from .policy import as_policy
from .policy import deterministic_policy
from .policy import greedy_policy
from .policy import uniform_policy
from .evaluation import PolicyEvaluation
from .evaluation import evaluate

__version__ = "0.1.0"

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
]
