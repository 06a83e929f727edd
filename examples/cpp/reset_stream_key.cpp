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

#include "uiza.hpp"

namespace {

std::string env(const char *name) {
    const char *value = std::getenv(name);
    return value != nullptr ? value : "";
}

uiza::Client configure_client() {
    const std::string api_key = env("UIZA_API_KEY");
    if (api_key.empty()) {
        throw uiza::Error(UIZA_STATUS_INVALID_ARGUMENT, -1, "set UIZA_API_KEY to your Uiza API key",
                          "invalid_argument");
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
        const uiza::Client client = configure_client();
        const uiza::LiveEntity entity = reset(client, argv[1]);
        std::cout << "live entity: " << argv[1] << '\n'
                  << "ingest url:  " << entity.ingest_url().value_or("(none)") << '\n'
                  << "ingest key:  " << entity.ingest_key() << '\n';
        return 0;
    } catch (const uiza::Error &e) {
        std::cerr << "reset_stream_key: " << e.what() << " [status=" << e.status()
                  << " error_type=" << e.error_type() << " http_status=" << e.http_status()
                  << "]\n";
        return e.status() == UIZA_STATUS_INVALID_ARGUMENT ? 2 : 1;
    }
}
