#include "dicom/data/data_set_layout.hpp"

#include <algorithm>
#include <new>
#include <string>
#include <vector>

#include "dicom/data/data_errc.hpp"

namespace acc::dicom::data {
namespace {

constexpr uint32_t kUndefinedLength = 0xFFFFFFFF;
constexpr uint16_t kItemGroup = 0xFFFE;
constexpr uint16_t kItem = 0xE000;
constexpr uint16_t kItemDelimitation = 0xE00D;
constexpr uint16_t kSequenceDelimitation = 0xE0DD;
constexpr uint16_t kPixelDataGroup = 0x7FE0;
constexpr uint16_t kPixelDataElement = 0x0010;
constexpr int kMaxDepth = 32;  // sequences within sequences; real objects use a handful

// Explicit VRs whose length field is 4 bytes after 2 reserved ones (PS3.5 Table 7.1-1).
bool has_long_length(uint8_t a, uint8_t b) {
  switch ((static_cast<unsigned>(a) << 8) | b) {
    case ('O' << 8) | 'B':
    case ('O' << 8) | 'D':
    case ('O' << 8) | 'F':
    case ('O' << 8) | 'L':
    case ('O' << 8) | 'V':
    case ('O' << 8) | 'W':
    case ('S' << 8) | 'Q':
    case ('S' << 8) | 'V':
    case ('U' << 8) | 'C':
    case ('U' << 8) | 'N':
    case ('U' << 8) | 'R':
    case ('U' << 8) | 'T':
    case ('U' << 8) | 'V':
      return true;
    default:
      return false;
  }
}

// The data set in memory: every header the walker asks for lies within it (it checks against
// `end` before asking).
class MemorySource {
 public:
  explicit MemorySource(std::span<const uint8_t> bytes) : b_(bytes) {}
  [[nodiscard]] const uint8_t* at(std::size_t pos, std::size_t /*n*/) { return b_.data() + pos; }
  [[nodiscard]] const std::optional<Error>& failure() const { return failure_; }

 private:
  std::span<const uint8_t> b_;
  std::optional<Error> failure_;
};

// A data set in a file (the receive spool): headers are read through a window, so a walk costs
// one pread per window of element headers, not one per element, and never the values.
class FileSource {
 public:
  FileSource(const ReadAt& read, std::size_t size) : read_(read), size_(size) {}
  // `n` bytes at `pos`; the walker has checked that they lie within the data set.
  [[nodiscard]] const uint8_t* at(std::size_t pos, std::size_t n) {
    if (pos < window_at_ || pos + n > window_at_ + window_.size()) {
      window_.resize(std::min(kWindowBytes, size_ - pos));
      if (auto got = read_(pos, window_); !got) {
        failure_ = std::move(got.error());
        window_.clear();
        return nullptr;
      }
      window_at_ = pos;
    }
    return window_.data() + (pos - window_at_);
  }
  [[nodiscard]] const std::optional<Error>& failure() const { return failure_; }

 private:
  static constexpr std::size_t kWindowBytes = 64 * 1024;
  const ReadAt& read_;
  std::size_t size_;
  std::vector<uint8_t> window_;
  std::size_t window_at_ = 0;
  std::optional<Error> failure_;
};

template <class Source>
class Walker {
 public:
  Walker(Source& source, bool explicit_vr, bool big_endian)
      : src_(source), explicit_vr_(explicit_vr), big_endian_(big_endian) {}

  // Elements from `pos` up to `end`; with `until_delimiter`, up to the item delimitation that
  // ends an item of undefined length (returns the position after it). `top` records bulk_start.
  Result<std::size_t> elements(std::size_t pos, std::size_t end, bool until_delimiter, int depth,
                               bool implicit_here, std::optional<std::size_t>* bulk) {
    if (depth > kMaxDepth) {
      return error(pos, "sequences nested too deep");
    }
    while (pos < end) {
      if (end - pos < 8) {
        return error(pos, "element header cut off");
      }
      const uint8_t* h = src_.at(pos, std::min<std::size_t>(12, end - pos));
      if (h == nullptr) {
        return read_error(pos);
      }
      const uint16_t group = u16(h);
      const uint16_t element = u16(h + 2);
      if (group == kItemGroup) {
        if (until_delimiter && element == kItemDelimitation) {
          return pos + 8;
        }
        return error(pos, "item tag outside a sequence");
      }
      if (bulk != nullptr && !bulk->has_value() && group >= kBulkGroup) {
        *bulk = pos;
      }
      bool long_form = true;
      std::size_t header = 8;
      uint32_t length = 0;
      bool un_or_sq = implicit_here || !explicit_vr_;
      bool sq = false;
      if (explicit_vr_ && !implicit_here) {
        const uint8_t v0 = h[4];
        const uint8_t v1 = h[5];
        long_form = has_long_length(v0, v1);
        sq = v0 == 'S' && v1 == 'Q';
        un_or_sq = sq || (v0 == 'U' && v1 == 'N');
        if (long_form) {
          if (end - pos < 12) {
            return error(pos, "element header cut off");
          }
          length = u32(h + 8);
          header = 12;
        } else {
          length = u16(h + 6);
        }
      } else {
        length = u32(h + 4);
      }
      pos += header;
      if (length != kUndefinedLength) {
        if (length > end - pos) {
          return error(pos - header, "value runs past the end");
        }
        pos += length;
        continue;
      }
      if (!long_form) {
        return error(pos - header, "undefined length on a short-form element");
      }
      const bool encapsulated = group == kPixelDataGroup && element == kPixelDataElement;
      if (!encapsulated && !un_or_sq) {
        return error(pos - header, "undefined length on a value that is not a sequence");
      }
      // An explicit UN of undefined length holds a sequence in Implicit VR Little Endian
      // (PS3.5 §6.2.2).
      const bool items_implicit = implicit_here || (explicit_vr_ && !encapsulated && !sq);
      auto after = sequence(pos, end, depth + 1, encapsulated, items_implicit);
      if (!after) {
        return after;
      }
      pos = *after;
    }
    if (until_delimiter) {
      return error(pos, "item without its delimitation");
    }
    return pos;
  }

