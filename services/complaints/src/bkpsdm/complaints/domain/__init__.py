"""Complaints' pure rules: the satisfaction survey (IKM) and the service's error catalogue. No I/O."""
