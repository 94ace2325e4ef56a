"""Data larger than memory: ragged stores on disk, chunks, partial_fit_chunks."""

import json
import os
import pickle
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from sklearn.linear_model import SGDClassifier

from conftest import fast, make_ragged_xy
from sklearn_seq import SequenceClassifier, SequenceRegressor, partial_fit_chunks
from sklearn_seq.utils import (
    RaggedStore,
    RaggedWriter,
    _out_of_core,
    iter_chunks,
    load_ragged,
    save_ragged,
)
from sklearn_seq.utils._param_validation import InvalidParameterError

FAST = fast(batch_size=16)


def _fixed(n=60, t=5, f=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, t, f)).astype(np.float32)
    return X, (X[:, :, 0].sum(axis=1) > 0).astype(int)


def _memmap(tmp_path, X, name="X.npy"):
    np.save(tmp_path / name, X)
    return np.load(tmp_path / name, mmap_mode="r")


def _weights(est):
    return {k: v.clone() for k, v in est.net_.module_.state_dict().items()}


def _assert_same_model(a, b, X):
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), key
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def _manual(est, blocks, epochs, classes=(0, 1)):
    """The loop partial_fit_chunks replaces, over (X, y) blocks in order."""
    first = True
    for _ in range(epochs):
        for Xb, yb in blocks:
            kwargs = {"classes": list(classes)} if first else {}
            est.partial_fit(Xb, yb, **kwargs)
            first = False
    return est


# -- partial_fit_chunks equals the loop it replaces ------------------------------
def test_memmap_in_one_chunk_equals_partial_fit(tmp_path):
    X, y = _fixed()
    Xm = _memmap(tmp_path, X)
    ours = partial_fit_chunks(
        SequenceClassifier(**FAST), Xm, y, chunk_size=len(X), epochs=2, shuffle=False
    )
    direct = _manual(SequenceClassifier(**FAST), [(X, y), (X, y)], epochs=1)
    assert ours.n_epochs_ == direct.n_epochs_ == 2
    _assert_same_model(ours, direct, X)


def test_memmap_chunks_equal_a_loop_over_slices(tmp_path):
    X, y = _fixed()
    Xm, ym = _memmap(tmp_path, X), _memmap(tmp_path, y, "y.npy")
    ours = partial_fit_chunks(
        SequenceClassifier(**FAST), Xm, ym, chunk_size=25, epochs=2, shuffle=False
    )
    blocks = [(X[s : s + 25], y[s : s + 25]) for s in (0, 25, 50)]
    direct = _manual(SequenceClassifier(**FAST), blocks, epochs=2)
    assert ours.n_epochs_ == 6
    _assert_same_model(ours, direct, X)


def test_dask_array_is_trained_block_by_block(capsys):
    da = pytest.importorskip("dask.array")
    X, y = _fixed()
    Xd = da.from_array(X, chunks=(20, 5, 2))
    yd = da.from_array(y, chunks=20)
    ours = partial_fit_chunks(
        SequenceClassifier(**FAST), Xd, yd, shuffle=False, epochs=2, verbose=2
    )
    blocks = [(X[s : s + 20], y[s : s + 20]) for s in (0, 20, 40)]
    direct = _manual(SequenceClassifier(**FAST), blocks, epochs=2)
    _assert_same_model(ours, direct, X)
    out = capsys.readouterr().out
    assert out.count("chunk 3/3: 20 samples") == 2
    assert "epoch 2/2: 60 samples in 3 chunks" in out


def test_generator_function_is_called_every_epoch():
    X, y = _fixed()
    calls = []

    def stream():
        calls.append(1)
        for s in range(0, 60, 20):
            yield X[s : s + 20], y[s : s + 20]

    ours = partial_fit_chunks(
        SequenceClassifier(**FAST), stream, epochs=2, classes=[0, 1], shuffle=False
    )
    assert len(calls) == 2
    blocks = [(X[s : s + 20], y[s : s + 20]) for s in (0, 20, 40)]
    direct = _manual(SequenceClassifier(**FAST), blocks, epochs=2)
    _assert_same_model(ours, direct, X)


