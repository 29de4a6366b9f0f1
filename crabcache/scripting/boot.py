"""The Lua side of the sandbox, run once in every fresh Lua state.

Rules of this chunk:

* It is compiled with the chunk name ``=[C]``: its frames stand where Redis
  has C functions, and the error handler skips them when it looks for the
  user's line (``user_script:3``).  It never raises an error with a position
  of its own: messages that Redis raises with ``luaL_error`` are raised with
  ``error(msg, 2)`` (the caller's position), the rest with level 0 or as
  error tables.
* Everything it needs is captured in locals.  Every chunk compiled for a
  user (scripts, libraries, ``loadstring``/``load`` at run time) gets the
  read-only proxy of the sandbox as its environment, so it sees only what
  Redis 7.0 exposes; the raw globals of the state stay for lupa's own use,
  emptied of anything dangerous.
* Read-only tables (Redis 7.0.15 patches its Lua so that globals and library
  tables refuse writes) are empty proxies whose ``__index`` is the real table
  and whose ``__newindex`` raises; the few base functions that would bypass
  a proxy (rawset, rawget, next, pairs, ipairs, setmetatable, getmetatable,
  table.insert) are wrapped to see through it or refuse.
* Functions that can raise (redis.call, redis.setresp ..., bit, struct,
  cjson, cmsgpack) are Python callables, which Lua treats as C functions:
  ``return redis.call(...)`` then keeps the caller's frame, as in Redis
  (a Lua wrapper would be tail-called and the error would lose the user's
  line).  They raise ``libs.ScriptError``; ``convert_error`` turns it into
  the error table or the positioned message Redis would have raised.
* Data crosses to Python as flat arrays of tags (see ``convert.py``), which
  is much cheaper than walking Lua tables from Python.

The chunk receives a table of Python helpers and the VM kind ("eval" or
"function") and returns a table of entry points for ``vm.py``.
"""

