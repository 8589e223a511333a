"""Imported by the fork server of ``boilerkit.batch`` when a run uses the pre-trained model.

Workers fork from the fork server, so what it holds they start with: the
default model loaded and its prediction tables built by one small page,
instead of each worker loading and building them (about a quarter of a
second per worker, most of a short run's start-up).
"""

from __future__ import annotations

from .api import classify
from .persistence import default_model

try:
    classify("<html><body><p>A paragraph, classified to build the model's tables.</p>"
             "</body></html>", model=default_model())
except Exception:  # noqa: BLE001 - the fork server would die; each worker then reports it
    pass
