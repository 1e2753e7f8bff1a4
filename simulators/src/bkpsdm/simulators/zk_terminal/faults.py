"""Fault switches, one set per terminal, changeable while it runs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Bounds that keep a switch meaningful: the sizes reply carries signed 32-bit counts, a clock
# skewed by more than ten years says nothing more, and an F18-class terminal
# holds 200,000 records (more take many seconds to build).
MAX_CLOCK_SKEW_S = 10 * 366 * 86_400
MAX_BULK_LOG_RECORDS = 200_000


class Faults(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_attribute_docstrings=True)

    silent: bool = False
    """Accept TCP connections and datagrams but never answer."""
    reply_delay_s: float = Field(default=0.0, ge=0, le=3600)
    """Wait this long before every reply."""
    close_mid_chunk: Literal["off", "fin", "rst"] = "off"
    """On a buffer chunk: TCP sends half the data then closes (FIN) or resets (RST); UDP stops half-way."""
    ack_error_on_buffered_read: bool = False
    """Answer every 1503 (read with buffer) with ACK_ERROR."""
    reported_record_count: int | None = Field(default=None, ge=0, le=2**31 - 1)
    """Record count to put in the sizes reply instead of the true one."""
    corrupt_timestamp_every: int = Field(default=0, ge=0)
    """Every n-th attendance record carries an impossible date (30 February)."""
    newer_firmware_records: bool = False
    """Attendance records in the 49-byte layout of newer firmware."""
    clock_skew_s: float = Field(default=0.0, ge=-MAX_CLOCK_SKEW_S, le=MAX_CLOCK_SKEW_S)
    """Added to the terminal clock (reads and punches stamped while it is set)."""
    udp_only: bool = False
    """No TCP listener (connections refused); UDP keeps working."""
    single_session: Literal["off", "silent", "refuse"] = "off"
    """While a session is open, a second CMD_CONNECT gets no answer or ACK_ERROR."""
    non_utf8_names: bool = False
    """User names stored in cp1252 instead of UTF-8."""
    bulk_log_records: int = Field(default=0, ge=0, le=MAX_BULK_LOG_RECORDS)
    """When set, the attendance log is replaced by this many generated records."""
    capture_silent: bool = False
    """Live capture dies as after a restart: registrations are lost and no events are sent."""
