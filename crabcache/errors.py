"""Every error a client can see, in one place.

Rules:
- A ``CommandError`` carries the whole error line *without* the leading ``-``
  and trailing CRLF; the first word is the prefix redis-py maps to an
  exception class (ERR, WRONGTYPE, NOAUTH, EXECABORT, BUSY ...).
- Message strings are module constants (or small functions for those with
  arguments) so handlers never spell an error twice and the text matches
  Redis 7.0.15 byte for byte.
- Raising is how a handler replies with an error; the dispatcher turns the
  exception into a reply.  An error *value* inside an array (EXEC results) is
  the same class, returned instead of raised.
"""

from __future__ import annotations


class CommandError(Exception):
    """An error reply.  ``str(e)`` is the text after ``-``."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def prefix(self) -> str:
        return self.message.split(" ", 1)[0]

    def encode(self) -> bytes:
        # Redis replaces CR/LF in error strings with spaces so a reply can't break framing.
        msg = self.message.replace("\r", " ").replace("\n", " ")
        # latin-1 round-trips the raw bytes that _show() decoded, one char per byte.
        return b"-" + msg.encode("latin-1", "replace") + b"\r\n"


class ProtocolError(Exception):
    """The request stream is broken; reply with the message, then close."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def err(message: str) -> CommandError:
    """A plain ``ERR`` error."""
    return CommandError("ERR " + message)


# --- generic -----------------------------------------------------------------
SYNTAX = "ERR syntax error"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
OVERFLOW = "ERR increment or decrement would overflow"
NO_SUCH_KEY = "ERR no such key"
OUT_OF_RANGE = "ERR index out of range"
DB_INDEX = "ERR DB index is out of range"
INVALID_DB = "ERR invalid DB index"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_NOT_CONFIGURED = (
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)
TIMEOUT_NEGATIVE = "ERR timeout is negative"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
NOPROTO = "NOPROTO unsupported protocol version"
OOM = "OOM command not allowed when used memory > 'maxmemory'."
MISCONF = (
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
    "Commands that may modify the data set are disabled, because this instance is configured to report "
    "errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check "
    "the Redis logs for details about the RDB error."
)
PUBSUB_CONTEXT_PREFIX = "ERR Can't execute '"
NEGATIVE_COUNT = "ERR value is out of range, must be positive"


def unknown_command(name: bytes, args: list[bytes]) -> CommandError:
    # Redis quotes at most 128 chars of the name and of each arg, and stops
    # listing args once their total length passes 128 (sdscatlen in processCommand).
    shown = ""
    for a in args:
        if len(shown) >= 128:
            break
        shown += "'%s' " % _show(a[: 128 - len(shown)])
    return CommandError(
        "ERR unknown command '%s', with args beginning with: %s" % (_show(name[:128]), shown)
    )


def wrong_arity(fullname: str) -> CommandError:
    return CommandError("ERR wrong number of arguments for '%s' command" % fullname)


def unknown_subcommand(sub: bytes, container: str) -> CommandError:
    return CommandError(
        "ERR unknown subcommand '%s'. Try %s HELP." % (_show(sub[:128]), container.upper())
    )


def pubsub_context(name: str) -> CommandError:
    return CommandError(
        "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
        "are allowed in this context" % name
    )


def _show(b: bytes) -> str:
    # One char per byte, so length limits count bytes as Redis does; CR/LF are
    # replaced later by CommandError.encode.  Redis formats with %s: a NUL ends it.
    if 0 in b:
        b = b[: b.index(0)]
    return b.decode("latin-1")


# --- protocol ------------------------------------------------------------------
PROTO_INVALID_MULTIBULK = "Protocol error: invalid multibulk length"
PROTO_INVALID_BULK = "Protocol error: invalid bulk length"
PROTO_UNAUTH_MULTIBULK = "Protocol error: unauthenticated multibulk length"
PROTO_UNAUTH_BULK = "Protocol error: unauthenticated bulk length"
PROTO_BIG_MBULK = "Protocol error: too big mbulk count string"
PROTO_BIG_BULK = "Protocol error: too big bulk count string"
PROTO_BIG_INLINE = "Protocol error: too big inline request"
PROTO_UNBALANCED = "Protocol error: unbalanced quotes in request"


def proto_expected_dollar(got: int) -> str:
    return "Protocol error: expected '$', got '%s'" % chr(got)


# --- lists, hashes, sets, sorted sets, blocking (issue 4) ------------------------
NUMKEYS_POSITIVE = "ERR numkeys should be greater than 0"
NUMKEYS_TOO_MANY = "ERR Number of keys can't be greater than number of args"
COUNT_POSITIVE = "ERR count should be greater than 0"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
LPOS_RANK_ZERO = (
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)
LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative"
LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative"
HASH_NOT_INTEGER = "ERR hash value is not an integer"
HASH_NOT_FLOAT = "ERR hash value is not a float"
INCR_NAN_OR_INF = "ERR value is NaN or Infinity"
INCR_WOULD_BE_NAN_OR_INF = "ERR increment would produce NaN or Infinity"
RANDOM_COUNT_RANGE = (
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)
INVALID_CURSOR = "ERR invalid cursor"
ZADD_XX_NX = "ERR XX and NX options at the same time are not compatible"
ZADD_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
ZADD_INCR_PAIR = "ERR INCR option supports a single increment-element pair"
ZSCORE_NAN = "ERR resulting score is not a number (NaN)"
MIN_MAX_NOT_FLOAT = "ERR min or max is not a float"
LEX_RANGE = "ERR min or max not valid string range item"
ZRANGE_BYLEX_WITHSCORES = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
ZRANGE_LIMIT = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
WEIGHT_NOT_FLOAT = "ERR weight value is not a float"
UNBLOCKED = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
UNBLOCK_REASON = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"


def at_least_one_key(name: str) -> CommandError:
    return CommandError("ERR at least 1 input key is needed for '%s' command" % name)


# --- transactions, pub/sub, tracking, introspection (issue 5) --------------------
MULTI_NESTED = "ERR MULTI calls can not be nested"
EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI"
WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
EXECABORT_BECAUSE = "EXECABORT Transaction discarded because of: "
NOT_IN_MULTI = "ERR Command not allowed inside a transaction"
SSUBSCRIBE_DENY_BLOCKING = "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"
MONITOR_DENY_BLOCKING = "ERR MONITOR isn't allowed for DENY BLOCKING client"
REPLICA_KEYSPACE = "ERR Replica can't interact with the keyspace"
TRACKING_REDIRECT_TWICE = "ERR A client can only redirect to a single other client"
TRACKING_REDIRECT_MISSING = "ERR The client ID you want redirect to does not exist"
TRACKING_PREFIX_NEEDS_BCAST = "ERR PREFIX option requires BCAST mode to be enabled"
TRACKING_SWITCH_BCAST = (
    "ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
    "and then re-enabling it with a different mode."
)
TRACKING_BCAST_OPTIN = "ERR OPTIN and OPTOUT are not compatible with BCAST"
TRACKING_OPTIN_OPTOUT = "ERR You can't specify both OPTIN mode and OPTOUT mode"
TRACKING_SWITCH_OPT = (
    "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
    "and then re-enabling it with a different mode."
)
CACHING_NOT_TRACKING = (
    "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
    "OPTOUT mode enabled"
)
CACHING_YES = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
CACHING_NO = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
SLOWLOG_COUNT = "ERR count should be greater than or equal to -1"
PAUSE_MODE = "ERR CLIENT PAUSE mode must be WRITE or ALL"
TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range"


def prefix_overlap(prefix: bytes, other: bytes, existing: bool) -> CommandError:
    return CommandError(
        "ERR Prefix '%s' overlaps with %s prefix '%s'. Prefixes for a single client must not overlap."
        % (_show(prefix), "an existing" if existing else "another provided", _show(other))
    )


