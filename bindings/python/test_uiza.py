"""Tests of uiza.py against a uiza-sandbox.

tests/python_binding.rs starts an HTTP and an HTTPS sandbox and runs
``python3 -m unittest`` here with UIZA_LIBRARY and the UIZA_TEST_*
variables set. Faults are queued through the sandbox's admin endpoint.
"""

import json
import os
import threading
import time
import unittest
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

    def test_invalid_arguments_send_nothing(self):
        for key in ("", "has space", "nul\0byte"):
            with self.assertRaises(uiza.InvalidArgumentError):
                uiza.Client(key)
        before = stats()["api_requests"]
        with client() as c:
            # A NUL would cut the id short in C: refused, not sent as a prefix.
            for bad_id in ("", ENTITY_ID + "\0suffix", "..", "\udcff"):
                with self.assertRaises(uiza.InvalidArgumentError):
                    c.reset_stream_key(bad_id)
            with self.assertRaises(ValueError):  # InvalidArgumentError is one
                c.set_timeout(0)
            with self.assertRaises(uiza.InvalidArgumentError):
                c.set_max_retries(-1)
            with self.assertRaises(uiza.InvalidArgumentError):
                c.set_base_url("ftp://example.com")
            with self.assertRaises(uiza.InvalidArgumentError):
                c.set_ca_file("/nonexistent/ca.pem")
            with self.assertRaises(TypeError):
                c.reset_stream_key(42)
        self.assertEqual(stats()["api_requests"] - before, 0)


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


if __name__ == "__main__":
    unittest.main()