def test_stream_with_sample_weight_equals_the_loop():
    X, y = _fixed()
    w = np.linspace(0.1, 2.0, len(X)).astype(np.float32)

    def stream():
        yield X[:30], y[:30], w[:30]
        yield X[30:], y[30:], w[30:]

    ours = partial_fit_chunks(
        SequenceRegressor(**FAST), stream, shuffle=False, epochs=1
    )
    ref = SequenceRegressor(**FAST)
    ref.partial_fit(X[:30], y[:30], sample_weight=w[:30])
    ref.partial_fit(X[30:], y[30:], sample_weight=w[30:])
    _assert_same_model_regressor(ours, ref, X)
    # weights matter: uniform weights give another model
    plain = partial_fit_chunks(
        SequenceRegressor(**FAST), X, y, chunk_size=30, shuffle=False
    )
    assert not np.allclose(plain.predict(X), ours.predict(X))


def _assert_same_model_regressor(a, b, X):
    for key, value in _weights(a).items():
        assert torch.equal(value, _weights(b)[key]), key
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_array_sample_weight_is_cut_with_x(tmp_path):
    X, y = _fixed()
    w = np.linspace(0.1, 2.0, len(X)).astype(np.float32)
    ours = partial_fit_chunks(
        SequenceRegressor(**FAST),
        _memmap(tmp_path, X),
        y,
        sample_weight=_memmap(tmp_path, w, "w.npy"),
        chunk_size=30,
        shuffle=False,
    )
    ref = SequenceRegressor(**FAST)
    ref.partial_fit(X[:30], y[:30], sample_weight=w[:30])
    ref.partial_fit(X[30:], y[30:], sample_weight=w[30:])
    _assert_same_model_regressor(ours, ref, X)


def test_shuffle_is_reproducible_and_changes_the_order():
    X, y = _fixed()

    def fit(seed):
        est = SequenceClassifier(**FAST)
        return partial_fit_chunks(est, X, y, chunk_size=20, random_state=seed)

    a, b, c = fit(0), fit(0), fit(1)
    _assert_same_model(a, b, X)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_classes_are_read_from_y_and_continued_fits_need_none(tmp_path):
    X, _ = _fixed()
    y = np.array(["cat", "dog", "eel"])[np.arange(60) % 3]
    ym = _memmap(tmp_path, y, "y.npy")
    clf = partial_fit_chunks(SequenceClassifier(**FAST), X, ym, chunk_size=7)
    assert clf.classes_.tolist() == ["cat", "dog", "eel"]
    # fitted: classes_ are kept, a stream needs no classes
    partial_fit_chunks(clf, lambda: iter([(X[:10], y[:10])]))
    assert clf.n_epochs_ == 10


def test_any_estimator_with_partial_fit_works(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] > 0).astype(int)
    sgd = partial_fit_chunks(
        SGDClassifier(random_state=0), _memmap(tmp_path, X), y, chunk_size=50
    )
    assert sgd.classes_.tolist() == [0, 1]
    assert sgd.score(X, y) > 0.8


def test_longer_sequences_in_later_chunks_train_a_transformer():
    X, y = make_ragged_xy(40, lengths=(3, 6))
    X += [np.ones((30, 2), np.float32)] * 4  # later chunk: 5x longer
    y = np.r_[y, [0, 1, 0, 1]]
    est = SequenceClassifier(cell="transformer", **FAST)
    partial_fit_chunks(est, X, y, chunk_size=40, shuffle=False)
    assert np.isfinite(est.predict_proba(X[-4:])).all()


# -- the store -------------------------------------------------------------------
def test_store_round_trip_is_exact_and_lazy(tmp_path):
    X, y = make_ragged_xy(30, n_features=3)
    save_ragged(tmp_path / "s", X, y)
    store = load_ragged(tmp_path / "s")
    assert isinstance(store.values, np.memmap)
    assert (len(store), store.n_features, store.kind) == (30, 3, "ragged")
    assert store.lengths.tolist() == [len(x) for x in X]
    for a, b in zip(store, X):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.float32
    # items are views of the map: nothing is read before they are used
    assert np.shares_memory(store[4], store.values)
    assert all(np.shares_memory(a, store.values) for a in store[2:9:3])
    assert [len(a) for a in store[[5, -1]]] == [len(X[5]), len(X[-1])]
    np.testing.assert_array_equal(store.y, y)
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["n_steps"] == sum(len(x) for x in X)
    # plain .npy files: values + offsets, readable without sklearn_seq
    offsets = np.load(tmp_path / "s" / "offsets.npy")
    values = np.load(tmp_path / "s" / "values.npy")
    np.testing.assert_array_equal(values[offsets[7] : offsets[8]], X[7])


