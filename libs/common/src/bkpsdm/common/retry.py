"""How often and how long a consumer tries a message again before dead-lettering it."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0

    def delay(self, attempt: int) -> float:
        """Backoff before attempt `attempt + 1`: exponential, capped, with full jitter on half."""
        ceiling = min(self.base_delay_s * 2.0 ** (attempt - 1), self.max_delay_s)
        return ceiling / 2 + random.random() * ceiling / 2
