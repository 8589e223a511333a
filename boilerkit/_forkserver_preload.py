"""Imported by the fork server of ``boilerkit.batch`` when a run uses the pre-trained model.

Workers fork from the fork server, so what it holds they start with: the
default model loaded and its prediction tables built by one small page,
instead of each worker loading and building them (about a quarter of a
second per worker, most of a short run's start-up).
"""

from __future__ import annotations

from .batch import Job, warm

warm(Job())
