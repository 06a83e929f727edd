/*
 * uiza.hpp - header-only C++17 wrapper over the C API in uiza.h.
 *
 * Link with libuiza exactly as for C (`pkg-config --cflags --libs uiza`, or
 * the CMake target uiza::uiza); this file adds no library of its own.
 *
 *   uiza::Client client(api_key);
 *   client.set_base_url("http://127.0.0.1:8080");       // optional
 *   uiza::LiveEntity entity = client.reset_stream_key(id);
 *   std::cout << entity.ingest_key() << '\n';
 *
 * Errors: every failure throws uiza::Error (a std::runtime_error) carrying
 * the C status, the HTTP status (-1 when there was no response), the
 * message and the machine-readable error type, exactly as the C error
 * document gives them. Nothing else is thrown, except std::bad_alloc when
 * copying a string into a std::string runs out of memory.
 *
 * Ownership: uiza::Client and uiza::LiveEntity own their C object through
 * a std::unique_ptr whose deleter calls uiza_client_free() or
 * uiza_live_entity_free(); they are move-only, and a moved-from object
 * must only be destroyed or assigned to. Every string the library returns
 * is copied into a std::string and the C string is freed at once with
 * uiza_string_free(), so no C memory outlives a call.
 *
 * Thread safety: as in C. One uiza::Client may be used by any number of
 * threads at once, setters included (the C library synchronises; no
 * locking is needed by the caller). A uiza::LiveEntity is immutable and may
 * be read by many threads at once. An object must not be destroyed or
 * moved from while another thread still uses it. uiza::Error is an
 * ordinary copyable value.
 *
 * Live-entity ids follow the C rule: 1 to 256 characters from
 * A-Z a-z 0-9 - . _ ~, and not "." or ".."; anything else throws
 * uiza::Error with UIZA_STATUS_INVALID_ARGUMENT and nothing is sent.
 *
 * Strings passed in must not contain NUL bytes: the C API would silently
 * cut them there (an id "a\0b" would name the entity "a"), so the wrapper
 * refuses them with UIZA_STATUS_INVALID_ARGUMENT instead.
 */
#ifndef UIZA_HPP
#define UIZA_HPP

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "uiza.h"

namespace uiza {

/** A failed call: what the C API returned, as a C++ exception. */
class Error : public std::runtime_error {
public:
    Error(UizaStatus status, int http_status, std::string message, std::string error_type)
        : std::runtime_error(std::string(uiza_status_str(status)) + ": " + message),
          status_(status),
          http_status_(http_status),
          message_(std::move(message)),
          error_type_(std::move(error_type)) {}

