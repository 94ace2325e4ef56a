# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the sphinx-gallery configuration (importable, so picklable)."""

import builtins
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def provide_file(gallery_conf, fname, when):
    """Give each example a ``__file__`` while sphinx-gallery runs it.

    sphinx-gallery runs examples without ``__file__`` (by design: its issues
    #166 and #212), but ours locate their output folder with
    ``Path(__file__).resolve().parent``, as a script run by ``python
    examples/x.py`` may. A builtin of that name is found when the example's
    globals have none; it is set before each example and removed after it.
    """
    if when == "before" and fname is not None:
        builtins.__file__ = str(EXAMPLES / Path(fname).name)
    elif hasattr(builtins, "__file__"):
        del builtins.__file__