 private:
  // Items up to the sequence delimitation; the position after it.
  Result<std::size_t> sequence(std::size_t pos, std::size_t end, int depth, bool encapsulated,
                               bool implicit_items) {
    for (;;) {
      if (end - pos < 8) {
        return error(pos, "sequence without its delimitation");
      }
      const uint8_t* h = src_.at(pos, 8);
      if (h == nullptr) {
        return read_error(pos);
      }
      const uint16_t group = u16(h);
      const uint16_t element = u16(h + 2);
      const uint32_t length = u32(h + 4);
      if (group != kItemGroup) {
        return error(pos, "expected an item or the sequence delimitation");
      }
      if (element == kSequenceDelimitation) {
        return pos + 8;
      }
      if (element != kItem) {
        return error(pos, "expected an item or the sequence delimitation");
      }
      pos += 8;
      if (length == kUndefinedLength) {
        if (encapsulated) {
          return error(pos - 8, "pixel data fragment of undefined length");
        }
        auto after = elements(pos, end, true, depth, implicit_items, nullptr);
        if (!after) {
          return after;
        }
        pos = *after;
        continue;
      }
      if (length > end - pos) {
        return error(pos - 8, "item runs past the end");
      }
      pos += length;  // fragments are opaque; a defined-length item's content is skipped
    }
  }

  [[nodiscard]] uint16_t u16(const uint8_t* p) const {
    return big_endian_ ? static_cast<uint16_t>((p[0] << 8) | p[1])
                       : static_cast<uint16_t>(p[0] | (p[1] << 8));
  }
  [[nodiscard]] uint32_t u32(const uint8_t* p) const {
    const uint32_t lo = u16(p);
    const uint32_t hi = u16(p + 2);
    return big_endian_ ? (lo << 16) | hi : lo | (hi << 16);
  }
  static FailedResult error(std::size_t at, const char* what) {
    return fail(DataErrc::unparsable, std::string(what) + " at offset " + std::to_string(at));
  }
  FailedResult read_error(std::size_t at) const {
    const Error& e = *src_.failure();
    return fail(
        Error{e.code, "reading the data set at offset " + std::to_string(at) + ": " + e.detail});
  }

  Source& src_;
  bool explicit_vr_;
  bool big_endian_;
};

template <class Source>
Result<DataSetLayout> walk(Source& source, std::size_t size,
                           std::string_view transfer_syntax_uid) noexcept {
  DataSetLayout layout;
  if (transfer_syntax_uid == "1.2.840.10008.1.2.1.99" ||  // Deflated Explicit VR Little Endian
      transfer_syntax_uid == "1.2.840.10008.1.2.4.95") {  // JPIP Referenced Deflate
    return layout;
  }
  const bool implicit = transfer_syntax_uid == "1.2.840.10008.1.2";
  const bool big_endian = transfer_syntax_uid == "1.2.840.10008.1.2.2";
  Walker<Source> walker(source, !implicit, big_endian);
  auto end = walker.elements(0, size, false, 0, false, &layout.bulk_start);
  if (!end) {
    return fail(std::move(end.error()));
  }
  layout.walked = true;
  return layout;
}

}  // namespace

Result<DataSetLayout> walk_data_set(std::span<const uint8_t> data_set,
                                    std::string_view transfer_syntax_uid) noexcept {
  MemorySource source(data_set);
  return walk(source, data_set.size(), transfer_syntax_uid);
}

Result<DataSetLayout> walk_data_set(const ReadAt& read, uint64_t size,
                                    std::string_view transfer_syntax_uid) noexcept {
  try {
    FileSource source(read, static_cast<std::size_t>(size));
    return walk(source, static_cast<std::size_t>(size), transfer_syntax_uid);
  } catch (const std::bad_alloc&) {
    return fail(std::errc::not_enough_memory, "walking the data set");
  }
}

}  // namespace acc::dicom::data
