// A real HTTP server on a free loopback port, for the remote clients' tests: each test
// installs the handlers of the server it plays (one that answers, stalls, fails...).
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include <httplib.h>

class FakeServer {
public:
    FakeServer() {
        port = http.bind_to_any_port("127.0.0.1");
        thread = std::thread([this] { http.listen_after_bind(); });
        while (!http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~FakeServer() {
        http.stop();
        thread.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/v1"; }
    httplib::Server http;
    int port = 0;
    std::thread thread;
};
