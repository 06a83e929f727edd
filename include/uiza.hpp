/*
 * uiza.hpp - header-only C++17 wrapper over the C API in uiza.h.
 *
 * Link with libuiza exactly as for C (`pkg-config --cflags --libs uiza`, or
 * the CMake target uiza::uiza); this file adds no library of its own.
 *
 *   uiza::Client client(api_key);
 *   client.set_base_url("http://127.0.0.1:8080");       // optional
 *   uiza::LiveEntity now = client.get_live_entity(id);
 *   uiza::LiveEntity entity = client.rotate_stream_key(id, now.ingest_key());
 *   std::cout << entity.ingest_key() << '\n';
 *
 * Calls:
 *  - reset_stream_key(id): the plain reset (PUT with retries; a retry after
 *    a dropped connection may rotate the key a second time).
 *  - rotate_stream_key(id, current_key, token): rotates exactly once; after
 *    a failure the server may have applied, the library reads the entity
 *    back. Without current_key the library reads the entity first.
 *  - get_live_entity(id): reads the entity.
 *  - rotate_stream_key_async(...), get_live_entity_async(...): the same on
 *    the library's worker threads, with a std::function callback.
 *
 * Errors: every failure throws uiza::Error (a std::runtime_error) carrying
 * the C status, the HTTP status (-1 when there was no response), the
 * message, the machine-readable error type and rotated() (what a failed
 * reset or rotation did to the key), exactly as the C error document gives
 * them. Nothing else is thrown, except std::bad_alloc when memory runs out.
 *
 * Cancellation: a uiza::CancelToken passed to rotate_stream_key() or to an
 * async call stops it before each PUT is sent, during reads and during the
 * waits between attempts (UIZA_STATUS_CANCELLED, rotated() ==
 * Rotated::no). A PUT already sent is never abandoned: a call that rotated
 * the key returns the new key, never CANCELLED. reset_stream_key() takes no
 * token.
 *
 * Ownership: uiza::Client, uiza::LiveEntity and uiza::CancelToken own
 * their C object through a std::unique_ptr whose deleter calls the
 * matching *_free function; they are move-only, and a moved-from object
 * must only be destroyed or assigned to. Every string the library returns
 * is copied into a std::string and the C string is freed at once with
 * uiza_string_free(), so no C memory outlives a call.
 *
 * Thread safety: as in C. One uiza::Client may be used by any number of
 * threads at once, setters included (the C library synchronises; no
 * locking is needed by the caller). A uiza::LiveEntity is immutable and may
 * be read by many threads at once. A uiza::CancelToken may be cancelled
 * from any thread, also from inside a callback. An object must not be
 * destroyed or moved from while another thread still uses it, with two
 * exceptions the C library allows: a Client may be destroyed while async
 * calls on it are in flight (they are cancelled, and each callback still
 * runs once), and a CancelToken while calls that were given it are in
 * flight. uiza::Error is an ordinary copyable value.
 *
 * Logging: uiza::set_logger(function, uiza::LogLevel::debug) sends the
 * library's log lines, process-wide, to a
 * std::function<void(uiza::LogLevel, std::string_view)>;
 * uiza::set_logger(nullptr) turns it off (the default). Failed calls also
 * say, through Error::attempts() and Error::elapsed_ms(), how many HTTP
 * exchanges they made and how long they ran.
 *
 * Live-entity ids follow the C rule: 1 to 256 characters from
 * A-Z a-z 0-9 - . _ ~, and not "." or ".."; anything else throws
 * uiza::Error with UIZA_STATUS_INVALID_ARGUMENT and nothing is sent.
 *
 * Messages: every uiza::Error carries the library's own message, refusals
 * of arguments included. The client is created with uiza_client_create()
 * and the setters go through uiza_client_configure() (with a JSON document
 * the wrapper builds), so an invalid key, URL, timeout or CA file is
 * explained by the library. The wrapper adds only the checks the library
 * cannot make: an id, key or API key must not contain NUL bytes, since
 * the C API would silently cut them there (an id "a\0b" would name the
 * entity "a"); such strings are refused with UIZA_STATUS_INVALID_ARGUMENT
 * and a message of the wrapper's own.
 */
