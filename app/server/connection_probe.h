// Noticing that an HTTP client hung up while its non-streaming answer is generated.
//
// A streaming answer learns it from a failing write. A JSON answer writes nothing
// until the end, and cpp-httplib 0.11 gives handlers no access to the connection, so
// the handler finds its accepted socket by the request's address 4-tuple (unique per
// TCP connection; the socket cannot close while its handler runs) and peeks at it.
#pragma once

#include <string>

namespace server {

class ConnectionProbe {
public:
    // -1 (a probe that never reports a hang-up) when the socket is not found.
    ConnectionProbe(const std::string& localAddr, int localPort, const std::string& remoteAddr, int remotePort);
    // True once the peer closed its side (EOF) or reset the connection. Never blocks.
    bool peerClosed() const;
    bool valid() const { return m_fd >= 0; }

private:
    int m_fd = -1;
};

}  // namespace server