    /** The C status, never UIZA_STATUS_OK. */
    UizaStatus status() const noexcept { return status_; }
    /** The HTTP status of the response, or -1 when there was none. */
    int http_status() const noexcept { return http_status_; }
    /** The message: the server's own for API errors. */
    const std::string &message() const noexcept { return message_; }
    /** Such as "invalid_request_error", "timeout", "invalid_argument". */
    const std::string &error_type() const noexcept { return error_type_; }

private:
    UizaStatus status_;
    int http_status_;
    std::string message_;
    std::string error_type_;
};

namespace detail {

struct StringDeleter {
    void operator()(char *s) const noexcept { uiza_string_free(s); }
};
struct ClientDeleter {
    void operator()(UizaClient *c) const noexcept { uiza_client_free(c); }
};
struct EntityDeleter {
    void operator()(UizaLiveEntity *e) const noexcept { uiza_live_entity_free(e); }
};
struct ErrorDeleter {
    void operator()(UizaError *e) const noexcept { uiza_error_free(e); }
};

using OwnedString = std::unique_ptr<char, StringDeleter>;

inline std::optional<std::string> optional_string(const char *s) {
    if (s == nullptr) {
        return std::nullopt;
    }
    return std::string(s);
}

/** Throws for an argument the C API would silently truncate. */
inline const char *c_arg(const std::string &s, const char *what) {
    if (s.find('\0') != std::string::npos) {
        throw Error(UIZA_STATUS_INVALID_ARGUMENT, -1, std::string(what) + " contains a NUL byte",
                    "invalid_argument");
    }
    return s.c_str();
}

/** Throws the Error that a failed call's `out_json` document describes. */
[[noreturn]] inline void throw_error(UizaStatus status, const char *json) {
    UizaError *raw = nullptr;
    if (json != nullptr && uiza_error_parse(json, &raw) == UIZA_STATUS_OK) {
        std::unique_ptr<UizaError, ErrorDeleter> error(raw);
        throw Error(status, static_cast<int>(uiza_error_http_status(error.get())),
                    uiza_error_message(error.get()), uiza_error_type(error.get()));
    }
    // No document (out of memory): the status is all there is.
    throw Error(status, -1, uiza_status_str(status), "internal_error");
}

/** For setters, whose only failure is an invalid argument. */
inline void check_setting(UizaStatus status, const char *what) {
    if (status != UIZA_STATUS_OK) {
        throw Error(status, -1, std::string("invalid ") + what, "invalid_argument");
    }
}

}  // namespace detail

/** A live entity as returned by a reset: typed accessors plus the raw JSON. */
class LiveEntity {
public:
    /** Parses a live entity document; throws Error (INVALID_RESPONSE) if it is not one. */
    static LiveEntity parse(std::string json) {
        UizaLiveEntity *raw = nullptr;
        UizaStatus status = uiza_live_entity_parse(detail::c_arg(json, "json"), &raw);
        if (status != UIZA_STATUS_OK) {
            throw Error(status, -1, "not a live entity document", "invalid_response");
        }
        return LiveEntity(std::move(json), raw);
    }

    /** The new RTMP stream key (always present). */
    std::string ingest_key() const { return uiza_live_entity_ingest_key(get()); }
    std::optional<std::string> ingest_url() const {
        return detail::optional_string(uiza_live_entity_ingest_url(get()));
    }
    std::optional<std::string> id() const {
        return detail::optional_string(uiza_live_entity_id(get()));
    }
    std::optional<std::string> name() const {
        return detail::optional_string(uiza_live_entity_name(get()));
    }
    std::optional<std::string> description() const {
        return detail::optional_string(uiza_live_entity_description(get()));
    }
    std::optional<std::string> playback_hls() const {
        return detail::optional_string(uiza_live_entity_playback_hls(get()));
    }
    std::optional<std::string> region() const {
        return detail::optional_string(uiza_live_entity_region(get()));
    }
    std::optional<std::string> status() const {
        return detail::optional_string(uiza_live_entity_status(get()));
    }
    std::optional<std::string> created_at() const {
        return detail::optional_string(uiza_live_entity_created_at(get()));
    }
    std::optional<std::string> updated_at() const {
        return detail::optional_string(uiza_live_entity_updated_at(get()));
    }
    std::optional<bool> dvr() const {
        bool value = false;
        return uiza_live_entity_dvr(get(), &value) ? std::optional<bool>(value) : std::nullopt;
    }
    std::optional<bool> encode() const {
        bool value = false;
        return uiza_live_entity_encode(get(), &value) ? std::optional<bool>(value) : std::nullopt;
    }
    /** The document as the API sent it. */
    const std::string &json() const noexcept { return json_; }
    /** The C object, still owned by this LiveEntity. */
    const UizaLiveEntity *get() const noexcept { return entity_.get(); }

private:
    LiveEntity(std::string json, UizaLiveEntity *raw) : json_(std::move(json)), entity_(raw) {}

