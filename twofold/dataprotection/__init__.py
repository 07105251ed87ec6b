"""Data-subject requests: everything held about one person (export), and erasure by pseudonymisation;
and the audit log's export. At the top of the layers: it reads every app below."""
