"""BKPSDM IP-ASN Uploader: IP-ASN computation and upload to BKN.

Foundation stage: the service runs, migrates its schema and reports health; its
capabilities arrive with its own issue.
"""
