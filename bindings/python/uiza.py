"""Python binding of libuiza: reset the RTMP ingest key of a Uiza live entity.

A single module over ctypes, no dependencies. The shared library is loaded
from the ``library`` argument, else the ``UIZA_LIBRARY`` environment
variable, else wherever ``ctypes.util.find_library("uiza")`` finds an
installed copy, else ``libuiza.so`` (``libuiza.dylib``, ``uiza.dll``)
through the system's loader path::

    import uiza

    with uiza.Client(api_key) as client:
        entity = client.rotate_stream_key(live_entity_id, current_key)
        print(entity.ingest_url, entity.ingest_key)

Calls: ``Client.rotate_stream_key`` rotates the key exactly once (after an
ambiguous failure the library reads the entity back rather than rotating
again), ``Client.get_live_entity`` reads an entity, and
``Client.reset_stream_key`` is the plain reset. ``rotate_stream_key_async``
and ``get_live_entity_async`` are awaitable from asyncio; cancelling their
task cancels the call. A ``CancelToken`` cancels blocking rotations from
another thread.

Failures raise ``UizaError`` subclasses (``NotFoundError``,
``UnauthorizedError``, ``UizaTimeoutError``, ``UizaCancelledError``...)
carrying ``status``, ``http_status``, ``message``, ``error_type``,
``rotated``, ``attempts`` and ``elapsed_ms``. A ``Client`` may be shared by any number of threads; ctypes
releases the GIL during each call.

Live-entity ids are 1 to 256 characters from A-Z a-z 0-9 - . _ ~, and not
"." or ".."; any other id raises InvalidArgumentError and nothing is sent.

Logging: ``enable_logging(level)`` sends the library's log lines to the
``logging`` logger named ``"uiza"``; ``disable_logging()`` stops them. It
is off until asked for: see ``enable_logging``.
"""

import asyncio
import atexit
import ctypes
import ctypes.util
import enum
import functools
import itertools
import json
import logging
import math
import operator
import os
import sys
import threading
from dataclasses import dataclass
from typing import Optional

__all__ = [
    "Status", "LiveEntity", "Client", "CancelToken", "reset_stream_key",
    "set_max_worker_threads", "version", "load", "NOT_APPLICABLE",
    "UizaError", "InvalidArgumentError", "BadRequestError",
    "UnauthorizedError", "NotFoundError", "RateLimitedError", "ServerError",
    "UnexpectedStatusError", "UizaTimeoutError", "ConnectionFailedError",
    "TLSFailedError", "InvalidResponseError", "ResponseTooLargeError",
    "InternalError", "UizaCancelledError", "enable_logging",
    "disable_logging", "TRACE",
]


class Status(enum.IntEnum):
    """UizaStatus of uiza.h (the values are part of the C ABI)."""

    OK = 0
    INVALID_ARGUMENT = 1
    BAD_REQUEST = 2
    UNAUTHORIZED = 3
    NOT_FOUND = 4
    RATE_LIMITED = 5
    SERVER_ERROR = 6
    UNEXPECTED_STATUS = 7
    TIMEOUT = 8
    CONNECTION_FAILED = 9
    TLS_FAILED = 10
    INVALID_RESPONSE = 11
    RESPONSE_TOO_LARGE = 12
    INTERNAL = 13
    CANCELLED = 14


# ---------------------------------------------------------------- errors


class _NotApplicable:
    """The type of ``NOT_APPLICABLE``; there is one instance."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "uiza.NOT_APPLICABLE"

    def __bool__(self):
        # "if err.rotated:" would read it as "rotated": make the caller say
        # which of the three values is meant.
        raise TypeError("compare UizaError.rotated with `is` "
                        "(False, None or uiza.NOT_APPLICABLE)")

    def __reduce__(self):
        return (_NotApplicable, ())


NOT_APPLICABLE = _NotApplicable()
"""``UizaError.rotated`` of a call that does not change a key."""


class UizaError(Exception):
    """A failed call: the library's status and its error document.

    ``http_status`` is None when the call failed before a response.

    ``rotated`` says what the call did to the stream key (the error
    document's "rotated" member); compare it with ``is``:

    - ``False``: the key is certainly unchanged by this call. Every error
      of ``reset_stream_key`` and ``rotate_stream_key`` raised before the
      request was sent, or that the server answered definitely (a 404, say).
    - ``None``: unknown. The key may have changed (a reset whose connection
      dropped, a rotation whose entity could not be read back): read it with
      ``get_live_entity`` before you trust the key you hold.
    - ``NOT_APPLICABLE``: the call does not change a key
      (``get_live_entity``, the setters); its document has no "rotated".

    ``attempts`` is how many HTTP exchanges the call began, read-backs
    included, one whose connection or TLS handshake failed too (0: it
    failed before trying to connect), and ``elapsed_ms`` how
    long it ran in milliseconds, time queued for a worker included. Both
    are None for errors that do not come from a call: those of the
    setters and ``Client(...)``, and the binding's own refusals.
    """

    def __init__(self, status, message, error_type=None, http_status=None,
                 rotated=NOT_APPLICABLE, attempts=None, elapsed_ms=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.http_status = http_status
        self.rotated = rotated
        self.attempts = attempts
        self.elapsed_ms = elapsed_ms

    def __str__(self):
        return f"{_status_text(self.status)}: {self.message}"


class InvalidArgumentError(UizaError, ValueError):
    """Refused input (no request sent), or a CA file that cannot be read."""


class BadRequestError(UizaError):
    """HTTP 400."""


class UnauthorizedError(UizaError):
    """HTTP 401 or 403: the API key was not accepted."""


class NotFoundError(UizaError):
    """HTTP 404: no live entity has that id."""


class RateLimitedError(UizaError):
    """HTTP 429, retries used up."""


class ServerError(UizaError):
    """HTTP 5xx, retries used up."""


class UnexpectedStatusError(UizaError):
    """Any other HTTP status, 3xx included."""


class UizaTimeoutError(UizaError, TimeoutError):
    """The call's time budget ran out."""


class ConnectionFailedError(UizaError, ConnectionError):
    """DNS failure, or a refused, reset or truncated connection."""


class TLSFailedError(UizaError):
    """The TLS handshake or the certificate verification failed."""


class InvalidResponseError(UizaError):
    """A 2xx body that is not a live entity."""


class ResponseTooLargeError(UizaError):
    """The body was over the library's 1 MiB cap."""


class InternalError(UizaError):
    """A bug inside the library (such as a caught panic)."""


class UizaCancelledError(UizaError):
    """The call was cancelled (its CancelToken, or its asyncio task) and
    the key was not changed by it: ``rotated`` is False.

    Not a subclass of asyncio.CancelledError: the awaitables raise
    asyncio.CancelledError themselves when their task is cancelled, and
    this one only when the library cancelled the call for another reason
    (such as the client being closed)."""


_ERRORS = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.BAD_REQUEST: BadRequestError,
    Status.UNAUTHORIZED: UnauthorizedError,
    Status.NOT_FOUND: NotFoundError,
    Status.RATE_LIMITED: RateLimitedError,
    Status.SERVER_ERROR: ServerError,
    Status.UNEXPECTED_STATUS: UnexpectedStatusError,
    Status.TIMEOUT: UizaTimeoutError,
    Status.CONNECTION_FAILED: ConnectionFailedError,
    Status.TLS_FAILED: TLSFailedError,
    Status.INVALID_RESPONSE: InvalidResponseError,
    Status.RESPONSE_TOO_LARGE: ResponseTooLargeError,
    Status.INTERNAL: InternalError,
    Status.CANCELLED: UizaCancelledError,
}


def _status(value):
    try:
        return Status(value)
    except ValueError:  # a status added by a newer library
        return value


def _invalid(message, rotated=NOT_APPLICABLE):
    return InvalidArgumentError(Status.INVALID_ARGUMENT, message, "invalid_argument",
                                rotated=rotated)


# ---------------------------------------------------------------- loading

_P = ctypes.c_void_p
_STR = ctypes.c_char_p
_STATUS = ctypes.c_int  # a C enum is int-sized
_OUT = ctypes.POINTER(_P)
# UizaCallback: (void *user_data, UizaStatus status, const char *json).
# ctypes hands the callback json as a bytes copy, so the borrowed C string
# is copied before the callback returns.
_CALLBACK = ctypes.CFUNCTYPE(None, _P, _STATUS, _STR)
# UizaLogCallback: (void *user_data, UizaLogLevel level, const char *message).
_LOG_CALLBACK = ctypes.CFUNCTYPE(None, _P, ctypes.c_int, _STR)