def test_writer_chunks_equal_one_save_and_keep_float64(tmp_path):
    X, y = make_ragged_xy(25)
    X = [x.astype(np.float64) for x in X]
    with RaggedWriter(tmp_path / "a", dtype=np.float64) as writer:
        for s in range(0, 25, 10):
            writer.append(X[s : s + 10], y[s : s + 10])
        assert writer.n_samples == 25
    save_ragged(tmp_path / "b", X, y, dtype=np.float64)
    a, b = load_ragged(tmp_path / "a"), load_ragged(tmp_path / "b")
    assert a.values.dtype == np.float64
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    np.testing.assert_array_equal(a.y, b.y)


def test_token_store_knows_its_largest_id(tmp_path):
    X = [[3, 1, 4], [1, 5], [9, 2, 6, 5]]
    with RaggedWriter(tmp_path) as writer:
        writer.append(X[:2])
        writer.append(X[2:])
    store = load_ragged(tmp_path)
    assert (store.kind, store.n_features, store.max_token_id) == ("tokens", None, 9)
    assert store.values.dtype == np.int64
    assert [a.tolist() for a in store] == X
    # a store built from arrays computes it
    assert RaggedStore(np.array([2, 7, 1]), [0, 1, 3]).max_token_id == 7


def test_store_feeds_estimators_and_pickles_as_its_path(tmp_path):
    X, y = make_ragged_xy(40)
    save_ragged(tmp_path, X, y)
    store = load_ragged(tmp_path)
    clf = SequenceClassifier(**FAST)
    partial_fit_chunks(clf, store, chunk_size=16, random_state=0)
    assert clf.predict(store[:5]).shape == (5,)
    # y defaults to the store's, and equals passing it
    again = partial_fit_chunks(
        SequenceClassifier(**FAST), store, store.y, chunk_size=16, random_state=0
    )
    _assert_same_model(clf, again, X)
    clone = pickle.loads(pickle.dumps(store))
    assert clone.path == store.path and isinstance(clone.values, np.memmap)
    assert len(pickle.dumps(store)) < 1000  # the path, not the data


def test_iter_chunks_of_a_store_and_shuffled_rows(tmp_path):
    X, y = make_ragged_xy(23)
    save_ragged(tmp_path, X, y)
    store = load_ragged(tmp_path)
    chunks = list(iter_chunks(store, store.y, chunk_size=5))
    assert [len(c) for c, _ in chunks] == [5, 5, 5, 5, 3]
    got = [a for c, _ in chunks for a in c]
    assert all(np.array_equal(a, b) for a, b in zip(got, X))
    assert not any(np.shares_memory(a, store.values) for a in got)  # copies
    idx = np.arange(23)
    first = [
        c.tolist() for c in iter_chunks(idx, chunk_size=5, shuffle=True, random_state=0)
    ]
    again = [
        c.tolist() for c in iter_chunks(idx, chunk_size=5, shuffle=True, random_state=0)
    ]
    assert first == again
    flat = [i for chunk in first for i in chunk]
    assert sorted(flat) == idx.tolist()
    assert flat != idx.tolist()
    # chunks stay blocks of rows: each holds 5 consecutive ids, reordered
    assert sorted(len(c) for c in first) == [3, 5, 5, 5, 5]
    assert all(max(c) - min(c) == len(c) - 1 for c in first)


