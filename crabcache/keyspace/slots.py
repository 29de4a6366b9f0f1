"""Redis Cluster hash slots: CRC16 (XMODEM) of the key, or of its {hash tag}, mod 16384.

``binascii.crc_hqx(data, 0)`` is exactly the CRC16-CCITT/XMODEM that Redis
uses (crc16("123456789") == 0x31C3), computed in C.
"""

from __future__ import annotations

from binascii import crc_hqx

NSLOTS = 16384
SLOT_MASK = NSLOTS - 1


def key_slot(key: bytes) -> int:
    """The cluster slot of ``key``, honouring the first non-empty ``{tag}``."""
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1 : e]
    return crc_hqx(key, 0) & SLOT_MASK
