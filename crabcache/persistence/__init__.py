"""Persistence: the RDB format (``rdb``), its checksum (``crc64``) and
compression (``lzf``), and snapshots on disk (``snapshot``: SAVE, BGSAVE,
save points, shutdown save, startup load)."""
