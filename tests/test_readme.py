"""The README's code blocks run as written (in a temporary directory)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    from mdptheory.lemmas import statements
    from mdptheory.lemmas.framework import registry

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    statements()  # the statements the README defines leave the registry with the test
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    for k, code in enumerate(blocks):
        exec(compile(code, f"README block {k}", "exec"), {})


def test_readme_quick_start_commands_are_the_ci_commands():
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    assert "python -m proofs_check" in text
    assert "pip install -e '.[test]' && python -m pytest -q" in text
    assert "pip install --quiet -e '.[test]'" in ci and "python -m pytest -q" in ci
