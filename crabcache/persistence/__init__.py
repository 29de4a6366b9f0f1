"""Persistence: the RDB format (``rdb``), its checksum (``crc64``) and
compression (``lzf``), snapshots on disk (``snapshot``: SAVE, BGSAVE,
save points, shutdown save, startup load), the append-only file (``aof``)
and what writes leave for it (``propagate``)."""