# name: (restype, argtypes). Every function of uiza.h, except those in
# DELIBERATELY_UNBOUND (test_uiza.py checks both against the header).
_SIGNATURES = {
    "uiza_client_new": (_P, [_STR]),
    "uiza_client_create": (_STATUS, [_STR, _OUT, _OUT]),
    "uiza_client_configure": (_STATUS, [_P, _STR, _OUT]),
    "uiza_client_free": (None, [_P]),
    "uiza_client_set_base_url": (_STATUS, [_P, _STR]),
    "uiza_client_set_timeout_ms": (_STATUS, [_P, ctypes.c_uint32]),
    "uiza_client_set_max_retries": (_STATUS, [_P, ctypes.c_uint32]),
    "uiza_client_set_ca_file": (_STATUS, [_P, _STR]),
    # out_json is a char ** read as a void pointer, so that it can be freed.
    "uiza_client_reset_stream_key": (_STATUS, [_P, _STR, _OUT]),
    "uiza_client_reset_stream_key_with_timeout": (_STATUS, [_P, _STR, ctypes.c_uint32, _OUT]),
    "uiza_reset_stream_key": (_STATUS, [_STR, _STR, _OUT]),
    "uiza_client_get_live_entity": (_STATUS, [_P, _STR, _OUT]),
    "uiza_client_rotate_stream_key": (_STATUS, [_P, _STR, _STR, _P, _OUT]),
    "uiza_client_rotate_stream_key_async": (_STATUS, [_P, _STR, _STR, _P, _CALLBACK, _P]),
    "uiza_client_get_live_entity_async": (_STATUS, [_P, _STR, _P, _CALLBACK, _P]),
    "uiza_set_max_worker_threads": (_STATUS, [ctypes.c_uint32]),
    # The callback may be _NO_LOG_CALLBACK (NULL): logging off.
    "uiza_set_log_callback": (None, [_LOG_CALLBACK, _P, ctypes.c_int]),
    "uiza_cancel_token_new": (_P, []),
    "uiza_cancel_token_cancel": (None, [_P]),
    "uiza_cancel_token_is_cancelled": (ctypes.c_bool, [_P]),
    "uiza_cancel_token_free": (None, [_P]),
    "uiza_live_entity_parse": (_STATUS, [_P, _OUT]),
    "uiza_live_entity_free": (None, [_P]),
    "uiza_live_entity_ingest_key": (_STR, [_P]),
    "uiza_live_entity_ingest_url": (_STR, [_P]),
    "uiza_live_entity_id": (_STR, [_P]),
    "uiza_live_entity_name": (_STR, [_P]),
    "uiza_live_entity_description": (_STR, [_P]),
    "uiza_live_entity_playback_hls": (_STR, [_P]),
    "uiza_live_entity_region": (_STR, [_P]),
    "uiza_live_entity_status": (_STR, [_P]),
    "uiza_live_entity_created_at": (_STR, [_P]),
    "uiza_live_entity_updated_at": (_STR, [_P]),
    "uiza_live_entity_dvr": (ctypes.c_bool, [_P, ctypes.POINTER(ctypes.c_bool)]),
    "uiza_live_entity_encode": (ctypes.c_bool, [_P, ctypes.POINTER(ctypes.c_bool)]),
    "uiza_error_parse": (_STATUS, [_P, _OUT]),
    "uiza_error_message": (_STR, [_P]),
    "uiza_error_type": (_STR, [_P]),
    "uiza_error_http_status": (ctypes.c_int32, [_P]),
    "uiza_error_free": (None, [_P]),
    "uiza_string_free": (None, [_P]),
    "uiza_status_str": (_STR, [ctypes.c_int32]),
    "uiza_version": (_STR, []),
}

# Functions of uiza.h this module does not bind, each with the reason.
DELIBERATELY_UNBOUND = {}

_loaded = {}
_load_lock = threading.Lock()


def _platform_name():
    """The library's file name on this platform, for the loader to find."""
    if sys.platform == "darwin":
        return "libuiza.dylib"
    if sys.platform in ("win32", "cygwin"):
        return "uiza.dll"
    return "libuiza.so"


@functools.lru_cache(maxsize=None)
def _installed_library():
    """What ctypes.util.find_library("uiza") finds (such as
    "libuiza.so.0.3" of a copy installed with cargo cinstall), else the
    platform's name. Looked up once: find_library may run ldconfig or a
    compiler."""
    return ctypes.util.find_library("uiza") or _platform_name()


def _library_path(library=None):
    """The path or name load() opens: ``library``, else ``UIZA_LIBRARY``
    (when set and not empty), else an installed copy (_installed_library)."""
    if library is not None:
        return os.fspath(library)
    return os.environ.get("UIZA_LIBRARY") or _installed_library()


def load(library=None):
    """Loads (once per path) and declares libuiza; returns the ctypes.CDLL.

    ``library`` is a path. By default: ``UIZA_LIBRARY``, else what
    ``ctypes.util.find_library("uiza")`` finds, else ``libuiza.so``
    (``libuiza.dylib`` on macOS, ``uiza.dll`` on Windows) through the
    system's loader path.
    """
    path = _library_path(library)
    with _load_lock:
        lib = _loaded.get(path)
        if lib is None:
            lib = ctypes.CDLL(path)  # CDLL, not PyDLL: calls release the GIL
            for name, (restype, argtypes) in _SIGNATURES.items():
                fn = getattr(lib, name)
                fn.restype = restype
                fn.argtypes = argtypes
            _loaded[path] = lib
        return lib


def _status_text(status):
    lib = next(iter(_loaded.values()), None)
    if lib is None:
        return str(status)
    return lib.uiza_status_str(int(status)).decode()


def version(library=None):
    """The library's version, such as "0.3.0"."""
    return load(library).uiza_version().decode()


def set_max_worker_threads(n, *, library=None):
    """How many worker threads the library may run at once for async calls,
    process-wide (default 4). Workers start on demand and exit after 10 s
    without work; calls beyond the bound wait in a queue."""
    n = operator.index(n)
    if not 0 <= n < 2**32:
        # Does not fit the library's uint32.
        raise _invalid("the worker thread bound must be between 1 and 2^32-1")
    status = load(library).uiza_set_max_worker_threads(n)
    if status != Status.OK:
        # The C function returns a status only, with no document to show.
        raise InvalidArgumentError(_status(status), "the worker thread bound must be at least 1",
                                   "invalid_argument")


