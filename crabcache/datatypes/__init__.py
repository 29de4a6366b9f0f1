"""Value types that need more than a builtin (sorted sets, streams, HyperLogLog ...).

Every non-string value class has a ``type_name`` class attribute (TYPE's reply).
"""
