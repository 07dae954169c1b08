--[[---------------------------------------------------------------------------
 art287_2.lua
     Criminal Law Art. 287-2, helping information-network criminal
     activities, "帮信" (case.offense = help_network_crime).

 Two branches (legal-rules 3.3-3.5, 8.2):
   - helped crime proven: I2019 Art. 12 para 1 items 1-6, and the card
     tests of TF2021 Art. 9 (>= 5 payment cards/accounts: TF2021:9.1;
     >= 20 other people's phone cards: TF2021:9.2);
   - helped_crime_unproven (Art. 12 para 2): the only basis the unproven
     acts can found is I2019:12.p2 — each of the amounts of items 2-4
     against five times its own threshold
     (PARAMS.helping.unproven_sum_across_types = false), or especially
     serious consequences. Items 1, 5, 6 and the card tests cannot be used
     on them.
 Accumulated acts may differ in whether their helped crime is proven. The
 choice is made so that a further or larger act never removes a threshold
 the other acts met (helped_crime_unproven is not OR-ed into one branch):
   - no included act unproven: para 1 on the accumulation of all of them
     (the common case: evaluated once);
   - some act unproven: para 1 on the accumulation of the acts whose helped
     crime is proven (none: para 1 is not evaluated), AND para 2 on the
     accumulation of all included acts (a proven helped crime only makes an
     amount more certainly criminal, so its amounts count towards five
     times too).
 threshold_met when either is met; threshold_basis the union of the tests
 met, I2019:12.p2 only ever from the para 2 evaluation.
 The DK2022 inflow rule ("3,000 / 300,000") is never a basis: it only sets
 the review flag `card_inflow_rule`. Concurrence with a heavier offense
 (CL:287-2 para 3) is left to review: flag `heavier_offense_check`.

 Registers OFFENSES.help_network_crime.

 lua-rules/art287_2.lua
-----------------------------------------------------------------------------]]

local common = common
-- The DK2022 inflow review rule (trial-keyed: not part of a version).
local INFLOW = PARAMS.helping
local ge, conv, flag = common.test_ge, common.test_conv, common.test_flag
local fmt_yuan, yuan_num = common.fmt_yuan, common.yuan_num

local NOTE_TF = "TF2021 Art. 9 wording partially verified (the numbers agree in all sources)"

-- The tests under one version of the law (LAW.each_version): P is PARAMS
-- as that version reads it.
local function build(P)
    local T = P.helping
    local PARA1 = {
        ge("I2019:12.1", ("parties helped >= %d"):format(T.parties),
           { { "helped_parties", T.parties } }),
        ge("I2019:12.2", "payment settlement >= " .. fmt_yuan(T.payment),
           { { "payment_settled_yuan", T.payment } },
           "card turnover is not payment settlement: see card_inflow_yuan (UNVERIFIED commentary)"),
        ge("I2019:12.3", "advertising funds >= " .. fmt_yuan(T.ads),
           { { "ad_funding_yuan", T.ads } }),
        ge("I2019:12.4", "illegal income >= " .. fmt_yuan(T.income),
           { { "illegal_income_yuan", T.income } }),
        flag("I2019:12.5", "administrative penalty within 2 years, then helped again",
             { "admin_penalty_within_2y" },
             "whether Anti-Telecom-Fraud Law Art. 44 penalties count is UNVERIFIED"),
        flag("I2019:12.6", "the helped crime caused serious consequences",
             { "helped_crime_serious" }),
        ge("TF2021:9.1", ("payment cards or accounts supplied >= %d"):format(T.payment_cards),
           { { "payment_cards_supplied", T.payment_cards } }, NOTE_TF),
        ge("TF2021:9.2", ("other people's phone cards supplied >= %d"):format(T.phone_cards),
           { { "phone_cards_supplied", T.phone_cards } }, NOTE_TF),
    }

    local M = T.unproven_multiplier
    local PARA2 = {
        ge("I2019:12.p2", ("payment settlement >= %d x %s"):format(M, fmt_yuan(T.payment)),
           { { "payment_settled_yuan", M * T.payment } }),
        ge("I2019:12.p2", ("advertising funds >= %d x %s"):format(M, fmt_yuan(T.ads)),
           { { "ad_funding_yuan", M * T.ads } }),
        ge("I2019:12.p2", ("illegal income >= %d x %s"):format(M, fmt_yuan(T.income)),
           { { "illegal_income_yuan", M * T.income } }),
        flag("I2019:12.p2", "especially serious consequences",
             { "helped_crime_especially_serious" }),
    }
    if T.unproven_sum_across_types then
        PARA2[#PARA2 + 1] = conv("I2019:12.p2", "amounts of items 2-4 summed in proportion to 5x",
            { { "payment_settled_yuan", M * T.payment }, { "ad_funding_yuan", M * T.ads },
              { "illegal_income_yuan", M * T.income } },
            "cross-type sum of \"总计\" is UNVERIFIED (PARAMS.helping.unproven_sum_across_types)")
    end
    return { PARA1 = PARA1, PARA2 = PARA2 }
end
local TESTS = LAW.each_version(build)   -- version id -> { PARA1, PARA2 }

local BRANCH_STEP = "helped crime unproven: Art. 12 para 2 branch"
local BRANCH_NOTE = "on the unproven acts only I2019:12.p2 can found the threshold; items 1, 5, "
    .. "6 of para 1 and TF2021 Art. 9 cannot be used; each amount of all included acts "
    .. "against five times its own threshold"
    .. (INFLOW.unproven_sum_across_types and ", and their proportional sum (UNVERIFIED reading)"
        or " (a cross-type sum is UNVERIFIED: PARAMS.helping.unproven_sum_across_types)")

local INFLOW_STEP = ("card inflow %s %s with verified fraud >= %s (review only)")
    :format(INFLOW.card_inflow_strict and ">" or ">=", fmt_yuan(INFLOW.card_inflow),
            fmt_yuan(INFLOW.card_fraud_verified))
local INFLOW_NOTE = "DK2022 Art. 4 (secondary source): discretionary, subject to comparability "
    .. "review; never a basis"
local INFLOW_THR = { card_inflow_yuan = yuan_num(INFLOW.card_inflow),
                     card_fraud_verified_yuan = yuan_num(INFLOW.card_fraud_verified) }

local PROVEN_STEP = "para 1 on the acts whose helped crime is proven"
local PROVEN_NOTE = "acts with an unproven helped crime found no para 1 basis; "
    .. "para 2 below weighs all included acts"
local NO_PROVEN_NOTE = "no included act with a proven helped crime: para 1 not evaluated"

local OFF   -- OFFENSES.help_network_crime, set below (for common.accumulate)

-- The acts of `acts` whose helped crime is proven, accumulated: facts and
-- assumed set, or nil when there is none. acts nil = a single act (the
-- facts table f itself), whose helped crime is unproven here.
local function proven_facts(acts)
    if acts == nil or #acts < 2 then return nil, nil, 0 end
    local proven
    for k = 1, #acts do
        local a = acts[k]
        if not a.helped_crime_unproven then
            proven = proven or {}
            proven[#proven + 1] = a
        end
    end
    if proven == nil then return nil, nil, 0 end
    if #proven == 1 then return proven[1], proven[1].assumed, 1 end
    local pf, pa = common.accumulate(OFF, proven)
    return pf, pa, #proven
end

-- f: an act or the accumulated facts of the included acts; acts: the
-- included acts when f accumulates several (nil or one act: f is that act).
local function run(f, assumed, ev, acts)
    local B = TESTS[ev.version.id]
    local unproven = f.helped_crime_unproven
    local e = common.trace_fact(ev, BRANCH_STEP, "I2019:12.p2", "helped_crime_unproven",
                                unproven, assumed)
    if unproven then
        if e then e.note = BRANCH_NOTE end
        -- para 1 on the proven acts only (only evaluated here when some act
        -- is unproven: with none, f is already their accumulation)
        local pf, pa, n = proven_facts(acts)
        if ev.trace and acts and #acts > 1 then
            common.trace_note(ev.trace, PROVEN_STEP, "I2019:16",
                              pf and PROVEN_NOTE or NO_PROVEN_NOTE, { acts = n }, pf ~= nil)
        end
        if pf then common.run_tests(B.PARA1, pf, pa, ev) end
        common.run_tests(B.PARA2, f, assumed, ev)
    else
        common.run_tests(B.PARA1, f, assumed, ev)
    end
    ev.threshold_met = #ev.basis > 0

    -- DK2022:4: review flag only, for cases tried after the minutes
    local trace = ev.trace
    if not ev.law.in_force.DK2022 then
        ev.card_inflow = false
        if trace then
            trace[#trace + 1] = { step = INFLOW_STEP, cite = "DK2022:4", result = false,
                                  note = LAW.not_in_force_note(ev.law, "DK2022") }
        end
        return
    end
    local inflow, fraud = f.card_inflow_yuan, f.card_fraud_verified_yuan
    local hit
    if INFLOW.card_inflow_strict then
        hit = inflow > INFLOW.card_inflow and fraud >= INFLOW.card_fraud_verified
    else
        hit = inflow >= INFLOW.card_inflow and fraud >= INFLOW.card_fraud_verified
    end
    ev.card_inflow = hit
    if trace then
        local a
        if assumed and (assumed.card_inflow_yuan or assumed.card_fraud_verified_yuan) then
            a = {}
            if assumed.card_inflow_yuan then a.card_inflow_yuan = true end
            if assumed.card_fraud_verified_yuan then a.card_fraud_verified_yuan = true end
        end
        trace[#trace + 1] = { step = INFLOW_STEP, cite = "DK2022:4",
                              facts = { card_inflow_yuan = yuan_num(inflow),
                                        card_fraud_verified_yuan = yuan_num(fraud) },
                              threshold = INFLOW_THR, result = hit, assumed = a,
                              note = INFLOW_NOTE }
    end
end

OFF = {
    key = "help_network_crime",
    article = "CL:287-2",
    kinds = { "fixed_term", "detention" },   -- CL:287-2; shared read-only
    allows_surveillance = false,
    heavier_offense_flag = true,              -- CL:287-2 para 3
    uses_income = true,
    run = run,
    sum_facts = {
        "helped_parties", "payment_settled_yuan", "ad_funding_yuan", "illegal_income_yuan",
        "payment_cards_supplied", "phone_cards_supplied",
        "card_inflow_yuan", "card_fraud_verified_yuan",
    },
    flag_facts = {
        "helped_crime_serious", "helped_crime_unproven", "helped_crime_especially_serious",
        "admin_penalty_within_2y",
    },
}
OFFENSES.help_network_crime = OFF