#ifndef UIZA_HPP
#define UIZA_HPP

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "uiza.h"

namespace uiza {

/**
 * What a failed call did to the stream key: the "rotated" field of the C
 * error document.
 */
enum class Rotated {
    /** Not a call that changes a key (get_live_entity): no "rotated" field. */
    not_applicable,
    /** "rotated": false. The key is certainly unchanged by this call. */
    no,
    /**
     * "rotated": null. The key may have changed and the library could not
     * tell: read the entity before you trust the key you hold.
     */
    unknown,
};

namespace detail {

struct ErrorAccess;

/** Index after the JSON string that starts at s[i] == '"', or npos. */
inline std::size_t skip_json_string(std::string_view s, std::size_t i) noexcept {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;  // the escaped character, whatever it is
        } else if (s[i] == '"') {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

inline std::size_t skip_json_space(std::string_view s, std::size_t i) noexcept {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
        ++i;
    }
    return i;
}

/** Index after the JSON value that starts at s[i], or npos. */
inline std::size_t skip_json_value(std::string_view s, std::size_t i) noexcept {
    if (i >= s.size()) {
        return std::string_view::npos;
    }
    if (s[i] == '"') {
        return skip_json_string(s, i);
    }
    if (s[i] == '{' || s[i] == '[') {
        std::size_t depth = 0;
        while (i < s.size()) {
            const char c = s[i];
            if (c == '"') {
                i = skip_json_string(s, i);
                if (i == std::string_view::npos) {
                    return i;
                }
                continue;
            }
            if (c == '{' || c == '[') {
                ++depth;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return i + 1;
            }
            ++i;
        }
        return std::string_view::npos;
    }
    // A number, true, false or null: up to the next delimiter.
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
           s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
        ++i;
    }
    return i;
}

/**
 * The text of the top-level member `name` of a JSON object (such as
 * `false`, `3` or `"x"`), std::nullopt when there is none or the text is
 * not a JSON object. Only top-level keys count, so a message that quotes
 * "rotated" is not mistaken for it.
 */
inline std::optional<std::string_view> top_level_member(std::string_view json,
                                                        std::string_view name) noexcept {
    constexpr auto npos = std::string_view::npos;
    std::size_t i = skip_json_space(json, 0);
    if (i >= json.size() || json[i] != '{') {
        return std::nullopt;
    }
    i = skip_json_space(json, i + 1);
    while (i < json.size() && json[i] == '"') {
        const std::size_t key_end = skip_json_string(json, i);
        if (key_end == npos) {
            return std::nullopt;
        }
        const std::string_view key = json.substr(i + 1, key_end - i - 2);
        i = skip_json_space(json, key_end);
        if (i >= json.size() || json[i] != ':') {
            return std::nullopt;
        }
        i = skip_json_space(json, i + 1);
        const std::size_t value_end = skip_json_value(json, i);
        if (key == name) {
            return value_end == npos ? json.substr(i) : json.substr(i, value_end - i);
        }
        if (value_end == npos) {
            return std::nullopt;
        }
        i = skip_json_space(json, value_end);
        if (i < json.size() && json[i] == ',') {
            i = skip_json_space(json, i + 1);
        }
    }
    return std::nullopt;
}

/**
 * The top-level "rotated" member of an error document: Rotated::no for
 * false, Rotated::unknown for null (or any other value), std::nullopt when
 * there is none or the text is not a JSON object.
 */
inline std::optional<Rotated> rotated_member(std::string_view json) noexcept {
    const std::optional<std::string_view> value = top_level_member(json, "rotated");
    if (!value) {
        return std::nullopt;
    }
    return value->substr(0, 5) == "false" ? Rotated::no : Rotated::unknown;
}

/**
 * The top-level member `name` as an unsigned integer of type T, such as
 * "attempts"; std::nullopt when it is absent or not such an integer.
 */
template <typename T>
std::optional<T> integer_member(std::string_view json, std::string_view name) noexcept {
    const std::optional<std::string_view> value = top_level_member(json, name);
    T parsed{};
    if (!value || value->empty()) {
        return std::nullopt;
    }
    const char *end = value->data() + value->size();
    const auto [at, error] = std::from_chars(value->data(), end, parsed);
    if (error != std::errc() || at != end) {
        return std::nullopt;
    }
    return parsed;
}

}  // namespace detail

