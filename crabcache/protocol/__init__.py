"""Sans-I/O RESP codec: ``reader`` (requests in) and ``writer`` (replies out).  No trio here."""
