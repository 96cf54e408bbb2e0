// fragment_message: PDU sizing against the peer's maximum, fragment parity, and the property that
// reassembling the fragments yields the original message.
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "dicom/dimse/message.hpp"
#include "dicom/ul/pdu.hpp"

namespace acc::dicom::dimse {
namespace {

struct Header {
  uint8_t type;
  uint32_t pdu_length;
  uint32_t pdv_length;
  uint8_t pc_id;
  uint8_t control;
};

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

Header parse(const PDataPdu& pdu) {
  const auto& h = pdu.header;
  return Header{h[0], be32(h.data() + 2), be32(h.data() + 6), h[10], h[11]};
}

std::vector<uint8_t> pattern(std::size_t n) {
  std::vector<uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = static_cast<uint8_t>((i * 31) ^ (i >> 8));
  }
  return v;
}

const std::vector<uint8_t> kCommand = encode_command(make_c_store_rq(1, "1.2.3", "1.2.3.4"));

// Checks every PDU's header against its payload and the size cap; returns how many were command.
std::size_t check_pdus(const std::vector<PDataPdu>& pdus, uint8_t pc_id, uint32_t max_pdu) {
  std::size_t commands = 0;
  for (std::size_t i = 0; i < pdus.size(); ++i) {
    const Header h = parse(pdus[i]);
    EXPECT_EQ(h.type, 0x04);
    EXPECT_EQ(pdus[i].header[1], 0x00);
    EXPECT_EQ(h.pdv_length, pdus[i].payload.size() + 2);
    EXPECT_EQ(h.pdu_length, h.pdv_length + 4);
    EXPECT_LE(h.pdu_length, max_pdu);
    EXPECT_EQ(h.pc_id, pc_id);
    const bool last = (h.control & ul::kMchLast) != 0;
    const bool command = (h.control & ul::kMchCommand) != 0;
    commands += command ? 1 : 0;
    // Only the last fragment of each stream may be odd.
    if (!last) {
      EXPECT_EQ(pdus[i].payload.size() % 2, 0u) << "PDU " << i;
    }
    EXPECT_EQ(h.control & 0xFC, 0);
  }
  return commands;
}

std::vector<uint8_t> concat(const std::vector<PDataPdu>& pdus, bool command) {
  std::vector<uint8_t> out;
  for (const auto& p : pdus) {
    if (((p.header[11] & ul::kMchCommand) != 0) == command) {
      out.insert(out.end(), p.payload.begin(), p.payload.end());
    }
  }
  return out;
}

TEST(Fragment, SmallMessageOnePduPerStream) {
  const auto data = pattern(100);
  auto pdus = fragment_message(1, kCommand, data, 16384);
  ASSERT_EQ(pdus.size(), 2u);
  EXPECT_EQ(parse(pdus[0]).control, 0x03);
  EXPECT_EQ(parse(pdus[1]).control, 0x02);
  EXPECT_EQ(pdus[0].payload.data(), kCommand.data());  // views, never copies
  EXPECT_EQ(pdus[1].payload.data(), data.data());
  EXPECT_EQ(parse(pdus[1]).pdu_length, 100u + 6u);
}

TEST(Fragment, HeaderMatchesUlEncoding) {
  const auto data = pattern(10);
  auto pdus = fragment_message(7, kCommand, data, 0);
  ASSERT_EQ(pdus.size(), 2u);
  EXPECT_EQ(pdus[1].header, (std::array<uint8_t, 12>{0x04, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
                                                     0x00, 0x0C, 0x07, 0x02}));
}

TEST(Fragment, NoDataSetMeansNoDataPdus) {
  auto pdus = fragment_message(1, kCommand, {}, 16384);
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(parse(pdus[0]).control, 0x03);
}

TEST(Fragment, DataExactlyFillsMaxPdu) {
  const uint32_t max = 1000;
  const auto data = pattern(max - 6);
  auto pdus = fragment_message(1, kCommand, data, max);
  ASSERT_EQ(pdus.size(), 2u);
  EXPECT_EQ(parse(pdus[1]).pdu_length, max);
  EXPECT_EQ(parse(pdus[1]).control, 0x02);

  const auto one_more = pattern(max - 6 + 2);
  auto split = fragment_message(1, kCommand, one_more, max);
  ASSERT_EQ(split.size(), 3u);
  EXPECT_EQ(parse(split[1]).pdu_length, max);
  EXPECT_EQ(parse(split[1]).control, 0x00);
  EXPECT_EQ(split[2].payload.size(), 2u);
  EXPECT_EQ(parse(split[2]).control, 0x02);
}

TEST(Fragment, OddMaxRoundsFragmentDownToEven) {
  const uint32_t max = 101;  // 95 bytes would fit, 94 are used
  const auto data = pattern(300);
  auto pdus = fragment_message(1, kCommand, data, max);
  check_pdus(pdus, 1, max);
  for (const auto& p : pdus) {
    if ((p.header[11] & ul::kMchLast) == 0) {
      EXPECT_EQ(p.payload.size(), 94u);
    }
  }
  EXPECT_EQ(concat(pdus, false), data);
}

TEST(Fragment, CommandSplitAcrossPdusWithLastBitOnlyOnFinal) {
  auto pdus = fragment_message(1, kCommand, {}, 26);  // 20-byte fragments
  ASSERT_EQ(pdus.size(), (kCommand.size() + 19) / 20);
  for (std::size_t i = 0; i + 1 < pdus.size(); ++i) {
    EXPECT_EQ(parse(pdus[i]).control, 0x01);
    EXPECT_EQ(pdus[i].payload.size(), 20u);
  }
  EXPECT_EQ(parse(pdus.back()).control, 0x03);
  EXPECT_EQ(concat(pdus, true), kCommand);
}

TEST(Fragment, ZeroMaxUsesFallback) {
  const auto data = pattern(5000);
  auto pdus = fragment_message(1, kCommand, data, 0, 1006);
  check_pdus(pdus, 1, 1006);
  EXPECT_EQ(pdus[1].payload.size(), 1000u);
  EXPECT_EQ(concat(pdus, false), data);
  // The default fallback is 16384.
  auto defaults = fragment_message(1, kCommand, pattern(40000), 0);
  EXPECT_EQ(defaults[1].payload.size(), 16384u - 6u);
}

TEST(Fragment, TinyMaxIsClampedInsteadOfLoopingForever) {
  const auto data = pattern(9);
  for (uint32_t max : {0u, 1u, 6u, 7u}) {
    auto pdus = fragment_message(1, kCommand, data, max, 0);
    ASSERT_FALSE(pdus.empty());
    for (const auto& p : pdus) {
      EXPECT_LE(p.payload.size(), 2u);
      EXPECT_GE(p.payload.size(), 1u);
    }
    EXPECT_EQ(concat(pdus, true), kCommand);
    EXPECT_EQ(concat(pdus, false), data);
  }
}

TEST(Fragment, HugePeerMaxKeepsOnePduPerStream) {
  const auto data = pattern(70000);
  auto pdus = fragment_message(1, kCommand, data, 0xFFFFFFFFu);
  ASSERT_EQ(pdus.size(), 2u);
  EXPECT_EQ(parse(pdus[1]).pdu_length, 70006u);
}

// Property: for every data size and PDU maximum, the PDUs obey the limits and the assembler
// rebuilds exactly the original command and data set.
TEST(FragmentProperty, ReassemblyYieldsTheOriginal) {
  const auto all_data = pattern(3000);
  const Command command = make_c_store_rq(77, "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4.5.6");
  const auto command_bytes = encode_command(command);
  for (uint32_t max = 8; max <= 300; max += 1) {
    for (std::size_t size = 0; size <= 3000; size += (max % 7) + 1) {
      const std::span<const uint8_t> data(all_data.data(), size);
      auto pdus = fragment_message(5, command_bytes, data, max);
      check_pdus(pdus, 5, max);
      const std::size_t fragment = (max - 6) & ~1u;
      const std::size_t expected =
          (command_bytes.size() + fragment - 1) / fragment + (size + fragment - 1) / fragment;
      ASSERT_EQ(pdus.size(), expected) << "max " << max << " size " << size;

      MessageAssembler assembler;
      std::optional<Message> message;
      for (std::size_t i = 0; i < pdus.size(); ++i) {
        const auto& h = pdus[i].header;
        auto r = assembler.add(ul::Pdv{h[10], h[11], pdus[i].payload});
        ASSERT_TRUE(r.has_value()) << r.error().message() << " max " << max << " size " << size;
        if (r->has_value()) {
          ASSERT_EQ(i + 1, pdus.size()) << "completed before the last PDU";
          message = std::move(*r);
        }
      }
      if (size == 0) {
        // The command announced a data set; none was sent, so the assembler still waits.
        EXPECT_FALSE(message.has_value());
        EXPECT_TRUE(assembler.in_progress());
        continue;
      }
      ASSERT_TRUE(message.has_value()) << "max " << max << " size " << size;
      EXPECT_EQ(message->pc_id, 5);
      EXPECT_EQ(message->command, command);
      ASSERT_EQ(message->data_set.size(), size);
      EXPECT_TRUE(std::equal(data.begin(), data.end(), message->data_set.begin()));
    }
  }
}

}  // namespace
}  // namespace acc::dicom::dimse