/** A failed call: what the C API returned, as a C++ exception. */
class Error : public std::runtime_error {
public:
    Error(UizaStatus status, int http_status, std::string message, std::string error_type,
          Rotated rotated = Rotated::not_applicable,
          std::optional<std::uint32_t> attempts = std::nullopt,
          std::optional<std::uint64_t> elapsed_ms = std::nullopt)
        : std::runtime_error(std::string(uiza_status_str(status)) + ": " + message),
          status_(status),
          http_status_(http_status),
          message_(std::move(message)),
          error_type_(std::move(error_type)),
          rotated_(rotated),
          attempts_(attempts),
          elapsed_ms_(elapsed_ms) {}

    /**
     * The Error that a failed call's JSON document describes, such as the
     * `json` an async callback receives with a status other than
     * UIZA_STATUS_OK. rotated() is read from the document's "rotated"
     * member (Rotated::not_applicable when it has none).
     */
    static Error from_json(UizaStatus status, const std::string &json) {
        return from_document(status, json.c_str(), Rotated::not_applicable);
    }

    /** The C status, never UIZA_STATUS_OK. */
    UizaStatus status() const noexcept { return status_; }
    /** The HTTP status of the response, or -1 when there was none. */
    int http_status() const noexcept { return http_status_; }
    /** The message: the server's own for API errors. */
    const std::string &message() const noexcept { return message_; }
    /** Such as "invalid_request_error", "timeout", "invalid_argument". */
    const std::string &error_type() const noexcept { return error_type_; }
    /**
     * What the call did to the key: Rotated::no (certainly unchanged),
     * Rotated::unknown (it may have changed: read the entity), or
     * Rotated::not_applicable for a call that does not change a key.
     * Errors of reset_stream_key() and rotate_stream_key() (and its async
     * form) are never not_applicable.
     */
    Rotated rotated() const noexcept { return rotated_; }
    /**
     * How many HTTP exchanges the call began, read-backs included, one
     * whose connection or TLS handshake failed too (0: it failed before
     * trying to connect): the document's "attempts".
     * std::nullopt for errors that do not come from a call (the
     * constructor's, the setters', the wrapper's own refusals).
     */
    std::optional<std::uint32_t> attempts() const noexcept { return attempts_; }
    /**
     * How long the call ran in milliseconds, time queued for a worker
     * included: the document's "elapsed_ms"; std::nullopt as for
     * attempts().
     */
    std::optional<std::uint64_t> elapsed_ms() const noexcept { return elapsed_ms_; }

private:
    friend struct detail::ErrorAccess;

    /**
     * `absent` is what rotated() says when the document has no "rotated"
     * member, or there is no document at all (out of memory).
     */
    static Error from_document(UizaStatus status, const char *json, Rotated absent);

