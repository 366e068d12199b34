"""Policy-optimization algorithms with exact expectations (AJKS Ch. 9-12).

Every algorithm is a pure function of the MDP, its parameterization and
keyword-only options, and returns an :class:`OptimizationResult` holding the
full trace of the run.
"""

from .result import OptimizationResult
from .result import ProgressReporter
from .result import make_progress

__all__ = [
    "OptimizationResult",
    "ProgressReporter",
    "make_progress",
]
