"""CrabCache: a Redis 7.0-compatible server in Python, on trio."""

__version__ = "0.1.0"
REDIS_VERSION = "7.0.15"  # the Redis behaviour we match, reported as redis_version