    UizaStatus status_;
    int http_status_;
    std::string message_;
    std::string error_type_;
    Rotated rotated_;
    std::optional<std::uint32_t> attempts_;
    std::optional<std::uint64_t> elapsed_ms_;
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
struct TokenDeleter {
    void operator()(UizaCancelToken *t) const noexcept { uiza_cancel_token_free(t); }
};

using OwnedString = std::unique_ptr<char, StringDeleter>;

inline std::optional<std::string> optional_string(const char *s) {
    if (s == nullptr) {
        return std::nullopt;
    }
    return std::string(s);
}

/**
 * Throws for an argument the C API would silently truncate. `rotated` is
 * what the thrown Error says about the key (nothing was sent).
 */
inline const char *c_arg(const std::string &s, const char *what,
                         Rotated rotated = Rotated::not_applicable) {
    if (s.find('\0') != std::string::npos) {
        throw Error(UIZA_STATUS_INVALID_ARGUMENT, -1, std::string(what) + " contains a NUL byte",
                    "invalid_argument", rotated);
    }
    return s.c_str();
}

/**
 * `s` as a JSON string literal, for the settings document of
 * uiza_client_configure(): quotes, backslashes and control characters
 * (NUL included) are escaped, so the library sees the whole string. Bytes
 * from 0x80 are copied as they are: UTF-8 passes through, and anything
 * else makes the library refuse the document as not UTF-8.
 */
inline std::string json_string(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (const char c : s) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            out += "\\u00";
            out += hex[byte >> 4];
            out += hex[byte & 0x0f];
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

/** Whether a call changes the key, so its errors always say "rotated". */
enum class CallKind { read, key_change };

inline Rotated absent_rotated(CallKind kind) noexcept {
    // A key call's document always has "rotated"; without one (no
    // document: out of memory) nothing is known.
    return kind == CallKind::key_change ? Rotated::unknown : Rotated::not_applicable;
}

}  // namespace detail

inline Error Error::from_document(UizaStatus status, const char *json, Rotated absent) {
    UizaError *raw = nullptr;
    if (json != nullptr && uiza_error_parse(json, &raw) == UIZA_STATUS_OK) {
        std::unique_ptr<UizaError, detail::ErrorDeleter> error(raw);
        return Error(status, static_cast<int>(uiza_error_http_status(error.get())),
                     uiza_error_message(error.get()), uiza_error_type(error.get()),
                     detail::rotated_member(json).value_or(absent),
                     detail::integer_member<std::uint32_t>(json, "attempts"),
                     detail::integer_member<std::uint64_t>(json, "elapsed_ms"));
    }
    // No document (out of memory): the status is all there is.
    return Error(status, -1, uiza_status_str(status), "internal_error", absent);
}

namespace detail {

/** Lets the wrapper's own code reach Error::from_document. */
struct ErrorAccess {
    static Error from_document(UizaStatus status, const char *json, Rotated absent) {
        return Error::from_document(status, json, absent);
    }
};

/**
 * Throws the Error that a failed call's document describes, the library's
 * own message included; frees the document.
 */
[[noreturn]] inline void throw_document(UizaStatus status, char *out_json, Rotated absent) {
    const OwnedString json(out_json);
    throw ErrorAccess::from_document(status == UIZA_STATUS_OK ? UIZA_STATUS_INTERNAL : status,
                                     json.get(), absent);
}

/** A new native client; throws the library's error document if the key is refused. */
inline UizaClient *create_client(const std::string &api_key) {
    UizaClient *client = nullptr;
    char *json = nullptr;
    const UizaStatus status = uiza_client_create(c_arg(api_key, "API key"), &client, &json);
    if (status != UIZA_STATUS_OK || client == nullptr) {
        throw_document(status, json, Rotated::not_applicable);
    }
    return client;
}

}  // namespace detail

/** A live entity as returned by a reset, rotation or read: typed accessors plus the raw JSON. */
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

    /**
     * The RTMP stream key. Always present in an entity that a reset or
     * rotation returns; empty for an entity in `init` state
     * (`"ingest": null`), which get_live_entity() may return: see
     * has_ingest_key().
     */
    std::string ingest_key() const {
        const char *key = uiza_live_entity_ingest_key(get());
        return key != nullptr ? std::string(key) : std::string();
    }
    /** False only for an entity in `init` state, which has no key yet. */
    bool has_ingest_key() const noexcept { return uiza_live_entity_ingest_key(get()) != nullptr; }
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

/**
 * A cancel token (UizaCancelToken): pass it to rotate_stream_key() or to an
 * async call, and cancel() it from any thread to stop them. A token cannot
 * be reset; use a new one for new calls. Move-only.
 *
 * cancel() and is_cancelled() may be called from any number of threads at
 * once and from inside a callback. The token may be destroyed while calls
 * that were given it are still in flight (they keep their own reference),
 * but not while another thread is inside cancel() or is_cancelled().
 */
class CancelToken {
public:
    /** Throws std::bad_alloc if the library runs out of memory. */
    CancelToken() : token_(uiza_cancel_token_new()) {
        if (!token_) {
            throw std::bad_alloc();
        }
    }

