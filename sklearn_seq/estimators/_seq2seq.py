# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Seq2SeqEstimator: token sequences (or strings) in, token sequences out."""

from numbers import Real

import numpy as np
from sklearn.base import clone

from sklearn_seq.data._seq2seq import Seq2SeqDataset
from sklearn_seq.estimators._base import (
    _PREDICT_BATCH_SIZE,
    BaseSequenceNet,
    _SeqNet,
)
from sklearn_seq.estimators._params import (
    _POSITIVE_INT,
    CELL,
    EMBEDDING,
    ENCODER,
    RUNTIME,
    TRAINING,
    Param,
    with_parameters,
)
from sklearn_seq.metrics._sequence_output import token_accuracy_score
from sklearn_seq.nn.seq2seq import BOS_ID, EOS_ID, N_SPECIAL, Seq2Seq
from sklearn_seq.preprocessing import CharVocabulary, TextVectorizer
from sklearn_seq.utils import Sequences
from sklearn_seq.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
)

__all__ = ["Seq2SeqEstimator"]

# target ids given by the user (>= 1) are shifted past the reserved PAD, BOS
# and EOS ids of the decoder
_TARGET_SHIFT = N_SPECIAL - 1


def _is_text(data):
    return len(data) > 0 and all(isinstance(s, str) for s in data)


def _as_list(data, name):
    if data is None:
        raise ValueError(f"Seq2SeqEstimator requires {name}, got None.")
    if isinstance(data, str | bytes):
        raise TypeError(
            f"{name} is a single string; pass a list of sequences (one per sample)."
        )
    if hasattr(data, "detach"):
        data = data.detach().cpu().numpy()
    data = list(data)
    if not data:
        raise ValueError(f"{name} is empty; need at least one sequence.")
    return data


def _refuse_untokenized(vocab, docs, name, *, reset):
    """Refuse the documents a TextVectorizer finds no token in, by index.

    TextVectorizer maps such a document to ``[1]`` (one unknown word), which a
    seq2seq model would read as a source or learn as a target ``"<unk>"``.
    """
    if not isinstance(vocab, TextVectorizer):
        return
    if reset:
        vocab._validate_params()
    empty = [i for i, toks in enumerate(vocab._tokenize(docs)) if not toks]
    if empty:
        i = empty[0]
        what = "target" if name == "y" else "source"
        more = f" ({len(empty)} {what}s of {name} are empty)" if len(empty) > 1 else ""
        raise ValueError(
            f"{name}[{i}] is an empty {what} sequence; the vectorizer finds no "
            f"token in {docs[i]!r} (token_pattern="
            f"{vocab.token_pattern!r}){more}. Every {what} needs at least one "
            "token; drop these samples or change token_pattern."
        )


def _token_sequences(data, name):
    """Validate a list of 1-D integer sequences with ids >= 1 -> Sequences.

    The per-sequence loop only converts and checks shapes; dtypes and ids are
    checked once on the concatenation (the offending sequence is looked up
    only when something is wrong): 4.5 -> 2 us per sequence.
    """
    arrays = []
    for i, seq in enumerate(data):
        if isinstance(seq, str):
            raise TypeError(
                f"{name} mixes strings and token sequences ({name}[{i}] is a "
                "string); pass all strings or all token id sequences."
            )
        arr = np.asarray(seq)
        if arr.ndim != 1:
            raise ValueError(
                f"{name}[{i}] has shape {arr.shape}; each sequence must be 1-D "
                "(a list of token ids or a string)."
            )
        if not len(arr):
            what = "target" if name == "y" else "source"
            raise ValueError(
                f"{name}[{i}] is an empty {what} sequence; every sequence needs "
                "at least one token (the end-of-sequence token is added "
                "internally)."
            )
        arrays.append(arr)
    lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    if not arrays:
        return Sequences(np.empty(0, np.int64), lengths, "tokens")
    values = np.concatenate(arrays)
    if values.dtype.kind not in "iu" or any(a.dtype.kind not in "iu" for a in arrays):
        for i, arr in enumerate(arrays):
            integral = arr.dtype.kind in "iu" or (
                arr.dtype.kind == "f" and np.all(arr == np.round(arr))
            )
            if not integral:
                raise ValueError(
                    f"{name}[{i}] has dtype {arr.dtype}; expected integer token "
                    "ids (or strings)."
                )
        values = np.concatenate([a.astype(np.int64) for a in arrays])
    values = values.astype(np.int64, copy=False)
    low = values < 1
    if low.any():
        i = int(np.searchsorted(np.cumsum(lengths), np.argmax(low), side="right"))
        raise ValueError(
            f"{name}[{i}] holds token id {int(arrays[i].min())}; ids must be >= 1 "
            "(0 is padding)."
        )
    return Sequences(values, lengths, "tokens")


