"""BKPSDM Complaints: complaints from every channel, SLA, SP4N-LAPOR sync and the IKM survey.

Foundation stage: the service runs, migrates its schema and reports health; its
capabilities arrive with its own issue.
"""