    /** Cancels every call that uses this token, now and later. Never blocks. */
    void cancel() const noexcept { uiza_cancel_token_cancel(token_.get()); }
    /** Whether cancel() was called (false for a moved-from token). */
    bool is_cancelled() const noexcept { return uiza_cancel_token_is_cancelled(token_.get()); }
    /** The C token, still owned by this CancelToken (NULL once moved from). */
    const UizaCancelToken *native() const noexcept { return token_.get(); }

private:
    std::unique_ptr<UizaCancelToken, detail::TokenDeleter> token_;
};

/**
 * The callback of an async call: the status and the JSON document (the
 * entity on UIZA_STATUS_OK, read it with LiveEntity::parse(); the error
 * document otherwise, read it with Error::from_json()). The string is the
 * wrapper's own copy, valid for the duration of the callback.
 */
using Callback = std::function<void(UizaStatus status, const std::string &json)>;

namespace detail {

/**
 * The C callback of every async call: `user_data` is a heap-allocated
 * uiza::Callback, called once and deleted here. The library calls this
 * exactly once per accepted call. Nothing may unwind into C, so anything
 * the callback throws is caught and dropped here.
 */
extern "C" inline void uiza_hpp_async_trampoline(void *user_data, UizaStatus status,
                                                 const char *json) noexcept {
    std::unique_ptr<Callback> callback(static_cast<Callback *>(user_data));
    try {
        const std::string doc = json != nullptr ? std::string(json) : std::string();
        (*callback)(status, doc);
    } catch (...) {
        // Dropped: an exception cannot cross the C library's worker thread.
    }
}

/** Turns a call's status and `out_json` into a LiveEntity or an Error. */
inline LiveEntity finish(UizaStatus status, char *out_json, CallKind kind) {
    OwnedString json(out_json);  // freed with uiza_string_free on every path
    if (status != UIZA_STATUS_OK || json == nullptr) {
        throw ErrorAccess::from_document(status == UIZA_STATUS_OK ? UIZA_STATUS_INTERNAL : status,
                                         json.get(), absent_rotated(kind));
    }
    return LiveEntity::parse(json.get());
}

/** A NUL-terminated copy of an optional key; refuses NUL bytes. */
inline std::optional<std::string> key_arg(std::optional<std::string_view> key) {
    if (!key) {
        return std::nullopt;
    }
    std::string copy(*key);
    c_arg(copy, "current key", Rotated::no);
    return copy;
}

/**
 * The Error for an async call the library refused with `status`. A refusal
 * comes with no document, so the library is asked why through the
 * blocking rotation with the same client, id and key and a token that is
 * already cancelled: it checks them the same way and sends nothing (a
 * cancelled token stops it before any request), and its error document
 * says what is wrong in the library's own words.
 */
inline Error refused_async(UizaStatus status, UizaClient *client, const char *id,
                           const char *current_key, Rotated rotated) {
    if (status == UIZA_STATUS_INVALID_ARGUMENT) {
        const std::unique_ptr<UizaCancelToken, TokenDeleter> token(uiza_cancel_token_new());
        if (token) {
            uiza_cancel_token_cancel(token.get());
            char *out = nullptr;
            const UizaStatus why =
                uiza_client_rotate_stream_key(client, id, current_key, token.get(), &out);
            const OwnedString json(out);
            if (why == UIZA_STATUS_INVALID_ARGUMENT && json) {
                const Error e = ErrorAccess::from_document(why, json.get(), rotated);
                return Error(status, -1, e.message(), e.error_type(), rotated);
            }
        }
    }
    return Error(status, -1, std::string("the async call was refused: ") + uiza_status_str(status),
                 status == UIZA_STATUS_INVALID_ARGUMENT ? "invalid_argument" : "internal_error",
                 rotated);
}

/**
 * Hands `callback` to `start` as user_data; frees it if the call was
 * refused, and throws the library's reason (see refused_async()).
 */
template <typename Start>
inline void start_async(UizaClient *client, const char *id, const char *current_key,
                        Callback callback, Rotated refused_rotated, Start start) {
    if (!callback) {
        // The C callback is always the trampoline, so only the wrapper can
        // see that there is nothing to call.
        throw Error(UIZA_STATUS_INVALID_ARGUMENT, -1, "the callback is empty", "invalid_argument",
                    refused_rotated);
    }
    auto *heap = new Callback(std::move(callback));
    const UizaStatus status = start(&uiza_hpp_async_trampoline, static_cast<void *>(heap));
    if (status != UIZA_STATUS_OK) {
        // Refused: the callback will never run, so it is still ours.
        delete heap;
        throw refused_async(status, client, id, current_key, refused_rotated);
    }
    // Accepted: the trampoline owns it now (it may already have run).
}

}  // namespace detail

/**
 * A client bound to one API key, with its settings and keep-alive pool.
 * Thread-safe: see the top of this file.
 */
class Client {
public:
    /**
     * Throws Error (INVALID_ARGUMENT) for an empty or invalid key, with the
     * library's message (uiza_client_create()).
     */
    explicit Client(const std::string &api_key) : client_(detail::create_client(api_key)) {}

