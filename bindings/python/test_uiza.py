"""Tests of uiza.py against a uiza-sandbox.

tests/python_binding.rs starts an HTTP and an HTTPS sandbox and runs
``python3 -m unittest`` here with UIZA_LIBRARY and the UIZA_TEST_*
variables set. Faults are queued through the sandbox's admin endpoint.
"""

import asyncio
import itertools
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
import unittest
import unittest.mock
import urllib.request

import uiza


def _env(name):
    value = os.environ.get(name)
    if not value:
        # Fail, not skip: a run without a sandbox must not look green.
        raise RuntimeError(
            f"{name} is not set: run these tests with "
            "`cargo test --test python_binding`, which starts the sandbox")
    return value


BASE_URL = _env("UIZA_TEST_BASE_URL")
TLS_BASE_URL = _env("UIZA_TEST_TLS_BASE_URL")
CA_FILE = _env("UIZA_TEST_CA_FILE")
API_KEY = _env("UIZA_TEST_API_KEY")
ENTITY_ID = _env("UIZA_TEST_ENTITY_ID")
_env("UIZA_LIBRARY")


def push_fault(fault):
    request = urllib.request.Request(
        BASE_URL + "/__admin/faults", data=json.dumps(fault).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request) as response:
        assert response.status == 204, response.status


def stats():
    with urllib.request.urlopen(BASE_URL + "/__admin/stats") as response:
        return json.load(response)


_entity_ids = itertools.count(1)


def new_entity():
    """A fresh entity, so that a test counts only its own rotations (a
    request an earlier test gave up on may still reset the seed entity)."""
    entity_id = f"py-entity-{os.getpid()}-{next(_entity_ids)}"
    entity = {"id": entity_id, "name": "Python test entity", "status": "ready",
              "ingest": {"url": "rtmp://example.invalid/live", "key": f"live_initial_{entity_id}"}}
    request = urllib.request.Request(
        BASE_URL + "/__admin/entities", data=json.dumps(entity).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request) as response:
        assert response.status == 204, response.status
    return entity_id


def current_key(entity_id):
    with urllib.request.urlopen(f"{BASE_URL}/__admin/entities/{entity_id}") as response:
        return json.load(response)["ingest"]["key"]


def rotations(entity_id):
    with urllib.request.urlopen(f"{BASE_URL}/__admin/rotations/{entity_id}") as response:
        return json.load(response)["rotations"]


def cancel_after(seconds, token):
    timer = threading.Timer(seconds, token.cancel)
    timer.start()
    return timer


def client(**settings):
    """A client of the HTTP sandbox without retries."""
    settings.setdefault("max_retries", 0)
    return uiza.Client(API_KEY, base_url=BASE_URL, **settings)


class ResetTest(unittest.TestCase):
    def test_version_and_status(self):
        self.assertRegex(uiza.version(), r"^\d+\.\d+\.\d+")
        self.assertEqual(uiza.Status.NOT_FOUND, 4)

    def test_reset_returns_the_entity_with_a_new_key(self):
        with client() as c:
            first = c.reset_stream_key(ENTITY_ID)
            second = c.reset_stream_key(ENTITY_ID)
        self.assertTrue(first.ingest_key.startswith("live_"))
        self.assertNotEqual(first.ingest_key, second.ingest_key)
        self.assertEqual(second.id, ENTITY_ID)
        self.assertEqual(second.name, "Test Event Updated")
        self.assertEqual(second.description, "Event for Test")
        self.assertEqual(second.ingest_url, "rtmp://f45dd07a0e-in.uizadev.io/transcode")
        self.assertEqual(second.playback_hls,
                         f"https://f45dd07a0e.uizadev.io/fmp4/{ENTITY_ID}/master.m3u8")
        self.assertEqual(second.region, "in-bangalore-1")
        self.assertEqual(second.status, "ready")
        self.assertIs(second.dvr, True)
        self.assertIs(second.encode, False)
        self.assertEqual(second.created_at, "2019-12-11T02:47:04Z")
        self.assertTrue(second.updated_at)
        self.assertEqual(second.raw["ingest"]["key"], second.ingest_key)

    def test_one_shot_call_uses_uiza_base_url(self):
        # The process-wide client reads UIZA_BASE_URL on its first use;
        # this is the only one-shot call of the suite.
        os.environ["UIZA_BASE_URL"] = BASE_URL
        entity = uiza.reset_stream_key(API_KEY, ENTITY_ID)
        self.assertTrue(entity.ingest_key.startswith("live_"))


