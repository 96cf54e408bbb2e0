// libFuzzer target for DIMSE command sets and message reassembly.
//
// 1. decode_command on the input; if it decodes, encode and decode again: the two Commands must be
//    equal (encode_command must produce what decode_command reads back unchanged).
// 2. The same bytes, cut into PDVs at input-derived points, go through a MessageAssembler with
//    small limits; its result must agree with step 1.
// 3. The input read as a script of PDVs (control, PC ID, length, bytes) drives another assembler,
//    to explore ordering violations and limits.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dicom/dimse/command.hpp"
#include "dicom/dimse/message.hpp"
#include "dicom/ul/pdu.hpp"

namespace {

using acc::dicom::dimse::AssemblerLimits;
using acc::dicom::dimse::Command;
using acc::dicom::dimse::MessageAssembler;

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

void round_trip(const acc::Result<Command>& decoded) {
  if (!decoded) {
    return;
  }
  const std::vector<uint8_t> encoded = acc::dicom::dimse::encode_command(*decoded);
  check(encoded.size() % 2 == 0);
  const auto again = acc::dicom::dimse::decode_command(encoded);
  check(again.has_value());
  check(*again == *decoded);
}

// Feeds `input` as command fragments of a size chosen from the input itself, then a small data
// set if the command announces one.
void split_command(std::span<const uint8_t> input, const acc::Result<Command>& decoded) {
  constexpr std::size_t kMaxCommand = 256;
  MessageAssembler assembler(
      AssemblerLimits{.max_command_bytes = kMaxCommand, .max_data_set_bytes = 64});
  const std::size_t step = input.empty() ? 1 : (input[input.size() / 2] % 17) + 1;
  std::size_t offset = 0;
  acc::Result<std::optional<acc::dicom::dimse::Message>> r = std::nullopt;
  do {
    const std::size_t n = std::min(step, input.size() - offset);
    const bool last = offset + n == input.size();
    const auto control =
        static_cast<uint8_t>(acc::dicom::ul::kMchCommand | (last ? acc::dicom::ul::kMchLast : 0));
    r = assembler.add(acc::dicom::ul::Pdv{1, control, input.subspan(offset, n)});
    offset += n;
    if (!r) {
      break;
    }
    check(last || !r->has_value());
  } while (offset < input.size());

  if (input.size() > kMaxCommand) {
    check(!r);
    return;
  }
  check(r.has_value() == decoded.has_value());
  if (!r) {
    check(r.error().code == decoded.error().code);
    check(!assembler.in_progress());
    return;
  }
  if (!decoded->has_data_set()) {
    check(r->has_value() && (*r)->command == *decoded && (*r)->data_set.empty());
    check(!assembler.in_progress());
    return;
  }
  check(!r->has_value() && assembler.in_progress());
  // Send the input again as the data set: fits (<= 64) or must be refused.
  auto data = assembler.add(acc::dicom::ul::Pdv{1, acc::dicom::ul::kMchLast, input});
  if (input.size() > 64) {
    check(!data.has_value());
    return;
  }
  check(data.has_value() && data->has_value());
  check((*data)->command == *decoded);
  check(std::equal(input.begin(), input.end(), (*data)->data_set.begin(), (*data)->data_set.end()));
}

// Script: [control, pc_id, length, bytes...]* with fragments taken from the input (truncated at
// the end), exercising ordering rules and limits.
void pdv_script(std::span<const uint8_t> input) {
  MessageAssembler assembler(AssemblerLimits{.max_command_bytes = 128, .max_data_set_bytes = 96});
  std::size_t offset = 0;
  while (offset + 3 <= input.size()) {
    const uint8_t control = input[offset];
    const uint8_t pc_id = static_cast<uint8_t>(input[offset + 1] & 0x03);
    const std::size_t length = std::min<std::size_t>(input[offset + 2], input.size() - offset - 3);
    const acc::dicom::ul::Pdv pdv{pc_id, control, input.subspan(offset + 3, length)};
    offset += 3 + length;
    const std::size_t before = assembler.data_set_bytes();
    auto r = assembler.add(pdv);
    if (!r) {
      check(!assembler.in_progress());
      continue;
    }
    if (r->has_value()) {
      check(!assembler.in_progress());
      check((*r)->data_set.size() <= 96);
    } else {
      check(assembler.in_progress());
      check(assembler.data_set_bytes() >= before);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  const auto decoded = acc::dicom::dimse::decode_command(input);
  round_trip(decoded);
  split_command(input, decoded);
  pdv_script(input);
  return 0;
}
