"""Complaints' pure rules: the complaint and its lifecycle, SLA clocks, attachments, SMS parts,
form tokens, the satisfaction survey (IKM) and the error catalogue. No I/O."""