class ErrorTest(unittest.TestCase):
    def test_not_found(self):
        with client() as c, self.assertRaises(uiza.NotFoundError) as caught:
            c.reset_stream_key("no-such-entity")
        err = caught.exception
        self.assertIsInstance(err, uiza.UizaError)
        self.assertEqual(err.status, uiza.Status.NOT_FOUND)
        self.assertEqual(err.http_status, 404)
        self.assertEqual(err.message, "The live entity you requested does not exist.")
        self.assertEqual(err.error_type, "invalid_request_error")
        self.assertIn("The live entity you requested does not exist.", str(err))

    def test_wrong_key_is_unauthorized_and_never_shown(self):
        wrong_key = "wrong-key-must-not-leak"
        with uiza.Client(wrong_key, base_url=BASE_URL) as c:
            self.assertNotIn(wrong_key, repr(c))
            with self.assertRaises(uiza.UnauthorizedError) as caught:
                c.reset_stream_key(ENTITY_ID)
        err = caught.exception
        self.assertEqual(err.http_status, 401)
        for text in (str(err), repr(err), err.message):
            self.assertNotIn(wrong_key, text)

    def test_server_error_without_retries(self):
        before = stats()["api_requests"]
        push_fault({"kind": "status", "status": 503})
        with client() as c, self.assertRaises(uiza.ServerError) as caught:
            c.reset_stream_key(ENTITY_ID)
        self.assertEqual(caught.exception.http_status, 503)
        self.assertEqual(caught.exception.error_type, "api_error")
        self.assertEqual(stats()["api_requests"] - before, 1)

    def test_timeout_fault(self):
        push_fault({"kind": "delay", "ms": 6000})
        with client(timeout=0.4) as c:
            start = time.monotonic()
            with self.assertRaises(uiza.UizaTimeoutError) as caught:
                c.reset_stream_key(ENTITY_ID)
            elapsed = time.monotonic() - start
        err = caught.exception
        self.assertIsInstance(err, TimeoutError)
        self.assertEqual(err.status, uiza.Status.TIMEOUT)
        self.assertIsNone(err.http_status)
        self.assertEqual(err.error_type, "timeout")
        # Generous: the machine may be loaded; the fault alone takes 6 s.
        self.assertLess(elapsed, 4.0)

    def assertRefused(self, call, message, rotated=uiza.NOT_APPLICABLE):
        """call() raises InvalidArgumentError whose message starts with
        ``message``."""
        with self.assertRaises(uiza.InvalidArgumentError) as caught:
            call()
        self.assertTrue(caught.exception.message.startswith(message),
                        f"{caught.exception.message!r} does not start with {message!r}")
        self.assertIs(caught.exception.rotated, rotated)
        return caught.exception

    def test_invalid_arguments_send_nothing(self):
        # The library's messages (uiza_client_create), and the binding's own
        # for a NUL, which C would cut the key at.
        for key, message in (("", "api_key is empty"),
                             ("has space", "api_key must be printable ASCII without whitespace"),
                             ("nul\0byte", "the API key contains a NUL character")):
            self.assertRefused(lambda: uiza.Client(key), message)
        # The constructor's settings go through uiza_client_configure too.
        self.assertRefused(lambda: client(timeout=0), "the time budget must be at least 1 ms")
        before = stats()["api_requests"]
        with client() as c:
            # A NUL would cut the id short in C: refused, not sent as a prefix.
            for bad_id, message in (
                    ("", "id is empty; an id is 1 to 256 characters"),
                    (ENTITY_ID + "\0suffix", "the live entity id contains a NUL character"),
                    ("..", "id is a dot segment; an id is 1 to 256 characters"),
                    ("\udcff", "the live entity id is not valid UTF-8")):
                self.assertRefused(lambda: c.reset_stream_key(bad_id), message, rotated=False)
            self.assertRefused(lambda: c.reset_stream_key(ENTITY_ID, timeout=0),
                               "the time budget must be at least 1 ms", rotated=False)
            # The setters: the library's messages (uiza_client_configure).
            err = self.assertRefused(lambda: c.set_timeout(0),
                                     "the time budget must be at least 1 ms")
            self.assertIsInstance(err, ValueError)  # InvalidArgumentError is one
            self.assertRefused(lambda: c.set_base_url("ftp://example.com"),
                               "base URL is invalid: the scheme must be http or https")
            self.assertRefused(lambda: c.set_ca_file("/nonexistent/ca.pem"),
                               "CA file: cannot read it")
            # Escaped whole into the JSON document: a URL cut at the NUL
            # would be accepted, and a broken document refused as such.
            for url in ("http://x\0/", 'http://x/"}\\\n'):
                self.assertRefused(lambda: c.set_base_url(url), "base URL is invalid: ")
            # The binding's own: what the library's uint32 cannot carry, and
            # text that is not UTF-8.
            self.assertRefused(lambda: c.set_max_retries(-1),
                               "the retry count must be between 0 and 2^32-1")
            self.assertRefused(lambda: c.set_timeout(2**32),
                               "the timeout must not be negative and must be below 2^32 ms")
            self.assertRefused(lambda: c.set_ca_file(b"/\xff.pem"),
                               "the CA file path is not valid UTF-8")
            with self.assertRaises(TypeError):
                c.reset_stream_key(42)
            with self.assertRaises(TypeError):
                c.set_max_retries(1.5)
            # Nothing refused changed the client.
            self.assertTrue(c.reset_stream_key(ENTITY_ID).ingest_key)
        self.assertEqual(stats()["api_requests"] - before, 1)


