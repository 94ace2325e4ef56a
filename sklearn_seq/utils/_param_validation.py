# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""The one module that imports scikit-learn's private parameter validation.

Everything else in sklearn_seq imports these names from here, so a change in
scikit-learn's private API is fixed in one place.
"""

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
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_fit_context",
    "validate_params",
]
