#include "router/stamping/stored_object_head.hpp"

#include <algorithm>
#include <string>

#include "dicom/data/data_errc.hpp"
#include "dicom/data/data_set_layout.hpp"
#include "dicom/data/part10.hpp"

namespace acc::router {

namespace data = acc::dicom::data;

namespace {
// Our meta information is well under 1 KiB; a stored object's is ours (make_part10).
constexpr uint64_t kMetaPrefixBytes = 64 * 1024;
}  // namespace

Result<StoredObjectHead> read_object_head(const ByteSource& object, uint64_t max_head_bytes) {
  const uint64_t size = object.size();
  std::vector<uint8_t> prefix(static_cast<std::size_t>(std::min(size, kMetaPrefixBytes)));
  if (auto r = object.read_at(0, prefix); !r) {
    return fail(std::move(r.error()));
  }
  auto view = data::split_part10(prefix);
  if (!view) {
    return fail(std::move(view.error()));
  }
  const uint64_t meta_end = static_cast<uint64_t>(view->data_set.data() - prefix.data());
  if (meta_end + 8 > prefix.size() && prefix.size() < size) {
    return fail(data::DataErrc::not_part10, "meta information longer than 64 KiB");
  }
  const std::string ts = view->meta.transfer_syntax_uid;
  const data::ReadAt read = [&object, meta_end](uint64_t offset, std::span<uint8_t> out) {
    return object.read_at(meta_end + offset, out);
  };
  auto layout = data::walk_data_set(read, size - meta_end, ts);
  if (!layout) {
    return fail(std::move(layout.error()));
  }
  const uint64_t head_bytes =
      meta_end + (layout->walked && layout->bulk_start ? *layout->bulk_start : size - meta_end);
  if (head_bytes > max_head_bytes) {
    return fail(std::errc::file_too_large,
                "attributes before the pixel data: " + std::to_string(head_bytes) + " bytes");
  }
  StoredObjectHead out;
  out.part10.resize(static_cast<std::size_t>(head_bytes));
  if (auto r = object.read_at(0, out.part10); !r) {
    return fail(std::move(r.error()));
  }
  out.bulk_offset = head_bytes;
  out.bulk_length = size - head_bytes;
  return out;
}

}  // namespace acc::router