class TlsTest(unittest.TestCase):
    def test_https_with_the_sandbox_ca(self):
        with uiza.Client(API_KEY, base_url=TLS_BASE_URL, ca_file=CA_FILE) as c:
            self.assertTrue(c.reset_stream_key(ENTITY_ID).ingest_key.startswith("live_"))

    def test_https_without_the_ca_fails_verification(self):
        with uiza.Client(API_KEY, base_url=TLS_BASE_URL, max_retries=0) as c:
            with self.assertRaises(uiza.TLSFailedError) as caught:
                c.reset_stream_key(ENTITY_ID)
        self.assertIsNone(caught.exception.http_status)


class SharingTest(unittest.TestCase):
    def test_threads_share_one_client(self):
        threads, calls = 16, 4
        keys, errors = [], []
        lock = threading.Lock()

        def work():
            for _ in range(calls):
                try:
                    key = shared.reset_stream_key(ENTITY_ID).ingest_key
                    with lock:
                        keys.append(key)
                except Exception as e:  # reported below, with the others
                    with lock:
                        errors.append(e)

        with client() as shared:
            workers = [threading.Thread(target=work) for _ in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(set(keys)), threads * calls)

    def test_close_waits_for_calls_then_refuses_them(self):
        c = client()
        before = stats()["api_requests"]
        delay = 0.7
        push_fault({"kind": "delay", "ms": int(delay * 1000)})
        results = []
        started = []

        def call():
            started.append(time.monotonic())
            results.append(c.reset_stream_key(ENTITY_ID))

        worker = threading.Thread(target=call)
        worker.start()
        deadline = time.monotonic() + 10
        while stats()["api_requests"] == before:
            self.assertLess(time.monotonic(), deadline, "the call never reached the sandbox")
            time.sleep(0.01)
        c.close()
        closed = time.monotonic()
        # The sandbox answers `delay` after the request arrived, which was
        # after the call started: a close() that waited for the call cannot
        # return sooner. (The worker's own end time would not do: it still
        # parses the answer after leaving the native call.)
        self.assertGreaterEqual(closed - started[0], delay,
                                "close() returned while a call was still in progress")
        worker.join()
        self.assertEqual(len(results), 1)
        self.assertTrue(c.closed)
        c.close()  # twice is fine
        with self.assertRaises(ValueError):
            c.reset_stream_key(ENTITY_ID)


