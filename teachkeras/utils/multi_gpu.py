"""``multi_gpu_model``, from the notes (Keras 2.0-2.3), removed from Keras in 2.4: an error that says
what replaced it.

Hand-written plumbing: no chapter builds this module.
"""

__all__ = ["multi_gpu_model"]


def multi_gpu_model(model, gpus=None, cpu_merge=True, cpu_relocation=False):
    """Raise NotImplementedError pointing to data-parallel training (chapter 12)."""
    raise NotImplementedError(
        f"multi_gpu_model(model, gpus={gpus!r}) was removed from Keras (2.4). The same idea, data "
        "parallelism, is teachkeras.distribute: start one process per device with "
        "teachkeras.distribute.launch('train.py', nprocs=N) or torchrun, and in train.py call "
        "teachkeras.distribute.DataParallel().fit(model, x, y, batch_size=B); each process then computes "
        "B / N samples of every batch and the gradients are averaged (chapter 12, notebooks/12_devices.ipynb)"
    )