    /**
     * Such as "http://127.0.0.1:8080"; see uiza_client_set_base_url(). A
     * refused URL throws Error (INVALID_ARGUMENT) saying why, and leaves
     * the client unchanged. Each setter goes through
     * uiza_client_configure(), so its errors carry the library's message.
     */
    void set_base_url(const std::string &url) {
        configure("{\"base_url\":" + detail::json_string(url) + "}");
    }
    /** The budget of one whole call, retries included; 0 is refused. */
    void set_timeout_ms(std::uint32_t ms) {
        configure("{\"timeout_ms\":" + std::to_string(ms) + "}");
    }
    void set_max_retries(std::uint32_t n) {
        configure("{\"max_retries\":" + std::to_string(n) + "}");
    }
    /** Trusts the CA certificates in a PEM file, in addition to the system's. */
    void set_ca_file(const std::string &pem_path) {
        configure("{\"ca_file\":" + detail::json_string(pem_path) + "}");
    }

    /**
     * Resets the ingest key of live entity `id`; throws Error on failure.
     * A retry after a dropped connection may rotate the key twice; use
     * rotate_stream_key() for exactly once.
     */
    LiveEntity reset_stream_key(const std::string &id) const {
        char *json = nullptr;
        UizaStatus status =
            uiza_client_reset_stream_key(get(), detail::c_arg(id, "id", Rotated::no), &json);
        return detail::finish(status, json, detail::CallKind::key_change);
    }

    /**
     * Like reset_stream_key(id), with a time budget for this call only: the
     * smaller of `budget` and the client's timeout (a deadline carried by
     * the caller). A budget under 1 ms throws Error (INVALID_ARGUMENT).
     */
    LiveEntity reset_stream_key(const std::string &id, std::chrono::milliseconds budget) const {
        // A budget under 1 ms, negative ones included (which uint32_t
        // cannot carry), is passed as 0 for the library to refuse in its
        // own words; longer than uint32_t milliseconds (49 days) means "no
        // cap".
        const auto max_ms = std::numeric_limits<std::uint32_t>::max();
        const auto count = budget.count();
        const std::uint32_t ms =
            count < 1 ? 0
            : count > static_cast<std::chrono::milliseconds::rep>(max_ms)
                ? max_ms
                : static_cast<std::uint32_t>(count);
        char *json = nullptr;
        UizaStatus status = uiza_client_reset_stream_key_with_timeout(
            get(), detail::c_arg(id, "id", Rotated::no), ms, &json);
        return detail::finish(status, json, detail::CallKind::key_change);
    }

    /**
     * Reads live entity `id` (GET, retried like any idempotent request);
     * throws Error on failure, with rotated() == Rotated::not_applicable.
     * An entity in `init` state has no ingest key (has_ingest_key()).
     */
    LiveEntity get_live_entity(const std::string &id) const {
        char *json = nullptr;
        UizaStatus status = uiza_client_get_live_entity(get(), detail::c_arg(id, "id"), &json);
        return detail::finish(status, json, detail::CallKind::read);
    }

