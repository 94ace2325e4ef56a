"""Test-wide settings.

The suite trains tiny models (a few units, a few batches). For those, a second
torch thread only adds synchronisation, and on a loaded 2-core CI machine it
made fits up to 25x slower; one thread keeps the suite fast and its timings
stable. Library code never changes torch's thread count.
"""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    if "OMP_NUM_THREADS" in os.environ:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