class RotationTest(unittest.TestCase):
    def test_get_live_entity_reads_without_rotating(self):
        entity_id = new_entity()
        with client() as c:
            entity = c.get_live_entity(entity_id)
            self.assertEqual(entity.id, entity_id)
            self.assertEqual(entity.ingest_key, current_key(entity_id))
            self.assertEqual(rotations(entity_id), 0)
            with self.assertRaises(uiza.NotFoundError) as caught:
                c.get_live_entity("no-such-entity")
            self.assertIs(caught.exception.rotated, uiza.NOT_APPLICABLE)
            before = stats()["api_requests"]
            for bad_id, message in (("", "id is empty;"), ("..", "id is a dot segment;"),
                                    ("a/b", "id has a character outside the allowed set"),
                                    ("x" * 257, "id is 257 bytes long;")):
                with self.assertRaises(uiza.InvalidArgumentError) as caught:
                    c.get_live_entity(bad_id)
                self.assertTrue(caught.exception.message.startswith(message),
                                caught.exception.message)
            self.assertEqual(stats()["api_requests"] - before, 0)

    def test_rotate_with_and_without_the_current_key(self):
        entity_id = new_entity()
        old = current_key(entity_id)
        with client() as c:
            before = stats()["api_requests"]
            first = c.rotate_stream_key(entity_id, old)
            self.assertEqual(stats()["api_requests"] - before, 1, "the PUT alone")
            self.assertNotEqual(first.ingest_key, old)
            self.assertEqual(first.ingest_key, current_key(entity_id))
            before = stats()["api_requests"]
            second = c.rotate_stream_key(entity_id)  # None: read first
            self.assertEqual(stats()["api_requests"] - before, 2, "GET, then PUT")
            self.assertNotEqual(second.ingest_key, first.ingest_key)
            self.assertEqual(second.ingest_key, current_key(entity_id))
        self.assertEqual(rotations(entity_id), 2)

    def test_rotate_reconciles_a_hidden_rotation(self):
        entity_id = new_entity()
        old = current_key(entity_id)
        faults = stats()["faults_applied"]
        # The sandbox applies the PUT, then drops the connection unanswered.
        push_fault({"kind": "apply_then_drop", "method": "PUT"})
        with client() as c:
            entity = c.rotate_stream_key(entity_id, old)
        self.assertNotEqual(current_key(entity_id), old)
        self.assertEqual(entity.ingest_key, current_key(entity_id))
        self.assertEqual(rotations(entity_id), 1, "read back, not rotated again")
        self.assertEqual(stats()["faults_applied"] - faults, 1)

    def test_errors_say_whether_the_key_rotated(self):
        with client() as c:
            with self.assertRaises(uiza.NotFoundError) as caught:
                c.rotate_stream_key("no-such-entity", "live_x")
            self.assertIs(caught.exception.rotated, False)
            with self.assertRaises(uiza.NotFoundError) as caught:
                c.reset_stream_key("no-such-entity")
            self.assertIs(caught.exception.rotated, False)
            for bad in (("..", None), (ENTITY_ID, "live_\0x")):
                with self.assertRaises(uiza.InvalidArgumentError) as caught:
                    c.rotate_stream_key(*bad)
                self.assertIs(caught.exception.rotated, False)
            # A reset whose connection dropped may have applied.
            entity_id = new_entity()
            push_fault({"kind": "drop", "method": "PUT"})
            with self.assertRaises(uiza.ConnectionFailedError) as caught:
                c.reset_stream_key(entity_id)
            self.assertIsNone(caught.exception.rotated)
        # NOT_APPLICABLE refuses truthiness: compare it with `is`.
        with self.assertRaises(TypeError):
            bool(uiza.NOT_APPLICABLE)
        self.assertIs(uiza.UizaError(uiza.Status.INTERNAL, "m").rotated, uiza.NOT_APPLICABLE)

    def test_cancel_token_stops_a_blocking_rotation_mid_wait(self):
        entity_id = new_entity()
        old = current_key(entity_id)
        push_fault({"kind": "status", "status": 429, "retry_after": "20", "method": "PUT"})
        with client(max_retries=2) as c, uiza.CancelToken() as token:
            timer = cancel_after(0.3, token)
            start = time.monotonic()
            with self.assertRaises(uiza.UizaCancelledError) as caught:
                c.rotate_stream_key(entity_id, old, token=token)
            elapsed = time.monotonic() - start
            timer.join()
            self.assertTrue(token.cancelled)
        self.assertTrue(token.closed)
        err = caught.exception
        self.assertIsInstance(err, uiza.UizaError)
        self.assertEqual(err.status, uiza.Status.CANCELLED)
        self.assertIs(err.rotated, False)
        # Cancelled at 0.3 s, not after the 20 s wait (generous: loaded machine).
        self.assertLess(elapsed, 3.0)
        self.assertEqual(rotations(entity_id), 0)
        self.assertEqual(current_key(entity_id), old)
        with self.assertRaises(ValueError), client() as c:
            c.rotate_stream_key(entity_id, old, token=token)  # closed token

    def test_cancel_does_not_abandon_a_put_in_flight(self):
        entity_id = new_entity()
        old = current_key(entity_id)
        push_fault({"kind": "delay", "ms": 600, "method": "PUT"})
        with client() as c, uiza.CancelToken() as token:
            timer = cancel_after(0.2, token)
            entity = c.rotate_stream_key(entity_id, old, token=token)
            timer.join()
            self.assertTrue(token.cancelled)
        self.assertEqual(entity.ingest_key, current_key(entity_id))
        self.assertNotEqual(entity.ingest_key, old)
        self.assertEqual(rotations(entity_id), 1)


