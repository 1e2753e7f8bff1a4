"""Attendance rules (DOMAIN.md "Attendance"): punches, schedules, daily records, monthly recap. Pure: no I/O."""
