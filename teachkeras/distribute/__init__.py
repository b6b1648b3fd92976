"""Training on several processes or devices (chapter 12, notebooks/12_devices.ipynb).

``DataParallel().fit(model, x, y, batch_size=B)`` in every process of a launch trains one model as
one process with batch B would, each process computing its share of every batch, gradients
averaged over ``torch.distributed`` (gloo on CPUs, NCCL on GPUs). Start the processes with
``launch(script, nprocs=N)`` (or ``python -m teachkeras.distribute.launcher --nproc-per-node N
script.py``), or with PyTorch's ``torchrun``: the environment is the same.

Importing this package imports torch (``import teachkeras`` alone does not).

Hand-written plumbing: no chapter builds this module.
"""

from teachkeras.distribute.data_parallel import (AverageLogs, DataParallel, ShardedData, all_reduce_mean,
                                                 averaged_gradients, broadcast_weights, initialize, shard_rows,
                                                 weights_agree)
from teachkeras.distribute.launcher import LaunchError, LaunchResult, launch

__all__ = ["AverageLogs", "DataParallel", "LaunchError", "LaunchResult", "ShardedData", "all_reduce_mean",
           "averaged_gradients", "broadcast_weights", "initialize", "launch", "shard_rows", "weights_agree"]
