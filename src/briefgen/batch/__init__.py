"""Batch runs: brief every supported file under a folder, resumably.

- :mod:`~briefgen.batch.brief`: the entry, :func:`run_batch`: plan, brief, write the index.
- :mod:`~briefgen.batch.run`: what every run shares: options, jobs, state, :class:`Run`.
- :mod:`~briefgen.batch.live`: live requests over a bounded pool of workers.
- :mod:`~briefgen.batch.provider`: the provider's Batch API, replayed through the same
  briefing sessions as a live run.
"""

from briefgen.batch.brief import arun_batch, run_batch
from briefgen.batch.run import BatchOptions, BatchProgress, Job, Run

__all__ = ["BatchOptions", "BatchProgress", "Job", "Run", "arun_batch", "run_batch"]