def _utf8_text(what, value):
    """`value` (str, UTF-8 bytes or a path) as a str of valid UTF-8. Text
    that is not UTF-8 is the one thing refused here, in the binding's own
    words: neither a C string nor a settings document can carry it to the
    library."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid(f"the {what} is not valid UTF-8") from None
    if not isinstance(value, str):
        raise TypeError(f"the {what} must be str, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid(f"the {what} is not valid UTF-8") from None
    return value


def _c_string(what, value):
    """UTF-8 bytes for a C string. Besides what `_utf8_text` refuses, a NUL is
    refused here, where C would cut the string short."""
    data = _utf8_text(what, value).encode("utf-8")
    if b"\0" in data:
        raise _invalid(f"the {what} contains a NUL character")
    return data


def _setting_text(what, value):
    """A str for a settings document. json.dumps escapes everything (a NUL
    included), so the library sees the whole string and refuses it in its
    own words."""
    return _utf8_text(what, value)


def _milliseconds(seconds, rotated=NOT_APPLICABLE):
    """Seconds as whole milliseconds, rounded up, for the library's uint32.
    0 is passed on: the library refuses it in its own words. Only what
    uint32 cannot carry is refused here."""
    ms = math.ceil(seconds * 1000)
    if not 0 <= ms < 2**32:
        raise _invalid("the timeout must not be negative and must be below 2^32 ms",
                       rotated=rotated)
    return ms


def _settings(base_url=None, timeout=None, max_retries=None, ca_file=None):
    """The settings document of uiza_client_configure (bytes), with the
    settings that are not None."""
    doc = {}
    if base_url is not None:
        doc["base_url"] = _setting_text("base URL", base_url)
    if timeout is not None:
        doc["timeout_ms"] = _milliseconds(timeout)
    if max_retries is not None:
        n = operator.index(max_retries)
        if not 0 <= n < 2**32:
            # Does not fit the library's uint32.
            raise _invalid("the retry count must be between 0 and 2^32-1")
        doc["max_retries"] = n
    if ca_file is not None:
        doc["ca_file"] = _setting_text("CA file path", ca_file)
    return json.dumps(doc).encode("ascii")  # ensure_ascii: \u escapes only


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class LiveEntity:
    """The live entity a reset, rotation or read returns; a field the API
    left out is None. ``ingest_key`` and ``ingest_url`` are None for an
    entity in "init" state (``"ingest": null``), which only
    ``get_live_entity`` can return.

    ``raw`` is the whole document as the API sent it.
    """

    id: Optional[str]
    name: Optional[str]
    description: Optional[str]
    ingest_url: Optional[str]
    ingest_key: Optional[str]
    playback_hls: Optional[str]
    region: Optional[str]
    status: Optional[str]
    dvr: Optional[bool]
    encode: Optional[bool]
    created_at: Optional[str]
    updated_at: Optional[str]
    raw: dict


def _text(value):
    return None if value is None else value.decode("utf-8")


def _flag(lib, getter, handle):
    out = ctypes.c_bool()
    return bool(out.value) if getter(handle, ctypes.byref(out)) else None


def _entity(lib, doc):
    """Reads a successful call's document (bytes)."""
    handle = _P()
    status = _status(lib.uiza_live_entity_parse(doc, ctypes.byref(handle)))
    if status != Status.OK:
        raise InvalidResponseError(status, "the response is not a live entity", "invalid_response")
    try:
        h = handle
        return LiveEntity(
            id=_text(lib.uiza_live_entity_id(h)),
            name=_text(lib.uiza_live_entity_name(h)),
            description=_text(lib.uiza_live_entity_description(h)),
            ingest_url=_text(lib.uiza_live_entity_ingest_url(h)),
            ingest_key=_text(lib.uiza_live_entity_ingest_key(h)),
            playback_hls=_text(lib.uiza_live_entity_playback_hls(h)),
            region=_text(lib.uiza_live_entity_region(h)),
            status=_text(lib.uiza_live_entity_status(h)),
            dvr=_flag(lib, lib.uiza_live_entity_dvr, h),
            encode=_flag(lib, lib.uiza_live_entity_encode, h),
            created_at=_text(lib.uiza_live_entity_created_at(h)),
            updated_at=_text(lib.uiza_live_entity_updated_at(h)),
            raw=json.loads(doc.decode("utf-8")),
        )
    finally:
        lib.uiza_live_entity_free(handle)


def _document_members(doc):
    """The members of an error document that the C accessors do not give:
    "rotated" (False, None for null or any other value, or NOT_APPLICABLE
    when there is none), then "attempts" and "elapsed_ms" (None when absent
    or not integers)."""
    try:
        members = json.loads(doc.decode("utf-8"))
    except ValueError:
        members = None
    if not isinstance(members, dict):
        return NOT_APPLICABLE, None, None

    def integer(name):
        value = members.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    if "rotated" not in members:
        rotated = NOT_APPLICABLE
    else:
        rotated = False if members["rotated"] is False else None
    return rotated, integer("attempts"), integer("elapsed_ms")


def _error(lib, status, doc, key_call):
    """The exception for a failed call's status and document (bytes or
    None). ``key_call``: a reset or rotation, whose documents always say
    "rotated"; without a document (out of memory) nothing is known."""
    status = _status(status)
    cls = _ERRORS.get(status, UizaError)
    absent = None if key_call else NOT_APPLICABLE
    handle = _P()
    if not doc or lib.uiza_error_parse(doc, ctypes.byref(handle)) != Status.OK:
        return cls(status, lib.uiza_status_str(int(status)).decode(), rotated=absent)
    try:
        code = lib.uiza_error_http_status(handle)
        rotated, attempts, elapsed_ms = _document_members(doc)
        return cls(
            status,
            _text(lib.uiza_error_message(handle)),
            _text(lib.uiza_error_type(handle)),
            code if code >= 0 else None,
            absent if rotated is NOT_APPLICABLE else rotated,
            attempts,
            elapsed_ms,
        )
    finally:
        lib.uiza_error_free(handle)


def _outcome(lib, status, doc, key_call):
    """A LiveEntity, or the exception to raise, for a status and a document
    (bytes, or None when memory ran out)."""
    if status == Status.OK:
        if doc is None:
            return InternalError(Status.INTERNAL, "out of memory", "internal_error",
                                 rotated=None if key_call else NOT_APPLICABLE)
        try:
            return _entity(lib, doc)
        except UizaError as e:
            return e
    return _error(lib, status, doc, key_call)


def _take(lib, out):
    """The bytes of an out_json (None for NULL), which is freed."""
    try:
        return ctypes.string_at(out) if out else None
    finally:
        lib.uiza_string_free(out)


def _check(lib, status, out):
    """Raises the library's error document for a failed call that returns
    no entity (uiza_client_create, uiza_client_configure); frees out_json."""
    doc = _take(lib, out)
    if status != Status.OK:
        raise _error(lib, status, doc, key_call=False)


def _finish(lib, status, out, key_call):
    """Turns a blocking call's status and out_json into a LiveEntity or an
    exception, freeing out_json whatever happens."""
    doc = _take(lib, out)
    result = _outcome(lib, status, doc, key_call)
    if isinstance(result, UizaError):
        raise result
    return result


def _key_arg(what, value):
    """_c_string for a call that changes the key: a refused argument means
    nothing was sent, so the key is certainly unchanged."""
    try:
        return _c_string(what, value)
    except InvalidArgumentError as e:
        e.rotated = False
        raise


# ---------------------------------------------------------------- tokens


class _NativeOwner:
    """What CancelToken and Client share as owners of one native handle in
    ``self._handle``: use as a context manager, and a ``close()`` when
    garbage-collected still open (``close`` is the subclass's)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None):
            self.close()


class CancelToken(_NativeOwner):
    """A cancel token (UizaCancelToken): pass it to
    ``Client.rotate_stream_key`` and call ``cancel()`` from another thread
    to stop the call before its next request, during its first read, or
    while it waits to retry. The call then raises ``UizaCancelledError``
    (``rotated`` False). A request already sent is seen through: a call
    that rotated the key returns the new key, never an error.

    A token cannot be reset; use a new one for new calls. Use it as a
    context manager, or ``close()`` it. It must come from the same library
    as the client it is given to (the same ``library=`` argument). ``cancel()`` and ``cancelled`` are
    safe from any thread; ``close()`` while a call still uses the token is
    safe too (the native token is freed once that call has it).
    """

    def __init__(self, *, library=None):
        self._init(load(library))

    @classmethod
    def _for(cls, lib):
        token = cls.__new__(cls)
        token._init(lib)
        return token

    def _init(self, lib):
        self._lib = lib
        self._handle = None
        self._lock = threading.Lock()
        self._users = 0
        self._closing = False
        self._cancelled = False
        self._handle = self._lib.uiza_cancel_token_new()
        if not self._handle:
            raise MemoryError("uiza_cancel_token_new returned NULL")

    def __repr__(self):
        state = "closed" if self._handle is None else "open"
        return f"<uiza.CancelToken {state}{', cancelled' if self._cancelled else ''}>"

    def cancel(self):
        """Cancels every call that uses this token, now and later. Never
        blocks; calling it again, or after close(), is a no-op."""
        with self._lock:
            self._cancelled = True
            if self._handle is not None:
                self._lib.uiza_cancel_token_cancel(self._handle)

    @property
    def cancelled(self):
        """Whether cancel() was called."""
        with self._lock:
            if self._handle is not None:
                return bool(self._lib.uiza_cancel_token_is_cancelled(self._handle))
            return self._cancelled

    @property
    def closed(self):
        return self._closing

    def close(self):
        """Frees the native token (once no call is still being handed it).
        Closing twice is a no-op; a closed token cannot be given to calls."""
        with self._lock:
            self._closing = True
            handle = self._take_if_unused()
        if handle:
            self._lib.uiza_cancel_token_free(handle)

    def _take_if_unused(self):
        # Under self._lock.
        if self._closing and self._users == 0 and self._handle is not None:
            handle, self._handle = self._handle, None
            return handle
        return None

    def _acquire(self):
        """The native handle for one call; pair with _release()."""
        with self._lock:
            if self._closing:
                raise ValueError("operation on a closed uiza.CancelToken")
            self._users += 1
            return self._handle

    def _release(self):
        with self._lock:
            self._users -= 1
            handle = self._take_if_unused()
        if handle:
            self._lib.uiza_cancel_token_free(handle)


# ---------------------------------------------------------------- logging

TRACE = 5
"""The ``logging`` level of the library's TRACE lines, below DEBUG (10)."""
logging.addLevelName(TRACE, "TRACE")

_logger = logging.getLogger("uiza")

# UizaLogLevel (the C values) -> logging level.
_LOG_LEVELS = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG,
               5: TRACE}


def _on_log_line(user_data, level, message):
    """The library's log callback: runs on the thread that made the line
    (a library worker thread for async calls), possibly on several at once;
    ``logging`` is thread-safe. Never raises into C."""
    try:
        _logger.log(_LOG_LEVELS.get(level, TRACE), message.decode("utf-8", "replace"))
    except BaseException:  # noqa: BLE001 - nothing may propagate into C
        pass


# Module-level, so never freed: the library may call it until the setter
# that replaces it has returned, and dropping it only then would need the
# same guarantee from every thread that enables and disables.
_ON_LOG_LINE = _LOG_CALLBACK(_on_log_line)
_NO_LOG_CALLBACK = _LOG_CALLBACK()  # NULL
_log_lock = threading.Lock()
_logging_to = set()  # the libraries (ctypes.CDLL) logging is on for
_atexit_registered = False


def _c_log_level(level):
    """The C max level for a ``logging`` level: the most verbose C level
    whose records pass ``level``; 0 (off) above ERROR."""
    if isinstance(level, str):
        named = logging.getLevelName(level.upper())
        if not isinstance(named, int):
            raise ValueError(f"unknown logging level {level!r}")
        level = named
    level = operator.index(level)
    return max((c for c, py in _LOG_LEVELS.items() if py >= level), default=0)


def enable_logging(level=logging.INFO, *, library=None):
    """Sends the library's log lines, process-wide, to the ``logging``
    logger ``"uiza"``: ERROR, WARNING, INFO, DEBUG, and TRACE (level 5,
    named with ``logging.addLevelName``).

    ``level`` (a ``logging`` level or its name, INFO by default) is where
    the library stops making lines: DEBUG adds the steps of each call
    (lookup, connection, TLS, attempts), ``uiza.TRACE`` everything. The
    ``"uiza"`` logger's own level and handlers still apply (the root
    logger's WARNING hides INFO unless configured, for example with
    ``logging.basicConfig(level=logging.INFO)``).

    Logging is off until this is called: importing the module installs
    nothing, so a program that does not ask pays nothing (the library's
    cost is then one atomic load per place that could log, and no Python
    code runs on its threads). Lines of async calls come from library
    worker threads; no line holds the API key or a stream key."""
    global _atexit_registered
    c_level = _c_log_level(level)
    lib = load(library)
    with _log_lock:
        if c_level == 0:
            _log_off(lib)
            return
        lib.uiza_set_log_callback(_ON_LOG_LINE, None, c_level)
        _logging_to.add(lib)
        if not _atexit_registered:
            # Worker threads must not call into an interpreter that is
            # being torn down.
            atexit.register(_disable_all)
            _atexit_registered = True


def disable_logging(*, library=None):
    """Turns the library's logging off again (the default). When it
    returns, no thread is still in the callback. Do not call it (or
    ``enable_logging``) from a handler of the ``"uiza"`` logger: it waits
    for the handlers running in other threads, which may be waiting for
    it."""
    lib = load(library)
    with _log_lock:
        _log_off(lib)


def _log_off(lib):
    """Turns logging off for ``lib``; with _log_lock held."""
    lib.uiza_set_log_callback(_NO_LOG_CALLBACK, None, 0)
    _logging_to.discard(lib)


def _disable_all():
    with _log_lock:
        for lib in list(_logging_to):
            _log_off(lib)


# ---------------------------------------------------------------- async

# The async calls in flight: call id (the user_data the library hands back)
# -> _AsyncCall. One module-level callback serves them all, so no ctypes
# callback object is ever freed while the library may still call it (a
# per-call CFUNCTYPE deleted from inside its own call would free the code
# that is running).
_pending = {}
_pending_lock = threading.Lock()
_call_ids = itertools.count(1)


@dataclass
class _AsyncCall:
    lib: object
    loop: object
    future: object
    token: "CancelToken"
    key_call: bool


def _on_async_result(user_data, status, doc):
    """The library's callback: runs once per accepted async call, on a
    library worker thread. Never raises (the library cannot take an
    exception back)."""
    try:
        with _pending_lock:
            call = _pending.pop(user_data, None)
        if call is None:
            return
        try:
            # doc is ctypes' bytes copy of the borrowed string.
            try:
                result = _outcome(call.lib, status, doc, call.key_call)
            except Exception as e:  # noqa: BLE001 - the awaitable must still end
                result = InternalError(
                    Status.INTERNAL, f"the call's result could not be read: {e}",
                    "internal_error", rotated=None if call.key_call else NOT_APPLICABLE)
            try:
                call.loop.call_soon_threadsafe(_complete, call.future, result)
            except RuntimeError:
                pass  # the event loop is closed: nobody is waiting any more
        finally:
            call.token.close()  # the call is over: nothing uses the token now
    except BaseException:  # noqa: BLE001 - nothing may propagate into C
        pass


_ON_ASYNC_RESULT = _CALLBACK(_on_async_result)


def _complete(future, result):
    """Runs on the event loop: completes the awaitable, unless its task was
    cancelled meanwhile (the result is then dropped)."""
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def _pending_calls():
    """How many async calls have not had their callback yet (for tests)."""
    with _pending_lock:
        return len(_pending)