namespace acc::dicom::dimse {
namespace {

// A data set sent in pieces (issue 11, forwarding from storage) goes out as the same PDVs, in
// fragments of the same size cap, with the last-fragment bit on the final piece's last PDV only.
TEST(FragmentPieces, PiecesReassembleToTheDataSetAndOnlyTheFinalPieceEndsIt) {
  const uint32_t max = 1000;
  const auto data = pattern(10'000);
  const std::size_t piece = 8 * max_fragment_bytes(max);
  std::vector<PDataPdu> all;
  for (std::size_t offset = 0; offset < data.size(); offset += piece) {
    const std::size_t n = std::min(piece, data.size() - offset);
    auto pdus =
        fragment_data_piece(3, std::span(data).subspan(offset, n), offset + n == data.size(), max);
    ASSERT_TRUE(pdus) << pdus.error().message();
    all.insert(all.end(), pdus->begin(), pdus->end());
  }
  EXPECT_EQ(check_pdus(all, 3, max), 0u);
  EXPECT_EQ(concat(all, false), data);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ((parse(all[i]).control & ul::kMchLast) != 0, i + 1 == all.size()) << i;
  }
  // The same PDVs as the one-shot fragmentation of the whole data set.
  const auto whole = fragment_message(3, kCommand, data, max);
  ASSERT_EQ(whole.size(), all.size() + 1);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(whole[i + 1].header, all[i].header) << i;
  }
}

TEST(FragmentPieces, AnOddPieceBeforeTheEndIsRefusedAndAnEmptyOneSendsNothing) {
  const auto data = pattern(11);
  EXPECT_FALSE(fragment_data_piece(1, data, false, 16384));
  auto last = fragment_data_piece(1, data, true, 16384);
  ASSERT_TRUE(last);
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ(parse((*last)[0]).control, ul::kMchLast);
  auto empty = fragment_data_piece(1, {}, false, 16384);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace acc::dicom::dimse
