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

#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "example_support.hpp"
#include "uiza.hpp"

namespace {

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
        const uiza::Client client = uiza_example::configure_client();
        uiza_example::print_entity(argv[1],
                                   client.rotate_stream_key(argv[1], current_key, &token));
        return 0;
    } catch (const uiza::Error &e) {
        const int status = uiza_example::report_error(
            "rotate_stream_key", e,
            std::string(" rotated=") + uiza_example::rotated_text(e.rotated()));
        return e.status() == UIZA_STATUS_CANCELLED ? 130 : status;
    }
}
