r"""Reading and writing MDPs: exact JSON, npz, and the formats of peer libraries.

Formats
-------
JSON (:func:`to_json`, :func:`from_json`, :func:`save_json`, :func:`load_json`)
    A plain JSON object (see :func:`mdp_to_dict`)::

        {"format": "mdptheory.mdp", "version": 1, "field": "exact",
         "n_states": 2, "n_actions": 1,
         "gamma": "9/10",
         "P": [[["1/2", "1/2"]], [["0", "1"]]],
         "r": [["1"], ["0"]],
         "rho": ["1/2", "1/2"]}

    *Exact* MDPs store every number as a string ``"p/q"`` (or ``"p"``), so
    rationals survive exactly.  *Float* MDPs store JSON numbers written with
    Python's :func:`repr`, the shortest decimal that reads back to the same
    float64, so a float MDP round-trips bit for bit (readers also accept
    C99 hexadecimal strings such as ``"0x1.8p-1"`` from :meth:`float.hex`).
    A sparse float ``P`` is stored as COO triplets under ``"P_coo"``
    (``{"row": [...], "col": [...], "value": [...]}`` with row index
    ``s*A + a`` and column ``s'``) instead of ``"P"``.  Optional ``"policy"``
    (see :func:`policy_to_json_data`) and ``"extra"`` (any JSON data) ride
    along, which is how checker witnesses embed an MDP.
npz (:func:`save_npz`, :func:`load_npz`)
    NumPy's zip of arrays, always read with ``allow_pickle=False``.  Exact
    arrays are stored as Unicode string arrays of ``"p/q"``.
gymnasium toy-text tables (:func:`from_gymnasium`)
    ``env.unwrapped.P[s][a] = [(prob, next_state, reward, terminated), ...]``.
pymdptoolbox (:func:`from_pymdptoolbox`, :func:`to_pymdptoolbox`)
    ``P`` of shape ``(A, S, S)``, ``R`` of shape ``(S, A)``, ``(A, S, S)`` or ``(S,)``.
QuantEcon (:func:`from_quantecon`, :func:`to_quantecon`)
    ``DiscreteDP(R, Q, beta)`` with ``R[s, a]``, ``Q[s, a, s']`` (the layout of
    :class:`~mdptheory.mdp.MDP`), or its state-action-pair form.

Files are written atomically (:mod:`mdptheory.io.atomic`: a temporary file
in the same directory, then :func:`os.replace`).

Modules: :mod:`~mdptheory.io.json`, :mod:`~mdptheory.io.npz`,
:mod:`~mdptheory.io.gymnasium`, :mod:`~mdptheory.io.peers` (pymdptoolbox and
QuantEcon); every public name is re-exported here.

Hostile input
-------------
Readers never unpickle, never evaluate, and cap the length of every number
(:data:`MAX_NUMBER_CHARS` characters, exponents of at most three digits), so
``"1e999999"`` or a 100,000-digit integer is rejected at once instead of
hanging.  Any file that cannot be read as an MDP raises
:class:`~mdptheory.exceptions.MalformedFileError`; a well-formed file that
describes an invalid MDP (a row of ``P`` summing to 0.9, ``gamma = 1``) raises
:class:`~mdptheory.exceptions.InvalidMDPError` from the MDP's own validation.
"""

from __future__ import annotations

from ._common import FORMAT_TAG
from ._common import FORMAT_VERSION
from ._common import MAX_NUMBER_CHARS
from .json import mdp_to_dict
from .json import mdp_from_dict
from .json import policy_to_json_data
from .json import policy_from_json_data
from .json import to_json
from .json import from_json
from .json import save_json
from .json import load_json
from .npz import save_npz
from .npz import load_npz
from .gymnasium import MAX_GYM_ENTRIES
from .gymnasium import from_gymnasium
from .peers import from_pymdptoolbox
from .peers import to_pymdptoolbox
from .peers import from_quantecon
from .peers import to_quantecon

__all__ = [
    "FORMAT_TAG",
    "FORMAT_VERSION",
    "MAX_NUMBER_CHARS",
    "MAX_GYM_ENTRIES",
    "mdp_to_dict",
    "mdp_from_dict",
    "policy_to_json_data",
    "policy_from_json_data",
    "to_json",
    "from_json",
    "save_json",
    "load_json",
    "save_npz",
    "load_npz",
    "from_gymnasium",
    "from_pymdptoolbox",
    "to_pymdptoolbox",
    "from_quantecon",
    "to_quantecon",
]
