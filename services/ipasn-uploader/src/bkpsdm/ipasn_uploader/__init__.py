"""BKPSDM IP-ASN Uploader: every ASN's IP-ASN (Permenpan-RB 38/2018) under a versioned rule set,
explained and aggregated per unit and category, uploaded through an adapter (BKN's endpoint, or
the import file), with the upload report as its product."""
