"""BKPSDM Lapkin Uploader: performance-recap (SKP) validation and upload to BKN through E-LAPKIN.

Foundation stage: the service runs, migrates its schema and reports health; its
capabilities arrive with its own issue.
"""
