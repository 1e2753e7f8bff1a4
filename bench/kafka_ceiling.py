"""The machine's Kafka ceiling: Kafka's own producer benchmark, `ProducerPerformance`.

Runs `org.apache.kafka.tools.ProducerPerformance` from the jars `deploy/local/install.sh`
resolved (`deploy/local/.kafka/jars`, or `KAFKA_JARS`) with the JVM on PATH: the Java
producer, idempotent with acks=all, sending random values of the given size without key or
headers as fast as it can. No Python client on the same machine will beat it, so it is the
yardstick the outbox figures are read against.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

JARS = Path(os.environ.get("KAFKA_JARS") or Path(__file__).resolve().parents[1] / "deploy/local/.kafka/jars")
TOOL = "org.apache.kafka.tools.ProducerPerformance"
# The final line (the one with percentiles); the 5-second progress lines lack them.
_SUMMARY = re.compile(
    r"(?P<records>\d+) records sent, (?P<rate>[\d.]+) records/sec \((?P<mb>[\d.]+) MB/sec\),"
    r" (?P<avg>[\d.]+) ms avg latency, (?P<max>[\d.]+) ms max latency, (?P<p50>\d+) ms 50th"
)


class CeilingUnavailable(RuntimeError):
    """No JVM, no jars, or the tool failed: the benchmark reports the rest without ratios."""


@dataclass(frozen=True)
class Ceiling:
    records: int
    records_per_s: float
    mb_per_s: float
    avg_latency_ms: float
    max_latency_ms: float
    summary: str  # the tool's own last line, kept in the JSON results


def parse_summary(output: str) -> Ceiling:
    found = [m for m in map(_SUMMARY.search, output.splitlines()) if m]
    if not found:
        raise CeilingUnavailable(f"no summary line in {TOOL} output: {output[-500:]!r}")
    m = found[-1]
    return Ceiling(
        records=int(m["records"]),
        records_per_s=float(m["rate"]),
        mb_per_s=float(m["mb"]),
        avg_latency_ms=float(m["avg"]),
        max_latency_ms=float(m["max"]),
        summary=m.string.strip(),
    )


def command(bootstrap: str, topic: str, records: int, record_size: int, jars: Path) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise CeilingUnavailable("java not found on PATH (deploy/local/install.sh installs it)")
    if not any(jars.glob("kafka-tools-*.jar")):
        raise CeilingUnavailable(f"no kafka-tools jar in {jars} (run deploy/local/install.sh)")
    return [
        java,
        "-Xmx256m",
        # The summary is printf'd with the default locale: keep "1234.5", never "1234,5".
        "-Duser.language=en",
        "-Duser.country=US",
        "-cp",
        f"{jars}/*",
        TOOL,
        "--topic",
        topic,
        "--num-records",
        str(records),
        "--record-size",
        str(record_size),
        "--throughput",
        "-1",
        "--producer-props",
        f"bootstrap.servers={bootstrap}",
        "acks=all",
        "enable.idempotence=true",
    ]


async def producer_performance(
    bootstrap: str, topic: str, records: int, record_size: int, *, jars: Path = JARS, timeout_s: float = 300
) -> Ceiling:
    """Run the tool once on `topic` (which should exist) and return its summary."""
    proc = await asyncio.create_subprocess_exec(
        *command(bootstrap, topic, records, record_size, jars),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        raise CeilingUnavailable(f"{TOOL} did not finish within {timeout_s:g} s") from None
    finally:
        if proc.returncode is None:  # timed out or cancelled: no JVM left behind
            proc.kill()
            await proc.wait()
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise CeilingUnavailable(f"{TOOL} exited with {proc.returncode}: {text[-500:]!r}")
    return parse_summary(text)