class _Seq2SeqNet(_SeqNet):
    """skorch net whose loss flattens per-step logits and targets."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = y_true.to(y_pred.device)
        return self.criterion_(y_pred.reshape(-1, y_pred.shape[-1]), y_true.reshape(-1))


SEQ2SEQ_CELL = CELL.but(
    constraints=[StrOptions({"rnn", "lstm", "gru", "transformer"})],
    type='{"rnn", "lstm", "gru", "transformer"}',
    doc="""
        Encoder: vanilla RNN, LSTM, GRU, or a transformer encoder
        (positional encoding, key-padding mask, ``hidden_size`` as
        ``d_model``). The decoder uses the same recurrent cell (a GRU
        under a transformer encoder).""",
)

ATTENTION = Param(
    "attention",
    "bahdanau",
    [None, StrOptions({"bahdanau", "luong_dot", "luong_general", "luong_concat"})],
    '{None, "bahdanau", "luong_dot", "luong_general", "luong_concat"}',
    """
        Attention of the decoder over the encoder outputs. None keeps the
        fixed-context bottleneck (the decoder sees the source only through
        its initial state).""",
)

DECODER_HIDDEN_SIZE = Param(
    "decoder_hidden_size",
    None,
    [None, _POSITIVE_INT],
    "int",
    """
        Decoder hidden units; the encoder output size (``hidden_size``,
        doubled when bidirectional) when None. ``"luong_dot"`` needs them
        equal.""",
)

TEACHER_FORCING_RATIO = Param(
    "teacher_forcing_ratio",
    1.0,
    [Interval(Real, 0, 1, closed="both")],
    "float",
    """
        Probability, per sequence and step, of feeding the gold previous
        token during training rather than the model's own prediction. 1 is
        full teacher forcing (fastest, and exact for ``attention=None``).""",
)

BEAM_SIZE = Param(
    "beam_size",
    1,
    [_POSITIVE_INT],
    "int",
    """
        Hypotheses kept per sequence at prediction time; 1 is greedy
        decoding. Beam search is batched over sequences and beams.""",
)

LENGTH_PENALTY = Param(
    "length_penalty",
    1.0,
    [Interval(Real, 0, None, closed="left")],
    "float",
    """
        Beam search ranks its final hypotheses by
        ``log p / n_tokens ** length_penalty`` (EOS counted); 0 ranks by raw
        log-probability, which favours short outputs.""",
)

MAX_OUTPUT_LENGTH = Param(
    "max_output_length",
    None,
    [None, _POSITIVE_INT],
    "int",
    """
        Most tokens predicted per sequence (the end-of-sequence token not
        counted); twice the longest target seen in :meth:`fit` when None.""",
)

VECTORIZER = Param(
    "vectorizer",
    None,
    [None, HasMethods(["fit", "transform", "inverse_transform"])],
    "transformer",
    """
        For string ``X`` / ``y``: an unfitted transformer with ``fit``,
        ``transform`` and ``inverse_transform`` (such as
        :class:`~sklearn_seq.preprocessing.TextVectorizer`) cloned and fitted
        once on ``X`` and once on ``y``; predictions are its tokens joined by
        spaces (or its strings, for a
        :class:`~sklearn_seq.preprocessing.CharVocabulary`). None uses
        characters, ``CharVocabulary(handle_unknown="error")``.""",
)


@with_parameters(
    SEQ2SEQ_CELL,
    ENCODER,
    EMBEDDING,
    ATTENTION,
    DECODER_HIDDEN_SIZE,
    TEACHER_FORCING_RATIO,
    BEAM_SIZE,
    LENGTH_PENALTY,
    MAX_OUTPUT_LENGTH,
    VECTORIZER,
    TRAINING,
    RUNTIME,
)
class Seq2SeqEstimator(BaseSequenceNet):
    """Encoder-decoder for sequence-to-sequence tasks, with optional attention.

    Maps each input sequence (token ids, or a string) to an output sequence
    of its own length (token ids, or a string). The encoder is an RNN, LSTM,
    GRU (optionally bidirectional) or transformer encoder; the recurrent
    decoder reads the encoder's summary through a bridge and, with
    ``attention``, attends over all encoder outputs at every step (Bahdanau,
    or Luong ``dot`` / ``general`` / ``concat``). Training uses teacher
    forcing; prediction uses greedy decoding or beam search. See
    :class:`sklearn_seq.nn.seq2seq.Seq2Seq` for the network.

    Strings are handled at the character level: a vocabulary of the
    characters seen in :meth:`fit` (a
    :class:`~sklearn_seq.preprocessing.CharVocabulary` with
    ``handle_unknown="error"``: ids from 1, unseen characters refused) is
    built for ``X`` and for ``y`` separately, and :meth:`predict` returns
    strings. Pass ``vectorizer`` (e.g.
    a :class:`~sklearn_seq.preprocessing.TextVectorizer`) for word-level text.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    target_vocab_size_ : int
        One more than the largest target id seen in :meth:`fit` (ids given by
        the user, or of the target vocabulary).

    max_output_length_ : int
        Output length limit used by :meth:`predict`.

    source_vectorizer_, target_vectorizer_ : object or None
        Fitted vocabularies of string ``X`` and ``y``: clones of
        ``vectorizer``, or :class:`~sklearn_seq.preprocessing.CharVocabulary`
        instances (None for token ids).

    {shared_attributes}

    See Also
    --------
    sklearn_seq.nn.seq2seq.Seq2Seq : The underlying torch module.

    Notes
    -----
    Reserved decoder ids: 0 is padding, 1 the beginning-of-sequence input and
    2 the end-of-sequence token. Target ids given by the user (>= 1) are
    shifted by 2 inside the network and shifted back in :meth:`predict`, so
    they never collide with the reserved ids. The loss
    (:class:`torch.nn.CrossEntropyLoss` by default) is the mean over real
    target tokens and the EOS, padding excluded (``IGNORE_INDEX``).

    ``pooling`` and ``class_weight`` of the other estimators do not apply.

    Examples
    --------
    >>> from sklearn_seq.estimators._seq2seq import Seq2SeqEstimator
    >>> X = [[3, 4, 5], [5, 4], [4, 3, 3, 5], [3, 5]] * 4
    >>> y = [seq[::-1] for seq in X]
    >>> model = Seq2SeqEstimator(hidden_size=8, max_epochs=2, random_state=0)
    >>> pred = model.fit(X, y).predict([[3, 4, 5], [5, 4]])
    >>> len(pred), all(len(p) <= model.max_output_length_ for p in pred)
    (2, True)
    >>> [a.shape[1] for a in model.predict_attention([[3, 4, 5], [5, 4]])]
    [3, 2]
    >>> text = Seq2SeqEstimator(hidden_size=8, max_epochs=1, random_state=0)
    >>> type(text.fit(["ab", "ba"], ["AB", "BA"]).predict(["ab"])[0]).__name__
    'str'
    """

    _net_class = _Seq2SeqNet
    #: task of sklearn_seq.utils.estimator_checks (output sequences)
    _sequence_task = "seq2seq"

    # -- input conversion -------------------------------------------------
    def _new_vocabulary(self):
        if self.vectorizer is None:
            # ids from 1 (no out-of-vocabulary id); unseen characters raise
            return CharVocabulary(handle_unknown="error")
        return clone(self.vectorizer)

    def _encode_text(self, vocab, docs, name):
        return _token_sequences(vocab.transform(docs), name)

    def _source(self, X, *, reset):
        X = _as_list(X, "X")
        text = _is_text(X)
        if not reset and text != (self.source_vectorizer_ is not None):
            raise ValueError(
                f"{type(self).__name__} was fitted on "
                f"{'strings' if self.source_vectorizer_ else 'token id sequences'}"
                f" but X holds {'strings' if text else 'token id sequences'}."
            )
        if reset:
            self.source_vectorizer_ = None
        if text:
            if any(len(s) == 0 for s in X):
                i = next(i for i, s in enumerate(X) if len(s) == 0)
                raise ValueError(
                    f"X[{i}] is an empty string; every source "
                    "sequence needs at least one token."
                )
            vocab = self._new_vocabulary() if reset else self.source_vectorizer_
            _refuse_untokenized(vocab, X, "X", reset=reset)
            if reset:
                self.source_vectorizer_ = vocab.fit(X)
            seqs = self._encode_text(self.source_vectorizer_, X, "X")
        else:
            seqs = _token_sequences(X, "X")
        return self._validate_X(seqs, reset=reset, validated=True)

    def _targets(self, y):
        y = _as_list(y, "y")
        self.target_vectorizer_ = None
        if _is_text(y):
            empty = [i for i, s in enumerate(y) if len(s) == 0]
            if empty:
                raise ValueError(
                    f"y[{empty[0]}] is an empty target sequence; every target "
                    "needs at least one token (the end-of-sequence token is "
                    "added internally)."
                )
            vocab = self._new_vocabulary()
            _refuse_untokenized(vocab, y, "y", reset=True)
            self.target_vectorizer_ = vocab.fit(y)
            targets = self._encode_text(self.target_vectorizer_, y, "y")
        else:
            targets = _token_sequences(y, "y")
        return targets

    def _build_seq2seq(self):
        return Seq2Seq(
            self.vocab_size_,
            self.target_vocab_size_ + _TARGET_SHIFT,
            **self._encoder_kwargs(),
            attention=self.attention,
            decoder_hidden_size=self.decoder_hidden_size,
            teacher_forcing_ratio=self.teacher_forcing_ratio,
        )

    # -- fit --------------------------------------------------------------
    def fit(self, X, y):
        """Fit the encoder-decoder on source sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : list of token id sequences or list of str
            Source sequences (ids >= 1), or strings.
        y : list of token id sequences or list of str
            Target sequences (ids >= 1, not empty), or strings.

        Returns
        -------
        self : Seq2SeqEstimator
            The fitted estimator.
        """
        return self._fit(X, y)

    # -- hooks of BaseSequenceNet._fit -----------------------------------------
    def _encode_X(self, X, *, reset):
        return self._source(X, reset=reset)

    def _encode_y(self, y, seqs, *, warm):
        targets = self._targets(y)
        self._check_n_targets(targets.n_samples, seqs, "target sequences")
        self.target_vocab_size_ = int(targets.values.max()) + 1
        self.max_output_length_ = (
            int(2 * targets.lengths.max())
            if self.max_output_length is None
            else int(self.max_output_length)
        )
        shifted = Sequences(targets.values + _TARGET_SHIFT, targets.lengths, "tokens")
        return shifted, None

    # hooks of BaseSequenceNet._fit_net: targets travel in a Seq2SeqDataset
    # and the net's loss flattens the (batch, steps, vocab) logits
    def _make_dataset(self, seqs, y, sample_weight):
        return Seq2SeqDataset(seqs, y, bos_id=BOS_ID, eos_id=EOS_ID)

    def _build_module(self, seqs, n_outputs):
        return self._build_seq2seq()

    # -- prediction -------------------------------------------------------
    def _decode(self, seqs, attention=False):
        """Internal token ids per sequence, in input order, and attention maps.

        The maps are copied out only with ``attention`` (else a list of None):
        ``predict`` drops them.
        """
        tokens = [None] * seqs.n_samples
        weights = [None] * seqs.n_samples
        batch_size = max(self.batch_size, _PREDICT_BATCH_SIZE)
        if self.beam_size > 1:
            batch_size = max(1, batch_size // self.beam_size)
        with self._inference() as module:
            for idx, x, lengths in self._batches(seqs, batch_size, longest_first=True):
                if self.beam_size == 1:
                    out, attn, _ = module.greedy(x, lengths, self.max_output_length_)
                else:
                    out, attn, _ = module.beam_search(
                        x,
                        lengths,
                        self.beam_size,
                        self.max_output_length_,
                        length_penalty=self.length_penalty,
                    )
                for i, t in zip(idx.tolist(), out, strict=True):
                    tokens[i] = t.cpu().numpy() - _TARGET_SHIFT
                if attention and attn is not None:
                    for i, a in zip(idx.tolist(), attn, strict=True):
                        weights[i] = a.float().cpu().numpy()
        return tokens, weights

    def _to_output(self, tokens):
        vocab = self.target_vectorizer_
        if vocab is None:
            return tokens
        # token lists are joined by spaces; strings (CharVocabulary) kept
        join = getattr(vocab, "join", " ")
        return [
            t if isinstance(t, str) else join.join(t)
            for t in vocab.inverse_transform(tokens)
        ]

    def predict(self, X):
        """Decode output sequences (greedy, or beam search when ``beam_size > 1``).

        Parameters
        ----------
        X : list of token id sequences or list of str
            Source sequences, of the kind seen in :meth:`fit`.

        Returns
        -------
        list of ndarray or list of str
            One output per sequence (at most ``max_output_length_`` tokens,
            end-of-sequence token removed): int64 token id arrays, or strings
            when ``y`` held strings in :meth:`fit`.
        """
        self._check_fitted()
        tokens, _ = self._decode(self._source(X, reset=False))
        return self._to_output(tokens)

    def predict_attention(self, X):
        """Attention maps of the decoded outputs.

        Parameters
        ----------
        X : list of token id sequences or list of str
            Source sequences, of the kind seen in :meth:`fit`.

        Returns
        -------
        list of ndarray of shape (n_output_tokens_i, n_input_tokens_i)
            Row ``t`` holds the weights over the source tokens when output
            token ``t`` of :meth:`predict` was produced (the end-of-sequence
            step is not included): each row sums to 1.

        Raises
        ------
        ValueError
            When the estimator has ``attention=None``.
        """
        self._check_fitted()
        if self.net_.module_.attention is None:
            raise ValueError(
                "predict_attention needs an attention model; this "
                f"{type(self).__name__} was fitted with attention=None."
            )
        _, weights = self._decode(self._source(X, reset=False), attention=True)
        return weights

    def score(self, X, y):
        """Token accuracy of :meth:`predict` on ``X`` against ``y``.

        Parameters
        ----------
        X : list of token id sequences or list of str
            Source sequences.
        y : list of token id sequences or list of str
            Reference outputs.

        Returns
        -------
        float
            :func:`~sklearn_seq.metrics._sequence_output.token_accuracy_score`
            (position-wise, in [0, 1]).
        """
        return token_accuracy_score(list(y), self.predict(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = False
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags
