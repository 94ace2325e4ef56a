# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""
Vanishing gradients: RNN vs LSTM vs GRU over growing dependency distances
=========================================================================

The label of each sequence of :func:`~sklearn_seq.datasets.make_sequence_classification`
is a marker (+1 or -1) written ``dependency_distance`` steps before the end,
followed by Gaussian noise. The textbook story: a vanilla RNN has to carry the
marker through that many ``tanh`` steps, its gradient shrinks geometrically on
the way back, and only the gated LSTM and GRU learn long distances. We fit the
three cells with the same settings (hidden size 32, Adam with lr 3e-3, gradient
clipping at 1, 400 training sequences, 30 epochs) at distances 10, 50 and 100,
report test accuracy, record per-layer gradient norms with
:class:`~sklearn_seq.callbacks.GradientMonitor`, and measure what the layer
norms cannot show: how much the last hidden state still depends on each input
step, ``mean |d h_T / d x_t|``, at initialisation and after training.

What it measured (2-core CPU, torch 2.13, default ``noise=0.1``; the LSTM's
forget-gate bias starts at 1):

========  ============  ============  =============
cell      distance 10   distance 50   distance 100
========  ============  ============  =============
rnn       1.00          1.00          1.00
lstm      1.00          1.00          0.44
gru       1.00          0.46          0.45
========  ============  ============  =============

So the textbook picture does *not* show here, and the sensitivity panel says
why. At initialisation the gradient does vanish over time: the marker's
influence on the last state at distance 100 was 1.5e-24 for the RNN and 2e-22
for the GRU (torch starts its gates near 0.5, so it forgets about as fast),
and 8e-10 for the LSTM, whose forget gate starts at sigmoid(1) = 0.73. Training
then decides. This task is one bit held over noise ten times smaller than the
marker, which a tanh RNN solves by growing its recurrent weights into a
bistable *latch*: the marker sets it and the small noise cannot flip it, and
once it latches the marker's influence stops decaying (4.6e-03 after
training). The LSTM learned distance 50 (3.6e-07 at the start) but not 100
within 30 epochs, the GRU neither. With other noise levels, seeds or budgets
the ranking moved (e.g. at ``noise=0.3`` the RNN failed at distance 50 where
the LSTM reached 1.00, yet with 1,500 updates the RNN solved distance 100 and
the LSTM did not), so read the printed table of your run rather than the
textbook: gating makes long memory *easy to represent*, but gradient descent
still has to find it. The full run took 27 s on a quiet 2-core CPU.

Set ``SKLEARN_SEQ_SMALL=1`` for a seconds-long smoke run. The figure is saved
to ``examples/output/vanishing_gradient.png``.
"""

import os
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_seq import SequenceClassifier
from sklearn_seq.callbacks import GradientMonitor, GradientWarning
from sklearn_seq.datasets import make_sequence_classification
from sklearn_seq.nn import RecurrentEncoder

if "OMP_NUM_THREADS" not in os.environ:
    # models this small gain nothing from a second intra-op thread
    torch.set_num_threads(1)

SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"
DISTANCES = (5, 10) if SMALL else (10, 50, 100)
CELLS = ("rnn", "lstm", "gru")
HIDDEN = 32
N_TRAIN, N_TEST = (60, 40) if SMALL else (400, 200)
MAX_EPOCHS = 2 if SMALL else 30
OUT = Path(__file__).resolve().parent / "output"
OUT.mkdir(exist_ok=True)


def sensitivity(encoder, X):
    """Mean ``|d h_T / d x_t|`` over sequences and units, for every step t."""
    x = torch.tensor(X[:100], dtype=torch.float32, requires_grad=True)
    lengths = torch.full((len(x),), x.shape[1])
    out = encoder(x, lengths)[:, -1]
    grad = torch.autograd.grad(out.abs().sum(), x)[0]
    return grad.abs().mean(dim=(0, 2)).numpy() / out.shape[1]


# %%
# Fit the three cells at each distance
# ------------------------------------
results, curves = {}, {}
start = time.perf_counter()
for distance in DISTANCES:
    X, y = make_sequence_classification(
        n_samples=N_TRAIN + N_TEST,
        n_timesteps=distance + 1,
        dependency_distance=distance,
        random_state=0,
    )
    for cell in CELLS:
        torch.manual_seed(0)
        initial = sensitivity(RecurrentEncoder(1, HIDDEN, cell=cell), X)
        clf = SequenceClassifier(
            cell=cell,
            hidden_size=HIDDEN,
            lr=3e-3,
            max_grad_norm=1.0,
            max_epochs=MAX_EPOCHS,
            batch_size=32,
            random_state=0,
            callbacks=[("grad", GradientMonitor())],
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GradientWarning)
            clf.fit(X[:N_TRAIN], y[:N_TRAIN])
        results[cell, distance] = clf.score(X[N_TRAIN:], y[N_TRAIN:])
        trained = sensitivity(clf.net_.module_.encoder, X)
        curves[cell, distance] = initial, trained
        flagged = [
            str(w.message).split(":")[0]
            for w in caught
            if issubclass(w.category, GradientWarning)
        ]
        print(
            f"distance {distance:>3}  {cell:<4}  test accuracy "
            f"{results[cell, distance]:.2f}  |dh_T/dx_marker| init "
            f"{initial[0]:.1e} trained {trained[0]:.1e}  layer grad ratio "
            f"{clf.history_[-1, 'grad_norm_ratio']:.1e}"
            + (f"  warned: {', '.join(flagged)}" if flagged else "")
        )
print(f"total {time.perf_counter() - start:.0f} s")

print("\ntest accuracy")
print("cell  " + "".join(f"  d={d:<5}" for d in DISTANCES))
for cell in CELLS:
    print(f"{cell:<4}  " + "".join(f"  {results[cell, d]:<7.2f}" for d in DISTANCES))

# %%
# Accuracy and the marker's influence on the last state
# -----------------------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for cell in CELLS:
    axes[0].plot(
        DISTANCES, [results[cell, d] for d in DISTANCES], marker="o", label=cell
    )
axes[0].axhline(0.5, color="grey", linestyle=":", label="chance")
axes[0].set_xlabel("dependency distance (steps)")
axes[0].set_ylabel("test accuracy")
axes[0].set_ylim(0.35, 1.05)
axes[0].set_title("Accuracy vs distance")
axes[0].legend()
longest = DISTANCES[-1]
steps_back = np.arange(longest, -1, -1)  # step t is longest - t steps before the end
for cell, color in zip(CELLS, ("C0", "C1", "C2")):
    initial, trained = curves[cell, longest]
    axes[1].semilogy(
        steps_back, initial, color=color, linestyle="--", label=f"{cell} at init"
    )
    axes[1].semilogy(steps_back, trained, color=color, label=f"{cell} trained")
axes[1].axvline(longest, color="grey", linestyle=":", label="marker")
axes[1].set_xlabel("steps before the end")
axes[1].set_ylabel("mean |d h_T / d x_t|")
axes[1].set_title(f"Gradient through time, distance {longest}")
axes[1].legend(fontsize="x-small", ncol=2)
fig.tight_layout()
fig.savefig(OUT / "vanishing_gradient.png", dpi=100)
print(f"saved {OUT / 'vanishing_gradient.png'}")
