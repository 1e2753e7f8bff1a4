"""The resilient BKN client against the simulator over real HTTP (127.0.0.1): what one save
comes to under each kind of trouble, and how it gets there."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bkpsdm.common.uploads.bkn_client import BknClient, BknCredentials, Resilience, retry_after_seconds
from bkpsdm.common.uploads.model import RowState
from bkpsdm.simulators.bkn import BknSimConfig, FaultConfig, FaultRule, serve_in_thread
from bkpsdm.simulators.bkn.reference import DEFAULT_UNOR
from bkpsdm.testing.uploads import simulator_records, simulator_stats

CREDENTIALS = BknCredentials(
    "bkpsdm-sim-consumer-key",
    "bkpsdm-sim-consumer-secret",
    "bkpsdm-sim",
    "operator.bkpsdm",
    "operator-secret",
)
FAST = Resilience(
    timeout_s=0.3,
    concurrency=4,
    rate_limit_rps=None,
    attempts=6,
    wait_initial_s=0.01,
    wait_max_s=0.05,
    wait_jitter_s=0.01,
    breaker_threshold=50,
    breaker_ttl_s=0.2,
)
SAVE = "/apisiasn/1.0/skp22/save"


def skp(nip: str = "198503302010012001", **changes: Any) -> dict[str, Any]:
    return {
        "nip": nip,
        "tahun": 2025,
        "hasilKinerjaNilai": 2,
        "perilakuKerjaNilai": 2,
        "kuadranKinerjaNilai": 2,
        "unorId": DEFAULT_UNOR[3].id,
        "penilaiNama": "Kepala Dinas",
        "penilaiNipNrp": "197001011995031001",
        "penilaiJabatan": "Kepala Dinas Pendidikan",
        "penilaiUnorNama": "Dinas Pendidikan",
        "penilaiGolongan": "IV/c",
        **changes,
    }


@pytest.fixture
def sim() -> Any:
    def start(*rules: FaultRule, **config: Any) -> Any:
        faults = FaultConfig(seed=1, rules=list(rules), **config.pop("faults", {}))
        return serve_in_thread(BknSimConfig(faults=faults, **config))

    return start


async def test_a_save_is_stored_and_its_retry_with_the_same_key_is_a_replay(sim: Any) -> None:
    with sim() as url:
        client = BknClient(url, CREDENTIALS, FAST)
        first = await client.save(SAVE, skp(), "key-1")
        again = await client.save(SAVE, skp(), "key-1")
        await client.aclose()
    assert (first.state, first.replayed, first.attempts) == (RowState.STORED, False, 1)
    assert (again.state, again.replayed, again.bkn_id) == (RowState.STORED, True, first.bkn_id)


async def test_a_record_bkn_refuses_is_rejected_with_bkn_reasons_and_not_retried(sim: Any) -> None:
    with sim() as url:
        client = BknClient(url, CREDENTIALS, FAST)
        result = await client.save(SAVE, skp(kuadranKinerjaNilai=1, unorId="NOPE"), "key-2")
        await client.aclose()
    assert result.state is RowState.REJECTED
    assert result.attempts == 1
    assert {(r.code, r.field) for r in result.reasons} == {
        ("KUADRAN_INCONSISTENT", "kuadranKinerjaNilai"),
        ("UNOR_NOT_FOUND", "unorId"),
    }
    assert all(r.message for r in result.reasons)


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule(kind="error_5xx", rate=1.0, count=2),
        FaultRule(kind="error_5xx", rate=1.0, count=2, phase="after"),
        FaultRule(kind="drop", rate=1.0, count=2),
        FaultRule(kind="drop", rate=1.0, count=2, phase="after"),
        FaultRule(kind="timeout", rate=1.0, count=2, delay_s=0.6),
        FaultRule(kind="timeout", rate=1.0, count=2, delay_s=0.6, phase="after"),
        FaultRule(kind="non_json", rate=1.0, count=2, phase="after"),
        FaultRule(kind="throttle", rate=1.0, count=2, retry_after_s=0),
    ],
    ids=lambda r: f"{r.kind}-{r.phase}",
)
async def test_transient_trouble_is_retried_until_the_record_is_stored_once(
    sim: Any, rule: FaultRule
) -> None:
    with sim(rule) as url:
        client = BknClient(url, CREDENTIALS, FAST)
        result = await client.save(SAVE, skp(), "key-3")
        await client.aclose()
        records = await simulator_records(url, "skp")
    assert (result.state, result.attempts) == (RowState.STORED, 3)
    assert records["count"] == 1
    assert records["records"][0]["writes"] == 1


async def test_an_answer_that_stays_not_json_is_a_failure_of_the_row_not_a_crash(sim: Any) -> None:
    with sim(FaultRule(kind="non_json", rate=1.0, statuses=[200], scope="save")) as url:
        client = BknClient(url, CREDENTIALS, FAST)
        result = await client.save(SAVE, skp(), "key-4")
        await client.aclose()
    assert result.state is RowState.FAILED
    assert result.attempts == FAST.attempts
    assert [r.code for r in result.reasons] == ["BKN_ANSWER_UNEXPECTED"]
    assert "setelah 6 kali percobaan" in result.reasons[0].message


async def test_retry_after_is_honoured(sim: Any) -> None:
    with sim(FaultRule(kind="throttle", rate=1.0, count=1, retry_after_s=1)) as url:
        client = BknClient(url, CREDENTIALS, FAST)
        started = time.monotonic()
        result = await client.save(SAVE, skp(), "key-5")
        elapsed = time.monotonic() - started
        await client.aclose()
    assert result.state is RowState.STORED
    assert elapsed >= 1.0  # the exponential backoff alone would have waited 0.01-0.02 s


async def test_expired_tokens_are_renewed_without_losing_the_request(sim: Any) -> None:
    with sim(gateway_token_ttl_s=0.4, sso_token_ttl_s=0.6) as url:
        # No renewal margin: the tokens are used until BKN says they expired.
        client = BknClient(url, CREDENTIALS, Resilience(**{**FAST.__dict__, "token_renew_margin_s": 0}))
        results = []
        for i in range(4):
            results.append(await client.save(SAVE, skp(nip=f"19850330201001200{i}"), f"key-6-{i}"))
            await asyncio.sleep(0.35)
        renewals = client.token_renewals
        await client.aclose()
        stats = await simulator_stats(url)
    assert [r.state for r in results] == [RowState.STORED] * 4
    assert stats["auth_failures"] > 0  # BKN said 401 (expired), and the same save went through
    assert renewals > 2
    assert stats["writes"] == 4


async def test_refused_credentials_fail_the_row_at_once(sim: Any) -> None:
    with sim() as url:
        wrong = BknCredentials("key", "wrong", "bkpsdm-sim", "operator.bkpsdm", "operator-secret")
        client = BknClient(url, wrong, FAST)
        result = await client.save(SAVE, skp(), "key-7")
        await client.aclose()
    assert result.state is RowState.FAILED
    assert result.attempts == 1
    assert [r.code for r in result.reasons] == ["BKN_CREDENTIALS_REFUSED"]


async def test_the_circuit_opens_after_repeated_failures_and_waits_before_trying_again(sim: Any) -> None:
    with sim(FaultRule(kind="error_5xx", rate=1.0, scope="save")) as url:
        policy = Resilience(**{**FAST.__dict__, "breaker_threshold": 2, "breaker_ttl_s": 0.5, "attempts": 4})
        client = BknClient(url, CREDENTIALS, policy)
        started = time.monotonic()
        result = await client.save(SAVE, skp(), "key-8")
        elapsed = time.monotonic() - started
        await client.aclose()
        stats = await simulator_stats(url)
    assert result.state is RowState.FAILED
    assert result.reasons[0].code == "BKN_UNAVAILABLE"
    # Two failures opened the circuit: the third attempt never reached BKN, it waited for the
    # circuit to half-open; the fourth was the one trial call, which failed.
    assert stats["api_requests"] == 3
    assert client.counts["circuit_open"] == 1
    assert elapsed >= 0.5


async def test_the_rate_limiter_stays_under_the_quota(sim: Any) -> None:
    with sim(faults={"rate_limit_rps": 20, "rate_limit_burst": 5}) as url:
        # Half the quota: requests leave evenly spaced but may arrive bunched on a busy machine,
        # which the simulator's own burst of 5 absorbs.
        policy = Resilience(**{**FAST.__dict__, "rate_limit_rps": 10, "rate_limit_burst": 5})
        client = BknClient(url, CREDENTIALS, policy)
        started = time.monotonic()
        results = await asyncio.gather(
            *(client.save(SAVE, skp(nip=f"1985033020100120{i:02d}"), f"key-9-{i}") for i in range(25))
        )
        elapsed = time.monotonic() - started
        await client.aclose()
        stats = await simulator_stats(url)
    assert {r.state for r in results} == {RowState.STORED}
    assert stats["rate_limited"] == 0
    assert elapsed >= (25 - 5) / 10 - 0.1  # a burst of 5, then 10 a second (a lower bound only)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        ("0", 0.0),
        (" 12 ", 12.0),
        ("Wed, 21 Oct 2015 07:28:05 GMT", 5.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    from datetime import UTC, datetime

    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert retry_after_seconds(header, now) == seconds
