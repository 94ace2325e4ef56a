# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Shared machinery of the criteria: sklearn-style parameters and validation.

Every criterion is a :class:`torch.nn.Module` whose constructor only stores its
arguments, under the same names, as scikit-learn's ``clone`` expects. Arguments
are validated lazily, at the first ``forward``, so that ``clone`` and
``set_params`` never raise.
"""

import inspect
import math
import numbers
from collections.abc import Mapping

import torch

from sklearn_seq.utils._param_validation import InvalidParameterError

__all__ = []


class _ParamsMixin:
    """Give a :class:`torch.nn.Module` scikit-learn's parameter interface.

    ``get_params`` and ``set_params`` read the parameter names from the
    signature of ``__init__``, exactly like :class:`sklearn.base.BaseEstimator`,
    so ``sklearn.base.clone`` rebuilds the criterion and nested names such as
    ``criterion__gamma`` reach it from an estimator.

    Parameters listed in ``_tensor_params`` are kept as registered buffers when
    they hold a tensor (so ``.to(device)`` moves them and ``state_dict`` saves
    them) and as plain attributes otherwise; the object passed is stored as is.
    """

    _tensor_params = ()

    def __setattr__(self, name, value):
        if name in self._tensor_params and "_buffers" in self.__dict__:
            if value is None or isinstance(value, torch.Tensor):
                self.__dict__.pop(name, None)
                self.register_buffer(name, value)
            else:
                self._buffers.pop(name, None)
                object.__setattr__(self, name, value)
            return
        super().__setattr__(name, value)

    @classmethod
    def _get_param_names(cls):
        signature = inspect.signature(cls.__init__)
        names = []
        for param in signature.parameters.values():
            if param.name == "self":
                continue
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise RuntimeError(
                    f"{cls.__name__} must list its parameters in the signature "
                    "of __init__ (no *args or **kwargs)."
                )
            names.append(param.name)
        return sorted(names)

    @classmethod
    def _defaults(cls):
        signature = inspect.signature(cls.__init__)
        return {
            p.name: p.default
            for p in signature.parameters.values()
            if p.default is not p.empty
        }

    def get_params(self, deep=True):
        """Get the parameters of this criterion.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the parameters of contained criteria, as
            ``<name>__<parameter>`` (and ``<name>__<key>__<parameter>`` for a
            dict or list of criteria).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        out = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep:
                for key, sub in _nested(value):
                    prefix = name if key is None else f"{name}__{key}"
                    if key is not None:
                        out[prefix] = sub
                    out.update(
                        (f"{prefix}__{k}", v) for k, v in sub.get_params().items()
                    )
            out[name] = value
        return out

    def set_params(self, **params):
        """Set the parameters of this criterion.

        Nested parameters of contained criteria are set with
        ``<name>__<parameter>``, as in scikit-learn.

        Parameters
        ----------
        **params : dict
            Criterion parameters.

        Returns
        -------
        self : object
            This criterion.
        """
        valid = self._get_param_names()
        nested = {}
        for key, value in params.items():
            name, delim, sub_key = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for criterion {self!r}. "
                    f"Valid parameters are: {valid!r}."
                )
            if delim:
                nested.setdefault(name, {})[sub_key] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            self._set_nested(name, sub_params)
        return self

    def _set_nested(self, name, sub_params):
        value = getattr(self, name)
        if hasattr(value, "set_params") and not isinstance(value, type):
            value.set_params(**sub_params)
            return
        if not isinstance(value, Mapping | list | tuple):
            raise TypeError(
                f"Cannot set nested parameters {sorted(sub_params)!r} of {name!r}: "
                f"{value!r} has no set_params."
            )
        # a dict or list of criteria: route "<key>__<param>" to one entry, and
        # replace an entry given as "<key>" in a copy of the container
        container = dict(value) if isinstance(value, Mapping) else list(value)
        replaced = False
        grouped = {}
        for sub_key, sub_value in sub_params.items():
            entry, delim, rest = sub_key.partition("__")
            index = entry if isinstance(container, dict) else _as_index(entry)
            if not _has_entry(container, index):
                raise ValueError(
                    f"Invalid parameter {name}__{sub_key!s}: {name} has no "
                    f"entry {entry!r}."
                )
            if delim:
                grouped.setdefault(index, {})[rest] = sub_value
            else:
                container[index] = sub_value
                replaced = True
        for index, entry_params in grouped.items():
            container[index].set_params(**entry_params)
        if replaced:
            if isinstance(value, tuple):
                container = tuple(container)
            setattr(self, name, container)

    def extra_repr(self):
        """Show the parameters that differ from their defaults.

        Returns
        -------
        text : str
            ``name=value`` pairs, comma-separated.
        """
        defaults = self._defaults()
        parts = []
        for name in self._get_param_names():
            value = getattr(self, name)
            if isinstance(value, torch.nn.Module):
                continue  # printed by torch as a child module
            if name in defaults and _same(value, defaults[name]):
                continue
            parts.append(f"{name}={value!r}")
        return ", ".join(parts)


def _nested(value):
    """Yield ``(key, criterion)`` for the criteria a parameter contains."""
    if isinstance(value, type):
        return
    if hasattr(value, "get_params"):
        yield None, value
    elif isinstance(value, Mapping):
        for key, sub in value.items():
            if hasattr(sub, "get_params") and not isinstance(sub, type):
                yield key, sub
    elif isinstance(value, list | tuple):
        for key, sub in enumerate(value):
            if hasattr(sub, "get_params") and not isinstance(sub, type):
                yield key, sub


def _has_entry(container, index):
    if isinstance(container, dict):
        return index in container
    return isinstance(index, int) and 0 <= index < len(container)


def _as_index(entry):
    try:
        return int(entry)
    except ValueError:
        return entry


def _same(value, default):
    if value is default:
        return True
    if isinstance(value, torch.Tensor) or isinstance(default, torch.Tensor):
        return False
    if type(value) is not type(default):
        return False
    return isinstance(value, str | int | float | bool) and value == default


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_real(owner, name, value, *, low=None, high=None):
    """Raise unless ``value`` is a real number in ``[low, high]``."""
    ok = _is_real(value) and not math.isnan(value)
    if ok and low is not None:
        ok = value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        low_text = "-inf" if low is None else repr(float(low))
        high_text = "inf)" if high is None else f"{float(high)!r}]"
        raise InvalidParameterError(
            f"The {name!r} parameter of {type(owner).__name__} must be a float "
            f"in the range [{low_text}, {high_text}. Got {value!r} instead."
        )


def _check_options(owner, name, value, options):
    """Raise unless ``value`` is one of ``options``."""
    if not any(
        value is opt or (value == opt and type(value) is type(opt)) for opt in options
    ):
        shown = ", ".join(repr(o) for o in options)
        raise InvalidParameterError(
            f"The {name!r} parameter of {type(owner).__name__} must be one of "
            f"{{{shown}}}. Got {value!r} instead."
        )


def _check_reduction(owner):
    _check_options(owner, "reduction", owner.reduction, ("mean", "sum", "none"))


def _reduce(loss, reduction, denominator=None):
    """Apply ``reduction`` to per-element losses.

    For ``"mean"``, divide by ``denominator`` (the number or total weight of
    the contributing elements) instead of ``loss.numel()`` when given. An empty
    denominator gives 0, not NaN.
    """
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    if denominator is None:
        denominator = torch.tensor(loss.numel(), dtype=loss.dtype, device=loss.device)
    return total / denominator.clamp_min(torch.finfo(loss.dtype).tiny)
