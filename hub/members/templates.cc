#include "hub/members/templates.h"

#include <algorithm>

#include "absl/strings/str_replace.h"
#include "hub/common/status_macros.h"

namespace loyalty {
namespace {

struct Template {
  const char* subject;
  const char* body;
};

// kind -> language -> template. Claim outcomes are filled in by the caller ({outcome}).
const std::map<std::string, std::map<std::string, Template>>& Templates() {
  static const auto* t = new std::map<std::string, std::map<std::string, Template>>{
      {notice_kind::kSignInCode,
       {{"en", {"Your sign-in code: {code}",
                "Your one-time sign-in code is {code}.\nIt is valid for {minutes} minutes. "
                "If you did not ask for it, ignore this mail.\n"}},
        {"ko", {"로그인 인증번호: {code}",
                "일회용 로그인 인증번호는 {code} 입니다.\n{minutes}분 동안 유효합니다. "
                "요청하지 않으셨다면 이 메일을 무시하세요.\n"}},
        {"zh", {"您的登录验证码：{code}",
                "您的一次性登录验证码是 {code}。\n{minutes} 分钟内有效。如果不是您本人操作，"
                "请忽略此邮件。\n"}}}},
      {notice_kind::kPointsExpiring,
       {{"en", {"{points} points expire on {date}",
                "{points} of your points expire on {date}.\nSpend them at any partner of "
                "the coalition before then.\n"}},
        {"ko", {"{date}에 {points} 포인트가 소멸됩니다",
                "회원님의 포인트 중 {points} 포인트가 {date}에 소멸됩니다.\n그 전에 제휴처 "
                "어디에서나 사용하세요.\n"}},
        {"zh", {"{points} 积分将于 {date} 过期",
                "您有 {points} 积分将于 {date} 过期。\n请在此之前到任一合作商户使用。\n"}}}},
      {notice_kind::kTierChanged,
       {{"en", {"Your tier is now {to}",
                "Your membership tier changed from {from} to {to}.\n"}},
        {"ko", {"회원 등급이 {to}(으)로 변경되었습니다",
                "회원 등급이 {from}에서 {to}(으)로 변경되었습니다.\n"}},
        {"zh", {"您的会员等级已变为 {to}", "您的会员等级已从 {from} 变为 {to}。\n"}}}},
      {notice_kind::kPromotion,
       {{"en", {"{name} at {partner}",
                "A promotion has started at {partner}: {name}.\nIt runs until {ends}.\n"}},
        {"ko", {"{partner} 프로모션: {name}",
                "{partner}에서 프로모션이 시작되었습니다: {name}.\n{ends}까지 진행됩니다.\n"}},
        {"zh", {"{partner} 优惠活动：{name}",
                "{partner} 的优惠活动已开始：{name}。\n活动截止至 {ends}。\n"}}}},
      {notice_kind::kClaimOpened,
       {{"en", {"We received your claim {claim_id}",
                "Your claim {claim_id} for missing points at {partner} is with the partner. "
                "We will write when it is answered.\n"}},
        {"ko", {"포인트 누락 신청 {claim_id}이(가) 접수되었습니다",
                "{partner}에 대한 포인트 누락 신청 {claim_id}이(가) 제휴처에 전달되었습니다. "
                "처리되면 알려 드리겠습니다.\n"}},
        {"zh", {"我们已收到您的申请 {claim_id}",
                "您在 {partner} 的积分补录申请 {claim_id} 已转交合作商户，处理后我们会通知您。\n"}}}},
      {notice_kind::kClaimEscalated,
       {{"en", {"Your claim {claim_id} is with our team",
                "{partner} did not answer your claim {claim_id} in time; our team now "
                "handles it.\n"}},
        {"ko", {"포인트 누락 신청 {claim_id}을(를) 운영팀이 처리합니다",
                "{partner}이(가) 신청 {claim_id}에 기한 내 답변하지 않아 운영팀이 처리합니다.\n"}},
        {"zh", {"您的申请 {claim_id} 已转交我们的团队",
                "{partner} 未在期限内答复您的申请 {claim_id}，现由我们的团队处理。\n"}}}},
      {notice_kind::kClaimResolved,
       {{"en", {"Your claim {claim_id} was {outcome}",
                "Your claim {claim_id} at {partner} was {outcome}. Points credited: "
                "{points}. {reason}\n"}},
        {"ko", {"포인트 누락 신청 {claim_id} 처리 결과: {outcome}",
                "{partner}에 대한 신청 {claim_id} 처리 결과: {outcome}. 적립 포인트: {points}. "
                "{reason}\n"}},
        {"zh", {"您的申请 {claim_id} 处理结果：{outcome}",
                "您在 {partner} 的申请 {claim_id} 处理结果：{outcome}。入账积分：{points}。"
                "{reason}\n"}}}},
  };
  return *t;
}

}  // namespace

const std::vector<std::string>& NoticeLanguages() {
  static const auto* langs = new std::vector<std::string>{"en", "ko", "zh"};
  return *langs;
}

bool IsNoticeLanguage(const std::string& language) {
  const auto& langs = NoticeLanguages();
  return std::find(langs.begin(), langs.end(), language) != langs.end();
}

RenderedNotice RenderNotice(const std::string& kind, const std::string& language,
                            const std::map<std::string, std::string>& fields) {
  auto by_kind = Templates().find(kind);
  LOYALTY_CHECK(by_kind != Templates().end());
  auto t = by_kind->second.find(language);
  if (t == by_kind->second.end()) t = by_kind->second.find("en");
  std::vector<std::pair<std::string, std::string>> replacements;
  for (const auto& [k, v] : fields) replacements.emplace_back("{" + k + "}", v);
  return {absl::StrReplaceAll(t->second.subject, replacements),
          absl::StrReplaceAll(t->second.body, replacements)};
}

std::string ClaimOutcomeWord(const std::string& status, const std::string& language) {
  const bool accepted = status == "accepted";
  if (language == "ko") return accepted ? "승인" : "거절";
  if (language == "zh") return accepted ? "已接受" : "已拒绝";
  return accepted ? "accepted" : "rejected";
}

}  // namespace loyalty
