// SafeTensors writer: the reference layout (tensors ordered F32, BF16, F16 — the reference's
// descending dtype order — then by name; compact JSON with __metadata__ first; header padded
// with spaces to a multiple of 8). Data is streamed from spans or one-tensor producer buffers.
#include <algorithm>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "formats/safetensors.hpp"

namespace apr::safetensors {
namespace {

int dtype_rank(GgmlType t) {  // the reference's Dtype enum order: F16 < BF16 < F32
  switch (t) {
    case GgmlType::F32: return 3;
    case GgmlType::BF16: return 2;
    case GgmlType::F16: return 1;
    default: return 0;
  }
}

std::string json_str(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

struct Planned {
  const void* pending;
  std::uint64_t nbytes;
};

}  // namespace

void Writer::add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                        std::span<const std::byte> data) {
  tensors_.push_back(formats::pending_tensor(std::move(name), type, std::move(shape), data));
}

void Writer::add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                        TensorProducer producer) {
  tensors_.push_back(formats::pending_tensor(std::move(name), type, std::move(shape), std::move(producer), "SafeTensors"));
}

void Writer::add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                        ChunkProducer producer, std::uint64_t chunk_hint) {
  tensors_.push_back(
      formats::pending_tensor(std::move(name), type, std::move(shape), std::move(producer), chunk_hint, "SafeTensors"));
}

namespace {

// Writes one SafeTensors file holding `items` (already validated).
template <typename P>
void write_one(const std::filesystem::path& path, const std::map<std::string, std::string>& metadata,
               std::vector<const P*> items, Durability durability = Durability::durable) {
  std::sort(items.begin(), items.end(), [](const P* a, const P* b) {
    int ra = dtype_rank(a->type), rb = dtype_rank(b->type);
    return ra != rb ? ra > rb : a->name < b->name;
  });
  std::string h = "{";
  bool first = true;
  if (!metadata.empty()) {
    h += "\"__metadata__\":{";
    bool f2 = true;
    for (const auto& [k, v] : metadata) {
      if (!f2) h += ',';
      f2 = false;
      h += json_str(k) + ":" + json_str(v);
    }
    h += "}";
    first = false;
  }
  std::vector<std::uint64_t> sizes;
  std::uint64_t off = 0;
  for (const P* t : items) {
    std::uint64_t nb = tensor_bytes(t->type, t->shape);
    sizes.push_back(nb);
    if (!first) h += ',';
    first = false;
    h += json_str(t->name) + ":{\"dtype\":\"" + dtype_to_string(t->type) + "\",\"shape\":[";
    for (std::size_t d = 0; d < t->shape.size(); ++d) {
      if (d) h += ',';
      h += std::to_string(t->shape[d]);
    }
    h += "],\"data_offsets\":[" + std::to_string(off) + "," + std::to_string(off + nb) + "]}";
    off += nb;
  }
  h += "}";
  h.append((8 - h.size() % 8) % 8, ' ');

  AtomicFile out(path, durability);
  out.reserve(8 + h.size() + off);  // exact: length, header, packed tensors
  std::uint64_t n = h.size();
  out.write(std::span<const std::byte>(reinterpret_cast<const std::byte*>(&n), 8));
  out.write(h);
  std::vector<std::byte> buf;
  bool kernel_copy = true;
  for (std::size_t k = 0; k < items.size(); ++k) {
    const P* t = items[k];
    if (t->chunk && t->source) {
      formats::write_source_range(out, *t->source, t->source_offset, sizes[k], kernel_copy);  // same bytes as the fill's
    } else if (t->chunk) {
      formats::stream_chunks(sizes[k], formats::chunk_bytes(t->type, t->shape, t->chunk_hint), t->chunk, buf,
                         [&](std::span<const std::byte> b) { out.write(b); });
    } else if (t->producer) {
      buf.assign(static_cast<std::size_t>(sizes[k]), std::byte{0});
      t->producer(std::span<std::byte>(buf));
      out.write(std::span<const std::byte>(buf));
    } else {
      out.write(t->data);
    }
  }
  out.commit();
}

}  // namespace

void Writer::write(const std::filesystem::path& path, Durability durability) const {
  std::set<std::string_view> names;
  std::vector<const Pending*> items;
  for (const auto& t : tensors_) {
    auto located = [&](Error e) { return std::move(e.at_tensor(t.name).at_path(path.string())); };
    if (t.name == "__metadata__" || t.name.empty()) throw located(validation_error("invalid tensor name"));
    if (!names.insert(t.name).second) throw located(validation_error("duplicate tensor name"));
    try {
      dtype_to_string(t.type);
      std::uint64_t nb = tensor_bytes(t.type, t.shape);
      if (!t.producer && !t.chunk && t.data.size() != nb)
        throw validation_error("data size: expected " + std::to_string(nb) + " bytes, found " + std::to_string(t.data.size()));
    } catch (Error& e) {
      throw located(std::move(e));
    }
    items.push_back(&t);
  }
  write_one(path, metadata_, std::move(items), durability);
}

void Writer::write_sharded(const std::filesystem::path& dir, std::uint64_t max_shard_bytes) const {
  if (max_shard_bytes == 0) throw validation_error("max_shard_bytes must be > 0");
  std::vector<const Pending*> sorted;
  std::set<std::string_view> names;
  for (const auto& t : tensors_) {
    if (!names.insert(t.name).second) throw validation_error("duplicate tensor name").at_tensor(t.name);
    sorted.push_back(&t);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
  // Cut shards in name order: a new shard starts when adding a tensor would pass the limit.
  std::vector<std::vector<const Pending*>> shards;
  std::uint64_t cur = 0, total = 0;
  for (const Pending* t : sorted) {
    std::uint64_t nb;
    try {
      dtype_to_string(t->type);
      nb = tensor_bytes(t->type, t->shape);
      if (!t->producer && !t->chunk && t->data.size() != nb)
        throw validation_error("data size: expected " + std::to_string(nb) + " bytes, found " + std::to_string(t->data.size()));
    } catch (Error& e) {
      throw std::move(e.at_tensor(t->name));
    }
    if (shards.empty() || (cur > 0 && cur + nb > max_shard_bytes)) {
      shards.emplace_back();
      cur = 0;
    }
    shards.back().push_back(t);
    cur += nb;
    total += nb;
  }
  if (shards.empty()) shards.emplace_back();
  nlohmann::json index;
  index["metadata"] = {{"total_size", total}};
  index["weight_map"] = nlohmann::json::object();
  const std::size_t n = shards.size();
  for (std::size_t s = 0; s < n; ++s) {
    char fname[64];
    std::snprintf(fname, sizeof fname, "model-%05zu-of-%05zu.safetensors", s + 1, n);
    for (const Pending* t : shards[s]) index["weight_map"][t->name] = fname;
    write_one(dir / fname, metadata_, shards[s]);
  }
  write_file_atomic(dir / "model.safetensors.index.json", index.dump(2) + "\n");
}

}  // namespace apr::safetensors
