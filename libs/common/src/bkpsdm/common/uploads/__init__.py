"""What both BKN uploaders (E-LAPKIN and IP-ASN) share: the recap by reference, a resilient
BKN client, the HTTP and export-file adapters, the upload pipeline with each row's outcome in
PostgreSQL, and the upload report (JSON, XLSX, PDF).

A service supplies an `UploaderSpec` (its columns, how a recap row becomes a BKN record, its
report sections) and `build_uploader` wires the rest.
"""
