// apr-qa qa: the executor's reuse of a finished node's output for a node that would compute the
// same bytes (docs/run.md, "Repeated work").
//
// The plan keys conversions and shared runs by the path that made their input (parent key,
// target, replica), because it cannot know the bytes before they exist. Lossless conversions
// often give byte-identical files by different paths (every GGUF of the seed playbook is the
// same file), and a conversion or a teacher-forced run is a function of its input's bytes: so at
// run time, once the input exists, a node whose *content key* equals a finished node's is not
// run again; the finished node's files are hard-linked (copied where links fail) to this node's
// paths, and the node's record says so.
//   content key (convert) = sha256(target, source format, content id of the source artifact)
//   content key (infer)   = sha256(params other than paths: prompt, max_tokens, chat, logits;
//                                  content id of the artifact)
//   content id of an artifact = the resolve node's key (sha256 of the input files), or the
//     sha256 of a converted model file (from its node's record) plus the name and sha256 of every
//     other file written beside it (SafeTensors sidecars).
// Never reused: nodes that carry gates (their measurement is the point), replicas (the
// idempotency gates convert twice on purpose), conversions under --reuse-artifacts (a planted
// artifact must stay in place), nodes whose input's sha256 is not known (another shard's).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "qa/plan.hpp"

namespace apr::qa {

// The content id of artifact node `n` (resolve or convert) given its record's artifacts;
// nullopt when the model file's sha256 is not in them.
std::optional<std::string> artifact_content_id(const Node& n, const nlohmann::json& record_artifacts);

// Whether `n` reads one artifact: a single dependency (the first), or a shared run's artifact and
// its draft run.
bool single_input(const Node& n);

// The content key of node `n` whose single dependency is the artifact with content id `input_id`;
// nullopt when `n` is never reused (see above).
std::optional<std::string> content_key(const Node& n, const Node& input, const std::string& input_id);

// Makes `to`'s output files the same as `from`'s (hard links, else copies; `to`'s old files are
// removed first). Returns `from_artifacts` with paths under from's folder moved to to's.
// Throws apr::Error (io, with errno) when the files cannot be written.
nlohmann::json reuse_outputs(const Node& from, const Node& to, const nlohmann::json& from_artifacts);

}  // namespace apr::qa
