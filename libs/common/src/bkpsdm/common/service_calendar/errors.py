from __future__ import annotations


class ServiceCalendarError(ValueError):
    """A request the calendar cannot answer; `code` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def naive_datetime(value: object) -> ServiceCalendarError:
    return ServiceCalendarError(
        "SERVICE_TIME_NAIVE_DATETIME", f"Waktu harus menyertakan zona waktu, diterima: {value!r}"
    )


def negative_duration(value: object) -> ServiceCalendarError:
    return ServiceCalendarError(
        "SERVICE_TIME_NEGATIVE_DURATION", f"Jangka waktu layanan tidak boleh negatif: {value!r}"
    )


def unknown_phrase(phrase: str) -> ServiceCalendarError:
    return ServiceCalendarError(
        "SERVICE_TIME_PHRASE_UNKNOWN",
        f"Jangka waktu penyelesaian tidak dikenali: {phrase!r} (contoh yang dikenali: '1 Hari', '3 (tiga) hari kerja', '2 jam')",
    )


def no_opening(years: int) -> ServiceCalendarError:
    return ServiceCalendarError(
        "SERVICE_TIME_NO_OPENING",
        f"Tidak ada jam layanan dalam {years} tahun ke depan menurut kalender layanan",
    )
