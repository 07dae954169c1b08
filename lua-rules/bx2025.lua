--[[---------------------------------------------------------------------------
 bx2025.lua — SWITCHED OFF: MANIFEST names it only in a '# bx2025.lua'
 comment line. To switch it on, remove the '# ' (one line); to check what
 that changes on the stored cases first, run `sentencer diff --rules` on a
 copy with the line switched on.

     The 2025 opinion on helping offences (BX2025: SPC/SPP/MPS 关于办理帮助
     信息网络犯罪活动等刑事案件有关问题的意见, released 2025-07-28): its
     "two-card" serious-circumstances thresholds for Art. 287-2.

 UNVERIFIED (legal-rules 3.5; 9 item 2). Articles 1-8 are known only from a
 law-firm summary (glory-lawfirm.com); a commentary (cicjc.com.cn) places the
 card thresholds in article 6, hence the id BX2025:6; the document number
 and the date from which courts apply it are unconfirmed (the release date
 stands for it). legal-rules 3.5: "Do not hard-code; keep as a disabled rule
 set until the official text is obtained." Read the official text, check
 every number below against it, then switch it on.

 For help_network_crime charges tried from 2025-07-28 (an opinion: keyed on
 the trial date, legal-rules 6.3):
   - BX2025:6 (accounts): the summary gives two items, own bank or payment
     accounts >= 3 with inflow over 300,000 yuan, and other people's or a
     unit's accounts with inflow over 300,000 yuan. The input records
     payment_cards_supplied without saying whose, so the test is met only
     where both readings agree: >= 3 accounts and inflow over 300,000 (if
     all were the defendant's own: item 1; if any was another's: item 2).
     1 or 2 accounts with inflow over 300,000 meet it only if an account was
     another's: review flag bx2025_account_ownership, never a basis.
   - BX2025:6 (phone cards): phone or IoT cards >= 20, the defendant's own
     included (TF2021:9.2 counted other people's only).
   - TF2021 Art. 9's card tests end for cases tried from that day: the
     summary says the opinion consolidates ("整合") the two-card thresholds
     and raises them; that it replaces TF2021 Art. 9 is this module's
     reading, UNVERIFIED like the rest.
 Like TF2021's, these are Art. 12 para 1 tests: when an included act's
 helped crime is unproven they are not evaluated (para 2 decides, I2019:12.p2
 only; the lenient reading for charges that mix proven and unproven acts).

 Changes at load time: LAW.sources (BX2025 added, TF2021 ended),
 LAW.trial_order, OFFENSES.help_network_crime.run (wrapped).

 lua-rules/bx2025.lua
-----------------------------------------------------------------------------]]

local common = common
local OFF = OFFENSES.help_network_crime
local base_run = OFF.run

-- BX2025 (UNVERIFIED): released 2025-07-28, applied to cases tried from
-- that day; TF2021's card tests up to the day before.
local FROM = "2025-07-28"
LAW.sources.BX2025 = {
    key = "trial", from = FROM, offenses = { help_network_crime = true },
    title = "最高人民法院 最高人民检察院 公安部关于办理帮助信息网络犯罪活动等刑事案件"
        .. "有关问题的意见 (2025; document number UNVERIFIED)",
}
LAW.sources.TF2021.to = "2025-07-27"
LAW.trial_order[#LAW.trial_order + 1] = "BX2025"

local NOTE = "BX2025 Art. 6 (UNVERIFIED: law-firm summary; article number from a commentary)"
local ACCOUNTS = 3                    -- BX2025:6 items 1-2: accounts supplied
local INFLOW = yuan(300000) + 1       -- BX2025:6 items 1-2: inflow "超过" 300,000 yuan, in fen
local PHONE_CARDS = 20                -- BX2025:6 item 3: phone or IoT cards

local TESTS = {
    common.test_all("BX2025:6", "accounts supplied >= 3 with inflow > 300,000 yuan "
                    .. "(own: item 1; any other's: item 2)",
                    { { "payment_cards_supplied", ACCOUNTS }, { "card_inflow_yuan", INFLOW } },
                    NOTE),
    common.test_ge("BX2025:6", "phone or IoT cards supplied >= 20, own or others' (item 3)",
                   { { "phone_cards_supplied", PHONE_CARDS } }, NOTE),
}

local UNPROVEN_NOTE = "an included act's helped crime is unproven: the BX2025 card tests, like "
    .. "TF2021's, belong to Art. 12 para 1 and are not evaluated"
local OWNERSHIP_STEP = "1-2 accounts with inflow > 300,000 yuan: met only if an account was "
    .. "another person's or a unit's (BX2025:6 item 2); the input does not say"

function OFF.run(f, assumed, ev, acts)
    base_run(f, assumed, ev, acts)
    if not ev.law.in_force.BX2025 then
        common.run_tests(TESTS, f, assumed, ev)   -- traced as not in force
        return
    end
    if f.helped_crime_unproven then
        common.trace_note(ev.trace, "BX2025 card tests", "BX2025:6", UNPROVEN_NOTE, nil, false)
        return
    end
    common.run_tests(TESTS, f, assumed, ev)
    ev.threshold_met = #ev.basis > 0
    local cards = f.payment_cards_supplied
    if cards >= 1 and cards < ACCOUNTS and f.card_inflow_yuan >= INFLOW then
        ev.flags[#ev.flags + 1] = "bx2025_account_ownership"
        common.trace_note(ev.trace, OWNERSHIP_STEP, "BX2025:6",
                          "review flag bx2025_account_ownership",
                          { payment_cards_supplied = cards,
                            card_inflow_yuan = common.yuan_num(f.card_inflow_yuan) }, true)
    end
end
