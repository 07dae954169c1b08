--[[---------------------------------------------------------------------------
 art286_1.lua
     Criminal Law Art. 286-1, refusing to perform information-network
     security management obligations (case.offense = refuse_netsec_duty).

 The offense is made out only when a regulator ordered corrective measures
 AND the provider refused (CL:286-1; I2019:2). Without both, threshold_met
 is false and the basis empty whatever the consequences; the consequence
 tests are still evaluated and shown in the trace (legal-rules 8.2).
 Consequence tests: I2019 Arts. 3-6 (legal-rules 1.2); the catch-all
 "other" items (3.7, 4.8, 5.5, 6.7) have no input column and are not tested.

 Registers OFFENSES.refuse_netsec_duty.

 lua-rules/art286_1.lua
-----------------------------------------------------------------------------]]

local common = common
local ge, conv, flag = common.test_ge, common.test_conv, common.test_flag

local NOTE_LOSS = "no amount in I2019:4.6 (UNVERIFIED): the input flag is the court's finding"
local NOTE_MULTI = "多次 not counted: the input flag is the court's finding (UNVERIFIED >= 3)"

-- The tests under one version of the law (LAW.each_version): P is PARAMS
-- as that version reads it.
local function build(P)
    local T = P.netsec
    return {
        -- I2019 Art. 3: large-scale spread of illegal information
        ge("I2019:3.1", ("illegal videos spread >= %d"):format(T.videos),
           { { "illegal_videos_spread", T.videos } }),
        ge("I2019:3.2", ("other illegal information items spread >= %d"):format(T.other_info),
           { { "illegal_info_spread", T.other_info } }),
        conv("I2019:3.3", "videos and other items converted in proportion",
             { { "illegal_videos_spread", T.videos }, { "illegal_info_spread", T.other_info } },
             "a basis only when neither count reaches its own threshold"),
        ge("I2019:3.4", ("user accounts reached >= %d"):format(T.accounts),
           { { "accounts_reached", T.accounts } }),
        ge("I2019:3.5", ("group members >= %d or followers >= %d")
               :format(T.group_members, T.followers),
           { { "group_members_reached", T.group_members }, { "followers_reached", T.followers } }),
        ge("I2019:3.6", ("actual clicks >= %d"):format(T.clicks),
           { { "illegal_info_clicks", T.clicks } }),
        -- I2019 Art. 4: leak of user information, serious consequences
        ge("I2019:4.1", ("whereabouts/content/credit/property records leaked >= %d")
               :format(T.leak_sensitive),
           { { "leaked_sensitive_records", T.leak_sensitive } }),
        ge("I2019:4.2", ("accommodation/log/health/transaction records leaked >= %d")
               :format(T.leak_personal),
           { { "leaked_personal_records", T.leak_personal } }),
        ge("I2019:4.3", ("other user information leaked >= %d"):format(T.leak_other),
           { { "leaked_other_records", T.leak_other } }),
        conv("I2019:4.4", "leaked records of the three classes converted in proportion",
             { { "leaked_sensitive_records", T.leak_sensitive },
               { "leaked_personal_records", T.leak_personal },
               { "leaked_other_records", T.leak_other } },
             "a basis only when no class reaches its own threshold"),
        flag("I2019:4.5", "leak caused death, serious injury, mental disorder or kidnapping",
             { "leak_caused_harm" }),
        flag("I2019:4.6", "leak caused major economic loss", { "leak_major_loss" }, NOTE_LOSS),
        flag("I2019:4.7", "leak seriously disturbed social order", { "leak_social_disorder" }),
        -- I2019 Art. 5: loss of criminal-case evidence, serious circumstances
        flag("I2019:5.1", "evidence of a state-security/terrorism/mafia/corruption case lost",
             { "evidence_lost_grave_crime" }),
        flag("I2019:5.2", "evidence of a case punishable by >= 5 years lost",
             { "evidence_lost_5y_case" }),
        flag("I2019:5.3", "evidence lost repeatedly", { "evidence_lost_repeatedly" }, NOTE_MULTI),
        flag("I2019:5.4", "evidence loss seriously affected criminal procedure",
             { "evidence_lost_trial_affected" }),
        -- I2019 Art. 6: other serious circumstances
        flag("I2019:6.1", "logs or real-name verification missing for most users",
             { "logs_or_realname_missing" }),
        flag("I2019:6.2", "within 2 years ordered repeatedly and refused",
             { "refused_repeatedly_2y" }, NOTE_MULTI),
        flag("I2019:6.3", "service mainly used for illegal or criminal activity",
             { "service_mainly_for_crime" }),
        flag("I2019:6.4", "service used for network attacks seriously affecting life",
             { "service_used_for_attack" }),
        flag("I2019:6.5", "service used for state-security/terrorism/mafia/corruption crimes",
             { "service_used_for_grave_crime" }),
        flag("I2019:6.6", "public-service network damaged, seriously affecting life",
             { "public_service_network_damaged" }),
    }
