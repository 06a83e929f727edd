// reset_stream_key (C++) - rotate the RTMP ingest key of a Uiza live entity,
// through the header-only wrapper uiza.hpp.
//
//   usage: reset_stream_key <live-entity-id>
//
// Environment:
//   UIZA_API_KEY   your Uiza API key (required)
//   UIZA_BASE_URL  API base URL (optional; default https://api.uiza.sh)
//   UIZA_CA_FILE   extra trusted CA certificates, PEM (optional)
//   UIZA_TIMEOUT_MS  time budget of this call in milliseconds (optional;
//                  default: the client's 30 s)
//
// Prints the new ingest URL and key. On failure prints one line,
//   reset_stream_key: <status text>: <message> [status=<n> error_type=<t> http_status=<n>]
// Exit status: 0 on success, 1 when the API or the network refused, 2 on a
// usage or configuration error.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "example_support.hpp"
#include "uiza.hpp"

namespace {

using uiza_example::env;

uiza::LiveEntity reset(const uiza::Client &client, const std::string &id) {
    const std::string budget = env("UIZA_TIMEOUT_MS");
    if (budget.empty()) {
        return client.reset_stream_key(id);
    }
    char *end = nullptr;
    const long long ms = std::strtoll(budget.c_str(), &end, 10);
    if (*end != '\0') {
        throw uiza::Error(UIZA_STATUS_INVALID_ARGUMENT, -1,
                          "UIZA_TIMEOUT_MS must be a number of milliseconds", "invalid_argument");
    }
    // A budget under 1 ms is refused by the library, in its own words.
    return client.reset_stream_key(id, std::chrono::milliseconds(ms));
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " <live-entity-id>\n";
        return 2;
    }
    try {
        const uiza::Client client = uiza_example::configure_client();
        uiza_example::print_entity(argv[1], reset(client, argv[1]));
        return 0;
    } catch (const uiza::Error &e) {
        return uiza_example::report_error("reset_stream_key", e);
    }
}
