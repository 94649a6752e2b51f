// The SDG regional groupings of the UN Statistics Division (M49), which
// the initiative map derives from an initiative's countries.
#pragma once

#include "absl/strings/string_view.h"
#include "cdc/v1/community.pb.h"

namespace cdc::community {

// The SDG region of an ISO 3166-1 alpha-3 code accepted by
// services/common/countries.h. Every accepted code has one except
// Antarctica ("ATA"), which M49 places in no region; it and unknown codes
// give REGION_UNSPECIFIED.
//
// Where the ISO list and M49 differ: Taiwan ("TWN"), which M49 counts
// within China, is in Eastern and South-Eastern Asia; the island
// territories follow M49's subregions (Bouvet Island and South Georgia in
// South America, the British Indian Ocean Territory and the French
// Southern Territories in Eastern Africa, Christmas, Cocos, Heard and
// Norfolk Islands with Australia and New Zealand).
v1::Initiative::Region RegionOfCountry(absl::string_view alpha3);

}  // namespace cdc::community
