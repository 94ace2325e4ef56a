# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Exceptions and warnings raised by sklearn_seq."""

__all__ = ["DeviceWarning", "SequenceValidationError"]


class SequenceValidationError(ValueError):
    """Raised when input sequences are malformed.

    Subclasses :class:`ValueError`, so ``except ValueError`` keeps working. The
    message names the offending sample (``X[i]``) and what was expected.

    Examples
    --------
    >>> from sklearn_seq.exceptions import SequenceValidationError
    >>> issubclass(SequenceValidationError, ValueError)
    True
    """


class DeviceWarning(UserWarning):
    """Warned when a requested device feature is unavailable and a fallback is used.

    Examples
    --------
    >>> from sklearn_seq.exceptions import DeviceWarning
    >>> issubclass(DeviceWarning, UserWarning)
    True
    """