    std::string json_;
    std::unique_ptr<UizaLiveEntity, detail::EntityDeleter> entity_;
};

namespace detail {

/** Turns a reset's status and `out_json` into a LiveEntity or an Error. */
inline LiveEntity finish_reset(UizaStatus status, char *out_json) {
    OwnedString json(out_json);  // freed with uiza_string_free on every path
    if (status != UIZA_STATUS_OK) {
        throw_error(status, json.get());
    }
    return LiveEntity::parse(json.get());
}

}  // namespace detail

/**
 * A client bound to one API key, with its settings and keep-alive pool.
 * Thread-safe: see the top of this file.
 */
class Client {
public:
    /** Throws Error (INVALID_ARGUMENT) for an empty or invalid key. */
    explicit Client(const std::string &api_key)
        : client_(uiza_client_new(detail::c_arg(api_key, "API key"))) {
        if (!client_) {
            throw Error(UIZA_STATUS_INVALID_ARGUMENT, -1,
                        "invalid API key (printable ASCII without whitespace)", "invalid_argument");
        }
    }

    /** Such as "http://127.0.0.1:8080"; see uiza_client_set_base_url(). */
    void set_base_url(const std::string &url) {
        detail::check_setting(uiza_client_set_base_url(get(), detail::c_arg(url, "base URL")),
                              "base URL (an http:// or https:// URL with a host)");
    }
    /** The budget of one whole call, retries included; must be > 0. */
    void set_timeout_ms(std::uint32_t ms) {
        detail::check_setting(uiza_client_set_timeout_ms(get(), ms), "timeout (must be > 0)");
    }
    void set_max_retries(std::uint32_t n) {
        detail::check_setting(uiza_client_set_max_retries(get(), n), "retry count");
    }
    /** Trusts the CA certificates in a PEM file, in addition to the system's. */
    void set_ca_file(const std::string &pem_path) {
        detail::check_setting(
            uiza_client_set_ca_file(get(), detail::c_arg(pem_path, "CA file path")),
            "CA file (not a readable PEM file)");
    }

    /** Resets the ingest key of live entity `id`; throws Error on failure. */
    LiveEntity reset_stream_key(const std::string &id) const {
        char *json = nullptr;
        UizaStatus status = uiza_client_reset_stream_key(get(), detail::c_arg(id, "id"), &json);
        return detail::finish_reset(status, json);
    }

    /**
     * Like reset_stream_key(id), with a time budget for this call only: the
     * smaller of `budget` and the client's timeout (a deadline carried by
     * the caller). A budget under 1 ms throws Error (INVALID_ARGUMENT).
     */
    LiveEntity reset_stream_key(const std::string &id, std::chrono::milliseconds budget) const {
        if (budget.count() < 1) {
            throw Error(UIZA_STATUS_INVALID_ARGUMENT, -1, "time budget must be at least 1 ms",
                        "invalid_argument");
        }
        // Longer than uint32_t milliseconds (49 days) means "no cap".
        const auto max_ms = std::numeric_limits<std::uint32_t>::max();
        const std::uint32_t ms = budget.count() > static_cast<std::chrono::milliseconds::rep>(max_ms)
                                     ? max_ms
                                     : static_cast<std::uint32_t>(budget.count());
        char *json = nullptr;
        UizaStatus status = uiza_client_reset_stream_key_with_timeout(
            get(), detail::c_arg(id, "id"), ms, &json);
        return detail::finish_reset(status, json);
    }

    /** The C object, still owned by this Client. */
    UizaClient *get() const noexcept { return client_.get(); }

private:
    std::unique_ptr<UizaClient, detail::ClientDeleter> client_;
};

/** The one-shot call on the process-wide client (base URL from UIZA_BASE_URL). */
inline LiveEntity reset_stream_key(const std::string &api_key, const std::string &id) {
    char *json = nullptr;
    UizaStatus status = uiza_reset_stream_key(detail::c_arg(api_key, "API key"),
                                              detail::c_arg(id, "id"), &json);
    return detail::finish_reset(status, json);
}

/** The version of the library loaded at run time, such as "0.1.0". */
inline std::string version() { return uiza_version(); }

}  // namespace uiza

#endif /* UIZA_HPP */
