// The texts of the mail the hub sends members, per language: English, Korean and
// Chinese (simplified). Plain text, UTF-8; {name} placeholders filled from `fields`.
#ifndef LOYALTY_HUB_MEMBERS_TEMPLATES_H_
#define LOYALTY_HUB_MEMBERS_TEMPLATES_H_

#include <map>
#include <string>
#include <vector>

namespace loyalty {

// Kinds of notice (NotificationRow::kind).
namespace notice_kind {
inline constexpr char kSignInCode[] = "sign_in_code";
inline constexpr char kPointsExpiring[] = "points_expiring";
inline constexpr char kTierChanged[] = "tier_changed";
inline constexpr char kPromotion[] = "promotion";
inline constexpr char kClaimOpened[] = "claim_opened";
inline constexpr char kClaimEscalated[] = "claim_escalated";
inline constexpr char kClaimResolved[] = "claim_resolved";
}  // namespace notice_kind

// The languages with templates; any other falls back to English.
const std::vector<std::string>& NoticeLanguages();
bool IsNoticeLanguage(const std::string& language);

struct RenderedNotice {
  std::string subject;
  std::string body;
};

// The notice of `kind` in `language` (English when there is no such language) with
// every {field} replaced. REQUIRES: `kind` is a notice_kind.
RenderedNotice RenderNotice(const std::string& kind, const std::string& language,
                            const std::map<std::string, std::string>& fields);

// A claim's outcome ("accepted", "rejected") in `language`.
std::string ClaimOutcomeWord(const std::string& status, const std::string& language);

}  // namespace loyalty

#endif  // LOYALTY_HUB_MEMBERS_TEMPLATES_H_