def wait_for_callbacks(test, limit=3.0):
    """Waits until every async call has had its callback."""
    deadline = time.monotonic() + limit
    while uiza._pending_calls():
        test.assertLess(time.monotonic(), deadline, "an async call's callback never ran")
        time.sleep(0.01)


class AsyncTest(unittest.TestCase):
    def test_rotate_async_is_awaitable(self):
        entity_id = new_entity()
        old = current_key(entity_id)

        async def main():
            with client() as c:
                rotated = await c.rotate_stream_key_async(entity_id, old)
                self.assertNotEqual(rotated.ingest_key, old)
                again = await c.rotate_stream_key_async(entity_id)  # reads first
                reads = await asyncio.gather(
                    *(c.get_live_entity_async(entity_id) for _ in range(8)))
                with self.assertRaises(uiza.NotFoundError) as caught:
                    await c.rotate_stream_key_async("no-such-entity", "live_x")
                self.assertIs(caught.exception.rotated, False)
                with self.assertRaises(uiza.NotFoundError) as caught:
                    await c.get_live_entity_async("no-such-entity")
                self.assertIs(caught.exception.rotated, uiza.NOT_APPLICABLE)
                with self.assertRaises(uiza.InvalidArgumentError) as caught:
                    await c.rotate_stream_key_async("..")
                self.assertIs(caught.exception.rotated, False)
                # The library's reason, though a refused async call has no
                # document of its own.
                self.assertTrue(caught.exception.message.startswith(
                    "id is a dot segment; an id is 1 to 256 characters"), caught.exception.message)
                with self.assertRaises(uiza.InvalidArgumentError) as caught:
                    await c.get_live_entity_async("a/b")
                self.assertIs(caught.exception.rotated, uiza.NOT_APPLICABLE)
                self.assertTrue(caught.exception.message.startswith(
                    "id has a character outside the allowed set at byte offset 1;"),
                    caught.exception.message)
                return rotated, again, reads

        rotated, again, reads = asyncio.run(main())
        self.assertNotEqual(again.ingest_key, rotated.ingest_key)
        self.assertEqual(again.ingest_key, current_key(entity_id))
        self.assertEqual({r.ingest_key for r in reads}, {again.ingest_key})
        self.assertEqual(rotations(entity_id), 2)
        wait_for_callbacks(self)

    def test_cancelling_the_task_cancels_the_call(self):
        entity_id = new_entity()
        old = current_key(entity_id)
        before = stats()["api_requests"]
        push_fault({"kind": "status", "status": 429, "retry_after": "20", "method": "PUT"})

        async def main():
            with client(max_retries=2) as c:
                task = asyncio.ensure_future(c.rotate_stream_key_async(entity_id, old))
                await asyncio.sleep(0.3)
                self.assertEqual(uiza._pending_calls(), 1, "the call waits to retry")
                task.cancel()
                start = time.monotonic()
                with self.assertRaises(asyncio.CancelledError):
                    await task
                return time.monotonic() - start

        elapsed = asyncio.run(main())
        self.assertLess(elapsed, 1.0)
        # The token was cancelled: the library ends the 20 s wait and its
        # callback runs (and frees the token) well before then.
        wait_for_callbacks(self)
        self.assertEqual(rotations(entity_id), 0)
        self.assertEqual(current_key(entity_id), old)
        self.assertEqual(stats()["api_requests"] - before, 1, "no retry was sent")

    def test_timeout_around_an_awaitable_cancels_a_read_mid_response(self):
        # The entity trickles in a byte every 200 ms: the read is mid-body.
        push_fault({"kind": "drip", "chunk_bytes": 1, "interval_ms": 200, "method": "GET"})

        async def main():
            with client() as c:
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(c.get_live_entity_async(ENTITY_ID), 0.5)

        start = time.monotonic()
        asyncio.run(main())
        wait_for_callbacks(self)
        self.assertLess(time.monotonic() - start, 3.0)

    def test_closing_the_client_cancels_async_calls(self):
        entity_id = new_entity()
        push_fault({"kind": "status", "status": 429, "retry_after": "20", "method": "PUT"})

        async def main():
            c = client(max_retries=2)
            task = asyncio.ensure_future(c.rotate_stream_key_async(entity_id, "live_x"))
            await asyncio.sleep(0.3)
            c.close()
            with self.assertRaises(uiza.UizaCancelledError) as caught:
                await asyncio.wait_for(task, 5)
            self.assertIs(caught.exception.rotated, False)

        asyncio.run(main())
        wait_for_callbacks(self)
        self.assertEqual(rotations(entity_id), 0)


