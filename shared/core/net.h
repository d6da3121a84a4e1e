// Small socket helpers.
#pragma once

namespace zp {

// A TCP port on 127.0.0.1 that was free a moment ago: bound with port 0, read back, closed.
// Another process may take it before the caller binds it (a narrow race, the one torchrun's
// --master-port 0 has too); the caller's bind then fails with "address in use" and the
// caller retries. Throws IoError when no socket can be bound.
int free_local_tcp_port();

}  // namespace zp
