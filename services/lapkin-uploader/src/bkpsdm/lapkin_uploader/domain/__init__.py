"""Lapkin-uploader's pure domain: SKP predikat rules. Imports no I/O library."""
