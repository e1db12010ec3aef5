"""Digests: one story told by several sources, merged into one grounded brief.

``Digester(settings).digest([a, b, c])`` briefs each source as a single brief would (the
response cache makes an already-briefed source free), aligns their events, actors and positions
in code, finds where they differ, and asks the model once for what code cannot decide.
"""

from briefgen.digest.run import AsyncDigester, Digester, DigestInput
from briefgen.digest.schema import Difference, Digest, DigestSource, Report, TimelineEvent

__all__ = [
    "AsyncDigester",
    "Difference",
    "Digest",
    "DigestInput",
    "DigestSource",
    "Digester",
    "Report",
    "TimelineEvent",
]
