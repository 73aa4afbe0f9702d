// apr-qa core: checking a folder a command will write into, before it writes.
//
// check_output_dir(dir, label, create) refuses, naming the path and `label` (e.g. "-o/--output"):
//  * a path of the wrong kind — dir is an existing file, or lies below one — with a validation
//    error (exit 2: the user named a wrong path);
//  * a folder the machine will not let apr-qa write — it cannot be created (create), or it (or,
//    when it does not exist yet, its nearest existing ancestor) is not writable — with an io error
//    carrying the errno (exit 3: environment).
// create: make dir and its parents now; otherwise only check.
#pragma once

#include <filesystem>
#include <string_view>

namespace apr {

void check_output_dir(const std::filesystem::path& dir, std::string_view label, bool create);

}  // namespace apr
