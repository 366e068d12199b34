"""Every registered statement is VERIFIED on the default suite, and every one of
its deliberately broken variants is FALSIFIED there (a check that cannot fail
is a defect)."""

import pytest

from mdptheory.lemmas import FALSIFIED, VERIFIED, statements
from mdptheory.lemmas.framework.runner import DEFAULT_CASES, run_statement

ALL = statements()
SEED = 0


def _params(broken):
    out = []
    for st in ALL:
        for mode in st.modes:
            if broken:
                out += [pytest.param(st, mode, v, id=f"{st.id}-{mode}-{v}") for v in st.variants]
            else:
                out.append(pytest.param(st, mode, None, id=f"{st.id}-{mode}"))
    return out


def test_every_statement_has_a_broken_variant():
    missing = [st.id for st in ALL if not st.variants]
    assert not missing, f"statements without a broken variant: {missing}"


def test_ids_and_names_unique():
    assert len({s.id for s in ALL}) == len(ALL)
    assert len({s.name for s in ALL}) == len(ALL)


@pytest.mark.parametrize("st, mode, variant", _params(False))
def test_statement_verified_on_default_suite(st, mode, variant):
    res = run_statement(st, mode=mode, seed=SEED, n=DEFAULT_CASES)
    assert res.cases > 0
    assert res.verdict == VERIFIED, [getattr(r, "parts", r) for r in res.notable]


@pytest.mark.parametrize("st, mode, variant", _params(True))
def test_broken_variant_falsified_on_default_suite(st, mode, variant):
    res = run_statement(st, mode=mode, seed=SEED, n=DEFAULT_CASES, variant=variant)
    assert res.verdict == FALSIFIED, res.to_dict()
