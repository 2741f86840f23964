#!/usr/bin/env bash
# Regenerates the committed seed corpus of request_fuzz from the text-format requests
# below: each seed is one selector byte (the request type, see request_fuzz.cc) and
# the request encoded by protoc. The partner_file_fuzz seeds are plain CSV files.
set -euo pipefail
cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/../.."
OUT=tests/fuzz/corpus/request_fuzz
mkdir -p "$OUT"

# seed NAME SELECTOR MESSAGE TEXT
seed() {
    local name=$1 selector=$2 message=$3 text=$4
    {
        printf "\\x$(printf %02x "$selector")"
        printf '%s' "$text" | protoc -Iprotos --encode="loyalty.v1.$message" \
            protos/loyalty/v1/partner.proto protos/loyalty/v1/admin.proto \
            protos/loyalty/v1/bank.proto
    } >"$OUT/$name"
}

CARD=4000000000000002  # Luhn-valid
seed earn_ok 0 EarnRequest "partner_txn_id: 'pos-1' card_number: '$CARD' amount { amount_minor: 5000 currency: 'EUR' }"
seed earn_stated_points 0 EarnRequest "partner_txn_id: 'pos-2' card_number: '$CARD' amount { amount_minor: 1 currency: 'KRW' } points: 1000000000000 occurred_at_micros: 1767225600000000"
seed earn_negative_amount 0 EarnRequest "partner_txn_id: 'pos-3' card_number: '$CARD' amount { amount_minor: -1 currency: 'EUR' }"
seed earn_max_amount 0 EarnRequest "partner_txn_id: 'pos-4' card_number: '$CARD' amount { amount_minor: 9223372036854775807 currency: 'EUR' } points: -9223372036854775808"
seed earn_unicode_id 0 EarnRequest "partner_txn_id: 'caf\\303\\251-\\360\\237\\230\\200' card_number: '$CARD' amount { amount_minor: 10 currency: 'EUR' }"
seed earn_bad_luhn 0 EarnRequest "partner_txn_id: 'pos-5' card_number: '4000000000000001' amount { amount_minor: 10 currency: 'EUR' }"
seed redeem_ok 1 RedeemRequest "partner_txn_id: 'r-1' card_number: '$CARD' points: 100 pin: '1234'"
seed redeem_zero 1 RedeemRequest "partner_txn_id: 'r-2' card_number: '$CARD' points: 0"
seed authorize_ok 2 AuthorizeRedemptionRequest "partner_txn_id: 'a-1' card_number: '$CARD' points: 50"
seed capture_partial 3 CaptureRedemptionRequest "partner_txn_id: 'c-1' authorization_partner_txn_id: 'a-1' points: 20"
seed void_ok 4 VoidRedemptionRequest "partner_txn_id: 'v-1' authorization_partner_txn_id: 'a-1'"
seed reverse_partial 5 ReverseRequest "partner_txn_id: 'x-1' original_partner_txn_id: 'pos-1' points: 10 occurred_at_micros: 946684799999999"
seed enroll_ok 6 EnrollMemberRequest "partner_txn_id: 'e-1'"
seed link_card 7 LinkCardRequest "partner_txn_id: 'l-1' card_number: '$CARD' new_card_number: '4111111111111111'"
seed bearer 8 RegisterBearerCardRequest "partner_txn_id: 'b-1' card_number: '$CARD' bearer_card_number: '5500000000000004'"
seed balance 9 GetBalanceRequest "card_number: '$CARD'"
seed quote 10 QuoteEarnRequest "card_number: '$CARD' amount { amount_minor: 2500 currency: 'JPY' }"
seed list_txns 11 ListTransactionsRequest "card_number: '$CARD' page_size: 500"
seed merchant_id 12 RegisterMerchantIdRequest "merchant_id: 'M-000123'"
seed pin 13 SetMemberPinRequest "card_number: '$CARD' pin: '12345678'"
seed register_partner 14 RegisterPartnerRequest "name: 'Grocer \\342\\200\\217RTL\\342\\200\\216' category: 'grocery' role: ROLE_MERCHANT earn_rate_bp: 500 limits { max_points_per_txn: 100000 }"
seed register_partner_bad_role 14 RegisterPartnerRequest "name: 'Gym' category: 'fitness' role: ROLE_ADMIN"
seed set_program 15 SetProgramRequest "program { point_value_micros: 10000 currency: 'EUR' expiry_months: 36 hold_timeout_seconds: 900 expiry_policy: EXPIRY_POLICY_END_OF_YEAR expiry_years: 3 time_zone: 'Europe/Berlin' }"
seed set_program_zone_path 15 SetProgramRequest "program { point_value_micros: 10000 currency: 'EUR' hold_timeout_seconds: 900 time_zone: '/dev/stdin' }"
seed set_program_zone_file 15 SetProgramRequest "program { point_value_micros: 10000 currency: 'EUR' hold_timeout_seconds: 900 time_zone: 'file:../../dev/zero' }"
seed promotion_stamp 16 CreatePromotionRequest "promotion { name: 'Every 10th coffee' scope: PROMOTION_SCOPE_PARTNER scope_value: '2' kind: PROMOTION_KIND_STAMP starts_at_micros: 1767225600000000 ends_at_micros: 1798761600000000 bonus_points: 300 every_n: 10 }"
seed tiers 17 SetTiersRequest "tiers { name: 'gold' threshold_minor: 100000 multiplier_bp: 15000 } tiers { name: 'vip' threshold_minor: 500000 multiplier_bp: 30000 }"
seed adjust_debit 18 AdjustPointsRequest "adjustment_id: 'adj-1' card_number: '$CARD' points: -500 reason: 'goodwill \\360\\237\\230\\200'"
seed bank_rules 19 SetBankEarnRulesRequest "bank_partner_id: 1 rules { default_rate_bp: 50 partner_merchant_rate_bp: 100 monthly_cap_points: 5000 mcc_rules { mcc: 5411 rate_bp: 200 } mcc_rules { mcc: 7995 excluded: true } }"
seed clearing_pan 20 ClearingRecord "clearing_id: 'clr-1' card { pan: '4111111111111111' } amount { amount_minor: 12000 currency: 'EUR' } mcc: 5411 merchant_id: 'M-1' type: CLEARING_TYPE_PURCHASE"
seed clearing_refund 20 ClearingRecord "clearing_id: 'clr-2' card { token: 'tok_1' } amount { amount_minor: 12000 currency: 'EUR' } mcc: 5411 type: CLEARING_TYPE_REFUND original_clearing_id: 'clr-1'"
seed bearer_cards 21 IssueBearerCardsRequest "count: 1000"
# Raw numbers: amount, rate_bp, point value, exponent (little-endian int64 each).
printf '\x16\x88\x13\x00\x00\x00\x00\x00\x00\xf4\x01\x00\x00\x00\x00\x00\x00\x10\x27\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00' >"$OUT/money_earn"
printf '\x17\x05\x00\x00\x00\x00\x00\x00\x00\x88\x13\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00' >"$OUT/money_half_even"
