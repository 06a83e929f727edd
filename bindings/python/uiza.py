"""Python binding of libuiza: reset the RTMP ingest key of a Uiza live entity.

A single module over ctypes, no dependencies. The shared library is loaded
from the ``library`` argument, else the ``UIZA_LIBRARY`` environment
variable, else ``libuiza.so`` through the system's loader path::

    import uiza

    with uiza.Client(api_key) as client:
        entity = client.reset_stream_key(live_entity_id)
        print(entity.ingest_url, entity.ingest_key)

Failures raise ``UizaError`` subclasses (``NotFoundError``,
``UnauthorizedError``, ``UizaTimeoutError``...) carrying ``status``,
``http_status``, ``message`` and ``error_type``. A ``Client`` may be shared
by any number of threads; ctypes releases the GIL during each call.
"""

import ctypes
import enum
import json
import math
import os
import threading
from dataclasses import dataclass
from typing import Optional

__all__ = [
    "Status", "LiveEntity", "Client", "reset_stream_key", "version", "load",
    "UizaError", "InvalidArgumentError", "BadRequestError",
    "UnauthorizedError", "NotFoundError", "RateLimitedError", "ServerError",
    "UnexpectedStatusError", "UizaTimeoutError", "ConnectionFailedError",
    "TLSFailedError", "InvalidResponseError", "ResponseTooLargeError",
    "InternalError",
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


# ---------------------------------------------------------------- errors


class UizaError(Exception):
    """A failed call: the library's status and its error document.

    ``http_status`` is None when the call failed before a response.
    """

    def __init__(self, status, message, error_type=None, http_status=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.http_status = http_status

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
}


def _status(value):
    try:
        return Status(value)
    except ValueError:  # a status added by a newer library
        return value


def _invalid(message):
    return InvalidArgumentError(Status.INVALID_ARGUMENT, message, "invalid_argument")


# ---------------------------------------------------------------- loading

_P = ctypes.c_void_p
_STR = ctypes.c_char_p
_STATUS = ctypes.c_int  # a C enum is int-sized

# name: (restype, argtypes). Every exported function of uiza.h.
_SIGNATURES = {
    "uiza_client_new": (_P, [_STR]),
    "uiza_client_free": (None, [_P]),
    "uiza_client_set_base_url": (_STATUS, [_P, _STR]),
    "uiza_client_set_timeout_ms": (_STATUS, [_P, ctypes.c_uint32]),
    "uiza_client_set_max_retries": (_STATUS, [_P, ctypes.c_uint32]),
    "uiza_client_set_ca_file": (_STATUS, [_P, _STR]),
    # out_json is a char ** read as a void pointer, so that it can be freed.
    "uiza_client_reset_stream_key": (_STATUS, [_P, _STR, ctypes.POINTER(_P)]),
    "uiza_reset_stream_key": (_STATUS, [_STR, _STR, ctypes.POINTER(_P)]),
    "uiza_live_entity_parse": (_STATUS, [_P, ctypes.POINTER(_P)]),
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
    "uiza_error_parse": (_STATUS, [_P, ctypes.POINTER(_P)]),
    "uiza_error_message": (_STR, [_P]),
    "uiza_error_type": (_STR, [_P]),
    "uiza_error_http_status": (ctypes.c_int32, [_P]),
    "uiza_error_free": (None, [_P]),
    "uiza_string_free": (None, [_P]),
    "uiza_status_str": (_STR, [ctypes.c_int32]),
    "uiza_version": (_STR, []),
}

_loaded = {}
_load_lock = threading.Lock()


def load(library=None):
    """Loads (once per path) and declares libuiza; returns the ctypes.CDLL.

    ``library`` is a path; by default ``UIZA_LIBRARY``, else ``libuiza.so``.
    """
    path = os.fspath(library) if library is not None else os.environ.get("UIZA_LIBRARY", "libuiza.so")
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
    """The library's version, such as "0.1.0"."""
    return load(library).uiza_version().decode()


def _c_string(what, value):
    """UTF-8 bytes for a C string; refuses what C would cut short."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        try:
            value = value.encode("utf-8")
        except UnicodeEncodeError:
            raise _invalid(f"the {what} is not valid UTF-8") from None
    if not isinstance(value, bytes):
        raise TypeError(f"the {what} must be str, not {type(value).__name__}")
    if b"\0" in value:
        raise _invalid(f"the {what} contains a NUL character")
    return value


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class LiveEntity:
    """The live entity a reset returns; a field the API left out is None.

    ``raw`` is the whole document as the API sent it.
    """

    id: Optional[str]
    name: Optional[str]
    description: Optional[str]
    ingest_url: Optional[str]
    ingest_key: str
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
    """Reads a successful out_json (still owned by the caller)."""
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
            raw=json.loads(ctypes.string_at(doc).decode("utf-8")),
        )
    finally:
        lib.uiza_live_entity_free(handle)


def _error(lib, status, doc):
    """The exception for a failed call's status and out_json."""
    status = _status(status)
    cls = _ERRORS.get(status, UizaError)
    handle = _P()
    if not doc or lib.uiza_error_parse(doc, ctypes.byref(handle)) != Status.OK:
        return cls(status, lib.uiza_status_str(int(status)).decode())
    try:
        code = lib.uiza_error_http_status(handle)
        return cls(
            status,
            _text(lib.uiza_error_message(handle)),
            _text(lib.uiza_error_type(handle)),
            code if code >= 0 else None,
        )
    finally:
        lib.uiza_error_free(handle)


def _finish(lib, status, doc):
    """Turns a reset's outcome into a LiveEntity or an exception, and frees
    out_json whatever happens."""
    try:
        if status == Status.OK:
            if not doc:
                raise InternalError(Status.INTERNAL, "out of memory", "internal_error")
            return _entity(lib, doc)
        raise _error(lib, status, doc)
    finally:
        lib.uiza_string_free(doc)


# ---------------------------------------------------------------- client


class Client:
    """A client bound to one API key, with a pool of keep-alive connections.

    Safe to share between threads, setters included. Close it (or use it as
    a context manager); ``close()`` waits for calls in progress.
    """

    def __init__(self, api_key, *, base_url=None, timeout=None, max_retries=None,
                 ca_file=None, library=None):
        self._lib = load(library)
        self._handle = None
        self._idle = threading.Condition()
        self._calls = 0
        handle = self._lib.uiza_client_new(_c_string("API key", api_key))
        if not handle:
            raise _invalid("the API key must be non-empty printable ASCII without whitespace")
        self._handle = handle
        try:
            if base_url is not None:
                self.set_base_url(base_url)
            if timeout is not None:
                self.set_timeout(timeout)
            if max_retries is not None:
                self.set_max_retries(max_retries)
            if ca_file is not None:
                self.set_ca_file(ca_file)
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None):
            self.close()

    def __repr__(self):  # never shows the key
        return f"<uiza.Client {'open' if self._handle else 'closed'}>"

    @property
    def closed(self):
        return self._handle is None

    def close(self):
        """Frees the native client (wiping its key) once no call uses it.
        Closing twice is a no-op."""
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

    def _set(self, refused, setter, *args):
        handle = self._enter_call()
        try:
            status = setter(handle, *args)
        finally:
            self._leave_call()
        if status != Status.OK:
            raise InvalidArgumentError(_status(status), refused, "invalid_argument")

    def set_base_url(self, url):
        """Base URL such as https://api.uiza.sh or http://127.0.0.1:8080."""
        self._set("the base URL must be an http:// or https:// URL with a host",
                  self._lib.uiza_client_set_base_url, _c_string("base URL", url))

    def set_timeout(self, seconds):
        """Time budget of one whole call, in seconds (rounded up to a whole
        millisecond; default 30)."""
        ms = math.ceil(seconds * 1000)
        if not 0 < ms < 2**32:
            raise _invalid("the timeout must be positive and below 2^32 ms")
        self._set("the timeout was refused", self._lib.uiza_client_set_timeout_ms, ms)

    def set_max_retries(self, n):
        """Retries of connection failures and HTTP 429/502/503/504
        (default 2, 0 disables them)."""
        if not 0 <= n < 2**32:
            raise _invalid("the retry count must be between 0 and 2^32-1")
        self._set("the retry count was refused", self._lib.uiza_client_set_max_retries, n)

    def set_ca_file(self, path):
        """Trusts the CA certificates of a PEM file besides the system's."""
        self._set("the CA file cannot be read or holds no PEM certificate",
                  self._lib.uiza_client_set_ca_file, _c_string("CA file path", path))

    def reset_stream_key(self, live_entity_id):
        """Resets the entity's ingest key; returns the entity with the new
        key. Raises a UizaError subclass on failure.

        live_entity_id must be 1 to 256 characters from A-Z a-z 0-9 - . _ ~
        and not "." or ".." (Uiza ids are UUIDs); any other id raises
        InvalidArgumentError and nothing is sent."""
        cid = _c_string("live entity id", live_entity_id)
        handle = self._enter_call()
        try:
            doc = _P()
            status = self._lib.uiza_client_reset_stream_key(handle, cid, ctypes.byref(doc))
        finally:
            self._leave_call()
        return _finish(self._lib, status, doc)


def reset_stream_key(api_key, live_entity_id, *, library=None):
    """The one-shot call on the library's process-wide client (base URL
    from UIZA_BASE_URL when first used, else https://api.uiza.sh)."""
    lib = load(library)
    key = _c_string("API key", api_key)
    cid = _c_string("live entity id", live_entity_id)
    doc = _P()
    status = lib.uiza_reset_stream_key(key, cid, ctypes.byref(doc))
    return _finish(lib, status, doc)
