// The record channel between actors and the writer (ZeroMQ).
//
//   actor  PUSH --records-->  PULL writer          (run::RunNames::records)
//   actor  SUB  <--acks-----  PUB  writer          (run::RunNames::acks)
//
// Each message on the records socket is one encoded GameRecord (data/record.h). The writer
// acknowledges a record only once it is durable (in a renamed, fsync'ed shard) by publishing
// an Ack for that actor: "every record of yours with a sequence in [durable_from,
// durable_seq] is on disk". The writer keeps each actor's durable sequences as ranges of
// consecutive numbers and acknowledges whole ranges, re-publishing them every second, so a
// lost ack is repaired by a later one. (A plain "everything up to durable_seq" would be
// wrong after a writer crash: records lost in flight can be overtaken by newer ones that
// reach the restarted writer first.) Sequences should therefore be consecutive within one
// actor process (base + 0, 1, 2, ...); gaps are allowed but cost one range each.
//
// Ack message (little-endian, 32 bytes): u32 actor_id (also the SUB topic), u32 magic
// 0x4b41505a ("ZPAK"), u64 writer_incarnation, u64 durable_seq, u64 durable_from.
//
// The writer also announces its incarnation every second to every actor: an Ack with actor_id
// kAnnounceActor (its own SUB topic, which every sender subscribes to) and an empty range
// (durable_from = durable_seq = 0, acknowledging nothing).
//
// The sender keeps every record until it is acknowledged, and remembers which writer
// incarnation each was last sent to (none, before it has heard of any). When it hears of a
// new incarnation (the writer restarted, or the first one it hears of), it resends every
// unacknowledged record sent to another incarnation or before it knew one: such records may
// have gone to a writer that died before acknowledging anything. It also resends a record that
// has waited longer than `resend_after_s` without an ack. The writer drops duplicates by
// (actor_id, sequence), so a writer crash at any moment loses and duplicates nothing.
// Sequence numbers must increase per actor across actor restarts too (the actor derives
// them from its start time).
//
// Security: ipc:// endpoints are protected by the run directory's permissions (0700). A
// tcp:// endpoint uses ZeroMQ CURVE when keys are given (the default for a run: shared/run/
// keys.h): the writer's sockets are CURVE servers that prove they hold the writer's secret
// key, so no stranger can pose as the writer and acknowledge records; and a ZAP handler in
// the receiver admits only clients whose public key is authorized, so no stranger can inject
// records or claim another actor's sequence numbers. Refused peers are counted
// (refused_peers()) and the last one's address kept for the log.
//
// For tests: with ZP_ACK_LOG=DIR in its environment, a sender appends "<actor_id> <sequence>"
// to DIR/acks-<actor_id>-<pid>.log for every record acknowledged, flushed after each ack, so a
// test can check that every acknowledged record is in the shards exactly once, even across
// kills of any process (docs/faults.md).
//
// Neither class is thread-safe: each belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>


namespace zp::ipc {

struct Ack {
  uint32_t actor_id = 0;
  uint64_t writer_incarnation = 0;
  uint64_t durable_seq = 0;   // last sequence of the acknowledged range
  uint64_t durable_from = 0;  // first sequence of the acknowledged range (<= durable_seq)
};
constexpr uint32_t kAckMagic = 0x4b41505a;
constexpr uint32_t kAnnounceActor = 0xffffffffu;  // topic of the writer's incarnation announcements

// CURVE keys as Z85 text (40 characters). Empty: plain sockets.
struct CurveClientKeys {
  std::string server_public;  // the writer's public key
  std::string public_key, secret_key;
  bool enabled() const { return !server_public.empty(); }
};
struct CurveServerKeys {
  std::string public_key, secret_key;   // the writer's
  std::vector<std::string> authorized;  // client public keys admitted by the ZAP handler
  bool enabled() const { return !secret_key.empty(); }
};

class RecordSender {
 public:
  RecordSender(const std::string& records_endpoint, const std::string& acks_endpoint,
               uint32_t actor_id, double resend_after_s, const CurveClientKeys& keys = {});
  ~RecordSender();
  // Queues an encoded record with its sequence number and sends it (non-blocking). Throws
  // StateError if that sequence is already pending.
  void send(uint64_t sequence, std::string bytes);
  // Reads acks, drops acknowledged records, sends what could not be sent before and resends
  // when due (records whose last send is older than resend_after_s, or all of them after a
  // writer restart). Never blocks. Call often (between rounds).
  void poll();
  size_t pending() const;
  uint64_t acked_total() const;   // records acknowledged so far
  uint64_t resent_total() const;  // records sent more than once
  uint64_t writer_incarnation() const;  // the last writer incarnation heard of (0 = none yet)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Depth of the receive queue (ZMQ_RCVHWM, in messages) for messages of up to
// `max_message_bytes`: as many as fit kReceiveQueueBytes, between 16 and 20,000. ZeroMQ applies
// it per connected sender, so one peer can make the writer buffer at most that many bytes.
constexpr size_t kReceiveQueueBytes = 256u << 20;
int receive_queue_depth(size_t max_message_bytes);

class RecordReceiver {
 public:
  // Binds both sockets (removing stale ipc socket files first). A peer that sends a message
  // over `max_message_bytes` (data::max_record_bytes of the run's game) is disconnected by
  // ZeroMQ before the message is buffered; the receive queue holds
  // receive_queue_depth(max_message_bytes) messages per peer.
  // With CURVE keys, both sockets are CURVE servers and a ZAP handler (served inside
  // receive()) admits only `keys.authorized` client keys.
  RecordReceiver(const std::string& records_endpoint, const std::string& acks_endpoint,
                 size_t max_message_bytes, const CurveServerKeys& keys = {});
  ~RecordReceiver();
  // Waits up to `timeout_ms` for one message; returns false on timeout. Answers pending ZAP
  // authentication requests meanwhile.
  bool receive(std::string* bytes, int timeout_ms);
  // Publishes one ack (never blocks); answers pending ZAP requests too.
  void publish_ack(const Ack& ack);
  // Peers refused by the ZAP handler (unknown CURVE key), and the address of the last one.
  uint64_t refused_peers() const;
  std::string last_refused_address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zp::ipc
