"""Speed and scale benchmarks of mdptheory beside bare NumPy/SciPy/FLINT and peers.

Run ``python -m benchmarks [section ...] [--quick]``; see ``benchmarks/README.md``.
Not part of the test suite: nothing here asserts a time.
"""

__all__ = ["SECTIONS"]

#: Section names in the order they run, each a module of this package with ``run(quick)``.
SECTIONS = ("import", "evaluation", "batch", "exact", "sparse", "optimal", "scale", "algorithms", "verification")
