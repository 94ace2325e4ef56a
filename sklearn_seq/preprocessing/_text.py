# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Raw text (or pre-tokenised text) to token id sequences."""

import re
import warnings
from collections import Counter
from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from sklearn_seq.utils._param_validation import Interval, StrOptions, _fit_context

__all__ = ["OOV_ID", "PAD_ID", "TextVectorizer"]

#: Token id of padding; never produced by TextVectorizer.transform.
PAD_ID = 0
#: Token id of out-of-vocabulary tokens.
OOV_ID = 1


def _inverse(lookup, X):
    """Map id sequences to lists of entries of ``lookup``, padding dropped."""
    lookup = np.asarray(lookup, dtype=object)
    out = []
    for i, ids in enumerate(X):
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(f"X[{i}] is not a 1-D sequence of integer ids.")
        ids = ids[ids != PAD_ID].astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= len(lookup)):
            raise ValueError(
                f"X[{i}] holds ids outside [0, {len(lookup) - 1}], the range of "
                "this vocabulary."
            )
        out.append(lookup[ids].tolist())
    return out


class TextVectorizer(TransformerMixin, BaseEstimator):
    """Turn documents into sequences of token ids for recurrent models.

    Each document becomes a 1-D int64 array of ids, in reading order. Id 0 is
    reserved for padding and id 1 for out-of-vocabulary tokens; the tokens of
    the vocabulary get ids 2, 3, ... from the most to the least frequent
    (ties broken alphabetically, so the result does not depend on input
    order). The output is the token sequence input kind of sklearn_seq.

    A document is either a raw string, split with ``token_pattern``, or a
    pre-tokenised list of strings, kept token for token (one id per token, as
    a sequence tagger needs for per-token labels). A document without any
    token (an empty string or list, or a string in which ``token_pattern``
    finds nothing, such as ``"..."`` with ``token_pattern=r"\\w+"``) becomes
    ``[1]`` (a single out-of-vocabulary id), since every sequence needs at
    least one step; ``handle_empty`` says whether that is warned about.

    Parameters
    ----------
    lowercase : bool, default=True
        Convert tokens to lowercase (raw strings and pre-tokenised lists).

    token_pattern : str, default=r"(?u)\\w+|[^\\w\\s]"
        Regular expression that finds the tokens of a raw string: by default
        every run of word characters (one-letter words such as "a" and "I"
        included) and every punctuation character on its own, so that
        ``"not bad!"`` keeps its ``"!"``. A sequence model reads word order
        and punctuation, unlike a bag of words: the pattern of
        :class:`sklearn.feature_extraction.text.CountVectorizer`,
        ``r"(?u)\\b\\w\\w+\\b"``, which drops both, was the default before
        and scored lower (see the Notes). If the pattern has one capturing
        group, the group is the token. Unused for pre-tokenised documents.

    max_tokens : int, default=None
        Keep at most this many tokens (the most frequent), not counting the
        reserved ids 0 and 1. All tokens when None.

    min_freq : int, default=1
        Drop tokens seen fewer than ``min_freq`` times in the training corpus.

    oov_token : str, default="<unk>"
        Token that stands for id 1 in :meth:`inverse_transform` and
        :meth:`get_vocabulary`. If it occurs in the corpus, it maps to id 1.
        The estimators rely on this convention: their word dropout replaces
        training tokens by id 1, and the embedding row of id 1 starts at zero.

    handle_empty : {"warn", "error", "ignore"}, default="warn"
        What to do with documents that hold no token. "warn": they become
        ``[1]`` (one out-of-vocabulary id) and a :class:`UserWarning` names
        their indices, since a model then reads a word that is not there (a
        sequence tagger gives such a sentence one tag, a seq2seq model learns
        the target ``"<unk>"``). "error": raise a :class:`ValueError` naming
        them. "ignore": they become ``[1]`` silently.

    Attributes
    ----------
    vocabulary_ : dict
        Mapping of tokens to ids (all >= 2).

    vocabulary_size_ : int
        ``len(vocabulary_) + 2``: the number of rows an embedding table needs
        (ids 0 to ``vocabulary_size_ - 1``).

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Bag-of-words counts.
    SequencePadder : Pad token id sequences to one length.

    Notes
    -----
    Ids 0 (padding, :data:`PAD_ID`) and 1 (out of vocabulary,
    :data:`OOV_ID`) are the token-input convention of sklearn_seq: the
    estimators' ``word_dropout`` replaces training tokens by id 1 so that its
    embedding is trained for the words met only at prediction.

    The default ``token_pattern`` keeps punctuation and one-character words.
    On real sentences with labels (a Japanese NER corpus, sentence
    classification) through this vectorizer and a BiGRU, the old default,
    which drops them, scored lower; see ``benchmarks/notes_token_models.md``.

    Examples
    --------
    >>> from sklearn_seq.preprocessing import TextVectorizer
    >>> docs = ["The cat sat.", "The dog sat on the mat!"]
    >>> vec = TextVectorizer().fit(docs)
    >>> vec.vocabulary_
    {'the': 2, 'sat': 3, '!': 4, '.': 5, 'cat': 6, 'dog': 7, 'mat': 8, 'on': 9}
    >>> [ids.tolist() for ids in vec.transform(["the cat ate a mat"])]
    [[2, 6, 1, 1, 8]]
    >>> vec.inverse_transform([[2, 6, 1, 1, 8]])
    [['the', 'cat', '<unk>', '<unk>', 'mat']]
    >>> [ids.tolist() for ids in vec.transform([["The", "cat", "?"]])]
    [[2, 6, 1]]

    A document without tokens becomes one out-of-vocabulary id, with a warning
    unless ``handle_empty="ignore"``:

    >>> vec.set_params(handle_empty="ignore")
    TextVectorizer(handle_empty='ignore')
    >>> [ids.tolist() for ids in vec.transform(["the cat", ""])]
    [[2, 6], [1]]
    """

    _parameter_constraints: ClassVar[dict] = {
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "max_tokens": [Interval(Integral, 1, None, closed="left"), None],
        "min_freq": [Interval(Integral, 1, None, closed="left")],
        "oov_token": [str],
        "handle_empty": [StrOptions({"warn", "error", "ignore"})],
    }

    def __init__(
        self,
        *,
        lowercase=True,
        token_pattern=r"(?u)\w+|[^\w\s]",
        max_tokens=None,
        min_freq=1,
        oov_token="<unk>",
        handle_empty="warn",
    ):
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.max_tokens = max_tokens
        self.min_freq = min_freq
        self.oov_token = oov_token
        self.handle_empty = handle_empty

    def _compile(self):
        """The compiled ``token_pattern``, with a clear error when it is broken."""
        try:
            pattern = re.compile(self.token_pattern)
        except re.error as exc:
            raise ValueError(
                f"token_pattern={self.token_pattern!r} is not a valid regular "
                f"expression: {exc}."
            ) from exc
        if pattern.groups > 1:
            raise ValueError(
                "token_pattern has more than one capturing group; use at most "
                "one (it then captures the token)."
            )
        return pattern

    def _tokenize(self, X):
        """Return one list of tokens per document (empty lists included)."""
        if isinstance(X, str | bytes):
            raise TypeError(
                "Iterable over raw text documents expected, string object "
                "received. Pass a list of documents, e.g. [text]."
            )
        pattern = self._compile()
        docs = []
        for i, doc in enumerate(X):
            if isinstance(doc, str):
                docs.append(pattern.findall(doc.lower() if self.lowercase else doc))
            elif isinstance(doc, list | tuple | np.ndarray):
                for tok in doc:
                    if not isinstance(tok, str):
                        raise TypeError(
                            f"X[{i}] is a pre-tokenised document holding "
                            f"{type(tok).__name__} {tok!r}; tokens must be "
                            "strings."
                        )
                docs.append([t.lower() for t in doc] if self.lowercase else list(doc))
            else:
                raise TypeError(
                    f"X[{i}] is a {type(doc).__name__}; expected a string or a "
                    "list of string tokens."
                )
        if not docs:
            raise ValueError("X is empty; TextVectorizer needs at least one document.")
        return docs

    def _check_empty(self, docs):
        """Warn about (or refuse) the documents without tokens, by index."""
        if self.handle_empty == "ignore":
            return
        empty = [i for i, doc in enumerate(docs) if not doc]
        if not empty:
            return
        shown = ", ".join(f"X[{i}]" for i in empty[:5])
        if len(empty) > 5:
            shown += ", ..."
        what = (
            f"{len(empty)} document{'s' if len(empty) > 1 else ''} of X "
            f"({shown}) hold{'' if len(empty) > 1 else 's'} no token (empty, or "
            f"nothing matches token_pattern={self.token_pattern!r})"
        )
        if self.handle_empty == "error":
            raise ValueError(
                f"{what}. Drop them, or set handle_empty='warn' to map each to "
                "[1], a single out-of-vocabulary id."
            )
        warnings.warn(
            f"{what}; each becomes [1], a single out-of-vocabulary id, so a "
            "model reads one unknown word there. Drop them, or set "
            "handle_empty='error' to raise or 'ignore' to silence this warning.",
            UserWarning,
            stacklevel=3,
        )

    def _fit(self, docs):
        counts = Counter(tok for doc in docs for tok in doc)
        counts.pop(self.oov_token, None)
        tokens = sorted(
            (tok for tok, c in counts.items() if c >= self.min_freq),
            key=lambda tok: (-counts[tok], tok),
        )
        if self.max_tokens is not None:
            tokens = tokens[: self.max_tokens]
        if not tokens:
            raise ValueError(
                "Empty vocabulary: no token passes min_freq="
                f"{self.min_freq} (or the documents hold no token matching "
                "token_pattern)."
            )
        self.vocabulary_ = {tok: i for i, tok in enumerate(tokens, start=2)}
        self.vocabulary_size_ = len(tokens) + 2
        return self

    def _transform(self, docs):
        vocab = self.vocabulary_
        out = []
        for doc in docs:
            ids = np.fromiter((vocab.get(t, OOV_ID) for t in doc), np.int64, len(doc))
            out.append(ids if len(ids) else np.array([OOV_ID], dtype=np.int64))
        return out

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary of a corpus.

        Parameters
        ----------
        X : iterable of str or of list of str
            Raw documents or pre-tokenised documents.

        y : None
            Ignored.

        Returns
        -------
        self : TextVectorizer
            The fitted vectorizer.
        """
        docs = self._tokenize(X)
        self._check_empty(docs)
        return self._fit(docs)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Learn the vocabulary and return the token id sequences.

        Parameters
        ----------
        X : iterable of str or of list of str
            Raw documents or pre-tokenised documents.

        y : None
            Ignored.

        Returns
        -------
        X_ids : list of ndarray of shape (n_tokens_i,)
            One int64 id sequence per document; a document without tokens
            gives ``[1]`` (see ``handle_empty``).
        """
        docs = self._tokenize(X)
        self._check_empty(docs)
        return self._fit(docs)._transform(docs)

    def transform(self, X):
        """Map documents to token id sequences.

        Parameters
        ----------
        X : iterable of str or of list of str
            Raw documents or pre-tokenised documents.

        Returns
        -------
        X_ids : list of ndarray of shape (n_tokens_i,)
            One int64 id sequence per document; unknown tokens get id 1, and
            a document without tokens gives ``[1]`` (see ``handle_empty``).
        """
        check_is_fitted(self)
        docs = self._tokenize(X)
        self._check_empty(docs)
        return self._transform(docs)

    def get_vocabulary(self):
        """Return the tokens in id order, reserved ids included.

        Returns
        -------
        vocabulary : list of str
            ``vocabulary[i]`` is the token of id ``i``: ``""`` for padding
            (0), ``oov_token`` (1), then the learnt tokens.
        """
        check_is_fitted(self)
        return ["", self.oov_token, *self.vocabulary_]

    def inverse_transform(self, X):
        """Map token id sequences back to tokens.

        Parameters
        ----------
        X : list of sequences of int, or array-like of shape \
                (n_samples, n_timesteps)
            Token ids, possibly padded with 0 (padding is dropped).

        Returns
        -------
        X_tokens : list of list of str
            The tokens of each sequence; id 1 gives ``oov_token``.
        """
        check_is_fitted(self)
        return _inverse(self.get_vocabulary(), X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags
