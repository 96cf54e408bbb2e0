#pragma once
// Private: the issue-4 tables [worklist], [accession] and [matching]: their schemas and the rules
// that span several keys.

#include "config/config.hpp"
#include "config/schema.hpp"

namespace acc::config::detail {

// Root-schema fields. Each validates its table, then the rules spanning its keys (required keys
// of an enabled [worklist], the issuer pairing of [accession]).
[[nodiscard]] Field<RouterConfig> worklist_field();
[[nodiscard]] Field<RouterConfig> accession_field();
[[nodiscard]] Field<RouterConfig> matching_field();

// Rules that also bind the defaults, so they run whether or not the table is in the file (`table`
// is nullptr when it is not; a problem is then reported at line 0).
void check_accession(const AccessionConfig& accession, const toml::table* table, Diagnostics& diag);

// worklist.calling_ae = server.ae_title when not given. After the walk, like the destinations'.
void resolve_worklist_defaults(RouterConfig& config);

}  // namespace acc::config::detail
