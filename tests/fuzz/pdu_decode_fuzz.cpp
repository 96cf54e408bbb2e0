// libFuzzer target for the Upper Layer PDU decoder. Besides "no crash, no sanitizer report", it
// checks that whatever decodes re-encodes into bytes that decode to the same value.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <variant>

#include "dicom/ul/pdu.hpp"

namespace {

using namespace acc::dicom::ul;

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

template <class P>
void check_round_trip(const P& decoded) {
  const auto bytes = encode(decoded);
  auto again = decode_pdu(bytes);
  check(again.has_value());
  const auto* same = std::get_if<P>(&*again);
  check(same != nullptr);
  check(*same == decoded);
}

void check_pdata(const PData& pdata, std::span<const uint8_t> input) {
  check(!pdata.pdvs.empty());
  std::size_t total = 0;
  for (const auto& pdv : pdata.pdvs) {
    // Zero copy: every fragment views the input.
    check(pdv.fragment.empty() ||
          (pdv.fragment.data() >= input.data() &&
           pdv.fragment.data() + pdv.fragment.size() <= input.data() + input.size()));
    total += 6 + pdv.fragment.size();
  }
  check(total + kPduHeaderLength == input.size());
  const auto bytes = encode(pdata);
  // Byte 1 is reserved: sent as 0, never tested on receipt.
  check(bytes.size() == input.size() && bytes[0] == input[0]);
  check(std::equal(bytes.begin() + 2, bytes.end(), input.begin() + 2));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::span<const uint8_t> input(data, size);

  const PduLimits limits{.max_pdata_length = 16384, .max_association_length = 1 << 16};
  const auto header = decode_pdu_header(input, limits);
  const auto pdu = decode_pdu(input);
  if (!pdu) {
    check(static_cast<bool>(pdu.error().code));
    (void)abort_reason_for(pdu.error().code);
    (void)pdu.error().message();
    return 0;
  }
  // A PDU that decodes has a header that decodes without limits, and the same type.
  const auto unlimited = decode_pdu_header(input, PduLimits{.max_pdata_length = 0,
                                                            .max_association_length = UINT32_MAX,
                                                            .absolute_max_length = UINT32_MAX});
  check(unlimited.has_value());
  check(unlimited->length + kPduHeaderLength == size);
  check(!header || header->type == unlimited->type);
  (void)pdu_name(unlimited->type);

  std::visit(
      [&](const auto& p) {
        using P = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<P, PData>) {
          check_pdata(p, input);
        } else {
          check_round_trip(p);
        }
      },
      *pdu);
  return 0;
}
