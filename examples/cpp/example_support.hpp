// What the C++ example tools (reset_stream_key.cpp, rotate_stream_key.cpp)
// share: the environment they read, the client configured from it, and
// how they print an entity and an error. Kept in one place so that the two
// tools cannot drift apart in the variables they honour or the lines they
// print. tests/cpp.rs compiles its checks program against this header too,
// so the "rotated" text its assertions read is the one the tools print.
#ifndef UIZA_EXAMPLE_SUPPORT_HPP
#define UIZA_EXAMPLE_SUPPORT_HPP

#include <cstdlib>
#include <iostream>
#include <string>

#include "uiza.hpp"

namespace uiza_example {

/** The value of the environment variable `name`, or "" when it is unset. */
inline std::string env(const char *name) {
    const char *value = std::getenv(name);
    return value != nullptr ? value : "";
}

/**
 * A client from UIZA_API_KEY, UIZA_BASE_URL and UIZA_CA_FILE. Throws the
 * library's uiza::Error for a refused setting; nothing has been sent then,
 * so no key can have changed.
 */
inline uiza::Client configure_client() {
    const std::string api_key = env("UIZA_API_KEY");
    if (api_key.empty()) {
        throw uiza::Error(UIZA_STATUS_INVALID_ARGUMENT, -1, "set UIZA_API_KEY to your Uiza API key",
                          "invalid_argument", uiza::Rotated::no);
    }
    uiza::Client client(api_key);
    if (const std::string base_url = env("UIZA_BASE_URL"); !base_url.empty()) {
        client.set_base_url(base_url);
    }
    if (const std::string ca_file = env("UIZA_CA_FILE"); !ca_file.empty()) {
        client.set_ca_file(ca_file);
    }
    return client;
}

/** How an error's "rotated" field is printed: false, unknown or n/a. */
inline const char *rotated_text(uiza::Rotated rotated) {
    switch (rotated) {
        case uiza::Rotated::no:
            return "false";
        case uiza::Rotated::unknown:
            return "unknown";
        case uiza::Rotated::not_applicable:
            break;
    }
    return "n/a";
}

/** Prints the entity's id, ingest URL and new key on stdout. */
inline void print_entity(const std::string &id, const uiza::LiveEntity &entity) {
    std::cout << "live entity: " << id << '\n'
              << "ingest url:  " << entity.ingest_url().value_or("(none)") << '\n'
              << "ingest key:  " << entity.ingest_key() << '\n';
}

/**
 * Prints the one failure line on stderr,
 *   <tool>: <status text>: <message> [status=<n> error_type=<t> http_status=<n><extra>]
 * and returns the exit status: 2 for a usage or configuration error (the
 * library refused an argument), 1 when the API or the network refused.
 */
inline int report_error(const char *tool, const uiza::Error &e, const std::string &extra = "") {
    std::cerr << tool << ": " << e.what() << " [status=" << e.status()
              << " error_type=" << e.error_type() << " http_status=" << e.http_status() << extra
              << "]\n";
    return e.status() == UIZA_STATUS_INVALID_ARGUMENT ? 2 : 1;
}

}  // namespace uiza_example

#endif
