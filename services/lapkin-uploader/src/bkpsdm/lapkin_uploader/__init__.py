"""BKPSDM Lapkin Uploader: the E-LAPKIN recap (SKP) mapped to BKN's performance records, uploaded
through an adapter (BKN's API, or the import file), with the upload report as its product."""
