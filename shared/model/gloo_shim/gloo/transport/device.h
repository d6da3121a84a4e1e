// See ../../README.md: a declaration-only stand-in for Gloo's header.
#pragma once

namespace gloo::transport {
class Device;
class UnboundBuffer;
}  // namespace gloo::transport
