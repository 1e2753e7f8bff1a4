from __future__ import annotations

import pytest

from bkpsdm.common.topics import TopicRegistry, TopicSpec


def test_registering_the_same_topic_twice_differently_is_an_error() -> None:
    registry = TopicRegistry()
    registry.register(TopicSpec(name="public.a.b.v1", key="id", owner="a", description="d"))
    registry.register(TopicSpec(name="public.a.b.v1", key="id", owner="a", description="d"))  # same: fine
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(TopicSpec(name="public.a.b.v1", key="other", owner="a", description="d"))


def test_all_names_include_dead_letter_topics() -> None:
    registry = TopicRegistry()
    registry.register(TopicSpec(name="public.a.b.v1", key="id", owner="a", description="d"))
    assert registry.all_names() == ["public.a.b.v1", "public.a.b.v1.dlq"]
    assert registry.all_names(with_dead_letters=False) == ["public.a.b.v1"]
