# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Loaders of small data sets shipped with scikit-learn, seen as sequences."""

from sklearn.datasets import load_digits
from sklearn.utils import Bunch

from sklearn_seq.utils._param_validation import validate_params

__all__ = ["load_digits_sequences"]

_DIGITS_PREFIX = """\
.. _digits_sequences_dataset:

Digits as sequences
-------------------

scikit-learn's optical recognition of handwritten digits data set, read as
sequences: each 8x8 image is a sequence of 8 timesteps (its rows, top to
bottom) with 8 features (the pixels of the row, left to right, 0 to 16).
``data`` has shape (1797, 8, 8). The original description follows.

"""


@validate_params({"return_X_y": ["boolean"]}, prefer_skip_nested_validation=True)
def load_digits_sequences(*, return_X_y=False):
    """Load scikit-learn's digits as 8 timesteps x 8 features.

    Each 8x8 image of a handwritten digit becomes a sequence whose steps are
    the image rows (top to bottom) and whose features are the pixels of a row.
    A small, fast multiclass task (10 classes, 1797 sequences) for sequence
    classifiers.

    =================   ==============
    Classes                         10
    Samples per class             ~180
    Samples total                 1797
    Timesteps                        8
    Features per step                8
    Values                 integers 0-16
    =================   ==============

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        data : ndarray of shape (1797, 8, 8)
            The sequences, float64: ``data[i, t]`` is row ``t`` of image ``i``.
        target : ndarray of shape (1797,)
            The digit of each sequence.
        target_names : ndarray of shape (10,)
            The class names, 0 to 9.
        feature_names : list of str
            The names of the 8 features per step, ``"pixel_0"`` to
            ``"pixel_7"`` (the column of the pixel).
        DESCR : str
            The full description of the data set.

    (data, target) : tuple if ``return_X_y`` is True
        The 3-D data array and the target.

    See Also
    --------
    sklearn.datasets.load_digits : The same data as images or flat rows.

    Examples
    --------
    >>> from sklearn_seq.datasets import load_digits_sequences
    >>> digits = load_digits_sequences()
    >>> digits.data.shape, digits.target[:5].tolist()
    ((1797, 8, 8), [0, 1, 2, 3, 4])
    >>> X, y = load_digits_sequences(return_X_y=True)
    >>> X.shape, y.shape
    ((1797, 8, 8), (1797,))
    """
    digits = load_digits()
    data = digits.images.copy()
    target = digits.target.copy()
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=digits.target_names.copy(),
        feature_names=[f"pixel_{j}" for j in range(8)],
        DESCR=_DIGITS_PREFIX + digits.DESCR,
    )
