"""One registry naming every topic: its key, partitions, the events it carries.

Topics are named `<visibility>.<domain>.<entity>.v<N>`; `.dlq` holds what a consumer could
not handle. Other agencies read `public.*` topics; `internal.*` ones may change freely.
The AsyncAPI document is generated from the same registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from bkpsdm.common.events import Event

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    owner: str
    description: str
    partitions: int = 3
    events: tuple[type[Event], ...] = field(default_factory=tuple)

    @property
    def dlq(self) -> str:
        return dead_letter_topic(self.name)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


class TopicRegistry:
    """Every topic of the platform, looked up by name. Services register at import."""

    def __init__(self) -> None:
        self._topics: dict[str, TopicSpec] = {}

    def register(self, spec: TopicSpec) -> TopicSpec:
        existing = self._topics.get(spec.name)
        if existing is not None and existing != spec:
            raise ValueError(f"topic {spec.name} registered twice with different specs")
        self._topics[spec.name] = spec
        return spec

    def get(self, name: str) -> TopicSpec:
        return self._topics[name]

    def __iter__(self) -> Iterator[TopicSpec]:
        return iter(sorted(self._topics.values(), key=lambda t: t.name))

    def all_names(self, with_dead_letters: bool = True) -> list[str]:
        names = [t.name for t in self]
        if with_dead_letters:
            names += [t.dlq for t in self]
        return sorted(names)
