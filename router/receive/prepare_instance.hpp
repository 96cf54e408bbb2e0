#pragma once
// The receive path's checks, off the network thread: parse and check one received data set, then
// apply the site rules to it. Pure functions over bytes, unit-tested with real files.
#include <cstdint>
#include <span>
#include <string>

#include "dicom/dimse/message.hpp"
#include "dicom/net/association.hpp"
#include "router/receive/prepared_instance.hpp"
#include "router/receive/rule_book.hpp"

namespace acc::router {

// Runs the site rules on a prepared instance: sets the record's destinations, applies the
// attribute changes (one Original Attributes item, Reason COERCE) and refreshes what matching
// reads from the changed instance. A change that cannot be made (a value invalid for its VR
// after ${...} expansion) refuses the instance with kRuleFailedStatus rather than forwarding
// something the site said must be corrected.
inline constexpr uint16_t kRuleFailedStatus = 0xC101;
void apply_rules(PreparedInstance& p, const RuleBook& rules, const std::string& our_ae,
                 int64_t now_ms);

// Parses the data set with DCMTK, checks it against the C-STORE-RQ and frames it as Part-10 with
// the received bytes unchanged. Status 0 means "commit it". Pure: unit-tested with real files.
[[nodiscard]] PreparedInstance prepare_instance(const dicom::dimse::Command& rq,
                                                const dicom::net::AcceptedContext& context,
                                                std::span<const uint8_t> data_set);

// The same for a data set received through a spool file (issue 11). Its element headers are
// walked where they lie; the attributes before the bulk (at most kMaxSpooledHeadBytes) are read
// into memory, checked as above and framed as Part-10 in `part10`; the bulk stays in the spool
// (PreparedInstance::spool, bulk_offset, bulk_length). A head larger than that cap, or a spool
// that cannot be read, is refused 0xA700: the modality may send it again later.
inline constexpr uint64_t kMaxSpooledHeadBytes = uint64_t{64} << 20;
[[nodiscard]] PreparedInstance prepare_spooled_instance(const dicom::dimse::Command& rq,
                                                        const dicom::net::AcceptedContext& context,
                                                        std::shared_ptr<const SpoolFile> spool);

}  // namespace acc::router