class LoadTest(unittest.TestCase):
    """Where load() finds libuiza, without installing it: find_library is
    replaced by a stand-in that records its calls."""

    def setUp(self):
        uiza._installed_library.cache_clear()
        self.addCleanup(uiza._installed_library.cache_clear)

    def resolve(self, found, library=None, env=None):
        """_library_path(library) with UIZA_LIBRARY set to ``env`` (None:
        unset) and find_library answering ``found``; returns the path and
        the names find_library was asked for."""
        asked = []

        def find_library(name):
            asked.append(name)
            return found

        environ = {k: v for k, v in os.environ.items() if k != "UIZA_LIBRARY"}
        if env is not None:
            environ["UIZA_LIBRARY"] = env
        with unittest.mock.patch.dict(os.environ, environ, clear=True), \
                unittest.mock.patch("ctypes.util.find_library", find_library):
            path = uiza._library_path(library)
        uiza._installed_library.cache_clear()
        return path, asked

    def test_library_argument_then_variable_then_find_library_then_name(self):
        self.assertEqual(self.resolve("libuiza.so.0.3", "/opt/a/libuiza.so", "/opt/b/libuiza.so"),
                         ("/opt/a/libuiza.so", []))
        self.assertEqual(self.resolve("libuiza.so.0.3", None, "/opt/b/libuiza.so"),
                         ("/opt/b/libuiza.so", []))
        self.assertEqual(self.resolve("libuiza.so.0.3"), ("libuiza.so.0.3", ["uiza"]))
        self.assertEqual(self.resolve("libuiza.so.0.3", env=""), ("libuiza.so.0.3", ["uiza"]))
        self.assertEqual(self.resolve(None), (uiza._platform_name(), ["uiza"]))
        if sys.platform.startswith("linux"):
            self.assertEqual(uiza._platform_name(), "libuiza.so")

    def test_load_opens_what_find_library_finds(self):
        built = os.environ["UIZA_LIBRARY"]
        environ = {k: v for k, v in os.environ.items() if k != "UIZA_LIBRARY"}
        with unittest.mock.patch.dict(os.environ, environ, clear=True), \
                unittest.mock.patch("ctypes.util.find_library", lambda name: built):
            lib = uiza.load()
        self.assertIs(lib, uiza.load(built))
        self.assertTrue(lib.uiza_version())