end
local TESTS = LAW.each_version(build)   -- version id -> tests

local GATE_STEP = "ordered to correct by a regulator and refused (CL:286-1; I2019:2)"
local GATE_NOTE_FAIL = "offense not made out without an order and a refusal: "
    .. "consequence tests below are shown but form no basis"

-- Run the gate and the tests. f: an act or accumulated facts; assumed: the
-- set of unrecorded fact names (nil: do not check); ev: common.new_ev().
local function run(f, assumed, ev)
    local ordered, refused = f.ordered_to_correct, f.refused_to_correct
    if assumed and (assumed.ordered_to_correct or assumed.refused_to_correct) then
        ev.any_assumed = true
    end
    local gate = ordered and refused
    if ev.trace then
        local a
        if assumed and (assumed.ordered_to_correct or assumed.refused_to_correct) then
            a = {}
            if assumed.ordered_to_correct then a.ordered_to_correct = true end
            if assumed.refused_to_correct then a.refused_to_correct = true end
        end
        local tr = ev.trace
        tr[#tr + 1] = { step = GATE_STEP, cite = "I2019:2",
                        facts = { ordered_to_correct = ordered, refused_to_correct = refused },
                        result = gate, assumed = a, note = (not gate) and GATE_NOTE_FAIL or nil }
    end
    common.run_tests(TESTS[ev.version.id], f, assumed, ev)
    ev.threshold_met = gate and #ev.basis > 0
end

OFFENSES.refuse_netsec_duty = {
    key = "refuse_netsec_duty",
    article = "CL:286-1",
    -- statutory principal penalties for a person (CL:286-1; CL:38, 42, 45);
    -- shared read-only array, returned as is in every result
    kinds = { "fixed_term", "detention", "surveillance" },
    allows_surveillance = true,
    heavier_offense_flag = false,   -- legal-rules 8.2 names 287-1/287-2 only
    uses_income = false,            -- illegal income is not a 286-1 fact
    gate_cite = "I2019:2",
    run = run,
    -- declared facts, for accumulation across acts (I2019:16)
    sum_facts = {
        "illegal_videos_spread", "illegal_info_spread", "accounts_reached",
        "group_members_reached", "followers_reached", "illegal_info_clicks",
        "leaked_sensitive_records", "leaked_personal_records", "leaked_other_records",
    },
    flag_facts = {
        "ordered_to_correct", "refused_to_correct",
        "leak_caused_harm", "leak_major_loss", "leak_social_disorder",
        "evidence_lost_grave_crime", "evidence_lost_5y_case", "evidence_lost_repeatedly",
        "evidence_lost_trial_affected", "logs_or_realname_missing", "refused_repeatedly_2y",
        "service_mainly_for_crime", "service_used_for_attack", "service_used_for_grave_crime",
        "public_service_network_damaged",
    },
}
