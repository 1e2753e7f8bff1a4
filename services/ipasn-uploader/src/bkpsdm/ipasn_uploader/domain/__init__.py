"""IP-ASN's pure domain: the rule set, the per-person computation, its explanation and the
per-unit aggregation. Imports no I/O library."""