class _Records(logging.Handler):
    """Keeps the records that reach the "uiza" logger."""

    def __init__(self):
        super().__init__(level=1)
        self.records = []
        self._records_lock = threading.Lock()

    def emit(self, record):
        with self._records_lock:
            self.records.append(record)

    def lines(self):
        with self._records_lock:
            return [(r.levelname, r.getMessage()) for r in self.records]


class LoggingTest(unittest.TestCase):
    def setUp(self):
        self.handler = _Records()
        logger = logging.getLogger("uiza")
        saved = logger.level
        logger.setLevel(1)  # everything the library sends
        logger.addHandler(self.handler)

        def restore():
            uiza.disable_logging()
            logger.removeHandler(self.handler)
            logger.setLevel(saved)
        self.addCleanup(restore)

    def assert_in_order(self, lines, wanted):
        """Each (levelname, prefix) of ``wanted`` starts a line of
        ``lines``, in this order."""
        at = 0
        for level, message in lines:
            if at < len(wanted) and level == wanted[at][0] and message.startswith(wanted[at][1]):
                at += 1
        self.assertEqual(at, len(wanted), f"missing from {wanted[at:]}: {lines}")

    def assert_no_keys(self, lines, *keys):
        for _, message in lines:
            self.assertNotIn(API_KEY, message)
            for key in keys:
                self.assertNotIn(key, message)

    def test_logging_records_a_rotation_in_order(self):
        entity_id = new_entity()
        old = current_key(entity_id)
        uiza.enable_logging(logging.DEBUG)
        with client() as c:
            new = c.rotate_stream_key(entity_id, old).ingest_key
        uiza.disable_logging()
        lines = self.handler.lines()
        self.assert_in_order(lines, [
            ("INFO", f"rotation of live entity {entity_id}: starting at {BASE_URL}"),
            ("DEBUG", "attempt 1: PUT "),
            ("DEBUG", "attempt 1: succeeded in "),
            ("INFO", "rotation succeeded after 1 attempt(s) in "),
        ])
        self.assertEqual({r.name for r in self.handler.records}, {"uiza"})
        self.assertNotIn("TRACE", {level for level, _ in lines})
        self.assert_no_keys(lines, old, new)

    def test_logging_levels_map_to_logging_levels(self):
        self.assertEqual(logging.getLevelName(uiza.TRACE), "TRACE")
        self.assertLess(uiza.TRACE, logging.DEBUG)
        push_fault({"kind": "status", "status": 503, "times": 2})
        uiza.enable_logging(uiza.TRACE)
        with client(max_retries=1) as c:
            with self.assertRaises(uiza.ServerError) as caught:
                c.reset_stream_key(new_entity())
            # Async: the worker thread's TRACE lines.
            asyncio.run(c.get_live_entity_async(ENTITY_ID))
        uiza.disable_logging()
        lines = self.handler.lines()
        self.assert_in_order(lines, [
            ("INFO", "reset of live entity "),
            ("DEBUG", "attempt 1: PUT "),
            ("WARNING", "retry 1 of 1 in "),
            ("ERROR", "reset failed after 2 attempt(s) in "),
            ("INFO", f"read of live entity {ENTITY_ID}: starting"),
        ])
        # Logged by the caller's thread after the worker may have started.
        self.assertIn(("TRACE", "async call queued"), [(level, message[:17]) for level, message in lines])
        self.assertEqual({r.levelno for r in self.handler.records} - {5, 10, 20, 30, 40}, set())
        # The error document's diagnostics: two exchanges, a backoff
        # between them (at least 125 ms).
        self.assertEqual(caught.exception.attempts, 2)
        self.assertGreaterEqual(caught.exception.elapsed_ms, 125)
        self.assertLess(caught.exception.elapsed_ms, 10_000)
        with self.assertRaises(uiza.InvalidArgumentError) as caught:
            client().reset_stream_key("a\0b")  # refused by the binding
        self.assertIsNone(caught.exception.attempts)
        self.assertIsNone(caught.exception.elapsed_ms)

    def test_logging_off_produces_nothing(self):
        uiza.enable_logging(uiza.TRACE)
        uiza.disable_logging()
        with client() as c:
            c.reset_stream_key(new_entity())
            with self.assertRaises(uiza.NotFoundError):
                asyncio.run(c.get_live_entity_async("no-such-entity"))
        # A level above ERROR turns it off too.
        uiza.enable_logging(logging.CRITICAL)
        with client() as c:
            c.get_live_entity(ENTITY_ID)
        self.assertEqual(self.handler.lines(), [])
        # Importing the module installs nothing: a fresh interpreter that
        # never enables logging sees no record.
        program = (
            "import logging, uiza\n"
            "seen = []\n"
            "class H(logging.Handler):\n"
            "    def emit(self, r): seen.append(r)\n"
            "logging.getLogger('uiza').addHandler(H(1)); logging.getLogger('uiza').setLevel(1)\n"
            f"uiza.Client({API_KEY!r}, base_url={BASE_URL!r}).get_live_entity({ENTITY_ID!r})\n"
            "assert not seen, seen\n"
            "print('quiet')\n")
        done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                              timeout=60, cwd=os.path.dirname(os.path.abspath(__file__)))
        self.assertEqual((done.returncode, done.stdout), (0, "quiet\n"), done.stderr)

    def test_async_calls_log_from_worker_threads(self):
        uiza.enable_logging(logging.INFO)

        async def main():
            with client() as c:
                return await asyncio.gather(
                    *(c.get_live_entity_async(ENTITY_ID) for _ in range(4)))

        asyncio.run(main())
        uiza.disable_logging()
        wait_for_callbacks(self)
        here = threading.get_ident()
        starts = [r for r in self.handler.records
                  if r.getMessage().startswith(f"read of live entity {ENTITY_ID}: starting")]
        ends = [r for r in self.handler.records
                if r.getMessage().startswith("read succeeded after 1 attempt(s)")]
        self.assertEqual((len(starts), len(ends)), (4, 4), self.handler.lines())
        self.assertNotIn(here, {r.thread for r in starts + ends})
        self.assertTrue(all(r.levelno == logging.INFO for r in starts + ends))


class HeaderTest(unittest.TestCase):
    def test_every_header_function_is_bound(self):
        header_path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                   "..", "..", "include", "uiza.h")
        with open(header_path, encoding="utf-8") as f:
            header = f.read()
        # Declarations only: comments mention functions too.
        code = re.sub(r"/\*.*?\*/", "", header, flags=re.S)
        code = re.sub(r"//[^\n]*", "", code)
        declared = set(re.findall(r"\b(uiza_[a-z_]+)\(", code))
        self.assertGreaterEqual(len(declared), 40, sorted(declared))
        bound = set(uiza._SIGNATURES)
        unbound = set(uiza.DELIBERATELY_UNBOUND)
        for name, reason in uiza.DELIBERATELY_UNBOUND.items():
            self.assertTrue(reason, f"{name} is unbound without a reason")
        self.assertEqual(declared - bound - unbound, set(), "declared in uiza.h but not bound")
        self.assertEqual(bound - declared, set(), "bound but not in uiza.h")
        self.assertEqual(bound & unbound, set(), "both bound and listed as unbound")
        lib = uiza.load()  # declares every bound function: each must exist
        for name in bound:
            self.assertTrue(callable(getattr(lib, name)), name)


if __name__ == "__main__":
    unittest.main()
