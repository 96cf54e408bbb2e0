// MessageAssembler: Annex E ordering, limits and reassembly of fragmented messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dicom/dimse/message.hpp"
#include "dicom/ul/pdu.hpp"

namespace acc::dicom::dimse {
namespace {

constexpr uint8_t kPc = 3;
constexpr uint8_t kCmd = ul::kMchCommand;
constexpr uint8_t kCmdLast = ul::kMchCommand | ul::kMchLast;
constexpr uint8_t kData = 0x00;
constexpr uint8_t kDataLast = ul::kMchLast;

ul::Pdv pdv(uint8_t control, std::span<const uint8_t> fragment, uint8_t pc_id = kPc) {
  return ul::Pdv{pc_id, control, fragment};
}

std::vector<uint8_t> pattern(std::size_t n) {
  std::vector<uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = static_cast<uint8_t>(i * 7 + 1);
  }
  return v;
}

DimseErrc error_of(const Result<std::optional<Message>>& r) {
  EXPECT_FALSE(r.has_value());
  return r.has_value() ? DimseErrc::ok : static_cast<DimseErrc>(r.error().code.value());
}

const std::vector<uint8_t> kEcho = encode_command(make_c_echo_rq(1));
const std::vector<uint8_t> kStore = encode_command(make_c_store_rq(2, "1.2.3", "1.2.3.4"));

TEST(AssemblerBasics, SinglePdvCommandWithoutDataSet) {
  MessageAssembler a;
  auto r = a.add(pdv(kCmdLast, kEcho));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->pc_id, kPc);
  EXPECT_EQ((*r)->command, make_c_echo_rq(1));
  EXPECT_TRUE((*r)->data_set.empty());
  EXPECT_FALSE(a.in_progress());
}

TEST(AssemblerBasics, CommandThenSingleDataPdv) {
  MessageAssembler a;
  const auto data = pattern(100);
  auto first = a.add(pdv(kCmdLast, kStore));
  ASSERT_TRUE(first.has_value()) << first.error().message();
  EXPECT_FALSE(first->has_value());
  EXPECT_TRUE(a.in_progress());
  auto second = a.add(pdv(kDataLast, data));
  ASSERT_TRUE(second.has_value()) << second.error().message();
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->command.AffectedSOPInstanceUID, "1.2.3.4");
  EXPECT_EQ((*second)->data_set, data);
  EXPECT_FALSE(a.in_progress());
  EXPECT_EQ(a.data_set_bytes(), 0u);
}

TEST(AssemblerBasics, ManySmallFragments) {
  MessageAssembler a;
  const auto data = pattern(1001);
  for (std::size_t i = 0; i < kStore.size(); i += 2) {
    const bool last = i + 2 >= kStore.size();
    auto r = a.add(pdv(last ? kCmdLast : kCmd, std::span(kStore).subspan(i, 2)));
    ASSERT_TRUE(r.has_value()) << r.error().message();
    EXPECT_FALSE(r->has_value());
  }
  std::optional<Message> done;
  for (std::size_t i = 0; i < data.size(); i += 10) {
    const std::size_t n = std::min<std::size_t>(10, data.size() - i);
    const bool last = i + n == data.size();
    auto r = a.add(pdv(last ? kDataLast : kData, std::span(data).subspan(i, n)));
    ASSERT_TRUE(r.has_value()) << r.error().message();
    if (!last) {
      EXPECT_FALSE(r->has_value());
      EXPECT_EQ(a.data_set_bytes(), i + n);
    } else {
      done = std::move(*r);
    }
  }
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->data_set, data);
}

TEST(AssemblerBasics, CommandAndDataPdvsFromOnePData) {
  // One P-DATA-TF carrying command and data PDVs, decoded by the UL, then fed PDV by PDV.
  const auto data = pattern(64);
  ul::PData pdata;
  pdata.pdvs = {pdv(kCmd, std::span(kStore).first(20)),
                pdv(kCmdLast, std::span(kStore).subspan(20)), pdv(kData, std::span(data).first(30)),
                pdv(kDataLast, std::span(data).subspan(30))};
  MessageAssembler a;
  std::optional<Message> done;
  for (const auto& p : pdata.pdvs) {
    auto r = a.add(p);
    ASSERT_TRUE(r.has_value()) << r.error().message();
    if (r->has_value()) {
      done = std::move(*r);
    }
  }
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->data_set, data);
}