# --- streams ---------------------------------------------------------------------
STREAM_ID_INVALID = "ERR Invalid stream ID specified as stream command argument"
XADD_ID_ZERO = "ERR The ID specified in XADD must be greater than 0-0"
XADD_ID_TOO_SMALL = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
XADD_EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items"
XADD_TOO_LARGE = "ERR Elements are too large to be stored"
STREAM_MAXLEN_AND_MINID = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
STREAM_MAXLEN_NEGATIVE = "ERR The MAXLEN argument must be >= 0."
STREAM_LIMIT_NEGATIVE = "ERR The LIMIT argument must be >= 0."
STREAM_LIMIT_NO_STRATEGY = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
STREAM_LIMIT_NO_APPROX = "ERR syntax error, LIMIT cannot be used without the special ~ option"
XTRIM_NO_STRATEGY = "ERR syntax error, XTRIM must be called with a trimming strategy"
STREAM_INVALID_START = "ERR invalid start ID for the interval"
STREAM_INVALID_END = "ERR invalid end ID for the interval"
# Redis 7.0 names XREAD and '$' here even when XREADGROUP was called.
XREAD_UNBALANCED = (
    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
)
XREAD_GROUP_OPTION = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
XREAD_NOACK_OPTION = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
XREADGROUP_NO_GROUP = "ERR Missing GROUP option for XREADGROUP"
XREADGROUP_DOLLAR = (
    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of "
    "this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would "
    "just return an empty result set."
)
XREAD_GT = (
    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
    "<consumer> option."
)
TIMEOUT_OUT_OF_RANGE = "ERR timeout is out of range"
NOGROUP_BLOCKED = "NOGROUP the consumer group this client was blocked on no longer exists"
UNBLOCKED_STREAM_GONE = "UNBLOCKED the stream key no longer exists"
XGROUP_KEY_MISSING = (
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "
    "use the MKSTREAM option to create an empty stream automatically."
)
BUSYGROUP = "BUSYGROUP Consumer Group name already exists"
ENTRIESREAD_RANGE = "ERR value for ENTRIESREAD must be positive or -1"
XCLAIM_MIN_IDLE = "ERR Invalid min-idle-time argument for XCLAIM"
XCLAIM_IDLE = "ERR Invalid IDLE option argument for XCLAIM"
XCLAIM_TIME = "ERR Invalid TIME option argument for XCLAIM"
XCLAIM_RETRYCOUNT = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
XAUTOCLAIM_MIN_IDLE = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
XAUTOCLAIM_COUNT = "ERR COUNT must be > 0"
XSETID_ENTRIES_ADDED = "ERR entries_added must be positive"
XSETID_BELOW_GIVEN_MAXDELETED = (
    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
)
XSETID_BELOW_TOP = "ERR The ID specified in XSETID is smaller than the target stream top item"
XSETID_ADDED_BELOW_LENGTH = (
    "ERR The entries_added specified in XSETID is smaller than the target stream length"
)


def nogroup_xreadgroup(key: bytes, group: bytes) -> CommandError:
    return CommandError(
        "NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option"
        % (_show(key), _show(group))
    )


def nogroup_key_or_group(key: bytes, group: bytes) -> CommandError:
    return CommandError("NOGROUP No such key '%s' or consumer group '%s'" % (_show(key), _show(group)))


def nogroup_for_key(group: bytes, key: bytes) -> CommandError:
    return CommandError(
        "NOGROUP No such consumer group '%s' for key name '%s'" % (_show(group), _show(key))
    )


def xclaim_option(opt: bytes) -> CommandError:
    return CommandError("ERR Unrecognized XCLAIM option '%s'" % _show(opt))


def block_in_script(name: bytes) -> CommandError:
    """XREAD/XREADGROUP BLOCK called from Lua (the name as the script spelled it)."""
    return CommandError("ERR %s command is not allowed with BLOCK option from scripts" % _show(name))


VALUE_OUT_OF_RANGE = "ERR value is out of range"


def subcommand_syntax(sub: str, container: str) -> CommandError:
    """addReplySubcommandSyntaxError: a known subcommand with the wrong arguments."""
    return CommandError(
        "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP." % (sub, container.upper())
    )


# --- keyspace, strings, bitmaps (issue 3) -----------------------------------------
DECR_OVERFLOW = "ERR decrement would overflow"
OFFSET_RANGE = "ERR offset is out of range"
SAME_OBJECT = "ERR source and destination objects are the same"
EXPIRE_NX_CONFLICT = "ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_GT_LT_CONFLICT = "ERR GT and LT options at the same time are not compatible"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"
BITPOS_BIT = "ERR The bit argument must be 1 or 0."
BITOP_NOT_ONE_KEY = "ERR BITOP NOT must be called with a single source key."
BITFIELD_OVERFLOW_TYPE = "ERR Invalid OVERFLOW type specified"
BITFIELD_TYPE = (
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)
BITFIELD_RO_GET_ONLY = "ERR BITFIELD_RO only supports the GET subcommand"
LCS_NOT_STRINGS = "ERR The specified keys must contain string values"
LCS_IDX_AND_LEN = "ERR If you want both the length and indexes, please just use IDX."
SORT_NOT_DOUBLE = "ERR One or more scores can't be converted into double"
OBJECT_FREQ_NO_LFU = (
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
    "when switching between policies at runtime LRU and LFU data will take some time to adjust."
)
OBJECT_IDLETIME_LFU = (
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
)
INT_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"


def invalid_expire(fullname: str) -> CommandError:
    return CommandError("ERR invalid expire time in '%s' command" % fullname)


def unsupported_option(opt: bytes) -> CommandError:
    return CommandError("ERR Unsupported option %s" % _show(opt))


# --- scripting (EVAL, FUNCTION) ------------------------------------------------------
BUSY_SCRIPT = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
BUSY_FUNCTION = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
NOTBUSY = "NOTBUSY No scripts in execution right now."
UNKILLABLE = ("UNKILLABLE Sorry the script already executed write commands against the dataset. "
              "You can either wait the script termination or kill the server in a hard way "
              "using the SHUTDOWN NOSAVE command.")
NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."
SCRIPT_RO_WITH_WRITE_FLAG = "ERR Can not execute a script with write flag using *_ro command."
SCRIPT_UNKNOWN_COMMAND = "ERR Unknown Redis command called from script"
SCRIPT_WRONG_ARITY = "ERR Wrong number of args calling Redis command from script"
SCRIPT_NOSCRIPT_COMMAND = "ERR This Redis command is not allowed from script"
SCRIPT_WRITE_IN_RO = "ERR Write commands are not allowed from read-only scripts."
SCRIPT_NO_ARGS = "ERR Please specify at least one argument for this redis lib call"
SCRIPT_ARG_TYPE = "ERR Lua redis lib command arguments must be strings or integers"
FUNCTION_NOT_FOUND = "ERR Function not found"
LIBRARY_NOT_FOUND = "ERR Library not found"
FUNCTION_BAD_NAME = ("ERR Library names can only contain letters, numbers, or underscores(_) "
                     "and must be at least one character long")


# --- geo ---------------------------------------------------------------------------------
GEO_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI"
GEO_MEMBER_DECODE = "ERR could not decode requested zset member"
GEO_NEED_RADIUS = "ERR need numeric radius"
GEO_NEED_WIDTH = "ERR need numeric width"
GEO_NEED_HEIGHT = "ERR need numeric height"
GEO_RADIUS_NEGATIVE = "ERR radius cannot be negative"
GEO_BOX_NEGATIVE = "ERR height or width cannot be negative"
GEO_COUNT = XAUTOCLAIM_COUNT  # "ERR COUNT must be > 0", the same text
GEO_ANY_NEEDS_COUNT = "ERR the ANY argument requires COUNT argument"
GEO_STORE_WITH_WITH = "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
GEO_STORE_WITH_WITH_SEARCHSTORE = (
    "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
)


def geo_invalid_lonlat(lon: float, lat: float) -> CommandError:
    """extractLongLatOrReply's ``%f,%f`` (C prints inf as "inf", as Python does)."""
    return CommandError("ERR invalid longitude,latitude pair %f,%f" % (lon, lat))


def geo_need_from(name: bytes) -> CommandError:
    return CommandError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s" % _show(name))


def geo_need_by(name: bytes) -> CommandError:
    return CommandError("ERR exactly one of BYRADIUS and BYBOX can be specified for %s" % _show(name))


# --- HyperLogLog ----------------------------------------------------------------------
HLL_WRONGTYPE = "WRONGTYPE Key is not a valid HyperLogLog string value."
HLL_INVALID = "INVALIDOBJ Corrupted HLL object detected"
PFDEBUG_NO_KEY = "ERR The specified key does not exist"
PFDEBUG_NOT_SPARSE = "ERR HLL encoding is not sparse"


def pfdebug_unknown(sub: bytes) -> CommandError:
    # Redis prints the subcommand as a C string: a NUL ends it.
    return CommandError("ERR Unknown PFDEBUG subcommand '%s'" % _show(sub))


# --- AOF (persistence.aof): replies and the lines loading logs before refusing to start --
AOF_REWRITE_IN_PROGRESS = "ERR Background append only file rewriting already in progress"
AOF_REWRITE_FAILED = ("ERR Can't execute an AOF background rewriting. "
                      "Please check the server logs for more information.")
BGSAVE_CHILD_ACTIVE = ("ERR Another child process is active (AOF?): can't BGSAVE right now. "
                       "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
MISCONF_AOF = "MISCONF Errors writing to the AOF file: %s"
AOF_LOAD_ERROR = "ERR Error loading the AOF, check server logs."
AOF_BAD_FORMAT = ("Bad file format reading the append only file %s: make a backup of your AOF file, "
                  "then use ./redis-check-aof --fix <filename.manifest>")
AOF_UNEXPECTED_EOF = ("Unexpected end of file reading the append only file %s. You can: 1) Make a backup "
                      "of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) "
                      "Alternatively you can set the 'aof-load-truncated' configuration option to yes "
                      "and restart the server.")
AOF_UNKNOWN_COMMAND = "Unknown command '%s' reading the append only file %s"
AOF_MISSING = "The AOF file %s doesn't exist"
AOF_MANIFEST_FORMAT = "Invalid AOF manifest file format"
AOF_MANIFEST_DUP_BASE = "Found duplicate base file information"
AOF_MANIFEST_SEQ = "Found a non-monotonic sequence number"
