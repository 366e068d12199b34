"""``python -m proofs_check``: the lemma-by-lemma verification run of mdptheory."""