# ---------------------------------------------------------------- client


class Client(_NativeOwner):
    """A client bound to one API key, with a pool of keep-alive connections.

    Safe to share between threads, setters included. Close it (or use it as
    a context manager); ``close()`` waits for blocking calls in progress and
    cancels async calls in flight.
    """

    def __init__(self, api_key, *, base_url=None, timeout=None, max_retries=None,
                 ca_file=None, library=None):
        self._lib = load(library)
        self._handle = None
        self._idle = threading.Condition()
        self._calls = 0
        settings = _settings(base_url, timeout, max_retries, ca_file)
        handle, out = _P(), _P()
        status = self._lib.uiza_client_create(_c_string("API key", api_key),
                                              ctypes.byref(handle), ctypes.byref(out))
        _check(self._lib, status, out)
        if not handle:
            raise InternalError(Status.INTERNAL, "uiza_client_create returned no client",
                                "internal_error")
        self._handle = handle.value
        try:
            if settings != b"{}":
                self._configure(settings)
        except BaseException:
            self.close()
            raise

    def __repr__(self):  # never shows the key
        return f"<uiza.Client {'open' if self._handle else 'closed'}>"

    @property
    def closed(self):
        return self._handle is None

    def close(self):
        """Frees the native client (wiping its key) once no blocking call
        uses it. Async calls still in flight are cancelled by the library
        (unless their request is already on the wire); each still
        completes its awaitable. Closing twice is a no-op."""
        with self._idle:
            while self._calls:
                self._idle.wait()
            handle, self._handle = self._handle, None
        if handle:
            self._lib.uiza_client_free(handle)

    def _enter_call(self):
        with self._idle:
            if self._handle is None:
                raise ValueError("operation on a closed uiza.Client")
            self._calls += 1
            return self._handle

    def _leave_call(self):
        with self._idle:
            self._calls -= 1
            if not self._calls:
                self._idle.notify_all()

    def _configure(self, settings):
        """Applies a settings document (bytes) with uiza_client_configure,
        all or nothing; a refusal raises the library's error document."""
        handle = self._enter_call()
        try:
            out = _P()
            status = self._lib.uiza_client_configure(handle, settings, ctypes.byref(out))
        finally:
            self._leave_call()
        _check(self._lib, status, out)

    def _call(self, fn, *args, key_call):
        """Runs a blocking call ``fn(handle, *args, &out_json)``."""
        handle = self._enter_call()
        try:
            out = _P()
            status = fn(handle, *args, ctypes.byref(out))
        finally:
            self._leave_call()
        return _finish(self._lib, status, out, key_call)

    # The setters (and the constructor's settings) go through
    # uiza_client_configure: a refused setting raises InvalidArgumentError
    # with the library's own message and leaves the client unchanged.

    def set_base_url(self, url):
        """Base URL such as https://api.uiza.sh or http://127.0.0.1:8080."""
        self._configure(_settings(base_url=url))

    def set_timeout(self, seconds):
        """Time budget of one whole call, in seconds (rounded up to a whole
        millisecond; default 30)."""
        self._configure(_settings(timeout=seconds))

    def set_max_retries(self, n):
        """Retries of connection failures and HTTP 429/502/503/504
        (default 2, 0 disables them)."""
        self._configure(_settings(max_retries=n))

    def set_ca_file(self, path):
        """Trusts the CA certificates of a PEM file besides the system's."""
        self._configure(_settings(ca_file=path))

    def reset_stream_key(self, live_entity_id, *, timeout=None):
        """Resets the entity's ingest key; returns the entity with the new
        key. Raises a UizaError subclass on failure, whose ``rotated`` says
        whether the key may have changed. A retry after a dropped
        connection may rotate the key twice; ``rotate_stream_key`` rotates
        exactly once.

        ``timeout`` (seconds) caps this call's budget below the client's.

        live_entity_id must be 1 to 256 characters from A-Z a-z 0-9 - . _ ~
        and not "." or ".." (Uiza ids are UUIDs); any other id raises
        InvalidArgumentError and nothing is sent."""
        cid = _key_arg("live entity id", live_entity_id)
        if timeout is None:
            return self._call(self._lib.uiza_client_reset_stream_key, cid, key_call=True)
        ms = _milliseconds(timeout, rotated=False)
        return self._call(self._lib.uiza_client_reset_stream_key_with_timeout, cid, ms,
                          key_call=True)

    def get_live_entity(self, live_entity_id):
        """Reads the live entity (GET, retried like any idempotent request).
        Changes nothing; errors have ``rotated`` NOT_APPLICABLE. The id
        follows the rule of ``reset_stream_key``."""
        cid = _c_string("live entity id", live_entity_id)
        return self._call(self._lib.uiza_client_get_live_entity, cid, key_call=False)

    def rotate_stream_key(self, live_entity_id, current_key=None, token=None):
        """Rotates the entity's ingest key exactly once; returns the entity
        with the new key.

        ``current_key`` is the key your encoder uses now; if None the
        library reads the entity first. After a failure the server may have
        applied (a dropped connection, a timeout or a 5xx after the request
        was sent), the library reads the entity back before anything else:
        a new key there is returned as success. A UizaError's ``rotated`` is
        False (certainly unchanged) or None (unknown: read the entity).

        ``token`` (a CancelToken) cancels the call from another thread:
        UizaCancelledError. A request already sent is seen through.

        The id follows the rule of ``reset_stream_key``."""
        cid = _key_arg("live entity id", live_entity_id)
        ckey = None if current_key is None else _key_arg("current key", current_key)
        if token is None:
            return self._call(self._lib.uiza_client_rotate_stream_key, cid, ckey, None,
                              key_call=True)
        if not isinstance(token, CancelToken):
            raise TypeError(f"token must be a uiza.CancelToken, not {type(token).__name__}")
        if token._lib is not self._lib:
            raise ValueError("the token and the client were loaded from different libraries")
        native = token._acquire()
        try:
            return self._call(self._lib.uiza_client_rotate_stream_key, cid, ckey, native,
                              key_call=True)
        finally:
            token._release()

    async def rotate_stream_key_async(self, live_entity_id, current_key=None):
        """``rotate_stream_key`` for asyncio: the rotation runs on a library
        worker thread and this coroutine awaits it without blocking the
        event loop.

        Cancelling the awaiting task (``task.cancel()``, ``asyncio.timeout``,
        ``wait_for``) cancels the call through a cancel token: before its
        next request, during its first read, or while it waits to retry;
        the task then raises asyncio.CancelledError at once. A request
        already sent is seen through by the library, but the task no longer
        receives its outcome: after cancelling a rotation, read the entity
        (``get_live_entity``) to learn the key it holds."""
        cid = _key_arg("live entity id", live_entity_id)
        ckey = None if current_key is None else _key_arg("current key", current_key)

        def start(handle, native, call_id):
            return self._lib.uiza_client_rotate_stream_key_async(
                handle, cid, ckey, native, _ON_ASYNC_RESULT, call_id)

        return await self._async_call(start, cid, ckey, key_call=True)

    async def get_live_entity_async(self, live_entity_id):
        """``get_live_entity`` for asyncio, with the cancellation rules of
        ``rotate_stream_key_async``; a cancelled read ends within a fraction
        of a second, even mid-response."""
        cid = _c_string("live entity id", live_entity_id)

        def start(handle, native, call_id):
            return self._lib.uiza_client_get_live_entity_async(
                handle, cid, native, _ON_ASYNC_RESULT, call_id)

        return await self._async_call(start, cid, None, key_call=False)

    async def _async_call(self, start, cid, ckey, *, key_call):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        token = CancelToken._for(self._lib)
        call_id = next(_call_ids)
        with _pending_lock:
            _pending[call_id] = _AsyncCall(self._lib, loop, future, token, key_call)
        try:
            handle = self._enter_call()
            try:
                native = token._acquire()
                try:
                    status = start(handle, native, call_id)
                finally:
                    token._release()
            finally:
                self._leave_call()
        except BaseException:
            with _pending_lock:
                _pending.pop(call_id, None)
            token.close()
            raise
        if status != Status.OK:
            # Refused: the callback will never run.
            with _pending_lock:
                _pending.pop(call_id, None)
            token.close()
            raise self._refused(status, cid, ckey, key_call)
        try:
            return await future
        except asyncio.CancelledError:
            # The callback still runs later; it frees the token and its
            # result is dropped (the future is cancelled).
            token.cancel()
            raise


    def _refused(self, status, cid, ckey, key_call):
        """The exception for an async call the library refused with
        ``status``. A refusal comes with no document, so the library is
        asked why through the blocking rotation with the same id and key
        and a token that is already cancelled: it checks them the same way
        and sends nothing (a cancelled token stops it before any request),
        and its error document says what is wrong in its own words."""
        status = _status(status)
        rotated = False if key_call else NOT_APPLICABLE
        if status == Status.INVALID_ARGUMENT:
            token = self._lib.uiza_cancel_token_new()
            if token:
                try:
                    self._lib.uiza_cancel_token_cancel(token)
                    handle = self._enter_call()
                    try:
                        out = _P()
                        why = self._lib.uiza_client_rotate_stream_key(
                            handle, cid, ckey, token, ctypes.byref(out))
                    finally:
                        self._leave_call()
                finally:
                    self._lib.uiza_cancel_token_free(token)
                doc = _take(self._lib, out)
                if why == Status.INVALID_ARGUMENT and doc:
                    error = _error(self._lib, why, doc, key_call)
                    error.rotated = rotated
                    return error
        error_type = "invalid_argument" if status == Status.INVALID_ARGUMENT else "internal_error"
        return _ERRORS.get(status, UizaError)(
            status, f"the async call was refused: {_status_text(status)}", error_type,
            rotated=rotated)


def reset_stream_key(api_key, live_entity_id, *, library=None):
    """The one-shot call on the library's process-wide client (base URL
    from UIZA_BASE_URL when first used, else https://api.uiza.sh)."""
    lib = load(library)
    key = _key_arg("API key", api_key)
    cid = _key_arg("live entity id", live_entity_id)
    out = _P()
    status = lib.uiza_reset_stream_key(key, cid, ctypes.byref(out))
    return _finish(lib, status, out, key_call=True)