    /**
     * Rotates the stream key of live entity `id` exactly once and returns
     * the entity with its new key.
     *
     * `current_key` is the key your encoder uses now; without it the
     * library reads the entity first. After a failure the server may have
     * applied (a dropped connection, a timeout, a 5xx after the PUT was
     * sent), the library reads the entity back: a new key there is
     * returned as success. Errors say rotated() == Rotated::no (the key is
     * certainly unchanged) or Rotated::unknown (read the entity before you
     * trust the key you hold).
     *
     * `token` (may be nullptr) cancels the call before each PUT, during
     * reads and during waits: Error with UIZA_STATUS_CANCELLED and
     * Rotated::no. A PUT already sent is never abandoned.
     */
    LiveEntity rotate_stream_key(const std::string &id,
                                 std::optional<std::string_view> current_key = std::nullopt,
                                 const CancelToken *token = nullptr) const {
        const char *cid = detail::c_arg(id, "id", Rotated::no);
        const std::optional<std::string> key = detail::key_arg(current_key);
        char *json = nullptr;
        UizaStatus status = uiza_client_rotate_stream_key(
            get(), cid, key ? key->c_str() : nullptr, token != nullptr ? token->native() : nullptr,
            &json);
        return detail::finish(status, json, detail::CallKind::key_change);
    }

    /**
     * rotate_stream_key() on a library worker thread: returns at once, and
     * `callback` runs exactly once, later, on a worker thread, with the
     * status and the document (the entity on UIZA_STATUS_OK; read it with
     * LiveEntity::parse(), an error with Error::from_json()).
     *
     * Throws Error (callback never runs) if the call is refused: an empty
     * callback, an invalid id or key, a moved-from client. The call's
     * budget starts now; `token` (may be nullptr) is honoured while it is
     * queued too, and may be destroyed as soon as this returns.
     *
     * Keep the callback short: its worker runs nothing else meanwhile.
     * Anything it throws is caught and dropped (it cannot cross the C
     * library). The Client may be destroyed before the callback runs: the
     * call is then cancelled, unless its PUT is already on the wire.
     */
    void rotate_stream_key_async(const std::string &id,
                                 std::optional<std::string_view> current_key,
                                 const CancelToken *token, Callback callback) const {
        const char *cid = detail::c_arg(id, "id", Rotated::no);
        const std::optional<std::string> key = detail::key_arg(current_key);
        detail::start_async(get(), cid, key ? key->c_str() : nullptr, std::move(callback),
                            Rotated::no, [&](UizaCallback trampoline, void *user_data) {
                                return uiza_client_rotate_stream_key_async(
                                    get(), cid, key ? key->c_str() : nullptr,
                                    token != nullptr ? token->native() : nullptr, trampoline,
                                    user_data);
                            });
    }

    /**
     * get_live_entity() on a library worker thread, with the rules of
     * rotate_stream_key_async(). A cancelled read ends within a fraction
     * of a second, even mid-response, with UIZA_STATUS_CANCELLED.
     */
    void get_live_entity_async(const std::string &id, const CancelToken *token,
                               Callback callback) const {
        const char *cid = detail::c_arg(id, "id");
        detail::start_async(get(), cid, nullptr, std::move(callback), Rotated::not_applicable,
                            [&](UizaCallback trampoline, void *user_data) {
                                return uiza_client_get_live_entity_async(
                                    get(), cid, token != nullptr ? token->native() : nullptr,
                                    trampoline, user_data);
                            });
    }

    /** The C object, still owned by this Client. */
    UizaClient *get() const noexcept { return client_.get(); }

private:
    /** Applies a settings document; throws the library's error document. */
    void configure(const std::string &settings) {
        char *json = nullptr;
        const UizaStatus status = uiza_client_configure(get(), settings.c_str(), &json);
        if (status != UIZA_STATUS_OK) {
            detail::throw_document(status, json, Rotated::not_applicable);
        }
        uiza_string_free(json);  // NULL on success
    }

