// rotate_stream_key (C++) - rotate the RTMP ingest key of a Uiza live
// entity exactly once, through the header-only wrapper uiza.hpp.
//
//   usage: rotate_stream_key <live-entity-id> [<current-key>]
//
// <current-key> is the key your encoder uses now; without it the library
// reads the entity first. If the connection drops after the request was
// sent, the library reads the entity back instead of rotating again, so
// the key printed is always the live one.
//
// Environment:
//   UIZA_API_KEY   your Uiza API key (required)
//   UIZA_BASE_URL  API base URL (optional; default https://api.uiza.sh)
//   UIZA_CA_FILE   extra trusted CA certificates, PEM (optional)
//
// Ctrl-C (SIGINT) or SIGTERM cancels the call through a uiza::CancelToken:
// before the request is sent, or while waiting to retry. A request already
// sent is seen through, and its new key printed.
//
// Prints the new ingest URL and key. On failure prints one line,
//   rotate_stream_key: <status text>: <message> [status=<n> error_type=<t> http_status=<n> rotated=<false|unknown>]
// Exit status: 0 on success, 1 when the API or the network refused, 2 on a
// usage or configuration error, 130 when cancelled by a signal.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

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

const char *rotated_text(uiza::Rotated rotated) {
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

/**
 * Blocks SIGINT and SIGTERM in every thread and starts one that waits for
 * them and cancels `token`. Cancelling from a signal handler would not be
 * async-signal-safe; sigwait() in an ordinary thread is.
 */
void cancel_on_signal(const uiza::CancelToken &token) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by the threads started below
    std::thread([signals, &token] {
        int received = 0;
        if (sigwait(&signals, &received) == 0) {
            token.cancel();
        }
    }).detach();  // ends with the process; `token` outlives every call
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        std::cerr << "usage: " << argv[0] << " <live-entity-id> [<current-key>]\n";
        return 2;
    }
    static const uiza::CancelToken token;  // lives until exit, past the signal thread's use
    cancel_on_signal(token);
    const std::optional<std::string> current_key =
        argc == 3 ? std::optional<std::string>(argv[2]) : std::nullopt;
    try {
        const uiza::Client client = configure_client();
        const uiza::LiveEntity entity = client.rotate_stream_key(argv[1], current_key, &token);
        std::cout << "live entity: " << argv[1] << '\n'
                  << "ingest url:  " << entity.ingest_url().value_or("(none)") << '\n'
                  << "ingest key:  " << entity.ingest_key() << '\n';
        return 0;
    } catch (const uiza::Error &e) {
        std::cerr << "rotate_stream_key: " << e.what() << " [status=" << e.status()
                  << " error_type=" << e.error_type() << " http_status=" << e.http_status()
                  << " rotated=" << rotated_text(e.rotated()) << "]\n";
        if (e.status() == UIZA_STATUS_CANCELLED) {
            return 130;
        }
        return e.status() == UIZA_STATUS_INVALID_ARGUMENT ? 2 : 1;
    }
}