def test_shuffled_chunks_keep_x_y_and_weights_aligned(tmp_path):
    ids = np.arange(40)
    X = np.repeat(ids.astype(np.float32), 6).reshape(40, 3, 2)
    before = X.copy()
    Xm = _memmap(tmp_path, X)
    wm = _memmap(tmp_path, ids * 10, "w.npy")
    save_ragged(tmp_path / "s", list(X), ids)
    store = load_ragged(tmp_path / "s")
    sources = [(X, list(ids), wm), (Xm, ids, ids * 10), (store, store.y, wm)]
    da = pytest.importorskip("dask.array")
    sources.append((da.from_array(X, chunks=(7, 3, 2)), da.from_array(ids), wm))
    for Xs, ys, ws in sources:
        seen = []
        for Xc, yc, wc in iter_chunks(Xs, ys, ws, shuffle=True, random_state=0):
            first = [int(x[0, 0]) for x in Xc]
            assert first == list(yc) == [w // 10 for w in wc]
            seen += first
        assert sorted(seen) == ids.tolist() and seen != ids.tolist()
    np.testing.assert_array_equal(X, before)  # the caller's array is untouched


def test_reading_chunks_loads_neither_torch_nor_dask(tmp_path):
    code = (
        "import sys, numpy as np; from sklearn_seq.utils import iter_chunks, "
        "load_ragged, save_ragged; "
        f"save_ragged({str(tmp_path)!r}, [np.ones((3, 2))] * 4); "
        f"chunks = list(iter_chunks(load_ragged({str(tmp_path)!r}), chunk_size=3)); "
        "assert [len(c) for c in chunks] == [3, 1], chunks; "
        "bad = [m for m in ('torch', 'skorch', 'dask') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- errors ----------------------------------------------------------------------
def test_bad_parameters_name_the_parameter():
    X, y = _fixed()
    clf = SequenceClassifier(**FAST)
    with pytest.raises(InvalidParameterError, match="'chunk_size' parameter"):
        partial_fit_chunks(clf, X, y, chunk_size=0)
    with pytest.raises(InvalidParameterError, match="'epochs' parameter"):
        partial_fit_chunks(clf, X, y, epochs=0)
    with pytest.raises(InvalidParameterError, match="'estimator' parameter"):
        partial_fit_chunks(object(), X, y)
    with pytest.raises(InvalidParameterError, match="'chunk_size' parameter"):
        iter_chunks(X, chunk_size=True)
    with pytest.raises(ValueError, match="classes is for classifiers"):
        partial_fit_chunks(SequenceRegressor(**FAST), X, y, classes=[0, 1])
    assert not hasattr(clf, "net_")


def test_bad_data_is_refused_before_training():
    X, y = _fixed()
    clf = SequenceClassifier(**FAST)
    with pytest.raises(
        ValueError, match=r"inconsistent numbers of samples: \[60, 59\]"
    ):
        partial_fit_chunks(clf, X, y[:-1])
    with pytest.raises(ValueError, match="classes is required"):
        partial_fit_chunks(clf, lambda: iter([(X, y)]))
    with pytest.raises(ValueError, match="epochs=2 with X an iterator"):
        partial_fit_chunks(clf, iter([(X, y)]), epochs=2, classes=[0, 1])
    with pytest.raises(ValueError, match="y must be None when X is a stream"):
        partial_fit_chunks(clf, iter([(X, y)]), y, classes=[0, 1])
    with pytest.raises(TypeError, match="Chunk 0 of epoch 1 is a ndarray"):
        partial_fit_chunks(clf, iter([X]), classes=[0, 1])
    assert not hasattr(clf, "net_")


def test_a_chunk_that_does_not_match_the_first_is_named():
    X, y = _fixed()
    wider = np.zeros((10, 5, 3), np.float32)

    def stream():
        yield X[:30], y[:30]
        yield X[30:], y[30:-1]

    clf = SequenceClassifier(**FAST)
    msg = "chunk 1 of epoch 1: X has 30 samples but y has 29"
    with pytest.raises(ValueError, match=msg):
        partial_fit_chunks(clf, stream, classes=[0, 1], shuffle=False)
    clf = SequenceClassifier(**FAST)
    msg = "chunk 1 of epoch 1 has 3 features per step, but the first chunk had 2"
    with pytest.raises(ValueError, match=msg):
        partial_fit_chunks(
            clf, iter([(X, y), (wider, y[:10])]), classes=[0, 1], shuffle=False
        )


def test_token_chunks_that_lack_the_largest_id_are_refused(tmp_path):
    X = [[1, 2], [2, 1], [3, 2], [1, 1], [40, 2], [2, 2]]
    y = [0, 1, 0, 1, 0, 1]
    save_ragged(tmp_path, X, y)
    store = load_ragged(tmp_path)
    clf = SequenceClassifier(**FAST)
    with pytest.raises(ValueError, match="token ids up to 3, but X holds ids up to 40"):
        partial_fit_chunks(clf, store, chunk_size=3, shuffle=False)
    assert not hasattr(clf, "net_")
    # with the largest id in the first chunk, every chunk trains
    partial_fit_chunks(clf, X[::-1], y[::-1], chunk_size=3, shuffle=False)
    assert clf.vocab_size_ == 41


def test_writer_refuses_chunks_unlike_the_first(tmp_path):
    X, y = make_ragged_xy(6)
    writer = RaggedWriter(tmp_path / "w")
    writer.append(X, y)
    with pytest.raises(
        ValueError, match="has 3 features per step, but the store has 2"
    ):
        writer.append([np.zeros((2, 3))], [0])
    with pytest.raises(ValueError, match="holds token id sequences, but the store"):
        writer.append([[1, 2]], [0])
    with pytest.raises(ValueError, match="pass y in every call or in none"):
        writer.append(X)
    with pytest.raises(ValueError, match="dtype <U5, which does not fit"):
        writer.append(X[:1], np.array(["hello"]))
    with pytest.raises(ValueError, match="X has 6 sequences but y has 5 targets"):
        writer.append(X, y[:5])
    with pytest.raises(TypeError, match="dtype object"):
        writer.append(X[:1], np.array([None]))
    writer.close()
    assert len(load_ragged(tmp_path / "w")) == 6
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        save_ragged(tmp_path / "w", X)
    save_ragged(tmp_path / "w", X[:2], overwrite=True)
    assert len(load_ragged(tmp_path / "w")) == 2
    with pytest.raises(ValueError, match="No sequences were appended"):
        RaggedWriter(tmp_path / "empty").close()


def test_failed_writing_leaves_no_loadable_store(tmp_path):
    with pytest.raises(RuntimeError), RaggedWriter(tmp_path) as writer:
        writer.append([np.zeros((2, 2))])
        raise RuntimeError
    assert os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError, match=r"holds no manifest\.json"):
        load_ragged(tmp_path)


def test_load_refuses_other_formats_and_newer_versions(tmp_path):
    save_ragged(tmp_path, [np.zeros((2, 2))])
    manifest = tmp_path / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "version": 99}))
    with pytest.raises(ValueError, match="format version 99, newer than"):
        load_ragged(tmp_path)
    manifest.write_text(json.dumps({**data, "format": "other"}))
    with pytest.raises(ValueError, match="not a ragged store manifest"):
        load_ragged(tmp_path)
    manifest.write_text(json.dumps({**data, "n_samples": 3}))
    with pytest.raises(ValueError, match="is inconsistent"):
        load_ragged(tmp_path)