BOOT = r"""
local py, kind, version, version_num = ...

local type, pairs, next, ipairs, rawget, rawset, rawequal =
      type, pairs, next, ipairs, rawget, rawset, rawequal
local setmetatable, getmetatable, error, tostring, tonumber =
      setmetatable, getmetatable, error, tostring, tonumber
local select, unpack, pcall, xpcall, loadstring =
      select, unpack, pcall, xpcall, loadstring
local setfenv, newproxy = setfenv, newproxy
local string, table, math, coroutine = string, table, math, coroutine
local sethook, getinfo = debug.sethook, debug.getinfo
local floor, huge = math.floor, math.huge
local format, sub, find, lower, byte, char, gsub =
      string.format, string.sub, string.find, string.lower, string.byte, string.char, string.gsub
local concat, tinsert = table.concat, table.insert
local co_create, co_resume, co_status = coroutine.create, coroutine.resume, coroutine.status

local py_hook, py_errinfo, py_resp, py_register = py.hook, py.errinfo, py.resp, py.register

local READONLY = "Attempt to modify a readonly table"
local HOOK_COUNT = 100000

local function pack_n(...) return {n = select('#', ...), ...} end

local function typename(n, ...)
  if select('#', ...) < n then return "no value" end
  return type((select(n, ...)))
end

local function argerror(n, fname, msg, level)
  error(format("bad argument #%d to '%s' (%s)", n, fname, msg), level or 3)
end

-- ---------------------------------------------------------------- read-only
local REAL = {}     -- proxy -> real table
local FAKEMT = {}   -- proxy or special value -> what getmetatable shows

local function ro_newindex() error(READONLY, 2) end

local function readonly(real)
  local p = {}
  setmetatable(p, {__index = real, __newindex = ro_newindex})
  REAL[p] = real
  return p
end

local function missing_global(t, k)
  local tk = type(k)
  if tk ~= "string" and tk ~= "number" then
    error("Second argument to luaProtectedTableError must be a string or number", 2)
  end
  error("Script attempted to access nonexistent global variable '" .. k .. "'", 2)
end
local MISSING_MT = {__index = missing_global}

-- ---------------------------------------------------------------- hook
local hook
local function set_count_hook(co)
  if co then sethook(co, hook, "", HOOK_COUNT) else sethook(hook, "", HOOK_COUNT) end
end
hook = function()
  local r = py_hook()
  -- Never raise inside the glue itself (the runner's own last lines would
  -- fire the line hook after the script is done): user code gets it next.
  if r ~= 0 and getinfo(2, "S").source == "=[C]" then return end
  if r == 1 then
    -- Fire on every line from now on, so pcall can't keep a killed script alive.
    sethook(hook, "l")
    error({err = "ERR Script killed by user with SCRIPT KILL..."})
  elseif r == 2 then
    sethook(hook, "l")
    error({err = "ERR FUNCTION LOAD timeout"})
  end
end

-- ---------------------------------------------------------------- safe base functions
local S = {}

S.rawset = function(...)
  local t = ...
  if type(t) ~= "table" then argerror(1, "rawset", "table expected, got " .. typename(1, ...)) end
  if select('#', ...) < 2 then argerror(2, "rawset", "value expected") end
  if select('#', ...) < 3 then argerror(3, "rawset", "value expected") end
  if REAL[t] then error(READONLY, 0) end
  local _, k, v = ...
  return rawset(t, k, v)
end

S.rawget = function(...)
  local t, k = ...
  if type(t) ~= "table" then argerror(1, "rawget", "table expected, got " .. typename(1, ...)) end
  if select('#', ...) < 2 then argerror(2, "rawget", "value expected") end
  return rawget(REAL[t] or t, k)
end

S.next = function(...)
  local t, k = ...
  if type(t) ~= "table" then argerror(1, "next", "table expected, got " .. typename(1, ...)) end
  return next(REAL[t] or t, k)
end

S.pairs = function(...)
  local t = ...
  if type(t) ~= "table" then argerror(1, "pairs", "table expected, got " .. typename(1, ...)) end
  return next, REAL[t] or t, nil
end

S.ipairs = function(...)
  local t = ...
  if type(t) ~= "table" then argerror(1, "ipairs", "table expected, got " .. typename(1, ...)) end
  return ipairs(REAL[t] or t)
end

S.setmetatable = function(...)
  local t, mt = ...
  if type(t) ~= "table" then argerror(1, "setmetatable", "table expected, got " .. typename(1, ...)) end
  local tm = type(mt)
  if tm ~= "nil" and tm ~= "table" then argerror(2, "setmetatable", "nil or table expected") end
  if REAL[t] then error(READONLY, 0) end
  local old = getmetatable(t)
  if type(old) == "table" and rawget(old, "__metatable") ~= nil then
    error("cannot change a protected metatable", 2)
  end
  return setmetatable(t, mt)
end

local STRING_MT
S.getmetatable = function(...)
  if select('#', ...) < 1 then argerror(1, "getmetatable", "value expected") end
  local o = ...
  if REAL[o] then return FAKEMT[o] end
  if o == NULL then return nil end
  if type(o) == "string" then return STRING_MT end
  return getmetatable(o)
end

local function check_lua_function(f, fname)
  if type(f) ~= "function" or getinfo(f, "S").what == "C" then
    argerror(1, fname, "Lua function expected", 4)
  end
end

local co = {}
for k, v in pairs(coroutine) do co[k] = v end
-- New coroutines get the count hook too: Lua 5.1 keeps Lua hooks per thread.
co.create = function(f)
  check_lua_function(f, "create")
  local c = co_create(f)
  set_count_hook(c)
  return c
end
co.wrap = function(f)
  check_lua_function(f, "wrap")
  local c = co_create(f)
  set_count_hook(c)
  return function(...)
    local r = pack_n(co_resume(c, ...))
    if r[1] then return unpack(r, 2, r.n) end
    local e = r[2]
    if type(e) == "string" or type(e) == "number" then error(e, 2) end
    error(e, 0)
  end
end

local tbl = {}
for k, v in pairs(table) do tbl[k] = v end
tbl.insert = function(...)
  local t = ...
  if type(t) ~= "table" then argerror(1, "insert", "table expected, got " .. typename(1, ...)) end
  local n = select('#', ...)
  if n ~= 2 and n ~= 3 then error("wrong number of arguments to 'insert'", 2) end
  if n == 3 and tonumber((select(2, ...))) == nil then
    argerror(2, "insert", "number expected, got " .. typename(2, ...))
  end
  if REAL[t] then error(READONLY, 0) end
  return tinsert(...)
end

-- ---------------------------------------------------------------- math.random (Redis's rand48)
local x0, x1, x2 = 0x330E, 0xABCD, 0x1234
local function lrand48()
  local p0 = 0xE66D * x0 + 0xB
  local n0 = p0 % 65536
  local p1 = 0xE66D * x1 + 0xDEEC * x0 + (p0 - n0) / 65536
  local n1 = p1 % 65536
  local p2 = 0xE66D * x2 + 0xDEEC * x1 + 0x5 * x0 + (p1 - n1) / 65536
  x0, x1, x2 = n0, n1, p2 % 65536
  return x2 * 32768 + floor(x1 / 2)
end
local function checkint(n, fname, ...)
  local v = tonumber((select(n, ...)))
  if v == nil then argerror(n, fname, "number expected, got " .. typename(n, ...), 4) end
  if v >= 2147483648 or v < -2147483648 or v ~= v then return -2147483648 end
  return v >= 0 and floor(v) or -floor(-v)
end
local m = {}
for k, v in pairs(math) do m[k] = v end
m.random = function(...)
  local r = (lrand48() % 2147483647) / 2147483647
  local n = select('#', ...)
  if n == 0 then return r
  elseif n == 1 then
    local u = checkint(1, "random", ...)
    if u < 1 then argerror(1, "random", "interval is empty") end
    return floor(r * u) + 1
  elseif n == 2 then
    local l = checkint(1, "random", ...)
    local u = checkint(2, "random", ...)
    if l > u then argerror(2, "random", "interval is empty") end
    return floor(r * (u - l + 1)) + l
  end
  error("wrong number of arguments", 2)
end
m.randomseed = function(...)
  local s = checkint(1, "randomseed", ...)
  if s < 0 then s = s + 4294967296 end
  x0, x1, x2 = 0x330E, s % 65536, floor(s / 65536)
end

-- ---------------------------------------------------------------- errors
-- Python helpers raise ScriptError; Lua sees a userdata and py_errinfo says
-- what it stands for: 1 an error table {err=...}, 2 a luaL_error message
-- (gets the calling line's position), 3 a plain message.
local INTERNAL = "=[C]"
local function convert_error(err, level)
  -- level: where the raising function sits, counted from this function.
  if type(err) ~= "userdata" then return err end
  local kind, msg, ign = py_errinfo(err)
  if kind == 1 then
    local e = {err = msg}
    if ign then e.ignore_error_stats_update = true end
    return e
  elseif kind == 2 then
    local l = level + 1
    local i = getinfo(l, "Sl")
    while i and i.source == INTERNAL do l = l + 1; i = getinfo(l, "Sl") end
    if i and i.currentline > 0 then return i.short_src .. ":" .. i.currentline .. ": " .. msg end
    return msg
  elseif kind == 3 then
    return msg
  end
  return "ERR " .. tostring(err)
end

local function err_handler(err)
  err = convert_error(err, 3)
  local level = 2
  local i = getinfo(level, "nSl")
  while i and i.source == INTERNAL do level = level + 1; i = getinfo(level, "nSl") end
  if i and i.what == "C" then
    level = level + 1
    i = getinfo(level, "nSl")
    while i and i.source == INTERNAL do level = level + 1; i = getinfo(level, "nSl") end
  end
  if type(err) ~= "table" then
    err = {err = "ERR " .. tostring(err)}
  end
  if i then
    err["source"] = i.source
    err["line"] = i.currentline
  end
  return err
end

local function pcall_handler(e) return convert_error(e, 3) end

-- Redis 7.0's pcall hands back the message of an error table, not the table.
local function pcall_result(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == "table" then
    local m = e.err
    if type(m) == "string" or type(m) == "number" then e = m end
  end
  return false, e
end
S.pcall = function(...)
  local n = select('#', ...)
  if n < 1 then argerror(1, "pcall", "value expected") end
  local f = ...
  local tf = type(f)
  if tf ~= "function" and tf ~= "userdata" and tf ~= "table" then
    return false, "attempt to call a " .. tf .. " value"
  end
  local args = pack_n(select(2, ...))
  return pcall_result(xpcall(function() return f(unpack(args, 1, args.n)) end, pcall_handler))
end
S.xpcall = function(f, h)
  return xpcall(f, function(e) return h(convert_error(e, 3)) end)
end
co.resume = function(c, ...)
  local r = pack_n(co_resume(c, ...))
  if not r[1] then r[2] = convert_error(r[2], 1000) end
  return unpack(r, 1, r.n)
end

-- ---------------------------------------------------------------- conversions
local NULL
local RESP = 2
-- Lua -> Python: the script's return value, as luaReplyToRedisReply reads it.
local function flat(v, out, n)
  local t = type(v)
  if t == "string" then out[n + 1] = 2; out[n + 2] = v; return n + 2
  elseif t == "number" then out[n + 1] = 1; out[n + 2] = v; return n + 2
  elseif t == "boolean" then
    if RESP == 3 then out[n + 1] = 4; out[n + 2] = v; return n + 2 end
    if v then out[n + 1] = 1; out[n + 2] = 1; return n + 2 end
    out[n + 1] = 3; return n + 1
  elseif t == "table" then
    local x = rawget(v, "err")
    if type(x) == "string" then
      out[n + 1] = 7; out[n + 2] = x; out[n + 3] = v.ignore_error_stats_update and true or false
      return n + 3
    end
    x = rawget(v, "ok")
    if type(x) == "string" then out[n + 1] = 6; out[n + 2] = x; return n + 2 end
    x = rawget(v, "double")
    if type(x) == "number" then out[n + 1] = 8; out[n + 2] = x; return n + 2 end
    x = rawget(v, "big_number")
    if type(x) == "string" then out[n + 1] = 11; out[n + 2] = x; return n + 2 end
    x = rawget(v, "verbatim_string")
    if type(x) == "table" then
      local f, s = rawget(x, "format"), rawget(x, "string")
      if type(f) == "string" and type(s) == "string" then
        out[n + 1] = 12; out[n + 2] = f; out[n + 3] = s; return n + 3
      end
    end
    x = rawget(v, "map")
    if type(x) == "table" then
      out[n + 1] = 9
      local at, c = n + 2, 0
      n = n + 2
      for k, val in next, x do n = flat(k, out, n); n = flat(val, out, n); c = c + 1 end
      out[at] = c
      return n
    end
    x = rawget(v, "set")
    if type(x) == "table" then
      out[n + 1] = 10
      local at, c = n + 2, 0
      n = n + 2
      for k in next, x do n = flat(k, out, n); c = c + 1 end
      out[at] = c
      return n
    end
    out[n + 1] = 5
    local at, j = n + 2, 1
    n = n + 2
    while true do
      local e = rawget(v, j)
      if e == nil then break end
      n = flat(e, out, n)
      j = j + 1
    end
    out[at] = j - 1
    return n
  end
  out[n + 1] = 3
  return n + 1
end

-- Hand a result to Python: scalars as they are, anything else flattened.
local function result(ok, v)
  if not ok then
    if type(v) ~= "table" then return 0, tostring(v) end
    local e = v.err
    if type(e) == "number" then e = tostring(e) end
    local line = v.line
    if type(line) == "number" then line = tostring(line) end
    local src = v.source
    if type(src) == "number" then src = tostring(src) end
    return 0, e, src, line, v.ignore_error_stats_update and true or false
  end
  local t = type(v)
  if t == "string" or t == "number" then return 1, v end
  if v == nil then return 3 end
  RESP = py_resp()
  local out = {}
  flat(v, out, 0)
  return 2, out
end

-- Python -> Lua for decoded data (cjson, cmsgpack): a flat array of tags.
local unpack_value
unpack_value = function(t, i)
  local tag = t[i]
  if tag == 1 then return t[i + 1], i + 2
  elseif tag == 2 then return nil, i + 1
  elseif tag == 3 then
    local n, a = t[i + 1], {}
    i = i + 2
    for j = 1, n do a[j], i = unpack_value(t, i) end
    return a, i
  elseif tag == 20 then
    local n, o = t[i + 1], {}
    i = i + 2
    for _ = 1, n do
      local k, v
      k, i = unpack_value(t, i)
      v, i = unpack_value(t, i)
      if k ~= nil then o[k] = v end
    end
    return o, i
  elseif tag == 21 then return NULL, i + 1
  end
  error("bad tag " .. tostring(tag), 0)
end
local function unpack_values(t, count)
  local vals, i = {}, 1
  for j = 1, count do vals[j], i = unpack_value(t, i) end
  return unpack(vals, 1, count)
end

-- ---------------------------------------------------------------- redis.*
local function raise(msg) error({err = msg}) end

local function trim_crlf(s)
  local a, b = 1, #s
  while a <= b do
    local c = byte(s, a)
    if c ~= 13 and c ~= 10 then break end
    a = a + 1
  end
  while b >= a do
    local c = byte(s, b)
    if c ~= 13 and c ~= 10 then break end
    b = b - 1
  end
  return sub(s, a, b)
end

local function error_reply(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= "string" then
    return {err = "ERR wrong number or type of arguments"}
  end
  if sub(e, 1, 1) ~= "-" then e = "-" .. e end
  local sp = find(e, " ", 1, true)
  local code, msg
  if not sp then code, msg = "ERR", sub(e, 2) else code, msg = sub(e, 2, sp - 1), sub(e, sp + 1) end
  return {err = code .. " " .. trim_crlf(msg)}
end

local function status_reply(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= "string" then
    return {err = "ERR wrong number or type of arguments"}
  end
  return {ok = s}
end

-- The functions that can raise are Python callables: to Lua they are C
-- functions, so "return redis.call(...)" keeps the caller's frame (a Lua
-- wrapper would be tail-called and the error would lose the user's line).
local R = {
  call = py.call, pcall = py.pcall, log = py.log, setresp = py.setresp,
  sha1hex = py.sha1hex, error_reply = error_reply, status_reply = status_reply,
  set_repl = py.set_repl, acl_check_cmd = py.acl,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
  REDIS_VERSION = version, REDIS_VERSION_NUM = version_num,
}
if kind == "eval" then
  R.replicate_commands = function() return true end
  R.breakpoint = function() return false end
  R.debug = function() end
end

-- ---------------------------------------------------------------- bit, struct
local B = {}
for _, name in ipairs({"tobit", "bnot", "bswap", "band", "bor", "bxor", "lshift", "rshift",
                       "arshift", "rol", "ror", "tohex"}) do
  B[name] = py["bit_" .. name]
end
local ST = {pack = py.struct_pack, unpack = py.struct_unpack, size = py.struct_size}

-- ---------------------------------------------------------------- cmsgpack
local MP_MAX_NESTING = 16
local function mp_flat(v, out, n, level)
  local t = type(v)
  if t == "table" and level == MP_MAX_NESTING then t = "nil" end
  if t == "string" then out[n + 1] = 1; out[n + 2] = v; return n + 2
  elseif t == "boolean" then out[n + 1] = 2; out[n + 2] = v; return n + 2
  elseif t == "number" then out[n + 1] = 3; out[n + 2] = v; return n + 2
  elseif t == "table" then
    local count, max = 0, 0
    local is_array = true
    for k in next, v do
      if type(k) ~= "number" then is_array = false; break end
      local idx = k >= 0 and floor(k) or -floor(-k)
      if idx ~= k or idx < 1 then is_array = false; break end
      count = count + 1
      if idx > max then max = idx end
    end
    if is_array and max == count then
      local len = #v
      out[n + 1] = 6; out[n + 2] = len
      n = n + 2
      for j = 1, len do n = mp_flat(rawget(v, j), out, n, level + 1) end
      return n
    end
    count = 0
    for _ in next, v do count = count + 1 end
    out[n + 1] = 7; out[n + 2] = count
    n = n + 2
    for k, val in next, v do
      n = mp_flat(k, out, n, level + 1)
      n = mp_flat(val, out, n, level + 1)
    end
    return n
  end
  out[n + 1] = 5
  return n + 1
end
local function mp_flat_one(v)
  local out = {}
  mp_flat(v, out, 0, 0)
  return out
end
local MP = {
  _NAME = "cmsgpack", _VERSION = "lua-cmsgpack 0.4.0",
  _COPYRIGHT = "Copyright (C) 2012, Salvatore Sanfilippo",
  _DESCRIPTION = "MessagePack C implementation for Lua",
  pack = py.mp_pack, unpack = py.mp_unpack, unpack_one = py.mp_unpack_one,
  unpack_limit = py.mp_unpack_limit,
}

-- ---------------------------------------------------------------- cjson
NULL = newproxy(true)
getmetatable(NULL).__tostring = function() return "userdata: (nil)" end
local CJ_PROXY

local J = {
  encode_max_depth = 1000, decode_max_depth = 1000, precision = 14,
  sparse_convert = false, sparse_ratio = 2, sparse_safe = 10,
  encode_invalid = false, decode_invalid = true, keep_buffer = true,
}
local ESCAPES = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t', ['\127'] = '\\u007f',
}
for c = 0, 31 do
  local ch = char(c)
  if not ESCAPES[ch] then ESCAPES[ch] = format("\\u%04x", c) end
end
local function json_string(s)
  return '"' .. gsub(s, '[%c"\\/\127]', ESCAPES) .. '"'
end
local function json_exc(v, reason)
  error(format("Cannot serialise %s: %s", type(v), reason), 0)
end
local function json_number(n)
  if n ~= n or n == huge or n == -huge then
    if not J.encode_invalid then json_exc(n, "must not be NaN or Inf") end
    if n ~= n then return "nan" end
    return n > 0 and "inf" or "-inf"
  end
  return format("%." .. J.precision .. "g", n)
end
local json_value
json_value = function(v, out, depth)
  local t = type(v)
  if t == "string" then out[#out + 1] = json_string(v)
  elseif t == "number" then out[#out + 1] = json_number(v)
  elseif t == "boolean" then out[#out + 1] = v and "true" or "false"
  elseif t == "nil" then out[#out + 1] = "null"
  elseif v == NULL then out[#out + 1] = "null"
  elseif t == "table" then
    depth = depth + 1
    if depth > J.encode_max_depth then
      error(format("Cannot serialise, excessive nesting (%d)", depth), 0)
    end
    local max, items, array = 0, 0, true
    for k in next, v do
      if type(k) == "number" and k ~= 0 and floor(k) == k and k >= 1 then
        if k > max then max = k end
        items = items + 1
      else
        array = false
        break
      end
    end
    if array and J.sparse_ratio > 0 and max > items * J.sparse_ratio and max > J.sparse_safe then
      if not J.sparse_convert then json_exc(v, "excessively sparse array") end
      array = false
    end
    if array and max > 0 then
      out[#out + 1] = "["
      for j = 1, max do
        if j > 1 then out[#out + 1] = "," end
        json_value(rawget(v, j), out, depth)
      end
      out[#out + 1] = "]"
    else
      out[#out + 1] = "{"
      local first = true
      for k, val in next, v do
        if not first then out[#out + 1] = "," end
        first = false
        local tk = type(k)
        if tk == "string" then out[#out + 1] = json_string(k)
        elseif tk == "number" then out[#out + 1] = '"' .. json_number(k) .. '"'
        else json_exc(k, "table key must be a number or string") end
        out[#out + 1] = ":"
        json_value(val, out, depth)
      end
      out[#out + 1] = "}"
    end
  else
    json_exc(v, "type not supported")
  end
end
-- Called by Python's cjson.encode: (true, text) or (false, message).
local function json_encode(v)
  local out = {}
  local ok, e = pcall(json_value, v, out, 0)
  if not ok then
    if type(e) == "table" then error(e, 0) end  -- a kill from the hook
    return false, e
  end
  return true, concat(out)
end
local function json_option(name, lo, hi, ...)
  if select('#', ...) > 0 then
    local v = tonumber((...))
    if v == nil or v < lo or v > hi then
      argerror(1, name, format("expected integer between %d and %d", lo, hi), 4)
    end
    return floor(v)
  end
end
local function json_bool_option(name, ...)
  if select('#', ...) > 0 then
    local v = ...
    if v == "on" then return true elseif v == "off" then return false end
    if type(v) == "boolean" then return v end
    argerror(1, name, "invalid option '" .. tostring(v) .. "'", 4)
  end
end
local CJ = {
  _NAME = "cjson", _VERSION = "2.1.0", null = NULL,
  encode = py.json_encode,
  decode = py.json_decode,
  encode_max_depth = function(...)
    local v = json_option("encode_max_depth", 1, 2147483647, ...)
    if v then J.encode_max_depth = v end
    return J.encode_max_depth
  end,
  decode_max_depth = function(...)
    local v = json_option("decode_max_depth", 1, 2147483647, ...)
    if v then J.decode_max_depth = v end
    return J.decode_max_depth
  end,
  encode_number_precision = function(...)
    local v = json_option("encode_number_precision", 1, 14, ...)
    if v then J.precision = v end
    return J.precision
  end,
  encode_keep_buffer = function(...)
    local v = json_bool_option("encode_keep_buffer", ...)
    if v ~= nil then J.keep_buffer = v end
    return J.keep_buffer
  end,
  encode_invalid_numbers = function(...)
    local v = json_bool_option("encode_invalid_numbers", ...)
    if v ~= nil then J.encode_invalid = v end
    return J.encode_invalid
  end,
  decode_invalid_numbers = function(...)
    local v = json_bool_option("decode_invalid_numbers", ...)
    if v ~= nil then J.decode_invalid = v end
    return J.decode_invalid
  end,
  encode_sparse_array = function(...)
    local n = select('#', ...)
    if n >= 1 then J.sparse_convert = json_bool_option("encode_sparse_array", (...)) end
    if n >= 2 then J.sparse_ratio = floor(tonumber((select(2, ...))) or J.sparse_ratio) end
    if n >= 3 then J.sparse_safe = floor(tonumber((select(3, ...))) or J.sparse_safe) end
    return J.sparse_convert, J.sparse_ratio, J.sparse_safe
  end,
}
CJ.new = function() return CJ_PROXY end
local function json_config() return J.decode_max_depth, J.decode_invalid end

-- ---------------------------------------------------------------- the sandbox
local function lib(t) return readonly(t) end

local string_proxy = lib(string)
STRING_MT = readonly({__index = string_proxy})
-- The real string metatable points at the proxy, so ("x"):upper() still works
-- and getmetatable("").__index == string holds, as in Redis.
getmetatable("").__index = string_proxy

local ENV = {}

-- Chunks made at run time get the sandbox as their environment (Lua would
-- give them the state's raw globals, which lupa needs and scripts must not see).
local load = load
S.loadstring = function(...)
  local s = ...
  if type(s) ~= "string" and type(s) ~= "number" then
    argerror(1, "loadstring", "string expected, got " .. typename(1, ...))
  end
  local f, e = loadstring(...)
  if f then setfenv(f, ENV) end
  return f, e
end
S.load = function(...)
  local f = ...
  if type(f) ~= "function" then argerror(1, "load", "function expected, got " .. typename(1, ...)) end
  local fn, e = load(...)
  if fn then setfenv(fn, ENV) end
  return fn, e
end

local BASE = {
  assert = assert, collectgarbage = collectgarbage, error = error, gcinfo = gcinfo,
  getmetatable = S.getmetatable, ipairs = S.ipairs, load = S.load, loadstring = S.loadstring,
  next = S.next, pairs = S.pairs, pcall = S.pcall, rawequal = rawequal, rawget = S.rawget,
  rawset = S.rawset, select = select, setmetatable = S.setmetatable, tonumber = tonumber,
  tostring = tostring, type = type, unpack = unpack, xpcall = S.xpcall, _VERSION = _VERSION,
  string = string_proxy, table = lib(tbl), math = lib(m), coroutine = lib(co),
  bit = lib(B), struct = lib(ST), cmsgpack = lib(MP), cjson = nil,
}
CJ_PROXY = lib(CJ)
BASE.cjson = CJ_PROXY

local G = {}
for k, v in pairs(BASE) do G[k] = v end
G.redis = lib(R)
if kind == "eval" then G.__redis__err__handler = err_handler end
setmetatable(G, MISSING_MT)
local ENV_MT = {__index = G, __newindex = ro_newindex}
setmetatable(ENV, ENV_MT)
REAL[ENV] = G
G._G = ENV
FAKEMT[ENV] = readonly({__index = missing_global})

-- FUNCTION LOAD sees only a small redis table; everything else is missing.
local LOAD_API
if kind == "function" then
  local LR = {
    register_function = nil, log = py.log,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
    REDIS_VERSION = version, REDIS_VERSION_NUM = version_num,
  }
  local FLAGS = {["no-writes"] = 1, ["allow-oom"] = 1, ["allow-stale"] = 1,
                 ["no-cluster"] = 1, ["allow-cross-slot-keys"] = 1}
  local function is_str(v) local t = type(v) return t == "string" or t == "number" end
  local function read_flags(v)
    local out, j = {}, 1
    while true do
      local f = v[j]
      if f == nil then return out end
      if not is_str(f) then return nil end
      local lf = lower(tostring(f))
      if not FLAGS[lf] then return nil end
      out[#out + 1] = lf
      j = j + 1
    end
  end
  LR.register_function = function(...)
    local argc = select('#', ...)
    if argc < 1 or argc > 2 then raise("ERR wrong number of arguments to redis.register_function") end
    local name, fn, desc, flags
    if argc == 1 then
      local t = ...
      if type(t) ~= "table" then
        raise("ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
      end
      for k, v in next, t do
        if not is_str(k) then raise("ERR named argument key given to redis.register_function is not a string") end
        local lk = lower(tostring(k))
        if lk == "function_name" then
          if not is_str(v) then raise("ERR function_name argument given to redis.register_function must be a string") end
          name = tostring(v)
        elseif lk == "description" then
          if not is_str(v) then raise("ERR description argument given to redis.register_function must be a string") end
          desc = tostring(v)
        elseif lk == "callback" then
          if type(v) ~= "function" then raise("ERR callback argument given to redis.register_function must be a function") end
          fn = v
        elseif lk == "flags" then
          if type(v) ~= "table" then raise("ERR flags argument to redis.register_function must be a table representing function flags") end
          flags = read_flags(v)
          if not flags then raise("ERR unknown flag given") end
        else
          raise("ERR unknown argument given to redis.register_function")
        end
      end
      if not name then raise("ERR redis.register_function must get a function name argument") end
      if not fn then raise("ERR redis.register_function must get a callback argument") end
    else
      local a, b = ...
      if not is_str(a) then raise("ERR first argument to redis.register_function must be a string") end
      if type(b) ~= "function" then raise("ERR second argument to redis.register_function must be a function") end
      name, fn = tostring(a), b
    end
    local e = py_register(name, fn, desc, flags and concat(flags, ",") or "")
    if e then raise(e) end
  end
  local lr = {}
  for k, v in pairs(LR) do lr[k] = v end
  setmetatable(lr, MISSING_MT)
  LOAD_API = setmetatable({redis = readonly(lr)}, MISSING_MT)
end

-- ---------------------------------------------------------------- entry points
local API = {}

API.compile = function(body, chunkname)
  local f, e = loadstring(body, chunkname)
  if not f then return nil, e end
  setfenv(f, ENV)
  return f
end

API.run_eval = function(fn, keys, argv)
  rawset(G, "KEYS", keys)
  rawset(G, "ARGV", argv)
  set_count_hook()
  local st, a, b, c, d = result(xpcall(fn, err_handler))
  sethook()
  return st, a, b, c, d
end

API.run_function = function(fn, keys, args)
  set_count_hook()
  local st, a, b, c, d = result(xpcall(function() return fn(keys, args) end, err_handler))
  sethook()
  return st, a, b, c, d
end

API.load_library = function(code)
  local f, e = loadstring(code, "@user_function")
  if not f then return 1, e end
  setfenv(f, ENV)
  ENV_MT.__index = LOAD_API
  set_count_hook()
  local ok, err = xpcall(f, pcall_handler)
  sethook()
  ENV_MT.__index = G
  if ok then return 0 end
  if type(err) == "table" then
    local m = err.err
    return 2, tostring(m)
  end
  return 2, "ERR " .. tostring(err)
end

API.unpack_values = unpack_values
API.json_encode = json_encode
API.json_config = json_config
API.mp_flat = mp_flat_one

return API
"""
