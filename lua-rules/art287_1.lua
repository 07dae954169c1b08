--[[---------------------------------------------------------------------------
 art287_1.lua
     Criminal Law Art. 287-1, illegally using information networks
     (case.offense = illegal_use_network).

 Serious circumstances (情节严重): I2019 Art. 10 items 1-6 (legal-rules 2.2);
 item 7 ("other") has no input column. No proportional conversion exists
 for Art. 10. Concurrence with a heavier offense (CL:287-1 para 3) is left
 to review: flag `heavier_offense_check`.

 Registers OFFENSES.illegal_use_network.

 lua-rules/art287_1.lua
-----------------------------------------------------------------------------]]

local common = common
local ge, flag = common.test_ge, common.test_flag

-- The tests under one version of the law (LAW.each_version): P is PARAMS
-- as that version reads it.
local function build(P)
    local T = P.illegal_use
    return {
        flag("I2019:10.1", "website impersonating a state organ or financial institution",
             { "impersonated_authority_site" }),
        ge("I2019:10.2", ("crime websites >= %d or their accounts >= %d")
               :format(T.crime_sites, T.crime_site_accounts),
           { { "crime_sites", T.crime_sites }, { "crime_site_accounts", T.crime_site_accounts } }),
        ge("I2019:10.3", ("crime groups >= %d or their members >= %d")
               :format(T.crime_groups, T.crime_group_members),
           { { "crime_groups", T.crime_groups },
             { "crime_group_members", T.crime_group_members } }),
        ge("I2019:10.4", ("posts >= %d, accounts messaged >= %d, group members messaged >= %d"
                          .. " or followers >= %d")
               :format(T.posts, T.accounts_messaged, T.group_members_messaged, T.followers),
           { { "posts_published", T.posts }, { "accounts_messaged", T.accounts_messaged },
             { "group_members_messaged", T.group_members_messaged },
             { "followers_reached", T.followers } }),
        ge("I2019:10.5", "illegal income >= " .. common.fmt_yuan(T.illegal_income),
           { { "illegal_income_yuan", T.illegal_income } }),
        flag("I2019:10.6", "administrative penalty within 2 years, then again",
             { "admin_penalty_within_2y" },
             "whether Anti-Telecom-Fraud Law Art. 44 penalties count is UNVERIFIED"),
    }
end
local TESTS = LAW.each_version(build)   -- version id -> tests

local function run(f, assumed, ev)
    common.run_tests(TESTS[ev.version.id], f, assumed, ev)
    ev.threshold_met = #ev.basis > 0
end

OFFENSES.illegal_use_network = {
    key = "illegal_use_network",
    article = "CL:287-1",
    kinds = { "fixed_term", "detention" },   -- CL:287-1; shared read-only
    allows_surveillance = false,
    heavier_offense_flag = true,              -- CL:287-1 para 3
    uses_income = true,
    run = run,
    sum_facts = {
        "crime_sites", "crime_site_accounts", "crime_groups", "crime_group_members",
        "posts_published", "accounts_messaged", "group_members_messaged", "followers_reached",
        "illegal_income_yuan",
    },
    flag_facts = { "impersonated_authority_site", "admin_penalty_within_2y" },
}
