"""BKPSDM Attendance Gateway: fingerprint-terminal polling, de-duplication and device health.

Foundation stage: the service runs, migrates its schema and reports health; its
capabilities arrive with its own issue.
"""
