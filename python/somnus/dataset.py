"""Datasets somnus knows (sm_dataset_load_named) as numpy arrays."""

import numpy as np

from ._lib import ffi, lib, new_error, check, text, view


class Dataset:
    """An sm_dataset: `images` (n x height x width float32) and `labels` (n int32 as C
    int) are views of somnus's memory, kept alive by the arrays themselves."""

    def __init__(self, ptr, owned=True):
        self._views = 0
        self._p = ffi.gc(ptr, lib.sm_dataset_destroy) if owned else ptr
        d = self._p
        self.n, self.width, self.height = d.n, d.width, d.height
        self.n_classes = d.n_classes
        self.source = ffi.string(d.source).decode("utf-8", "replace")
        self.images = view(self, d.pixels, "float", self.n * self.width * self.height,
                           shape=(self.n, self.height, self.width))
        self.labels = view(self, d.labels, "int", self.n)

    def _view_released(self):
        self._views -= 1

    def __len__(self):
        return self.n

    def __repr__(self):
        return "somnus.Dataset(%d images %dx%d, %d classes, %r)" % (
            self.n, self.width, self.height, self.n_classes, self.source)


def load_dataset(name, data_dir="data"):
    """Loads a dataset by somnus's name ("mnist", "fashion", "kmnist", "notmnist",
    "synthetic[:N[:SEED]]", "idx:IMAGES,LABELS[,...]", "mnist-json:DIR"; see
    include/somnus/io/dataset.h) from data_dir. Returns (pool, test): two Datasets,
    test None when the dataset has no test set of its own."""
    pool = ffi.new("sm_dataset **")
    test = ffi.new("sm_dataset **")
    err = new_error()
    check(lib.sm_dataset_load_named(text(name), text(data_dir), pool, test, err), err)
    p = Dataset(pool[0])
    t = Dataset(test[0]) if test[0] != ffi.NULL else None
    return p, t
