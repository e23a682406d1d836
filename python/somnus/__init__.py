"""somnus from Python: the library libsomnus through cffi (ABI mode, no compiled
extension). docs/python.md is the guide; the docstrings are the reference.

    import somnus
    cfg = somnus.Config({"run.seed": 1})
    sim = somnus.Sim(cfg); sim.wake(1000); w = sim.weights("SE")
    res = somnus.train(cfg); res["final"]; res.frames["evaluations"]
    somnus.experiments(); somnus.experiment("sleep-stdp-table", quick=True)
"""

from ._lib import SomnusError, Cancelled, LIBRARY_PATH, version as _version
from .config import Config, parameters
from .sim import Sim, PATHWAYS, is_view
from .dataset import Dataset, load_dataset
from .sgsnn import SGSNN, params_from_config as sgsnn_params_from_config
from .protocol import (Result, TrainData, train, sweep, experiments, experiment,
                       experiment_config, frames)

__version__ = _version()

__all__ = ["SomnusError", "Cancelled", "Config", "parameters", "Sim", "PATHWAYS",
           "is_view", "Dataset", "load_dataset", "SGSNN", "sgsnn_params_from_config",
           "Result", "TrainData", "train", "sweep", "experiments", "experiment",
           "experiment_config", "frames", "LIBRARY_PATH", "__version__"]
