"""The keyspace: databases sharded by Redis Cluster hash slot (see ``db``), expiry, wake-ups.

Why shards on one thread: no locking is needed, but each shard (a hash slot)
bounds the work of one step -- active expiry, SCAN, snapshots and eviction walk
one slot at a time -- and slot-aware commands and cluster mode come for free.
"""
