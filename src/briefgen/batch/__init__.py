"""Brief every supported file under a folder: concurrent, rate-limited, resumable, lossless."""

from briefgen.batch.run import BatchOptions, Progress, arun_batch, run_batch

__all__ = ["BatchOptions", "Progress", "arun_batch", "run_batch"]