def test_store_from_arrays_checks_offsets_and_y():
    values = np.zeros((5, 2), np.float32)
    with pytest.raises(ValueError, match="start at 0 and end at len"):
        RaggedStore(values, [0, 2, 4])
    with pytest.raises(ValueError, match=r"sequence 1 would have 0 steps"):
        RaggedStore(values, [0, 2, 2, 5])
    with pytest.raises(ValueError, match="y has 3 targets but the store holds 2"):
        RaggedStore(values, [0, 2, 5], y=[0, 1, 1])
    with pytest.raises(ValueError, match="1-D store holds integer token ids"):
        RaggedStore(np.zeros(5), [0, 5])
    store = RaggedStore(values, [0, 2, 5])
    with pytest.raises(IndexError, match="out of range for a RaggedStore of 2"):
        store[2]


# -- memory ----------------------------------------------------------------------
class _PeakRSS:
    """Largest resident set size sampled while the block runs (psutil)."""

    def __init__(self, psutil):
        self._process = psutil.Process()
        self.peak = self.start = self._process.memory_info().rss
        self._done = threading.Event()

    def _sample(self):
        while not self._done.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(0.002)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def growth(self):
        return self.peak - self.start


def test_training_on_a_memmap_keeps_memory_far_below_the_file(tmp_path, monkeypatch):
    psutil = pytest.importorskip("psutil")
    n, t, f = 10_000, 32, 64  # 78 MiB of float32
    X = np.lib.format.open_memmap(
        tmp_path / "X.npy", mode="w+", dtype=np.float32, shape=(n, t, f)
    )
    rng = np.random.default_rng(0)
    for s in range(0, n, 1000):
        X[s : s + 1000] = rng.standard_normal((1000, t, f), dtype=np.float32)
    y = (X[:, 0, 0] > 0).astype(int)
    X.flush()
    del X
    file_size = os.path.getsize(tmp_path / "X.npy")
    clf = SequenceClassifier(cell="gru", hidden_size=4, batch_size=256, random_state=0)
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    # chunks of one batch: the growth is the reading, not the training's own
    # transient memory (torch's allocations for several batches)
    clf.partial_fit(np.array(X[:250]), y[:250], classes=[0, 1])  # torch warmed up
    with _PeakRSS(psutil) as rss:
        partial_fit_chunks(clf, X, y, chunk_size=250, random_state=0)
    assert clf.n_epochs_ == 1 + n // 250
    assert rss.growth < file_size / 3, (rss.growth, file_size)
    # the control: without handing the pages back, one pass over the map
    # grows the resident memory to the file's size
    monkeypatch.setattr(_out_of_core, "release_pages", lambda view: None)
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    with _PeakRSS(psutil) as control:
        for _ in iter_chunks(X, chunk_size=250):
            pass
    assert control.growth > file_size / 2, (control.growth, file_size)
