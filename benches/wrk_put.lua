-- wrk script: the same PUT the benchmark sends, for the floor measurement.
wrk.method = "PUT"
wrk.path = "/v1/live_entities/22013d8a-d5fa-48f0-9a63-1f471ca9e81d/stream_key"
wrk.headers["Authorization"] = "bench-key-not-a-secret"
wrk.headers["Accept"] = "application/json"
wrk.headers["User-Agent"] = "uiza-c/0.3.0"