    std::unique_ptr<UizaClient, detail::ClientDeleter> client_;
};

/** The one-shot call on the process-wide client (base URL from UIZA_BASE_URL). */
inline LiveEntity reset_stream_key(const std::string &api_key, const std::string &id) {
    char *json = nullptr;
    UizaStatus status = uiza_reset_stream_key(detail::c_arg(api_key, "API key", Rotated::no),
                                              detail::c_arg(id, "id", Rotated::no), &json);
    return detail::finish(status, json, detail::CallKind::key_change);
}

/**
 * How many worker threads the library may run at once for async calls,
 * process-wide (default 4); 0 throws Error (INVALID_ARGUMENT). Workers
 * start on demand and exit after 10 s without work.
 */
inline void set_max_worker_threads(std::uint32_t max) {
    const UizaStatus status = uiza_set_max_worker_threads(max);
    if (status != UIZA_STATUS_OK) {
        // The C function returns a status only, with no document to show.
        throw Error(status, -1, "the worker thread bound must be at least 1", "invalid_argument");
    }
}

/** The version of the library loaded at run time, such as "0.3.0". */
inline std::string version() { return uiza_version(); }

/** How much a log line matters (UizaLogLevel); a lower value matters more. */
enum class LogLevel {
    /** A call failed (its status, HTTP status, attempts and time). */
    error = UIZA_LOG_ERROR,
    /** Something went wrong that the library handles (a retry, a read-back). */
    warn = UIZA_LOG_WARN,
    /** Each call's start and end, and a rotation's verdict. */
    info = UIZA_LOG_INFO,
    /** The steps of a call: lookup, connection, TLS, attempts, waits. */
    debug = UIZA_LOG_DEBUG,
    /** Fine detail: pooled connections, worker threads. */
    trace = UIZA_LOG_TRACE,
};

/**
 * Receives the library's log lines. The line is borrowed for the call:
 * copy it to keep it.
 */
using Logger = std::function<void(LogLevel level, std::string_view message)>;

namespace detail {

/** The C log callback: `user_data` is the installed heap Logger. */
extern "C" inline void uiza_hpp_log_trampoline(void *user_data, UizaLogLevel level,
                                               const char *message) noexcept {
    try {
        (*static_cast<const Logger *>(user_data))(
            static_cast<LogLevel>(level),
            message != nullptr ? std::string_view(message) : std::string_view());
    } catch (...) {
        // Dropped: an exception cannot cross into C.
    }
}

/** Serialises set_logger(), so that the C library replaces in its order. */
inline std::mutex &logger_mutex() {
    static std::mutex mutex;
    return mutex;
}

/** The installed Logger, owned here; null while logging is off. */
inline std::unique_ptr<Logger> &installed_logger() {
    static std::unique_ptr<Logger> logger;
    return logger;
}

}  // namespace detail

/**
 * Sends the library's log lines up to `max_level`, for the whole process,
 * to `logger`; an empty function (`uiza::set_logger(nullptr)`) turns
 * logging off, which is the default. The logger runs on the thread that
 * made the line (the caller's for blocking calls, a library worker for
 * async ones), possibly on several threads at once: make it thread-safe,
 * and keep it short (the call waits for it). Anything it throws is caught
 * and dropped. No line holds the API key or a stream key.
 *
 * The wrapper keeps its own copy of `logger` on the heap. When
 * set_logger() returns, the logger it replaced is no longer running and is
 * destroyed: the C setter waits for the callbacks in flight, and the old
 * copy is deleted only after it returns. Calls are serialised, so the
 * logger must not call set_logger() itself.
 */
inline void set_logger(Logger logger, LogLevel max_level = LogLevel::info) {
    std::unique_ptr<Logger> next;
    if (logger) {
        next = std::make_unique<Logger>(std::move(logger));
    }
    const std::lock_guard<std::mutex> lock(detail::logger_mutex());
    if (next) {
        uiza_set_log_callback(detail::uiza_hpp_log_trampoline, next.get(),
                              static_cast<UizaLogLevel>(max_level));
    } else {
        uiza_set_log_callback(nullptr, nullptr, UIZA_LOG_ERROR);
    }
    // The C setter has returned: nothing runs the old logger any more.
    // `next` now holds it, and deletes it on return.
    detail::installed_logger().swap(next);
}

}  // namespace uiza

#endif /* UIZA_HPP */
