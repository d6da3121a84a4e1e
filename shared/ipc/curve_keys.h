// The run's CURVE key files (ZeroMQ's Curve25519 keys as Z85 text), for tcp:// record and ack
// sockets (shared/ipc/channel.h). `train` makes them in <run_dir>/keys; a resumed run keeps
// them. Layout (docs/formats.md):
//   keys/              0700
//   keys/writer.public, keys/writer.secret     the writer's key pair (secret 0600)
//   keys/actor.public,  keys/actor.secret      the key pair of this host's actors (secret 0600)
//   keys/authorized/*.public                   further client keys the writer admits (other
//                                              hosts' actors)
// Each file holds one 40-character Z85 key and a newline.
//
// Plain functions over files; thread-safe as far as the file system is.
#pragma once

#include <string>

#include "shared/ipc/channel.h"

namespace zp::ipc {

// A fresh Curve25519 key pair as Z85 text. Throws IoError.
struct CurveKeyPair {
  std::string public_key, secret_key;
};
CurveKeyPair make_curve_key_pair();

// Whether the record channel of `records_endpoint` needs CURVE: tcp:// unless `insecure`.
bool curve_required(const std::string& records_endpoint, bool insecure);

// Creates `dir` (0700) with fresh writer and actor key pairs if they are missing; returns true
// if it made them. Existing keys are kept (resume). Throws IoError.
bool ensure_curve_keys(const std::string& dir);

// A joining host's own keys (`zeroplay keygen`): makes `dir` (0700) with a fresh actor pair,
// actor.public and actor.secret (0600), and, when `writer_public` is not empty, a copy of that
// file (the head's RUN/keys/writer.public) as writer.public, checked to hold one Z85 key before
// anything is written. Never overwrites a key: an existing actor.public, actor.secret or (with
// `writer_public`) writer.public in `dir` is an IoError naming it. Throws IoError or
// ConfigError (a writer.public that is not a key), naming the file.
void make_host_keys(const std::string& dir, const std::string& writer_public);

// The writer's keys, admitting actor.public and keys/authorized/*.public. Throws IoError (a
// missing or unreadable file, or a secret file that group or others may read) or ConfigError
// (a file that does not hold one Z85 key), naming the file.
CurveServerKeys load_server_keys(const std::string& dir);
// An actor's keys: writer.public and the actor pair. Throws as load_server_keys does.
CurveClientKeys load_client_keys(const std::string& dir);

}  // namespace zp::ipc
