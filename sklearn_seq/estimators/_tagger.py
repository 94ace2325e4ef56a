# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""SequenceTagger: one label per step (NER, POS tagging), BiLSTM and BiLSTM-CRF."""

import numpy as np
import torch
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight

from sklearn_seq.estimators._base import (
    BaseSequenceNet,
)
from sklearn_seq.estimators._params import (
    _POSITIVE_INT,
    BIDIRECTIONAL,
    CELL,
    CLASS_WEIGHT,
    DISTRIBUTED,
    DROPOUT,
    EMBEDDING,
    HIDDEN_SIZE,
    NUM_LAYERS,
    RECURRENT,
    RUNTIME,
    TRAINING,
    WORD_DROPOUT,
    Param,
    with_parameters,
)
from sklearn_seq.nn.crf import allowed_transitions
from sklearn_seq.nn.tagger import OOV_ID, TaggerNet, TaggingLoss
from sklearn_seq.preprocessing import CharVocabulary, TokenVocabulary
from sklearn_seq.utils import IGNORE_INDEX, Sequences
from sklearn_seq.utils._param_validation import (
    StrOptions,
)

__all__ = ["SequenceTagger"]

#: Characters per token seen by the character CNN (longer tokens are cut).
MAX_CHARS = 20

#: Encoders with one output per step ("tcn" is the non-causal temporal
#: convolutional network with its paper's sizes; FCN and LSTM-FCN pool whole
#: sequences and are not offered here).
TAGGER_CELLS = ("rnn", "lstm", "gru", "transformer", "tcn")


def _is_token_strings(X):
    """Whether X is a list of pre-tokenised sentences (lists of str)."""
    if isinstance(X, str | bytes) or not hasattr(X, "__len__") or len(X) == 0:
        return False
    if isinstance(X, np.ndarray) and X.dtype != object:
        return X.dtype.kind in "US"
    # the first non-empty sentence decides, so that an empty first sentence
    # is reported as such rather than as a change of input kind
    first = next((x for x in X if not hasattr(x, "__len__") or len(x)), X[0])
    if isinstance(first, str):
        return True  # raw strings: rejected with a clear message below
    if isinstance(first, np.ndarray):
        return first.dtype.kind in "US" or (
            first.dtype == object and len(first) > 0 and isinstance(first[0], str)
        )
    if isinstance(first, list | tuple) and len(first) > 0:
        return isinstance(first[0], str)
    return False


def _infer_scheme(classes):
    """'bio' or 'iobes' when every label is a valid tag of the scheme."""
    if not all(isinstance(c, str) for c in classes):
        return None
    names = list(classes)
    for scheme in ("bio", "iobes"):
        try:
            allowed_transitions(scheme, names)
        except ValueError:
            continue
        return scheme
    return None


TAGGER_CELL = CELL.but(
    constraints=[StrOptions(set(TAGGER_CELLS))],
    type='{"rnn", "lstm", "gru", "transformer", "tcn"}',
    doc="""
        Encoder: vanilla RNN, LSTM, GRU, a transformer encoder (positional
        encoding, key-padding mask, ``hidden_size`` as ``d_model``), or a
        non-causal TCN (dilated residual convolutions that never see padded
        steps; 64 filters, kernel 3, dilations 1, 2, 4, 8).""",
)

CRF = Param(
    "crf",
    False,
    ["boolean"],
    "bool",
    """
        Add a linear-chain CRF over the per-step scores. The loss becomes the
        CRF negative log-likelihood (per real step); ``criterion`` and
        ``class_weight`` must then stay None.""",
)

CRF_CONSTRAINTS = Param(
    "crf_constraints",
    None,
    [None, StrOptions({"bio", "iobes", "auto"})],
    '{"bio", "iobes", "auto"} or None',
    """
        Transitions the CRF forbids (``O -> I-X``, ``B-X -> I-Y``, ...), so
        decoded paths are always well-formed. Labels must then be tag names
        (``"O"``, ``"B-PER"``, ...). ``"auto"`` picks ``"bio"`` or
        ``"iobes"`` when every label fits the scheme, else no constraint.
        Training sequences must follow the scheme (IOB1 data, where ``I-X``
        may open an entity, does not fit ``"bio"``). Ignored without ``crf``.""",
)