TEST(AssemblerBasics, MchOnlyPdvsAreTolerated) {
  MessageAssembler a;
  const std::vector<uint8_t> none;
  const auto data = pattern(8);
  ASSERT_TRUE(a.add(pdv(kCmd, none)).has_value());
  ASSERT_TRUE(a.add(pdv(kCmd, kStore)).has_value());
  ASSERT_TRUE(a.add(pdv(kCmdLast, none)).has_value());  // empty last command fragment ends it
  ASSERT_TRUE(a.add(pdv(kData, none)).has_value());
  ASSERT_TRUE(a.add(pdv(kData, data)).has_value());
  auto r = a.add(pdv(kDataLast, none));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->data_set, data);
}

TEST(AssemblerBasics, EmptyDataSetAnnouncedAndSentAsOneEmptyLastFragment) {
  MessageAssembler a;
  ASSERT_TRUE(a.add(pdv(kCmdLast, kStore)).has_value());
  auto r = a.add(pdv(kDataLast, {}));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->has_value());
  EXPECT_TRUE((*r)->data_set.empty());
}

TEST(AssemblerBasics, TwoMessagesBackToBack) {
  MessageAssembler a;
  const auto data = pattern(12);
  ASSERT_TRUE(a.add(pdv(kCmdLast, kStore)).has_value());
  auto first = a.add(pdv(kDataLast, data));
  ASSERT_TRUE(first.has_value() && first->has_value());
  // The next message may use another presentation context.
  auto second = a.add(pdv(kCmdLast, kEcho, 5));
  ASSERT_TRUE(second.has_value()) << second.error().message();
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->pc_id, 5);
  EXPECT_EQ((*second)->command.CommandField, CommandField::CEchoRq);
  EXPECT_TRUE((*second)->data_set.empty());
  auto third = a.add(pdv(kCmdLast, kEcho, 5));
  ASSERT_TRUE(third.has_value() && third->has_value());
}

// ---- ordering violations (A-ABORT) -----------------------------------------------------------

TEST(AssemblerOrder, DataBeforeCommand) {
  MessageAssembler a;
  const auto data = pattern(4);
  EXPECT_EQ(error_of(a.add(pdv(kDataLast, data))), DimseErrc::unexpected_fragment);
  EXPECT_FALSE(a.in_progress());
}

TEST(AssemblerOrder, DataBeforeLastCommandFragment) {
  MessageAssembler a;
  const auto data = pattern(4);
  ASSERT_TRUE(a.add(pdv(kCmd, std::span(kStore).first(10))).has_value());
  EXPECT_EQ(error_of(a.add(pdv(kData, data))), DimseErrc::unexpected_fragment);
  EXPECT_FALSE(a.in_progress());
}

TEST(AssemblerOrder, CommandWhileAwaitingData) {
  MessageAssembler a;
  ASSERT_TRUE(a.add(pdv(kCmdLast, kStore)).has_value());
  EXPECT_EQ(error_of(a.add(pdv(kCmdLast, kEcho))), DimseErrc::unexpected_fragment);
}

TEST(AssemblerOrder, CommandAfterDataStarted) {
  MessageAssembler a;
  const auto data = pattern(4);
  ASSERT_TRUE(a.add(pdv(kCmdLast, kStore)).has_value());
  ASSERT_TRUE(a.add(pdv(kData, data)).has_value());
  EXPECT_EQ(error_of(a.add(pdv(kCmd, kEcho))), DimseErrc::unexpected_fragment);
  EXPECT_FALSE(a.in_progress());
  EXPECT_EQ(a.data_set_bytes(), 0u);
}

TEST(AssemblerOrder, PcIdChangeInCommand) {
  MessageAssembler a;
  ASSERT_TRUE(a.add(pdv(kCmd, std::span(kEcho).first(12), 1)).has_value());
  EXPECT_EQ(error_of(a.add(pdv(kCmdLast, std::span(kEcho).subspan(12), 3))),
            DimseErrc::unexpected_fragment);
}

