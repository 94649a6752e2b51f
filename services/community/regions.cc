// Data, not logic: the UN Statistics Division's "Standard country or area
// codes for statistical use" (M49), SDG regional groupings, for every code
// in services/common/countries.cc but Antarctica.
#include "services/community/regions.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

namespace cdc::community {
namespace {

using Region = v1::Initiative::Region;
constexpr Region kSsa = v1::Initiative::SUB_SAHARAN_AFRICA;
constexpr Region kNawa = v1::Initiative::NORTHERN_AFRICA_AND_WESTERN_ASIA;
constexpr Region kCsa = v1::Initiative::CENTRAL_AND_SOUTHERN_ASIA;
constexpr Region kEsea = v1::Initiative::EASTERN_AND_SOUTH_EASTERN_ASIA;
constexpr Region kLac = v1::Initiative::LATIN_AMERICA_AND_THE_CARIBBEAN;
constexpr Region kOce = v1::Initiative::OCEANIA;
constexpr Region kAnz = v1::Initiative::AUSTRALIA_AND_NEW_ZEALAND;
constexpr Region kEna = v1::Initiative::EUROPE_AND_NORTHERN_AMERICA;

// Sorted by code, for binary search.
constexpr std::array<std::pair<std::string_view, Region>, 248> kRegions = {{
    {"ABW", kLac},  {"AFG", kCsa},  {"AGO", kSsa},  {"AIA", kLac},
    {"ALA", kEna},  {"ALB", kEna},  {"AND", kEna},  {"ARE", kNawa},
    {"ARG", kLac},  {"ARM", kNawa}, {"ASM", kOce},  {"ATF", kSsa},
    {"ATG", kLac},  {"AUS", kAnz},  {"AUT", kEna},  {"AZE", kNawa},
    {"BDI", kSsa},  {"BEL", kEna},  {"BEN", kSsa},  {"BES", kLac},
    {"BFA", kSsa},  {"BGD", kCsa},  {"BGR", kEna},  {"BHR", kNawa},
    {"BHS", kLac},  {"BIH", kEna},  {"BLM", kLac},  {"BLR", kEna},
    {"BLZ", kLac},  {"BMU", kEna},  {"BOL", kLac},  {"BRA", kLac},
    {"BRB", kLac},  {"BRN", kEsea}, {"BTN", kCsa},  {"BVT", kLac},
    {"BWA", kSsa},  {"CAF", kSsa},  {"CAN", kEna},  {"CCK", kAnz},
    {"CHE", kEna},  {"CHL", kLac},  {"CHN", kEsea}, {"CIV", kSsa},
    {"CMR", kSsa},  {"COD", kSsa},  {"COG", kSsa},  {"COK", kOce},
    {"COL", kLac},  {"COM", kSsa},  {"CPV", kSsa},  {"CRI", kLac},
    {"CUB", kLac},  {"CUW", kLac},  {"CXR", kAnz},  {"CYM", kLac},
    {"CYP", kNawa}, {"CZE", kEna},  {"DEU", kEna},  {"DJI", kSsa},
    {"DMA", kLac},  {"DNK", kEna},  {"DOM", kLac},  {"DZA", kNawa},
    {"ECU", kLac},  {"EGY", kNawa}, {"ERI", kSsa},  {"ESH", kNawa},
    {"ESP", kEna},  {"EST", kEna},  {"ETH", kSsa},  {"FIN", kEna},
    {"FJI", kOce},  {"FLK", kLac},  {"FRA", kEna},  {"FRO", kEna},
    {"FSM", kOce},  {"GAB", kSsa},  {"GBR", kEna},  {"GEO", kNawa},
    {"GGY", kEna},  {"GHA", kSsa},  {"GIB", kEna},  {"GIN", kSsa},
    {"GLP", kLac},  {"GMB", kSsa},  {"GNB", kSsa},  {"GNQ", kSsa},
    {"GRC", kEna},  {"GRD", kLac},  {"GRL", kEna},  {"GTM", kLac},
    {"GUF", kLac},  {"GUM", kOce},  {"GUY", kLac},  {"HKG", kEsea},
    {"HMD", kAnz},  {"HND", kLac},  {"HRV", kEna},  {"HTI", kLac},
    {"HUN", kEna},  {"IDN", kEsea}, {"IMN", kEna},  {"IND", kCsa},
    {"IOT", kSsa},  {"IRL", kEna},  {"IRN", kCsa},  {"IRQ", kNawa},
    {"ISL", kEna},  {"ISR", kNawa}, {"ITA", kEna},  {"JAM", kLac},
    {"JEY", kEna},  {"JOR", kNawa}, {"JPN", kEsea}, {"KAZ", kCsa},
    {"KEN", kSsa},  {"KGZ", kCsa},  {"KHM", kEsea}, {"KIR", kOce},
    {"KNA", kLac},  {"KOR", kEsea}, {"KWT", kNawa}, {"LAO", kEsea},
    {"LBN", kNawa}, {"LBR", kSsa},  {"LBY", kNawa}, {"LCA", kLac},
    {"LIE", kEna},  {"LKA", kCsa},  {"LSO", kSsa},  {"LTU", kEna},
    {"LUX", kEna},  {"LVA", kEna},  {"MAC", kEsea}, {"MAF", kLac},
    {"MAR", kNawa}, {"MCO", kEna},  {"MDA", kEna},  {"MDG", kSsa},
    {"MDV", kCsa},  {"MEX", kLac},  {"MHL", kOce},  {"MKD", kEna},
    {"MLI", kSsa},  {"MLT", kEna},  {"MMR", kEsea}, {"MNE", kEna},
    {"MNG", kEsea}, {"MNP", kOce},  {"MOZ", kSsa},  {"MRT", kSsa},
    {"MSR", kLac},  {"MTQ", kLac},  {"MUS", kSsa},  {"MWI", kSsa},
    {"MYS", kEsea}, {"MYT", kSsa},  {"NAM", kSsa},  {"NCL", kOce},
    {"NER", kSsa},  {"NFK", kAnz},  {"NGA", kSsa},  {"NIC", kLac},
    {"NIU", kOce},  {"NLD", kEna},  {"NOR", kEna},  {"NPL", kCsa},
    {"NRU", kOce},  {"NZL", kAnz},  {"OMN", kNawa}, {"PAK", kCsa},
    {"PAN", kLac},  {"PCN", kOce},  {"PER", kLac},  {"PHL", kEsea},
    {"PLW", kOce},  {"PNG", kOce},  {"POL", kEna},  {"PRI", kLac},
    {"PRK", kEsea}, {"PRT", kEna},  {"PRY", kLac},  {"PSE", kNawa},
    {"PYF", kOce},  {"QAT", kNawa}, {"REU", kSsa},  {"ROU", kEna},
    {"RUS", kEna},  {"RWA", kSsa},  {"SAU", kNawa}, {"SDN", kNawa},
    {"SEN", kSsa},  {"SGP", kEsea}, {"SGS", kLac},  {"SHN", kSsa},
    {"SJM", kEna},  {"SLB", kOce},  {"SLE", kSsa},  {"SLV", kLac},
    {"SMR", kEna},  {"SOM", kSsa},  {"SPM", kEna},  {"SRB", kEna},
    {"SSD", kSsa},  {"STP", kSsa},  {"SUR", kLac},  {"SVK", kEna},
    {"SVN", kEna},  {"SWE", kEna},  {"SWZ", kSsa},  {"SXM", kLac},
    {"SYC", kSsa},  {"SYR", kNawa}, {"TCA", kLac},  {"TCD", kSsa},
    {"TGO", kSsa},  {"THA", kEsea}, {"TJK", kCsa},  {"TKL", kOce},
    {"TKM", kCsa},  {"TLS", kEsea}, {"TON", kOce},  {"TTO", kLac},
    {"TUN", kNawa}, {"TUR", kNawa}, {"TUV", kOce},  {"TWN", kEsea},
    {"TZA", kSsa},  {"UGA", kSsa},  {"UKR", kEna},  {"UMI", kOce},
    {"URY", kLac},  {"USA", kEna},  {"UZB", kCsa},  {"VAT", kEna},
    {"VCT", kLac},  {"VEN", kLac},  {"VGB", kLac},  {"VIR", kLac},
    {"VNM", kEsea}, {"VUT", kOce},  {"WLF", kOce},  {"WSM", kOce},
    {"YEM", kNawa}, {"ZAF", kSsa},  {"ZMB", kSsa},  {"ZWE", kSsa},
}};

}  // namespace

v1::Initiative::Region RegionOfCountry(absl::string_view alpha3) {
  const std::string_view code(alpha3.data(), alpha3.size());
  const auto it = std::lower_bound(
      kRegions.begin(), kRegions.end(), code,
      [](const auto& entry, std::string_view c) { return entry.first < c; });
  if (it == kRegions.end() || it->first != code) {
    return v1::Initiative::REGION_UNSPECIFIED;
  }
  return it->second;
}

}  // namespace cdc::community
