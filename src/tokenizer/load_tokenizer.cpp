#include "tokenizer/load_tokenizer.hpp"

#include <unistd.h>

#include "core/error.hpp"
#include "core/file_read.hpp"
#include "formats/gguf.hpp"
#include "tokenizer/gguf_tokenizer.hpp"
#include "tokenizer/hf_json.hpp"

namespace apr::tok {

Result<TokenizerData> load_tokenizer_data(const std::filesystem::path& model) {
  namespace fs = std::filesystem;
  return capture([&]() -> TokenizerData {
    std::error_code ec;
    if (!fs::exists(model, ec)) throw io_error("no such file or directory").at_path(model.string());
    fs::path tj;
    if (fs::is_directory(model, ec)) {
      tj = model / "tokenizer.json";
      if (!fs::exists(tj, ec))
        throw io_error("expected tokenizer.json in the directory, found none").at_path(model.string());
    } else {
      // Non-blocking open of a regular file only: a FIFO is refused, never waited on.
      char magic[4] = {};
      std::uint64_t size = 0;
      int fd = open_regular_file(model, "a GGUF model or tokenizer.json", &size);
      ssize_t got = size >= 4 ? ::read(fd, magic, 4) : 0;
      ::close(fd);
      if (got == 4 && std::string(magic, 4) == "GGUF") {
        auto r = gguf::Reader::open(model);
        if (!r) throw r.error();
        return tokenizer_from_gguf(r.value()).value();
      }
      tj = model;
    }
    std::optional<fs::path> cfg;
    if (fs::exists(tj.parent_path() / "tokenizer_config.json", ec)) cfg = tj.parent_path() / "tokenizer_config.json";
    return load_hf_tokenizer(tj, cfg).value();
  });
}

}  // namespace apr::tok