TEST(AssemblerOrder, PcIdChangeInData) {
  MessageAssembler a;
  const auto data = pattern(4);
  ASSERT_TRUE(a.add(pdv(kCmdLast, kStore, 1)).has_value());
  EXPECT_EQ(error_of(a.add(pdv(kDataLast, data, 3))), DimseErrc::unexpected_fragment);
}

TEST(AssemblerOrder, RecoversToIdleAfterAnError) {
  MessageAssembler a;
  const auto data = pattern(4);
  ASSERT_FALSE(a.add(pdv(kData, data)).has_value());
  auto r = a.add(pdv(kCmdLast, kEcho));
  ASSERT_TRUE(r.has_value() && r->has_value());
}

// ---- limits and decode errors -----------------------------------------------------------------

TEST(AssemblerLimits, CommandAboveCap) {
  MessageAssembler a(AssemblerLimits{.max_command_bytes = 40, .max_data_set_bytes = 1000});
  ASSERT_TRUE(a.add(pdv(kCmd, std::span(kEcho).first(40))).has_value());  // exactly at the cap
  EXPECT_EQ(error_of(a.add(pdv(kCmdLast, std::span(kEcho).subspan(40)))),
            DimseErrc::command_too_large);
  EXPECT_FALSE(a.in_progress());
}

TEST(AssemblerLimits, CommandExactlyAtCapIsAccepted) {
  MessageAssembler a(AssemblerLimits{.max_command_bytes = kEcho.size(), .max_data_set_bytes = 0});
  auto r = a.add(pdv(kCmdLast, kEcho));
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_TRUE(r->has_value());
}

TEST(AssemblerLimits, BadCommandSetPropagatesDecodeError) {
  MessageAssembler a;
  const std::vector<uint8_t> garbage = {0x08, 0x00, 0x16, 0x00, 0x00, 0x00, 0x00, 0x00};
  auto r = a.add(pdv(kCmdLast, garbage));
  EXPECT_EQ(error_of(r), DimseErrc::not_command_group);
  EXPECT_FALSE(a.in_progress());
}

TEST(AssemblerLimits, DataSetAboveCap) {
  MessageAssembler a(AssemblerLimits{.max_command_bytes = 1024, .max_data_set_bytes = 100});
  const auto data = pattern(60);
  ASSERT_TRUE(a.add(pdv(kCmdLast, kStore)).has_value());
  ASSERT_TRUE(a.add(pdv(kData, std::span(data).first(40))).has_value());
  ASSERT_TRUE(a.add(pdv(kData, std::span(data).first(60))).has_value());  // 100: at the cap
  EXPECT_EQ(a.data_set_bytes(), 100u);
  EXPECT_EQ(error_of(a.add(pdv(kDataLast, std::span(data).first(2)))),
            DimseErrc::data_set_too_large);
  EXPECT_FALSE(a.in_progress());
  EXPECT_EQ(a.data_set_bytes(), 0u);
}

TEST(AssemblerLimits, DataSetAboveCapInOneFragment) {
  MessageAssembler a(AssemblerLimits{.max_command_bytes = 1024, .max_data_set_bytes = 10});
  const auto data = pattern(12);
  ASSERT_TRUE(a.add(pdv(kCmdLast, kStore)).has_value());
  EXPECT_EQ(error_of(a.add(pdv(kDataLast, data))), DimseErrc::data_set_too_large);
  // Nothing was appended before the check.
  EXPECT_EQ(a.data_set_bytes(), 0u);
}

}  // namespace
}  // namespace acc::dicom::dimse

