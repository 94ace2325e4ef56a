# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Vocabularies of pre-tokenised sentences and of characters, ids in sorted order."""

from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from sklearn_seq.preprocessing._text import OOV_ID, _inverse
from sklearn_seq.utils._param_validation import StrOptions, _fit_context

__all__ = ["CharVocabulary", "TokenVocabulary"]


def _documents(X, name):
    """``X`` as a list, refusing a lone string and an empty collection."""
    if isinstance(X, str | bytes):
        raise TypeError(
            f"{name} takes a list of documents, got a single string; pass [document]."
        )
    if not hasattr(X, "__iter__"):
        raise TypeError(f"{name} takes a list of documents, got {type(X).__name__}.")
    docs = list(X)
    if not docs:
        raise ValueError(f"X is empty; {name} needs at least one document.")
    return docs


class TokenVocabulary(TransformerMixin, BaseEstimator):
    """Map pre-tokenised sentences to token ids, one id per token.

    Each sentence (a list of string tokens) becomes a 1-D int64 array of the
    same length, so that per-token labels stay aligned, as a sequence tagger
    needs. Id 0 is reserved for padding and id 1 for tokens not seen in
    :meth:`fit`; the distinct tokens of the training corpus get ids 2, 3, ...
    in sorted (code point) order, whatever their frequency. The output is the
    token sequence input kind of sklearn_seq.

    Parameters
    ----------
    lowercase : bool, default=True
        Lowercase the tokens before looking them up, in :meth:`fit` and
        :meth:`transform` (``"The"`` and ``"the"`` then share an id).

    oov_token : str, default="<unk>"
        Token that stands for id 1 in :meth:`inverse_transform` and
        :meth:`get_vocabulary`. Unlike in :class:`TextVectorizer`, a
        training token equal to it keeps an id of its own.

    Attributes
    ----------
    vocabulary_ : dict
        Mapping of (lowercased, with ``lowercase=True``) tokens to ids (all
        >= 2), in id order.

    vocabulary_size_ : int
        ``len(vocabulary_) + 2``: the number of rows an embedding table needs
        (ids 0 to ``vocabulary_size_ - 1``).

    See Also
    --------
    TextVectorizer : Raw or pre-tokenised text to ids, most frequent first,
        with a size limit.
    CharVocabulary : Strings to character ids.
    sklearn_seq.SequenceTagger : Builds this vocabulary itself from token
        strings (``token_vectorizer_``).

    Notes
    -----
    This is the word vocabulary of :class:`~sklearn_seq.SequenceTagger`: a
    tagger fitted on token strings holds its fitted instance as
    ``token_vectorizer_`` (and, with the character CNN, one with
    ``lowercase=False`` as ``surface_vectorizer_``), so putting this
    transformer in front of a tagger fitted on ids gives the same ids.
    Sorted ids, unlike :class:`TextVectorizer`'s frequency order, do not
    depend on counts, and a sentence without tokens stays empty rather than
    becoming ``[1]``.

    Examples
    --------
    >>> from sklearn_seq.preprocessing import TokenVocabulary
    >>> X = [["The", "cat", "sat"], ["the", "dog", "sat", "."]]
    >>> vocab = TokenVocabulary().fit(X)
    >>> vocab.vocabulary_
    {'.': 2, 'cat': 3, 'dog': 4, 'sat': 5, 'the': 6}
    >>> [ids.tolist() for ids in vocab.transform([["The", "bird", "sat"]])]
    [[6, 1, 5]]
    >>> vocab.inverse_transform([[6, 1, 5, 0, 0]])
    [['the', '<unk>', 'sat']]

    In a pipeline, in front of a model that reads token ids:

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_seq.preprocessing import SequencePadder
    >>> pipe = make_pipeline(TokenVocabulary(lowercase=False),
    ...                      SequencePadder(padding="post"))
    >>> pipe.fit_transform(X)
    array([[3, 4, 6, 0],
           [7, 5, 6, 2]])
    """

    _parameter_constraints: ClassVar[dict] = {
        "lowercase": ["boolean"],
        "oov_token": [str],
    }

    def __init__(self, *, lowercase=True, oov_token="<unk>"):
        self.lowercase = lowercase
        self.oov_token = oov_token

    def _sentences(self, X):
        """One list of (lowercased) tokens per sentence, types checked."""
        sentences = []
        for i, sent in enumerate(_documents(X, type(self).__name__)):
            if isinstance(sent, str | bytes):
                raise TypeError(
                    f"X[{i}] is a string ({sent[:30]!r}); TokenVocabulary takes "
                    "pre-tokenised sentences (lists of str), e.g. text.split(). "
                    "Use TextVectorizer for raw text or CharVocabulary for "
                    "characters."
                )
            if not isinstance(sent, list | tuple | np.ndarray):
                raise TypeError(
                    f"X[{i}] is a {type(sent).__name__}; expected a list of "
                    "string tokens."
                )
            for tok in sent:
                if not isinstance(tok, str):
                    raise TypeError(
                        f"X[{i}] holds {type(tok).__name__} {tok!r}; a sentence "
                        "is a list of str tokens."
                    )
            sentences.append([t.lower() for t in sent] if self.lowercase else sent)
        return sentences

    def _fit(self, sentences):
        tokens = sorted({tok for sent in sentences for tok in sent})
        self.vocabulary_ = {tok: i for i, tok in enumerate(tokens, start=2)}
        self.vocabulary_size_ = len(tokens) + 2
        return self

    def _transform(self, sentences):
        vocab = self.vocabulary_
        return [
            np.fromiter((vocab.get(t, OOV_ID) for t in sent), np.int64, len(sent))
            for sent in sentences
        ]

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary of pre-tokenised sentences.

        Parameters
        ----------
        X : iterable of list of str
            Pre-tokenised sentences.

        y : None
            Ignored.

        Returns
        -------
        self : TokenVocabulary
            The fitted vocabulary.
        """
        return self._fit(self._sentences(X))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Learn the vocabulary and return the token id sequences.

        Parameters
        ----------
        X : iterable of list of str
            Pre-tokenised sentences.

        y : None
            Ignored.

        Returns
        -------
        X_ids : list of ndarray of shape (n_tokens_i,)
            One int64 id sequence per sentence, one id per token.
        """
        sentences = self._sentences(X)
        return self._fit(sentences)._transform(sentences)

    def transform(self, X):
        """Map pre-tokenised sentences to token id sequences.

        Parameters
        ----------
        X : iterable of list of str
            Pre-tokenised sentences.

        Returns
        -------
        X_ids : list of ndarray of shape (n_tokens_i,)
            One int64 id sequence per sentence, one id per token; tokens not
            seen in :meth:`fit` get id 1.
        """
        check_is_fitted(self)
        return self._transform(self._sentences(X))

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
            The tokens of each sequence (lowercased with ``lowercase=True``);
            id 1 gives ``oov_token``.
        """
        check_is_fitted(self)
        return _inverse(self.get_vocabulary(), X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


class CharVocabulary(TransformerMixin, BaseEstimator):
    """Map strings to sequences of character ids.

    Each string becomes a 1-D int64 array with one id per character. Id 0 is
    reserved for padding; the distinct characters of the training strings get
    the next ids in sorted (code point) order. With
    ``handle_unknown="oov"`` id 1 is reserved for characters not seen in
    :meth:`fit` and the characters start at 2; with ``"error"`` no id is
    reserved for them, the characters start at 1 and an unseen character
    raises.

    Parameters
    ----------
    handle_unknown : {"oov", "error"}, default="oov"
        What :meth:`transform` does with a character not seen in :meth:`fit`:
        map it to id 1 ("oov"), or raise a :class:`ValueError` naming it
        ("error"), which also leaves id 1 to the first character.

    oov_token : str, default="\\ufffd"
        What id 1 stands for in :meth:`inverse_transform` and
        :meth:`get_vocabulary` with ``handle_unknown="oov"`` (by default the
        Unicode replacement character). Unused with ``"error"``.

    Attributes
    ----------
    vocabulary_ : dict
        Mapping of characters to ids, in id order (from 2, or from 1 with
        ``handle_unknown="error"``).

    vocabulary_size_ : int
        The number of rows an embedding table needs: ``len(vocabulary_) + 2``,
        or ``+ 1`` with ``handle_unknown="error"``.

    See Also
    --------
    TokenVocabulary : Pre-tokenised sentences to token ids.
    TextVectorizer : Raw text to word ids.

    Notes
    -----
    This is the character vocabulary of the estimators:
    :class:`~sklearn_seq.Seq2SeqEstimator` uses one with
    ``handle_unknown="error"`` for string sources and targets when
    ``vectorizer`` is None (``source_vectorizer_``, ``target_vectorizer_``),
    and :class:`~sklearn_seq.SequenceTagger`'s character CNN spells the
    tokens with one with ``handle_unknown="oov"``, fitted on the distinct
    training tokens (``char_vectorizer_``).

    Examples
    --------
    >>> from sklearn_seq.preprocessing import CharVocabulary
    >>> chars = CharVocabulary().fit(["abba", "cab"])
    >>> chars.vocabulary_
    {'a': 2, 'b': 3, 'c': 4}
    >>> [ids.tolist() for ids in chars.transform(["cad"])]
    [[4, 2, 1]]
    >>> chars.inverse_transform([[4, 2, 3, 0]])
    ['cab']

    Without an id for unseen characters:

    >>> strict = CharVocabulary(handle_unknown="error").fit(["abba", "cab"])
    >>> strict.vocabulary_
    {'a': 1, 'b': 2, 'c': 3}
    >>> strict.transform(["cad"])
    Traceback (most recent call last):
        ...
    ValueError: X[0] = 'cad' holds characters ['d'] not seen in fit; ...
    """

    _parameter_constraints: ClassVar[dict] = {
        "handle_unknown": [StrOptions({"oov", "error"})],
        "oov_token": [str],
    }

    def __init__(self, *, handle_unknown="oov", oov_token="\ufffd"):
        self.handle_unknown = handle_unknown
        self.oov_token = oov_token

    def _strings(self, X):
        docs = _documents(X, type(self).__name__)
        for i, doc in enumerate(docs):
            if not isinstance(doc, str):
                raise TypeError(
                    f"X[{i}] is a {type(doc).__name__}; CharVocabulary takes a "
                    "list of strings."
                )
        return docs

    def _fit(self, docs):
        chars = sorted({c for doc in docs for c in doc})
        start = 1 if self.handle_unknown == "error" else 2
        self.vocabulary_ = {c: i for i, c in enumerate(chars, start=start)}
        self.vocabulary_size_ = len(chars) + start
        return self

    def _transform(self, docs):
        vocab = self.vocabulary_
        if self.handle_unknown == "oov":
            return [
                np.fromiter((vocab.get(c, OOV_ID) for c in doc), np.int64, len(doc))
                for doc in docs
            ]
        out = []
        for i, doc in enumerate(docs):
            unknown = sorted({c for c in doc if c not in vocab})
            if unknown:
                raise ValueError(
                    f"X[{i}] = {doc!r} holds characters {unknown} not seen in "
                    "fit; the character vocabulary cannot encode them. Fit on "
                    "data covering every character, or map them first."
                )
            out.append(np.array([vocab[c] for c in doc], dtype=np.int64))
        return out

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the characters of a list of strings.

        Parameters
        ----------
        X : iterable of str
            Strings.

        y : None
            Ignored.

        Returns
        -------
        self : CharVocabulary
            The fitted vocabulary.
        """
        return self._fit(self._strings(X))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Learn the characters and return the character id sequences.

        Parameters
        ----------
        X : iterable of str
            Strings.

        y : None
            Ignored.

        Returns
        -------
        X_ids : list of ndarray of shape (n_characters_i,)
            One int64 id sequence per string.
        """
        docs = self._strings(X)
        return self._fit(docs)._transform(docs)

    def transform(self, X):
        """Map strings to character id sequences.

        Parameters
        ----------
        X : iterable of str
            Strings.

        Returns
        -------
        X_ids : list of ndarray of shape (n_characters_i,)
            One int64 id sequence per string (empty for an empty string).

        Raises
        ------
        ValueError
            With ``handle_unknown="error"``, when a string holds a character
            not seen in :meth:`fit`.
        """
        check_is_fitted(self)
        return self._transform(self._strings(X))

    def get_vocabulary(self):
        """Return the characters in id order, reserved ids included.

        Returns
        -------
        vocabulary : list of str
            ``vocabulary[i]`` is the character of id ``i``: ``""`` for
            padding (0), ``oov_token`` (1, with ``handle_unknown="oov"``),
            then the learnt characters.
        """
        check_is_fitted(self)
        reserved = [""] if self.handle_unknown == "error" else ["", self.oov_token]
        return [*reserved, *self.vocabulary_]

    def inverse_transform(self, X):
        """Map character id sequences back to strings.

        Parameters
        ----------
        X : list of sequences of int, or array-like of shape \
                (n_samples, n_timesteps)
            Character ids, possibly padded with 0 (padding is dropped).

        Returns
        -------
        X_strings : list of str
            The string of each sequence; id 1 gives ``oov_token`` with
            ``handle_unknown="oov"``.
        """
        check_is_fitted(self)
        return ["".join(chars) for chars in _inverse(self.get_vocabulary(), X)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags
