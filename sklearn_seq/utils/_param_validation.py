# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""The one module that imports scikit-learn's private parameter validation.

Everything else in sklearn_seq imports these names from here, so a change in
scikit-learn's private API is fixed in one place.
"""

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_params,
)

__all__ = [
    "HasMethods",
    "Hidden",
    "Interval",
    "IntervalNotBool",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_fit_context",
    "validate_params",
]


class IntervalNotBool(Interval):
    """An :class:`Interval` of ints that refuses booleans.

    ``bool`` is a subclass of ``int``, so scikit-learn's
    ``Interval(Integral, ...)`` accepts ``batch_size=True`` (read as 1); for a
    count a boolean is a mistake. The error message is scikit-learn's: "The
    'batch_size' parameter of SequenceClassifier must be an int in the range
    [1, inf). Got True instead."
    """

    def is_satisfied_by(self, val):
        if isinstance(val, bool | np.bool_):
            return False
        return super().is_satisfied_by(val)