namespace acc::dicom::dimse {
namespace {

// Sends a C-STORE of `size` bytes in 64 KiB fragments; the completed message.
std::optional<Message> store_of(MessageAssembler& a, std::size_t size) {
  const auto data = pattern(size);
  EXPECT_TRUE(a.add(pdv(kCmdLast, kStore)));
  std::optional<Message> done;
  for (std::size_t at = 0; at < size; at += 65536) {
    const std::size_t n = std::min<std::size_t>(65536, size - at);
    auto r = a.add(pdv(at + n == size ? kDataLast : kData, std::span(data).subspan(at, n)));
    EXPECT_TRUE(r) << r.error().message();
    if (r && r->has_value()) {
      done = std::move(**r);
    }
  }
  return done;
}

// Issue 11: the memory of data sets being received is bounded for the whole process. What would
// pass the budget is read to its end (the peer gets an answer, not an abort) but not kept.
TEST(AssemblerBudget, ADataSetOverTheBudgetIsReadButNotKeptAndItsMemoryComesBack) {
  ByteBudget budget(512u << 10);
  MessageAssembler a(AssemblerLimits{.budget = &budget});
  {
    auto small = store_of(a, 150'000);
    ASSERT_TRUE(small);
    EXPECT_EQ(small->dropped, DataSetDropped::no);
    EXPECT_EQ(small->data_set, pattern(150'000));
    EXPECT_GE(budget.in_use(), 150'000u);  // held with the bytes, until they go
    EXPECT_EQ(small->lease.held(), budget.in_use());
  }
  EXPECT_EQ(budget.in_use(), 0u);

  auto big = store_of(a, 1'000'000);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->dropped, DataSetDropped::memory_budget_full);
  EXPECT_TRUE(big->data_set.empty());
  EXPECT_EQ(budget.in_use(), 0u);
  EXPECT_GE(budget.refusals(), 1u);

  // The next one fits again: nothing was lost to the dropped one.
  auto next = store_of(a, 100'000);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->dropped, DataSetDropped::no);
  EXPECT_EQ(next->data_set.size(), 100'000u);
}

// A modality sends series of like objects: the second data set on an association is received
// into one allocation sized from the first (which arrived), not grown by doubling, which copied
// 960 KB per 525 KB instance. The hint is never a size the peer claims, and a refused hint is not
// counted as a refusal (the buffer grows as bytes arrive instead).
TEST(AssemblerBudget, TheNextDataSetIsReceivedIntoOneBufferSizedFromThePreviousOne) {
  ByteBudget budget(8u << 20);
  MessageAssembler a(AssemblerLimits{.budget = &budget});
  auto first = store_of(a, 300'000);
  ASSERT_TRUE(first);
  EXPECT_GE(first->data_set.capacity(), 300'000u);
  auto second = store_of(a, 300'000);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->data_set, pattern(300'000));
  EXPECT_EQ(second->data_set.capacity(), 300'000u / 8 * 9);  // one buffer, an eighth to spare
  EXPECT_EQ(second->lease.held(), 300'000u / 8 * 9);

  // A smaller one fits the hint too; a larger one grows from it as before.
  auto smaller = store_of(a, 200'000);
  ASSERT_TRUE(smaller);
  EXPECT_EQ(smaller->data_set.capacity(), 300'000u / 8 * 9);
  auto larger = store_of(a, 900'000);
  ASSERT_TRUE(larger);
  EXPECT_EQ(larger->data_set, pattern(900'000));
  EXPECT_EQ(budget.refusals(), 0u);
}

TEST(AssemblerBudget, ARefusedSizeHintIsNotARefusal) {
  ByteBudget budget(1u << 20);
  MessageAssembler a(AssemblerLimits{.budget = &budget});
  auto first = store_of(a, 300'000);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->dropped, DataSetDropped::no);
  first.reset();
  BudgetLease other(&budget);
  ASSERT_TRUE(other.hold(800'000));  // another association holds most of the budget now
  auto next = store_of(a, 100'000);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->dropped, DataSetDropped::no);
  EXPECT_EQ(next->data_set, pattern(100'000));
  EXPECT_EQ(budget.refusals(), 0u);
}

TEST(AssemblerBudget, TwoAssociationsShareOneBudgetAndAnAbortGivesItBack) {
  // 600 KB grows the buffer to 1 MiB, holding 1.5 MiB while it moves from 512 KiB.
  ByteBudget budget(2u << 20);
  MessageAssembler first(AssemblerLimits{.budget = &budget});
  MessageAssembler second(AssemblerLimits{.budget = &budget});
  auto held = store_of(first, 600'000);
  ASSERT_TRUE(held && held->dropped == DataSetDropped::no);
  auto refused = store_of(second, 600'000);  // 600 KB more does not fit beside the first
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->dropped, DataSetDropped::memory_budget_full);
  held.reset();
  EXPECT_EQ(budget.in_use(), 0u);
  // A message that ends in a protocol error (here: a command while data is expected) gives back
  // what it held.
  ASSERT_TRUE(second.add(pdv(kCmdLast, kStore)));
  const auto part = pattern(100'000);
  ASSERT_TRUE(second.add(pdv(kData, part)));
  EXPECT_GT(budget.in_use(), 0u);
  EXPECT_FALSE(second.add(pdv(kCmdLast, kStore)));
  EXPECT_EQ(budget.in_use(), 0u);
}

// Issue 11, streaming receive: past spool_above_bytes the driver takes what is held, chunk by
// chunk, so memory stays one chunk whatever the size; the chunks and the message's last bytes
// are the data set, in order.
TEST(AssemblerSpill, ALargeDataSetLeavesInChunksAndNothingIsLostOrReordered) {
  constexpr std::size_t kChunk = 64 * 1024;
  ByteBudget budget(1u << 20);
  MessageAssembler a(AssemblerLimits{.budget = &budget, .spool_above_bytes = kChunk});
  const auto data = pattern(1'000'001 + 1);  // even
  ASSERT_TRUE(a.add(pdv(kCmdLast, kStore)));
  std::vector<uint8_t> spooled;
  std::size_t chunks = 0;
  std::optional<Message> done;
  constexpr std::size_t kFragment = 16'000;
  for (std::size_t at = 0; at < data.size(); at += kFragment) {
    const std::size_t n = std::min(kFragment, data.size() - at);
    auto r = a.add(pdv(at + n == data.size() ? kDataLast : kData, std::span(data).subspan(at, n)));
    ASSERT_TRUE(r) << r.error().message();
    if (r->has_value()) {
      done = std::move(**r);
      break;
    }
    EXPECT_LE(budget.in_use(), kChunk) << "one chunk held, whatever the size";
    if (a.spill_ready()) {
      auto chunk = a.take_spill();
      EXPECT_LE(chunk.size(), kChunk);
      EXPECT_GT(chunk.size() + kFragment, kChunk) << "spilled only once a chunk is full";
      spooled.insert(spooled.end(), chunk.begin(), chunk.end());
      ++chunks;
    }
    EXPECT_EQ(a.data_set_bytes(), at + n);
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(done->dropped, DataSetDropped::no);
  EXPECT_EQ(done->spilled_bytes, spooled.size());
  EXPECT_EQ(done->data_set_size(), data.size());
  spooled.insert(spooled.end(), done->data_set.begin(), done->data_set.end());
  EXPECT_EQ(spooled, data);
  EXPECT_GE(chunks, 15u);
  // The next message starts afresh, held whole below the threshold.
  auto small = store_of(a, 1000);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->spilled_bytes, 0u);
  EXPECT_EQ(small->data_set, pattern(1000));
}

TEST(AssemblerSpill, ADroppedSpoolIsReadToItsEndAndAnsweredNotKept) {
  MessageAssembler a(AssemblerLimits{.spool_above_bytes = 4096});
  ASSERT_TRUE(a.add(pdv(kCmdLast, kStore)));
  const auto part = pattern(5000);
  ASSERT_TRUE(a.add(pdv(kData, part)));
  ASSERT_TRUE(a.spill_ready());
  (void)a.take_spill();
  a.drop_data_set(DataSetDropped::spool_failed);  // the disk refused the chunk
  EXPECT_FALSE(a.spill_ready());
  ASSERT_TRUE(a.add(pdv(kData, part)));
  auto r = a.add(pdv(kDataLast, part));
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->dropped, DataSetDropped::spool_failed);
  EXPECT_TRUE((*r)->data_set.empty());
  EXPECT_EQ((*r)->spilled_bytes, 0u);
  // The limit still counts what was dropped: max_data_set_bytes cannot be dodged by a failure.
  MessageAssembler limited(
      AssemblerLimits{.max_data_set_bytes = 12'000, .spool_above_bytes = 4096});
  ASSERT_TRUE(limited.add(pdv(kCmdLast, kStore)));
  ASSERT_TRUE(limited.add(pdv(kData, part)));
  (void)limited.take_spill();
  limited.drop_data_set(DataSetDropped::spool_failed);
  ASSERT_TRUE(limited.add(pdv(kData, part)));
  EXPECT_EQ(error_of(limited.add(pdv(kData, part))), DimseErrc::data_set_too_large);
}

}  // namespace
}  // namespace acc::dicom::dimse