CHAR_EMBEDDING_DIM = Param(
    "char_embedding_dim",
    None,
    [None, _POSITIVE_INT],
    "int",
    """
        When ``X`` holds token strings: size of a character embedding fed to a
        character CNN (``char_n_filters`` filters, window 3, max-pooled over
        at most 20 characters per token), whose output is concatenated to the
        word embedding, so words unseen in training still get a representation
        from their spelling and case. None disables it.""",
)

CHAR_N_FILTERS = Param(
    "char_n_filters",
    50,
    [_POSITIVE_INT],
    "int",
    """
        Filters of the character CNN, i.e. the size of its output per token
        (Ma and Hovy use 30). Ignored without ``char_embedding_dim``.""",
)

LOWERCASE = Param(
    "lowercase",
    True,
    ["boolean"],
    "bool",
    """
        When ``X`` holds token strings: look words up in the word embedding in
        lowercase (``"The"`` and ``"the"`` share a vector, as do a capitalised
        name and its lowercase form), while the character CNN still spells
        the original token, case included. Without the character CNN the case
        is then lost; try ``lowercase=False`` for NER without
        ``char_embedding_dim`` (on the synthetic NER data, whose names also
        occur in lowercase, lowercasing still scored higher).""",
)


@with_parameters(
    TAGGER_CELL,
    HIDDEN_SIZE,
    NUM_LAYERS,
    BIDIRECTIONAL.but(
        default=True,
        doc="""
            Add a backward direction (recurrent cells), on by default: a tag
            depends on the words after it too. Padding never reaches the
            backward direction.""",
    ),
    DROPOUT,
    RECURRENT,
    EMBEDDING,
    CRF,
    CRF_CONSTRAINTS,
    CHAR_EMBEDDING_DIM,
    CHAR_N_FILTERS,
    LOWERCASE,
    WORD_DROPOUT.but(
        doc="""
            During training, probability of replacing a token by the
            out-of-vocabulary id 1, so that the model learns what to do with words
            it never saw (Lample et al. replace singletons); padding is never
            replaced. Token input only. The OOV embedding starts at zero, so an
            unseen word is neutral even without word dropout; 0.05 did not help
            on top of that where measured (``benchmarks/notes_token_models.md``).""",
    ),
    TRAINING,
    CLASS_WEIGHT.but(
        doc="""
            Tag weights given to the criterion's ``weight`` (not with
            ``crf=True``). ``"balanced"`` is
            :func:`sklearn.utils.class_weight.compute_class_weight` over all
            training steps; a dict maps labels to weights (missing labels weigh 1).""",
    ),
    RUNTIME,
    DISTRIBUTED,
)
class SequenceTagger(BaseSequenceNet):
    """Neural sequence tagger (BiLSTM, BiLSTM-CRF) on skorch: one label per step.

    For named-entity recognition, part-of-speech tagging, chunking or
    per-timestep labelling of numeric series. An encoder (by default a
    bidirectional LSTM) reads the whole sequence and a linear layer scores
    every tag at every step. With ``crf=False`` each step is classified on its
    own (softmax, cross-entropy); with ``crf=True`` a linear-chain CRF scores
    tag transitions, training maximises the likelihood of whole tag paths and
    :meth:`predict` returns the best path (Viterbi), the BiLSTM-CRF of Lample
    et al. (2016).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Tags seen in :meth:`fit` (sorted), in the order of the
        :meth:`predict_proba` columns.

    class_weight_ : ndarray of shape (n_classes,) or None
        Weights given to the criterion.

    crf_constraints_ : {{"bio", "iobes"}} or None
        Constraints used by the CRF.

    vocabulary_ : dict or None
        When ``X`` holds token strings: word -> row of the word embedding
        (ids from 2; 0 is padding, 1 is out of vocabulary). Words are
        lowercased with ``lowercase=True``, else kept as they are.

    surface_vocabulary_ : dict or None
        With the character CNN: original token -> input id (ids from 2), the
        ids the character CNN spells; each maps to the row of its
        (lowercased) word in ``vocabulary_``. None without the CNN.

    char_vocabulary_ : dict or None
        Character -> id of the character CNN (ids from 2; 1 is unknown).

    token_vectorizer_ : TokenVocabulary or None
        When ``X`` holds token strings: the fitted
        :class:`~sklearn_seq.preprocessing.TokenVocabulary` (``lowercase`` as
        given) whose ``vocabulary_`` is ``vocabulary_``.

    surface_vectorizer_ : TokenVocabulary or None
        With the character CNN: the fitted ``TokenVocabulary(lowercase=False)``
        whose ``vocabulary_`` is ``surface_vocabulary_``.

    char_vectorizer_ : CharVocabulary or None
        With the character CNN: the fitted
        :class:`~sklearn_seq.preprocessing.CharVocabulary` (fitted on the
        distinct training tokens) whose ``vocabulary_`` is
        ``char_vocabulary_``.

    {shared_attributes}

    See Also
    --------
    SequenceClassifier : One label per sequence.
    sklearn_seq.preprocessing.TextVectorizer : Token strings to ids, for a
        :class:`~sklearn.pipeline.Pipeline` in front of the tagger.
    sklearn_seq.preprocessing.TokenVocabulary : The tagger's own word
        vocabulary, usable in a :class:`~sklearn.pipeline.Pipeline` too.

    Notes
    -----
    ``X`` is any input kind of sklearn_seq (token id lists, numeric ragged or
    3-D arrays) or a list of pre-tokenised sentences (lists of strings), for
    which a vocabulary is built in :meth:`fit` and unseen tokens map to the
    out-of-vocabulary id. ``y`` is a list of per-step label lists of the same
    lengths as ``X``.

    Training batches are random, not length-bucketed like the other
    estimators': buckets cost 0.012 token accuracy on real POS data against a
    plain PyTorch loop (``docs/parity.md``); ``iterator_train__bucket_size=50``
    brings them back where speed on skewed lengths matters more.

    The ``pooling`` parameter of the other estimators does not exist here:
    there is no pooling, every step gets its label. This estimator is not a
    scikit-learn classifier (``is_classifier`` is False): ``y`` is not a 1-D
    label vector, so cross-validation uses :class:`~sklearn.model_selection.KFold`
    and :meth:`score` is the token accuracy. Use
    ``scoring=get_scorer("entity_f1")`` from :mod:`sklearn_seq.metrics` for
    entity-level F1.

    References
    ----------
    Lample, Ballesteros, Subramanian, Kawakami and Dyer (2016), "Neural
    Architectures for Named Entity Recognition". Ma and Hovy (2016),
    "End-to-end Sequence Labeling via Bi-directional LSTM-CNNs-CRF".

    Examples
    --------
    >>> from sklearn_seq.estimators._tagger import SequenceTagger
    >>> X = [["Anna", "lives", "in", "Paris"], ["Paris", "is", "big"]]
    >>> y = [["B-PER", "O", "O", "B-LOC"], ["B-LOC", "O", "O"]]
    >>> tagger = SequenceTagger(hidden_size=8, max_epochs=2, crf=True,
    ...                         crf_constraints="bio", random_state=0)
    >>> tagger.fit(X, y).classes_.tolist()
    ['B-LOC', 'B-PER', 'O']
    >>> pred = tagger.predict([["Bob", "is", "in", "Rome"]])
    >>> len(pred), len(pred[0]), type(pred[0][0]).__name__
    (1, 4, 'str')
    >>> tagger.predict_proba([["Paris", "is"]])[0].shape
    (2, 3)
    """

    # -- input ------------------------------------------------------------
    def _check_X(self, X, *, reset):
        """Sequences of ``X`` (token strings mapped to ids) and extra rows.

        Without the character CNN the ids are rows of the word embedding
        (unseen words -> out-of-vocabulary id 1). With it they are surface ids
        (``surface_vocabulary_``) and, at prediction, tokens unseen in fit get
        ids ``>= len(surface_vocabulary_) + 2`` (one per distinct token) so
        that the CNN can spell them; the second return value then holds their
        ``(char rows, word rows)`` (else None).
        """
        strings = _is_token_strings(X)
        if not strings:
            if reset:
                if self.char_embedding_dim is not None:
                    raise ValueError(
                        "char_embedding_dim needs X as token strings (lists of "
                        "str), to spell the tokens; got ids or numbers. Set "
                        "char_embedding_dim=None."
                    )
                self.token_vectorizer_ = None
                self.surface_vectorizer_ = None
                self.char_vectorizer_ = None
                self.vocabulary_ = None
                self.surface_vocabulary_ = None
                self.char_vocabulary_ = None
            elif self.vocabulary_ is not None:
                raise ValueError(
                    f"{type(self).__name__} was fitted on token strings but X "
                    "holds ids or numbers."
                )
            return super()._validate_X(X, reset=reset), None
        sentences = []
        for i, sent in enumerate(X):
            if isinstance(sent, str | bytes):
                raise TypeError(
                    f"X[{i}] is a string ({sent[:30]!r}); SequenceTagger needs "
                    "one token per label: pass pre-tokenised sentences, e.g. "
                    "text.split()."
                )
            sent = list(sent)
            if not sent:
                raise ValueError(
                    f"X[{i}] is an empty sentence; every sentence "
                    "needs at least one token."
                )
            for tok in sent:
                if not isinstance(tok, str):
                    raise TypeError(
                        f"X[{i}] holds {type(tok).__name__} {tok!r}; a sentence "
                        "is a list of str tokens."
                    )
            sentences.append(sent)
        if reset:
            self.token_vectorizer_ = TokenVocabulary(lowercase=self.lowercase)
            self.vocabulary_ = self.token_vectorizer_.fit(sentences).vocabulary_
            self.surface_vectorizer_ = None
            self.surface_vocabulary_ = None
            self.char_vectorizer_ = None
            self.char_vocabulary_ = None
            if self.char_embedding_dim is not None:
                self.surface_vectorizer_ = TokenVocabulary(lowercase=False)
                self.surface_vectorizer_.fit(sentences)
                self.surface_vocabulary_ = self.surface_vectorizer_.vocabulary_
                # the characters of the distinct tokens, unknown ones -> 1
                self.char_vectorizer_ = CharVocabulary(handle_unknown="oov")
                self.char_vocabulary_ = self.char_vectorizer_.fit(
                    list(self.surface_vocabulary_)
                ).vocabulary_
        elif self.vocabulary_ is None:
            raise ValueError(
                f"{type(self).__name__} was fitted on ids or numbers but X "
                "holds token strings."
            )
        surface = self.surface_vectorizer_
        ids = (self.token_vectorizer_ if surface is None else surface).transform(
            sentences
        )
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        values = np.concatenate(ids)
        unseen = {}
        if surface is not None and not reset:
            # tokens unseen in fit get ids past the surface vocabulary, one
            # per distinct token in order of appearance, spelled by the CNN
            first_new = len(self.surface_vocabulary_) + 2
            flat = [tok for sent in sentences for tok in sent]
            for i in np.flatnonzero(values == OOV_ID).tolist():
                values[i] = unseen.setdefault(flat[i], first_new + len(unseen))
        seqs = Sequences(values, lengths, "tokens")
        if reset:
            self.input_kind_ = "tokens"
            self.vocab_size_ = len(self.vocabulary_) + 2
            self.n_features_in_ = 1
        if not unseen:
            return seqs, None
        return seqs, (self._char_table(list(unseen)), self._word_rows(list(unseen)))

    def _word_rows(self, tokens):
        """Word-embedding ids of surface ``tokens`` (unknown words -> 1)."""
        return self.token_vectorizer_.transform([tokens])[0]

    def _char_table(self, tokens):
        """Character id rows of ``tokens``, cut at ``MAX_CHARS`` (unknown -> 1)."""
        table = np.zeros((len(tokens), MAX_CHARS), dtype=np.int64)
        for i, row in enumerate(self.char_vectorizer_.transform(tokens)):
            row = row[:MAX_CHARS]
            table[i, : len(row)] = row
        return table

    def _validate_y(self, y, seqs):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        if isinstance(y, str | bytes) or not hasattr(y, "__len__"):
            raise ValueError(
                "y must be a list of per-step label lists, one per sequence; got "
                f"{type(y).__name__}."
            )
        y = list(y)
        if len(y) != seqs.n_samples:
            raise ValueError(
                f"X has {seqs.n_samples} sequences but y has {len(y)} label sequences."
            )
        rows = []
        for i, (labels, n) in enumerate(zip(y, seqs.lengths.tolist(), strict=True)):
            if isinstance(labels, str | bytes) or np.ndim(labels) != 1:
                raise ValueError(
                    f"y[{i}] must be a 1-D sequence of labels, one per step of "
                    f"X[{i}]; got {labels!r:.60}."
                )
            labels = np.asarray(labels)
            if len(labels) != n:
                raise ValueError(
                    f"y[{i}] has {len(labels)} labels but X[{i}] has {n} steps; "
                    "a tagger needs one label per step."
                )
            rows.append(labels)
        flat = np.concatenate(rows)
        check_classification_targets(flat)
        return flat

    # -- fit --------------------------------------------------------------
    def _build_module(self, seqs, n_outputs):
        tokens = seqs.is_tokens
        char_table = None
        n_chars = None
        word_map = None
        if self.char_vocabulary_ is not None:
            surface = self.surface_vocabulary_
            inverse = list(surface)  # the surface tokens in id order
            char_table = np.zeros((len(surface) + 2, MAX_CHARS), dtype=np.int64)
            char_table[2:] = self._char_table(inverse)
            n_chars = len(self.char_vocabulary_) + 2
            word_map = np.concatenate([[0, OOV_ID], self._word_rows(inverse)])
        return TaggerNet(
            None if tokens else seqs.n_features,
            n_outputs,
            **self._encoder_kwargs(),
            vocab_size=self.vocab_size_ if tokens else None,
            crf=self.crf,
            crf_constraints=self.crf_constraints_,
            tag_names=[str(c) for c in self.classes_],
            char_table=char_table,
            n_chars=n_chars,
            char_embedding_dim=self.char_embedding_dim or 25,
            char_n_filters=self.char_n_filters,
            word_dropout=self.word_dropout if tokens else 0.0,
            word_map=word_map,
        )

    def _build_criterion(self, default, weight=None):
        if self.crf:
            return TaggingLoss(crf=True)
        return TaggingLoss(super()._build_criterion(default, weight))

    _class_noun = "tags"
    _random_batches = True
    #: task of sklearn_seq.utils.estimator_checks (per-step labels)
    _sequence_task = "tagger"

    def _class_weights(self, codes, n_classes):
        if self.class_weight is not None and self.crf:
            raise ValueError(
                "class_weight weighs the per-step loss; the CRF likelihood is "
                "over whole tag paths. Use crf=False or class_weight=None."
            )
        return super()._class_weights(codes, n_classes)

    def _resolve_constraints(self):
        if not self.crf or self.crf_constraints is None:
            return None
        if self.crf_constraints == "auto":
            return _infer_scheme(self.classes_.tolist())
        if not all(isinstance(c, str) for c in self.classes_.tolist()):
            raise ValueError(
                f"crf_constraints={self.crf_constraints!r} needs tag names as "
                f"labels ('O', 'B-X', ...); got {self.classes_.dtype} labels."
            )
        allowed_transitions(self.crf_constraints, self.classes_.tolist())
        return self.crf_constraints

    def _check_paths(self, codes, lengths):
        """Raise when a training tag path breaks the CRF constraints."""
        start, trans, end = (
            m.numpy()
            for m in allowed_transitions(self.crf_constraints_, self.classes_.tolist())
        )
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        bad = ~start[codes[offsets]] | ~end[codes[offsets + lengths - 1]]
        step_ok = trans[codes[:-1], codes[1:]]
        is_first = np.zeros(len(codes), dtype=bool)
        is_first[offsets] = True
        broken = ~step_ok & ~is_first[1:]
        if broken.any():
            sample = np.searchsorted(offsets, np.argmax(broken) + 1, side="right") - 1
            bad[sample] = True
        if bad.any():
            i = int(np.argmax(bad))
            path = self.classes_[codes[offsets[i] : offsets[i] + lengths[i]]]
            raise ValueError(
                f"y[{i}] = {path.tolist()!r:.120} breaks the "
                f"{self.crf_constraints_.upper()} scheme of "
                f"crf_constraints={self.crf_constraints!r} (e.g. 'O' followed "
                "by 'I-X'). Fix the tags, convert IOB1 to IOB2, or use "
                "crf_constraints=None."
            )

    def fit(self, X, y, sample_weight=None):
        """Fit the tagger on sequences ``X`` and per-step labels ``y``.

        Parameters
        ----------
        X : list of token lists (str or int ids), list of arrays or array-like
            Training sequences: pre-tokenised sentences, token id sequences,
            or numeric sequences of any input kind.
        y : list of array-like
            One label per step of each sequence, labels of any dtype.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sequence weights multiplying each sequence's mean step loss.

        Returns
        -------
        self : SequenceTagger
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    # -- hooks of BaseSequenceNet._fit -----------------------------------------
    def _encode_X(self, X, *, reset):
        return self._check_X(X, reset=reset)[0]

    def _encode_y(self, y, seqs, *, warm):
        if self.crf and (self.criterion is not None or self.criterion_params):
            raise ValueError(
                "crf=True trains with the CRF negative log-likelihood; leave "
                "criterion and criterion_params unset, or use crf=False."
            )
        flat = self._validate_y(y, seqs)
        self.classes_, codes = np.unique(flat, return_inverse=True)
        codes = codes.reshape(-1)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 distinct labels; got "
                f"1 ({self.classes_[0]!r})."
            )
        self.crf_constraints_ = self._resolve_constraints()
        if self.crf_constraints_ is not None:
            self._check_paths(codes, seqs.lengths)
        self.class_weight_ = self._class_weights(codes, n_classes)
        # targets padded with IGNORE_INDEX to the longest sequence; each batch
        # is cut to its own length by TaggingLoss
        dtype = np.int16 if n_classes < np.iinfo(np.int16).max else np.int32
        target = np.full(
            (seqs.n_samples, int(seqs.lengths.max())), IGNORE_INDEX, dtype=dtype
        )
        target[np.arange(target.shape[1]) < seqs.lengths[:, None]] = codes
        return target, n_classes

    def _criterion_weight(self):
        return self.class_weight_

    # -- predict ----------------------------------------------------------
    def _run(self, X, what):
        """Decoded tag ids or marginals of every sequence, in input order."""
        self._check_fitted()
        seqs, extra = self._check_X(X, reset=False)
        net = self.net_
        module = net.module_
        device = net.device
        kwargs = {}
        if extra is not None:
            chars, words = (torch.from_numpy(a) for a in extra)
            kwargs["char_table"] = torch.cat([module.char_table.cpu(), chars]).to(
                device
            )
            kwargs["word_map"] = torch.cat([module.word_map.cpu(), words]).to(device)
        results = [None] * seqs.n_samples
        with self._inference():
            for idx, x, lengths in self._batches(seqs):
                emissions = module(x, lengths, **kwargs)
                if what == "decode":
                    out = module.decode(emissions, lengths)
                else:
                    probs = module.marginals(emissions.double(), lengths)
                    probs = probs.cpu().numpy()
                    out = [p[:n] for p, n in zip(probs, lengths.tolist(), strict=True)]
                for i, row in zip(idx.tolist(), out, strict=True):
                    results[i] = row
        return results

    def predict(self, X):
        """Predicted labels of every step (Viterbi path with ``crf=True``).

        Parameters
        ----------
        X : list of sequences
            Sequences, of the kind seen in :meth:`fit`.

        Returns
        -------
        list of list
            One label list per sequence, of the sequence's length, with labels
            of the type seen in :meth:`fit`.
        """
        return [
            self.classes_[np.asarray(ids, dtype=np.int64)].tolist()
            for ids in self._run(X, "decode")
        ]

    def predict_proba(self, X):
        """Per-step label probabilities; every row sums to 1.

        With ``crf=True`` these are the CRF marginals ``p(y_t = k | x)``
        (forward-backward), whose per-step argmax can differ from the Viterbi
        path of :meth:`predict`; otherwise the per-step softmax.

        Parameters
        ----------
        X : list of sequences
            Sequences, of the kind seen in :meth:`fit`.

        Returns
        -------
        list of ndarray of shape (n_timesteps_i, n_classes)
            Probabilities in the order of ``classes_``, one array per
            sequence.
        """
        return self._run(X, "marginals")

    def score(self, X, y, sample_weight=None):
        """Token accuracy: the fraction of steps whose label is right.

        Parameters
        ----------
        X : list of sequences
            Test sequences.
        y : list of array-like
            True labels, one per step.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sequence weights, given to each of its steps: one finite
            weight per sequence, not all zero (else ``ValueError``).

        Returns
        -------
        float
            Accuracy over all steps. For entity-level F1 use
            :func:`sklearn_seq.metrics.entity_f1_score`.
        """
        pred = self.predict(X)
        if len(y) != len(pred):
            raise ValueError(
                f"X has {len(pred)} sequences but y has {len(y)} label sequences."
            )
        # sklearn's validation: one finite weight per sequence, not all zero
        w = _check_sample_weight(sample_weight, np.empty(len(pred)), dtype=np.float64)
        correct, weights = [], []
        for i, (p, t) in enumerate(zip(pred, y, strict=True)):
            t = np.asarray(t)
            if len(t) != len(p):
                raise ValueError(
                    f"y[{i}] has {len(t)} labels but X[{i}] has {len(p)} steps."
                )
            correct.append(np.asarray(p, dtype=object) == t.astype(object))
            weights.append(np.full(len(t), w[i]))
        correct = np.concatenate(correct)
        weights = np.concatenate(weights)
        return float(np.average(correct, weights=weights))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.three_d_array = True
        return tags
