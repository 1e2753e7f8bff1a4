"""BKPSDM Complaints: complaints from every channel, their lifecycle and SLA clocks, the
SP4N-LAPOR! sync and the satisfaction survey (IKM). See the service's README."""
