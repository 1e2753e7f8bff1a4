"""Records whose header keys are not UTF-8: handed on, marked, instead of wedging their partition.

Kafka header keys are strings, but a producer can write any bytes. aiokafka decodes the keys
while the consumer's fetcher iterates a fetched batch, before FastStream or `tolerant_parser`
see the record. The C reader raises UnicodeDecodeError (the pure-Python one
CorruptRecordException), the position stays on the bad record, and every `getone()` fetches it
again and raises again. FastStream restarts its consume task on each failure: measured with
aiokafka 0.14.0 / FastStream 0.7.8, about 1,000 restarts a second, an INFO log line each, the
records behind it never delivered and nothing committed past it.

`install_lenient_header_keys` patches aiokafka's consumer fetcher in two spots:
- the fetcher keeps the bytes of each fetch response (it already holds them; now we can reach them);
- when a partition's record iterator fails on a header key, the one batch that failed is read
  again with the pure-Python reader, lossily decoding the bad keys and adding a `mark` header
  that names them. Records before the bad one were returned already and are skipped by offset;
  the batches after it are fetched again and read by the C reader. Healthy batches never leave
  the C reader.
Checked against aiokafka 0.14.0 (pinned in uv.lock), with its C extensions and without
(AIOKAFKA_NO_EXTENSIONS=1). It leans on fetcher internals (`PartitionRecords._records`,
`_records_iterator`, `_unpack_records`, `next_fetch_offset`; the pure-Python v2 batch reader):
install refuses to patch when the names are gone, and on any aiokafka upgrade
libs/common/tests/integration/test_header_keys.py must pass again.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from aiokafka.consumer import fetcher
from aiokafka.errors import CorruptRecordException
from aiokafka.record.default_records import _DefaultRecordBatchPy, _DefaultRecordPy
from aiokafka.record.util import decode_varint

_mark = ""  # set by install_lenient_header_keys

# Every batch (v0/v1 messages too) starts with base offset, length and, at byte 16, the magic.
_FRAME = struct.Struct(">qi")
_MAGIC_AT = 16
_FIRST_V2_FORMAT = 2
_V2_HEADER = _DefaultRecordBatchPy.HEADER_STRUCT
_LAST_OFFSET_DELTA = 6  # field index in the v2 batch header


class _KeptBuffer(fetcher.MemoryRecords):  # type: ignore[misc]
    def __init__(self, buffer: bytes) -> None:
        super().__init__(buffer)
        self.fetched = buffer


class _LenientBatch(_DefaultRecordBatchPy):  # type: ignore[misc]
    """aiokafka's pure-Python v2 reader, except that header keys decode lossily."""

    _buffer: bytearray
    _pos: int

    def _read_msg(self, decode_varint: Callable[[Any, int], tuple[int, int]] = decode_varint) -> Any:
        buffer = self._buffer
        length, pos = decode_varint(buffer, self._pos)
        start = pos
        _, pos = decode_varint(buffer, pos)  # attributes: unused in v2 records
        timestamp_delta, pos = decode_varint(buffer, pos)
        offset_delta, pos = decode_varint(buffer, pos)
        key, pos = _nullable_bytes(buffer, pos)
        value, pos = _nullable_bytes(buffer, pos)
        count, pos = decode_varint(buffer, pos)
        if count < 0:
            raise ValueError(f"negative header count {count}")  # CorruptRecordException upstream
        headers: list[tuple[str, bytes | None]] = []
        invalid: list[str] = []
        for _ in range(count):
            name_len, pos = decode_varint(buffer, pos)
            if name_len < 0:
                raise ValueError(f"negative header key size {name_len}")
            raw = bytes(buffer[pos : pos + name_len])
            pos += name_len
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                name = raw.decode("utf-8", "replace")
                invalid.append(name)
            header_value, pos = _nullable_bytes(buffer, pos)
            headers.append((name, header_value))
        if pos - start != length:
            raise ValueError(f"record size {length} but {pos - start} bytes read")
        if invalid:
            headers.append((_mark, ",".join(invalid).encode()))
        self._pos = pos
        timestamp = (
            self.max_timestamp
            if self.timestamp_type == self.LOG_APPEND_TIME
            else self.first_timestamp + timestamp_delta
        )
        return _DefaultRecordPy(
            self.base_offset + offset_delta, timestamp, self.timestamp_type, key, value, headers
        )


def _nullable_bytes(buffer: bytearray, pos: int) -> tuple[bytes | None, int]:
    size, pos = decode_varint(buffer, pos)
    if size < 0:
        return None, pos
    return bytes(buffer[pos : pos + size]), pos + size


class _OneBatch:
    """The `records` side of PartitionRecords for just the batch that failed."""

    def __init__(self, batch: _LenientBatch) -> None:
        self._batch: _LenientBatch | None = batch

    def has_next(self) -> bool:
        return self._batch is not None

    def next_batch(self) -> _LenientBatch | None:
        batch, self._batch = self._batch, None
        return batch


def _failing_batch(fetched: bytes, position: int) -> _LenientBatch | None:
    """The first v2 batch ending after `position`: every batch before it was read to its end."""
    view = memoryview(fetched)
    pos = 0
    while pos + _MAGIC_AT < len(view):
        _, length = _FRAME.unpack_from(view, pos)
        end = pos + _FRAME.size + length
        if end > len(view):
            return None  # a partial batch ends every fetch response
        if view[pos + _MAGIC_AT] >= _FIRST_V2_FORMAT and end - pos >= _V2_HEADER.size:
            header = _V2_HEADER.unpack_from(view, pos)
            if header[0] + header[_LAST_OFFSET_DELTA] >= position:
                return _LenientBatch(view[pos:end])
        pos = end
    return None


def _is_header_key_error(exc: Exception) -> bool:
    return isinstance(exc, UnicodeDecodeError) or (
        isinstance(exc, CorruptRecordException) and isinstance(exc.__cause__, UnicodeDecodeError)
    )


def _patched_next(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def __next__(self: Any) -> Any:
        try:
            return original(self)
        except (UnicodeDecodeError, CorruptRecordException) as exc:
            # Only once per fetch: `_OneBatch` keeps no bytes, so an error that lenient
            # reading does not cure (a deserializer's, say) is raised as before.
            fetched = getattr(self._records, "fetched", None)
            if not _is_header_key_error(exc) or fetched is None:
                raise
            batch = _failing_batch(fetched, self.next_fetch_offset)
            if batch is None:
                raise
            self._records = _OneBatch(batch)
            self._records_iterator = self._unpack_records()
            return original(self)

    return __next__


def install_lenient_header_keys(mark: str) -> None:
    """Process-wide and idempotent; call before consumers start. `mark` names the header
    added to a record whose header keys were not UTF-8; its value lists those keys."""
    global _mark
    _mark = mark
    records = fetcher.PartitionRecords
    if getattr(records.__next__, "lenient_header_keys", False):
        return
    missing = [
        name
        for owner, name in (
            (records, "_unpack_records"),
            (_DefaultRecordBatchPy, "_read_msg"),
        )
        if not hasattr(owner, name)
    ]
    if missing:
        raise RuntimeError(f"aiokafka internals moved ({', '.join(missing)}): recheck kafka_records")
    patched = _patched_next(records.__next__)
    patched.lenient_header_keys = True  # type: ignore[attr-defined]
    fetcher.MemoryRecords = _KeptBuffer
    records.__next__ = patched
